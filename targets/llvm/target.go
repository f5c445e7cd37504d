package llvm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/quantize"
	"github.com/snnc/snnc/targets"
)

func init() { targets.Register(Target{}) }

// Target is `--target llvm`: the loihi target's quantized network (chip mode) compiled
// to native code through LLVM IR.
type Target struct{}

// loihiOptions are the options the llvm target compiles the loihi image with: chip
// arithmetic, and enough chips that the core limits never refuse a network the native
// code can run (the per-core limits of spec §8 still apply to each core).
func loihiOptions(opt targets.Options) targets.Options {
	return targets.Options{Seed: opt.Seed, Flags: map[string]string{"loihi-mode": "chip", "chips": strconv.Itoa(maxChips)}}
}

// maxChips is the loihi target's largest system (spec §8).
const maxChips = 16384

func loihiTarget() (targets.Target, error) {
	t, err := targets.Lookup("loihi")
	if err != nil {
		return nil, fmt.Errorf("llvm: the llvm target needs the loihi target: %w", err)
	}
	return t, nil
}

// Name implements targets.Target.
func (Target) Name() string { return "llvm" }

// Spec implements targets.Target: the loihi description (the native code computes
// what a loihi image computes).
func (Target) Spec() targets.Spec {
	s := targets.Spec{Name: "llvm"}
	if lt, err := loihiTarget(); err == nil {
		s = lt.Spec()
		s.Name = "llvm"
	}
	s.Description = "native code (LLVM 14 IR, built with opt/llc -O3) of the loihi chip-mode arithmetic"
	return s
}

// Flags implements targets.Target (none: the arithmetic is loihi chip mode).
func (Target) Flags() []targets.Flag { return nil }

type image struct {
	n      *ir.Netlist
	raw    json.RawMessage // loihi payload
	lpl    *loihiPayload
	net    *netM
	module string
	rep    *targets.Report
}

func (im *image) Netlist() *ir.Netlist    { return im.n }
func (im *image) Report() *targets.Report { return im.rep }

// Payload implements targets.Image: JSON (as the image envelope requires) holding the
// loihi payload and the module text. ModuleText extracts the bare module.
func (im *image) Payload() ([]byte, error) {
	return json.Marshal(&payload{Version: payloadVersion, Loihi: im.raw, Hash: moduleHash(im.module), Module: im.module})
}

func moduleHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// ModuleText returns the LLVM IR module of an llvm image (what `-o net.ll` writes).
func ModuleText(img targets.Image) (string, error) {
	im, ok := img.(*image)
	if !ok {
		return "", fmt.Errorf("%w: not an llvm image", targets.ErrImage)
	}
	return im.module, nil
}

// Compile implements targets.Target: the loihi target quantizes and maps (spec §4–8),
// then the module is generated from its payload.
func (Target) Compile(n *ir.Netlist, opt targets.Options) (targets.Image, *targets.Report, error) {
	lt, err := loihiTarget()
	if err != nil {
		return nil, nil, err
	}
	limg, lrep, err := lt.Compile(n, loihiOptions(opt))
	if err != nil {
		return nil, nil, err
	}
	raw, err := loihiPayloadOf(limg)
	if err != nil {
		return nil, nil, err
	}
	im, err := newImage(n, raw)
	if err != nil {
		return nil, nil, err
	}
	rep := &targets.Report{Target: "llvm"}
	if lrep != nil {
		rep.Tables = append(rep.Tables, lrep.Tables...)
		rep.Warnings = append(rep.Warnings, lrep.Warnings...)
		for k, v := range lrep.Data {
			rep.Set("loihi."+k, v)
		}
	}
	rows := [][]string{}
	for _, p := range im.net.pops {
		rows = append(rows, []string{p.name, strconv.Itoa(p.n), strconv.Itoa(p.slots), strconv.FormatBool(p.needRef), strconv.FormatBool(p.satAdd)})
	}
	rep.Tables = append(rep.Tables, targets.Table{Title: "native code: populations", Header: []string{"population", "neurons", "delay_slots", "refractory", "saturating_add"}, Rows: rows})
	rows = [][]string{}
	for _, p := range im.net.projs {
		layout := "csr"
		if p.dense {
			layout = "dense"
		}
		rows = append(rows, []string{p.name, layout, strconv.Itoa(len(p.w)), strconv.Itoa(p.exp)})
	}
	rep.Tables = append(rep.Tables, targets.Table{Title: "native code: projections", Header: []string{"projection", "layout", "entries", "weight_exp"}, Rows: rows})
	rep.Set("module_bytes", len(im.module))
	rep.Set("module_sha256", moduleHash(im.module))
	im.rep = rep
	return im, rep, nil
}

// loihiPayloadOf returns the loihi image's payload. The loihi payload embeds its compile
// report, whose figures can be non-finite (a realized τ of +Inf for a zero decay),
// which encoding/json refuses; the native code needs only the quantized registers and
// weights, so the report data is left out of the encoding in that case.
func loihiPayloadOf(limg targets.Image) ([]byte, error) {
	raw, err := limg.Payload()
	var unsupported *json.UnsupportedValueError
	if err != nil && errors.As(err, &unsupported) {
		if r := limg.Report(); r != nil && r.Data != nil {
			saved := r.Data
			r.Data = nil
			raw, err = limg.Payload()
			r.Data = saved
		}
	}
	return raw, err
}

func newImage(n *ir.Netlist, raw []byte) (*image, error) {
	lpl, err := decodeLoihi(raw)
	if err != nil {
		return nil, err
	}
	net, err := buildModel(n, lpl)
	if err != nil {
		return nil, err
	}
	return &image{n: n, raw: raw, lpl: lpl, net: net, module: moduleText(net), rep: &targets.Report{Target: "llvm"}}, nil
}

// DecodeImage implements targets.Target.
func (Target) DecodeImage(n *ir.Netlist, opt targets.Options, data []byte) (targets.Image, error) {
	var pl payload
	if err := json.Unmarshal(data, &pl); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPayload, err)
	}
	if pl.Version != payloadVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrPayload, pl.Version, payloadVersion)
	}
	if moduleHash(pl.Module) != pl.Hash {
		return nil, fmt.Errorf("%w: module text does not match its sha256 %s", ErrPayload, pl.Hash)
	}
	im, err := newImage(n, pl.Loihi)
	if err != nil {
		return nil, err
	}
	im.module = pl.Module // the compiled module is authoritative
	return im, nil
}

// Load implements targets.Target. The binary is built on the first Run.
func (Target) Load(img targets.Image, opt targets.Options) (targets.Machine, error) {
	im, ok := img.(*image)
	if !ok {
		return nil, fmt.Errorf("%w: not an llvm image", targets.ErrImage)
	}
	cp := *im
	cp.lpl = clonePayload(im.lpl)
	return &machine{im: &cp, module: im.module}, nil
}

func clonePayload(p *loihiPayload) *loihiPayload {
	c := *p
	c.Projs = append([]lProj(nil), p.Projs...)
	for j := range c.Projs {
		c.Projs[j].W = append([]int64(nil), p.Projs[j].W...)
	}
	return &c
}

// machine runs the native program. The program always starts from t = 0, so a Run
// that continues an earlier one replays the stimulus history since Reset and drops
// the rows already returned.
type machine struct {
	im      *image
	module  string
	bin     string
	steps   int
	history []event
	v1      bool            // a bare module of io header version 1: protocol "SNN1", no graded events
	twin    targets.Machine // loihi machine for Weights / SetWeights quantization
	lastCPU time.Duration   // CPU time of the last native run (benchmarks)
}

// Run implements targets.Machine.
func (m *machine) Run(ctx context.Context, in *emulator.Stimulus, steps int, probes []string) (*emulator.Trace, error) {
	if steps < 0 {
		return nil, fmt.Errorf("%w: steps %d < 0", ErrInput, steps)
	}
	net := m.im.net
	pids, err := m.probeIDs(probes)
	if err != nil {
		return nil, err
	}
	// Graded outputs are read through v probes (added here when not requested).
	asked := len(pids)
	names := slices.Clone(probes)
	for _, o := range net.outputs {
		if id := int32(o.pop*probeVars + varV); o.graded && !slices.Contains(pids, id) {
			pids = append(pids, id)
			names = append(names, net.pops[o.pop].name+".v")
		}
	}
	var evs []event
	if in != nil {
		names := make([]string, 0, len(in.Streams))
		for name := range in.Streams {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			s := in.Streams[name]
			ii := -1
			for k, p := range net.inputs {
				if p.name == name {
					ii = k
				}
			}
			if ii < 0 {
				return nil, fmt.Errorf("%w: stream %q is not an input of the network", emulator.ErrStimulus, name)
			}
			inp := net.inputs[ii]
			if nel := numElements(s.Shape); nel != inp.size {
				return nil, fmt.Errorf("%w: stream %q has %d elements, the input has %d", emulator.ErrStimulus, name, nel, inp.size)
			}
			if len(s.Indices) != len(s.Times) {
				return nil, fmt.Errorf("%w: stream %q: %d times, %d indices", emulator.ErrStimulus, name, len(s.Times), len(s.Indices))
			}
			// graded events (values): graded spikes of that size, as the loihi target
			// delivers them (docs/loihi.md "Graded inputs")
			if s.Values != nil {
				if m.v1 {
					return nil, fmt.Errorf("%w: stream %q carries graded values; this module (io header version 1) accepts spikes only: regenerate it", ErrInput, name)
				}
				if len(s.Values) != len(s.Times) {
					return nil, fmt.Errorf("%w: stream %q has %d times and %d values", emulator.ErrStimulus, name, len(s.Times), len(s.Values))
				}
				for k, v := range s.Values {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						return nil, fmt.Errorf("%w: stream %q: value %d is %g", emulator.ErrStimulus, name, k, v)
					}
				}
			}
			for k, t := range s.Times {
				idx := s.Indices[k]
				if idx < 0 || idx >= inp.size {
					return nil, fmt.Errorf("%w: stream %q: index %d outside 0..%d", emulator.ErrStimulus, name, idx, inp.size-1)
				}
				if t < 0 || t >= steps {
					continue // the engine never reaches it
				}
				ev := event{t: int32(m.steps + t), id: int32(inp.offset + idx)}
				if s.Values != nil {
					ev.graded, ev.val = true, s.Values[k]
				}
				evs = append(evs, ev)
			}
		}
	}
	all := append(append([]event(nil), m.history...), evs...)
	sort.SliceStable(all, func(a, b int) bool { return all[a].t < all[b].t })
	if m.bin == "" {
		if m.bin, err = build(ctx, m.module); err != nil {
			return nil, err
		}
	}
	total := m.steps + steps
	out, cpu, err := execute(ctx, m.bin, &request{steps: total, probes: pids, events: all, v1: m.v1})
	if err != nil {
		return nil, err
	}
	tr, err := m.decode(out, total, m.steps, pids, names)
	if err != nil {
		return nil, err
	}
	for _, o := range net.outputs {
		if o.graded {
			k := slices.Index(pids, int32(o.pop*probeVars+varV))
			gradedEvents(tr.Streams[o.name], tr.Probes[k].Data, quantize.Readout{Scale: o.scale, Off: o.off})
		}
	}
	tr.Probes = tr.Probes[:asked]
	tr.Dt = net.dt
	m.history = all
	m.steps = total
	m.lastCPU = cpu
	return tr, nil
}

// gradedEvents appends a readout's values (quantize.Readout: v / scale + off, zeros
// omitted) of every step to st, as the loihi target's graded outputs.
func gradedEvents(st *emulator.Stream, rows [][]float64, ro quantize.Readout) {
	for t, row := range rows {
		for j, v := range row {
			if x := ro.Value(v, j); x != 0 {
				st.Times, st.Indices, st.Values = append(st.Times, t), append(st.Indices, j), append(st.Values, x)
			}
		}
	}
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// probeIDs resolves NODE.VAR probe names (VAR: u, v, q, spikes).
func (m *machine) probeIDs(names []string) ([]int32, error) {
	var ids []int32
	for _, name := range names {
		dot := strings.LastIndexByte(name, '.')
		if dot <= 0 {
			return nil, fmt.Errorf("%w: %q: want NODE.VAR", emulator.ErrProbe, name)
		}
		node, v := name[:dot], name[dot+1:]
		pi := -1
		for i, p := range m.im.net.pops {
			if p.name == node {
				pi = i
			}
		}
		if pi < 0 {
			return nil, fmt.Errorf("%w: %q: no population %q", emulator.ErrProbe, name, node)
		}
		var vi int
		switch v {
		case "u":
			vi = varU
		case "v":
			vi = varV
		case "q":
			vi = varQ
		case "spikes":
			vi = varSpikes
		default:
			return nil, fmt.Errorf("%w: %q: variables are u, v, q, spikes", emulator.ErrProbe, name)
		}
		ids = append(ids, int32(pi*probeVars+vi))
	}
	return ids, nil
}

// decode parses the program's output (see the protocol in codegen.go), keeping the
// steps from skip on.
func (m *machine) decode(out []byte, total, skip int, pids []int32, names []string) (*emulator.Trace, error) {
	net := m.im.net
	steps := total - skip
	tr := emulator.NewTrace(net.dt, steps)
	streams := make([]*emulator.Stream, len(net.outputs))
	for o, po := range net.outputs {
		streams[o] = tr.AddStream(po.name, po.shape)
	}
	probes := make([]*emulator.ProbeData, len(pids))
	for k, id := range pids {
		probes[k] = tr.AddProbe(names[k], net.pops[int(id)/probeVars].shape, "i32", steps)
	}
	pos := 0
	bad := func(what string) error {
		return fmt.Errorf("%w: output truncated at byte %d (%s)", ErrRun, pos, what)
	}
	word := func() (int32, bool) {
		if pos+4 > len(out) {
			return 0, false
		}
		v := int32(binary.LittleEndian.Uint32(out[pos:]))
		pos += 4
		return v, true
	}
	var fired []int
	for t := 0; t < total; t++ {
		keep := t >= skip
		for pi := range net.pops {
			if !net.pops[pi].fired {
				continue
			}
			nf, ok := word()
			if !ok || nf < 0 || int(nf) > net.pops[pi].n {
				return nil, bad("spike count")
			}
			fired = fired[:0]
			for k := 0; k < int(nf); k++ {
				v, ok := word()
				if !ok {
					return nil, bad("spikes")
				}
				fired = append(fired, int(v))
			}
			if !keep {
				continue
			}
			for o, po := range net.outputs {
				if po.pop != pi {
					continue
				}
				s := streams[o]
				for _, idx := range fired {
					s.Times = append(s.Times, t-skip)
					s.Indices = append(s.Indices, idx)
				}
			}
		}
		for k, id := range pids {
			size := net.pops[int(id)/probeVars].n
			if int(id)%probeVars == varSpikes {
				if pos+size > len(out) {
					return nil, bad("probe")
				}
				if keep {
					row := probes[k].Data[t-skip]
					for i := 0; i < size; i++ {
						row[i] = float64(out[pos+i])
					}
				}
				pos += size
				continue
			}
			if pos+4*size > len(out) {
				return nil, bad("probe")
			}
			if keep {
				row := probes[k].Data[t-skip]
				for i := 0; i < size; i++ {
					row[i] = float64(int32(binary.LittleEndian.Uint32(out[pos+4*i:])))
				}
			}
			pos += 4 * size
		}
	}
	magic := int32(protoMagic)
	if m.v1 {
		magic = protoMagicV1
	}
	if v, ok := word(); !ok || v != magic || pos != len(out) {
		return nil, bad("trailer")
	}
	return tr, nil
}

// Reset implements targets.Machine.
func (m *machine) Reset() {
	m.steps = 0
	m.history = nil
}

// Projections implements targets.Machine.
func (m *machine) Projections() []string {
	var out []string
	if m.im.n == nil {
		return nil
	}
	for _, p := range m.im.n.Projections {
		out = append(out, p.Name)
	}
	return out
}

// loihiTwin is a loihi machine on the same payload: Weights and SetWeights quantize
// exactly as the loihi target does.
func (m *machine) loihiTwin() (targets.Machine, error) {
	if m.twin != nil {
		return m.twin, nil
	}
	if m.im.raw == nil {
		return nil, fmt.Errorf("%w: a bare module holds no quantization data; run the llvm image to read or write weights", ErrUnsupported)
	}
	lt, err := loihiTarget()
	if err != nil {
		return nil, err
	}
	limg, err := lt.DecodeImage(m.im.n, loihiOptions(targets.Options{}), m.im.raw)
	if err != nil {
		return nil, err
	}
	if m.twin, err = lt.Load(limg, loihiOptions(targets.Options{})); err != nil {
		return nil, err
	}
	return m.twin, nil
}

// Weights implements targets.Machine (the loihi target's units: w8 / scale for
// quantized float models, the 8-bit-domain integers for native ones).
func (m *machine) Weights(proj string) ([]float64, error) {
	tw, err := m.loihiTwin()
	if err != nil {
		return nil, err
	}
	return tw.Weights(proj)
}

// SetWeights implements targets.Machine: the loihi target re-quantizes, and the module
// is regenerated with the new integer weights (rebuilt on the next Run).
func (m *machine) SetWeights(proj string, w []float64) error {
	tw, err := m.loihiTwin()
	if err != nil {
		return err
	}
	if err := tw.SetWeights(proj, w); err != nil {
		return err
	}
	eff, err := tw.Weights(proj)
	if err != nil {
		return err
	}
	j := -1
	for k, p := range m.im.lpl.Projs {
		if p.Name == proj {
			j = k
		}
	}
	if j < 0 {
		return fmt.Errorf("llvm: projection %q: %w", proj, targets.ErrNoProjection)
	}
	q := &m.im.lpl.Projs[j]
	for k, x := range eff {
		if q.Scale != 0 {
			x *= q.Scale
		}
		q.W[k] = int64(math.Round(x))
	}
	net, err := buildModel(m.im.n, m.im.lpl)
	if err != nil {
		return err
	}
	m.im.net = net
	m.module = moduleText(net)
	m.bin = ""
	return nil
}
