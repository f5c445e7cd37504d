package targets

import "errors"

var (
	ErrUnknownTarget = errors.New("unknown target")
	ErrDoesNotFit    = errors.New("does not fit")
	ErrUnsupported   = errors.New("unsupported by target")
	ErrImage         = errors.New("invalid image")
	ErrNoProjection  = errors.New("no such projection")
	ErrFlag          = errors.New("bad target flag")
)
