package loihi

import (
	"encoding/json"

	"github.com/snnc/snnc/targets"
)

// ivec is a per-neuron integer parameter: one value (broadcast) or one per neuron.
type ivec []int64

func (v ivec) at(i int) int64 {
	if len(v) == 1 {
		return v[0]
	}
	return v[i]
}

// compact returns v with a uniform vector collapsed to one value.
func compact(v []int64) ivec {
	if len(v) == 0 {
		return ivec{0}
	}
	for _, x := range v[1:] {
		if x != v[0] {
			return v
		}
	}
	return ivec{v[0]}
}

// qPop is a quantized population: register values per neuron (spec §5 names).
type qPop struct {
	Name     string  `json:"name"`
	Size     int     `json:"size"`
	Native   bool    `json:"native"`
	Du       ivec    `json:"du"`
	Dv       ivec    `json:"dv"`
	Vth      ivec    `json:"vth"`
	BiasMant ivec    `json:"bias_mant"`
	BiasExp  ivec    `json:"bias_exp"`
	Refract  ivec    `json:"refract_delay"`
	NegVm    ivec    `json:"neg_vm_limit"`
	PosVm    ivec    `json:"pos_vm_limit"`
	U0       ivec    `json:"u0"`
	V0       ivec    `json:"v0"`
	K        float64 `json:"k,omitempty"` // float models: accumulator units per model weight unit
	// VScale, VOff (readouts, LI / CubaLI): the graded output is v / VScale + VOff in
	// model units; one value or one per neuron.
	VScale []float64 `json:"v_scale,omitempty"`
	VOff   []float64 `json:"v_offset,omitempty"`
	// Tree (optional, spec §7): the compartments of a multi-compartment neuron in
	// service order, the soma last; the registers above are the soma's. Absent for
	// point neurons (readers that do not implement trees must reject it).
	Tree []tcx `json:"tree,omitempty"`
}

// qProj is a quantized projection: legalized 8-bit-domain weights in ir.Projection.W's
// layout, its exponent, format and (float models) the scale that produced them.
type qProj struct {
	Name  string  `json:"name"`
	Exp   int     `json:"weight_exp"`
	Bits  int     `json:"num_weight_bits"`
	Sign  string  `json:"sign_mode"`
	W     []int64 `json:"w"`
	Scale float64 `json:"scale,omitempty"` // domain units per model weight unit; 0 = native
	// Cx (optional, spec §7) is the tree compartment (service-order index) a projection
	// into a multi-compartment population feeds; absent = the soma.
	Cx *int `json:"compartment,omitempty"`
}

// coreMap is one physical core: a contiguous slice of one population.
type coreMap struct {
	Pop   int `json:"pop"`
	Start int `json:"start"`
	Count int `json:"count"`
}

// payload is the image payload (deterministic JSON: slices only, no maps).
type payload struct {
	Version int             `json:"version"`
	Mode    string          `json:"mode"`
	Chips   int             `json:"chips"`
	Profile string          `json:"energy_profile"`
	Pops    []qPop          `json:"populations"`
	Projs   []qProj         `json:"projections"`
	Cores   []coreMap       `json:"cores"`
	Report  *targets.Report `json:"report"`
}

const payloadVersion = 1

func (p *payload) encode() ([]byte, error) { return json.Marshal(p) }
