package onchip

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name, src, canon string
		check            func(t *testing.T, rs *RuleSet)
	}{
		{"stdp", "dw = 2^-2*x1*y0 - 2^-2*y1*x0", "dw = 2^-2*y0*x1 - 2^-2*x0*y1", func(t *testing.T, rs *RuleSet) {
			want := []Product{
				{Mant: 1, Exp: -2, Dep: Dep{Kind: DepY0}, Factors: []Factor{{Var: VarX1}}, Pos: 5},
				{Mant: -1, Exp: -2, Dep: Dep{Kind: DepX0}, Factors: []Factor{{Var: VarY1}}, Pos: 18},
			}
			if d := cmp.Diff(want, rs.For(TargetW).Products); d != "" {
				t.Error(d)
			}
		}},
		{"nxsdk paren scale", "dw = u1*x1*y1*(2^-7)", "dw = 2^-7*u1*x1*y1", nil},
		{"leading minus and mantissa", "dw = -3*2^-4*x0*y1", "dw = - 3*2^-4*x0*y1", nil},
		{"even mantissa folds", "dw = 12*y0", "dw = 3*2^2*y0", nil},
		{"wide mantissa becomes constant", "dw = 100*x0*x1", "dw = 2^2*x0*x1*25", nil},
		{"constants and sgn", "dt = sgn(w - 3)*y0*(r1 - 16) + 2^(-1)*u0*(t+2)", "dt = y0*sgn(w - 3)*(r1 - 16) + 2^-1*u0*(t + 2)", nil},
		{"several rules", "dw = u0*t*r1\ndt = 2^-2*x1*y0 ; dd = -u3*sgn(d)", "dw = u0*t*r1; dd = - u3*sgn(d); dt = 2^-2*y0*x1", nil},
		{"whitespace", "  dw=x0*y1  ", "dw = x0*y1", nil},
		{"r0 factor", "dw = y0*r0*x1", "dw = y0*r0*x1", nil},
		{"paren integer", "dw = (-3)*y0", "dw = - 3*y0", nil},
		{"u15", "dw = u15*w", "dw = u15*w", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := ParseRules(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if got := rs.String(); got != tc.canon {
				t.Errorf("canonical form %q, want %q", got, tc.canon)
			}
			// The canonical form parses to the same rules.
			rs2, err := ParseRules(rs.String())
			if err != nil {
				t.Fatalf("canonical form does not parse: %v", err)
			}
			if rs2.String() != rs.String() {
				t.Errorf("round trip %q → %q", rs.String(), rs2.String())
			}
			if tc.check != nil {
				tc.check(t, rs)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		sentinel  error
		col       int    // 1-based column of the reported position
		want      string // substring of the message
	}{
		{"empty", "", ErrSyntax, 1, "expected a rule such as"},
		{"blank lines", " ;\n ", ErrSyntax, 5, "expected a rule such as"},
		{"bad target", "dx = x0", ErrSyntax, 1, `found "dx", expected a rule target dw, dd or dt`},
		{"number target", "3 = x0", ErrSyntax, 1, "expected a rule target"},
		{"missing eq", "dw x0*y1", ErrSyntax, 4, `found "x0", expected '='`},
		{"missing rhs", "dw =", ErrSyntax, 5, "found end of rule, expected a factor"},
		{"trailing star", "dw = x1*y0*", ErrSyntax, 12, "found end of rule, expected a factor"},
		{"double star", "dw = x1**y0", ErrSyntax, 8, `"**" (write powers as 2^k)`},
		{"decimal", "dw = 0.25*x1*y0", ErrSyntax, 6, `"0.25" (only integers and 2^k scales are allowed)`},
		{"float exponent", "dw = 1e-3*x1*y0", ErrSyntax, 6, "only integers"},
		{"base 3", "dw = 3^2*x0", ErrSyntax, 6, "found base 3, expected 2^k"},
		{"missing exponent", "dw = 2^*x0", ErrSyntax, 8, "expected an integer exponent after 2^"},
		{"unclosed paren", "dw = (x1 + 3*y0", ErrSyntax, 13, "expected ')'"},
		{"unclosed exp paren", "dw = 2^(-2*x0", ErrSyntax, 11, "expected ')'"},
		{"unknown var", "dw = z1*y0", ErrSyntax, 6, `found "z1", expected a variable`},
		{"uppercase", "dw = X1*y0", ErrSyntax, 6, `found "X1"`},
		{"bad char", "dw = x1*y0 / 2", ErrSyntax, 12, `found "/"`},
		{"unicode", "dw = x1·y0", ErrSyntax, 8, `found "·"`},
		{"two rules no sep", "dw = x0 dt = y0", ErrSyntax, 9, "expected '*', '+', '-', ';' or end of rule"},
		{"no dependency", "dw = x1*y1", ErrRule, 6, "one of x0, y0 or uK in every product term"},
		{"second term no dependency", "dw = x0*y1 - 2^-3*w", ErrRule, 14, "in every product term"},
		{"two dependencies", "dw = x0*y0", ErrRule, 9, "only one dependency"},
		{"dependency in parens", "dw = (x0 + 1)*y1", ErrRule, 7, "dependencies x0, y0, uK take no constant"},
		{"dependency in sgn", "dw = sgn(y0)*x0", ErrRule, 10, "a dependency cannot appear inside sgn"},
		{"u too large", "dw = u16*w", ErrRule, 6, "a dependency u0..u15"},
		{"u leading zero", "dw = u01*w", ErrRule, 6, "a dependency u0..u15"},
		{"constant too big", "dw = x0*(y1 + 200)", ErrRule, 15, "an 8-bit signed constant -128..127"},
		{"constant too small", "dw = x0*(y1 - 129)", ErrRule, 15, "constant -129"},
		{"zero scale", "dw = 0*x0", ErrRule, 6, "a zero scale"},
		{"mantissa too wide", "dw = 255*x0", ErrRule, 6, "scale mantissa 255"},
		{"exponent too small", "dw = 2^-17*x0", ErrRule, 6, "scale exponent -17"},
		{"exponent too large", "dw = 2^9*x0", ErrRule, 6, "scale exponent 9"},
		{"huge exponent", "dw = 2^99999*x0", ErrRule, 6, "exponent"},
		{"huge integer", "dw = 99999999999*x0", ErrRule, 6, "an integer ≤ 1048576"},
		{"too many factors", "dw = x0*y1*y2*y3*r1*w", ErrRule, 6, "5 factors besides the dependency"},
		{"duplicate target", "dw = x0; dw = y0", ErrRule, 10, "each of dw, dd, dt at most once"},
		{"sgn without paren", "dw = sgn w*x0", ErrSyntax, 10, "expected '(' after sgn"},
		{"negative base", "dw = (-2^3)*x0", ErrSyntax, 8, "a negative power base"},
		{"unary minus inside product", "dw = x0*-y1", ErrSyntax, 9, `found "-", expected a factor`},
		{"empty parens", "dw = ()*x0", ErrSyntax, 7, "expected an integer, 2^k or a variable after '('"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRules(tc.src)
			if err == nil {
				t.Fatalf("ParseRules(%q): no error", tc.src)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) && tc.want != "" {
				t.Errorf("error %v does not wrap %v", err, tc.sentinel)
			}
			if pe.Pos+1 != tc.col {
				t.Errorf("column %d, want %d (%v)", pe.Pos+1, tc.col, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "column") || pe.Expected == "" || pe.Found == "" {
				t.Errorf("error %q does not say where, what was found and what was expected", err)
			}
		})
	}
}

// FuzzParseRules: no input panics; every accepted rule set has a canonical form that
// parses to itself and obeys the engine's constraints.
func FuzzParseRules(f *testing.F) {
	for _, s := range []string{stdpRule, rstdpRule, "dw = u1*x1*y1*(2^-7)", "dt = sgn(w - 3)*y0*(r1 - 16)", "dw = 100*x0*x1", "dw = (2^-3)*x0", "dd=-u3*sgn(d)\n", "dw = 2^(+1)*x0*(t+2)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		rs, err := ParseRules(src)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Pos < 0 || pe.Pos > len(src) {
				t.Fatalf("bad error for %q: %v", src, err)
			}
			return
		}
		for _, r := range rs.Rules {
			if r == nil {
				continue
			}
			for _, p := range r.Products {
				if p.Mant == 0 || p.Mant > 15 || p.Mant < -15 || p.Mant%2 == 0 || p.Exp < MinScaleExp || p.Exp > MaxScaleExp || len(p.Factors) > MaxFactors {
					t.Fatalf("%q: product %+v breaks the constraints", src, p)
				}
				for _, f := range p.Factors {
					if f.Const < ConstMin || f.Const > ConstMax {
						t.Fatalf("%q: constant %d", src, f.Const)
					}
				}
			}
		}
		rs2, err := ParseRules(rs.String())
		if err != nil || rs2.String() != rs.String() {
			t.Fatalf("%q: canonical %q does not round-trip: %v", src, rs.String(), err)
		}
	})
}
