package train

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/snnc/snnc/train/data"
)

// TestYinYangShortTraining trains the default Yin-Yang recipe briefly and asserts ≥ 90 %.
func TestYinYangShortTraining(t *testing.T) {
	sp, _ := data.YinYang(data.Options{Seed: 1})
	p := Presets["yinyang"]
	sizes, _ := ParseArch(p.Arch)
	cfg := DefaultConfig(sizes...)
	cfg.Loss = p.Loss
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	enc := data.Current{}
	if err := m.InitFluct(FluctInit{}, sp.Train, enc, p.Steps, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(context.Background(), m, sp.Train, nil, Options{Epochs: 10, Batch: p.Batch, Steps: p.Steps, LR: p.LR, Schedule: "cosine", Encoder: enc, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(m, sp.Test, enc, p.Steps, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("test accuracy %.3f, hidden rate %.3f, %.1f spikes per sample", res.Accuracy, res.Rates[0], res.SpikesPerSample)
	if res.Accuracy < 0.90 {
		t.Errorf("Yin-Yang test accuracy %.3f < 0.90", res.Accuracy)
	}
}

// TestDeterministicAcrossGOMAXPROCS: the same seed gives bit-identical weights for any
// number of threads (fixed shards, ordered reduction).
func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	sp, _ := data.YinYang(data.Options{Seed: 2, Train: 300})
	run := func(procs int) *Model {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		cfg := DefaultConfig(4, 20, 3)
		cfg.Recurrent = true
		m, _ := New(cfg)
		m.InitKaiming(1)
		if _, err := Fit(context.Background(), m, sp.Train, nil, Options{Epochs: 2, Batch: 50, Steps: 10, LR: 0.01, Schedule: "cosine", Encoder: data.Rate{}, Seed: 3, RegRate: 0.1}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := run(1), run(4)
	for i := range a.Layers {
		if diff := cmp.Diff(a.Layers[i].W, b.Layers[i].W); diff != "" {
			t.Fatalf("layer %d weights differ between GOMAXPROCS 1 and 4: %s", i, diff)
		}
		if diff := cmp.Diff(a.Layers[i].V, b.Layers[i].V); diff != "" {
			t.Fatalf("layer %d recurrent weights differ: %s", i, diff)
		}
	}
}

// TestFluctInitRateBand: fluctuation-driven init puts the hidden layers' initial firing
// in a sparse-but-active band on the data, where Kaiming init saturates them.
func TestFluctInitRateBand(t *testing.T) {
	yy, _ := data.YinYang(data.Options{Seed: 1, Train: 500})
	rm, _ := data.Randman(data.Options{Seed: 1, Train: 30})
	const lo, hi = 0.002, 0.2 // mean spikes per neuron and step
	cases := []struct {
		name  string
		ds    *data.Dataset
		enc   data.Encoder
		sizes []int
		steps int
		rec   bool
	}{
		{"yinyang-current-2hidden", yy.Train, data.Current{}, []int{4, 100, 100, 3}, 20, false},
		{"yinyang-current-recurrent", yy.Train, data.Current{}, []int{4, 100, 3}, 20, true},
		{"randman-rate", rm.Train, data.Rate{}, []int{20, 100, 100, 10}, 30, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig(tc.sizes...)
			cfg.Recurrent = tc.rec
			m, _ := New(cfg)
			if err := m.InitFluct(FluctInit{}, tc.ds, tc.enc, tc.steps, 1); err != nil {
				t.Fatal(err)
			}
			fr, _ := Evaluate(m, tc.ds, tc.enc, tc.steps, 1)
			m.InitKaiming(1)
			kr, _ := Evaluate(m, tc.ds, tc.enc, tc.steps, 1)
			t.Logf("hidden rates: fluct %v, kaiming %v", fr.Rates[:len(fr.Rates)-1], kr.Rates[:len(kr.Rates)-1])
			kaimingOut := false
			for l := 0; l < len(fr.Rates)-1; l++ {
				if r := fr.Rates[l]; r < lo || r > hi {
					t.Errorf("fluct init: layer %d rate %.4f outside [%g, %g]", l+1, r, lo, hi)
				}
				if r := kr.Rates[l]; r < lo || r > hi {
					kaimingOut = true
				}
			}
			if !kaimingOut {
				t.Errorf("Kaiming rates %v also inside the band: the comparison shows nothing", kr.Rates)
			}
		})
	}
}

func TestWeightsRoundTrip(t *testing.T) {
	cfg := DefaultConfig(3, 4, 2)
	cfg.Recurrent = true
	m, _ := New(cfg)
	m.InitKaiming(1)
	if diff := cmp.Diff([]string{"fc1", "rec1", "fc2"}, m.Projections()); diff != "" {
		t.Fatal(diff)
	}
	w, _ := m.Weights("fc1")
	// (out, in) layout: element (k, j) is the weight from input j to neuron k.
	if w[1*3+2] != m.Layers[0].W[2*4+1] {
		t.Fatalf("layout: Weights[1,2] = %g, W[pre 2, post 1] = %g", w[1*3+2], m.Layers[0].W[2*4+1])
	}
	w[5] = 42
	if err := m.SetWeights("fc1", w); err != nil {
		t.Fatal(err)
	}
	got, _ := m.Weights("fc1")
	if diff := cmp.Diff(w, got); diff != "" {
		t.Fatal(diff)
	}
	if err := m.SetWeights("fc1", w[:3]); err == nil {
		t.Error("short weight vector accepted")
	}
	if _, err := m.Weights("fc9"); err == nil {
		t.Error("unknown projection accepted")
	}
}

// TestForwardWithRecordedSpikes: replacing hidden spikes by a record drives the layers
// above from the record (the hardware-in-the-loop hook); the model's own spikes as the
// record reproduce the ordinary forward pass.
func TestForwardWithRecordedSpikes(t *testing.T) {
	cfg := DefaultConfig(3, 6, 2)
	m, _ := New(cfg)
	m.InitKaiming(2)
	const steps = 8
	in := &Input{X: []float64{0.9, 0.2, 0.7}, Static: true}
	w := m.NewWork(steps)
	want := append([]float64(nil), w.Forward(in, nil)...)
	rec := append([]float64(nil), w.S[0]...)
	got := append([]float64(nil), w.Forward(in, [][]float64{rec})...)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("own spikes as record: %s", diff)
	}
	silent := make([]float64, steps*6)
	out := w.Forward(in, [][]float64{silent})
	// With a silent hidden layer the readout only integrates its bias (zero): logits 0.
	for k, v := range out {
		if v != 0 {
			t.Errorf("logit %d = %g with silent recorded hidden layer, want 0", k, v)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"alpha":         func(c *Config) { c.Alpha = 1 },
		"reset":         func(c *Config) { c.Reset = "soft" },
		"spiking+sum":   func(c *Config) { c.Readout = "spiking" },
		"leaky+count":   func(c *Config) { c.Loss = LossCount },
		"surrogate":     func(c *Config) { c.Surrogate.Kind = "relu" },
		"one layer":     func(c *Config) { c.Sizes = []int{3} },
		"zero-size":     func(c *Config) { c.Sizes = []int{3, 0, 2} },
		"bad threshold": func(c *Config) { c.Threshold = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig(3, 4, 2)
			mod(&c)
			if _, err := New(c); err == nil {
				t.Errorf("accepted %+v", c)
			}
		})
	}
	for _, s := range []string{"4", "4-x-3", "4--3", "4-0-3"} {
		if _, err := ParseArch(s); err == nil {
			t.Errorf("ParseArch(%q) accepted", s)
		}
	}
	if _, err := ParseArch("4-120-3"); err != nil {
		t.Error(err)
	}
	_ = fmt.Sprint()
}
