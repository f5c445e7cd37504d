package quantize

import "errors"

// Sentinel errors; wrap them with details (which projection or population, observed and
// allowed values).
var (
	ErrRange    = errors.New("value out of range")
	ErrSignMode = errors.New("bad sign mode")
	ErrNoScale  = errors.New("no representable scale")
)
