package train

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/snnc/snnc/train/data"
)

func TestScratchYY(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	env := func(k string, d float64) float64 {
		if v := os.Getenv(k); v != "" {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
		return d
	}
	sp, _ := data.YinYang(data.Options{Seed: 1})
	cfg := DefaultConfig(4, int(env("H", 120)), 3)
	cfg.Surrogate.Scale = env("K", 10)
	if os.Getenv("LOSS") != "" {
		cfg.Loss = os.Getenv("LOSS")
	}
	m, _ := New(cfg)
	steps := int(env("T", 20))
	enc := data.Current{Gain: env("GAIN", 1)}
	if os.Getenv("KAIMING") != "" {
		m.InitKaiming(1)
	} else if err := m.InitFluct(FluctInit{}, sp.Train, enc, steps, 1); err != nil {
		t.Fatal(err)
	}
	r0, _ := Evaluate(m, sp.Test, enc, steps, 0)
	t.Logf("init rates %v", r0.Rates)
	start := time.Now()
	_, err := Fit(context.Background(), m, sp.Train, sp.Val, Options{Epochs: int(env("E", 20)), Batch: int(env("B", 32)), Steps: steps, LR: env("LR", 0.01), Schedule: "cosine", Encoder: enc, Test: sp.Test,
		Log: func(s EpochStats) { t.Logf("%+v", s) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("time %v", time.Since(start))
}
