package train

import (
	"fmt"
	"math"
	"testing"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/train/data"
)

// TestBatchGradientMatchesPerSample: the batched BPTT of Fit (phase A per sample, phase B
// per weight row, closed-form readout) gives the same loss, predictions and gradient as
// the per-sample Work.Forward/Backward summed over the batch, up to rounding, for every
// readout, loss, reset, recurrence and encoder kind.
func TestBatchGradientMatchesPerSample(t *testing.T) {
	sp, err := data.YinYang(data.Options{Seed: 5, Train: 40})
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		mod func(*Config)
		enc data.Encoder
	}
	cases := map[string]tc{
		"leaky-sum-current":         {func(c *Config) {}, data.Current{}},
		"leaky-sum-current-2hidden": {func(c *Config) { c.Sizes = []int{4, 30, 20, 3} }, data.Current{}},
		"leaky-max-zero-reset":      {func(c *Config) { c.Loss, c.Reset = LossMax, ResetZero }, data.Current{}},
		"spiking-count-recurrent":   {func(c *Config) { c.Readout, c.Loss, c.Recurrent, c.CountScale = "spiking", LossCount, true, 0.5 }, data.Current{}},
		"leaky-sum-rate-recurrent":  {func(c *Config) { c.Recurrent = true }, data.Rate{}},
		"leaky-sum-latency-atan":    {func(c *Config) { c.Surrogate = Surrogate{Kind: "atan", Scale: 2} }, data.Latency{Bias: true}},
		"leaky-sum-no-hidden":       {func(c *Config) { c.Sizes = []int{4, 3} }, data.Current{}},
		"leaky-sum-current-32":      {func(c *Config) { c.Sizes = []int{4, 32, 3} }, data.Current{}},
		"leaky-sum-current-atan":    {func(c *Config) { c.Surrogate = Surrogate{Kind: "atan", Scale: 2} }, data.Current{}},
		"spiking-count-zero-2hidden": {func(c *Config) {
			c.Sizes, c.Readout, c.Loss, c.Reset = []int{4, 30, 20, 3}, "spiking", LossCount, ResetZero
		}, data.Rate{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			const steps, reg = 12, 0.3
			cfg := DefaultConfig(4, 30, 3)
			cfg.Loss = LossSum
			c.mod(&cfg)
			cfg.Sizes[0] = c.enc.Inputs(4)
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m.InitKaiming(3)
			for _, l := range m.Layers { // a sparser, mixed regime than Kaiming's saturation
				for i := range l.W {
					l.W[i] *= 0.6
				}
				for i := range l.B {
					l.B[i] = 0.05 * float64(i%3)
				}
			}
			idx := []int{3, 1, 4, 15, 9, 2, 6, 5, 35, 8}
			const seed = 11
			scale := 1 / float64(len(idx))
			want := m.NewGrads()
			w := m.NewWork(steps)
			buf := make([]float64, cfg.Sizes[0]*steps)
			wantLoss, wantCorrect := 0.0, 0
			for _, i := range idx {
				in := encode(buf, c.enc, sp.Train, i, steps, seed)
				if Argmax(w.Forward(&in, nil)) == sp.Train.Y[i] {
					wantCorrect++
				}
				wantLoss += w.Loss(sp.Train.Y[i], reg)
				w.Backward(&in, sp.Train.Y[i], reg, scale, want)
			}
			for _, workers := range []int{1, 3} {
				bw := m.newBatchWork(steps, 16, workers, c.enc.Static())
				got := m.NewGrads()
				loss, correct := bw.step(got, sp.Train, idx, c.enc, seed, reg, workers)
				if correct != wantCorrect || math.Abs(loss-wantLoss) > 1e-9*math.Abs(wantLoss) {
					t.Errorf("workers %d: loss %.12g correct %d, per-sample %.12g %d", workers, loss, correct, wantLoss, wantCorrect)
				}
				for li := range m.Layers {
					for _, p := range []struct {
						name      string
						got, want []float64
					}{{"W", got.W[li], want.W[li]}, {"B", got.B[li], want.B[li]}, {"V", got.V[li], want.V[li]}} {
						if err := closeSlices(p.got, p.want); err != nil {
							t.Errorf("workers %d layer %d %s: %v", workers, li, p.name, err)
						}
					}
				}
			}
		})
	}
}

func closeSlices(got, want []float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	norm := 0.0
	for _, v := range want {
		norm = max(norm, math.Abs(v))
	}
	nz := 0
	for i := range got {
		if want[i] != 0 {
			nz++
		}
		if math.Abs(got[i]-want[i]) > 1e-9*(norm+1e-300) {
			return fmt.Errorf("element %d: %.15g, want %.15g (max |want| %g)", i, got[i], want[i], norm)
		}
	}
	if len(want) > 0 && nz == 0 {
		return fmt.Errorf("all-zero reference gradient: the case tests nothing")
	}
	return nil
}

// TestAxpyRowsBitIdentical: the blocked (AVX2 when available) row accumulation rounds every
// element exactly as adding the rows one at a time, which the export to ref relies on.
func TestAxpyRowsBitIdentical(t *testing.T) {
	t.Logf("AVX2: %v", hasAVX2)
	r := emulator.NewRand(9, 0)
	for _, n := range []int{4, 10, 16, 20, 128, 132} {
		for _, ones := range []bool{false, true} {
			t.Run(fmt.Sprintf("n=%d/ones=%v", n, ones), func(t *testing.T) {
				const rows = 40
				base := make([]float64, rows*n)
				for i := range base {
					base[i] = r.Float64()*2 - 1
				}
				var ids []int32
				var vals []float64
				for j := 0; j < rows; j++ {
					if r.Float64() < 0.6 {
						ids = append(ids, int32(j))
						vals = append(vals, r.Float64()*3)
					}
				}
				if ones {
					vals = nil
				}
				got := make([]float64, n)
				want := make([]float64, n)
				for k := range got {
					got[k] = r.Float64()
					want[k] = got[k]
				}
				axpyRows(got, base, n, ids, vals)
				for e, j := range ids {
					x := 1.0
					if vals != nil {
						x = vals[e]
					}
					for k := range want {
						want[k] += x * base[int(j)*n+k]
					}
				}
				for k := range want {
					if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
						t.Fatalf("element %d: %v, want %v (bit-identical)", k, got[k], want[k])
					}
				}
			})
		}
	}
}

// TestSIMDMatchesScalar: with and without the AVX2 kernels a training batch gives
// bit-identical gradients (same operations, same order, no fused multiply-add).
func TestSIMDMatchesScalar(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 on this CPU")
	}
	sp, _ := data.YinYang(data.Options{Seed: 6, Train: 64})
	cfg := DefaultConfig(4, 64, 3)
	cfg.Loss = LossSum
	m, _ := New(cfg)
	m.InitKaiming(4)
	idx := make([]int, 64)
	for i := range idx {
		idx[i] = i
	}
	run := func(simd bool) *Grads {
		defer func(old bool) { useSIMD = old }(useSIMD)
		useSIMD = simd
		g := m.NewGrads()
		m.newBatchWork(20, 64, 1, true).step(g, sp.Train, idx, data.Current{}, 1, 0.2, 1)
		return g
	}
	a, b := run(true), run(false)
	for li := range m.Layers {
		for i := range a.W[li] {
			if math.Float64bits(a.W[li][i]) != math.Float64bits(b.W[li][i]) {
				t.Fatalf("layer %d W[%d]: SIMD %v, scalar %v", li, i, a.W[li][i], b.W[li][i])
			}
		}
		for i := range a.B[li] {
			if math.Float64bits(a.B[li][i]) != math.Float64bits(b.B[li][i]) {
				t.Fatalf("layer %d B[%d]: SIMD %v, scalar %v", li, i, a.B[li][i], b.B[li][i])
			}
		}
	}
}
