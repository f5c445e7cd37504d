package llvm

import (
	"encoding/json"
	"fmt"

	"github.com/snnc/snnc/targets"
)

// The llvm target reads the quantized network from the loihi target's image payload
// (targets/loihi/payload.go). These structs mirror the fields it uses; the format is
// pinned by loihiPayloadVersion and checked on every decode.
const loihiPayloadVersion = 1

// ivec is a per-neuron integer register: one value (broadcast) or one per neuron.
type ivec []int64

func (v ivec) at(i int) int64 {
	if len(v) == 1 {
		return v[0]
	}
	return v[i]
}

type lPop struct {
	Name     string `json:"name"`
	Size     int    `json:"size"`
	Du       ivec   `json:"du"`
	Dv       ivec   `json:"dv"`
	Vth      ivec   `json:"vth"`
	BiasMant ivec   `json:"bias_mant"`
	BiasExp  ivec   `json:"bias_exp"`
	Refract  ivec   `json:"refract_delay"`
	NegVm    ivec   `json:"neg_vm_limit"`
	PosVm    ivec   `json:"pos_vm_limit"`
	U0       ivec   `json:"u0"`
	V0       ivec   `json:"v0"`
	// VScale, VOff: a readout (LI / CubaLI) emits v / VScale + VOff as graded output.
	VScale []float64 `json:"v_scale,omitempty"`
	VOff   []float64 `json:"v_offset,omitempty"`
	// Tree marks a multi-compartment population (loihi spec §7), which the native code
	// does not implement: its presence is an error, never silently ignored.
	Tree json.RawMessage `json:"tree,omitempty"`
}

type lProj struct {
	Name  string  `json:"name"`
	Exp   int     `json:"weight_exp"`
	Bits  int     `json:"num_weight_bits"`
	Sign  string  `json:"sign_mode"`
	W     []int64 `json:"w"`
	Scale float64 `json:"scale,omitempty"`
}

// loihiPayload is the subset of the loihi image payload the native code needs.
type loihiPayload struct {
	Version int     `json:"version"`
	Mode    string  `json:"mode"`
	Pops    []lPop  `json:"populations"`
	Projs   []lProj `json:"projections"`
}

func decodeLoihi(data []byte) (*loihiPayload, error) {
	var pl loihiPayload
	if err := json.Unmarshal(data, &pl); err != nil {
		return nil, fmt.Errorf("%w: loihi payload: %v", ErrPayload, err)
	}
	if pl.Version != loihiPayloadVersion {
		return nil, fmt.Errorf("%w: loihi payload version %d, the llvm target reads version %d", ErrPayload, pl.Version, loihiPayloadVersion)
	}
	for _, p := range pl.Pops {
		if len(p.Tree) > 0 && string(p.Tree) != "null" {
			return nil, fmt.Errorf("%w: population %s is a multi-compartment neuron (snnc.AHPLIF, snnc.AdaptiveLIF or snnc.MultiCompartment); the llvm target runs single-compartment CUBA neurons only (use --target loihi)", targets.ErrUnsupported, p.Name)
		}
	}
	return &pl, nil
}

// payloadVersion is the version of the llvm image payload.
const payloadVersion = 1

// payload is the llvm image payload (JSON, as the image envelope requires): the loihi
// payload it was generated from (kept so weights can be rewritten) and the module text.
type payload struct {
	Version int             `json:"version"`
	Loihi   json.RawMessage `json:"loihi"`
	Hash    string          `json:"module_sha256"`
	Module  string          `json:"module"`
}
