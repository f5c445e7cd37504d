package train

import (
	"fmt"
	"sort"
)

// Preset is a data set's default training recipe (what `snnc train --dataset D` uses
// when no flag overrides it).
type Preset struct {
	Arch      string
	Encoder   string
	Epochs    int
	Steps     int
	Batch     int
	LR        float64
	Loss      string
	Readout   string
	Recurrent bool
	Init      string // "fluct" or "kaiming"
	RegRate   float64
}

// Presets are the per-data-set defaults.
var Presets = map[string]Preset{
	"yinyang":       {Arch: "4-120-3", Encoder: "current", Epochs: 30, Steps: 20, Batch: 32, LR: 0.01, Loss: LossSum, Readout: "leaky", Init: "fluct"},
	"randman":       {Arch: "20-128-10", Encoder: "latency", Epochs: 10, Steps: 50, Batch: 64, LR: 0.005, Loss: LossSum, Readout: "leaky", Init: "kaiming"},
	"mnist":         {Arch: "784-256-10", Encoder: "current", Epochs: 10, Steps: 10, Batch: 128, LR: 0.001, Loss: LossSum, Readout: "leaky", Init: "fluct"},
	"mnist10":       {Arch: "100-128-10", Encoder: "current", Epochs: 10, Steps: 10, Batch: 128, LR: 0.001, Loss: LossSum, Readout: "leaky", Init: "fluct"},
	"fashion-mnist": {Arch: "784-256-10", Encoder: "current", Epochs: 15, Steps: 10, Batch: 128, LR: 0.001, Loss: LossSum, Readout: "leaky", Init: "fluct"},
}

// PresetFor returns the preset of a data set.
func PresetFor(dataset string) (Preset, error) {
	p, ok := Presets[dataset]
	if !ok {
		names := make([]string, 0, len(Presets))
		for k := range Presets {
			names = append(names, k)
		}
		sort.Strings(names)
		return p, fmt.Errorf("%w: data set %q (known: %v)", ErrUnknown, dataset, names)
	}
	return p, nil
}
