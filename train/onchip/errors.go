package onchip

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns wraps one of them.
var (
	// ErrSyntax: a rule string does not follow the grammar (see ParseRules).
	ErrSyntax = errors.New("learning rule syntax error")
	// ErrRule: a rule parses but breaks a learning-engine constraint (dependency count,
	// 4-bit scale mantissa, 8-bit constants, exponent range, duplicate target).
	ErrRule = errors.New("invalid learning rule")
	// ErrConfig: an engine configuration is out of the hardware's range.
	ErrConfig = errors.New("bad on-chip learning configuration")
	// ErrInput: a Step input has the wrong length.
	ErrInput = errors.New("bad step input")
)

// ParseError locates a problem in a rule string.
type ParseError struct {
	Src      string // the whole rule text
	Pos      int    // byte offset into Src (0-based)
	Found    string // what was found there ("end of rule" at the end)
	Expected string // what the grammar or the hardware allows there
	Err      error  // ErrSyntax or ErrRule
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%v: %q column %d: found %s, expected %s", e.Err, e.Src, e.Pos+1, e.Found, e.Expected)
}

func (e *ParseError) Unwrap() error { return e.Err }

func configf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
}

func inputf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInput}, a...)...)
}
