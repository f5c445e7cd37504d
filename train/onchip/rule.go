package onchip

import (
	"fmt"
	"strings"
)

// Target is the synaptic variable a rule updates (notes §6: Z ∈ {w, d, t}).
type Target int

const (
	TargetW Target = iota // dw: weight
	TargetD               // dd: delay
	TargetT               // dt: tag
	numTargets
)

func (t Target) String() string { return [...]string{"dw", "dd", "dt"}[t] }

// DepKind is the kind of a product's dependency factor (notes §6: every product term
// contains exactly one of x0, y0 or u_k).
type DepKind int

const (
	DepX0 DepKind = iota // the presynaptic neuron spiked in this epoch; factors evaluated at its last spike
	DepY0                // the postsynaptic neuron spiked in this epoch; factors evaluated at its last spike
	DepU                 // u_k: epoch index mod 2^k == 0; factors evaluated at the epoch's last step
)

// Dep is one dependency; K is the decimation exponent of u_k.
type Dep struct {
	Kind DepKind
	K    int
}

func (d Dep) String() string {
	switch d.Kind {
	case DepX0:
		return "x0"
	case DepY0:
		return "y0"
	}
	return fmt.Sprintf("u%d", d.K)
}

// Var is a variable a factor reads (notes §6: V ∈ {x0, x1, x2, y0, y1, y2, y3, r0, r1,
// w, d, t}). x0 and y0 are only valid as dependencies and are not Vars.
type Var int

const (
	VarConst Var = iota // a bare constant factor (only produced with Const set)
	VarX1
	VarX2
	VarY1
	VarY2
	VarY3
	VarR0
	VarR1
	VarW
	VarD
	VarT
	numVars
)

var varNames = [...]string{"C", "x1", "x2", "y1", "y2", "y3", "r0", "r1", "w", "d", "t"}

func (v Var) String() string { return varNames[v] }

// Factor is one (V + C) or sgn(V + C) factor of a product (notes §6, D18 Eq. 4). Const is
// an 8-bit signed constant.
type Factor struct {
	Var   Var
	Const int
	Sgn   bool
}

func (f Factor) String() string {
	inner := f.Var.String()
	if f.Var == VarConst {
		inner = fmt.Sprint(f.Const)
	} else if f.Const > 0 {
		inner = fmt.Sprintf("%s + %d", inner, f.Const)
	} else if f.Const < 0 {
		inner = fmt.Sprintf("%s - %d", inner, -f.Const)
	}
	switch {
	case f.Sgn:
		return "sgn(" + inner + ")"
	case f.Var == VarConst && f.Const >= 0, f.Const == 0:
		return inner
	}
	return "(" + inner + ")"
}

// Product is one term S·dep·Π factors with scale S = Mant·2^Exp (4-bit mantissa).
type Product struct {
	Mant    int // signed, odd, |Mant| ≤ 15 (factors of 2 are folded into Exp)
	Exp     int // MinScaleExp ≤ Exp ≤ MaxScaleExp
	Dep     Dep
	Factors []Factor
	Pos     int // byte offset of the term in the source
}

// Rule is one equation "dZ = Σ products".
type Rule struct {
	Target   Target
	Products []Product
	Pos      int // byte offset of the target in the source
}

// RuleSet holds at most one rule per target. A nil entry means the variable is fixed.
type RuleSet struct {
	Src   string
	Rules [numTargets]*Rule
}

// For returns the rule for target t, or nil.
func (rs *RuleSet) For(t Target) *Rule {
	if rs == nil {
		return nil
	}
	return rs.Rules[t]
}

// String is the canonical text of the rule: "dw = 2^-2*x1*y0 - 2^-2*x0*y1" style, with the
// scale first, then the dependency, then the factors in source order. Parsing it again
// gives the same Rule (positions aside).
func (r *Rule) String() string {
	var b strings.Builder
	b.WriteString(r.Target.String())
	b.WriteString(" =")
	for i, p := range r.Products {
		m := p.Mant
		switch {
		case m < 0:
			b.WriteString(" - ")
			m = -m
		case i > 0:
			b.WriteString(" + ")
		default:
			b.WriteString(" ")
		}
		parts := []string{}
		if m != 1 {
			parts = append(parts, fmt.Sprint(m))
		}
		if p.Exp != 0 {
			parts = append(parts, fmt.Sprintf("2^%d", p.Exp))
		}
		parts = append(parts, p.Dep.String())
		for _, f := range p.Factors {
			parts = append(parts, f.String())
		}
		b.WriteString(strings.Join(parts, "*"))
	}
	return b.String()
}

// String joins the rules with "; " in target order.
func (rs *RuleSet) String() string {
	var parts []string
	for _, r := range rs.Rules {
		if r != nil {
			parts = append(parts, r.String())
		}
	}
	return strings.Join(parts, "; ")
}
