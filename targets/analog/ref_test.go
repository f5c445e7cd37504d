package analog

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/snnc/snnc/ir"
)

// compareTrains pairs the spikes of each neuron in order and returns the number of
// unpaired spikes and the largest time difference (in model steps) among pairs.
func compareTrains(a, b [][]int) (unpaired, maxDiff int) {
	for i := range a {
		x, y := a[i], b[i]
		unpaired += abs(len(x) - len(y))
		for k := 0; k < min(len(x), len(y)); k++ {
			maxDiff = max(maxDiff, abs(x[k]-y[k]))
		}
	}
	return
}

// matchedWithin is the fraction of spikes of a and b that pair (greedily, in time order)
// with a spike of the same neuron at most tol steps away.
func matchedWithin(a, b [][]int, tol int) float64 {
	paired, total := 0, 0
	for i := range a {
		x, y := a[i], b[i]
		total += len(x) + len(y)
		k := 0
		for _, tx := range x {
			for k < len(y) && y[k] < tx-tol {
				k++
			}
			if k < len(y) && y[k] <= tx+tol {
				paired += 2
				k++
			}
		}
	}
	if total == 0 {
		return 1
	}
	return float64(paired) / float64(total)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// TestMatchesRef: with mismatch, noise and drift off and exactly representable weights
// and time constants, the chip's spike trains match the float reference. LIF spikes
// land in the same model step (the continuous crossing lies inside the step ref
// detects it in: within one internal step of it). CubaLIF: ref holds the step's new
// synaptic current over the whole step while the circuit integrates the coupled ODE
// (the current rises during the step), a lag that accumulates over a spike train: the
// declared tolerance is ≥ 90 % of spikes paired within two model steps, counts within 1.
func TestMatchesRef(t *testing.T) {
	const dt = 1e-3
	cases := []struct {
		name       string
		pop        popSpec
		exact      bool    // identical spike trains
		minMatched float64 // else: fraction of spikes paired within one step
	}{
		{"lif", popSpec{name: "lif", model: ir.TLIF, size: 16, tauMem: 10e-3}, true, 1},
		{"lif_tau20_refractory", popSpec{name: "lif", model: ir.TLIF, size: 16, tauMem: 20e-3, refractorySteps: 2, vreset: -0.2}, true, 1},
		{"cubalif", popSpec{name: "cuba", model: ir.TCubaLIF, size: 16, tauMem: 10e-3, tauSyn: 5e-3}, false, 0.9},
		{"cubalif_slow", popSpec{name: "cuba", model: ir.TCubaLIF, size: 16, tauMem: 20e-3, tauSyn: 10e-3}, false, 0.9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := representable(16*32, 0.9/63, -20, 3)
			if c.pop.model == ir.TCubaLIF {
				w = representable(16*32, 0.5/63, -20, 3)
			}
			nl := ffNetlist(dt, 32, c.pop, w)
			stim := poisson(dt, 32, 400, 0.3, 5)
			want, _ := runOn(t, "ref", nl, 1, nil, stim, 400)
			got, _ := runOn(t, "analog", nl, 1, ideal(), stim, 400)
			a, b := trains(want.Streams["out"]), trains(got.Streams["out"])
			un, md := compareTrains(a, b)
			frac := matchedWithin(a, b, 2)
			n := want.Streams["out"].Len()
			t.Logf("%s: ref %d spikes, analog %d; unpaired %d, max shift %d steps, %.1f%% paired within 2 steps",
				c.name, n, got.Streams["out"].Len(), un, md, 100*frac)
			if n < 50 {
				t.Fatalf("test network too quiet: %d spikes", n)
			}
			if c.exact && (un != 0 || md != 0) {
				t.Errorf("unpaired %d, max shift %d steps, want identical trains\nref    %v\nanalog %v",
					un, md, fmt.Sprint(a[:3]), fmt.Sprint(b[:3]))
			}
			if !c.exact && un > len(a) {
				t.Errorf("%d unpaired spikes over %d neurons", un, len(a))
			}
			if frac < c.minMatched {
				t.Errorf("%.1f%% of spikes paired within two steps, want ≥ %.0f%%", 100*frac, 100*c.minMatched)
			}
		})
	}
}

// TestAdEx: snnc.AHPLIF runs on the AdEx circuit (adaptation current, exponential term
// off): like ref within the CubaLIF tolerance, and adaptation lowers the rate.
func TestAdEx(t *testing.T) {
	const dt = 1e-3
	w := representable(16*32, 0.5/63, -20, 3)
	stim := poisson(dt, 32, 400, 0.3, 5)
	count := func(target string, pop popSpec) (int, [][]int) {
		flags := ideal()
		if target == "ref" {
			flags = nil
		}
		tr, _ := runOn(t, target, ffNetlist(dt, 32, pop, w), 1, flags, stim, 400)
		return tr.Streams["out"].Len(), trains(tr.Streams["out"])
	}
	ahp := popSpec{name: "ahp", model: ir.TAHPLIF, size: 16, tauMem: 10e-3, tauSyn: 5e-3, tauAHP: 40e-3, wAHP: 2}
	plain := popSpec{name: "cuba", model: ir.TCubaLIF, size: 16, tauMem: 10e-3, tauSyn: 5e-3}
	nRef, a := count("ref", ahp)
	nChip, b := count("analog", ahp)
	nPlain, _ := count("analog", plain)
	frac := matchedWithin(a, b, 2)
	t.Logf("AHPLIF: ref %d spikes, analog %d (%.0f%% within 2 steps); without adaptation %d", nRef, nChip, 100*frac, nPlain)
	// the circuit's adaptation current jumps at the crossing, ref's from the next step
	if frac < 0.7 || abs(nRef-nChip) > nRef/20 {
		t.Errorf("%d vs %d spikes, %.0f%% paired within 2 steps; want counts within 5%% and ≥ 70%% paired", nChip, nRef, 100*frac)
	}
	if !(nChip < nPlain*9/10) {
		t.Errorf("adaptation did not lower the rate: %d spikes with, %d without", nChip, nPlain)
	}
}

// TestDynapse2: the real-time profile runs (parameters per core, 4-bit weights, no ADC).
func TestDynapse2(t *testing.T) {
	const dt = 1e-3
	nl := ffNetlist(dt, 32, popSpec{name: "lif", model: ir.TLIF, size: 300, tauMem: 20e-3}, representable(32*300, 0.9/63, -5, 3))
	stim := poisson(dt, 32, 200, 0.3, 5)
	flags := map[string]string{"profile": "dynapse2"}
	tr, m := runOn(t, "analog", nl, 1, flags, stim, 200, "lif.v")
	if tr.Streams["out"].Len() == 0 {
		t.Error("no spikes")
	}
	w, _ := m.Weights("fc")
	g := 0.9 / 15 // 4-bit magnitude: the core's base-current ladder
	for i, x := range w {
		if q := x / g; math.Abs(q-math.Round(q)) > 1e-9 || math.Abs(q) > 15+1e-9 {
			t.Fatalf("weight %d = %g is %g base units: not a 4-bit weight", i, x, q)
		}
	}
	if _, err := m.Run(context.Background(), stim, 10, []string{"lif.cadc"}); !errors.Is(err, ErrNoReadout) {
		t.Errorf("cadc on dynapse2: %v", err)
	}
	if _, err := Calibrate(profiles["dynapse2"], 1, CalibrateOptions{Mismatch: 1}); err == nil {
		t.Error("dynapse2 calibrated per neuron")
	}
}
