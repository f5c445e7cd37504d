package train

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/snnc/snnc/train/data"
)

func TestScratchMNIST(t *testing.T) {
	if os.Getenv("SCRATCHM") == "" {
		t.Skip()
	}
	env := func(k string, d float64) float64 {
		if v := os.Getenv(k); v != "" {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
		return d
	}
	sp, err := data.MNIST(data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := sp.Train.Subset(int(env("N", 0)))
	cfg := DefaultConfig(784, int(env("H", 256)), 10)
	cfg.Loss = LossSum
	m, _ := New(cfg)
	steps := int(env("T", 10))
	enc := data.Current{}
	if err := m.InitFluct(FluctInit{}, tr, enc, steps, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Fit(context.Background(), m, tr, nil, Options{Epochs: int(env("E", 1)), Batch: int(env("B", 128)), Steps: steps, LR: env("LR", 0.002), Schedule: "cosine", Encoder: enc, Test: sp.Test,
		Log: func(s EpochStats) { t.Logf("%+v", s) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("time %v", time.Since(start))
}
