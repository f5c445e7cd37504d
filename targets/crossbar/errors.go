package crossbar

import "errors"

var (
	// ErrProfile is a bad device profile (built-in name or user JSON file).
	ErrProfile = errors.New("crossbar: bad device profile")
	// ErrConfig is a bad combination of target flags.
	ErrConfig = errors.New("crossbar: bad configuration")
	// ErrNeuron is a neuron model the periphery lacks.
	ErrNeuron = errors.New("crossbar: neuron type not supported by the periphery")
	// ErrNetlist is a netlist the crossbar cannot map (malformed or non-spiking row drivers).
	ErrNetlist = errors.New("crossbar: netlist cannot be mapped")
	// ErrTiles is a network needing more tiles than --tiles-max.
	ErrTiles = errors.New("crossbar: too many tiles")
)
