package data

import (
	"math"

	"github.com/snnc/snnc/emulator"
)

// RandmanConfig are the randman generator's parameters (Zenke & Vogels 2021).
type RandmanConfig struct {
	Units    int     // input units (embedding dimension)
	Classes  int     // one random manifold per class
	Dim      int     // intrinsic manifold dimension
	Alpha    float64 // spectral decay of the random Fourier series (larger: smoother)
	Harmonic int     // Fourier components per 1-d function
}

// DefaultRandman is the configuration Randman uses.
var DefaultRandman = RandmanConfig{Units: 20, Classes: 10, Dim: 1, Alpha: 2, Harmonic: 4}

// manifold is one class's smooth map [0,1]^Dim → [0,1]^Units: unit i is the product over
// intrinsic dims j of a random Fourier series g_ij(x_j), rescaled to [0, 1].
type manifold struct {
	cfg      RandmanConfig
	amp, phs []float64 // [unit][dim][harmonic]
	lo, hi   []float64 // per unit range for rescaling
}

func newManifold(cfg RandmanConfig, r *emulator.Rand) *manifold {
	n := cfg.Units * cfg.Dim * cfg.Harmonic
	m := &manifold{cfg: cfg, amp: make([]float64, n), phs: make([]float64, n)}
	for i := range m.amp {
		k := i%cfg.Harmonic + 1
		m.amp[i] = r.Float64() / math.Pow(float64(k), cfg.Alpha)
		m.phs[i] = r.Float64()
	}
	// Range of each unit over a grid (exact enough for rescaling into [0, 1]).
	m.lo = make([]float64, cfg.Units)
	m.hi = make([]float64, cfg.Units)
	for i := range m.lo {
		m.lo[i], m.hi[i] = math.Inf(1), math.Inf(-1)
	}
	x := make([]float64, cfg.Dim)
	out := make([]float64, cfg.Units)
	const grid = 64
	total := 1
	for range cfg.Dim {
		total *= grid + 1
	}
	for g := 0; g < total; g++ {
		v := g
		for j := range x {
			x[j] = float64(v%(grid+1)) / grid
			v /= grid + 1
		}
		m.raw(x, out)
		for i, o := range out {
			m.lo[i] = math.Min(m.lo[i], o)
			m.hi[i] = math.Max(m.hi[i], o)
		}
	}
	return m
}

func (m *manifold) raw(x, out []float64) {
	c := m.cfg
	for i := range out {
		p := 1.0
		for j := 0; j < c.Dim; j++ {
			s := 0.0
			base := (i*c.Dim + j) * c.Harmonic
			for h := 0; h < c.Harmonic; h++ {
				s += m.amp[base+h] * math.Sin(2*math.Pi*(float64(h+1)*x[j]+m.phs[base+h]))
			}
			p *= s
		}
		out[i] = p
	}
}

func (m *manifold) eval(x, out []float64) {
	m.raw(x, out)
	for i := range out {
		v := 0.5
		if m.hi[i] > m.lo[i] {
			v = (out[i] - m.lo[i]) / (m.hi[i] - m.lo[i])
		}
		out[i] = math.Min(1, math.Max(0, v))
	}
}

// RandmanWith returns a randman data set with an explicit configuration and per-class
// sample counts of each split.
func RandmanWith(cfg RandmanConfig, seed uint64, train, val, test int) *Splits {
	r := emulator.NewRand(seed, 10)
	ms := make([]*manifold, cfg.Classes)
	for c := range ms {
		ms[c] = newManifold(cfg, r)
	}
	gen := func(n int, stream uint64) *Dataset {
		r := emulator.NewRand(seed, stream)
		d := &Dataset{Name: "randman", Shape: []int{cfg.Units}, NumClasses: cfg.Classes}
		x := make([]float64, cfg.Dim)
		out := make([]float64, cfg.Units)
		for k := 0; k < n*cfg.Classes; k++ {
			c := r.Intn(cfg.Classes)
			for j := range x {
				x[j] = r.Float64()
			}
			ms[c].eval(x, out)
			for _, o := range out {
				d.X = append(d.X, float32(o))
			}
			d.Y = append(d.Y, c)
		}
		return d
	}
	return &Splits{Train: gen(train, 11), Val: gen(val, 12), Test: gen(test, 13)}
}

// Randman returns the default randman task: 10 classes of 1-d manifolds in 20 units,
// 500/100/100 samples per class (Train/Val/Test options count samples per class).
func Randman(opt Options) (*Splits, error) {
	return RandmanWith(DefaultRandman, opt.Seed, orDefault(opt.Train, 500), orDefault(opt.Val, 100), orDefault(opt.Test, 100)), nil
}
