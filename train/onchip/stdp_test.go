package onchip

import (
	"testing"
)

// stdpRule is the pair-based STDP rule of the issue: potentiation on a post spike by the
// pre trace, depression on a pre spike by the post trace.
const stdpRule = "dw = 2^-2*x1*y0 - 2^-2*y1*x0"

// pairDW runs one pre/post pairing with post − pre = dt steps on a fresh engine (weight 0
// onto the post so the pre spike cannot cause the post spike; the post spike is forced with
// an Extra current) and returns the weight change after the traces have decayed.
func pairDW(t *testing.T, dt int, tepoch int, seed uint64) int {
	t.Helper()
	e, err := New(Config{
		NPre: 1, NPost: 1,
		Cx:        Compartment{Du: 4095, Dv: 4095, Vth: 10, RefractDelay: 1},
		W:         []int{128},
		WeightExp: -8, // pre spikes add shexp(128, −8) = 0: the post spike is only the forced one
		Sign:      SignExc,
		Rules:     MustParseRules(stdpRule),
		TEpoch:    tepoch,
		X1:        TraceFromTau(64, 8),
		Y1:        TraceFromTau(64, 8),
		Seed:      seed,
	})
	if err != nil {
		t.Fatal(err)
	}
	const t0 = 40
	force := []int64{1 << 20}
	for s := 1; s <= 120; s++ {
		in := Input{Pre: []bool{s == t0}}
		if s == t0+dt {
			in.Extra = force
		}
		post, err := e.Step(in)
		if err != nil {
			t.Fatal(err)
		}
		if post[0] != (s == t0+dt) {
			t.Fatalf("dt=%d step %d: post spike %v", dt, s, post[0])
		}
	}
	return e.Weights()[0] - 128
}

// TestSTDPCurve measures the mean weight change against the spike-time difference and
// asserts the STDP shape: pre-before-post potentiates, post-before-pre depresses, and the
// magnitude falls with |dt|.
func TestSTDPCurve(t *testing.T) {
	const seeds = 16
	for _, tepoch := range []int{1, 4} {
		curve := map[int]float64{}
		for dt := -20; dt <= 20; dt++ {
			if dt == 0 {
				continue
			}
			sum := 0
			for s := uint64(0); s < seeds; s++ {
				sum += pairDW(t, dt, tepoch, s+1)
			}
			curve[dt] = float64(sum) / seeds
		}
		t.Logf("t_epoch=%d  dt: mean dw  %v", tepoch, curve)
		for dt := 1; dt <= 20; dt++ {
			if curve[dt] <= 0 && dt <= 12 {
				t.Errorf("t_epoch=%d dt=+%d: mean dw %.2f, want > 0 (pre before post potentiates)", tepoch, dt, curve[dt])
			}
			if curve[-dt] >= 0 && dt <= 12 {
				t.Errorf("t_epoch=%d dt=-%d: mean dw %.2f, want < 0 (post before pre depresses)", tepoch, dt, curve[-dt])
			}
		}
		for _, pair := range [][2]int{{1, 4}, {4, 8}, {8, 16}} {
			a, b := pair[0], pair[1]
			if !(curve[a] > curve[b]) || !(curve[-a] < curve[-b]) {
				t.Errorf("t_epoch=%d: |dw| not decreasing from |dt|=%d to %d: %+.2f %+.2f / %+.2f %+.2f", tepoch, a, b, curve[a], curve[b], curve[-a], curve[-b])
			}
		}
	}
}
