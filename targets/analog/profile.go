package analog

import (
	"fmt"
	"math"
	"sort"
)

// Range is a calibratable range of a chip time constant, in chip seconds, with the value
// the parameter DAC produces at its middle code (spec "bss2 profile", "time" row).
type Range struct {
	Ref, Min, Max float64
}

// Profile describes one analog chip as data (shared/spec/analog.md). Potentials are in
// readout units (LSB of the 8-bit CADC); times are chip seconds.
type Profile struct {
	Name        string
	Description string
	// Speedup is chip time against biological (model) time.
	Speedup float64
	// Neurons per chip, grouped into Regions of RegionSize neurons (quadrants on bss2,
	// cores on dynapse2); one emulator core steps one population's slice of a region.
	Neurons, RegionSize int
	// BlockSize neurons share one synapse array of Rows rows (a bss2 hemisphere, a
	// dynapse2 core). RowSign: a row carries one presynaptic source with one sign, shared
	// by every column of the block (bss2). Without it Rows is the fan-in per neuron
	// (dynapse2's CAM entries) and each synapse carries its own sign (synapse type).
	BlockSize, Rows int
	RowSign         bool
	// WeightBits is the weight magnitude resolution (6 → 0..63).
	WeightBits int
	// GainPerCore: one weight gain per core (dynapse2's four base currents) instead of
	// one per projection (bss2 synapse drivers).
	GainPerCore bool
	// SharedParams: neuron parameters are set per region, not per neuron (dynapse2).
	SharedParams bool
	// TauMem, TauSyn, TauAdapt and Refractory are the time-constant ranges.
	TauMem, TauSyn, TauAdapt, Refractory Range
	// Nominal potentials (readout units) a model's reset and threshold map to.
	VReset, VThreshold float64
	// ReadoutMin..ReadoutMax is the reliable membrane range; CADC codes span 0..2^ADCBits−1.
	ReadoutMin, ReadoutMax float64
	ADCBits                int
	// CADCPeriod is the membrane sampling period (chip seconds); 0: the chip has no ADC.
	CADCPeriod float64
	// DACBits of the per-neuron parameter DACs; DACVoltLSB readout units per potential code;
	// DACTauPerOctave codes per doubling of a time constant (log-scaled bias DAC).
	DACBits         int
	DACVoltLSB      float64
	DACTauPerOctave float64
	// MismatchCV is the fixed-pattern coefficient of variation before calibration.
	MismatchCV float64
	// NoiseLSB is the stationary standard deviation of the membrane noise (readout units).
	NoiseLSB float64
	// DriftPerDay is the σ of the parameter random walk after one day; TempCoef the
	// relative change per kelvin; TempRef the nominal (uncalibrated) temperature.
	DriftPerDay, TempCoef, TempRef float64
	// Costs (spec's cost model, docs/analog.md): static power per neuron (W), energy per
	// synaptic event, spike and CADC sample (J).
	StaticWPerNeuron, SynEventJ, SpikeJ, SampleJ float64
}

// profiles are the chips this target emulates (shared/spec/analog.md).
var profiles = map[string]*Profile{
	"bss2": {
		Name:        "bss2",
		Description: "BrainScaleS-2-like accelerated mixed-signal chip (1000× biology)",
		Speedup:     1000,
		Neurons:     512, RegionSize: 128,
		BlockSize: 256, Rows: 256, RowSign: true,
		WeightBits: 6,
		TauMem:     Range{Ref: 10e-6, Min: 0.5e-6, Max: 60e-6},
		TauSyn:     Range{Ref: 10e-6, Min: 0.3e-6, Max: 30e-6},
		TauAdapt:   Range{Ref: 100e-6, Min: 1e-6, Max: 1e-3},
		Refractory: Range{Ref: 1e-6, Min: 0, Max: 32e-6},
		VReset:     80, VThreshold: 125,
		ReadoutMin: 30, ReadoutMax: 210, ADCBits: 8,
		CADCPeriod:      1.7e-6,
		DACBits:         10,
		DACVoltLSB:      0.25,
		DACTauPerOctave: 64,
		MismatchCV:      0.20,
		NoiseLSB:        1,
		DriftPerDay:     0.02, TempCoef: 0.005, TempRef: 300,
		StaticWPerNeuron: 0.2 / 512, SynEventJ: 10e-12, SpikeJ: 50e-12, SampleJ: 5e-12,
	},
	"dynapse2": {
		Name:        "dynapse2",
		Description: "DYNAP-SE2-like real-time chip: 4 cores × 256 neurons, 64 synapses per neuron, parameters shared per core",
		Speedup:     1,
		Neurons:     1024, RegionSize: 256,
		BlockSize: 256, Rows: 64, RowSign: false,
		WeightBits:  4,
		GainPerCore: true, SharedParams: true,
		TauMem:     Range{Ref: 20e-3, Min: 1e-3, Max: 500e-3},
		TauSyn:     Range{Ref: 10e-3, Min: 0.5e-3, Max: 200e-3},
		TauAdapt:   Range{Ref: 50e-3, Min: 1e-3, Max: 2},
		Refractory: Range{Ref: 1e-3, Min: 0, Max: 100e-3},
		VReset:     80, VThreshold: 125,
		ReadoutMin: 30, ReadoutMax: 210, ADCBits: 8,
		CADCPeriod:      0, // no on-chip membrane ADC
		DACBits:         10,
		DACVoltLSB:      0.25,
		DACTauPerOctave: 64,
		MismatchCV:      0.15,
		NoiseLSB:        1,
		DriftPerDay:     0.02, TempCoef: 0.005, TempRef: 300,
		StaticWPerNeuron: 1e-6, SynEventJ: 30e-12, SpikeJ: 100e-12,
	},
}

// DefaultProfile is the profile used when --profile is not given.
const DefaultProfile = "bss2"

// ProfileNames lists the profiles, sorted.
func ProfileNames() []string {
	out := make([]string, 0, len(profiles))
	for n := range profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupProfile returns the named profile.
func LookupProfile(name string) (*Profile, error) {
	p, ok := profiles[name]
	if !ok {
		return nil, fmt.Errorf("%w: profile %q (known: %v)", ErrProfile, name, ProfileNames())
	}
	return p, nil
}

// dacMax is the largest parameter DAC code.
func (p *Profile) dacMax() int { return 1<<p.DACBits - 1 }

func (p *Profile) dacMid() int { return 1 << (p.DACBits - 1) }

// weightMax is the largest weight magnitude (6 bits: 63).
func (p *Profile) weightMax() int { return 1<<p.WeightBits - 1 }

// adcMax is the largest CADC code (8 bits: 255).
func (p *Profile) adcMax() float64 { return float64(int(1)<<p.ADCBits - 1) }

// Parameter DACs of one neuron (the order of Calibration.Codes).
const (
	pTauMem = iota
	pTauSyn
	pLeak
	pReset
	pThreshold
	pGain
	nParam
)

var paramNames = [nParam]string{"tau_mem", "tau_syn", "leak", "reset", "threshold", "gain"}

// dacValue is the ideal (mismatch-free) transfer of a parameter DAC code:
// time constants are log-scaled (ref·2^((code−mid)/perOctave)), potentials linear
// (code·DACVoltLSB readout units), the synaptic gain linear (code/mid).
func (p *Profile) dacValue(param, code int) float64 {
	switch param {
	case pTauMem:
		return p.TauMem.Ref * math.Exp2(float64(code-p.dacMid())/p.DACTauPerOctave)
	case pTauSyn:
		return p.TauSyn.Ref * math.Exp2(float64(code-p.dacMid())/p.DACTauPerOctave)
	case pGain:
		return float64(code) / float64(p.dacMid())
	default:
		return float64(code) * p.DACVoltLSB
	}
}

// dacCodeF is the inverse transfer (unrounded, unclamped).
func (p *Profile) dacCodeF(param int, v float64) float64 {
	switch param {
	case pTauMem:
		return float64(p.dacMid()) + p.DACTauPerOctave*math.Log2(v/p.TauMem.Ref)
	case pTauSyn:
		return float64(p.dacMid()) + p.DACTauPerOctave*math.Log2(v/p.TauSyn.Ref)
	case pGain:
		return v * float64(p.dacMid())
	default:
		return v / p.DACVoltLSB
	}
}

// clampCode rounds and clamps a code to the DAC range.
func (p *Profile) clampCode(c float64) int {
	r := math.Round(c)
	if r < 0 {
		return 0
	}
	if r > float64(p.dacMax()) {
		return p.dacMax()
	}
	return int(r)
}
