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

	"github.com/scigolib/hdf5"
	"github.com/snnc/snnc/ir"
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
	conv, err := LookupConvention(opt.SourceFramework)
	if err != nil {
		return nil, err
	}
	resetMode := conv.Reset.Mode
	switch opt.Reset {
	case "":
	case "to_value", "subtract", "none":
		resetMode = opt.Reset
	default:
		return nil, fmt.Errorf("%w %q (want to_value, subtract or none)", ErrReset, opt.Reset)
	}
	if opt.Dt < 0 || math.IsNaN(opt.Dt) || math.IsInf(opt.Dt, 0) {
		return nil, fmt.Errorf("%w: --dt %v must be a positive number of seconds", ir.ErrBadParam, opt.Dt)
	}
	lim := opt.Limits
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > lim.MaxFileBytes {
		return nil, fmt.Errorf("%s: %w: file of %d bytes > %d", path, ErrTooLarge, st.Size(), lim.MaxFileBytes)
	}
	f, err := hdf5.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrNotNIR, err)
	}
	defer f.Close()
	r := &reader{lim: lim}
	root := f.Root()
	if root == nil {
		return nil, fmt.Errorf("%s: %w: no root group", path, ErrNotNIR)
	}
	kids := children(root)
	nodeGrp, ok := kids["node"].(*hdf5.Group)
	if !ok {
		return nil, fmt.Errorf("%s: %w: no /node group (the root NIRGraph)", path, ErrNotNIR)
	}
	version := ""
	if ds, ok := kids["version"].(*hdf5.Dataset); ok {
		if d, err := r.info(ds, "/version"); err == nil && (d.kind == kindVLen || d.kind == kindString) && d.elems() == 1 {
			if s, err := r.readStrings(ds, d, "/version"); err == nil {
				version = s[0]
			}
		}
	}
	g, err := r.readGraph(nodeGrp, "/node", 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	// Semantics: what the file leaves to the exporter.
	dt := conv.Dt
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

// children indexes a group's children by name.
func children(g *hdf5.Group) map[string]hdf5.Object {
	m := make(map[string]hdf5.Object)
	for _, c := range g.Children() {
		if c == nil {
			continue
		}
		m[c.Name()] = c
	}
	return m
}

func sortedNames(m map[string]hdf5.Object) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readString reads a one-element string dataset.
func (r *reader) readString(obj hdf5.Object, path string) (string, error) {
	ds, ok := obj.(*hdf5.Dataset)
	if !ok {
		return "", fmt.Errorf("%s: %w: missing or not a dataset", path, ErrNotNIR)
	}
	d, err := r.info(ds, path)
	if err != nil {
		return "", err
	}
	if d.kind != kindVLen && d.kind != kindString {
		return "", fmt.Errorf("%s: %w: want a string", path, ErrDatatype)
	}
	if d.elems() != 1 {
		return "", fmt.Errorf("%s: %w: want one string, shape %v", path, ErrNotNIR, d.dims)
	}
	s, err := r.readStrings(ds, d, path)
	if err != nil {
		return "", err
	}
	return s[0], nil
}

// readGraph reads a NIRGraph group: type, nodes/, edges.
func (r *reader) readGraph(grp *hdf5.Group, path string, depth int) (*ir.Graph, error) {
	if depth > r.lim.MaxDepth {
		return nil, fmt.Errorf("%s: %w: NIRGraph nested deeper than %d", path, ErrTooLarge, r.lim.MaxDepth)
	}
	kids := children(grp)
	typ, err := r.readString(kids["type"], path+"/type")
	if err != nil {
		return nil, err
	}
	if typ != ir.TGraph {
		return nil, fmt.Errorf("%s/type: %w: %q, want %q", path, ErrNotNIR, typ, ir.TGraph)
	}
	g := &ir.Graph{}
	nodesGrp, ok := kids["nodes"].(*hdf5.Group)
	if !ok {
		return nil, fmt.Errorf("%s/nodes: %w: missing nodes group", path, ErrNotNIR)
	}
	nk := children(nodesGrp)
	for _, name := range sortedNames(nk) {
		np := path + "/nodes/" + name
		ng, ok := nk[name].(*hdf5.Group)
		if !ok {
			return nil, fmt.Errorf("%s: %w: a node must be a group", np, ErrNotNIR)
		}
		r.nodes++
		if r.nodes > r.lim.MaxNodes {
			return nil, fmt.Errorf("%s: %w: more than %d nodes", np, ErrTooLarge, r.lim.MaxNodes)
		}
		if name == "" {
			return nil, fmt.Errorf("%s: %w: empty node name", np, ErrNotNIR)
		}
		node, err := r.readNode(ng, name, np, depth, g)
		if err != nil {
			return nil, err
		}
		if !g.AddNode(node) {
			return nil, fmt.Errorf("%s: %w: duplicate node name", np, ErrNotNIR)
		}
	}
	if obj, ok := kids["edges"]; ok {
		ep := path + "/edges"
		ds, ok := obj.(*hdf5.Dataset)
		if !ok {
			return nil, fmt.Errorf("%s: %w: edges must be a dataset", ep, ErrNotNIR)
		}
		d, err := r.info(ds, ep)
		if err != nil {
			return nil, err
		}
		if d.elems() > 0 && (len(d.dims) != 2 || d.dims[1] != 2) {
			return nil, fmt.Errorf("%s: %w: shape %v, want (E, 2)", ep, ErrNotNIR, d.dims)
		}
		if d.elems()/2 > r.lim.MaxEdges {
			return nil, fmt.Errorf("%s: %w: %d edges > %d", ep, ErrTooLarge, d.elems()/2, r.lim.MaxEdges)
		}
		if d.elems() > 0 {
			s, err := r.readStrings(ds, d, ep)
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
	if mg, ok := kids["metadata"].(*hdf5.Group); ok {
		if depth == 0 {
			r.readMeta(mg, path+"/metadata")
		}
		if len(r.meta) == 0 || depth > 0 {
			g.Logf("%s/metadata: NIR metadata not kept (it never changes meaning)", path)
		}
	}
	return g, nil
}

// readNode reads one node group. Numeric datasets become Params (shape from the dataset's
// dimensions), string datasets Attrs.
func (r *reader) readNode(grp *hdf5.Group, name, path string, depth int, parent *ir.Graph) (*ir.Node, error) {
	kids := children(grp)
	typ, err := r.readString(kids["type"], path+"/type")
	if err != nil {
		return nil, err
	}
	node := &ir.Node{Name: name, Type: typ}
	if typ == ir.TGraph {
		sub, err := r.readGraph(grp, path, depth+1)
		if err != nil {
			return nil, err
		}
		node.Sub = sub
		return node, nil
	}
	if _, known := ir.KnownTypes[typ]; !known || strings.HasPrefix(typ, "snnc.") {
		return nil, fmt.Errorf("%s: node %q: %w %q (NIR types: %s)", path, name, ir.ErrUnknownType, typ, strings.Join(nirTypes(), ", "))
	}
	for _, key := range sortedNames(kids) {
		if key == "type" {
			continue
		}
		kp := path + "/" + key
		switch obj := kids[key].(type) {
		case *hdf5.Dataset:
			d, err := r.info(obj, kp)
			if err != nil {
				return nil, err
			}
			switch d.kind {
			case kindFloat, kindInt:
				v, err := r.readNumeric(obj, d, kp)
				if err != nil {
					return nil, err
				}
				if i := firstNonFinite(v); i >= 0 {
					return nil, fmt.Errorf("%s: node %q parameter %s: %w at flat index %d (%v)", kp, name, key, ir.ErrNonFinite, i, v[i])
				}
				node.Params = setParam(node.Params, key, &ir.Tensor{Shape: d.dims, Data: v, DType: d.dtype()})
			case kindVLen, kindString:
				s, err := r.readStrings(obj, d, kp)
				if err != nil {
					return nil, err
				}
				if node.Attrs == nil {
					node.Attrs = map[string]string{}
				}
				node.Attrs[key] = strings.Join(s, ",")
			default:
				return nil, fmt.Errorf("%s: node %q: %w", kp, name, ErrDatatype)
			}
		case *hdf5.Group:
			// Older NIR (< 1.0) stores Input/Output types as {input_type: {input: shape}}.
			if err := r.readTypeGroup(obj, node, key, kp, parent); err != nil {
				return nil, err
			}
		default:
			parent.Logf("%s: ignored HDF5 object of unknown kind", kp)
		}
	}
	return node, nil
}

func (r *reader) readTypeGroup(grp *hdf5.Group, node *ir.Node, key, path string, parent *ir.Graph) error {
	if key != "input_type" && key != "output_type" {
		parent.Logf("%s: node %q: sub-group %q ignored (not a NIR parameter)", path, node.Name, key)
		return nil
	}
	kids := children(grp)
	for _, k := range sortedNames(kids) {
		ds, ok := kids[k].(*hdf5.Dataset)
		if !ok {
			continue
		}
		d, err := r.info(ds, path+"/"+k)
		if err != nil {
			return err
		}
		if d.kind != kindInt && d.kind != kindFloat {
			continue
		}
		v, err := r.readNumeric(ds, d, path+"/"+k)
		if err != nil {
			return err
		}
		node.Params = setParam(node.Params, key+"."+k, &ir.Tensor{Shape: d.dims, Data: v, DType: d.dtype()})
	}
	return nil
}

// readMeta reads the snnc_* semantics keys Export writes; other metadata is ignored.
func (r *reader) readMeta(grp *hdf5.Group, path string) {
	kids := children(grp)
	for _, k := range sortedNames(kids) {
		ds, ok := kids[k].(*hdf5.Dataset)
		if !ok || !strings.HasPrefix(k, "snnc_") {
			continue
		}
		d, err := r.info(ds, path+"/"+k)
		if err != nil || d.elems() != 1 {
			continue
		}
		if r.meta == nil {
			r.meta = map[string]string{}
		}
		switch d.kind {
		case kindFloat:
			if v, err := r.readNumeric(ds, d, path+"/"+k); err == nil {
				r.meta[k] = strconv.FormatFloat(v[0], 'g', -1, 64)
			}
		case kindVLen, kindString:
			if s, err := r.readStrings(ds, d, path+"/"+k); err == nil {
				r.meta[k] = s[0]
			}
		}
	}
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
