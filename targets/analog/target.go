package analog

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

func init() { targets.Register(Target{}) }

// Target is the analog target, registered as "analog".
type Target struct{}

// Name implements targets.Target.
func (Target) Name() string { return "analog" }

// Flags implements targets.Target: the switches of shared/spec/analog.md.
func (Target) Flags() []targets.Flag {
	return []targets.Flag{
		{Name: "profile", Default: DefaultProfile, Usage: "analog chip profile: " + strings.Join(ProfileNames(), ", ")},
		{Name: "mismatch", Default: "1", Usage: "scale of the fixed-pattern mismatch (0 turns it off)"},
		{Name: "noise", Default: "1", Usage: "scale of the temporal membrane noise (0 turns it off)"},
		{Name: "age", Default: "0", Usage: "time since calibration (drift), e.g. 1h, 1d, 2w"},
		{Name: "temperature", Default: "", Usage: "chip temperature in kelvin (default: the calibration temperature, or 300 K)"},
		{Name: "calibration", Default: "", Usage: "calibration file written by snnc calibrate for this chip (--seed)"},
		{Name: "steps-per-tau", Default: "20", Usage: "internal integration steps per smallest time constant"},
		{Name: "graded-range", Default: "16", Usage: "graded outputs whose membrane bound exceeds the readout range are read over ±this many model units (0: the whole bound)"},
	}
}

// Spec implements targets.Target for the default profile.
func (Target) Spec() targets.Spec { return ProfileSpec(profiles[DefaultProfile]) }

// ProfileSpec describes a profile as a targets.Spec.
func ProfileSpec(p *Profile) targets.Spec {
	return targets.Spec{
		Name:        "analog/" + p.Name,
		Description: p.Description,
		Resources: []targets.Resource{
			{Name: "neurons", Per: "chip", Limit: int64(p.Neurons)},
			{Name: "neurons", Per: "region", Limit: int64(p.RegionSize)},
			{Name: "synapse_rows", Per: "block", Limit: int64(p.Rows)},
		},
		Widths: map[string]int{"weight_magnitude": p.WeightBits, "parameter_dac": p.DACBits, "cadc": p.ADCBits},
		Costs: []targets.Cost{
			{Op: "synaptic_event", EnergyJ: p.SynEventJ},
			{Op: "spike", EnergyJ: p.SpikeJ},
			{Op: "cadc_sample", EnergyJ: p.SampleJ},
			{Op: "neuron_static_per_chip_second", EnergyJ: p.StaticWPerNeuron},
		},
	}
}

// Compile implements targets.Target: map populations to circuits and projections to
// synapse rows with 6-bit weights and a per-projection gain.
func (t Target) Compile(nl *ir.Netlist, opt targets.Options) (targets.Image, *targets.Report, error) {
	prof, err := LookupProfile(opt.Flag("profile", DefaultProfile))
	if err != nil {
		return nil, nil, err
	}
	if _, err := parseConditions(opt, prof); err != nil { // also checks --calibration
		return nil, nil, err
	}
	im, err := t.compile(nl, opt)
	if err != nil {
		return nil, nil, err
	}
	return im, im.rep, nil
}

// DecodeImage implements targets.Target.
func (t Target) DecodeImage(nl *ir.Netlist, opt targets.Options, data []byte) (targets.Image, error) {
	var pay payload
	if err := json.Unmarshal(data, &pay); err != nil {
		return nil, err
	}
	prof, err := LookupProfile(pay.Profile)
	if err != nil {
		return nil, err
	}
	if len(pay.Pops) != len(nl.Populations) || len(pay.Projs) != len(nl.Projections) {
		return nil, fmt.Errorf("payload has %d populations and %d projections, the netlist %d and %d",
			len(pay.Pops), len(pay.Projs), len(nl.Populations), len(nl.Projections))
	}
	for i, pm := range pay.Pops {
		p := nl.Populations[i]
		if pm.Name != p.Name || pm.Size != p.Size || len(pm.TauMem) != pm.Size || len(pm.Leak) != pm.Size ||
			len(pm.Reset) != pm.Size || len(pm.V0) != pm.Size || len(pm.InScale) != pm.Size ||
			pm.First < 0 || pm.First+pm.Size > prof.Neurons {
			return nil, fmt.Errorf("population %d (%s) does not match the netlist or the %s chip", i, pm.Name, prof.Name)
		}
	}
	im := &image{nl: nl, prof: prof, pay: pay, rep: &targets.Report{Target: "analog"}}
	used := 0
	for _, pm := range pay.Pops {
		used = max(used, pm.First+pm.Size)
	}
	im.fillReport(used)
	return im, nil
}

// Load implements targets.Target: opt.Seed picks the chip instance.
func (t Target) Load(img targets.Image, opt targets.Options) (targets.Machine, error) {
	im, ok := img.(*image)
	if !ok {
		return nil, fmt.Errorf("%w: not an analog image", targets.ErrImage)
	}
	opt = targets.WithDefaults(t, opt)
	if p := opt.Flag("profile", DefaultProfile); p != im.prof.Name {
		return nil, fmt.Errorf("%w: --profile %s, but the image was compiled for %s", targets.ErrFlag, p, im.prof.Name)
	}
	return newMachine(im, opt)
}

// settings are the parsed switches.
type settings struct {
	cond        conditions
	cal         *Calibration
	stepsPerTau float64
}

// parseConditions reads the switches; prof, when non-nil, resolves the calibration file
// and the reference temperature.
func parseConditions(opt targets.Options, prof *Profile) (*settings, error) {
	st := &settings{}
	var err error
	if st.cond.Mismatch, err = opt.FloatFlag("mismatch", 1); err != nil {
		return nil, err
	}
	if st.cond.Noise, err = opt.FloatFlag("noise", 1); err != nil {
		return nil, err
	}
	if st.stepsPerTau, err = opt.FloatFlag("steps-per-tau", 20); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"mismatch", st.cond.Mismatch}, {"noise", st.cond.Noise}} {
		if c.v < 0 || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return nil, fmt.Errorf("%w: --%s %g must be ≥ 0", targets.ErrFlag, c.name, c.v)
		}
	}
	if !(st.stepsPerTau >= 1 && st.stepsPerTau <= 10000) {
		return nil, fmt.Errorf("%w: --steps-per-tau %g must be in 1..10000", targets.ErrFlag, st.stepsPerTau)
	}
	age, err := ParseAge(opt.Flag("age", "0"))
	if err != nil {
		return nil, err
	}
	st.cond.AgeDays = age.Hours() / 24
	ref := 300.0
	if prof != nil {
		ref = prof.TempRef
		if path := opt.Flag("calibration", ""); path != "" {
			cal, err := ReadCalibrationFile(path)
			if err != nil {
				return nil, err
			}
			if err := cal.check(prof, opt.Seed); err != nil {
				return nil, err
			}
			st.cal = cal
			ref = cal.Temperature
		}
	}
	st.cond.RefTemp = ref
	st.cond.Temperature = ref
	if s := opt.Flag("temperature", ""); s != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "K"), 64)
		if err != nil || !(v > 0 && v < 1000) {
			return nil, fmt.Errorf("%w: --temperature %q must be an absolute temperature in kelvin (e.g. 300 or 310K)", targets.ErrFlag, s)
		}
		st.cond.Temperature = v
	}
	return st, nil
}

// ParseAge parses --age: a Go duration (90m, 36h) or a number with suffix d (days) or
// w (weeks); "0" is no drift.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	mult := time.Duration(0)
	switch {
	case strings.HasSuffix(s, "d"):
		mult = 24 * time.Hour
	case strings.HasSuffix(s, "w"):
		mult = 7 * 24 * time.Hour
	}
	if mult != 0 {
		v, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err != nil || v < 0 || v > 1e5 {
			return 0, fmt.Errorf("%w: --age %q: want a duration such as 1h, 1d, 2w", targets.ErrFlag, s)
		}
		return time.Duration(v * float64(mult)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%w: --age %q: want a duration such as 1h, 1d, 2w", targets.ErrFlag, s)
	}
	return d, nil
}
