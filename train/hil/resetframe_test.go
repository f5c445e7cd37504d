package hil

import (
	"context"
	"testing"

	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
	"github.com/snnc/snnc/train/data"
)

// TestSpikeStepMembrane: on a resetInFrame target (analog) the membrane the trainer uses
// at a recorded spike step is the threshold (the sample shows the reset potential), so
// the surrogate σ'(U − θ) is not switched off exactly where the chip spiked; elsewhere it
// is the recorded sample. On ref (pre-reset state exposed) spike steps keep the sample,
// which is above the threshold.
func TestSpikeStepMembrane(t *testing.T) {
	const T = 20
	sp, err := data.YinYang(data.Options{Seed: 2, Train: 16, Test: 16})
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.DefaultConfig(4, 16, 3)
	cfg.Loss, cfg.Reset = train.LossSum, train.ResetZero
	m, err := train.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitKaiming(1)
	for i := range m.Layers[0].B {
		m.Layers[0].B[i] = 0.2 // every hidden neuron fires regularly
	}
	for _, target := range []string{"analog", "ref"} {
		t.Run(target, func(t *testing.T) {
			topt := targets.Options{Seed: 1, Flags: map[string]string{}}
			if target == "analog" {
				topt.Flags = map[string]string{"mismatch": "0", "noise": "0"}
			}
			mach, _, err := deploy(m, train.ExportMeta{Steps: T}, target, topt, true, 1)
			if err != nil {
				t.Fatal(err)
			}
			r := newRecorder(mach, target, m, data.Current{}, T, true)
			if _, err := r.record(context.Background(), sp.Test, 0, 1, true); err != nil {
				t.Fatal(err)
			}
			th := m.Cfg.Threshold
			spikes, atTh := 0, 0
			for k, s := range r.st.S[0] {
				if s == 0 {
					continue
				}
				spikes++
				if r.st.U[0][k] == th {
					atTh++
				}
			}
			if spikes == 0 {
				t.Fatal("no hidden spikes recorded")
			}
			switch target {
			case "analog":
				if atTh != spikes {
					t.Errorf("%d of %d spike steps have U = θ, want all", atTh, spikes)
				}
			default:
				if atTh == spikes {
					t.Errorf("every spike step has U = θ on %s (pre-reset state expected)", target)
				}
			}
		})
	}
}
