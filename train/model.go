package train

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Reset modes.
const (
	ResetSubtract = "subtract"
	ResetZero     = "zero"
)

// Losses.
const (
	LossCount = "count" // cross-entropy on output spike counts (spiking readout)
	LossMax   = "max"   // cross-entropy on the maximum output membrane over time (leaky readout)
	LossSum   = "sum"   // cross-entropy on the mean output membrane over time (leaky readout)
)

// Surrogate is the derivative used for H'(x) in the backward pass.
type Surrogate struct {
	Kind  string  // "fast_sigmoid" (1/(1+k|x|)²) or "atan" ((a/2)/(1+(πax/2)²))
	Scale float64 // k or a
}

// Grad is σ'(x).
func (s Surrogate) Grad(x float64) float64 {
	if s.Kind == "atan" {
		y := math.Pi * s.Scale * x / 2
		return s.Scale / 2 / (1 + y*y)
	}
	d := 1 + s.Scale*math.Abs(x)
	return 1 / (d * d)
}

// Smooth is an antiderivative of Grad shifted into [0, 1] (the smooth forward used by
// gradient checks: its exact derivative is Grad).
func (s Surrogate) Smooth(x float64) float64 {
	if s.Kind == "atan" {
		return 0.5 + math.Atan(math.Pi*s.Scale*x/2)/math.Pi
	}
	return 0.5 + 0.5*x/(1+s.Scale*math.Abs(x))
}

// Smooth's derivative for fast sigmoid is 0.5/(1+k|x|)²; SmoothGrad returns it.
func (s Surrogate) smoothGrad(x float64) float64 {
	if s.Kind == "atan" {
		return s.Grad(x)
	}
	return 0.5 * s.Grad(x)
}

// Config describes a network and its neuron model.
type Config struct {
	Sizes     []int   // layer widths: input, hidden..., output
	Recurrent bool    // hidden layers have recurrent weights V
	Alpha     float64 // synaptic decay per step
	Beta      float64 // membrane decay per step
	Threshold float64
	Reset     string // ResetSubtract or ResetZero
	Surrogate Surrogate
	Readout   string // "leaky" (CubaLI output) or "spiking" (CubaLIF output)
	Loss      string // LossCount, LossMax, LossSum
	// CountScale multiplies spike counts into logits (LossCount); 1 when zero.
	CountScale float64
	// Dt is the exported time step in seconds; with Alpha, Beta of the form 1 − 2^−k the
	// export is exact (see ExportGraph).
	Dt float64
	// SmoothForward replaces H by Surrogate.Smooth and keeps the reset in the gradient
	// (gradient checks only).
	SmoothForward bool
}

// DefaultConfig returns the defaults: α = 3/4, β = 7/8 (τ_syn = 4·dt, τ_mem = 8·dt),
// θ = 1, reset by subtraction, fast sigmoid k = 10, leaky readout with max-membrane CE,
// dt = 2^−10 s.
func DefaultConfig(sizes ...int) Config {
	return Config{Sizes: sizes, Alpha: 0.75, Beta: 0.875, Threshold: 1, Reset: ResetSubtract,
		Surrogate: Surrogate{Kind: "fast_sigmoid", Scale: 10}, Readout: "leaky", Loss: LossMax,
		Dt: 1.0 / 1024}
}

// ParseArch parses "4-120-3" into layer sizes.
func ParseArch(s string) ([]int, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 2 {
		return nil, fmt.Errorf("%w: --arch %q: want at least input-output, e.g. 4-120-3", ErrConfig, s)
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%w: --arch %q: %q is not a positive integer", ErrConfig, s, p)
		}
		out[i] = v
	}
	return out, nil
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case len(c.Sizes) < 2:
		return fmt.Errorf("%w: need at least an input and an output layer, got sizes %v", ErrConfig, c.Sizes)
	case !(c.Alpha >= 0 && c.Alpha < 1) || !(c.Beta >= 0 && c.Beta < 1):
		return fmt.Errorf("%w: alpha %g and beta %g must lie in [0, 1)", ErrConfig, c.Alpha, c.Beta)
	case !(c.Threshold > 0):
		return fmt.Errorf("%w: threshold %g must be > 0", ErrConfig, c.Threshold)
	case c.Reset != ResetSubtract && c.Reset != ResetZero:
		return fmt.Errorf("%w: reset %q (want subtract or zero)", ErrConfig, c.Reset)
	case c.Surrogate.Kind != "fast_sigmoid" && c.Surrogate.Kind != "atan":
		return fmt.Errorf("%w: surrogate %q (want fast_sigmoid or atan)", ErrConfig, c.Surrogate.Kind)
	case !(c.Surrogate.Scale > 0):
		return fmt.Errorf("%w: surrogate scale %g must be > 0", ErrConfig, c.Surrogate.Scale)
	case c.Readout != "leaky" && c.Readout != "spiking":
		return fmt.Errorf("%w: readout %q (want leaky or spiking)", ErrConfig, c.Readout)
	case c.Readout == "spiking" && c.Loss != LossCount:
		return fmt.Errorf("%w: a spiking readout needs loss count, got %q", ErrConfig, c.Loss)
	case c.Readout == "leaky" && c.Loss != LossMax && c.Loss != LossSum:
		return fmt.Errorf("%w: a leaky readout needs loss max or sum, got %q", ErrConfig, c.Loss)
	case !(c.Dt > 0):
		return fmt.Errorf("%w: dt %g must be > 0", ErrConfig, c.Dt)
	}
	for _, s := range c.Sizes {
		if s <= 0 {
			return fmt.Errorf("%w: layer sizes %v must be positive", ErrConfig, c.Sizes)
		}
	}
	return nil
}

// Layer is one CUBA-LIF population with its incoming projections.
type Layer struct {
	In, Out int
	W       []float64 // In×Out, pre-major: W[j*Out+k]
	B       []float64 // Out
	V       []float64 // Out×Out recurrent, pre-major, nil when not recurrent
	Spiking bool
	// Dale, when set, is the sign per presynaptic neuron of W (kept through training).
	Dale []float64
}

// Model is a feed-forward stack of layers.
type Model struct {
	Cfg    Config
	Layers []*Layer
}

// New returns a model with zero weights.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Cfg: cfg}
	n := len(cfg.Sizes) - 1
	for l := 0; l < n; l++ {
		in, out := cfg.Sizes[l], cfg.Sizes[l+1]
		ly := &Layer{In: in, Out: out, W: make([]float64, in*out), B: make([]float64, out)}
		ly.Spiking = l < n-1 || cfg.Readout == "spiking"
		if cfg.Recurrent && l < n-1 {
			ly.V = make([]float64, out*out)
		}
		m.Layers = append(m.Layers, ly)
	}
	return m, nil
}

// Clone returns a deep copy.
func (m *Model) Clone() *Model {
	c := &Model{Cfg: m.Cfg}
	c.Cfg.Sizes = append([]int(nil), m.Cfg.Sizes...)
	for _, l := range m.Layers {
		nl := *l
		nl.W = append([]float64(nil), l.W...)
		nl.B = append([]float64(nil), l.B...)
		if l.V != nil {
			nl.V = append([]float64(nil), l.V...)
		}
		if l.Dale != nil {
			nl.Dale = append([]float64(nil), l.Dale...)
		}
		c.Layers = append(c.Layers, &nl)
	}
	return c
}

// Param is one named parameter array of the model (weights pre-major).
type Param struct {
	Name string
	Data []float64
}

// Params lists the trainable arrays in a fixed order: per layer W, B, then V.
func (m *Model) Params() []Param {
	var out []Param
	for i, l := range m.Layers {
		out = append(out, Param{ProjName(i), l.W}, Param{ProjName(i) + ".bias", l.B})
		if l.V != nil {
			out = append(out, Param{RecName(i), l.V})
		}
	}
	return out
}

// ProjName is the name of layer i's feed-forward projection (the exported Affine node).
func ProjName(i int) string { return "fc" + strconv.Itoa(i+1) }

// RecName is the name of layer i's recurrent projection (the exported Affine node).
func RecName(i int) string { return "rec" + strconv.Itoa(i+1) }

// PopName is the name of layer i's neuron population (the exported CubaLIF/CubaLI node).
func PopName(i, n int) string {
	if i == n-1 {
		return "out"
	}
	return "lif" + strconv.Itoa(i+1)
}

// Projections lists the names Weights and SetWeights accept (as the exported Affine nodes).
func (m *Model) Projections() []string {
	var out []string
	for i, l := range m.Layers {
		out = append(out, ProjName(i))
		if l.V != nil {
			out = append(out, RecName(i))
		}
	}
	return out
}

func (m *Model) proj(name string) (w []float64, in, out int, err error) {
	for i, l := range m.Layers {
		if name == ProjName(i) {
			return l.W, l.In, l.Out, nil
		}
		if name == RecName(i) && l.V != nil {
			return l.V, l.Out, l.Out, nil
		}
	}
	return nil, 0, 0, fmt.Errorf("%w: projection %q (have %v)", ErrUnknown, name, m.Projections())
}

// Weights returns a copy of a projection's weights in the (out, in) row-major layout of
// the exported Affine node and of ir.Projection.W.
func (m *Model) Weights(name string) ([]float64, error) {
	w, in, out, err := m.proj(name)
	if err != nil {
		return nil, err
	}
	r := make([]float64, in*out)
	for j := 0; j < in; j++ {
		for k := 0; k < out; k++ {
			r[k*in+j] = w[j*out+k]
		}
	}
	return r, nil
}

// SetWeights writes a projection's weights given in the (out, in) layout.
func (m *Model) SetWeights(name string, r []float64) error {
	w, in, out, err := m.proj(name)
	if err != nil {
		return err
	}
	if len(r) != in*out {
		return fmt.Errorf("%w: projection %q has %d×%d weights, got %d values", ErrShape, name, out, in, len(r))
	}
	for j := 0; j < in; j++ {
		for k := 0; k < out; k++ {
			w[j*out+k] = r[k*in+j]
		}
	}
	return nil
}
