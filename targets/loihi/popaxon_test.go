package loihi

import (
	"errors"
	"strconv"
	"testing"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// convNet is in (inC×h×w) → 3×3 conv, padding 1 → C (outC×h×w), native CUBA neurons,
// random integer kernel, with a Poisson stimulus.
func convNet(seed uint64, inC, outC, h, w int) (*ir.Netlist, *emulator.Stimulus) {
	r := emulator.NewRand(seed, 0)
	nin, nout := inC*h*w, outC*h*w
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3), Inputs: []*ir.Port{{Name: "in", Shape: []int{inC, h, w}, Size: nin}}}
	nl.Populations = []*ir.Population{{Name: "C", Model: ir.TLoihiCUBA, Shape: []int{outC, h, w}, Size: nout, Spiking: true,
		Params: map[string][]float64{"du": {1000}, "dv": {200}, "vth": {400}, "refract_delay": {2}}}}
	k := make([]float64, outC*inC*9)
	for i := range k {
		k[i] = float64(r.Intn(120) - 30)
	}
	nl.Projections = []*ir.Projection{{Name: "conv", Pre: "in", Post: "C", PreSize: nin, PostSize: nout, Kind: ir.Conv, W: k, Latency: 1,
		Conv:   &ir.ConvSpec{InC: inC, InH: h, InW: w, OutC: outC, OutH: h, OutW: w, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		Native: map[string]float64{"weight_exp": 1, "num_weight_bits": 8}}}
	nl.Outputs = []*ir.Port{{Name: "out", Shape: []int{nout}, Size: nout, Source: "C", Kind: "spikes"}}
	const steps = 60
	s := &emulator.Stream{Shape: []int{nin}}
	for t := 0; t < steps; t++ {
		for j := 0; j < nin; j++ {
			if r.Float64() < 0.1 {
				s.Times, s.Indices = append(s.Times, t), append(s.Indices, j)
			}
		}
	}
	return nl, &emulator.Stimulus{Dt: 1e-3, Steps: steps, Streams: map[string]*emulator.Stream{"in": s}}
}

func tableCol(t *testing.T, tb targets.Table, col string) []string {
	t.Helper()
	for c, h := range tb.Header {
		if h == col {
			var out []string
			for _, row := range tb.Rows {
				out = append(out, row[c])
			}
			return out
		}
	}
	t.Fatalf("table %q has no column %q", tb.Title, col)
	return nil
}

func findTable(rep *targets.Report, title string) (targets.Table, bool) {
	for _, tb := range rep.Tables {
		if tb.Title == title {
			return tb, true
		}
	}
	return targets.Table{}, false
}

// TestConvPopulationAxons: a conv layer whose expanded synapses need more cores than
// the chip has fits with population (shared-weight) axons, the packing and conv tables
// show the encoding, and the run is bit-identical to the expanded mapping.
func TestConvPopulationAxons(t *testing.T) {
	nl, stim := convNet(7, 4, 16, 16, 16)
	hw := Loihi1
	hw.SynapseWordsPerCore = 1024 // a small synapse memory makes the conv layer memory-bound
	tg := New(hw)
	// discrete: count the cores it needs on a large system, then refuse on one chip
	_, rep, err := tg.Compile(nl, targets.Options{Flags: map[string]string{"conv-axons": "discrete", "chips": "4"}})
	if err != nil {
		t.Fatal(err)
	}
	pk, _ := findTable(rep, "packing")
	discreteCores := len(pk.Rows)
	ct, ok := findTable(rep, "conv synapse encoding")
	if !ok {
		t.Fatal("no conv encoding table")
	}
	dw, _ := strconv.Atoi(tableCol(t, ct, "discrete_words")[0])
	pw, _ := strconv.Atoi(tableCol(t, ct, "pop_words")[0])
	t.Logf("discrete: %d cores; words discrete %d, population %d", discreteCores, dw, pw)
	if !(pw < dw) {
		t.Fatalf("population encoding %d words is not cheaper than discrete %d", pw, dw)
	}
	hw.CoresPerChip = discreteCores - 1
	tg = New(hw)
	_, _, err = tg.Compile(nl, targets.Options{Flags: map[string]string{"conv-axons": "discrete"}})
	var fe *FitError
	if !errors.As(err, &fe) || fe.Resource != "cores" || fe.Population != "C" {
		t.Fatalf("discrete axons on %d cores: err %v, want a cores FitError", hw.CoresPerChip, err)
	}
	img, rep, err := tg.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatalf("population axons do not fit either: %v", err)
	}
	pk, _ = findTable(rep, "packing")
	ct, _ = findTable(rep, "conv synapse encoding")
	t.Logf("auto: %d cores, encoding %v", len(pk.Rows), tableCol(t, ct, "encoding"))
	if tableCol(t, ct, "encoding")[0] != "population (shared weights)" {
		t.Fatalf("encoding %v", tableCol(t, ct, "encoding"))
	}
	for i, v := range tableCol(t, pk, "pop_axons_in") {
		if n, _ := strconv.Atoi(v); n == 0 {
			t.Fatalf("core %d has no population axons", i)
		}
		w, _ := strconv.Atoi(tableCol(t, pk, "synapse_words")[i])
		if w > hw.SynapseWordsPerCore {
			t.Fatalf("core %d: %d words > %d", i, w, hw.SynapseWordsPerCore)
		}
	}
	// bit-identical runs: population-axon mapping vs the expanded one (on enough chips)
	m1, err := tg.Load(img, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr1, err := m1.Run(t.Context(), stim, stim.Steps, []string{"C.v"})
	if err != nil {
		t.Fatal(err)
	}
	tr2 := runAll(t, tg, nl, map[string]string{"conv-axons": "discrete", "chips": "2"}, stim, stim.Steps, []string{"C.v"})
	if d := diff(tr1.Streams["out"], tr2.Streams["out"]); d != "" {
		t.Fatalf("spikes differ: %s", d)
	}
	if d := diff(tr1.Probes, tr2.Probes); d != "" {
		t.Fatalf("v differs: %s", d)
	}
	if tr1.Streams["out"].Counts() == nil || len(tr1.Streams["out"].Times) == 0 {
		t.Fatal("the conv layer never fired")
	}
	t.Logf("%d spikes, identical", len(tr1.Streams["out"].Times))
}
