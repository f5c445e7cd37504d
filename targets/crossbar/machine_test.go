package crossbar

import (
	"bytes"
	"context"
	"encoding/json"
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

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func traceBytes(t *testing.T, tr *emulator.Trace) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := tr.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDeterminism: one seed is one chip: the same seed gives byte-identical traces for
// any GOMAXPROCS; another seed is another chip.
func TestDeterminism(t *testing.T) {
	nl := mlp(9, []int{300, 200, 10}, 4)
	steps := 40
	stim := poisson(1, 300, steps, 0.1)
	run := func(seed uint64, procs int) []byte {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		opt := flags("device", "rram", "tile", "128", "age", "1d")
		opt.Seed = seed
		_, m := compileLoad(t, nl, opt)
		m.net.Sequential = false // force the parallel path
		return traceBytes(t, runMachine(t, m, stim, steps, "lif1.v"))
	}
	a := run(5, 1)
	for _, p := range []int{2, 4} {
		if b := run(5, p); !bytes.Equal(a, b) {
			t.Fatalf("GOMAXPROCS=%d trace differs from GOMAXPROCS=1", p)
		}
	}
	if bytes.Equal(a, run(6, 2)) {
		t.Fatalf("seed 6 gives the same trace as seed 5: chip instances must differ")
	}
}

// TestResetKeepsChip: Reset returns to t = 0 on the same chip; the next run repeats the
// statistics of the chip (the read noise stream continues, so spikes may differ slightly
// with read noise on, and are identical with it off).
func TestResetKeepsChip(t *testing.T) {
	nl := mlp(10, []int{100, 50, 10}, 4)
	stim := poisson(2, 100, 40, 0.15)
	_, m := compileLoad(t, nl, flags(with(allOff, "device", "rram", "prog-noise", "on", "faults", "on")...))
	a := traceBytes(t, runMachine(t, m, stim, 40))
	m.Reset()
	b := traceBytes(t, runMachine(t, m, stim, 40))
	if !bytes.Equal(a, b) {
		t.Fatalf("after Reset the same chip without read noise must repeat its trace")
	}
}

// TestImageRoundTrip: encode, decode and load gives the same run.
func TestImageRoundTrip(t *testing.T) {
	nl := mlp(11, []int{150, 60, 10}, 4)
	stim := poisson(3, 150, 30, 0.15)
	opt := flags("device", "pcm", "tile", "128", "age", "1h")
	img, m := compileLoad(t, nl, opt)
	want := traceBytes(t, runMachine(t, m, stim, 30))
	var buf bytes.Buffer
	if err := targets.EncodeImage(&buf, Target{}, opt, "x", img); err != nil {
		t.Fatal(err)
	}
	ld, err := targets.DecodeImage(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := ld.Target.Load(ld.Image, ld.Options)
	if err != nil {
		t.Fatal(err)
	}
	if got := traceBytes(t, runMachine(t, m2, stim, 30)); !bytes.Equal(got, want) {
		t.Fatalf("decoded image runs differently")
	}
	// corrupted payloads are errors, not panics
	for _, bad := range []string{`{}`, `{"config":{"tile":0}}`, `{"config":` + mustJSON(t, img.cfg) + `,"tiles":[]}`} {
		if _, err := (Target{}).DecodeImage(nl, opt, []byte(bad)); err == nil {
			t.Errorf("payload %.40s accepted", bad)
		}
	}
}

// TestCompileErrors: each user error says what and where.
func TestCompileErrors(t *testing.T) {
	adaptive := mlp(1, []int{10, 5}, 1)
	adaptive.Populations[0].Model = ir.TAdaptiveLIF
	short := mlp(1, []int{10, 5}, 1)
	short.Projections[0].W = short.Projections[0].W[:7]
	for _, c := range []struct {
		name   string
		nl     *ir.Netlist
		flags  []string
		target error
		words  []string
	}{
		{"tiles-max", mlp(1, []int{784, 512, 10}, 1), []string{"tiles-max", "4"}, targets.ErrDoesNotFit, []string{"18 tiles", "--tiles-max is 4", "lif1: 784 rows × 512 neurons → 4×4 tiles"}},
		{"neuron-type", adaptive, nil, targets.ErrUnsupported, []string{`population "lif1"`, "snnc.AdaptiveLIF", "LIF, CubaLIF, IF"}},
		{"weights-length", short, nil, targets.ErrUnsupported, []string{`projection "fc1"`, "7 weights", "needs 50"}},
		{"tile-size", mlp(1, []int{10, 5}, 1), []string{"tile", "300"}, targets.ErrFlag, []string{"--tile 300"}},
		{"device", mlp(1, []int{10, 5}, 1), []string{"device", "flash"}, ErrProfile, []string{`"flash"`, "rram"}},
		{"age", mlp(1, []int{10, 5}, 1), []string{"age", "3 fortnights"}, targets.ErrFlag, []string{"--age"}},
		{"slices-continuous", mlp(1, []int{10, 5}, 1), []string{"device", "pcm", "slices", "2"}, ErrConfig, []string{"--levels"}},
		{"switch", mlp(1, []int{10, 5}, 1), []string{"read-noise", "maybe"}, targets.ErrFlag, []string{"--read-noise"}},
		{"replicas", mlp(1, []int{10, 5}, 1), []string{"replicas", "0"}, targets.ErrFlag, []string{"--replicas", "auto or 1..64"}},
		{"col-replicas", mlp(1, []int{10, 5}, 1), []string{"col-replicas", "many"}, targets.ErrFlag, []string{"--col-replicas"}},
		{"col-replicas-too-wide", mlp(1, []int{10, 5}, 1), []string{"tile", "128", "levels", "4", "slices", "8", "col-replicas", "64"}, ErrConfig,
			[]string{`population "lif1"`, "64 column replicas × 8 slices", "1024 columns per neuron", "a tile has 128"}},
		{"row-place", mlp(1, []int{10, 5}, 1), []string{"row-place", "middle"}, targets.ErrFlag, []string{"--row-place", "near-sense or top"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Target{}.Compile(c.nl, flags(c.flags...))
			conformance.WantError(t, err, c.target, c.words...)
		})
	}
}

// TestProfileFile: user profiles load and bad ones are rejected naming the field.
func TestProfileFile(t *testing.T) {
	good := `{"name":"myrram","g_min_us":2,"g_max_us":50,"levels":8,
	 "prog_noise":{"kind":"table","g_us":[2,25,50],"sigma_us":[0.5,1,2]},
	 "read_noise":{"kind":"relative","rel":0.02},
	 "drift":{"kind":"power","t0_s":10,"mu_a":0,"mu_b":0.05,"mu_lo":0,"mu_hi":1,"sig_a":0,"sig_b":0.01,"sig_lo":0,"sig_hi":1},
	 "spread_gmax_cv":0.03,"spread_gmin_cv":0.05,"stuck_off":0.001,"stuck_on":0.001,"wire_ohm":0.5,"adc_noise":0.02}`
	dir := t.TempDir()
	path := filepath.Join(dir, "p.json")
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	nl := mlp(1, []int{50, 20, 5}, 4)
	img, m := compileLoad(t, nl, flags("device-file", path))
	if p := img.cfg.Profile; p.Name != "myrram" || p.Levels != 8 || img.cfg.Levels != 8 {
		t.Fatalf("profile not applied: %+v", p)
	}
	if s := img.cfg.Profile.ProgNoise.At(37.5, 50); math.Abs(s-1.5) > 1e-12 {
		t.Errorf("table σ(37.5) = %v, want 1.5", s)
	}
	runMachine(t, m, poisson(1, 50, 10, 0.2), 10)
	for _, c := range []struct{ name, json, word string }{
		{"syntax", `{"g_min_us":`, "unexpected EOF"},
		{"unknown-key", `{"g_min_us":1,"g_max_us":2,"gmax":3}`, `unknown field "gmax"`},
		{"gmax", `{"g_min_us":5,"g_max_us":2}`, "g_max_us = 2"},
		{"levels", `{"g_min_us":1,"g_max_us":2,"levels":1}`, "levels = 1"},
		{"table-order", `{"g_min_us":1,"g_max_us":2,"prog_noise":{"kind":"table","g_us":[1,1],"sigma_us":[0,0]}}`, "prog_noise.g_us[1]"},
		{"read-kind", `{"g_min_us":1,"g_max_us":2,"read_noise":{"kind":"pink"}}`, "read_noise.kind"},
		{"faults", `{"g_min_us":1,"g_max_us":2,"stuck_off":0.7,"stuck_on":0.7}`, "stuck_off + stuck_on"},
		{"drift", `{"g_min_us":1,"g_max_us":2,"drift":{"kind":"power","t0_s":0}}`, "drift (power)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseProfile([]byte(c.json))
			if err == nil || !errors.Is(err, ErrProfile) || !strings.Contains(err.Error(), c.word) {
				t.Fatalf("error %v, want ErrProfile mentioning %q", err, c.word)
			}
		})
	}
}

func TestParseAge(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true}, {"30s", 30, true}, {"1h", 3600, true}, {"1d", 86400, true}, {"1.5h", 5400, true},
		{"10min", 600, true}, {"10m", 600, true}, {"2w", 14 * 86400, true}, {"1y", 365.25 * 86400, true},
		{"250ms", 0.25, true}, {"42", 42, true}, {"", 0, true},
		{"-1s", 0, false}, {"h", 0, false}, {"1 fortnight", 0, false}, {"NaNs", 0, false},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseAge(c.in)
			if (err == nil) != c.ok || (c.ok && math.Abs(got-c.want) > 1e-9*c.want) {
				t.Fatalf("ParseAge(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
			}
		})
	}
}

// TestSetWeights: in-the-loop re-programming writes the new weights (exactly on ideal
// devices, within quantization and programming noise on rram) and only changes the
// chip's weights, not the image.
func TestSetWeights(t *testing.T) {
	nl := mlp(12, []int{120, 40, 10}, 4)
	newW := randW(emulator.NewRand(5, 5), 120*40, 0.2)
	for _, c := range []struct {
		name string
		opt  targets.Options
		tol  float64 // rms error / max |w|
	}{
		{"ideal", flags("device", "ideal", "tile", "128"), 1e-12},
		{"rram", flags("device", "rram", "tile", "128"), 0.12},
	} {
		t.Run(c.name, func(t *testing.T) {
			img, m := compileLoad(t, nl, c.opt)
			if err := m.SetWeights("fc1", newW); err != nil {
				t.Fatal(err)
			}
			got, _ := m.Weights("fc1")
			var se, mx float64
			for i := range got {
				se += (got[i] - newW[i]) * (got[i] - newW[i])
				mx = max(mx, math.Abs(newW[i]))
			}
			if r := math.Sqrt(se/float64(len(got))) / mx; r > c.tol {
				t.Fatalf("rms error after SetWeights = %.4g of max |w|, want ≤ %g", r, c.tol)
			}
			if cmp.Equal(img.nl.Projections[0].W, newW) {
				t.Fatalf("SetWeights changed the image")
			}
			if err := m.SetWeights("fc1", newW[:3]); err == nil {
				t.Errorf("short weight vector accepted")
			}
			if _, err := m.Weights("nope"); !errors.Is(err, targets.ErrNoProjection) {
				t.Errorf("unknown projection: %v", err)
			}
			if c.name == "ideal" {
				// the machine now runs like ref on the new weights
				stim := poisson(4, 120, 40, 0.15)
				got := runMachine(t, m, stim, 40)
				want := runRef(t, withWeights(t, nl, m), stim, 40)
				if e := countErr(got, want); e != 0 {
					t.Fatalf("after SetWeights: spike count error vs ref %v", e)
				}
			}
		})
	}
}

// TestMemristiveNeuron: without variability the capacitor + threshold-switch neuron is
// the LIF neuron; with its cycle-to-cycle threshold variation and relaxation it
// differs from LIF by a few percent of the spikes.
func TestMemristiveNeuron(t *testing.T) {
	nl := mlp(13, []int{200, 100, 10}, 4)
	steps := 100
	stim := poisson(5, 200, steps, 0.15)
	_, lif := compileLoad(t, nl, flags("device", "ideal"))
	want := runMachine(t, lif, stim, steps, "lif1.v")
	_, mem0 := compileLoad(t, nl, flags("device", "ideal", "neuron", "memristive", "neuron-var", "off"))
	if got := runMachine(t, mem0, stim, steps, "lif1.v"); countErr(got, want) != 0 {
		t.Fatalf("memristive neuron without variability differs from LIF")
	}
	_, mem := compileLoad(t, nl, flags("device", "ideal", "neuron", "memristive", "neuron-var", "on"))
	got := runMachine(t, mem, stim, steps, "lif1.v")
	e := countErr(got, want)
	t.Logf("memristive vs LIF: output spike count error %.3f", e)
	if e == 0 || e > 0.3 {
		t.Fatalf("memristive neuron spike count error vs LIF = %v, want in (0, 0.3]", e)
	}
	el, _ := want.Stat("energy_j")
	em, _ := got.Stat("energy_j")
	if em <= el {
		t.Errorf("memristive spikes cost nJ each: energy %v ≤ LIF %v", em, el)
	}
}

// TestCost: the counters and the energy/latency model (docs/crossbar.md "Cost").
func TestCost(t *testing.T) {
	// A dense 8-bit read of a full 256×256 tile lands in the HERMES sanity band.
	nl := mlp(14, []int{256, 128}, 4)
	_, m := compileLoad(t, nl, flags("device", "rram"))
	stim := &emulator.Stimulus{Dt: testDt, Steps: 1, Streams: map[string]*emulator.Stream{"in": {Shape: []int{256}}}}
	for i := 0; i < 256; i++ {
		stim.Streams["in"].Times = append(stim.Streams["in"].Times, 0)
		stim.Streams["in"].Indices = append(stim.Streams["in"].Indices, i)
	}
	tr := runMachine(t, m, stim, 2)
	get := func(k string) float64 { v, _ := tr.Stat(k); return v }
	if get("cell_reads") != 256*256 || get("adc_conversions") != 128 || get("tile_reads") != 1 {
		t.Fatalf("counters: cell_reads %v adc %v tile_reads %v", get("cell_reads"), get("adc_conversions"), get("tile_reads"))
	}
	ops := 2 * get("synaptic_events") // one MAC = 2 ops per weight
	arrayJ := get("energy_cells_j") + get("energy_adc_j") + get("energy_periph_j")
	tops := ops / arrayJ / 1e12
	t.Logf("dense 8-bit 256×256 MVM: %.3g J, %.2f TOPS/W", arrayJ, tops)
	if tops < 2.5 || tops > 9.8 {
		t.Errorf("%.2f TOPS/W outside the 2.5–9.8 sanity band", tops)
	}
	if lat := m.StepLatency(); math.Abs(lat-(130e-9+10e-9)) > 1e-12 || get("time_s") != 2*lat {
		t.Errorf("latency per step %v, time %v", lat, get("time_s"))
	}
	if e := get("energy_cells_j") + get("energy_adc_j") + get("energy_periph_j") + get("energy_digital_j"); math.Abs(e-get("energy_j")) > 1e-9*e {
		t.Errorf("energy_j %v is not the sum of its parts %v", get("energy_j"), e)
	}
	// partial sums: a 784-row layer on 256-row tiles adds 3 partial sums per neuron per step
	nl2 := mlp(15, []int{784, 64}, 4)
	_, m2 := compileLoad(t, nl2, flags("device", "ideal"))
	st := poisson(1, 784, 5, 0.5)
	tr2 := runMachine(t, m2, st, 5)
	if v, _ := tr2.Stat("partial_sums"); v != 4*3*64 { // inputs of steps 0..3 are read at 1..4
		t.Errorf("partial sums %v, want %d", v, 4*3*64)
	}
}

// TestTrials: N chip instances, mean and spread; the ideal chip has no spread.
func TestTrials(t *testing.T) {
	nl := mlp(16, []int{100, 50, 10}, 4)
	stim := poisson(6, 100, 50, 0.15)
	for _, c := range []struct {
		device   string
		noSpread bool
	}{{"ideal", true}, {"rram", false}} {
		t.Run(c.device, func(t *testing.T) {
			img, _, err := Target{}.Compile(nl, flags("device", c.device))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Trials(context.Background(), img, 3, 4, stim, 50)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Seeds) != 4 || res.Seeds[0] != 3 || res.Seeds[3] != 6 {
				t.Fatalf("seeds %v", res.Seeds)
			}
			o := res.Outputs[0]
			if o.Key != "out" || o.Mean <= 0 || (o.Std == 0) != c.noSpread {
				t.Fatalf("output spread %+v (device %s)", o, c.device)
			}
			var b bytes.Buffer
			res.Report().Write(&b)
			if !strings.Contains(b.String(), "over 4 chip instances") {
				t.Errorf("report:\n%s", b.String())
			}
		})
	}
}

// TestReport: the packing table and summary.
func TestReport(t *testing.T) {
	nl := mlp(17, []int{784, 512, 10}, 4)
	_, rep, err := Target{}.Compile(nl, flags())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Data["tiles"] != 18 || rep.Data["partial_sums_per_step_max"] != 3*512+1*10 {
		t.Fatalf("report data %v", rep.Data)
	}
	var b bytes.Buffer
	rep.Write(&b)
	for _, w := range []string{"crossbar packing", "tiles used", "18 of 48", "utilization", "crossbar quantization"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("report lacks %q:\n%s", w, b.String())
		}
	}
}
