package llvm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/loihi/loihifix"
)

// gradedStim is one stream of graded events.
func gradedStim(name string, size, steps int, times, idx []int, vals []float64) *emulator.Stimulus {
	return &emulator.Stimulus{Dt: 1e-3, Steps: steps, Streams: map[string]*emulator.Stream{name: {Shape: []int{size},
		Times: times, Indices: idx, Values: vals}}}
}

// TestGradedInputMatchesLoihi: graded input events (values) on the hand-computed
// network of the loihi target's TestGradedInput give its q (76.8 → 77, the delayed
// synapse −512), and on stimuli with exact halves (half away from zero, both signs)
// and saturating values (round(word·v) clamped to int32, then added modulo 2^32 and
// wrapped to 22 bits) the same u, v, q as the Go emulator.
func TestGradedInputMatchesLoihi(t *testing.T) {
	needTools(t)
	nl := loihifix.GradedNetlist()
	probes := allProbes(nl)
	// words (legalized, chip mode): 640, 384, −256 (delay 2), 256, 0 (w = 1 legalizes
	// to 0 with 8 bits)
	cases := []struct {
		name string
		stim *emulator.Stimulus
		q    [][]float64 // hand-computed A.q, nil: compare with loihi only
	}{
		{"hand", gradedStim("in", 3, 4, []int{0, 0, 0}, []int{0, 1, 2}, []float64{0.3, -1.25, 2}), [][]float64{
			{0, 0},
			{math.Round(640*0.3) + math.Round(384*-1.25), math.Round(256 * 0.3)}, // 192 − 480, 76.8 → 77
			{0, 0},
			{math.Round(-256 * 2), 0},
		}},
		// v = k/256: 640·v = 2.5k, 384·v = 1.5k, 256·v = k, all exact; odd k gives
		// exact halves, rounded away from zero in both directions
		{"halves", gradedStim("in", 3, 6, []int{0, 1, 1, 2, 2, 3}, []int{0, 0, 1, 1, 2, 0},
			[]float64{1.0 / 256, -1.0 / 256, -3.0 / 256, 1.0 / 256, 1.0 / 512, 3.0 / 256}), [][]float64{
			{0, 0},
			{3, 1},       // 2.5 → 3; 1
			{-3 - 5, -1}, // −2.5 → −3, −4.5 → −5; −1
			{2, 0},       // 1.5 → 2 (in 2 at t = 2: −256/512 = −0.5 → −1, due at t = 5)
			{8, 3},       // 7.5 → 8; 3
			{-1, 0},      // the delayed −0.5 → −1
		}},
		// ±1e12: every word saturates to ±(2^31 − 1) / −2^31, sums wrap modulo 2^32 and q
		// wraps to 22 bits; 3e9·640 and −3e9·640 saturate too
		{"saturate", gradedStim("in", 3, 5, []int{0, 0, 1, 1, 1, 2}, []int{0, 1, 0, 1, 2, 2},
			[]float64{1e12, 1e12, -1e12, -3e9, 1e300, -1e300}), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, got := runBoth(t, nl, c.stim, c.stim.Steps, probes)
			sameTrace(t, want, got)
			if c.q == nil {
				return
			}
			if d := cmp.Diff(c.q, got.Probe("A.q").Data); d != "" {
				t.Errorf("native A.q (-hand +native):\n%s", d)
			}
		})
	}
}

// gradedRandomNet is a random network with per-synapse delays whose input projections
// take every delivery layout of genDeliver: graded inputs g (size 24) and h (16), a
// unit-spike input s (8); populations A (40, per-neuron registers and refractory
// periods), B (32) and C (20, one accumulator slot).
//
//	g→A  sparse, per-synapse delays, contributions within int16    (pairable + dly)
//	g→B  sparse, weight_exp 3: contributions beyond int16           (packable)
//	h→B  dense, uniform delay 1                                     (dense rows)
//	h→C  sparse, one weight per row, no delay, C has one slot       (rowUniform, padded)
//	s→A  sparse, delays, unit spikes                                (unit path beside graded)
//	A→B  sparse with delays, B→A dense (recurrence)
func gradedRandomNet(seed uint64, steps int) (*ir.Netlist, *emulator.Stimulus) {
	r := emulator.NewRand(seed, 3)
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3)}
	nl.Inputs = []*ir.Port{{Name: "g", Shape: []int{24}, Size: 24}, {Name: "h", Shape: []int{16}, Size: 16}, {Name: "s", Shape: []int{8}, Size: 8}}
	per := func(n int, lo, hi int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(lo + int(r.Uint64()%uint64(hi-lo+1)))
		}
		return v
	}
	cuba := func(name string, n int, params map[string][]float64) *ir.Population {
		return &ir.Population{Name: name, Model: ir.TLoihiCUBA, Shape: []int{n}, Size: n, Spiking: true, Compare: ">",
			Reset: ir.ResetRule{Mode: "to_value", Timing: "immediate"}, Params: params}
	}
	nl.Populations = []*ir.Population{
		cuba("A", 40, map[string][]float64{"du": per(40, 200, 3000), "dv": per(40, 0, 1500), "vth": per(40, 200, 900),
			"bias_mant": per(40, -20, 40), "bias_exp": {1}, "refract_delay": per(40, 1, 4)}),
		cuba("B", 32, map[string][]float64{"du": {1500}, "dv": {300}, "vth": {700}, "bias_mant": {0}, "bias_exp": {0}, "refract_delay": {2}}),
		cuba("C", 20, map[string][]float64{"du": {800}, "dv": {100}, "vth": {400}, "bias_mant": {5}, "bias_exp": {0}}),
	}
	w8 := func() float64 { return float64(2 * (int(r.Uint64()%256) - 120)) }
	sparse := func(name, pre, post string, npre, npost int, p float64, exp int, maxDelay int, rowW bool) *ir.Projection {
		pr := &ir.Projection{Name: name, Pre: pre, Post: post, PreSize: npre, PostSize: npost, Kind: ir.Sparse, Latency: 1,
			Native: map[string]float64{"weight_exp": float64(exp), "num_weight_bits": 8}}
		for i := 0; i < npre; i++ {
			rw := w8()
			for j := 0; j < npost; j++ {
				if r.Float64() >= p {
					continue
				}
				w := w8()
				if rowW {
					w = rw
				}
				if w == 0 {
					w = 2
				}
				pr.PreIdx = append(pr.PreIdx, int32(i))
				pr.PostIdx = append(pr.PostIdx, int32(j))
				pr.W = append(pr.W, w)
				if maxDelay > 0 {
					pr.Delay = append(pr.Delay, int32(r.Uint64()%uint64(maxDelay+1)))
				}
			}
		}
		return pr
	}
	dense := func(name, pre, post string, npre, npost, exp, delay int) *ir.Projection {
		pr := &ir.Projection{Name: name, Pre: pre, Post: post, PreSize: npre, PostSize: npost, Kind: ir.Dense, Latency: 1,
			Native: map[string]float64{"weight_exp": float64(exp), "num_weight_bits": 8}}
		pr.W = make([]float64, npre*npost)
		for k := range pr.W {
			pr.W[k] = w8()
		}
		if delay > 0 {
			pr.Delay = make([]int32, npre*npost)
			for k := range pr.Delay {
				pr.Delay[k] = int32(delay)
			}
		}
		return pr
	}
	nl.Projections = []*ir.Projection{
		sparse("gA", "g", "A", 24, 40, 0.3, 0, 6, false),
		sparse("gB", "g", "B", 24, 32, 0.2, 3, 0, false),
		dense("hB", "h", "B", 16, 32, 0, 1),
		sparse("hC", "h", "C", 16, 20, 0.4, 1, 0, true),
		sparse("sA", "s", "A", 8, 40, 0.4, 1, 3, false),
		sparse("AB", "A", "B", 40, 32, 0.3, 0, 4, false),
		dense("BA", "B", "A", 32, 40, -1, 0),
	}
	nl.Outputs = []*ir.Port{{Name: "oa", Shape: []int{40}, Size: 40, Source: "A", Kind: "spikes"},
		{Name: "ob", Shape: []int{32}, Size: 32, Source: "B", Kind: "spikes"},
		{Name: "oc", Shape: []int{20}, Size: 20, Source: "C", Kind: "spikes"}}
	stim := &emulator.Stimulus{Dt: 1e-3, Steps: steps, Streams: map[string]*emulator.Stream{}}
	for _, in := range nl.Inputs {
		st := &emulator.Stream{Shape: in.Shape}
		graded := in.Name != "s"
		for t := 0; t < steps; t++ {
			for i := 0; i < in.Size; i++ {
				if r.Float64() >= 0.3 {
					continue
				}
				st.Times = append(st.Times, t)
				st.Indices = append(st.Indices, i)
				if graded {
					// multiples of 1/1024 in [−1.5, 3]: the words are multiples of 128
					// (even 8-bit weights << 6), so many word·v are exact halves
					st.Values = append(st.Values, float64(int(r.Uint64()%4609)-1536)/1024)
				}
			}
		}
		stim.Streams[in.Name] = st
	}
	return nl, stim
}

// TestGradedRandomMatchesLoihi: the random network of gradedRandomNet (graded and unit
// inputs, every delivery layout, delays, recurrence) gives the same spikes and u, v, q
// natively as on the Go emulator, in one Run and in three continued Runs (the graded
// history is replayed).
func TestGradedRandomMatchesLoihi(t *testing.T) {
	needTools(t)
	const steps = 200
	nl, stim := gradedRandomNet(5, steps)
	img, _, err := Target{}.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	net := img.(*image).net
	layouts := map[string]bool{}
	for j := range net.projs {
		pr := &net.projs[j]
		if pr.src < len(net.pops) {
			continue
		}
		if net.pops[pr.post].fused {
			t.Fatalf("population %s is fed by an input but fused", net.pops[pr.post].name)
		}
		switch {
		case pr.dense:
			layouts["dense"] = true
		case padded(pr, net):
			layouts["padded"] = true
		case rowUniform(pr):
			layouts["rowUniform"] = true
		case pairable(pr):
			layouts["pairable"] = true
			if pr.dly != nil {
				layouts["delays"] = true
			}
		case packable(pr):
			layouts["packable"] = true
		}
	}
	for _, l := range []string{"dense", "padded", "pairable", "delays", "packable"} {
		if !layouts[l] {
			t.Errorf("no input projection takes the %s layout: %v", l, layouts)
		}
	}
	probes := allProbes(nl)
	want, got := runBoth(t, nl, stim, steps, probes)
	sameTrace(t, want, got)
	for _, o := range []string{"oa", "ob", "oc"} {
		if got.Streams[o].Len() < 20 {
			t.Errorf("output %s has %d spikes: the test exercises too little", o, got.Streams[o].Len())
		}
	}
	t.Logf("%d output spikes", countSpikes(got))

	// continued Runs, both targets
	lm, nm := loadBoth(t, nl)
	for _, cut := range [][2]int{{0, 70}, {70, 71}, {71, steps}} {
		part := sliceStim(stim, cut[0], cut[1])
		a, err := lm.Run(context.Background(), part, cut[1]-cut[0], probes)
		if err != nil {
			t.Fatal(err)
		}
		b, err := nm.Run(context.Background(), part, cut[1]-cut[0], probes)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("steps %d-%d", cut[0], cut[1]), func(t *testing.T) { sameTrace(t, a, b) })
	}
}

// TestModuleMachineV1: a bare module of io header version 1 (protocol "SNN1", written
// before graded events) still runs unit spikes like a current image, and refuses
// graded events naming the stream.
func TestModuleMachineV1(t *testing.T) {
	needTools(t)
	text, err := os.ReadFile(filepath.Join("testdata", "v1_delays.ll"))
	if err != nil {
		t.Fatal(err)
	}
	mm, err := ModuleMachine(string(text))
	if err != nil {
		t.Fatal(err)
	}
	nl, stim := delayNetlist()
	img, _, err := Target{}.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	moduleMatchesImage(t, mm, img, stim)
	mm.Reset()
	g := gradedStim("in", 3, 5, []int{0}, []int{0}, []float64{0.5})
	if _, err := mm.Run(context.Background(), g, 5, nil); !errors.Is(err, ErrInput) {
		t.Fatalf("graded events on a version 1 module: %v, want ErrInput", err)
	}
}
