package crossbar

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/snnc/snnc/targets"
)

// Config is every resolved option of a compile (stored in the image payload, so an
// image runs without its --device-file).
type Config struct {
	Profile  Profile `json:"profile"`
	Tile     int     `json:"tile"`      // rows = physical columns per tile
	TilesMax int     `json:"tiles_max"` // chip limit
	Levels   int     `json:"levels"`    // conductance levels per device (0 continuous)
	Slices   int     `json:"slices"`    // cell pairs per weight
	// Replicas of every row: −1 auto (per population, see replicas), N ≥ 1 fixed; 0 (images
	// written before replicas existed) is one.
	Replicas int `json:"replicas,omitempty"`
	// ColReplicas of every column, with the same encoding (colReplicas).
	ColReplicas int `json:"col_replicas,omitempty"`
	// RowPlace is where a tile's used rows sit: "near-sense" (the last rows, next to the
	// column sense amplifiers) or "top" (rows 0.., the only placement of images written
	// before this option, which decode with "").
	RowPlace string  `json:"row_place,omitempty"`
	AgeS     float64 `json:"age_s"`   // time since programming
	Readout  string  `json:"readout"` // "adc" | "direct"
	ADCBits  int     `json:"adc_bits"`
	ADCBound float64 `json:"adc_bound"` // ± full scale in normalized units (one full-scale pair = 1)
	IRDrop   string  `json:"ir_drop"`   // "off" | "first-order" | "nodal"
	Neuron   string  `json:"neuron"`    // "lif" | "memristive"
	// Switches (true = the non-ideality is applied).
	DriftComp bool `json:"drift_comp"`
	ProgNoise bool `json:"prog_noise"`
	ReadNoise bool `json:"read_noise"`
	Drift     bool `json:"drift"`
	Spread    bool `json:"spread"`
	Faults    bool `json:"faults"`
	ADCNoise  bool `json:"adc_noise"`
	ADCQuant  bool `json:"adc_quant"`
	NeuronVar bool `json:"neuron_var"` // memristive neuron variability
}

// Flag names (shared/spec/crossbar.md).
var flagDefs = []targets.Flag{
	{Name: "device", Default: "rram", Usage: "device profile: rram|pcm|ideal"},
	{Name: "device-file", Usage: "user device profile (JSON, see docs/crossbar.md); overrides --device"},
	{Name: "tile", Default: "256", Usage: "tile size R=C: 128|256|512|1024"},
	{Name: "tiles-max", Default: "48", Usage: "tiles on the chip"},
	{Name: "levels", Usage: "conductance levels per device (0 = continuous; default per profile)"},
	{Name: "slices", Default: "1", Usage: "bit slices (cell pairs of decreasing significance per weight)"},
	{Name: "replicas", Default: "auto", Usage: "row replicas: device pairs per weight summed on the column, read at a lowered amplitude that keeps the ADC range: auto (fill the tile's rows, ≤ 16) or N"},
	{Name: "col-replicas", Default: "auto", Usage: "column replicas: copies of each neuron's column, averaged after the ADC: auto (spare columns of a one-group population, ≤ 8) or N"},
	{Name: "row-place", Default: "near-sense", Usage: "where a tile's used rows sit: near-sense (next to the column sense amplifiers, least IR drop) or top"},
	{Name: "age", Default: "0", Usage: "time since programming, e.g. 30s, 1h, 1d, 1y (drift)"},
	{Name: "crossbar-readout", Default: "adc", Usage: "column readout: adc|direct"},
	{Name: "adc-bits", Default: "8", Usage: "ADC resolution in bits"},
	{Name: "adc-bound", Default: "12", Usage: "ADC full scale ± in full-scale cell-pair units"},
	{Name: "ir-drop", Usage: "IR drop: off|first-order|nodal (default first-order, off for ideal)"},
	{Name: "drift-comp", Default: "auto", Usage: "global drift compensation: on|off|auto (auto = on for pcm)"},
	{Name: "neuron", Default: "lif", Usage: "neuron periphery: lif|memristive"},
	{Name: "trials", Default: "1", Usage: "chip instances to run (seeds seed..seed+N-1)"},
	{Name: "prog-noise", Usage: "programming noise: on|off (default per profile)"},
	{Name: "read-noise", Usage: "read noise: on|off (default per profile)"},
	{Name: "drift", Usage: "conductance drift: on|off (default per profile)"},
	{Name: "spread", Usage: "device-to-device spread: on|off (default per profile)"},
	{Name: "faults", Usage: "stuck-at faults: on|off (default per profile)"},
	{Name: "adc-noise", Usage: "ADC noise: on|off (default per profile)"},
	{Name: "adc-quant", Usage: "ADC quantization and bound: on|off (default per profile)"},
	{Name: "neuron-var", Usage: "memristive neuron variability: on|off (default on)"},
}

// ParseConfig resolves the target flags.
func ParseConfig(opt targets.Options) (*Config, error) {
	var prof Profile
	var err error
	if f := opt.Flag("device-file", ""); f != "" {
		prof, err = ReadProfileFile(f)
	} else {
		prof, err = BuiltinProfile(opt.Flag("device", "rram"))
	}
	if err != nil {
		return nil, err
	}
	c := &Config{Profile: prof}
	if c.Tile, err = opt.IntFlag("tile", 256); err != nil {
		return nil, err
	}
	switch c.Tile {
	case 128, 256, 512, 1024:
	default:
		return nil, fmt.Errorf("%w: --tile %d, want 128, 256, 512 or 1024", targets.ErrFlag, c.Tile)
	}
	if c.TilesMax, err = opt.IntFlag("tiles-max", 48); err != nil {
		return nil, err
	}
	if c.TilesMax < 1 {
		return nil, fmt.Errorf("%w: --tiles-max %d, want ≥ 1", targets.ErrFlag, c.TilesMax)
	}
	if c.Levels, err = opt.IntFlag("levels", prof.Levels); err != nil {
		return nil, err
	}
	if c.Levels < 0 || c.Levels == 1 || c.Levels > 1<<16 {
		return nil, fmt.Errorf("%w: --levels %d, want 0 (continuous) or 2..65536", targets.ErrFlag, c.Levels)
	}
	if c.Slices, err = opt.IntFlag("slices", 1); err != nil {
		return nil, err
	}
	if c.Slices < 1 || c.Slices > 8 {
		return nil, fmt.Errorf("%w: --slices %d, want 1..8", targets.ErrFlag, c.Slices)
	}
	if c.Slices > 1 && c.Levels == 0 {
		return nil, fmt.Errorf("%w: --slices %d needs a finite number of conductance levels; the %s profile is continuous (add --levels N)", ErrConfig, c.Slices, prof.Name)
	}
	if c.Slices > 1 && math.Pow(float64(c.Levels), float64(c.Slices)) > 1<<40 {
		return nil, fmt.Errorf("%w: --levels %d with --slices %d exceeds 2^40 codes", ErrConfig, c.Levels, c.Slices)
	}
	if c.Replicas, err = replicaFlag(opt, "replicas"); err != nil {
		return nil, err
	}
	if c.ColReplicas, err = replicaFlag(opt, "col-replicas"); err != nil {
		return nil, err
	}
	c.RowPlace = opt.Flag("row-place", "near-sense")
	if c.RowPlace != "near-sense" && c.RowPlace != "top" {
		return nil, fmt.Errorf("%w: --row-place %q, want near-sense or top", targets.ErrFlag, c.RowPlace)
	}
	if c.AgeS, err = ParseAge(opt.Flag("age", "0")); err != nil {
		return nil, err
	}
	c.Readout = opt.Flag("crossbar-readout", "adc")
	if c.Readout != "adc" && c.Readout != "direct" {
		return nil, fmt.Errorf("%w: --crossbar-readout %q, want adc or direct", targets.ErrFlag, c.Readout)
	}
	if c.ADCBits, err = opt.IntFlag("adc-bits", 8); err != nil {
		return nil, err
	}
	if c.ADCBits < 1 || c.ADCBits > 24 {
		return nil, fmt.Errorf("%w: --adc-bits %d, want 1..24", targets.ErrFlag, c.ADCBits)
	}
	if c.ADCBound, err = opt.FloatFlag("adc-bound", 12); err != nil {
		return nil, err
	}
	if !(c.ADCBound > 0) || math.IsInf(c.ADCBound, 0) {
		return nil, fmt.Errorf("%w: --adc-bound %v, want a positive number", targets.ErrFlag, c.ADCBound)
	}
	defIR := "first-order"
	if prof.Ideal {
		defIR = "off"
	}
	c.IRDrop = opt.Flag("ir-drop", defIR)
	switch c.IRDrop {
	case "off", "first-order", "nodal":
	default:
		return nil, fmt.Errorf("%w: --ir-drop %q, want off, first-order or nodal", targets.ErrFlag, c.IRDrop)
	}
	c.Neuron = opt.Flag("neuron", "lif")
	if c.Neuron != "lif" && c.Neuron != "memristive" {
		return nil, fmt.Errorf("%w: --neuron %q, want lif or memristive", targets.ErrFlag, c.Neuron)
	}
	if _, err := opt.IntFlag("trials", 1); err != nil {
		return nil, err
	}
	def := !prof.Ideal
	sw := func(name string, d bool) (bool, error) {
		switch v := opt.Flag(name, ""); v {
		case "":
			return d, nil
		case "on", "true", "1":
			return true, nil
		case "off", "false", "0":
			return false, nil
		default:
			return false, fmt.Errorf("%w: --%s %q, want on or off", targets.ErrFlag, name, v)
		}
	}
	for _, s := range []struct {
		name string
		dst  *bool
		def  bool
	}{{"prog-noise", &c.ProgNoise, def}, {"read-noise", &c.ReadNoise, def}, {"drift", &c.Drift, def},
		{"spread", &c.Spread, def}, {"faults", &c.Faults, def}, {"adc-noise", &c.ADCNoise, def},
		{"adc-quant", &c.ADCQuant, def}, {"neuron-var", &c.NeuronVar, def}} {
		if *s.dst, err = sw(s.name, s.def); err != nil {
			return nil, err
		}
	}
	switch v := opt.Flag("drift-comp", "auto"); v {
	case "auto":
		c.DriftComp = prof.Drift.Kind == "power" && c.Drift
	case "on":
		c.DriftComp = true
	case "off":
		c.DriftComp = false
	default:
		return nil, fmt.Errorf("%w: --drift-comp %q, want on, off or auto", targets.ErrFlag, v)
	}
	return c, nil
}

// wireRows is the column-wire length, in row pitches, from a tile's first used row to
// the sense amplifiers, for used rows: the whole tile when the rows sit at the top, the
// used rows when they sit next to the sense amplifiers (docs/crossbar.md "IR drop").
func (c *Config) wireRows(used int) int {
	if c.RowPlace == "near-sense" {
		return used
	}
	return c.Tile
}

// maxReplicas bounds --replicas and --col-replicas (and an image's fields).
const maxReplicas = 64

// replicaFlag parses --replicas / --col-replicas: auto is −1, else 1..maxReplicas.
func replicaFlag(opt targets.Options, name string) (int, error) {
	v := opt.Flag(name, "auto")
	if v == "auto" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxReplicas {
		return 0, fmt.Errorf("%w: --%s %q, want auto or 1..%d", targets.ErrFlag, name, v, maxReplicas)
	}
	return n, nil
}

// ageUnits are the accepted --age suffixes in seconds.
var ageUnits = []struct {
	suffix string
	sec    float64
}{
	{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"min", 60}, {"m", 60},
	{"h", 3600}, {"d", 86400}, {"w", 7 * 86400}, {"y", 365.25 * 86400},
}

// ParseAge parses a duration such as 30s, 1.5h, 1d, 2w, 1y or a bare number of seconds.
func ParseAge(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, nil
	}
	mult := 1.0
	for _, u := range ageUnits {
		if strings.HasSuffix(t, u.suffix) {
			num := strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			if num == "" {
				break
			}
			if _, err := strconv.ParseFloat(num, 64); err == nil {
				t, mult = num, u.sec
				break
			}
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: --age %q, want a non-negative duration such as 30s, 10min, 1h, 1d, 1w, 1y", targets.ErrFlag, s)
	}
	return v * mult, nil
}

// validate re-checks a decoded configuration (image payloads are untrusted input).
func (c *Config) validate() error {
	bad := func(field string, v any) error {
		return fmt.Errorf("%w: image config %s = %v out of range", ErrConfig, field, v)
	}
	switch {
	case c.Tile != 128 && c.Tile != 256 && c.Tile != 512 && c.Tile != 1024:
		return bad("tile", c.Tile)
	case c.TilesMax < 1:
		return bad("tiles_max", c.TilesMax)
	case c.Levels < 0 || c.Levels == 1 || c.Levels > 1<<16:
		return bad("levels", c.Levels)
	case c.Slices < 1 || c.Slices > 8 || (c.Slices > 1 && c.Levels == 0):
		return bad("slices", c.Slices)
	case c.Slices > 1 && math.Pow(float64(c.Levels), float64(c.Slices)) > 1<<40:
		return bad("levels^slices", math.Pow(float64(c.Levels), float64(c.Slices)))
	case c.Replicas < -1 || c.Replicas > maxReplicas:
		return bad("replicas", c.Replicas)
	case c.ColReplicas < -1 || c.ColReplicas > maxReplicas:
		return bad("col_replicas", c.ColReplicas)
	case c.RowPlace != "" && c.RowPlace != "near-sense" && c.RowPlace != "top":
		return bad("row_place", c.RowPlace)
	case !(c.AgeS >= 0) || math.IsInf(c.AgeS, 0):
		return bad("age_s", c.AgeS)
	case c.Readout != "adc" && c.Readout != "direct":
		return bad("readout", c.Readout)
	case c.ADCBits < 1 || c.ADCBits > 24:
		return bad("adc_bits", c.ADCBits)
	case !(c.ADCBound > 0) || math.IsInf(c.ADCBound, 0):
		return bad("adc_bound", c.ADCBound)
	case c.IRDrop != "off" && c.IRDrop != "first-order" && c.IRDrop != "nodal":
		return bad("ir_drop", c.IRDrop)
	case c.Neuron != "lif" && c.Neuron != "memristive":
		return bad("neuron", c.Neuron)
	}
	return c.Profile.Validate()
}
