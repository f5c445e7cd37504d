package quantize

import (
	"fmt"
	"strings"
)

// SignMode is the sign convention of a projection's stored weights.
type SignMode int

const (
	SignAuto  SignMode = iota // decide from the weights
	SignExc                   // all weights ≥ 0
	SignInh                   // all weights ≤ 0
	SignMixed                 // one bit spent on the sign
)

func (s SignMode) String() string {
	return [...]string{"auto", "exc", "inh", "mixed"}[s]
}

// ParseSignMode accepts exc|excitatory, inh|inhibitory, mixed, auto or "" (any case),
// and Lava's numeric codes 1 (mixed), 2 (excitatory), 3 (inhibitory); 0 means auto.
func ParseSignMode(s string) (SignMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto", "null", "0":
		return SignAuto, nil
	case "exc", "excitatory", "2":
		return SignExc, nil
	case "inh", "inhibitory", "3":
		return SignInh, nil
	case "mixed", "1":
		return SignMixed, nil
	}
	return SignAuto, fmt.Errorf("%w %q (want exc, inh, mixed or auto)", ErrSignMode, s)
}

// AnalyzeSign returns exc when every weight is ≥ 0, inh when every weight is ≤ 0 and
// mixed otherwise. An all-zero projection is exc.
func AnalyzeSign(w []float64) SignMode {
	pos, neg := false, false
	for _, x := range w {
		if x > 0 {
			pos = true
		} else if x < 0 {
			neg = true
		}
	}
	switch {
	case pos && neg:
		return SignMixed
	case neg:
		return SignInh
	}
	return SignExc
}

// DaleViolations counts weights whose sign contradicts the presynaptic sign in dale
// (+1 excitatory, −1 inhibitory); pre(k) returns the presynaptic index of weight k.
func DaleViolations(w []float64, dale []float64, pre func(k int) int) int {
	n := 0
	for k, x := range w {
		s := dale[pre(k)]
		if (s > 0 && x < 0) || (s < 0 && x > 0) {
			n++
		}
	}
	return n
}

// Resolve returns s, or the analysed mode when s is SignAuto.
func (s SignMode) Resolve(w []float64) SignMode {
	if s == SignAuto {
		return AnalyzeSign(w)
	}
	return s
}
