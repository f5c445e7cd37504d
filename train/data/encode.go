package data

import (
	"fmt"
	"math"
	"strings"

	"github.com/snnc/snnc/emulator"
)

// Encoder turns a feature vector into per-step network input.
type Encoder interface {
	Name() string
	// Inputs is the number of input channels for n features.
	Inputs(n int) int
	// Static reports that every step receives the same input (direct current), which
	// lets a trainer compute W·x once per sample.
	Static() bool
	// Binary reports that every value is 0 or 1 (spikes).
	Binary() bool
	// Encode writes steps×Inputs(len(x)) values into dst, row t at dst[t·n:]. A
	// stochastic encoder draws from emulator.NewRand(seed, index).
	Encode(dst []float64, x []float32, steps int, seed uint64, index int)
}

// Current is direct current input: x_i every step, scaled by Gain (1 when zero).
type Current struct{ Gain float64 }

func (Current) Name() string     { return "current" }
func (Current) Inputs(n int) int { return n }
func (Current) Static() bool     { return true }
func (Current) Binary() bool     { return false }
func (c Current) Encode(dst []float64, x []float32, steps int, _ uint64, _ int) {
	g := float32(c.Gain)
	if g == 0 {
		g = 1
	}
	n := len(x)
	for i, v := range x {
		// float32 product: stimulus files carry float32 values, so the trainer and an
		// emulated chip see the same number.
		dst[i] = float64(v * g)
	}
	for t := 1; t < steps; t++ {
		copy(dst[t*n:(t+1)*n], dst[:n])
	}
}

// Rate is Bernoulli rate coding: at each step channel i spikes with probability
// min(1, MaxProb·x_i) (MaxProb 1 when zero).
type Rate struct{ MaxProb float64 }

func (Rate) Name() string     { return "rate" }
func (Rate) Inputs(n int) int { return n }
func (Rate) Static() bool     { return false }
func (Rate) Binary() bool     { return true }
func (r Rate) Encode(dst []float64, x []float32, steps int, seed uint64, index int) {
	p := r.MaxProb
	if p == 0 {
		p = 1
	}
	rng := emulator.NewRand(seed, uint64(index))
	n := len(x)
	for t := 0; t < steps; t++ {
		for i, v := range x {
			s := 0.0
			if rng.Float64() < math.Min(1, p*float64(v)) {
				s = 1
			}
			dst[t*n+i] = s
		}
	}
}

// Latency emits one spike per channel at step round(TMin + x_i·(TMax − TMin)) (TMax = steps−1
// when zero); with Invert large values fire early. With Bias an extra channel spikes at TMin.
type Latency struct {
	TMin, TMax   float64
	Invert, Bias bool
}

func (Latency) Name() string { return "latency" }
func (l Latency) Inputs(n int) int {
	if l.Bias {
		return n + 1
	}
	return n
}
func (Latency) Static() bool { return false }
func (Latency) Binary() bool { return true }
func (l Latency) Encode(dst []float64, x []float32, steps int, _ uint64, _ int) {
	n := l.Inputs(len(x))
	clear(dst[:steps*n])
	tmax := l.TMax
	if tmax == 0 {
		tmax = float64(steps - 1)
	}
	put := func(i int, t float64) {
		s := int(math.Round(t))
		if s >= 0 && s < steps {
			dst[s*n+i] = 1
		}
	}
	for i, v := range x {
		f := float64(v)
		if l.Invert {
			f = 1 - f
		}
		put(i, l.TMin+f*(tmax-l.TMin))
	}
	if l.Bias {
		put(len(x), l.TMin)
	}
}

// ParseEncoder parses "current", "rate", "latency" and their options written as
// name:key=value,... (current:gain=2, rate:p=0.5, latency:invert,bias).
func ParseEncoder(s string) (Encoder, error) {
	name, opts, _ := strings.Cut(s, ":")
	kv := map[string]string{}
	if opts != "" {
		for _, o := range strings.Split(opts, ",") {
			k, v, _ := strings.Cut(o, "=")
			kv[k] = v
		}
	}
	num := func(k string) (float64, error) {
		v, ok := kv[k]
		if !ok {
			return 0, nil
		}
		delete(kv, k)
		f, err := parseFloat(v)
		if err != nil {
			return 0, fmt.Errorf("%w: encoder %q: %s=%q is not a number", ErrUnknown, s, k, v)
		}
		return f, nil
	}
	flag := func(k string) bool { _, ok := kv[k]; delete(kv, k); return ok }
	var enc Encoder
	var err error
	switch name {
	case "current":
		var c Current
		c.Gain, err = num("gain")
		enc = c
	case "rate":
		var r Rate
		r.MaxProb, err = num("p")
		enc = r
	case "latency":
		var l Latency
		if l.TMin, err = num("tmin"); err == nil {
			l.TMax, err = num("tmax")
		}
		l.Invert, l.Bias = flag("invert"), flag("bias")
		enc = l
	default:
		return nil, fmt.Errorf("%w: encoder %q (known: current, rate, latency)", ErrUnknown, name)
	}
	if err != nil {
		return nil, err
	}
	for k := range kv {
		return nil, fmt.Errorf("%w: encoder %q: unknown option %q", ErrUnknown, s, k)
	}
	return enc, nil
}

func parseFloat(s string) (float64, error) {
	var f float64
	_, err := fmt.Sscan(s, &f)
	return f, err
}
