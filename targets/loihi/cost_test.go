package loihi

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/loihi/loihifix"
)

func stat(t *testing.T, tr *emulator.Trace, key string) float64 {
	t.Helper()
	v, ok := tr.Stat(key)
	if !ok {
		t.Fatalf("no stat %s in %v", key, tr.Stats)
	}
	return v
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// TestCostHandComputed: one input spike into two compartments (du = dv = 4095, so the
// state is gone two steps later), 4 steps, Davies profile, one tile:
//
//	step 0: 2 inactive                       T = 2·5.3 ns
//	step 1: 2 synops, 2 active (input)       T = 2·3.5 + 2·8.4 ns
//	step 2: 2 active (u ≠ 0)                 T = 2·8.4 ns
//	step 3: 2 inactive                       T = 2·5.3 ns
//	+ barrier 113 ns per step; E = 2·23.6 + 4·81 + 4·52 pJ + 0.104 W · time.
func TestCostHandComputed(t *testing.T) {
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3), Inputs: []*ir.Port{{Name: "in", Shape: []int{1}, Size: 1}}}
	nl.Populations = []*ir.Population{{Name: "A", Model: ir.TLoihiCUBA, Shape: []int{2}, Size: 2,
		Params: map[string][]float64{"du": {4095}, "dv": {4095}, "vth": {100}}}}
	nl.Projections = []*ir.Projection{{Name: "D", Pre: "in", Post: "A", PreSize: 1, PostSize: 2, Kind: ir.Dense, W: []float64{10, 10}, Latency: 1,
		Native: map[string]float64{"weight_exp": 0}}}
	stim := &emulator.Stimulus{Dt: 1e-3, Steps: 4, Streams: map[string]*emulator.Stream{"in": {Shape: []int{1}, Times: []int{0}, Indices: []int{0}}}}
	tr := runAll(t, New(Loihi1), nl, nil, stim, 4, nil)
	wantT := (2*5.3+2*3.5+2*8.4+2*8.4+2*5.3)*1e-9 + 4*113e-9
	wantDyn := (2*23.6 + 4*81 + 4*52) * 1e-12
	checks := []struct {
		key  string
		want float64
	}{
		{"synaptic_events", 2}, {"spikes", 0}, {"neuron_updates", 8}, {"cycles", 4},
		{"loihi.active_updates", 4}, {"loihi.inactive_updates", 4},
		{"time_s", wantT}, {"loihi.energy_dynamic_j", wantDyn}, {"loihi.energy_static_j", 0.104 * wantT},
		{"energy_j", wantDyn + 0.104*wantT}, {"loihi.barrier_s", 4 * 113e-9},
	}
	for _, c := range checks {
		if got := stat(t, tr, c.key); !near(got, c.want) {
			t.Errorf("%s = %g, want %g", c.key, got, c.want)
		}
	}
}

// TestCostHops: two single-compartment cores on neighbouring tiles; neuron 0 fires
// every step (bias > threshold) into neuron 1: one message and one E-W hop per spike.
func TestCostHops(t *testing.T) {
	hw := Loihi1
	hw.CompartmentsPerCore, hw.CoresPerTile = 1, 1
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3)}
	nl.Populations = []*ir.Population{{Name: "A", Model: ir.TLoihiCUBA, Shape: []int{2}, Size: 2,
		Params: map[string][]float64{"du": {4095}, "dv": {4095}, "vth": {0}, "bias_mant": {100, 0}}}}
	nl.Projections = []*ir.Projection{{Name: "R", Pre: "A", Post: "A", PreSize: 2, PostSize: 2, Kind: ir.Sparse, W: []float64{1},
		PreIdx: []int32{0}, PostIdx: []int32{1}, Latency: 1, Native: map[string]float64{"weight_exp": 0}}}
	tr := runAll(t, New(hw), nl, map[string]string{"energy-profile": "davies"}, nil, 10, nil)
	spikes := stat(t, tr, "spikes")
	if spikes < 10 {
		t.Fatalf("spikes %v, want neuron 0 every step (+ neuron 1)", spikes)
	}
	if got := stat(t, tr, "loihi.spike_messages"); got != 10 {
		t.Errorf("messages %v, want 10 (neuron 0's spikes; neuron 1 has no targets)", got)
	}
	if got := stat(t, tr, "loihi.tile_hops_ew"); got != 10 {
		t.Errorf("E-W hops %v, want 10", got)
	}
	if got := stat(t, tr, "loihi.tile_hops_ns"); got != 0 {
		t.Errorf("N-S hops %v, want 0", got)
	}
	// measured profile costs more per synaptic op: energy must differ
	tr2 := runAll(t, New(hw), nl, map[string]string{"energy-profile": "measured"}, nil, 10, nil)
	if stat(t, tr2, "energy_j") == stat(t, tr, "energy_j") {
		t.Error("energy profile has no effect")
	}
	_ = targets.Options{}
}

// TestGradedInput: an input event with a value is a graded spike of that size (spikes-
// format "values"; docs/loihi.md "Graded inputs"): each synapse adds round(word·value),
// half away from zero, into the slot of t + 1 + delay, and counts as one synaptic op.
// Hand-computed q (chip mode, weight_exp 0, word = w·2^6): inputs (0.3, −1.25, 2) at
// t = 0 through weights (10, 7, −3) into neuron 0 and (5, ·, 1) into neuron 1, the
// third synapse of neuron 0 delayed by 2 steps. Mixed sign mode legalizes the weights
// first (spec §4: the low bit floored): 10, 6, −4 and 4, 0 — words 640, 384, −256, 256.
func TestGradedInput(t *testing.T) {
	nl := loihifix.GradedNetlist()
	stim := &emulator.Stimulus{Dt: 1e-3, Steps: 4, Streams: map[string]*emulator.Stream{"in": {Shape: []int{3},
		Times: []int{0, 0, 0}, Indices: []int{0, 1, 2}, Values: []float64{0.3, -1.25, 2}}}}
	tr := runAll(t, New(Loihi1), nl, nil, stim, 4, []string{"A.q"})
	r := func(x float64) float64 { return math.Round(x) }
	want := [][]float64{
		{0, 0},
		{r(640*0.3) + r(384*-1.25), r(256*0.3) + r(0*2)}, // 192 − 480, 76.8 → 77
		{0, 0},
		{r(-256 * 2), 0}, // the delayed synapse: −512
	}
	if d := cmp.Diff(want, tr.Probes[0].Data); d != "" {
		t.Errorf("q (-want +got):\n%s", d)
	}
	if got := stat(t, tr, "synaptic_events"); got != 5 {
		t.Errorf("synaptic_events = %g, want 5", got)
	}
	bad := &emulator.Stimulus{Dt: 1e-3, Steps: 4, Streams: map[string]*emulator.Stream{"in": {Shape: []int{3},
		Times: []int{0}, Indices: []int{0}, Values: []float64{math.NaN()}}}}
	img, _, err := New(Loihi1).Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := New(Loihi1).Load(img, targets.Options{})
	if _, err := m.Run(context.Background(), bad, 4, nil); !errors.Is(err, emulator.ErrStimulus) {
		t.Errorf("NaN value: %v, want ErrStimulus", err)
	}
}
