package hil

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/snnc/snnc/targets"
	_ "github.com/snnc/snnc/targets/analog"
	_ "github.com/snnc/snnc/targets/crossbar"
	_ "github.com/snnc/snnc/targets/ref"
	"github.com/snnc/snnc/train"
	"github.com/snnc/snnc/train/data"
)

// smallModel trains a Yin-Yang 4-H-3 model for a few epochs (deterministic).
func smallModel(t testing.TB, hidden, n, epochs int, reset string) (*train.Model, *data.Splits) {
	t.Helper()
	sp, err := data.YinYang(data.Options{Seed: 3, Train: n, Test: 300})
	if err != nil {
		t.Fatal(err)
	}
	m, err := train.New(train.DefaultConfig(4, hidden, 3))
	if err != nil {
		t.Fatal(err)
	}
	m.Cfg.Loss, m.Cfg.Reset = train.LossSum, reset
	enc := data.Current{}
	if err := m.InitFluct(train.FluctInit{}, sp.Train, enc, 20, 3); err != nil {
		t.Fatal(err)
	}
	_, err = train.Fit(context.Background(), m, sp.Train, nil, train.Options{Epochs: epochs, Batch: 32, Steps: 20, LR: 0.01, Schedule: "cosine", Seed: 3, Encoder: enc})
	if err != nil {
		t.Fatal(err)
	}
	return m, sp
}

// finetuneFixture is the small fine-tuning case (skipped with -short): smallModel with 64
// hidden neurons trained on 2000 samples and the Options for epochs epochs of fine-tuning
// with the current encoder over 20 steps at lr 0.005.
func finetuneFixture(t *testing.T, reset string, epochs int) (*train.Model, *data.Splits, Options) {
	t.Helper()
	if testing.Short() {
		t.Skip("trains and fine-tunes (~10 s)")
	}
	m, sp := smallModel(t, 64, 2000, 15, reset)
	opt := Defaults
	opt.Steps, opt.Encoder, opt.Epochs, opt.LR = 20, data.Current{}, epochs, 0.005
	return m, sp, opt
}

// TestBackwardMatchesTrainOnRef: on ref (zero latency, exact) the recorded state is the
// model's own, so the recorded-state gradient equals train's BPTT gradient.
func TestBackwardMatchesTrainOnRef(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*train.Config)
	}{
		{"leaky-sum", func(c *train.Config) { c.Loss = train.LossSum }},
		{"leaky-max-zero-reset", func(c *train.Config) { c.Loss, c.Reset = train.LossMax, train.ResetZero }},
		{"spiking-count-recurrent", func(c *train.Config) { c.Readout, c.Loss, c.Recurrent = "spiking", train.LossCount, true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp, err := data.YinYang(data.Options{Seed: 5, Train: 64, Test: 8})
			if err != nil {
				t.Fatal(err)
			}
			cfg := train.DefaultConfig(4, 24, 3)
			tc.mod(&cfg)
			m, err := train.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m.InitKaiming(7)
			for _, l := range m.Layers { // stronger weights: hidden spikes
				for i := range l.W {
					l.W[i] *= 3
				}
			}
			const T = 20
			mach, _, err := deploy(m, train.ExportMeta{Steps: T}, "ref", targets.Options{Seed: 1}, true, 1)
			if err != nil {
				t.Fatal(err)
			}
			enc := data.Current{}
			rec := newRecorder(mach, "ref", m, enc, T, true)
			bw := newBwork(m, T)
			work := m.NewWork(T)
			buf := make([]float64, 4*T)
			spikes := 0.0
			for i := 0; i < 8; i++ {
				in, err := rec.record(context.Background(), sp.Train, i, 0, true)
				if err != nil {
					t.Fatal(err)
				}
				got := m.NewGrads()
				backward(m, in, &rec.st, sp.Train.Y[i], 1, got, bw)
				in2 := encode(buf, enc, sp.Train, i, T, 0)
				logits := work.Forward(&in2, nil)
				if d := cmp.Diff(append([]float64(nil), logits...), rec.st.logits, cmpopts.EquateApprox(0, 1e-9)); d != "" {
					t.Fatalf("sample %d: chip logits differ from the model's (-model +chip):\n%s", i, d)
				}
				want := m.NewGrads()
				work.Backward(&in2, sp.Train.Y[i], 0, 1, want)
				for _, s := range work.S[0] {
					spikes += s
				}
				opt := cmpopts.EquateApprox(1e-9, 1e-12)
				if d := cmp.Diff(want.W, got.W, opt); d != "" {
					t.Fatalf("sample %d: W gradient (-train +hil):\n%s", i, d)
				}
				if d := cmp.Diff(want.V, got.V, opt); d != "" {
					t.Fatalf("sample %d: V gradient (-train +hil):\n%s", i, d)
				}
			}
			if spikes == 0 {
				t.Fatal("no hidden spikes: the test would not exercise the surrogate path")
			}
		})
	}
}

// TestModelFromGraphRoundTrip: export, import, same weights and predictions.
func TestModelFromGraphRoundTrip(t *testing.T) {
	cfg := train.DefaultConfig(4, 10, 3)
	cfg.Recurrent, cfg.Reset = true, train.ResetZero
	m, err := train.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitKaiming(2)
	g, err := m.ExportGraph(train.ExportMeta{Steps: 20, Dataset: "yinyang"})
	if err != nil {
		t.Fatal(err)
	}
	got, meta, err := ModelFromGraph(g)
	if err != nil {
		t.Fatal(err)
	}
	if meta == nil || meta.Dataset != "yinyang" || meta.Steps != 20 {
		t.Fatalf("meta %+v", meta)
	}
	if d := cmp.Diff(m, got, cmpopts.EquateApprox(0, 1e-12)); d != "" {
		t.Fatalf("round trip (-want +got):\n%s", d)
	}
	if math.Abs(got.Cfg.Alpha-0.75) > 0 {
		t.Fatal(got.Cfg.Alpha)
	}
}
