package loihi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/quantize"
	"github.com/snnc/snnc/targets"
)

// randomNet builds a native two-population recurrent network with Poisson input:
// in (nin) → A (na) → B (nb), B → A, random sparse weights and delays.
func randomNet(seed uint64, nin, na, nb int, p float64, maxDelay int) (*ir.Netlist, *emulator.Stimulus) {
	r := emulator.NewRand(seed, 0)
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3)}
	nl.Inputs = []*ir.Port{{Name: "in", Shape: []int{nin}, Size: nin}}
	pop := func(name string, n int) *ir.Population {
		bm := make([]float64, n)
		for i := range bm {
			bm[i] = float64(r.Intn(200))
		}
		return &ir.Population{Name: name, Model: ir.TLoihiCUBA, Shape: []int{n}, Size: n, Spiking: true,
			Params: map[string][]float64{"du": {400}, "dv": {300}, "vth": {900}, "bias_mant": bm, "bias_exp": {3}, "refract_delay": {2}}}
	}
	nl.Populations = []*ir.Population{pop("A", na), pop("B", nb)}
	proj := func(name, pre, post string, npre, npost int, exp float64, neg bool) *ir.Projection {
		pr := &ir.Projection{Name: name, Pre: pre, Post: post, PreSize: npre, PostSize: npost, Kind: ir.Sparse, Latency: 1,
			Native: map[string]float64{"weight_exp": exp, "num_weight_bits": 8}}
		for i := 0; i < npre; i++ {
			for j := 0; j < npost; j++ {
				if r.Float64() < p {
					w := float64(r.Intn(255) + 1)
					if neg && r.Intn(4) == 0 {
						w = -w
					}
					pr.W = append(pr.W, w)
					pr.PreIdx = append(pr.PreIdx, int32(i))
					pr.PostIdx = append(pr.PostIdx, int32(j))
					pr.Delay = append(pr.Delay, int32(r.Intn(maxDelay+1)))
				}
			}
		}
		return pr
	}
	nl.Projections = []*ir.Projection{proj("inA", "in", "A", nin, na, 2, false), proj("AB", "A", "B", na, nb, 1, true), proj("BA", "B", "A", nb, na, 0, true)}
	nl.Outputs = []*ir.Port{{Name: "out", Shape: []int{nb}, Size: nb, Source: "B", Kind: "spikes"}}
	stim := &emulator.Stimulus{Dt: 1e-3, Steps: 200, Streams: map[string]*emulator.Stream{}}
	s := &emulator.Stream{Shape: []int{nin}}
	for t := 0; t < 200; t++ {
		for j := 0; j < nin; j++ {
			if r.Float64() < 0.05 {
				s.Times, s.Indices = append(s.Times, t), append(s.Indices, j)
			}
		}
	}
	stim.Streams["in"] = s
	return nl, stim
}

func runAll(t *testing.T, tg *Target, nl *ir.Netlist, flags map[string]string, stim *emulator.Stimulus, steps int, probes []string) *emulator.Trace {
	t.Helper()
	img, _, err := tg.Compile(nl, targets.Options{Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	m, err := tg.Load(img, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.Run(context.Background(), stim, steps, probes)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestGOMAXPROCSInvariant runs multi-core networks with 1 and 2 OS threads and with 1,
// 2 and 3 workers (the parallel engine forced on small networks), and with merged
// kernel calls off (every core through core.update), and requires
// identical traces and statistics: per-neuron parameters and delays (randomNet, chip
// and lava mode), and CUBA's merged uniform cores with a q probe.
func TestGOMAXPROCSInvariant(t *testing.T) {
	nl, stim := randomNet(7, 300, 2500, 1200, 0.02, 5)
	graded := &emulator.Stimulus{Dt: stim.Dt, Steps: stim.Steps, Streams: map[string]*emulator.Stream{}}
	for name, st := range stim.Streams {
		g := *st
		g.Values = make([]float64, len(st.Times))
		for k := range g.Values {
			g.Values[k] = 0.25 * float64(k%9)
		}
		graded.Streams[name] = &g
	}
	cuba := CUBA(CUBAConfig{N: 2000, SynPerNeuron: 80, Seed: 2})
	cuba.Outputs = []*ir.Port{{Name: "out", Shape: []int{2000}, Size: 2000, Source: "P", Kind: "spikes"}}
	cases := []struct {
		name   string
		nl     *ir.Netlist
		stim   *emulator.Stimulus
		flags  map[string]string
		probes []string
	}{
		{"chip", nl, stim, map[string]string{"loihi-mode": "chip"}, []string{"A.u", "A.v", "B.v", "B.q", "B.spikes"}},
		{"lava", nl, stim, map[string]string{"loihi-mode": "lava"}, []string{"A.u", "A.v", "B.v", "B.spikes"}},
		{"graded", nl, graded, nil, []string{"A.u", "A.v", "B.v", "B.q", "B.spikes"}},
		{"cuba", cuba, nil, nil, []string{"P.v", "P.q", "P.spikes"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ref *emulator.Trace
			for _, run := range []struct {
				procs, workers int
				noMerge        bool
			}{{1, 0, false}, {2, 0, false}, {2, 2, false}, {2, 3, false}, {1, 3, false}, {1, 0, true}, {2, 2, true}} {
				old := runtime.GOMAXPROCS(run.procs)
				forceWorkers, noMerge = run.workers, run.noMerge
				tr := runAll(t, New(Loihi1), tc.nl, tc.flags, tc.stim, 200, tc.probes)
				forceWorkers, noMerge = 0, false
				runtime.GOMAXPROCS(old)
				if ref == nil {
					ref = tr
					if n, _ := tr.Stat("spikes"); n == 0 {
						t.Fatal("network is silent; the test would prove nothing")
					}
					if c, _ := tr.Stat("loihi.cores"); c < 4 {
						t.Fatalf("only %v cores", c)
					}
					continue
				}
				if d := diff(ref, tr); d != "" {
					t.Fatalf("GOMAXPROCS=%d workers=%d noMerge=%v differs:\n%.2000s", run.procs, run.workers, run.noMerge, d)
				}
			}
		})
	}
}

// TestSplitMatchesSingleCore: the same population split over many cores gives the same
// trace as on few cores (probe rows in flat neuron order).
func TestSplitMatchesSingleCore(t *testing.T) {
	nl, stim := randomNet(3, 40, 300, 200, 0.05, 3)
	small := Loihi1
	small.CompartmentsPerCore = 37
	a := runAll(t, New(Loihi1), nl, nil, stim, 200, []string{"A.u", "A.v", "B.u", "B.spikes"})
	b := runAll(t, New(small), nl, nil, stim, 200, []string{"A.u", "A.v", "B.u", "B.spikes"})
	if c, _ := b.Stat("loihi.cores"); c < 10 {
		t.Fatalf("expected a split over ≥ 10 cores, got %v", c)
	}
	if d := diff(a.Probes, b.Probes); d != "" {
		t.Fatalf("split run differs:\n%.2000s", d)
	}
	if d := diff(a.Streams, b.Streams); d != "" {
		t.Fatalf("split run outputs differ:\n%.2000s", d)
	}
}

// TestImageRoundTrip: the payload is deterministic and a decoded image runs the same.
func TestImageRoundTrip(t *testing.T) {
	nl, stim := randomNet(5, 30, 100, 50, 0.1, 2)
	tg := New(Loihi1)
	opt := targets.WithDefaults(tg, targets.Options{})
	img1, _, err := tg.Compile(nl, opt)
	if err != nil {
		t.Fatal(err)
	}
	img2, _, _ := tg.Compile(nl, opt)
	p1, _ := img1.Payload()
	p2, _ := img2.Payload()
	if !bytes.Equal(p1, p2) {
		t.Fatal("payload not deterministic")
	}
	var buf bytes.Buffer
	if err := targets.EncodeImage(&buf, tg, opt, "x", img1); err != nil {
		t.Fatal(err)
	}
	ld, err := targets.DecodeImage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	run := func(img targets.Image) *emulator.Trace {
		m, err := tg.Load(img, opt)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Run(context.Background(), stim, 100, []string{"A.v", "B.u"})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	if d := diff(run(img1), run(ld.Image)); d != "" {
		t.Fatalf("decoded image runs differently:\n%.2000s", d)
	}
	if ld.Image.Report() == nil || len(ld.Image.Report().Tables) < 3 {
		t.Fatal("decoded image lost its report")
	}
}

func TestMachineResetAndWeights(t *testing.T) {
	nl, stim := randomNet(9, 30, 100, 50, 0.1, 2)
	tg := New(Loihi1)
	img, _, err := tg.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tg.Load(img, targets.Options{})
	a, _ := m.Run(context.Background(), stim, 100, []string{"B.v"})
	m.Reset()
	b, _ := m.Run(context.Background(), stim, 100, []string{"B.v"})
	if d := diff(a, b); d != "" {
		t.Fatalf("Reset does not restore t = 0:\n%.1000s", d)
	}
	w, err := m.Weights("AB")
	if err != nil {
		t.Fatal(err)
	}
	f := quantize.Format8{Domain: 8, Bits: 8, Sign: quantize.SignMixed}
	for k, x := range nl.Projection("AB").W {
		if want := float64(f.Legalize(int64(x))); w[k] != want {
			t.Fatalf("weight %d: %v, want legalized %v", k, w[k], want)
		}
	}
}

func TestSetWeightsChangesRun(t *testing.T) {
	nl, stim := randomNet(9, 30, 100, 50, 0.1, 0)
	tg := New(Loihi1)
	img, _, _ := tg.Compile(nl, targets.Options{})
	m, _ := tg.Load(img, targets.Options{})
	w, _ := m.Weights("inA")
	for k := range w {
		w[k] = 0.4 * w[k]
	}
	if err := m.SetWeights("inA", w); err != nil {
		t.Fatal(err)
	}
	got, _ := m.Weights("inA")
	for k := range w {
		if want := float64(int64(w[k] + 0.5)); got[k] != want { // exc, 8 bits: round half away
			t.Fatalf("weight %d: got %v want %v", k, got[k], want)
		}
	}
	// The same as compiling the scaled weights directly.
	nl2, _ := randomNet(9, 30, 100, 50, 0.1, 0)
	copy(nl2.Projection("inA").W, got)
	a, _ := m.Run(context.Background(), stim, 100, []string{"A.u"})
	b := runAll(t, tg, nl2, nil, stim, 100, []string{"A.u"})
	if d := diff(a.Probes, b.Probes); d != "" {
		t.Fatalf("SetWeights run differs from a recompile:\n%.1000s", d)
	}
	if err := m.SetWeights("nope", w); !errors.Is(err, targets.ErrNoProjection) {
		t.Fatalf("unknown projection: %v", err)
	}
}

func TestFlagsAndProbeErrors(t *testing.T) {
	nl, stim := randomNet(1, 5, 10, 10, 0.3, 0)
	tg := New(Loihi1)
	for _, f := range []map[string]string{{"loihi-mode": "gpu"}, {"chips": "0"}, {"chips": "x"}, {"energy-profile": "hot"}} {
		if _, _, err := tg.Compile(nl, targets.Options{Flags: f}); !errors.Is(err, targets.ErrFlag) {
			t.Errorf("flags %v: err %v, want ErrFlag", f, err)
		}
	}
	img, _, _ := tg.Compile(nl, targets.Options{Flags: map[string]string{"loihi-mode": "lava"}})
	m, _ := tg.Load(img, targets.Options{})
	for _, p := range []string{"A.q", "C.u", "A.w", "Au"} {
		if _, err := m.Run(context.Background(), stim, 3, []string{p}); err == nil {
			t.Errorf("probe %s accepted", p)
		}
	}
}

func TestNativeValidation(t *testing.T) {
	tg := New(Loihi1)
	cases := []struct {
		name, key string
		val       float64
		want      string
	}{
		{"du range", "du", 4096, "du"},
		{"vth range", "vth", 1 << 17, "vth"},
		{"bias_mant range", "bias_mant", 5000, "bias_mant"},
		{"non-integer", "dv", 1.5, "not an integer"},
		{"refract range", "refract_delay", 64, "refract_delay"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nl, _ := randomNet(1, 5, 10, 10, 0.3, 0)
			nl.Populations[0].Params[tc.key] = []float64{tc.val}
			_, _, err := tg.Compile(nl, targets.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "population A") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	nl, _ := randomNet(1, 5, 10, 10, 0.3, 0)
	nl.Projections[0].Native["weight_exp"] = 8
	if _, _, err := tg.Compile(nl, targets.Options{}); err == nil || !strings.Contains(err.Error(), "weight_exp") {
		t.Fatalf("weight_exp 8: %v", err)
	}
}

// TestLegalization: spec §4 examples (mixed 39→38, −37→−38, 255→254; inh floors the
// magnitude) and the change count in the report.
func TestLegalization(t *testing.T) {
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3), Inputs: []*ir.Port{{Name: "in", Shape: []int{4}, Size: 4}}}
	nl.Populations = []*ir.Population{{Name: "P", Model: ir.TLoihiCUBA, Shape: []int{2}, Size: 2, Params: map[string][]float64{"du": {0}, "dv": {0}, "vth": {10}}}}
	nl.Projections = []*ir.Projection{{Name: "D", Pre: "in", Post: "P", PreSize: 4, PostSize: 2, Kind: ir.Dense, Latency: 1,
		W: []float64{39, -37, 255, 300, -37, -37, -300, 5}, Native: map[string]float64{"weight_exp": 0, "num_weight_bits": 8}}}
	tg := New(Loihi1)
	img, rep, err := tg.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tg.Load(img, targets.Options{})
	w, _ := m.Weights("D")
	want := []float64{38, -38, 254, 254, -38, -38, -256, 4}
	if d := diff(want, w); d != "" {
		t.Fatalf("mixed legalization:\n%s", d)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "changed 8 of 8") {
		t.Fatalf("report warnings: %v", rep.Warnings)
	}
	nl.Projections[0].W = []float64{-37, -1, -255, 0, 0, 0, 0, 0}
	nl.Projections[0].Native["num_weight_bits"] = 6
	img, _, _ = tg.Compile(nl, targets.Options{})
	m, _ = tg.Load(img, targets.Options{})
	w, _ = m.Weights("D")
	if d := diff([]float64{-36, 0, -252, 0, 0, 0, 0, 0}, w); d != "" {
		t.Fatalf("inh 6-bit legalization:\n%s", d)
	}
}

var _ = fmt.Sprint

// diff is cmp.Diff, after a fast reflect.DeepEqual (cmp is slow on large traces).
func diff(a, b any) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return cmp.Diff(a, b)
}
