package nir

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/nir/internal/h5"
)

// ImportOptions choose how the gaps of a .nir file are filled.
type ImportOptions struct {
	// Dt overrides the time step (seconds) when > 0; otherwise the source framework's.
	Dt float64
	// Reset overrides the reset mode: "to_value", "subtract" or "none" ("" keeps the
	// framework's). The timing always stays the framework's.
	Reset string
	// SourceFramework names the exporter: snntorch, norse, rockpool, sinabs, spyx, nengo
	// ("" reads the file as generic NIR: dt 1e-3 s, exact, reset to v_reset immediately).
	SourceFramework string
	// DropDanglingEdges drops edges that name a missing node (with a log line) instead
	// of failing.
	DropDanglingEdges bool
	// Limits bound allocation; the zero value means DefaultLimits.
	Limits Limits
}

// Import reads a .nir file into a graph with the semantics header and conversion log set.
func Import(path string, opt ImportOptions) (*ir.Graph, error) {
	conv, resetMode, lim, err := checkOptions(opt)
	if err != nil {
		return nil, err
	}

	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > lim.MaxFileBytes {
		return nil, fmt.Errorf("%s: %w: file of %d bytes > %d", path, ErrTooLarge, st.Size(), lim.MaxFileBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return importBytes(b, path, opt, conv, resetMode, lim)
}

// ImportBytes reads a .nir file held in memory; name is used in messages.
func ImportBytes(b []byte, name string, opt ImportOptions) (*ir.Graph, error) {
	conv, resetMode, lim, err := checkOptions(opt)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > lim.MaxFileBytes {
		return nil, fmt.Errorf("%s: %w: file of %d bytes > %d", name, ErrTooLarge, len(b), lim.MaxFileBytes)
	}
	return importBytes(b, name, opt, conv, resetMode, lim)
}

func importBytes(b []byte, path string, opt ImportOptions, conv Convention, resetMode string, lim Limits) (*ir.Graph, error) {
	f, err := h5.Open(b, lim.h5())
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrNotNIR, err)
	}
	r := &reader{f: f, lim: lim}
	ro, err := f.Root()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: root group: %v", path, ErrNotNIR, err)
	}
	root := obj{ro, "/"}
	if !root.Group {
		return nil, fmt.Errorf("%s: %w: root is not a group", path, ErrNotNIR)
	}
	kids, _, err := r.children(root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	nodeGrp, ok := kids["node"]
	if !ok || !nodeGrp.Group {
		return nil, fmt.Errorf("%s: %w: no /node group (the root NIRGraph)", path, ErrNotNIR)
	}
	version := ""
	if v, ok := kids["version"]; ok && !v.Group && isString(v) && v.Elems() == 1 {
		if s, err := r.strs(v); err == nil {
			version = s[0]
		}
	}
	g, err := r.readGraph(nodeGrp, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dt := conv.Dt

	// Semantics: what the file leaves to the exporter.
	sem := ir.DefaultSemantics(dt)
	sem.Discretization = conv.Discretization
	sem.Reset = ir.ResetRule{Mode: resetMode, Timing: conv.Reset.Timing}
	sem.ThresholdCompare = conv.ThresholdCompare
	sem.EdgeLatency = conv.EdgeLatency
	var log []string
	logf := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	fw := conv.Framework
	if fw == "" {
		fw = "generic NIR (no --source-framework)"
	}
	logf("source framework: %s; NIR file version %q", fw, version)
	fromMeta := false
	if conv.Framework == "" && r.meta != nil {
		if m, ok := semanticsFromMeta(r.meta, sem); ok {
			sem, fromMeta = m, true
			if opt.Reset != "" {
				sem.Reset.Mode = resetMode
			}
			logf("semantics from the file's snnc metadata (written by snnc export): dt %g s", sem.Dt)
		}
	}
	switch {
	case opt.Dt > 0:
		sem.Dt = opt.Dt
		logf("dt = %g s from --dt (NIR files do not store a time step)", opt.Dt)
	case fromMeta:
	case conv.DtAssumed:
		logf("warning: dt is not stored in NIR files; assuming dt = %g s (%s); pass --dt to set it", dt, fw)
	default:
		logf("dt = %g s: %s's fixed export time step (not stored in the file)", dt, fw)
	}
	origin := fw + " convention"
	if fromMeta {
		origin = "snnc metadata"
	}
	logf("discretization %s, reset %s with %s timing%s, threshold compare %q, edge latency %s (%s)",
		sem.Discretization, sem.Reset.Mode, sem.Reset.Timing, map[bool]string{true: " (from --reset)", false: ""}[opt.Reset != ""],
		sem.ThresholdCompare, sem.EdgeLatency, origin)
	if !fromMeta {
		for _, n := range conv.Notes {
			logf("note: %s", n)
		}
	}
	g.Semantics = sem
	src := map[string]any{"framework": conv.Framework, "nir_version": version, "file": filepath.Base(path)}
	g.Source, _ = json.Marshal(src)

	n := &normalizer{logf: logf, dt: sem.Dt, dropDangling: opt.DropDanglingEdges}
	n.graph(g, "")
	if err := n.issues.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	n.impliedDt(g, conv)
	g.Log = append(log, g.Log...)
	return g, nil
}

func checkOptions(opt ImportOptions) (Convention, string, Limits, error) {
	conv, err := LookupConvention(opt.SourceFramework)
	if err != nil {
		return conv, "", Limits{}, err
	}
	resetMode := conv.Reset.Mode
	switch opt.Reset {
	case "":
	case "to_value", "subtract", "none":
		resetMode = opt.Reset
	default:
		return conv, "", Limits{}, fmt.Errorf("%w %q (want to_value, subtract or none)", ErrReset, opt.Reset)
	}
	if opt.Dt < 0 || math.IsNaN(opt.Dt) || math.IsInf(opt.Dt, 0) {
		return conv, "", Limits{}, fmt.Errorf("%w: --dt %v must be a positive number of seconds", ir.ErrBadParam, opt.Dt)
	}
	lim := opt.Limits
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	return conv, resetMode, lim, nil
}

// semanticsFromMeta reads the snnc_* metadata Export writes; ok is false when it is
// incomplete or invalid (then the file is read as generic NIR).
func semanticsFromMeta(m map[string]string, base ir.Semantics) (ir.Semantics, bool) {
	dt, err := strconv.ParseFloat(m[metaDt], 64)
	if err != nil || !(dt > 0) || math.IsInf(dt, 0) {
		return base, false
	}
	s := base
	s.Dt = dt
	pick := func(key string, allowed ...string) (string, bool) {
		v := m[key]
		for _, a := range allowed {
			if v == a {
				return v, true
			}
		}
		return "", false
	}
	var ok [5]bool
	s.Discretization, ok[0] = pick(metaDisc, "exact", "euler")
	s.Reset.Mode, ok[1] = pick(metaResetMode, "to_value", "subtract", "none")
	s.Reset.Timing, ok[2] = pick(metaResetTime, "immediate", "next_step")
	s.ThresholdCompare, ok[3] = pick(metaCompare, ">", ">=")
	s.EdgeLatency, ok[4] = pick(metaLatency, "one_step", "zero")
	for _, b := range ok {
		if !b {
			return base, false
		}
	}
	return s, true
}

// readString reads a one-element string dataset.
func (r *reader) readString(o obj, ok bool, path string) (string, error) {
	if !ok || o.Group {
		return "", fmt.Errorf("%s: %w: missing or not a dataset", path, ErrNotNIR)
	}
	if !isString(o) {
		return "", fmt.Errorf("%s: %w: want a string", path, ErrDatatype)
	}
	if o.Elems() != 1 {
		return "", fmt.Errorf("%s: %w: want one string, shape %v", path, ErrNotNIR, o.Dims)
	}
	s, err := r.strs(o)
	if err != nil {
		return "", err
	}
	return s[0], nil
}

// readGraph reads a NIRGraph group: type, nodes/, edges.
func (r *reader) readGraph(grp obj, depth int) (*ir.Graph, error) {
	path := grp.path
	if depth > r.lim.MaxDepth {
		return nil, fmt.Errorf("%s: %w: NIRGraph nested deeper than %d", path, ErrTooLarge, r.lim.MaxDepth)
	}
	kids, _, err := r.children(grp)
	if err != nil {
		return nil, err
	}
	t, ok := kids["type"]
	typ, err := r.readString(t, ok, path+"/type")
	if err != nil {
		return nil, err
	}
	if typ != ir.TGraph {
		return nil, fmt.Errorf("%s/type: %w: %q, want %q", path, ErrNotNIR, typ, ir.TGraph)
	}
	g := &ir.Graph{}
	nodesGrp, ok := kids["nodes"]
	if !ok || !nodesGrp.Group {
		return nil, fmt.Errorf("%s/nodes: %w: missing nodes group", path, ErrNotNIR)
	}
	nk, names, err := r.children(nodesGrp)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		ng := nk[name]
		if !ng.Group {
			return nil, fmt.Errorf("%s: %w: a node must be a group", ng.path, ErrNotNIR)
		}
		r.nodes++
		if r.nodes > r.lim.MaxNodes {
			return nil, fmt.Errorf("%s: %w: more than %d nodes", ng.path, ErrTooLarge, r.lim.MaxNodes)
		}
		if name == "" {
			return nil, fmt.Errorf("%s: %w: empty node name", ng.path, ErrNotNIR)
		}
		node, err := r.readNode(ng, name, depth, g)
		if err != nil {
			return nil, err
		}
		if !g.AddNode(node) {
			return nil, fmt.Errorf("%s: %w: duplicate node name", ng.path, ErrNotNIR)
		}
	}
	if e, ok := kids["edges"]; ok {
		if e.Group || !isString(e) {
			return nil, fmt.Errorf("%s: %w: edges must be a string dataset", e.path, ErrNotNIR)
		}
		if e.Elems() > 0 && (len(e.Dims) != 2 || e.Dims[1] != 2) {
			return nil, fmt.Errorf("%s: %w: shape %v, want (E, 2)", e.path, ErrNotNIR, e.Dims)
		}
		if e.Elems()/2 > r.lim.MaxEdges {
			return nil, fmt.Errorf("%s: %w: %d edges > %d", e.path, ErrTooLarge, e.Elems()/2, r.lim.MaxEdges)
		}
		if e.Elems() > 0 {
			s, err := r.strs(e)
			if err != nil {
				return nil, err
			}
			for i := 0; i+1 < len(s); i += 2 {
				g.Edges = append(g.Edges, ir.Edge{From: s[i], To: s[i+1]})
			}
		}
	} else {
		g.Logf("%s: no edges dataset; graph has no edges", path)
	}
	if mg, ok := kids["metadata"]; ok && mg.Group {
		if depth == 0 {
			if err := r.readMeta(mg); err != nil {
				return nil, err
			}
		}
		if len(r.meta) == 0 || depth > 0 {
			g.Logf("%s: NIR metadata not kept (it never changes meaning)", mg.path)
		}
	}
	return g, nil
}

// readNode reads one node group. Numeric datasets become Params (shape from the dataset's
// dimensions), string datasets Attrs.
func (r *reader) readNode(grp obj, name string, depth int, parent *ir.Graph) (*ir.Node, error) {
	path := grp.path
	kids, names, err := r.children(grp)
	if err != nil {
		return nil, err
	}
	t, ok := kids["type"]
	typ, err := r.readString(t, ok, path+"/type")
	if err != nil {
		return nil, err
	}
	node := &ir.Node{Name: name, Type: typ}
	if typ == ir.TGraph {
		sub, err := r.readGraph(grp, depth+1)
		if err != nil {
			return nil, err
		}
		node.Sub = sub
		return node, nil
	}
	if _, known := ir.KnownTypes[typ]; !known || strings.HasPrefix(typ, "snnc.") {
		return nil, fmt.Errorf("%s: node %q: %w %q (NIR types: %s)", path, name, ir.ErrUnknownType, typ, strings.Join(nirTypes(), ", "))
	}
	for _, key := range names {
		if key == "type" {
			continue
		}
		o := kids[key]
		switch {
		case o.Group:
			// Older NIR (< 1.0) stores Input/Output types as {input_type: {input: shape}}.
			if err := r.readTypeGroup(o, node, key, parent); err != nil {
				return nil, err
			}
		case isNumber(o):
			v, err := r.numbers(o)
			if err != nil {
				return nil, err
			}
			if i := firstNonFinite(v); i >= 0 {
				return nil, fmt.Errorf("%s: node %q parameter %s: %w at flat index %d (%v)", o.path, name, key, ir.ErrNonFinite, i, v[i])
			}
			node.Params = setParam(node.Params, key, &ir.Tensor{Shape: o.Dims, Data: v, DType: dtype(o)})
		case isString(o):
			s, err := r.strs(o)
			if err != nil {
				return nil, err
			}
			if node.Attrs == nil {
				node.Attrs = map[string]string{}
			}
			node.Attrs[key] = strings.Join(s, ",")
		default:
			return nil, fmt.Errorf("%s: node %q: %w", o.path, name, ErrDatatype)
		}
	}
	return node, nil
}

func (r *reader) readTypeGroup(grp obj, node *ir.Node, key string, parent *ir.Graph) error {
	if key != "input_type" && key != "output_type" {
		parent.Logf("%s: node %q: sub-group %q ignored (not a NIR parameter)", grp.path, node.Name, key)
		return nil
	}
	kids, names, err := r.children(grp)
	if err != nil {
		return err
	}
	for _, k := range names {
		o := kids[k]
		if o.Group || !isNumber(o) {
			continue
		}
		v, err := r.numbers(o)
		if err != nil {
			return err
		}
		node.Params = setParam(node.Params, key+"."+k, &ir.Tensor{Shape: o.Dims, Data: v, DType: dtype(o)})
	}
	return nil
}

// readMeta reads the snnc_* semantics keys Export writes; other metadata is ignored.
func (r *reader) readMeta(grp obj) error {
	kids, names, err := r.children(grp)
	if err != nil {
		return err
	}
	for _, k := range names {
		o := kids[k]
		if o.Group || !strings.HasPrefix(k, "snnc_") || o.Elems() != 1 {
			continue
		}
		if r.meta == nil {
			r.meta = map[string]string{}
		}
		switch {
		case o.Class == h5.Float:
			if v, err := r.numbers(o); err == nil {
				r.meta[k] = strconv.FormatFloat(v[0], 'g', -1, 64)
			}
		case isString(o):
			if s, err := r.strs(o); err == nil {
				r.meta[k] = s[0]
			}
		}
	}
	return nil
}

func setParam(m map[string]*ir.Tensor, k string, t *ir.Tensor) map[string]*ir.Tensor {
	if m == nil {
		m = map[string]*ir.Tensor{}
	}
	m[k] = t
	return m
}

// nirTypes lists the NIR 1.0 node types (the ir types without the snnc. prefix).
func nirTypes() []string {
	var out []string
	for k := range ir.KnownTypes {
		if !strings.HasPrefix(k, "snnc.") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
