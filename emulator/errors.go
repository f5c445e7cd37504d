package emulator

import "errors"

var (
	ErrFormat   = errors.New("invalid snn-spikes file")
	ErrStimulus = errors.New("stimulus does not match the network")
	ErrProbe    = errors.New("unknown probe")
)
