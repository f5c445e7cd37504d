package nir

import (
	"fmt"
	"sort"
	"strings"

	"github.com/snnc/snnc/ir"
)

// Convention is what an exporting framework leaves out of a .nir file: its time step and
// how it runs the equations. docs/nir.md gives the source of every row.
type Convention struct {
	Framework        string
	Dt               float64 // seconds; NIR files never store it
	DtAssumed        bool    // the framework has no fixed dt: the user chose it at export
	Discretization   string  // "exact" | "euler"
	Reset            ir.ResetRule
	ThresholdCompare string // ">" | ">="
	EdgeLatency      string // "zero" | "one_step"
	// Notes are logged on import: behaviour of the framework that NIR cannot express.
	Notes []string
}

// Conventions lists the per-framework conventions; the key "" is the generic NIR reading
// used when no source framework is given.
var Conventions = map[string]Convention{
	"": {Framework: "", Dt: 1e-3, DtAssumed: true, Discretization: "exact",
		Reset:            ir.ResetRule{Mode: "to_value", Timing: "immediate"},
		ThresholdCompare: ">", EdgeLatency: "zero"},
	"snntorch": {Framework: "snntorch", Dt: 1e-4, Discretization: "euler",
		Reset:            ir.ResetRule{Mode: "subtract", Timing: "next_step"},
		ThresholdCompare: ">", EdgeLatency: "zero",
		Notes: []string{"snnTorch exporter writes v_reset=0 whatever the reset mechanism; use --reset to_value for reset_mechanism=\"zero\""}},
	"norse": {Framework: "norse", Dt: 1e-3, Discretization: "euler",
		Reset:            ir.ResetRule{Mode: "to_value", Timing: "immediate"},
		ThresholdCompare: ">", EdgeLatency: "zero"},
	"rockpool": {Framework: "rockpool", Dt: 1e-3, Discretization: "exact",
		Reset:            ir.ResetRule{Mode: "subtract", Timing: "immediate"},
		ThresholdCompare: ">=", EdgeLatency: "zero",
		Notes: []string{"Rockpool encodes its gains as r = tau*exp(-dt/tau)/dt; at dt << tau this equals exact discretization's 1/(1-beta) to first order only",
			"Rockpool may emit several spikes per step (floor(v/threshold)); snnc emits at most one"}},
	"sinabs": {Framework: "sinabs", Dt: 1, Discretization: "exact",
		Reset:            ir.ResetRule{Mode: "subtract", Timing: "immediate"},
		ThresholdCompare: ">=", EdgeLatency: "zero",
		Notes: []string{"Sinabs time constants are in steps: dt = 1 (one time unit per step) makes IF integrate v += r*x per step",
			"Sinabs clamps IAF membranes at min_v_mem = -v_threshold; NIR does not store it and snnc does not clamp"}},
	"spyx": {Framework: "spyx", Dt: 1e-4, DtAssumed: true, Discretization: "euler",
		Reset:            ir.ResetRule{Mode: "subtract", Timing: "next_step"},
		ThresholdCompare: ">", EdgeLatency: "one_step",
		Notes: []string{"Spyx computes a step's spikes from the previous step's membrane, i.e. one step of latency per layer"}},
	"nengo": {Framework: "nengo", Dt: 1e-3, Discretization: "exact",
		Reset:            ir.ResetRule{Mode: "to_value", Timing: "immediate"},
		ThresholdCompare: ">", EdgeLatency: "zero",
		Notes: []string{"Nengo's tau_ref refractory period is not stored in NIR; refractory_steps = 0"}},
}

// Frameworks returns the accepted --source-framework names, sorted.
func Frameworks() []string {
	var out []string
	for k := range Conventions {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// LookupConvention returns the convention of a framework name (case-insensitive; "" is
// generic NIR).
func LookupConvention(name string) (Convention, error) {
	c, ok := Conventions[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Convention{}, fmt.Errorf("%w %q (known: %s)", ErrFramework, name, strings.Join(Frameworks(), ", "))
	}
	return c, nil
}
