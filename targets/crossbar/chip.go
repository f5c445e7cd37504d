package crossbar

import (
	"math"

	"github.com/snnc/snnc/emulator"
)

// Random stream numbers (emulator.NewRand(seed, stream)); one per purpose and unit so
// that draws never depend on scheduling.
const (
	streamTileBase   = 1 << 10 // + 4·tile + {0 devices, 1 programming, 2 reference read}
	streamReadBase   = 1 << 24 // + core: read and ADC noise
	streamNeuronBase = 1 << 25 // + core: memristive neurons
	streamReprogram  = 1 << 26 // SetWeights programming noise
)

// Device fault states.
const (
	faultNone uint8 = iota
	faultOff        // stuck at Gmin
	faultOn         // stuck at Gmax
)

// tileDev is one physical tile of a chip instance. Cells are row-major over the used
// rows (Ru) and physical columns (P = 2·slices·cols), column p = (c·slices+s)·2 + {0: G+, 1: G−};
// the row driver sits at column 0, the column sense amplifiers below the last tile row.
type tileDev struct {
	place  *tilePlace
	Ru, P  int
	Q      int       // cell pairs = cols·slices
	gMin   []float64 // per device, with spread (µS)
	gMax   []float64
	fault  []uint8
	zDrift []float64 // per device standard normal of its drift
	gProg  []float64 // programmed conductance at t = 0 (µS)
	g      []float64 // conductance at the configured age
	geff   []float64 // g with the static first-order row-wire IR factor
	v2     []float64 // Ru×Q read-noise variance of each pair (µS²), nil without read noise
	rowG   []float64 // Σ_p g per row (energy)
	// Row replicas (docs/crossbar.md "Row and column replicas") are always driven
	// together, so a read adds each replica group once: lead[r] is the first row of r's
	// group in this tile (nil without replicas), and gSum, v2Sum, rowGSum hold the group's
	// sums of geff, v2 and rowG in its lead row.
	lead                 []int32
	gSum, v2Sum, rowGSum []float64
	alpha                float64   // global drift compensation factor
	scales               []float64 // per logical column (model units per full-scale pair)
}

// newTileDev draws the tile's fixed device properties (spread, faults, drift draws).
func newTileDev(cfg *Config, tp *tilePlace, pl *popLayout, seed uint64, id int) *tileDev {
	P := tp.Cols * 2 * pl.K
	n := tp.Rows * P
	t := &tileDev{place: tp, Ru: tp.Rows, P: P, Q: tp.Cols * pl.K,
		gMin: make([]float64, n), gMax: make([]float64, n), fault: make([]uint8, n), zDrift: make([]float64, n),
		gProg: make([]float64, n), g: make([]float64, n), rowG: make([]float64, tp.Rows), alpha: 1,
		scales: append([]float64(nil), tp.Scales...)}
	if pl.Rep > 1 {
		t.lead = make([]int32, tp.Rows)
		first := map[int32]int32{}
		for r := range t.lead {
			b := pl.Base[tp.Block*cfg.Tile+r]
			f, ok := first[b]
			if !ok {
				f = int32(r)
				first[b] = f
			}
			t.lead[r] = f
		}
	}
	pr := &cfg.Profile
	rng := emulator.NewRand(seed, uint64(streamTileBase+4*id))
	z := make([]float64, 3*n)
	rng.FillNorm(z)
	for k := 0; k < n; k++ {
		t.gMin[k], t.gMax[k] = pr.GMin, pr.GMax
		if cfg.Spread {
			// spec "device-to-device spread": CV on Gmax and on Gmin, clipped at ≥ 0.
			t.gMin[k] = max(0, pr.GMin*(1+pr.SpreadGMinCV*z[3*k]))
			t.gMax[k] = max(t.gMin[k], pr.GMax*(1+pr.SpreadGMaxCV*z[3*k+1]))
		}
		t.zDrift[k] = z[3*k+2]
		u := rng.Float64()
		if cfg.Faults {
			switch {
			case u < pr.StuckOff:
				t.fault[k] = faultOff
			case u < pr.StuckOff+pr.StuckOn:
				t.fault[k] = faultOn
			}
		}
	}
	return t
}

// program writes the tile from the logical matrix M of its population with programming
// noise drawn from rng, then applies drift and precomputes the read-time tables.
func (t *tileDev) program(cfg *Config, pl *popLayout, rng *emulator.Rand) {
	tp := t.place
	pr := &cfg.Profile
	k := pl.K
	f := make([]float64, k)
	noise := make([]float64, t.Ru*t.P)
	if cfg.ProgNoise {
		rng.FillNorm(noise)
	}
	for r := 0; r < t.Ru; r++ {
		row := pl.M[(tp.Block*cfg.Tile+r)*pl.Size+tp.Group*pl.CG:]
		for c := 0; c < tp.Cols; c++ {
			neg := pl.pairCodes(cfg, row[c], t.scales[c], f, tp.Block*cfg.Tile+r)
			for s := 0; s < k; s++ {
				base := r*t.P + (c*k+s)*2
				fp, fm := f[s], 0.0
				if neg {
					fp, fm = 0, f[s]
				}
				for d, frac := range [2]float64{fp, fm} {
					i := base + d
					// Target inside the device's own range; the periphery assumes nominal.
					g := t.gMin[i] + frac*(t.gMax[i]-t.gMin[i])
					if cfg.ProgNoise {
						g = max(0, g+pr.ProgNoise.At(g, pr.GMax)*noise[i])
					}
					switch t.fault[i] {
					case faultOff:
						g = t.gMin[i]
					case faultOn:
						g = t.gMax[i]
					}
					t.gProg[i] = g
				}
			}
		}
	}
	t.settle(cfg)
}

// settle applies drift at the configured age and rebuilds geff, v2, rowG (alpha is set
// by the caller's reference read).
func (t *tileDev) settle(cfg *Config) {
	pr := &cfg.Profile
	for i, g0 := range t.gProg {
		g := g0
		if cfg.Drift && t.fault[i] == faultNone {
			g = pr.Drifted(g0, cfg.AgeS, t.zDrift[i])
		}
		t.g[i] = g
	}
	for r := 0; r < t.Ru; r++ {
		s := 0.0
		for _, g := range t.g[r*t.P : (r+1)*t.P] {
			s += g
		}
		t.rowG[r] = s
	}
	if cfg.IRDrop == "first-order" && pr.WireOhm > 0 {
		// First-order row-wire drop (docs/crossbar.md "IR drop"): the wire segment m
		// (between column m−1, or the driver, and column m) carries the current of every
		// cell at p ≥ m, S(m) = V·Σ_{p≥m} G; the voltage at column j falls by
		// r·Σ_{m≤j} S(m). Static per cell because 1T1R rows are independent.
		if t.geff == nil || len(t.geff) != len(t.g) {
			t.geff = make([]float64, len(t.g))
		}
		rs := pr.WireOhm * 1e-6
		for r := 0; r < t.Ru; r++ {
			row := t.g[r*t.P : (r+1)*t.P]
			suffix := t.rowG[r]
			drop := 0.0
			for p, g := range row {
				drop += rs * suffix
				suffix -= g
				t.geff[r*t.P+p] = g * max(0, 1-drop)
			}
		}
	} else {
		t.geff = t.g
	}
	if cfg.ReadNoise && pr.ReadNoise.Kind != "none" && pr.ReadNoise.Kind != "" {
		if len(t.v2) != t.Ru*t.Q {
			t.v2 = make([]float64, t.Ru*t.Q)
		}
		for r := 0; r < t.Ru; r++ {
			for q := 0; q < t.Q; q++ {
				i := r*t.P + 2*q
				a, b := pr.ReadSigma(t.g[i], cfg.AgeS), pr.ReadSigma(t.g[i+1], cfg.AgeS)
				t.v2[r*t.Q+q] = a*a + b*b
			}
		}
	} else {
		t.v2 = nil
	}
	t.sumGroups()
}

// sumGroups adds every replica group's geff, v2 and rowG rows into its lead row's sums.
func (t *tileDev) sumGroups() {
	if t.lead == nil {
		return
	}
	t.gSum = resize(t.gSum, len(t.geff))
	t.rowGSum = resize(t.rowGSum, t.Ru)
	if t.v2 != nil {
		t.v2Sum = resize(t.v2Sum, len(t.v2))
	}
	for r, l := range t.lead {
		dst, src := t.gSum[int(l)*t.P:int(l+1)*t.P], t.geff[r*t.P:(r+1)*t.P]
		for p, g := range src {
			dst[p] += g
		}
		t.rowGSum[l] += t.rowG[r]
		if t.v2 != nil {
			dst, src := t.v2Sum[int(l)*t.Q:int(l+1)*t.Q], t.v2[r*t.Q:(r+1)*t.Q]
			for q, v := range src {
				dst[q] += v
			}
		}
	}
}

// resize returns a zeroed slice of length n, reusing s's storage.
func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// compensate performs the global drift compensation reference read (spec "global drift
// compensation"): all rows driven, α = Σ|ref(0)| / Σ|ref(age)| over the tile's pairs.
func (t *tileDev) compensate(cfg *Config, rng *emulator.Rand) {
	t.alpha = 1
	if !cfg.DriftComp || cfg.AgeS <= 0 {
		return
	}
	ref0 := make([]float64, t.Q)
	refA := make([]float64, t.Q)
	for r := 0; r < t.Ru; r++ {
		for q := 0; q < t.Q; q++ {
			i := r*t.P + 2*q
			ref0[q] += t.gProg[i] - t.gProg[i+1]
			refA[q] += t.g[i] - t.g[i+1]
		}
	}
	if t.v2 != nil {
		z := make([]float64, 2*t.Q)
		rng.FillNorm(z)
		pr := &cfg.Profile
		for q := 0; q < t.Q; q++ {
			var v0, vA float64
			for r := 0; r < t.Ru; r++ {
				i := r*t.P + 2*q
				a, b := pr.ReadSigma(t.gProg[i], 0), pr.ReadSigma(t.gProg[i+1], 0)
				v0 += a*a + b*b
				vA += t.v2[r*t.Q+q]
			}
			ref0[q] += math.Sqrt(v0) * z[2*q]
			refA[q] += math.Sqrt(vA) * z[2*q+1]
		}
	}
	var s0, sA float64
	for q := range ref0 {
		s0 += math.Abs(ref0[q])
		sA += math.Abs(refA[q])
	}
	if sA > 0 && s0 > 0 {
		t.alpha = s0 / sA
	}
}

// pairValue is the effective normalized value of pair q at row r (no read noise).
func (t *tileDev) pairValue(r, q int, dG float64) float64 {
	i := r*t.P + 2*q
	return (t.g[i] - t.g[i+1]) / dG * t.alpha
}
