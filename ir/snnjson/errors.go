package snnjson

import "errors"

// Sentinel errors of the format; issues wrap them (errors.Is works on the returned
// ir.Issues). Graph-level problems use the ir sentinels (ir.ErrUnknownType, ...).
var (
	ErrSyntax   = errors.New("invalid JSON")
	ErrFormat   = errors.New("not an snn-json document")
	ErrVersion  = errors.New("unsupported format version")
	ErrRequires = errors.New("unknown extension")
	ErrKey      = errors.New("unknown or duplicate key")
	ErrType     = errors.New("wrong JSON type")
	ErrMissing  = errors.New("missing required key")
	ErrValue    = errors.New("value not allowed")
	ErrTensor   = errors.New("bad tensor")
	ErrTooLarge = errors.New("tensor too large")
	ErrPath     = errors.New("tensor file path not allowed")
	ErrFile     = errors.New("tensor file unreadable")
	ErrChecksum = errors.New("tensor file checksum mismatch")
	ErrFileSize = errors.New("tensor file size mismatch")
	ErrEncode   = errors.New("cannot encode")
)
