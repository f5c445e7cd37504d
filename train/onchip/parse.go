package onchip

import (
	"fmt"
	"strconv"
	"strings"
)

// Rule-string limits (notes §6; Lava learning/constants.py as quoted there).
const (
	MantBits     = 4    // scale mantissa magnitude bits (Lava W_S_MANT): |mant| ≤ 15
	ConstMin     = -128 // additive constants C are 8-bit signed (notes §6)
	ConstMax     = 127
	MinScaleExp  = -16 // scale exponent range [inferred: the register width is unverified]
	MaxScaleExp  = 8
	MaxFactors   = 4  // trace/synaptic/constant factors per product besides the dependency [inferred]
	MaxDecimateK = 15 // largest k of a u_k dependency [inferred]
)

// ParseRules parses one or more learning rules separated by ';' or newlines:
//
//	rules   := rule { (';' | '\n') rule }
//	rule    := ('dw' | 'dd' | 'dt') '=' sum
//	sum     := ['+'|'-'] product { ('+'|'-') product }
//	product := factor { '*' factor }
//	factor  := INT | '2' '^' exp | dep | var | 'sgn' '(' inner ')' | '(' inner ')'
//	inner   := ['+'|'-'] INT | '2' '^' exp | var [('+'|'-') INT]
//	exp     := ['+'|'-'] INT | '(' ['+'|'-'] INT ')'
//	dep     := 'x0' | 'y0' | 'u' K            (K = 0..15)
//	var     := 'x1' | 'x2' | 'y1' | 'y2' | 'y3' | 'r0' | 'r1' | 'w' | 'd' | 't'
//
// Every product must contain exactly one dependency. Integer literals and 2^k factors
// form the scale S = mant·2^exp; mant must fit 4 bits after factors of two are moved into
// the exponent, or else (if it fits 8 bits signed) it is kept as a constant factor.
// Errors are *ParseError values naming the column, what was found and what was expected.
func ParseRules(src string) (*RuleSet, error) {
	p := &parser{src: src}
	p.next()
	rs := &RuleSet{Src: src}
	for {
		for p.tok.kind == tSep {
			p.next()
		}
		if p.tok.kind == tEOF {
			break
		}
		r, err := p.rule()
		if err != nil {
			return nil, err
		}
		if rs.Rules[r.Target] != nil {
			return nil, p.errAt(r.Pos, r.Target.String(), "each of dw, dd, dt at most once", ErrRule)
		}
		rs.Rules[r.Target] = r
		if p.tok.kind != tSep && p.tok.kind != tEOF {
			return nil, p.unexpected("'*', '+', '-', ';' or end of rule")
		}
	}
	if rs.Rules == [numTargets]*Rule{} {
		return nil, p.errAt(len(src), "end of rule", "a rule such as \"dw = 2^-2*x1*y0 - 2^-2*y1*x0\"", ErrSyntax)
	}
	return rs, nil
}

// MustParseRules is ParseRules for constant rule strings; it panics on error.
func MustParseRules(src string) *RuleSet {
	rs, err := ParseRules(src)
	if err != nil {
		panic(err)
	}
	return rs
}

type tokKind int

const (
	tEOF tokKind = iota
	tSep         // ';' or newline
	tIdent
	tInt
	tPlus
	tMinus
	tStar
	tCaret
	tLParen
	tRParen
	tEq
	tBad
)

type token struct {
	kind tokKind
	pos  int
	text string
}

type parser struct {
	src string
	off int
	tok token
}

func (p *parser) next() {
	for p.off < len(p.src) && (p.src[p.off] == ' ' || p.src[p.off] == '\t' || p.src[p.off] == '\r') {
		p.off++
	}
	start := p.off
	if p.off >= len(p.src) {
		p.tok = token{tEOF, start, ""}
		return
	}
	c := p.src[p.off]
	switch {
	case isLetter(c):
		for p.off < len(p.src) && (isLetter(p.src[p.off]) || isDigit(p.src[p.off])) {
			p.off++
		}
		p.tok = token{tIdent, start, p.src[start:p.off]}
		return
	case isDigit(c):
		for p.off < len(p.src) && isDigit(p.src[p.off]) {
			p.off++
		}
		// A decimal point or exponent right after digits is a common mistake: take it
		// into the token so the error can name it.
		if p.off < len(p.src) && (p.src[p.off] == '.' || p.src[p.off] == 'e' || p.src[p.off] == 'E') {
			for p.off < len(p.src) && (isDigit(p.src[p.off]) || strings.IndexByte(".eE", p.src[p.off]) >= 0) {
				p.off++
			}
			p.tok = token{tBad, start, p.src[start:p.off]}
			return
		}
		p.tok = token{tInt, start, p.src[start:p.off]}
		return
	}
	p.off++
	kinds := map[byte]tokKind{';': tSep, '\n': tSep, '+': tPlus, '-': tMinus, '*': tStar, '^': tCaret, '(': tLParen, ')': tRParen, '=': tEq}
	if k, ok := kinds[c]; ok {
		if c == '*' && p.off < len(p.src) && p.src[p.off] == '*' {
			p.off++
			p.tok = token{tBad, start, "**"}
			return
		}
		p.tok = token{k, start, string(c)}
		return
	}
	// One (possibly multi-byte) character that is not part of the grammar.
	r := []rune(p.src[start:])[0]
	p.off = start + len(string(r))
	p.tok = token{tBad, start, string(r)}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of rule"
	case tSep:
		if t.text == "\n" {
			return "end of line"
		}
		return "';'"
	case tBad:
		switch {
		case t.text == "**":
			return "\"**\" (write powers as 2^k)"
		case isDigit(t.text[0]):
			return fmt.Sprintf("%q (only integers and 2^k scales are allowed)", t.text)
		}
	}
	return strconv.Quote(t.text)
}

func (p *parser) errAt(pos int, found, expected string, err error) *ParseError {
	return &ParseError{Src: p.src, Pos: pos, Found: found, Expected: expected, Err: err}
}

func (p *parser) unexpected(expected string) *ParseError {
	return p.errAt(p.tok.pos, p.tok.describe(), expected, ErrSyntax)
}

const factorExpected = "a factor: x0, y0, uK, x1, x2, y1, y2, y3, r0, r1, w, d, t, sgn(...), an integer, 2^k or '('"

func (p *parser) rule() (*Rule, error) {
	if p.tok.kind != tIdent {
		return nil, p.unexpected("a rule target dw, dd or dt")
	}
	r := &Rule{Pos: p.tok.pos}
	switch p.tok.text {
	case "dw":
		r.Target = TargetW
	case "dd":
		r.Target = TargetD
	case "dt":
		r.Target = TargetT
	default:
		return nil, p.unexpected("a rule target dw, dd or dt")
	}
	p.next()
	if p.tok.kind != tEq {
		return nil, p.unexpected("'='")
	}
	p.next()
	sign := 1
	if p.tok.kind == tPlus || p.tok.kind == tMinus {
		if p.tok.kind == tMinus {
			sign = -1
		}
		p.next()
	}
	for {
		prod, err := p.product(sign)
		if err != nil {
			return nil, err
		}
		r.Products = append(r.Products, prod)
		switch p.tok.kind {
		case tPlus:
			sign = 1
		case tMinus:
			sign = -1
		default:
			return r, nil
		}
		p.next()
	}
}

// product parses factor {'*' factor} and checks the engine's constraints on the term.
func (p *parser) product(sign int) (Product, error) {
	pr := Product{Pos: p.tok.pos}
	mant := int64(sign)
	exp := 0
	deps := 0
	for {
		fpos := p.tok.pos
		switch p.tok.kind {
		case tInt:
			v, err := p.integer()
			if err != nil {
				return pr, err
			}
			if p.tok.kind == tCaret {
				e, err := p.power(v, fpos)
				if err != nil {
					return pr, err
				}
				exp += e
			} else {
				mant *= v
			}
		case tIdent:
			name := p.tok.text
			if d, ok, err := p.dependency(); err != nil {
				return pr, err
			} else if ok {
				if deps > 0 {
					return pr, p.errAt(fpos, strconv.Quote(name), "only one dependency (x0, y0 or uK) per product term", ErrRule)
				}
				deps++
				pr.Dep = d
				break
			}
			if name == "sgn" {
				p.next()
				if p.tok.kind != tLParen {
					return pr, p.unexpected("'(' after sgn")
				}
				p.next()
				f, err := p.varTerm(true)
				if err != nil {
					return pr, err
				}
				if p.tok.kind != tRParen {
					return pr, p.unexpected("')'")
				}
				p.next()
				f.Sgn = true
				pr.Factors = append(pr.Factors, f)
				break
			}
			f, err := p.varTerm(false)
			if err != nil {
				return pr, err
			}
			pr.Factors = append(pr.Factors, f)
		case tLParen:
			p.next()
			switch p.tok.kind {
			case tPlus, tMinus, tInt:
				s := int64(1)
				if p.tok.kind == tMinus {
					s = -1
				}
				if p.tok.kind != tInt {
					p.next()
				}
				ipos := p.tok.pos
				v, err := p.integer()
				if err != nil {
					return pr, err
				}
				if p.tok.kind == tCaret {
					if s < 0 {
						return pr, p.errAt(ipos, "a negative power base", "2^k (put the sign in front of the term)", ErrSyntax)
					}
					e, err := p.power(v, ipos)
					if err != nil {
						return pr, err
					}
					exp += e
				} else {
					mant *= s * v
				}
			case tIdent:
				if _, ok, _ := p.peekDependency(); ok {
					return pr, p.errAt(p.tok.pos, strconv.Quote(p.tok.text), "a trace or synaptic variable (dependencies x0, y0, uK take no constant)", ErrRule)
				}
				f, err := p.varTerm(true)
				if err != nil {
					return pr, err
				}
				pr.Factors = append(pr.Factors, f)
			default:
				return pr, p.unexpected("an integer, 2^k or a variable after '('")
			}
			if p.tok.kind != tRParen {
				return pr, p.unexpected("')'")
			}
			p.next()
		default:
			return pr, p.unexpected(factorExpected)
		}
		if mant == 0 {
			return pr, p.errAt(fpos, "a zero scale", "a non-zero scale (drop the term instead)", ErrRule)
		}
		if mant > 1<<31 || mant < -(1<<31) {
			return pr, p.errAt(fpos, fmt.Sprintf("scale mantissa %d", mant), fmt.Sprintf("|mantissa| ≤ %d", 1<<MantBits-1), ErrRule)
		}
		if exp < -1000 || exp > 1000 {
			return pr, p.errAt(fpos, fmt.Sprintf("scale exponent %d", exp), fmt.Sprintf("%d ≤ exponent ≤ %d", MinScaleExp, MaxScaleExp), ErrRule)
		}
		if p.tok.kind != tStar {
			break
		}
		p.next()
	}
	switch p.tok.kind {
	case tPlus, tMinus, tSep, tEOF:
	default:
		return pr, p.unexpected("'*', '+', '-', ';' or end of rule")
	}
	if deps == 0 {
		return pr, p.errAt(pr.Pos, "a product term without a dependency", "one of x0, y0 or uK in every product term (notes §6)", ErrRule)
	}
	// Fold factors of two of the mantissa into the exponent (S = mant·2^exp).
	for mant%2 == 0 {
		mant /= 2
		exp++
	}
	if mant > 1<<MantBits-1 || mant < -(1<<MantBits-1) {
		// Too wide for the 4-bit scale mantissa: keep the sign in the scale and the
		// magnitude as an 8-bit constant factor.
		m := mant
		if m < 0 {
			m = -m
		}
		if m > ConstMax {
			return pr, p.errAt(pr.Pos, fmt.Sprintf("scale mantissa %d", mant), fmt.Sprintf("|mantissa| ≤ %d (4 bits) or a constant ≤ %d after factors of two move to 2^k", 1<<MantBits-1, ConstMax), ErrRule)
		}
		pr.Factors = append(pr.Factors, Factor{Var: VarConst, Const: int(m)})
		if mant < 0 {
			mant = -1
		} else {
			mant = 1
		}
	}
	if exp < MinScaleExp || exp > MaxScaleExp {
		return pr, p.errAt(pr.Pos, fmt.Sprintf("scale exponent %d", exp), fmt.Sprintf("%d ≤ exponent ≤ %d", MinScaleExp, MaxScaleExp), ErrRule)
	}
	if len(pr.Factors) > MaxFactors {
		return pr, p.errAt(pr.Pos, fmt.Sprintf("%d factors besides the dependency", len(pr.Factors)), fmt.Sprintf("at most %d", MaxFactors), ErrRule)
	}
	pr.Mant, pr.Exp = int(mant), exp
	return pr, nil
}

// integer consumes an INT token.
func (p *parser) integer() (int64, error) {
	if p.tok.kind != tInt {
		return 0, p.unexpected("an integer")
	}
	v, err := strconv.ParseInt(p.tok.text, 10, 32)
	if err != nil || v > 1<<20 {
		return 0, p.errAt(p.tok.pos, strconv.Quote(p.tok.text), "an integer ≤ 1048576", ErrRule)
	}
	p.next()
	return v, nil
}

// power parses '^' exp after the base b (already consumed) and returns the exponent.
func (p *parser) power(b int64, bpos int) (int, error) {
	if b != 2 {
		return 0, p.errAt(bpos, fmt.Sprintf("base %d", b), "2^k (the engine scales by powers of two only)", ErrSyntax)
	}
	p.next() // '^'
	paren := false
	if p.tok.kind == tLParen {
		paren = true
		p.next()
	}
	s := 1
	if p.tok.kind == tPlus || p.tok.kind == tMinus {
		if p.tok.kind == tMinus {
			s = -1
		}
		p.next()
	}
	if p.tok.kind != tInt {
		return 0, p.unexpected("an integer exponent after 2^")
	}
	v, err := p.integer()
	if err != nil {
		return 0, err
	}
	if paren {
		if p.tok.kind != tRParen {
			return 0, p.unexpected("')'")
		}
		p.next()
	}
	if v > 1000 {
		return 0, p.errAt(bpos, fmt.Sprintf("exponent %d", s*int(v)), fmt.Sprintf("%d ≤ exponent ≤ %d", MinScaleExp, MaxScaleExp), ErrRule)
	}
	return s * int(v), nil
}

func (p *parser) peekDependency() (Dep, bool, error) {
	name := p.tok.text
	switch {
	case name == "x0":
		return Dep{Kind: DepX0}, true, nil
	case name == "y0":
		return Dep{Kind: DepY0}, true, nil
	case len(name) >= 2 && name[0] == 'u' && isDigit(name[1]):
		k, err := strconv.Atoi(name[1:])
		if err != nil || k > MaxDecimateK || (len(name) > 2 && name[1] == '0') {
			return Dep{}, false, p.errAt(p.tok.pos, strconv.Quote(name), fmt.Sprintf("a dependency u0..u%d", MaxDecimateK), ErrRule)
		}
		return Dep{Kind: DepU, K: k}, true, nil
	}
	return Dep{}, false, nil
}

// dependency consumes a dependency identifier if the current token is one.
func (p *parser) dependency() (Dep, bool, error) {
	d, ok, err := p.peekDependency()
	if ok {
		p.next()
	}
	return d, ok, err
}

var varByName = map[string]Var{"x1": VarX1, "x2": VarX2, "y1": VarY1, "y2": VarY2, "y3": VarY3, "r0": VarR0, "r1": VarR1, "w": VarW, "d": VarD, "t": VarT}

// varTerm parses var [('+'|'-') INT] (the constant only when withConst).
func (p *parser) varTerm(withConst bool) (Factor, error) {
	if p.tok.kind != tIdent {
		return Factor{}, p.unexpected("a variable x1, x2, y1, y2, y3, r0, r1, w, d or t")
	}
	v, ok := varByName[p.tok.text]
	if !ok {
		if _, isDep, _ := p.peekDependency(); isDep {
			return Factor{}, p.errAt(p.tok.pos, strconv.Quote(p.tok.text), "a trace or synaptic variable (a dependency cannot appear inside sgn or parentheses)", ErrRule)
		}
		return Factor{}, p.unexpected("a variable x1, x2, y1, y2, y3, r0, r1, w, d or t (or a dependency x0, y0, uK)")
	}
	p.next()
	f := Factor{Var: v}
	if withConst && (p.tok.kind == tPlus || p.tok.kind == tMinus) {
		s := 1
		if p.tok.kind == tMinus {
			s = -1
		}
		p.next()
		cpos := p.tok.pos
		c, err := p.integer()
		if err != nil {
			return f, err
		}
		if c*int64(s) < ConstMin || c*int64(s) > ConstMax {
			return f, p.errAt(cpos, fmt.Sprintf("constant %d", c*int64(s)), fmt.Sprintf("an 8-bit signed constant %d..%d", ConstMin, ConstMax), ErrRule)
		}
		f.Const = int(c) * s
	}
	return f, nil
}
