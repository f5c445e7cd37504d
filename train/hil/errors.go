package hil

import "errors"

// Sentinel errors.
var (
	ErrModel   = errors.New("not a model snnc train wrote")
	ErrOptions = errors.New("bad fine-tuning options")
	ErrChip    = errors.New("chip run")
)
