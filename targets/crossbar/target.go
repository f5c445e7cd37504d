package crossbar

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

func init() { targets.Register(Target{}) }

// Target is the crossbar target.
type Target struct{}

// Name implements targets.Target.
func (Target) Name() string { return "crossbar" }

// Flags implements targets.Target.
func (Target) Flags() []targets.Flag { return append([]targets.Flag(nil), flagDefs...) }

// Costs are the cost-model constants (shared/spec/crossbar.md "Cost model"; the digital
// and periphery figures are this package's choices, see docs/crossbar.md).
type Costs struct {
	VRead         float64 // V
	TRead         float64 // s, one read pulse
	ADC8J         float64 // J per 8-bit conversion (×2 per extra bit)
	TileReadS     float64 // s per 8-bit tile MVM (scaled by bits/8)
	PeriphColJ    float64 // J per used physical column per tile read: sense amplifier, references, drivers, control
	NeuronJ       float64 // J per digital neuron update
	NeuronS       float64 // s per step for the neuron update
	PartialSumJ   float64 // J per digital partial-sum add
	PartialSumS   float64 // s per level of the partial-sum adder tree
	MemSpikeJ     float64 // J per memristive-neuron spike
	MemThreshV    float64 // V, threshold-switch threshold
	MemC2C        float64 // cycle-to-cycle threshold variation (σ/mean)
	MemRelaxMinS  float64 // s, relaxation time range (log-uniform per device)
	MemRelaxMaxS  float64
	MemSwitchMinS float64 // s, switching time range (≪ dt: no effect on the step)
	MemSwitchMaxS float64
}

// DefaultCosts are the spec's numbers plus the package's digital costs.
var DefaultCosts = Costs{
	VRead: 0.2, TRead: 10e-9, ADC8J: 1.5e-12, TileReadS: 130e-9, PeriphColJ: 10e-9 / 256,
	NeuronJ: 1e-12, NeuronS: 10e-9, PartialSumJ: 0.1e-12, PartialSumS: 1e-9,
	MemSpikeJ: 2e-9, MemThreshV: 0.84, MemC2C: 0.025, MemRelaxMinS: 1e-6, MemRelaxMaxS: 1e-3,
	MemSwitchMinS: 100e-9, MemSwitchMaxS: 300e-9,
}

// Spec implements targets.Target.
func (Target) Spec() targets.Spec {
	c := DefaultCosts
	return targets.Spec{
		Name:        "crossbar",
		Description: "memristive 1T1R crossbar tiles (differential pairs, ADC readout) with digital LIF periphery",
		Resources: []targets.Resource{
			{Name: "tiles", Per: "chip", Limit: 48},
			{Name: "rows", Per: "tile", Limit: 256},
			{Name: "columns", Per: "tile", Limit: 256},
		},
		Widths: map[string]int{"adc_bits": 8, "levels": 16, "input_bits": 1},
		Costs: []targets.Cost{
			{Op: "cell_read_per_uS", EnergyJ: c.VRead * c.VRead * c.TRead * 1e-6, TimeS: c.TRead},
			{Op: "adc_conversion_8bit", EnergyJ: c.ADC8J},
			{Op: "tile_read", TimeS: c.TileReadS},
			{Op: "periphery_per_column_read", EnergyJ: c.PeriphColJ},
			{Op: "neuron_update", EnergyJ: c.NeuronJ, TimeS: c.NeuronS},
			{Op: "partial_sum", EnergyJ: c.PartialSumJ, TimeS: c.PartialSumS},
			{Op: "memristive_spike", EnergyJ: c.MemSpikeJ},
		},
	}
}

// Image is a compiled crossbar network.
type Image struct {
	nl     *ir.Netlist
	cfg    *Config
	lay    *layout
	report *targets.Report
}

// Netlist implements targets.Image.
func (im *Image) Netlist() *ir.Netlist { return im.nl }

// Report implements targets.Image.
func (im *Image) Report() *targets.Report { return im.report }

// Config returns the resolved configuration.
func (im *Image) Config() Config { return *im.cfg }

type payload struct {
	Config *Config      `json:"config"`
	Tiles  []*tilePlace `json:"tiles"`
}

// Payload implements targets.Image.
func (im *Image) Payload() ([]byte, error) {
	return json.Marshal(payload{Config: im.cfg, Tiles: im.lay.tiles})
}

// Compile implements targets.Target.
func (t Target) Compile(n *ir.Netlist, opt targets.Options) (targets.Image, *targets.Report, error) {
	cfg, err := ParseConfig(opt)
	if err != nil {
		return nil, nil, err
	}
	L, err := buildLayout(n, cfg)
	if err != nil {
		return nil, nil, err
	}
	L.computeScales()
	im := &Image{nl: n, cfg: cfg, lay: L}
	im.report = L.report()
	return im, im.report, nil
}

// DecodeImage implements targets.Target.
func (t Target) DecodeImage(n *ir.Netlist, _ targets.Options, data []byte) (targets.Image, error) {
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	if p.Config == nil {
		return nil, fmt.Errorf("no config")
	}
	if err := p.Config.validate(); err != nil {
		return nil, err
	}
	L, err := buildLayout(n, p.Config)
	if err != nil {
		return nil, err
	}
	if len(L.tiles) != len(p.Tiles) {
		return nil, fmt.Errorf("payload has %d tiles, the netlist maps to %d", len(p.Tiles), len(L.tiles))
	}
	for i, tp := range p.Tiles {
		lt := L.tiles[i]
		if tp == nil || tp.Pop != lt.Pop || tp.Group != lt.Group || tp.Block != lt.Block || tp.Rows != lt.Rows || tp.Cols != lt.Cols || len(tp.Scales) != lt.Cols {
			return nil, fmt.Errorf("tile %d placement does not match the netlist", i)
		}
		for _, s := range tp.Scales {
			if !(s >= 0) || math.IsInf(s, 0) {
				return nil, fmt.Errorf("tile %d: bad scale %v", i, s)
			}
		}
		lt.Scales = tp.Scales
	}
	im := &Image{nl: n, cfg: p.Config, lay: L}
	im.report = L.report()
	return im, nil
}

// report builds the packing, summary and quantization tables.
func (L *layout) report() *targets.Report {
	cfg := L.cfg
	R := cfg.Tile
	rep := &targets.Report{Target: "crossbar"}
	pack := targets.Table{Title: "crossbar packing (one row per tile)",
		Header: []string{"tile", "population", "col_group", "row_block", "rows", "neurons", "phys_cols", "utilization"}}
	var cells, maxPS int
	for i, t := range L.tiles {
		pl := L.pops[t.Pop]
		pc := t.Cols * 2 * pl.K
		cells += t.Rows * pc
		pack.Rows = append(pack.Rows, []string{fmt.Sprint(i), pl.Name, fmt.Sprint(t.Group), fmt.Sprint(t.Block),
			fmt.Sprint(t.Rows), fmt.Sprint(t.Cols), fmt.Sprint(pc), fmt.Sprintf("%.1f%%", 100*float64(t.Rows*pc)/float64(R*R))})
	}
	for _, pl := range L.pops {
		if pl.Blocks > 1 {
			maxPS += (pl.Blocks - 1) * pl.Size
		}
	}
	util := 0.0
	if len(L.tiles) > 0 {
		util = float64(cells) / float64(len(L.tiles)*R*R)
	}
	levels := "continuous"
	if cfg.Levels > 0 {
		levels = fmt.Sprint(cfg.Levels)
	}
	sum := targets.Table{Title: "crossbar summary", Header: []string{"item", "value"}, Rows: [][]string{
		{"device", cfg.Profile.Name},
		{"tile", fmt.Sprintf("%d×%d 1T1R", R, R)},
		{"tiles used", fmt.Sprintf("%d of %d", len(L.tiles), cfg.TilesMax)},
		{"cells programmed", fmt.Sprint(cells)},
		{"utilization", fmt.Sprintf("%.1f%%", 100*util)},
		{"partial sums per step (max)", fmt.Sprint(maxPS)},
		{"levels × slices", fmt.Sprintf("%s × %d", levels, cfg.Slices)},
		{"replicas (rows × columns)", L.replicaSummary()},
		{"readout", fmt.Sprintf("%s (%d bit, bound ±%g)", cfg.Readout, cfg.ADCBits, cfg.ADCBound)},
		{"ir drop", cfg.IRDrop},
		{"age", fmt.Sprintf("%gs", cfg.AgeS)},
		{"neuron", cfg.Neuron},
	}}
	quant := targets.Table{Title: "crossbar quantization (nominal, before device noise)",
		Header: []string{"projection", "post", "synapses", "max |w|", "rms error", "rms error / max |w|"}}
	for _, pr := range L.nl.Projections {
		pi, ok := L.byPop[pr.Post]
		if !ok {
			continue
		}
		pl := L.pops[pi]
		f, sw := make([]float64, pl.K), pl.PW
		var se, mx, qSum, wSum float64
		var cnt, seen int
		// forRows visits a slot's Rep replica rows one after another; the weight and its
		// realization are their sums.
		pl.forRows(L.nl, pr, func(k, row, post int) {
			w := pl.M[row*pl.Size+post]
			t := L.tiles[L.tileOf[pi][(post/pl.CG)*pl.Blocks+row/R]]
			sc := t.Scales[post%pl.CG]
			neg := pl.pairCodes(cfg, w, sc, f, row)
			q := 0.0
			for s := range f {
				q += f[s] * sw[s]
			}
			q *= sc
			if neg {
				q = -q
			}
			qSum += q
			wSum += w
			if seen++; seen%pl.Rep != 0 {
				return
			}
			se += (qSum - wSum) * (qSum - wSum)
			mx = max(mx, math.Abs(wSum))
			cnt++
			qSum, wSum = 0, 0
		})
		rms := 0.0
		if cnt > 0 {
			rms = math.Sqrt(se / float64(cnt))
		}
		rel := 0.0
		if mx > 0 {
			rel = rms / mx
		}
		quant.Rows = append(quant.Rows, []string{pr.Name, pr.Post, fmt.Sprint(cnt), fmt.Sprintf("%.4g", mx), fmt.Sprintf("%.3g", rms), fmt.Sprintf("%.3g", rel)})
		if pr.Latency == 0 {
			rep.Warnf("projection %q has zero edge latency; the crossbar pipeline delivers it one step later (each output is delayed by one step per layer, and biases integrate during those steps)", pr.Name)
		}
	}
	rep.Tables = []targets.Table{sum, pack, quant}
	rep.Set("tiles", len(L.tiles))
	rep.Set("tiles_max", cfg.TilesMax)
	rep.Set("cells", cells)
	rep.Set("utilization", util)
	rep.Set("partial_sums_per_step_max", maxPS)
	return rep
}

// replicaSummary lists each population with inputs and its row × column replicas
// ("lif1 3×1, out 1×8").
func (L *layout) replicaSummary() string {
	var parts []string
	for _, pl := range L.pops {
		if pl.Blocks > 0 {
			s := fmt.Sprintf("%s %d×%d", pl.Name, pl.Rep, pl.ColRep)
			if pl.VScale != 1 {
				s += fmt.Sprintf(" (rows read at %.3g·V_read)", pl.VScale)
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}
