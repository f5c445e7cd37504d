package data

import "errors"

// Sentinel errors.
var (
	// ErrMissing: a data set's files are not installed; the message says how to get them.
	ErrMissing = errors.New("data set not installed")
	// ErrFormat: a data file is malformed.
	ErrFormat = errors.New("malformed data file")
	// ErrUnknown: an unknown data set or encoder name.
	ErrUnknown = errors.New("unknown name")
)
