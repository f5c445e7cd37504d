#!/usr/bin/python3
"""CUBA (Brette et al. 2007, Benchmark 2) in Brian2, side by side with `snnc bench --suite cuba`.

Same parameters as shared/spec/training.md and targets/loihi/cuba.go: 4000 LIF neurons,
3200 excitatory / 800 inhibitory, p = 0.02, dt = 0.1 ms, tau_m = 20 ms, tau_e = 5 ms,
tau_i = 10 ms, V_t = -50 mV, V_r = -60 mV, E_l = -49 mV, refractory 5 ms, w_e = 1.62 mV,
w_i = -9 mV, v0 ~ U(V_r, V_t). Prints one JSON line: wall time of the run (excluding
network construction), mean firing rate, and the device used.

Run with Debian's interpreter: /usr/bin/python3 bench/cuba_brian2.py [--seconds 1] [--standalone]
"""
import argparse
import json
import sys
import time

try:
    from brian2 import (NeuronGroup, Synapses, SpikeMonitor, run, defaultclock, ms, mV, second,
                        seed, set_device, prefs, device)
except ImportError:
    sys.stderr.write("brian2 is not installed (Debian: apt-get install python3-brian)\n")
    sys.exit(3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--standalone", action="store_true", help="C++ standalone mode")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.standalone:
        set_device("cpp_standalone", build_on_run=True)
    else:
        prefs.codegen.target = "cython"
    seed(a.seed)
    defaultclock.dt = 0.1 * ms
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    we = (60 * 0.27 / 10) * mV  # 1.62 mV
    wi = (-20 * 4.5 / 10) * mV  # -9 mV
    Ce = Synapses(P, P, on_pre="ge += we")
    Ci = Synapses(P, P, on_pre="gi += wi")
    Ce.connect("i<3200", p=0.02)
    Ci.connect("i>=3200", p=0.02)
    s = SpikeMonitor(P)
    t0 = time.perf_counter()
    run(a.seconds * second)
    wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "rate_hz": s.num_spikes / 4000.0 / a.seconds,
                      "device": "cpp_standalone" if a.standalone else "runtime(cython)",
                      "synapses": int(len(Ce) + len(Ci))}))


if __name__ == "__main__":
    main()
