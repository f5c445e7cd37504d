package analog

import (
	"math"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// TestGradedRangeFitsReadout: a graded (CubaLI) output whose membrane bound exceeds the
// reliable readout range with the default map (1 model unit per reset..threshold span) is
// compressed so that its membrane is read through the CADC without clipping; a small one
// keeps the default map.
func TestGradedRangeFitsReadout(t *testing.T) {
	const dt, nIn, steps = 1e-3, 40, 40
	pop := popSpec{name: "out", model: ir.TCubaLI, size: 2, tauMem: 8e-3, tauSyn: 4e-3}
	for _, tc := range []struct {
		name      string
		w         float64 // every weight
		flags     map[string]string
		wantScale float64 // 0: anything below the default
	}{
		{"small keeps default map", 0.02, nil, 45},
		{"large compressed", 2, nil, 0},
		{"large whole bound", 2, map[string]string{"graded-range": "0"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := make([]float64, nIn*2)
			for i := 0; i < nIn; i++ {
				w[2*i], w[2*i+1] = tc.w, tc.w
			}
			nl := ffNetlist(dt, nIn, pop, w)
			flags := ideal()
			for k, v := range tc.flags {
				flags[k] = v
			}
			tg, err := targets.Lookup("analog")
			if err != nil {
				t.Fatal(err)
			}
			opt := targets.WithDefaults(tg, targets.Options{Seed: 1, Flags: flags})
			img, _, err := tg.Compile(nl, opt)
			if err != nil {
				t.Fatal(err)
			}
			pm := img.(*image).pay.Pops[0]
			prof := img.(*image).prof
			if tc.wantScale > 0 && math.Abs(pm.Scale-tc.wantScale) > 1e-9 {
				t.Fatalf("scale %g readout units per model unit, want the default %g", pm.Scale, tc.wantScale)
			}
			if tc.wantScale == 0 && pm.Scale >= 45 {
				t.Fatalf("scale %g not compressed", pm.Scale)
			}
			if tc.wantScale == 0 {
				lo, hi := 0.0, tc.w*nIn // the membrane bound (unit steady-state gain)
				if r := opt.Flag("graded-range", "16"); r == "16" {
					hi = 32 // ±16 around 0, shifted to start at the bound's 0
				}
				for _, v := range []float64{lo, hi} {
					if c := pm.Offset + pm.Scale*v; c < prof.ReadoutMin-1e-6 || c > prof.ReadoutMax+1e-6 {
						t.Fatalf("membrane %g model units maps to %.2f readout units, outside %g..%g", v, c, prof.ReadoutMin, prof.ReadoutMax)
					}
				}
				if want := (prof.ReadoutMax - prof.ReadoutMin) / (hi - lo); math.Abs(pm.Scale-want) > 1e-9 {
					t.Fatalf("scale %g, want %g (range %g..%g over the reliable readout range)", pm.Scale, want, lo, hi)
				}
			}
		})
	}
}
