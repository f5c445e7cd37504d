package analog

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/conformance"
)

func lifNet(nIn, nOut int, lo int) *ir.Netlist {
	return ffNetlist(1e-3, nIn, popSpec{name: "lif", model: ir.TLIF, size: nOut, tauMem: 10e-3},
		representable(nIn*nOut, 0.9/63, lo, 3))
}

func TestCompileErrors(t *testing.T) {
	big := lifNet(8, 600, 0)
	slow := ffNetlist(1e-3, 8, popSpec{name: "slow", model: ir.TLIF, size: 4, tauMem: 100e-3}, representable(32, 0.01, 0, 1))
	sub := ffNetlist(1e-3, 8, popSpec{name: "subtractor", model: ir.TLIF, size: 4, tauMem: 10e-3, reset: "subtract"}, representable(32, 0.01, 0, 1))
	wide := lifNet(200, 8, -63) // signed: 2 rows per input → 400 rows
	ifn := lifNet(8, 4, 0)
	ifn.Populations[0].Model = ir.TIF
	dyn := lifNet(100, 4, 0) // 100 synapses per neuron, dynapse2 has 64
	cases := []struct {
		name     string
		nl       *ir.Netlist
		flags    map[string]string
		sentinel error
		want     []string
	}{
		{"too_many_neurons", big, nil, targets.ErrDoesNotFit, []string{"population lif", "600", "512"}},
		{"tau_out_of_range", slow, nil, targets.ErrUnsupported, []string{"population slow", "tau_mem", "100 ms", "100 µs", "60 µs"}},
		{"subtract_reset", sub, nil, targets.ErrUnsupported, []string{"population subtractor", "subtract"}},
		{"rows", wide, nil, targets.ErrDoesNotFit, []string{"lif", "400 synapse rows", "256"}},
		{"no_leak", ifn, nil, targets.ErrUnsupported, []string{"population lif", "IF"}},
		{"dynapse2_fan_in", dyn, map[string]string{"profile": "dynapse2"}, targets.ErrDoesNotFit, []string{"population lif", "fan-in 100", "64"}},
		{"bad_profile", lifNet(4, 4, 0), map[string]string{"profile": "loihi"}, ErrProfile, []string{"loihi", "bss2"}},
		{"bad_age", lifNet(4, 4, 0), map[string]string{"age": "yesterday"}, targets.ErrFlag, []string{"--age"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := targets.WithDefaults(Target{}, targets.Options{Flags: c.flags})
			_, _, err := Target{}.Compile(c.nl, opt)
			conformance.WantError(t, err, c.sentinel, c.want...)
		})
	}
}

// TestDeterminism: the same seed gives byte-identical traces (noise and mismatch on)
// whatever GOMAXPROCS, and another seed is another chip.
func TestDeterminism(t *testing.T) {
	nl := lifNet(64, 300, -10) // 300 neurons: three regions, several cores
	stim := poisson(1e-3, 64, 200, 0.2, 9)
	encode := func(procs int, seed uint64) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		tr, _ := runOn(t, "analog", nl, seed, nil, stim, 200, "lif.v", "lif.cadc")
		var b bytes.Buffer
		if err := tr.Write(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	one, two := encode(1, 5), encode(2, 5)
	if !bytes.Equal(one, two) {
		t.Error("traces differ between GOMAXPROCS 1 and 2")
	}
	if bytes.Equal(one, encode(2, 6)) {
		t.Error("seeds 5 and 6 gave the same trace: the chip instance does not depend on the seed")
	}
}

func TestWeightsRoundTrip(t *testing.T) {
	nl := lifNet(16, 8, -63)
	_, m := runOn(t, "analog", nl, 1, nil, nil, 1)
	w, err := m.Weights("fc")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(nl.Projections[0].W, w, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })); diff != "" {
		t.Errorf("representable weights changed (-want +got):\n%s", diff)
	}
	g := 0.9 / 63
	nw := make([]float64, len(w))
	for i := range nw {
		nw[i] = float64(i%200-100) * g / 3 // off-grid, some beyond ±63 LSB
	}
	if err := m.SetWeights("fc", nw); err != nil {
		t.Fatal(err)
	}
	got, _ := m.Weights("fc")
	for i, x := range got {
		q := x / g
		if math.Abs(q-math.Round(q)) > 1e-9 || math.Abs(q) > 63 {
			t.Fatalf("weight %d = %g is %g LSB: not a 6-bit weight", i, x, q)
		}
		if want := math.Max(-63, math.Min(63, math.Round(nw[i]/g))); math.Abs(q-want) > 1e-9 {
			t.Fatalf("weight %d: %g LSB, want %g", i, q, want)
		}
	}
	if err := m.SetWeights("nope", nw); !errors.Is(err, targets.ErrNoProjection) {
		t.Errorf("unknown projection: %v", err)
	}
	// an excitatory-only projection has one (excitatory) row per source: negative
	// weights cannot be written.
	_, m = runOn(t, "analog", lifNet(16, 8, 0), 1, nil, nil, 1)
	neg := make([]float64, 16*8)
	for i := range neg {
		neg[i] = -g * 5
	}
	neg[1] = g * 7
	if err := m.SetWeights("fc", neg); err != nil {
		t.Fatal(err)
	}
	got, _ = m.Weights("fc")
	if got[0] != 0 || math.Abs(got[1]-7*g) > 1e-12 {
		t.Errorf("per-row sign: got %g, %g; want 0 and %g", got[0], got[1], 7*g)
	}
}

func TestProbes(t *testing.T) {
	nl := lifNet(32, 16, -20)
	stim := poisson(1e-3, 32, 300, 0.3, 5)
	tr, _ := runOn(t, "analog", nl, 2, nil, stim, 300, "lif.v", "lif.cadc")
	v, c := tr.Probe("lif.v"), tr.Probe("lif.cadc")
	if v.DType != "f64" || c.DType != "i32" {
		t.Fatalf("dtypes %s %s", v.DType, c.DType)
	}
	prof := profiles["bss2"]
	pm := 0.0
	for step, row := range c.Data {
		for j, x := range row {
			if x != math.Trunc(x) || x < 0 || x > prof.adcMax() {
				t.Fatalf("cadc[%d][%d] = %g: not an 8-bit code", step, j, x)
			}
			pm = math.Max(pm, x)
		}
	}
	// the CADC code is the membrane in readout units (v (model) 0 → 80, 1 → 125), sampled
	// up to one CADC period (1.7 µs chip = 1.7 model steps) earlier: compare away from resets.
	spiked := map[[2]int]bool{}
	out := tr.Streams["out"]
	for k, ti := range out.Times {
		for d := 0; d < 3; d++ {
			spiked[[2]int{ti + d, out.Indices[k]}] = true
		}
	}
	var se float64
	n := 0
	for step := 50; step < 300; step++ {
		for j := range c.Data[step] {
			if spiked[[2]int{step, j}] {
				continue
			}
			model := 80 + 45*v.Data[step][j]
			se += (model - c.Data[step][j]) * (model - c.Data[step][j])
			n++
		}
	}
	// samples are up to one CADC period (1.7 µs = 1.7 model steps) old: loose bound
	if rms := math.Sqrt(se / float64(n)); n < 500 || rms > 10 { // a units or offset error gives ≥ 45
		t.Logf("%d samples", n)
		t.Errorf("cadc differs from the membrane by %.1f readout units rms", rms)
	}
	if _, err := m2(t, nl).Run(context.Background(), stim, 5, []string{"lif.w"}); err == nil {
		t.Error("unknown probe variable accepted")
	}
	if _, _, err := (Target{}).Compile(nl, targets.WithDefaults(Target{}, targets.Options{Flags: map[string]string{"profile": "dynapse2"}})); err != nil {
		t.Fatal(err)
	}
}

func m2(t *testing.T, nl *ir.Netlist) targets.Machine {
	_, m := runOn(t, "analog", nl, 2, nil, nil, 1)
	return m
}

// TestCalibrationFile: --calibration makes a mismatched chip behave closer to the ideal
// one, and a calibration for another chip is refused.
func TestCalibrationFile(t *testing.T) {
	if testing.Short() {
		t.Skip("calibration bench")
	}
	cal, err := Calibrate(profiles["bss2"], 4, CalibrateOptions{Mismatch: 1, Noise: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chip4.cal")
	f, _ := os.Create(path)
	cal.Write(f)
	f.Close()
	nl := lifNet(32, 64, -20)
	stim := poisson(1e-3, 32, 500, 0.3, 5)
	counts := func(seed uint64, flags map[string]string) []int {
		tr, _ := runOn(t, "analog", nl, seed, flags, stim, 500)
		return tr.Streams["out"].Counts()
	}
	idealC := counts(4, ideal())
	errOf := func(c []int) float64 {
		s := 0.0
		for i := range c {
			s += math.Abs(float64(c[i] - idealC[i]))
		}
		return s / float64(len(c))
	}
	raw := errOf(counts(4, map[string]string{"noise": "0"}))
	calib := errOf(counts(4, map[string]string{"noise": "0", "calibration": path}))
	t.Logf("mean |Δ spike count| against the ideal chip: %.2f uncalibrated, %.2f calibrated", raw, calib)
	if !(calib < raw/2) {
		t.Errorf("calibration did not halve the deviation: %.2f → %.2f", raw, calib)
	}
	// drift: a day and 10 K later the calibrated chip deviates more
	aged := errOf(counts(4, map[string]string{"noise": "0", "calibration": path, "age": "30d", "temperature": "310"}))
	t.Logf("after 30 days at +10 K: %.2f", aged)
	if !(aged > calib) {
		t.Errorf("drift did not increase the deviation: %.2f → %.2f", calib, aged)
	}
	tg := Target{}
	opt := targets.WithDefaults(tg, targets.Options{Seed: 4, Flags: map[string]string{"calibration": path}})
	img, _, err := tg.Compile(nl, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.Seed = 5
	if _, err := tg.Load(img, opt); !errors.Is(err, ErrCalibration) || !strings.Contains(err.Error(), "seed 4") {
		t.Errorf("calibration of chip 4 loaded on chip 5: %v", err)
	}
	if _, _, err := tg.Compile(nl, opt); !errors.Is(err, ErrCalibration) {
		t.Errorf("calibration of chip 4 compiled for chip 5: %v", err)
	}
}

// TestImageRoundTrip: the payload decodes to an image that runs identically.
func TestImageRoundTrip(t *testing.T) {
	nl := lifNet(16, 8, -20)
	tg := Target{}
	opt := targets.WithDefaults(tg, targets.Options{Seed: 3})
	img, _, err := tg.Compile(nl, opt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := targets.EncodeImage(&buf, tg, opt, "x", img); err != nil {
		t.Fatal(err)
	}
	l, err := targets.DecodeImage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	stim := poisson(1e-3, 16, 100, 0.3, 1)
	run := func(im targets.Image) *emulator.Trace {
		m, err := tg.Load(im, opt)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := m.Run(context.Background(), stim, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	if diff := cmp.Diff(run(img).Streams, run(l.Image).Streams); diff != "" {
		t.Errorf("decoded image runs differently:\n%s", diff)
	}
}
