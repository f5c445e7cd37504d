package quantize

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// ProjectionReport is the quantization of one projection.
type ProjectionReport struct {
	Name      string  `json:"name"`
	Scale     float64 `json:"scale"` // stored domain weight per model weight unit
	Exp       int     `json:"weight_exp"`
	Sign      string  `json:"sign_mode"`
	Bits      int     `json:"num_weight_bits"`
	Synapses  int     `json:"synapses"`
	Clipped   int     `json:"clipped"`
	Rounded   int     `json:"rounded"`
	Zeroed    int     `json:"zeroed"`
	MaxAbsErr float64 `json:"max_abs_err"`
	Native    bool    `json:"native"`
}

// PopulationReport is the quantization of one population.
type PopulationReport struct {
	Name      string  `json:"name"`
	Model     string  `json:"model"`
	Scale     float64 `json:"scale"` // hardware v units per model v unit
	Du        int64   `json:"du"`
	Dv        int64   `json:"dv"`
	TauSyn    Tau     `json:"tau_syn_realized_s"` // 0: no synaptic state (instant current)
	TauMem    Tau     `json:"tau_mem_realized_s"` // +Inf: no leak
	Vth       int64   `json:"vth"`
	VthErr    float64 `json:"vth_rel_err"`
	BiasMant  int64   `json:"bias_mant_max"`
	BiasExp   int     `json:"bias_exp"`
	BoundQ    float64 `json:"bound_q"` // static bound of |q| per step
	BoundU    float64 `json:"bound_u"` // static bound of |u|
	Refract   int     `json:"refract_delay"`
	Native    bool    `json:"native"`
	WrapRisk  bool    `json:"wrap_reachable"`
	Precision string  `json:"note,omitempty"`
}

// Report collects the quantization choices of a compile.
type Report struct {
	Projections []ProjectionReport `json:"projections"`
	Populations []PopulationReport `json:"populations"`
}

// ProjectionTable returns the header and rows of the projection table.
func (r *Report) ProjectionTable() ([]string, [][]string) {
	h := []string{"projection", "scale", "weight_exp", "sign", "bits", "synapses", "clipped", "rounded", "zeroed", "max_abs_err"}
	var rows [][]string
	for _, p := range r.Projections {
		scale := g(p.Scale)
		if p.Native {
			scale = "native"
		}
		rows = append(rows, []string{p.Name, scale, strconv.Itoa(p.Exp), p.Sign, strconv.Itoa(p.Bits),
			strconv.Itoa(p.Synapses), strconv.Itoa(p.Clipped), strconv.Itoa(p.Rounded), strconv.Itoa(p.Zeroed), g(p.MaxAbsErr)})
	}
	return h, rows
}

// PopulationTable returns the header and rows of the population table.
func (r *Report) PopulationTable() ([]string, [][]string) {
	h := []string{"population", "model", "scale", "du", "dv", "tau_syn", "tau_mem", "vth", "vth_err", "bias_exp", "refract", "bound_u"}
	var rows [][]string
	for _, p := range r.Populations {
		scale := g(p.Scale)
		if p.Native {
			scale = "native"
		}
		rows = append(rows, []string{p.Name, p.Model, scale, strconv.FormatInt(p.Du, 10), strconv.FormatInt(p.Dv, 10),
			g(float64(p.TauSyn)), g(float64(p.TauMem)), strconv.FormatInt(p.Vth, 10), g(p.VthErr), strconv.Itoa(p.BiasExp),
			strconv.Itoa(p.Refract), g(p.BoundU)})
	}
	return h, rows
}

func g(x float64) string { return fmt.Sprintf("%.4g", x) }

// Tau is a realized time constant in seconds; +Inf (no decay) is written as the JSON
// string "inf", since JSON has no infinity.
type Tau float64

// MarshalJSON implements json.Marshaler.
func (t Tau) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(t), 1) {
		return []byte(`"inf"`), nil
	}
	return json.Marshal(float64(t))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Tau) UnmarshalJSON(b []byte) error {
	if string(b) == `"inf"` {
		*t = Tau(math.Inf(1))
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*t = Tau(v)
	return nil
}
