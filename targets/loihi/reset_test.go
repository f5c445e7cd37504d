package loihi

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/targets"
)

// TestResetRepeatable: Run, Reset, Run gives the same spikes and statistics, on the
// parallel path (CUBA 4000 neurons is above sequentialBelow).
func TestResetRepeatable(t *testing.T) {
	nl := CUBA(CUBAConfig{N: 4000, SynPerNeuron: 80, Seed: 1})
	tg := New(Loihi1)
	img, _, err := tg.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := tg.Load(img, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var runs [2][]float64
	for r := range runs {
		m.Reset()
		tr, err := m.Run(context.Background(), nil, 1500, nil)
		if err != nil {
			t.Fatal(err)
		}
		sp, _ := tr.Stat("spikes")
		ev, _ := tr.Stat("synaptic_events")
		runs[r] = []float64{sp, ev}
	}
	if d := cmp.Diff(runs[0], runs[1]); d != "" {
		t.Errorf("second run differs (-first +second):\n%s", d)
	}
}
