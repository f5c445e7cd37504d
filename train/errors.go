package train

import "errors"

// Sentinel errors.
var (
	ErrConfig     = errors.New("bad training configuration")
	ErrShape      = errors.New("shape mismatch")
	ErrUnknown    = errors.New("unknown name")
	ErrNotFinite  = errors.New("training diverged (non-finite loss)")
	ErrExportable = errors.New("model cannot be exported exactly")
)
