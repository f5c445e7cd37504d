package ref

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

func init() { targets.Register(Target{}) }

// Target is the float reference target.
type Target struct{}

func (Target) Name() string { return "ref" }

func (Target) Spec() targets.Spec {
	return targets.Spec{Name: "ref", Description: "float64 reference: exact discretization, no quantization, no resource limits"}
}

func (Target) Flags() []targets.Flag { return nil }

// image is the compiled form: the netlist is all ref needs.
type image struct{ nl *ir.Netlist }

func (i *image) Netlist() *ir.Netlist { return i.nl }

func (i *image) Payload() ([]byte, error) { return []byte("{}"), nil }

func (i *image) Report() *targets.Report { return report(i.nl) }

func report(nl *ir.Netlist) *targets.Report {
	r := &targets.Report{Target: "ref"}
	t := targets.Table{Title: "populations", Header: []string{"population", "model", "neurons", "spiking"}}
	total := 0
	for _, p := range nl.Populations {
		t.Rows = append(t.Rows, []string{p.Name, p.Model, fmt.Sprint(p.Size), fmt.Sprint(p.Spiking)})
		total += p.Size
	}
	pt := targets.Table{Title: "projections", Header: []string{"projection", "pre", "post", "kind", "synapses", "max delay"}}
	syn := 0
	for _, p := range nl.Projections {
		n := p.NumSynapses()
		syn += n
		pt.Rows = append(pt.Rows, []string{p.Name, p.Pre, p.Post, p.Kind.String(), fmt.Sprint(n), fmt.Sprint(p.MaxDelay())})
	}
	r.Tables = []targets.Table{t, pt}
	r.Set("neurons", total)
	r.Set("synapses", syn)
	return r
}

func (Target) Compile(nl *ir.Netlist, _ targets.Options) (targets.Image, *targets.Report, error) {
	for _, p := range nl.Populations {
		switch p.Model {
		case ir.TLIF, ir.TLI, ir.TIF, ir.TI, ir.TCubaLIF, ir.TCubaLI, ir.TThreshold, ir.TAdaptiveLIF, ir.TAHPLIF:
		default:
			return nil, nil, fmt.Errorf("%w: population %s has type %s (ref runs LIF, CubaLIF, IF, LI, CubaLI, I, Threshold, snnc.AdaptiveLIF, snnc.AHPLIF)", targets.ErrUnsupported, p.Name, p.Model)
		}
	}
	img := &image{nl: nl}
	return img, img.Report(), nil
}

func (Target) DecodeImage(nl *ir.Netlist, _ targets.Options, payload []byte) (targets.Image, error) {
	var v map[string]any
	if err := json.Unmarshal(payload, &v); err != nil {
		return nil, err
	}
	img, _, err := Target{}.Compile(nl, targets.Options{})
	return img, err
}

func (Target) Load(img targets.Image, _ targets.Options) (targets.Machine, error) {
	return newMachine(img.Netlist())
}

// machine is one ref instance.
type machine struct {
	nl     *ir.Netlist
	pops   []*pop // by netlist order
	cores  []*core
	engine *emulator.Engine
	projW  map[string]*ir.Projection
}

func newMachine(nl *ir.Netlist) (*machine, error) {
	m := &machine{nl: nl, projW: map[string]*ir.Projection{}}
	for _, pr := range nl.Projections {
		m.projW[pr.Name] = pr
	}
	if err := m.build(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *machine) Reset() { m.engine.Reset() }

func (m *machine) Projections() []string {
	out := make([]string, len(m.nl.Projections))
	for i, p := range m.nl.Projections {
		out[i] = p.Name
	}
	return out
}

func (m *machine) Weights(name string) ([]float64, error) {
	pr, ok := m.projW[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (have %s)", targets.ErrNoProjection, name, strings.Join(m.Projections(), ", "))
	}
	return append([]float64(nil), pr.W...), nil
}

func (m *machine) SetWeights(name string, w []float64) error {
	pr, ok := m.projW[name]
	if !ok {
		return fmt.Errorf("%w %q (have %s)", targets.ErrNoProjection, name, strings.Join(m.Projections(), ", "))
	}
	if len(w) != len(pr.W) {
		return fmt.Errorf("projection %s: %d weights given, it has %d", name, len(w), len(pr.W))
	}
	// Rebuild on a private copy of the netlist so images stay immutable.
	nl := *m.nl
	nl.Projections = make([]*ir.Projection, len(m.nl.Projections))
	for i, p := range m.nl.Projections {
		if p.Name == name {
			c := *p
			c.W = append([]float64(nil), w...)
			p = &c
		}
		nl.Projections[i] = p
	}
	nm, err := newMachine(&nl)
	if err != nil {
		return err
	}
	*m = *nm
	return nil
}

func (m *machine) Run(ctx context.Context, in *emulator.Stimulus, steps int, probes []string) (*emulator.Trace, error) {
	ps, err := m.resolveProbes(probes)
	if err != nil {
		return nil, err
	}
	tr, err := m.engine.Run(ctx, in, steps, ps)
	if err != nil {
		return nil, err
	}
	return tr, nil
}

func (m *machine) resolveProbes(names []string) ([]emulator.Probe, error) {
	var out []emulator.Probe
	for _, name := range names {
		k := strings.LastIndexByte(name, '.')
		if k <= 0 {
			return nil, fmt.Errorf("%w %q: write NODE.VAR (VAR one of v, i, spikes, a, c)", emulator.ErrProbe, name)
		}
		node, v := name[:k], name[k+1:]
		var p *pop
		for _, q := range m.pops {
			if q.p.Name == node {
				p = q
			}
		}
		if p == nil {
			return nil, fmt.Errorf("%w %q: no population %q (populations: %s)", emulator.ErrProbe, name, node, popNames(m.nl))
		}
		var src []float64
		dtype := "f64"
		switch v {
		case "v":
			src = p.v
		case "i":
			src = p.i
		case "a":
			src = p.a
		case "c":
			src = p.c
		case "spikes":
			src, dtype = p.z, "i32"
		}
		if src == nil {
			return nil, fmt.Errorf("%w %q: %s has no variable %q on ref (v, i, spikes; a for AdaptiveLIF, c for AHPLIF)", emulator.ErrProbe, name, p.p.Model, v)
		}
		out = append(out, emulator.Probe{Name: name, Shape: p.p.Shape, DType: dtype, Read: func(row []float64) { copy(row, src) }})
	}
	return out, nil
}

func popNames(nl *ir.Netlist) string {
	var s []string
	for _, p := range nl.Populations {
		s = append(s, p.Name)
	}
	return strings.Join(s, ", ")
}
