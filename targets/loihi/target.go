package loihi

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/quantize"
	"github.com/snnc/snnc/targets"
)

func init() { targets.Register(New(Loihi1)) }

// Target is the loihi target for one hardware description.
type Target struct{ hw HW }

// New returns a loihi target for hw (tests use reduced limits).
func New(hw HW) *Target { return &Target{hw: hw} }

// Name implements targets.Target.
func (t *Target) Name() string { return "loihi" }

// Spec implements targets.Target.
func (t *Target) Spec() targets.Spec { return t.hw.TargetSpec() }

// Flags implements targets.Target.
func (t *Target) Flags() []targets.Flag {
	return []targets.Flag{
		{Name: "loihi-mode", Default: "chip", Usage: "compartment arithmetic: chip (silicon-validated wraps, refractory) or lava (Lava's bit-accurate CPU models)"},
		{Name: "chips", Default: "1", Usage: "Loihi chips in the system (128 cores each, up to 16384)"},
		{Name: "energy-profile", Default: "davies", Usage: "energy/time per operation: davies (Davies 2018 Table 2) or measured (SANA-FE calibrated)"},
		{Name: "conv-axons", Default: "auto", Usage: "conv projections: auto (population shared-weight axons where they need fewer synapse words) or discrete (always expanded)"},
	}
}

type image struct {
	n    *ir.Netlist
	pl   payload
	syns []*synList
}

func (im *image) Netlist() *ir.Netlist     { return im.n }
func (im *image) Payload() ([]byte, error) { return im.pl.encode() }
func (im *image) Report() *targets.Report  { return im.pl.Report }

type options struct {
	mode      Mode
	chips     int
	profile   Profile
	convAxons string
}

func (t *Target) options(opt targets.Options) (options, error) {
	var o options
	var err error
	if o.mode, err = parseMode(opt.Flag("loihi-mode", "chip")); err != nil {
		return o, fmt.Errorf("%w: %v", targets.ErrFlag, err)
	}
	if o.chips, err = opt.IntFlag("chips", 1); err != nil {
		return o, err
	}
	if o.chips < 1 || o.chips > t.hw.MaxChips {
		return o, fmt.Errorf("%w: --chips %d outside 1..%d", targets.ErrFlag, o.chips, t.hw.MaxChips)
	}
	switch o.convAxons = opt.Flag("conv-axons", "auto"); o.convAxons {
	case "auto", "discrete":
	default:
		return o, fmt.Errorf("%w: --conv-axons %q: want auto or discrete", targets.ErrFlag, o.convAxons)
	}
	var ok bool
	if o.profile, ok = profileByName(opt.Flag("energy-profile", "davies")); !ok {
		return o, fmt.Errorf("%w: --energy-profile %q: want davies or measured", targets.ErrFlag, opt.Flag("energy-profile", ""))
	}
	return o, nil
}

// Compile implements targets.Target: quantize (spec §4–6), then map (spec §8). Nothing
// is returned unless every limit is met.
func (t *Target) Compile(n *ir.Netlist, opt targets.Options) (targets.Image, *targets.Report, error) {
	o, err := t.options(opt)
	if err != nil {
		return nil, nil, err
	}
	rep := &targets.Report{Target: "loihi"}
	qz := &quantizer{hw: t.hw, mode: o.mode, cfg: DefaultQuant, n: n, rep: rep}
	if err := qz.run(); err != nil {
		return nil, nil, err
	}
	mp := &mapper{hw: t.hw, n: n, syns: qz.syns, projs: qz.projs, pops: qz.pops, convAxons: o.convAxons}
	cores, err := mp.run(o.chips)
	if err != nil {
		return nil, nil, err
	}
	pl := payload{Version: payloadVersion, Mode: o.mode.String(), Chips: o.chips, Profile: o.profile.Name, Pops: qz.pops, Projs: qz.projs}
	for _, c := range cores {
		pl.Cores = append(pl.Cores, c.coreMap)
	}
	// Report: quantization tables, packing table, latency note (spec §6, §8).
	h, rows := qz.qrep.ProjectionTable()
	rep.Tables = append(rep.Tables, targets.Table{Title: "quantization: projections", Header: h, Rows: rows})
	h, rows = qz.qrep.PopulationTable()
	rep.Tables = append(rep.Tables, targets.Table{Title: "quantization: populations", Header: h, Rows: rows})
	if len(qz.trees) > 0 {
		rep.Tables = append(rep.Tables, treeTable(qz.trees))
	}
	rep.Tables = append(rep.Tables, t.hw.packingTable(n, cores))
	if ct, ok := mp.convTable(); ok {
		rep.Tables = append(rep.Tables, ct)
	}
	rep.Set("mode", o.mode.String())
	rep.Set("quantization", &qz.qrep)
	rep.Set("cores", len(cores))
	rep.Set("chips_available", o.chips)
	use := make([]map[string]any, len(cores))
	for i, c := range cores {
		use[i] = map[string]any{"core": i, "population": n.Populations[c.Pop].Name, "start": c.Start, "compartments": c.Count,
			"axons_in": c.AxIn, "pop_axons_in": c.PopAx, "axons_out": c.AxOut, "synapse_words": c.Words, "delay_slots": c.Slots}
	}
	rep.Set("packing", use)
	if lat := outputDelays(n); lat != nil {
		rows := [][]string{}
		for _, port := range n.Outputs {
			rows = append(rows, []string{port.Name, port.Source, strconv.Itoa(lat[port.Name])})
		}
		rep.Tables = append(rep.Tables, targets.Table{Title: "edge latency: model says zero, loihi runs one step per layer", Header: []string{"output", "source", "delayed_steps"}, Rows: rows})
		rep.Set("output_delay_steps", lat)
		rep.Warnf("edge_latency zero compiled to loihi's one-step pipeline: outputs are delayed (see table) and biases integrate during those steps")
	}
	pl.Report = rep
	return &image{n: n, pl: pl, syns: qz.syns}, rep, nil
}

// outputDelays returns, when the netlist asks for zero edge latency, how many steps
// each output is late on loihi: every zero-latency projection on the longest path adds
// one step (an input is itself one step away from the first layer).
func outputDelays(n *ir.Netlist) map[string]int {
	if n.Semantics.EdgeLatency != "zero" {
		return nil
	}
	extra := map[string]int{}
	for iter := 0; iter <= len(n.Populations); iter++ {
		changed := false
		for _, pr := range n.Projections {
			d := extra[pr.Pre]
			if pr.Latency == 0 {
				d++
			}
			if d > extra[pr.Post] && d <= len(n.Populations)+1 {
				extra[pr.Post] = d
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	out := map[string]int{}
	for _, p := range n.Outputs {
		out[p.Name] = extra[p.Source]
	}
	return out
}

// DecodeImage implements targets.Target.
func (t *Target) DecodeImage(n *ir.Netlist, opt targets.Options, data []byte) (targets.Image, error) {
	var pl payload
	if err := json.Unmarshal(data, &pl); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPayload, err)
	}
	if pl.Version != payloadVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrPayload, pl.Version, payloadVersion)
	}
	if len(pl.Pops) != len(n.Populations) || len(pl.Projs) != len(n.Projections) {
		return nil, fmt.Errorf("%w: %d populations / %d projections, netlist has %d / %d", ErrPayload, len(pl.Pops), len(pl.Projs), len(n.Populations), len(n.Projections))
	}
	im := &image{n: n, pl: pl, syns: make([]*synList, len(n.Projections))}
	for i, p := range n.Populations {
		q := &pl.Pops[i]
		if q.Name != p.Name || q.Size != p.Size {
			return nil, fmt.Errorf("%w: population %d is %s/%d, netlist %s/%d", ErrPayload, i, q.Name, q.Size, p.Name, p.Size)
		}
		for _, v := range []ivec{q.Du, q.Dv, q.Vth, q.BiasMant, q.BiasExp, q.Refract, q.NegVm, q.PosVm, q.U0, q.V0} {
			if len(v) != 1 && len(v) != p.Size {
				return nil, fmt.Errorf("%w: population %s: parameter vector of %d for %d neurons", ErrPayload, p.Name, len(v), p.Size)
			}
		}
		for k, v := range [][]float64{q.VScale, q.VOff} {
			if len(v) > 1 && len(v) != p.Size {
				return nil, fmt.Errorf("%w: population %s: readout vector of %d for %d neurons", ErrPayload, p.Name, len(v), p.Size)
			}
			for _, x := range v {
				if math.IsNaN(x) || math.IsInf(x, 0) || (k == 0 && !(x > 0)) {
					return nil, fmt.Errorf("%w: population %s: readout scale/offset %g", ErrPayload, p.Name, x)
				}
			}
		}
		if len(q.VOff) > 0 && len(q.VScale) == 0 {
			return nil, fmt.Errorf("%w: population %s: v_offset without v_scale", ErrPayload, p.Name)
		}
	}
	for j, pr := range n.Projections {
		s, err := expand(pr)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrPayload, err)
		}
		if len(pl.Projs[j].W) != len(pr.W) {
			return nil, fmt.Errorf("%w: projection %s: %d weights, netlist %d", ErrPayload, pr.Name, len(pl.Projs[j].W), len(pr.W))
		}
		if c := pl.Projs[j].Cx; c != nil {
			post := -1
			for i, p := range n.Populations {
				if p.Name == pr.Post {
					post = i
				}
			}
			if post < 0 || *c < 0 || *c >= len(pl.Pops[post].Tree)-1 {
				return nil, fmt.Errorf("%w: projection %s: compartment %d is not a dendrite of %s", ErrPayload, pr.Name, *c, pr.Post)
			}
		}
		if _, err := quantize.ParseSignMode(pl.Projs[j].Sign); err != nil {
			return nil, fmt.Errorf("%w: projection %s: %v", ErrPayload, pr.Name, err)
		}
		im.syns[j] = s
	}
	if pl.Report == nil {
		pl.Report = &targets.Report{Target: "loihi"}
		im.pl.Report = pl.Report
	}
	return im, nil
}

// Load implements targets.Target.
func (t *Target) Load(img targets.Image, opt targets.Options) (targets.Machine, error) {
	im, ok := img.(*image)
	if !ok {
		return nil, fmt.Errorf("%w: not a loihi image", targets.ErrImage)
	}
	o, err := t.options(targets.Options{Flags: map[string]string{"energy-profile": opt.Flag("energy-profile", im.pl.Profile), "chips": strconv.Itoa(max(im.pl.Chips, 1))}})
	if err != nil {
		return nil, err
	}
	return newMachine(im, t.hw, o.profile)
}
