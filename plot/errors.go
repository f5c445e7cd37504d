package plot

import "errors"

// ErrEmpty: nothing to plot.
var ErrEmpty = errors.New("nothing to plot")
