package llvm

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

var update = flag.Bool("update", false, "rewrite the golden .ll files in testdata")

// delayNetlist is a small hand-built network: 3 inputs → sparse projection with
// per-synapse delays (CSR ring buffer path) → 4 neurons with per-neuron bias and
// refractory periods → dense projection (dense-row path, negative exponent) → 2
// neurons.
func delayNetlist() (*ir.Netlist, *emulator.Stimulus) {
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3)}
	nl.Inputs = []*ir.Port{{Name: "in", Shape: []int{3}, Size: 3}}
	cuba := func(name string, n int, params map[string][]float64) *ir.Population {
		return &ir.Population{Name: name, Model: ir.TLoihiCUBA, Shape: []int{n}, Size: n, Spiking: true, Compare: ">",
			Reset: ir.ResetRule{Mode: "to_value", Timing: "immediate"}, Params: params}
	}
	nl.Populations = []*ir.Population{
		cuba("hid", 4, map[string][]float64{"du": {2000}, "dv": {500}, "vth": {300}, "bias_mant": {0, 10, -5, 20}, "bias_exp": {2},
			"refract_delay": {1, 3, 1, 5}}),
		cuba("out", 2, map[string][]float64{"du": {4095}, "dv": {0}, "vth": {200}, "bias_mant": {0}, "bias_exp": {0}}),
	}
	nl.Projections = []*ir.Projection{
		{Name: "syn", Pre: "in", Post: "hid", PreSize: 3, PostSize: 4, Kind: ir.Sparse, Latency: 1,
			PreIdx: []int32{0, 0, 1, 2, 2, 1}, PostIdx: []int32{0, 1, 2, 3, 0, 1}, W: []float64{200, 120, 250, 90, -100, 60},
			Delay: []int32{0, 2, 5, 1, 3, 0}, Native: map[string]float64{"weight_exp": 2, "num_weight_bits": 8}},
		{Name: "ro", Pre: "hid", Post: "out", PreSize: 4, PostSize: 2, Kind: ir.Dense, Latency: 1,
			W: []float64{101, -57, 33, 255, 0, 77, -3, 9}, Native: map[string]float64{"weight_exp": -2, "num_weight_bits": 8}},
	}
	nl.Outputs = []*ir.Port{{Name: "o", Shape: []int{2}, Size: 2, Source: "out", Kind: "spikes"},
		{Name: "h", Shape: []int{4}, Size: 4, Source: "hid", Kind: "spikes"}}
	s := &emulator.Stream{Shape: []int{3}}
	r := emulator.NewRand(11, 0)
	for t := 0; t < 60; t++ {
		for i := 0; i < 3; i++ {
			if r.Float64() < 0.4 {
				s.Times = append(s.Times, t)
				s.Indices = append(s.Indices, i)
			}
		}
	}
	return nl, &emulator.Stimulus{Dt: 1e-3, Steps: 60, Streams: map[string]*emulator.Stream{"in": s}}
}

func fixtureByName(t *testing.T, name string) *fixture {
	t.Helper()
	for _, f := range loadFixtures(t) {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no fixture %s", name)
	return nil
}

func goldenNetworks(t *testing.T) map[string]*ir.Netlist {
	nl09, _, err := fixtureNetlist(fixtureByName(t, "case_09_nengo_refractory_vclip"))
	if err != nil {
		t.Fatal(err)
	}
	dnl, _ := delayNetlist()
	return map[string]*ir.Netlist{"refractory_vclip": nl09, "delays": dnl}
}

func compileText(t *testing.T, nl *ir.Netlist) string {
	t.Helper()
	img, _, err := Target{}.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ModuleText(img)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGoldenModules compares the generated IR of two small networks with
// testdata/*.ll (go test -update rewrites them) and checks that regeneration is
// byte-identical.
func TestGoldenModules(t *testing.T) {
	for name, nl := range goldenNetworks(t) {
		t.Run(name, func(t *testing.T) {
			got := compileText(t, nl)
			if again := compileText(t, nl); again != got {
				t.Fatal("module text differs between two generations")
			}
			path := filepath.Join("testdata", name+".ll")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("module differs from %s (-want +got):\n%s", path, d)
			}
		})
	}
}

// TestOptVerify: `opt -verify` accepts every generated module kind.
func TestOptVerify(t *testing.T) {
	needTools(t)
	nets := goldenNetworks(t)
	nets["cuba"] = cubaNetlist(200, 0.1, 2)
	dn, _ := denseNetlist(2, 10, 0.1)
	nets["dense"] = dn
	for name, nl := range nets {
		t.Run(name, func(t *testing.T) {
			if err := Verify(compileText(t, nl)); err != nil {
				t.Fatal(err)
			}
		})
	}
	if err := Verify("define i32 @f() {\n  ret i64 0\n}\n"); err == nil || !errors.Is(err, ErrBuild) {
		t.Fatalf("a broken module verified: %v", err)
	}
}

// TestDelaysMatchLoihi: per-synapse delays, both routing layouts, per-neuron
// parameters, two outputs.
func TestDelaysMatchLoihi(t *testing.T) {
	needTools(t)
	nl, stim := delayNetlist()
	want, got := runBoth(t, nl, stim, 60, allProbes(nl))
	sameTrace(t, want, got)
	if countSpikes(got) == 0 {
		t.Fatal("no spikes")
	}
}

// TestToolsMissing: the error names the Debian packages.
func TestToolsMissing(t *testing.T) {
	_, err := locateTools(func(...string) string { return "" })
	if !errors.Is(err, ErrTools) || !strings.Contains(err.Error(), "llvm-14") || !strings.Contains(err.Error(), "gcc") {
		t.Fatalf("got %v", err)
	}
}

// TestRunContinuesAndResets: two Runs continue the state like one, Reset restarts.
func TestRunContinuesAndResets(t *testing.T) {
	needTools(t)
	nl, stim := delayNetlist()
	img, _, err := Target{}.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Target{}.Load(img, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	probes := []string{"hid.v", "out.u"}
	whole, err := m.Run(ctx, stim, 60, probes)
	if err != nil {
		t.Fatal(err)
	}
	m.Reset()
	first, err := m.Run(ctx, sliceStim(stim, 0, 25), 25, probes)
	if err != nil {
		t.Fatal(err)
	}
	second, err := m.Run(ctx, sliceStim(stim, 25, 60), 35, probes)
	if err != nil {
		t.Fatal(err)
	}
	for k := range probes {
		joined := append(append([][]float64{}, first.Probes[k].Data...), second.Probes[k].Data...)
		if d := cmp.Diff(whole.Probes[k].Data, joined); d != "" {
			t.Errorf("%s: split run differs:\n%s", probes[k], d)
		}
	}
	for name, s := range whole.Streams {
		var times []int
		times = append(times, first.Streams[name].Times...)
		for _, x := range second.Streams[name].Times {
			times = append(times, x+25)
		}
		if !cmp.Equal(s.Times, times) {
			t.Errorf("stream %s: split run times differ", name)
		}
	}
	m.Reset()
	again, err := m.Run(ctx, stim, 60, probes)
	if err != nil {
		t.Fatal(err)
	}
	sameTrace(t, whole, again)
}

// sliceStim returns the events in [from, to), shifted to start at 0.
func sliceStim(s *emulator.Stimulus, from, to int) *emulator.Stimulus {
	out := &emulator.Stimulus{Dt: s.Dt, Steps: to - from, Streams: map[string]*emulator.Stream{}}
	for name, st := range s.Streams {
		n := &emulator.Stream{Shape: st.Shape}
		for k, t := range st.Times {
			if t >= from && t < to {
				n.Times = append(n.Times, t-from)
				n.Indices = append(n.Indices, st.Indices[k])
				if st.Values != nil {
					n.Values = append(n.Values, st.Values[k])
				}
			}
		}
		out.Streams[name] = n
	}
	return out
}

// TestSetWeightsMatchesLoihi: new weights written to both machines give the same run.
func TestSetWeightsMatchesLoihi(t *testing.T) {
	needTools(t)
	nl, stim := delayNetlist()
	lm, nm := loadBoth(t, nl)
	if !cmp.Equal(nm.Projections(), []string{"syn", "ro"}) {
		t.Fatalf("projections %v", nm.Projections())
	}
	w := []float64{60, -200, 33.4, 255, 0, -77, 31, 9}
	for _, m := range []targets.Machine{lm, nm} {
		if err := m.SetWeights("ro", w); err != nil {
			t.Fatal(err)
		}
	}
	lw, _ := lm.Weights("ro")
	nw, err := nm.Weights("ro")
	if err != nil || !cmp.Equal(lw, nw) {
		t.Fatalf("weights: loihi %v, native %v (%v)", lw, nw, err)
	}
	probes := []string{"out.u", "out.v"}
	want, err := lm.Run(context.Background(), stim, 60, probes)
	if err != nil {
		t.Fatal(err)
	}
	got, err := nm.Run(context.Background(), stim, 60, probes)
	if err != nil {
		t.Fatal(err)
	}
	sameTrace(t, want, got)
	if err := nm.SetWeights("nope", w); !errors.Is(err, targets.ErrNoProjection) {
		t.Fatalf("unknown projection: %v", err)
	}
}

// TestImageRoundTrip: the envelope round-trips and the decoded image runs the same.
func TestImageRoundTrip(t *testing.T) {
	needTools(t)
	nl, stim := delayNetlist()
	tg, err := targets.Lookup("llvm")
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := tg.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := targets.EncodeImage(&buf, tg, targets.Options{}, "x", img); err != nil {
		t.Fatal(err)
	}
	ld, err := targets.DecodeImage(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ModuleText(img)
	b, err := ModuleText(ld.Image)
	if err != nil || a != b {
		t.Fatalf("module text changed through the envelope (%v)", err)
	}
	m1, _ := tg.Load(img, targets.Options{})
	m2, err := tg.Load(ld.Image, ld.Options)
	if err != nil {
		t.Fatal(err)
	}
	t1, err := m1.Run(context.Background(), stim, 60, []string{"hid.u"})
	if err != nil {
		t.Fatal(err)
	}
	t2, err := m2.Run(context.Background(), stim, 60, []string{"hid.u"})
	if err != nil {
		t.Fatal(err)
	}
	sameTrace(t, t1, t2)
	// a tampered module is refused
	tampered := strings.Replace(buf.String(), "snn_step", "snn_stex", 1)
	if _, err := targets.DecodeImage(strings.NewReader(tampered)); err == nil {
		t.Fatal("tampered module accepted")
	}
}

// TestErrors: unsupported nodes and bad requests name what is wrong.
func TestErrors(t *testing.T) {
	nl, _ := delayNetlist()
	li := &ir.Population{Name: "readout", Model: ir.TLI, Shape: []int{2}, Size: 2, Params: map[string][]float64{"tau": {1e-2}}}
	bad := *nl
	bad.Populations = append(append([]*ir.Population{}, nl.Populations...), li)
	if _, _, err := (Target{}).Compile(&bad, targets.Options{}); err == nil || !strings.Contains(err.Error(), "readout") {
		t.Errorf("LI population: %v", err)
	}
	graded := *nl
	graded.Outputs = []*ir.Port{{Name: "o", Shape: []int{2}, Size: 2, Source: "out", Kind: "v"}}
	if _, _, err := (Target{}).Compile(&graded, targets.Options{}); err == nil || !strings.Contains(err.Error(), "o") {
		t.Errorf("graded output: %v", err)
	}
	img, _, err := Target{}.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := Target{}.Load(img, targets.Options{})
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		stim   *emulator.Stimulus
		probes []string
		want   error
	}{
		{"probe var", nil, []string{"hid.w"}, emulator.ErrProbe},
		{"probe node", nil, []string{"nobody.v"}, emulator.ErrProbe},
		{"stream", &emulator.Stimulus{Streams: map[string]*emulator.Stream{"x": {Shape: []int{3}}}}, nil, emulator.ErrStimulus},
		{"shape", &emulator.Stimulus{Streams: map[string]*emulator.Stream{"in": {Shape: []int{4}}}}, nil, emulator.ErrStimulus},
		{"graded NaN", &emulator.Stimulus{Streams: map[string]*emulator.Stream{"in": {Shape: []int{3}, Times: []int{0}, Indices: []int{0}, Values: []float64{math.NaN()}}}}, nil, emulator.ErrStimulus},
		{"graded Inf", &emulator.Stimulus{Streams: map[string]*emulator.Stream{"in": {Shape: []int{3}, Times: []int{0, 1}, Indices: []int{0, 1}, Values: []float64{1, math.Inf(-1)}}}}, nil, emulator.ErrStimulus},
		{"graded count", &emulator.Stimulus{Streams: map[string]*emulator.Stream{"in": {Shape: []int{3}, Times: []int{0, 1}, Indices: []int{0, 1}, Values: []float64{2}}}}, nil, emulator.ErrStimulus},
		{"index", &emulator.Stimulus{Streams: map[string]*emulator.Stream{"in": {Shape: []int{3}, Times: []int{0}, Indices: []int{3}}}}, nil, emulator.ErrStimulus},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := m.Run(ctx, c.stim, 5, c.probes); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// decay32 mirrors the 32-bit decay the code generator emits (codegen.go decay).
func decay32(x, f int32) int32 {
	h := x >> decayBits
	l := x & (decayOne - 1)
	c := int32(uint32(x>>31) >> (32 - decayBits))
	lo := int32(uint32(l*f+c) >> decayBits)
	return h*f + lo
}

// decaySpec is spec §3 decay with int64 intermediates.
func decaySpec(x, f int64) int64 {
	y := x * f
	if y < 0 {
		return -((-y) >> decayBits)
	}
	return y >> decayBits
}

// TestDecay32 checks the 32-bit decay against the spec formula on edge values and on
// random int32 × [0, 4096].
func TestDecay32(t *testing.T) {
	edges := []int32{0, 1, -1, 4095, -4095, 4096, -4096, 1 << 23, -(1 << 23), 1<<23 - 1, -(1<<23 - 1), math.MaxInt32, math.MinInt32, math.MinInt32 + 1}
	for _, x := range edges {
		for _, f := range []int32{0, 1, 2, 4015, 4095, 4096} {
			if got, want := decay32(x, f), decaySpec(int64(x), int64(f)); int64(got) != want {
				t.Fatalf("decay(%d, f=%d) = %d, want %d", x, f, got, want)
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		x := rapid.Int32().Draw(t, "x")
		f := rapid.Int32Range(0, decayOne).Draw(t, "f")
		if got, want := decay32(x, f), decaySpec(int64(x), int64(f)); int64(got) != want {
			t.Fatalf("decay(%d, f=%d) = %d, want %d", x, f, got, want)
		}
	})
}

// TestModuleMachine: a bare module (what `-o net.ll` writes) runs like its image.
func TestModuleMachine(t *testing.T) {
	needTools(t)
	nl, stim := delayNetlist()
	img, _, err := Target{}.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	text, _ := ModuleText(img)
	mm, err := ModuleMachine(text)
	if err != nil {
		t.Fatal(err)
	}
	moduleMatchesImage(t, mm, img, stim)
	if _, err := mm.Weights("syn"); !errors.Is(err, targets.ErrUnsupported) {
		t.Fatalf("Weights on a bare module: %v", err)
	}
	if _, err := ModuleMachine("define i32 @main() {\n ret i32 0\n}\n"); !errors.Is(err, ErrPayload) {
		t.Fatalf("foreign module: %v", err)
	}
}

// moduleMatchesImage runs the delay network's stimulus on the bare module machine mm and
// on img's machine and requires identical traces (60 steps; hid.u, hid.spikes, out.q).
func moduleMatchesImage(t *testing.T, mm targets.Machine, img targets.Image, stim *emulator.Stimulus) {
	t.Helper()
	im, _ := Target{}.Load(img, targets.Options{})
	probes := []string{"hid.u", "hid.spikes", "out.q"}
	want, err := im.Run(context.Background(), stim, 60, probes)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mm.Run(context.Background(), stim, 60, probes)
	if err != nil {
		t.Fatal(err)
	}
	sameTrace(t, want, got)
}
