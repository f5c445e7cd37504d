package ir

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; wrap them with details so callers can test with errors.Is.
var (
	ErrUnknownType   = errors.New("unknown node type")
	ErrShape         = errors.New("shape mismatch")
	ErrDangling      = errors.New("edge names a missing node")
	ErrDuplicateEdge = errors.New("duplicate edge")
	ErrNonFinite     = errors.New("non-finite value")
	ErrBadParam      = errors.New("bad parameter")
	ErrCycle         = errors.New("cycle without a delay rule")
	ErrUnsupported   = errors.New("unsupported")
)

// Issue is one problem found in a graph; Where names the node, edge or JSON path.
type Issue struct {
	Where string
	Err   error
	Msg   string
}

func (i Issue) Error() string {
	if i.Msg == "" {
		return fmt.Sprintf("%s: %v", i.Where, i.Err)
	}
	return fmt.Sprintf("%s: %v: %s", i.Where, i.Err, i.Msg)
}

func (i Issue) Unwrap() error { return i.Err }

// Issues collects every problem found; it is an error when non-empty.
type Issues []Issue

func (is Issues) Error() string {
	var b strings.Builder
	for k, i := range is {
		if k > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(i.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is see every collected error.
func (is Issues) Unwrap() []error {
	out := make([]error, len(is))
	for k, i := range is {
		out[k] = i
	}
	return out
}

// Add appends an issue.
func (is *Issues) Add(where string, err error, format string, args ...any) {
	*is = append(*is, Issue{Where: where, Err: err, Msg: fmt.Sprintf(format, args...)})
}

// Err returns nil when there are no issues.
func (is Issues) Err() error {
	if len(is) == 0 {
		return nil
	}
	return is
}
