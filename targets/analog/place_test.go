package analog

import (
	"errors"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// TestPlacementUsesSecondBlock: a 100-128-10 network with signed weights needs 200 rows
// for its hidden layer and 256 for its readout; both on bss2 block 0 they need 456 of 256
// rows, so the readout starts block 1 (columns 256…) and the network fits. A hidden layer
// that alone needs more rows than a block still fails, naming it.
func TestPlacementUsesSecondBlock(t *testing.T) {
	const dt = 1e-3
	signed := func(n int) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = 0.5
			if i%3 == 0 {
				w[i] = -0.5
			}
		}
		return w
	}
	build := func(nIn int) *ir.Netlist {
		h := buildPop(popSpec{name: "h", model: ir.TLIF, size: 128, tauMem: 8e-3}, dt)
		o := buildPop(popSpec{name: "o", model: ir.TLIF, size: 10, tauMem: 8e-3}, dt)
		return &ir.Netlist{
			Semantics:   ir.DefaultSemantics(dt),
			Inputs:      []*ir.Port{{Name: "in", Shape: []int{nIn}, Size: nIn, Kind: "spikes"}},
			Outputs:     []*ir.Port{{Name: "out", Shape: []int{10}, Size: 10, Source: "o", Kind: "spikes"}},
			Populations: []*ir.Population{h, o},
			Projections: []*ir.Projection{
				{Name: "fc1", Pre: "in", Post: "h", PreSize: nIn, PostSize: 128, Kind: ir.Dense, W: signed(nIn * 128), Latency: 1},
				{Name: "fc2", Pre: "h", Post: "o", PreSize: 128, PostSize: 10, Kind: ir.Dense, W: signed(128 * 10), Latency: 1},
			},
		}
	}
	tg, err := targets.Lookup("analog")
	if err != nil {
		t.Fatal(err)
	}
	opt := targets.WithDefaults(tg, targets.Options{Seed: 1})
	img, _, err := tg.Compile(build(100), opt)
	if err != nil {
		t.Fatalf("100-128-10 should fit bss2 with the readout on block 1: %v", err)
	}
	pops := img.(*image).pay.Pops
	if pops[0].First != 0 || pops[1].First != 256 {
		t.Errorf("placed h at %d, o at %d; want 0 and 256", pops[0].First, pops[1].First)
	}
	_, _, err = tg.Compile(build(140), opt) // 280 rows for h alone
	if !errors.Is(err, targets.ErrDoesNotFit) || !strings.Contains(err.Error(), "h") || !strings.Contains(err.Error(), "280") {
		t.Errorf("140 signed inputs: %v; want does-not-fit naming h and 280 rows", err)
	}
}
