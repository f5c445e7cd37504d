package loihi

import (
	"errors"
	"fmt"

	"github.com/snnc/snnc/targets"
)

// Sentinel errors of the loihi target (wrapped with the population/projection, the
// observed value and the allowed range).
var (
	ErrParam   = errors.New("loihi: bad parameter")
	ErrMode    = errors.New("loihi: bad mode")
	ErrModel   = errors.New("loihi: unsupported model")
	ErrProbe   = errors.New("loihi: unknown probe")
	ErrPayload = errors.New("loihi: bad image payload")
	ErrInput   = errors.New("loihi: bad input")
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}

var errNoProj = targets.ErrNoProjection
