package loihi

import "github.com/snnc/snnc/targets"

// HW is the hardware description of a Loihi 1 system (spec §3, §4, §8, §9; notes §1, §7,
// §8). Everything the emulator, quantizer and mapper treat as a constant lives here.
type HW struct {
	// Arithmetic widths (spec §3).
	QBits       uint // dendritic accumulator wraps at QBits+1 bits two's complement (21 → 22-bit)
	UBits       uint // u and u+bias wrap at UBits+1 bits (23 → 24-bit)
	DecayBits   uint // decay factor (4096 − D) >> 12
	VthShift    uint // vth_eff = vth << 6
	WeightShift uint // synaptic contribution w·2^(6+weight_exp)
	LavaVLimit  int64
	// Parameter ranges (notes §1, spec §4).
	DuMax, DvMax             int64
	VthMax                   int64
	BiasMantMin, BiasMantMax int64
	BiasExpMax               int
	WeightExpMin             int
	WeightExpMax             int
	WeightDomain             int // 8-bit weight domain
	RefractMax               int
	NegVmLimitMax            int
	PosVmLimitMax            int
	DefaultNegVmLimit        int
	DefaultPosVmLimit        int
	// Resources (spec §8).
	CompartmentsPerCore int
	InAxonsPerCore      int
	OutAxonsPerCore     int
	SynapseWordsPerCore int
	WordBits            int
	DelaySlotBudget     int // compartments × delay slots ≤ this
	MaxDelay            int // largest synaptic delay in steps
	SynGroup            int // synapses per encoded group (notes §3.5)
	SynGroupOverhead    int // bits per group header (4 + 6)
	CoresPerChip        int
	CoresPerTile        int
	MeshW, MeshH        int // tiles per chip (8×4)
	MaxChips            int
}

// Loihi1 is the default description.
var Loihi1 = HW{
	QBits: 21, UBits: 23, DecayBits: 12, VthShift: 6, WeightShift: 6, LavaVLimit: 1<<23 - 1,
	DuMax: 4095, DvMax: 4096, VthMax: 1<<17 - 1, BiasMantMin: -4096, BiasMantMax: 4095, BiasExpMax: 7,
	WeightExpMin: -8, WeightExpMax: 7, WeightDomain: 8, RefractMax: 63,
	NegVmLimitMax: 31, PosVmLimitMax: 7, DefaultNegVmLimit: 23, DefaultPosVmLimit: 7,
	CompartmentsPerCore: 1024, InAxonsPerCore: 4096, OutAxonsPerCore: 4096,
	SynapseWordsPerCore: 16384, WordBits: 64, DelaySlotBudget: 8192, MaxDelay: 62,
	SynGroup: 64, SynGroupOverhead: 10,
	CoresPerChip: 128, CoresPerTile: 4, MeshW: 8, MeshH: 4, MaxChips: 16384,
}

// Profile is an energy/time profile of spec §9 (J and s per operation).
type Profile struct {
	Name                 string
	SynOpJ, SynOpS       float64
	ActiveJ, ActiveS     float64
	InactiveJ, InactiveS float64
	SpikeJ, SpikeS       float64 // extra per spiking compartment (measured only)
	AxonOutJ, AxonOutS   float64 // per output message (measured only)
	InTileJ, InTileS     float64 // within-tile spike
	HopEWJ, HopEWS       float64
	HopNSJ, HopNSS       float64
	BarrierMinS          float64 // 1 tile
	BarrierMaxS          float64 // 32 tiles
	BarrierMultiChipS    float64
	StaticWPerChip       float64
	LearnJ, LearnS       float64
}

// Davies is Davies et al. 2018 Table 2 (notes §8.2), static power from Frady 2020.
var Davies = Profile{Name: "davies",
	SynOpJ: 23.6e-12, SynOpS: 3.5e-9, ActiveJ: 81e-12, ActiveS: 8.4e-9, InactiveJ: 52e-12, InactiveS: 5.3e-9,
	InTileJ: 1.7e-12, InTileS: 2.1e-9, HopEWJ: 3.0e-12, HopEWS: 4.1e-9, HopNSJ: 4.0e-12, HopNSS: 6.5e-9,
	BarrierMinS: 113e-9, BarrierMaxS: 465e-9, BarrierMultiChipS: 14.3e-6, StaticWPerChip: 0.104,
	LearnJ: 120e-12, LearnS: 6.1e-9}

// Measured is the SANA-FE calibrated profile (notes §8.2).
var Measured = Profile{Name: "measured",
	SynOpJ: 35.5e-12, SynOpS: 4.0e-9, ActiveJ: 72.8e-12, ActiveS: 9.7e-9, InactiveJ: 51.2e-12, InactiveS: 6.0e-9,
	SpikeJ: 69.3e-12, SpikeS: 30e-9, AxonOutJ: 76.8e-12, AxonOutS: 7.6e-9,
	InTileJ: 0, InTileS: 0, HopEWJ: 3.0e-12, HopEWS: 4.1e-9, HopNSJ: 4.2e-12, HopNSS: 6.5e-9,
	BarrierMinS: 299e-9, BarrierMaxS: 299e-9, BarrierMultiChipS: 14.3e-6, StaticWPerChip: 0.104,
	LearnJ: 120e-12, LearnS: 6.1e-9}

func profileByName(name string) (Profile, bool) {
	switch name {
	case "", "davies":
		return Davies, true
	case "measured":
		return Measured, true
	}
	return Profile{}, false
}

// TargetSpec describes the hardware as targets.Spec data.
func (h HW) TargetSpec() targets.Spec {
	p := Davies
	return targets.Spec{
		Name:        "loihi",
		Description: "Intel Loihi 1 style digital multi-compartment cores (bit-exact emulation, chip and lava modes)",
		Resources: []targets.Resource{
			{Name: "compartments", Per: "core", Limit: int64(h.CompartmentsPerCore)},
			{Name: "input axons", Per: "core", Limit: int64(h.InAxonsPerCore)},
			{Name: "output axons", Per: "core", Limit: int64(h.OutAxonsPerCore)},
			{Name: "synapse words", Per: "core", Limit: int64(h.SynapseWordsPerCore)},
			{Name: "compartments x delay slots", Per: "core", Limit: int64(h.DelaySlotBudget)},
			{Name: "cores", Per: "chip", Limit: int64(h.CoresPerChip)},
			{Name: "chips", Per: "system", Limit: int64(h.MaxChips)},
		},
		Widths: map[string]int{"q": int(h.QBits) + 1, "u": int(h.UBits) + 1, "v": 24, "weight": h.WeightDomain + 1,
			"vth_mant": 17, "bias_mant": 13, "bias_exp": 3, "decay": 12, "delay": 6, "refract": 6},
		Costs: []targets.Cost{
			{Op: "synaptic_op", EnergyJ: p.SynOpJ, TimeS: p.SynOpS},
			{Op: "neuron_update_active", EnergyJ: p.ActiveJ, TimeS: p.ActiveS},
			{Op: "neuron_update_inactive", EnergyJ: p.InactiveJ, TimeS: p.InactiveS},
			{Op: "spike_in_tile", EnergyJ: p.InTileJ, TimeS: p.InTileS},
			{Op: "tile_hop_ew", EnergyJ: p.HopEWJ, TimeS: p.HopEWS},
			{Op: "tile_hop_ns", EnergyJ: p.HopNSJ, TimeS: p.HopNSS},
			{Op: "synaptic_update", EnergyJ: p.LearnJ, TimeS: p.LearnS},
		},
	}
}
