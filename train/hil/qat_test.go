package hil

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
)

// TestQuantizer: on ref the quantizer is the identity; on analog it rounds every weight
// to one of the 6-bit levels of its projection's gain, within half a level, and it is
// not affected by the chip's mismatch flags (QuietOptions).
func TestQuantizer(t *testing.T) {
	cfg := train.DefaultConfig(4, 12, 3)
	cfg.Reset = train.ResetZero
	m, err := train.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitKaiming(3)
	for _, tc := range []struct {
		target string
		flags  map[string]string
		exact  bool
	}{
		{"ref", nil, true},
		{"analog", map[string]string{"mismatch": "3"}, false},
	} {
		t.Run(tc.target, func(t *testing.T) {
			q, err := NewQuantizer(m, train.ExportMeta{Steps: 10}, tc.target, targets.Options{Seed: 1, Flags: tc.flags})
			if err != nil {
				t.Fatal(err)
			}
			dst := m.Clone()
			if err := q.Apply(dst, m); err != nil {
				t.Fatal(err)
			}
			for _, p := range m.Projections() {
				w, _ := m.Weights(p)
				qw, _ := dst.Weights(p)
				if tc.exact {
					if d := cmp.Diff(w, qw); d != "" {
						t.Fatalf("%s: ref changed weights:\n%s", p, d)
					}
					continue
				}
				levels := map[float64]bool{}
				step, maxAbs := math.Inf(1), 0.0
				for _, v := range w {
					maxAbs = max(maxAbs, math.Abs(v))
				}
				for _, v := range qw {
					levels[math.Abs(v)] = true
					if v != 0 {
						step = min(step, math.Abs(v))
					}
				}
				if len(levels) > 64 || len(levels) < 8 {
					t.Fatalf("%s: %d distinct magnitudes (want a 6-bit grid)", p, len(levels))
				}
				for k := range w {
					if math.Abs(w[k]-qw[k]) > step/2+1e-12 && math.Abs(w[k]) < maxAbs {
						t.Fatalf("%s[%d]: %g quantized to %g (step %g)", p, k, w[k], qw[k], step)
					}
				}
			}
		})
	}
	if QuietOptions("analog", targets.Options{Flags: map[string]string{"mismatch": "3"}}).Flags["mismatch"] != "0" {
		t.Fatal("QuietOptions kept the mismatch")
	}
}
