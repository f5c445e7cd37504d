package loihi

import (
	"errors"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// chain builds in(nin) → A(na) → B(nb) with dense all-to-all weights 10 and delay d.
func chain(nin, na, nb int, d int32) *ir.Netlist {
	nl := &ir.Netlist{Semantics: ir.DefaultSemantics(1e-3), Inputs: []*ir.Port{{Name: "in", Shape: []int{nin}, Size: nin}}}
	pop := func(name string, n int) *ir.Population {
		return &ir.Population{Name: name, Model: ir.TLoihiCUBA, Shape: []int{n}, Size: n, Params: map[string][]float64{"du": {0}, "dv": {0}, "vth": {100}}}
	}
	dense := func(name, pre, post string, np, nq int) *ir.Projection {
		w := make([]float64, np*nq)
		for i := range w {
			w[i] = 10
		}
		pr := &ir.Projection{Name: name, Pre: pre, Post: post, PreSize: np, PostSize: nq, Kind: ir.Dense, W: w, Latency: 1,
			Native: map[string]float64{"weight_exp": 0, "num_weight_bits": 8}}
		if d > 0 {
			pr.Delay = []int32{d}
		}
		return pr
	}
	nl.Populations = []*ir.Population{pop("A", na), pop("B", nb)}
	nl.Projections = []*ir.Projection{dense("inA", "in", "A", nin, na), dense("AB", "A", "B", na, nb)}
	return nl
}

func TestMapperLimits(t *testing.T) {
	cases := []struct {
		name     string
		hw       func(h *HW)
		nl       *ir.Netlist
		chips    string
		pop, res string
		need     int64
		limit    int64
	}{
		{"cores", func(h *HW) { h.CompartmentsPerCore, h.CoresPerChip = 100, 2 }, chain(5, 150, 150, 0), "1", "A", "cores", 4, 2},
		{"input axons", func(h *HW) { h.InAxonsPerCore = 40 }, chain(50, 10, 10, 0), "1", "A", "input axons per core", 50, 40},
		{"synapse words", func(h *HW) { h.SynapseWordsPerCore = 20 }, chain(30, 10, 10, 0), "1", "A", "synapse words per core", 30, 20},
		{"output axons", func(h *HW) { h.CompartmentsPerCore, h.OutAxonsPerCore = 10, 5 }, chain(2, 4, 100, 0), "1", "A", "output axons per core", 10, 5},
		{"delay", func(h *HW) {}, chain(2, 4, 4, 63), "1", "", "delay", 63, 62},
		{"delay slots", func(h *HW) { h.DelaySlotBudget = 4 }, chain(2, 4, 4, 7), "1", "A", "compartments x delay slots", 8, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hw := Loihi1
			tc.hw(&hw)
			img, _, err := New(hw).Compile(tc.nl, targets.Options{Flags: map[string]string{"chips": tc.chips}})
			if err == nil || img != nil {
				t.Fatalf("compiled (img %v, err %v)", img != nil, err)
			}
			if !errors.Is(err, targets.ErrDoesNotFit) {
				t.Fatalf("err %v does not wrap ErrDoesNotFit", err)
			}
			var fe *FitError
			if errors.As(err, &fe) {
				if fe.Population != tc.pop || fe.Resource != tc.res || fe.Need != tc.need || fe.Limit != tc.limit {
					t.Fatalf("got %+v, want %s/%s need %d limit %d", *fe, tc.pop, tc.res, tc.need, tc.limit)
				}
			} else if !strings.Contains(err.Error(), tc.res) || !strings.Contains(err.Error(), "need 63") || !strings.Contains(err.Error(), "limit 62") {
				t.Fatalf("err %v", err)
			}
			t.Log(err)
		})
	}
}

// TestMapperSplits checks that populations are split to meet every limit and that the
// packing table shows it.
func TestMapperSplits(t *testing.T) {
	cases := []struct {
		name  string
		hw    func(h *HW)
		nl    *ir.Netlist
		cores int
	}{
		{"compartments", func(h *HW) { h.CompartmentsPerCore = 100 }, chain(5, 250, 100, 0), 3 + 1},
		{"delay slots", func(h *HW) {}, chain(5, 1000, 10, 15), 2 + 1}, // 16 slots: ≤ 512 compartments per core
		{"synapse words", func(h *HW) { h.SynapseWordsPerCore = 120 }, chain(100, 10, 1, 0), 0},
		{"output axons", func(h *HW) { h.CompartmentsPerCore, h.OutAxonsPerCore = 10, 20 }, chain(2, 4, 100, 0), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hw := Loihi1
			tc.hw(&hw)
			_, rep, err := New(hw).Compile(tc.nl, targets.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var pack targets.Table
			for _, tb := range rep.Tables {
				if tb.Title == "packing" {
					pack = tb
				}
			}
			if tc.cores > 0 && len(pack.Rows) != tc.cores {
				t.Fatalf("%d cores, want %d\n%v", len(pack.Rows), tc.cores, pack.Rows)
			}
			for _, u := range rep.Data["packing"].([]map[string]any) {
				if u["compartments"].(int) > hw.CompartmentsPerCore || u["axons_in"].(int) > hw.InAxonsPerCore ||
					u["axons_out"].(int) > hw.OutAxonsPerCore || u["synapse_words"].(int) > hw.SynapseWordsPerCore ||
					u["compartments"].(int)*u["delay_slots"].(int) > hw.DelaySlotBudget {
					t.Fatalf("core over a limit: %v", u)
				}
			}
			if tc.cores == 0 && len(pack.Rows) < 3 {
				t.Fatalf("expected a split, got %v", pack.Rows)
			}
		})
	}
}

func TestSegWords(t *testing.T) {
	h := Loihi1
	cases := []struct{ n, wb, db, ib, want int }{
		{1, 8, 0, 0, 1},        // 8 + 10 bits
		{6, 8, 0, 0, 1},        // 58 bits
		{7, 8, 0, 0, 2},        // 66 bits
		{64, 8, 0, 10, 19},     // 64·18 + 10 = 1162 bits → 19 words
		{65, 8, 0, 10, 19 + 1}, // second group of 1: 28 bits
	}
	for _, c := range cases {
		if got := h.segWords(c.n, c.wb, c.db, c.ib); got != c.want {
			t.Errorf("segWords(%d,%d,%d,%d) = %d, want %d", c.n, c.wb, c.db, c.ib, got, c.want)
		}
	}
}

// TestMapperCountsSelfSynapses: an AHP neuron's own spike reaches its dendrite through a
// self synapse, which takes an input axon, an output axon and synapse words on its
// core like any other source (spec §7, §8). The two-compartment population h of a
// 20-40-10 network gets 20 input axons from "in" plus 40 self axons, and 40 + 40
// output axons (each neuron: one to o's core, one to its own core).
func TestMapperCountsSelfSynapses(t *testing.T) {
	doc := floatModel(5, "AHPLIF", 20, 40, 10, false, 0)
	_, rep := runTarget(t, "loihi", doc, poisson(1, "in", 20, 10, 0.1), 10)
	use, ok := rep.Data["packing"].([]map[string]any)
	if !ok {
		t.Fatalf("no packing in the report: %T", rep.Data["packing"])
	}
	var axIn, axOut, words int
	for _, u := range use {
		if u["population"] == "h" {
			axIn += u["axons_in"].(int)
			axOut += u["axons_out"].(int)
			words += u["synapse_words"].(int)
		}
	}
	// in → h is dense: each of the 20 inputs is one axon per core of h (one core here)
	if axIn != 20+40 {
		t.Errorf("h: %d input axons, want 20 + 40 self", axIn)
	}
	if axOut != 40*1+40 {
		t.Errorf("h: %d output axons, want 40 (to o's core) + 40 (own core)", axOut)
	}
	if words == 0 {
		t.Error("h: no synapse words")
	}
}
