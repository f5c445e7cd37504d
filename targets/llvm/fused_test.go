package llvm

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// TestFusedMatchesLoihi runs the recurrent CUBA network with only v probes (and the
// spike output), so the native program uses the fused layout (contributions added
// straight into a pre-decayed u): n = 400 and 416 run the vector loop (25 and 26
// vectors: the unrolled loop plus one or two straight-line vectors), n = 410 (not a
// whole number of vectors) the scalar fused loop. The u-probed run of
// TestCUBASmallMatchesLoihi covers the classic layout of the same network.
func TestFusedMatchesLoihi(t *testing.T) {
	needTools(t)
	for _, n := range []int{400, 416, 410} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			nl := cubaNetlist(n, 0.2, 7)
			// a non-zero initial u: the fused layout starts from decay(u0)
			u0 := make([]float64, n)
			for i := range u0 {
				u0[i] = float64((i*7919)%40001 - 20000)
			}
			nl.Populations[0].Params["u0"] = u0
			img, _, err := Target{}.Compile(nl, targets.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := img.(*image).net.pops[0]
			if !p.fused || vectorized(&p) != (n%vecLanes == 0) {
				t.Fatalf("fused %v, vectorized %v: the test does not exercise the path it names", p.fused, vectorized(&p))
			}
			want, got := runBoth(t, nl, nil, 1500, []string{"cuba.v"})
			sameTrace(t, want, got)
			if countSpikes(got) < 100 {
				t.Fatalf("only %d spikes: the test exercises too little", countSpikes(got))
			}
		})
	}
}

// TestFusedFlags: the fused layout needs one accumulator slot and both exactness
// proofs (boundAccumulators); input-fed layers and delayed projections keep the
// accumulator ring.
func TestFusedFlags(t *testing.T) {
	dense, _ := denseNetlist(1, 10, 0.05)
	tests := []struct {
		name  string
		img   *image
		fused []bool
	}{
		{"cuba", compileImage(t, cubaNetlist(4000, 0.02, 1)), []bool{true}},
		{"dense", compileImage(t, dense), []bool{false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []bool
			for _, p := range tc.img.net.pops {
				got = append(got, p.fused)
				if p.fused && (p.slots != 1 || !p.qExact || !p.uExact) {
					t.Errorf("%s fused with slots %d, qExact %v, uExact %v", p.name, p.slots, p.qExact, p.uExact)
				}
			}
			if diff := cmp.Diff(tc.fused, got); diff != "" {
				t.Errorf("fused (-want +got):\n%s", diff)
			}
		})
	}
}

func compileImage(t *testing.T, nl *ir.Netlist) *image {
	t.Helper()
	img, _, err := Target{}.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return img.(*image)
}

// TestPadRows: padded rows are whole groups, keep their synapses in order and fill
// with the spare target only.
func TestPadRows(t *testing.T) {
	pr := &projM{preSize: 3, postSize: 5, start: []int64{0, 3, 3, 12}, tgt: []int64{4, 0, 2, 1, 2, 3, 4, 0, 1, 2, 3, 4}}
	start, tgt := padRows(pr, 4, 5)
	wantStart := []int64{0, 4, 4, 16}
	wantTgt := []int64{4, 0, 2, 5, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 5, 5}
	if diff := cmp.Diff(wantStart, start); diff != "" {
		t.Errorf("start (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantTgt, tgt); diff != "" {
		t.Errorf("tgt (-want +got):\n%s", diff)
	}
}

// TestVmaxBound: the upper clip of v is left out only where vmax > vth << 6 for every
// neuron (vmaxExact), so that a clipped v spikes and resets exactly like an unclipped
// one. With vth = 2040 (vth << 6 = 130560) and pos_vm_limit 4 (vmax = 2^17 − 1) the
// clip is dropped although v does pass vmax before the compare; with pos_vm_limit 3
// (vmax = 2^15 − 1 < vth << 6) it is kept and pins v at vmax, which dropping it would
// change (the neurons would then spike).
func TestVmaxBound(t *testing.T) {
	if p := compileImage(t, cubaNetlist(4000, 0.02, 1)).net.pops[0]; !p.vmaxExact {
		t.Errorf("cuba: vmaxExact false, want true")
	}
	needTools(t)
	for _, tc := range []struct {
		posVm     float64
		vmaxExact bool
	}{{4, true}, {3, false}} {
		t.Run(fmt.Sprintf("pos_vm_limit=%v", tc.posVm), func(t *testing.T) {
			nl := cubaNetlist(400, 0.2, 7)
			nl.Populations[0].Params["vth"] = []float64{2040}
			nl.Populations[0].Params["pos_vm_limit"] = []float64{tc.posVm}
			p := compileImage(t, nl).net.pops[0]
			if p.vmaxExact != tc.vmaxExact {
				t.Fatalf("vmaxExact %v, want %v", p.vmaxExact, tc.vmaxExact)
			}
			for _, probes := range [][]string{{"cuba.v"}, {"cuba.u", "cuba.v"}} {
				want, got := runBoth(t, nl, nil, 1500, probes)
				sameTrace(t, want, got)
				pinned := false
				for _, pd := range got.Probes {
					for _, row := range pd.Data {
						for _, v := range row {
							pinned = pinned || (pd.Name == "cuba.v" && v == float64(p.vmax[0]))
						}
					}
				}
				if !tc.vmaxExact && !pinned {
					t.Fatalf("v never reaches vmax: the clip is not exercised")
				}
			}
		})
	}
}
