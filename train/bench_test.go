package train

import (
	"context"
	"errors"
	"testing"

	"github.com/snnc/snnc/train/data"
)

// BenchmarkYinYangDefaults trains the `snnc train --dataset yinyang` recipe (one op = the
// whole training) and reports the test accuracy.
func BenchmarkYinYangDefaults(b *testing.B) {
	sp, _ := data.YinYang(data.Options{Seed: 1})
	p := Presets["yinyang"]
	sizes, _ := ParseArch(p.Arch)
	for i := 0; i < b.N; i++ {
		cfg := DefaultConfig(sizes...)
		cfg.Loss = p.Loss
		m, _ := New(cfg)
		if err := m.InitFluct(FluctInit{}, sp.Train, data.Current{}, p.Steps, 1); err != nil {
			b.Fatal(err)
		}
		if _, err := Fit(context.Background(), m, sp.Train, nil, Options{Epochs: p.Epochs, Batch: p.Batch, Steps: p.Steps, LR: p.LR, Schedule: "cosine", Encoder: data.Current{}, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		res, _ := Evaluate(m, sp.Test, data.Current{}, p.Steps, 1)
		b.ReportMetric(100*res.Accuracy, "test%")
	}
}

// BenchmarkMNISTEpoch is one training epoch of 784-128-10, T = 25, batch 128, direct input
// (the PyTorch comparison of bench/train_torch.py).
func BenchmarkMNISTEpoch(b *testing.B) {
	sp, err := data.MNIST(data.Options{})
	if errors.Is(err, data.ErrMissing) {
		b.Skip(err)
	}
	cfg := DefaultConfig(784, 128, 10)
	cfg.Loss = LossSum
	b.ResetTimer() // loading the data set is not part of an epoch
	for i := 0; i < b.N; i++ {
		m, _ := New(cfg)
		m.InitKaiming(1)
		if _, err := Fit(context.Background(), m, sp.Train, nil, Options{Epochs: 1, Batch: 128, Steps: 25, LR: 0.002, Schedule: "const", Encoder: data.Current{}, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
}

// BenchmarkSample784x128x10 is one forward+backward pass of a 784-128-10 network, T = 25,
// on a static MNIST-like input (20 % non-zero pixels).
func BenchmarkSample784x128x10(b *testing.B) {
	cfg := DefaultConfig(784, 128, 10)
	cfg.Loss = LossSum
	m, _ := New(cfg)
	m.InitKaiming(1)
	for i := range m.Layers[0].W {
		m.Layers[0].W[i] *= 0.5
	}
	x := make([]float64, 784)
	for i := 0; i < 784; i += 5 {
		x[i] = float64(i%7) / 7
	}
	in := &Input{X: x, Static: true}
	w := m.NewWork(25)
	g := m.NewGrads()
	for i := 0; i < b.N; i++ {
		w.Forward(in, nil)
		w.Backward(in, 3, 0, 1, g)
	}
}
