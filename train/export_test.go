package train

import (
	"context"
	"strings"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
	_ "github.com/snnc/snnc/targets/ref"
	"github.com/snnc/snnc/train/data"
)

// buildRef compiles g for ref with compiler.Build. model-format.md: with edge_latency zero
// only an edge that closes a cycle (rec*) carries the previous step's output.
func buildRef(t *testing.T, g *ir.Graph) targets.Machine {
	t.Helper()
	res, err := compiler.Build(g, "ref", compiler.Options{Verify: true}, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range res.Netlist.Projections {
		want := 0
		if strings.HasPrefix(pr.Name, "rec") {
			want = 1
		}
		if pr.Latency != want {
			t.Errorf("projection %s %s→%s: latency %d, want %d under edge_latency zero", pr.Name, pr.Pre, pr.Post, pr.Latency, want)
		}
	}
	mach, err := res.Target.Load(res.Image, res.Options)
	if err != nil {
		t.Fatal(err)
	}
	return mach
}

// TestExportRefReproducesPredictions trains small models, exports them and runs them on
// the ref target: every test prediction must equal the trainer's own.
func TestExportRefReproducesPredictions(t *testing.T) {
	sp, err := data.YinYang(data.Options{Seed: 4, Train: 600, Test: 300})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		mod  func(*Config)
		enc  data.Encoder
	}{
		{"leaky-sum-current", func(c *Config) {}, data.Current{}},
		{"leaky-max-zero-reset", func(c *Config) { c.Loss, c.Reset = LossMax, ResetZero }, data.Current{}},
		{"spiking-count-recurrent", func(c *Config) { c.Readout, c.Loss, c.Recurrent = "spiking", LossCount, true }, data.Current{}},
		{"latency-spikes", func(c *Config) {}, data.Latency{Bias: true}},
		{"rate-spikes-recurrent", func(c *Config) { c.Recurrent = true }, data.Rate{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const steps = 16
			cfg := DefaultConfig(tc.enc.Inputs(4), 24, 16, 3)
			cfg.Loss = LossSum
			tc.mod(&cfg)
			m, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tc.enc.Name() == "latency" { // one spike per channel: too sparse for the shot-noise estimate
				m.InitKaiming(1)
			} else if err := m.InitFluct(FluctInit{}, sp.Train, tc.enc, steps, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := Fit(context.Background(), m, sp.Train, nil, Options{Epochs: 2, Batch: 32, Steps: steps, LR: 0.01, Schedule: "const", Encoder: tc.enc, EvalSeed: 9}); err != nil {
				t.Fatal(err)
			}
			want, err := Evaluate(m, sp.Test, tc.enc, steps, 9)
			if err != nil {
				t.Fatal(err)
			}
			if want.Rates[0] == 0 {
				t.Fatalf("hidden layer silent; the comparison would be vacuous")
			}
			g, err := m.ExportGraph(ExportMeta{Steps: steps})
			if err != nil {
				t.Fatal(err)
			}
			// Through the file format: encode, decode, compile.
			b, err := snnjson.Encode(g)
			if err != nil {
				t.Fatal(err)
			}
			g2, err := snnjson.Decode(b, "")
			if err != nil {
				t.Fatalf("decode the exported model: %v", err)
			}
			if meta := ReadMeta(g2); meta == nil || meta.Steps != steps {
				t.Errorf("training metadata lost in the file: %+v", meta)
			}
			mach := buildRef(t, g2)
			got, err := EvaluateMachine(context.Background(), mach, sp.Test, tc.enc, steps, 9, cfg.Loss, 3, cfg.Dt, nil)
			if err != nil {
				t.Fatal(err)
			}
			diff := 0
			for i := range want.Predictions {
				if want.Predictions[i] != got.Predictions[i] {
					if diff < 5 {
						t.Errorf("sample %d: trainer predicts %d, ref %d", i, want.Predictions[i], got.Predictions[i])
					}
					diff++
				}
			}
			if diff > 0 {
				t.Errorf("%d of %d predictions differ", diff, len(want.Predictions))
			}
			if got.Accuracy != want.Accuracy {
				t.Errorf("accuracy: trainer %v, ref %v", want.Accuracy, got.Accuracy)
			}
			if wantSp := want.SpikesPerSample; wantSp != got.SpikesPerSample {
				t.Errorf("spikes per sample: trainer %v, ref %v", wantSp, got.SpikesPerSample)
			}
			t.Logf("accuracy %.3f, spikes/sample %.1f", want.Accuracy, want.SpikesPerSample)
		})
	}
}

// TestOutputLag: a zero-latency chain answers one step per layer late on a pipelined
// target, not at all late on ref or when the model itself says one_step.
func TestOutputLag(t *testing.T) {
	nl := &ir.Netlist{Semantics: ir.Semantics{EdgeLatency: "zero"},
		Inputs:      []*ir.Port{{Name: "in"}},
		Populations: []*ir.Population{{Name: "h1"}, {Name: "h2"}, {Name: "o"}},
		Projections: []*ir.Projection{{Pre: "in", Post: "h1"}, {Pre: "h1", Post: "h2"}, {Pre: "h2", Post: "h2", Latency: 1}, {Pre: "h2", Post: "o"}},
		Outputs:     []*ir.Port{{Name: "out", Source: "o"}}}
	if got := OutputLag(nl, "loihi"); got != 3 {
		t.Errorf("lag on loihi = %d, want 3", got)
	}
	if got := OutputLag(nl, "ref"); got != 0 {
		t.Errorf("lag on ref = %d, want 0", got)
	}
	nl.Semantics.EdgeLatency = "one_step"
	if got := OutputLag(nl, "crossbar"); got != 0 {
		t.Errorf("lag of a one_step model = %d, want 0", got)
	}
}
