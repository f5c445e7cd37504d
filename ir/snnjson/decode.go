package snnjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/snnc/snnc/ir"
)

// Format identifiers (shared/spec/model-format.md "Top level").
const (
	Format  = "snn-json"
	Version = "1.0.0"
	// MaxFileSize caps what ReadFile reads.
	MaxFileSize = 1 << 30
	// maxNesting bounds nested NIRGraph depth.
	maxNesting = 64
)

// Extensions lists the extension ids a document may name in "requires".
var Extensions = []string{
	"snnc.AdaptiveLIF", "snnc.AHPLIF", "snnc.MultiCompartment", "snnc.DelayedLinear",
	"snnc.LocallyConnected2d", "snnc.BatchNormTT", "snnc.Dale",
	"snnc.loihi", "snnc.loihi.CUBA", "snnc.loihi.Dense",
}

// extensionOf returns the extension id a node type needs, or "".
func extensionOf(typ string) string {
	switch typ {
	case ir.TLoihiCUBA, ir.TLoihiDense:
		return "snnc.loihi"
	}
	if strings.HasPrefix(typ, "snnc.") {
		return typ
	}
	return ""
}

var topKeys = []string{"format", "format_version", "requires", "source", "time", "discretization", "defaults", "io", "graph"}

type decoder struct {
	dir string
	is  ir.Issues
	// lenient is set when the document's minor version is newer than ours: unknown
	// keys are then logged and ignored instead of being errors.
	lenient bool
	log     []string
}

func (d *decoder) add(where string, err error, format string, args ...any) {
	d.is.Add(where, err, format, args...)
}

// unknownKey reports a key the format does not define.
func (d *decoder) unknownKey(where string, allowed []string) {
	if d.lenient {
		d.log = append(d.log, fmt.Sprintf("%s: ignored key unknown to snn-json %s", where, Version))
		return
	}
	d.add(where, ErrKey, "unknown key; allowed: %s", strings.Join(allowed, ", "))
}

// ReadFile reads and decodes a model file (at most MaxFileSize bytes); external tensor
// files are resolved relative to the file's folder. It returns the raw bytes too.
func ReadFile(path string) (*ir.Graph, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf("%s: %w: larger than %d bytes", path, ErrTooLarge, MaxFileSize)
	}
	g, err := Decode(data, filepath.Dir(path))
	if err != nil {
		return nil, data, fmt.Errorf("%s:\n%w", path, err)
	}
	return g, data, nil
}

// Decode parses an snn-json document, normalizes and verifies the graph. dir is the
// folder external tensor files are relative to ("" forbids external files). The error,
// when not nil, is an ir.Issues holding every problem found, each with its JSON path.
func Decode(data []byte, dir string) (*ir.Graph, error) {
	d := &decoder{dir: dir}
	if !json.Valid(data) {
		var probe any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		err := dec.Decode(&probe)
		if err == nil {
			err = errors.New("trailing data after the top-level value")
		}
		d.add(syntaxWhere(data, err), ErrSyntax, "%v", err)
		return nil, d.is
	}
	if kindOf(data) != "object" {
		d.add("(document)", ErrFormat, "found %s; an snn-json document is one JSON object", kindOf(data))
		return nil, d.is
	}
	g := d.document(data)
	if len(d.is) > 0 {
		return nil, d.is
	}
	g.Log = append(g.Log, d.log...)
	if err := Normalize(g); err != nil {
		return nil, jsonPaths(err)
	}
	if err := g.Verify(); err != nil {
		return nil, jsonPaths(err)
	}
	return g, nil
}

// jsonPaths rewrites the Where of graph issues (node names, edges[i]) as JSON paths.
func jsonPaths(err error) error {
	var is ir.Issues
	if !errors.As(err, &is) {
		return err
	}
	out := make(ir.Issues, len(is))
	for i, x := range is {
		switch {
		case strings.HasPrefix(x.Where, "time.") || strings.HasPrefix(x.Where, "defaults.") || x.Where == "discretization" || strings.HasPrefix(x.Where, "graph."):
		case strings.HasPrefix(x.Where, "edges["):
			x.Where = "graph." + x.Where
		default:
			x.Where = "graph.nodes." + x.Where
		}
		out[i] = x
	}
	return out
}

func (d *decoder) document(data []byte) *ir.Graph {
	ms, ok := d.object("", data, "duplicate key")
	if !ok {
		return nil
	}
	top := map[string]json.RawMessage{}
	for _, m := range ms {
		top[m.key] = m.val
	}
	// The version decides how strict the rest is, so read it first.
	if raw, ok := top["format"]; !ok {
		d.add("format", ErrMissing, "want \"format\": %q", Format)
	} else if s, err := asString(raw); err != nil {
		d.add("format", err, "")
	} else if s != Format {
		d.add("format", ErrFormat, "%q; want %q", s, Format)
	}
	if raw, ok := top["format_version"]; !ok {
		d.add("format_version", ErrMissing, "want \"format_version\": %q", Version)
	} else if s, err := asString(raw); err != nil {
		d.add("format_version", err, "")
	} else {
		d.version(s)
	}
	for _, m := range ms {
		if !contains(topKeys, m.key) {
			d.unknownKey(child("", m.key), topKeys)
		}
	}
	g := &ir.Graph{Semantics: ir.DefaultSemantics(0)}
	if raw, ok := top["requires"]; ok {
		d.requires(g, raw)
	}
	for _, k := range []struct {
		key string
		dst *json.RawMessage
	}{{"source", &g.Source}, {"io", &g.IO}} {
		if raw, ok := top[k.key]; ok {
			if kindOf(raw) != "object" {
				d.add(k.key, ErrType, "found %s; want an object", kindOf(raw))
			} else {
				*k.dst = compact(raw)
			}
		}
	}
	if raw, ok := top["time"]; ok {
		d.time(g, raw)
	} else {
		d.add("time", ErrMissing, "want \"time\": {\"dt\": <step>, \"unit\": \"s\"}")
	}
	if raw, ok := top["discretization"]; ok {
		g.Semantics.Discretization = d.enum("discretization", raw, []string{"exact", "euler"})
	}
	if raw, ok := top["defaults"]; ok {
		d.defaults(g, raw)
	}
	if raw, ok := top["graph"]; ok {
		d.graph("graph", raw, g, 0)
	} else {
		d.add("graph", ErrMissing, "want \"graph\": {\"type\": \"NIRGraph\", \"nodes\": {...}, \"edges\": [...]}")
	}
	return g
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (d *decoder) version(s string) {
	parts := strings.Split(s, ".")
	nums := make([]int, len(parts))
	ok := len(parts) == 3
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || (len(p) > 1 && p[0] == '0') {
			ok = false
			break
		}
		nums[i] = n
	}
	if !ok {
		d.add("format_version", ErrVersion, "%q is not MAJOR.MINOR.PATCH; this reader reads %s", s, Version)
		return
	}
	switch {
	case nums[0] > 1:
		d.add("format_version", ErrVersion, "%s is a newer major version than this reader supports (1.x); upgrade snnc", s)
	case nums[0] < 1:
		d.add("format_version", ErrVersion, "%s predates snn-json 1.0; this reader reads 1.x", s)
	case nums[1] > 0:
		d.lenient = true
		d.log = append(d.log, fmt.Sprintf("format_version %s is newer than this reader's %s: keys it does not know are ignored", s, Version))
	}
}

func (d *decoder) requires(g *ir.Graph, raw json.RawMessage) {
	list, err := asArray(raw)
	if err != nil {
		d.add("requires", err, "")
		return
	}
	for i, r := range list {
		s, err := asString(r)
		if err != nil {
			d.add(index("requires", i), err, "")
			continue
		}
		if !contains(Extensions, s) {
			d.add(index("requires", i), ErrRequires, "%q is not an extension this reader knows; known: %s", s, strings.Join(Extensions, ", "))
			continue
		}
		if contains(g.Requires, s) {
			d.add(index("requires", i), ErrKey, "%q listed twice", s)
			continue
		}
		g.Requires = append(g.Requires, s)
	}
}

// timeUnits converts the accepted dt units to seconds.
var timeUnits = map[string]float64{"s": 1, "ms": 1e-3, "us": 1e-6}

func (d *decoder) time(g *ir.Graph, raw json.RawMessage) {
	ms, ok := d.object("time", raw, "duplicate key")
	if !ok {
		return
	}
	dt, unit, haveDt := 0.0, "s", false
	for _, m := range ms {
		switch m.key {
		case "dt":
			v, err := asNumber(m.val)
			if err != nil {
				d.add("time.dt", err, "")
				continue
			}
			dt, haveDt = v, true
		case "unit":
			s, err := asString(m.val)
			if err != nil {
				d.add("time.unit", err, "")
				continue
			}
			if _, ok := timeUnits[s]; !ok {
				d.add("time.unit", ErrValue, "%q; allowed: s, ms, us", s)
				continue
			}
			unit = s
		default:
			d.unknownKey(child("time", m.key), []string{"dt", "unit"})
		}
	}
	if !haveDt {
		d.add("time.dt", ErrMissing, "want the time step, e.g. \"dt\": 0.001")
		return
	}
	sec := dt * timeUnits[unit]
	if !(sec > 0) || math.IsInf(sec, 0) {
		d.add("time.dt", ErrValue, "%v %s; want a finite step > 0", dt, unit)
		return
	}
	g.Semantics.Dt = sec
	if unit != "s" {
		d.log = append(d.log, fmt.Sprintf("time.dt: %v %s converted to %v s", dt, unit, sec))
	}
}

func (d *decoder) enum(path string, raw json.RawMessage, allowed []string) string {
	s, err := asString(raw)
	if err != nil {
		d.add(path, err, "")
		return allowed[0]
	}
	if !contains(allowed, s) {
		d.add(path, ErrValue, "%q; allowed: %s", s, strings.Join(allowed, ", "))
		return allowed[0]
	}
	return s
}

var defaultKeys = []string{"reset", "threshold_compare", "edge_latency", "recurrence", "fan_in"}

func (d *decoder) defaults(g *ir.Graph, raw json.RawMessage) {
	ms, ok := d.object("defaults", raw, "duplicate key")
	if !ok {
		return
	}
	s := &g.Semantics
	for _, m := range ms {
		p := child("defaults", m.key)
		switch m.key {
		case "reset":
			d.reset(p, m.val, &s.Reset)
		case "threshold_compare":
			s.ThresholdCompare = d.enum(p, m.val, ir.Compares)
		case "edge_latency":
			s.EdgeLatency = d.enum(p, m.val, []string{"one_step", "zero"})
		case "recurrence":
			s.Recurrence = d.enum(p, m.val, []string{"prev_step"})
		case "fan_in":
			s.FanIn = d.enum(p, m.val, []string{"sum"})
		default:
			d.unknownKey(p, defaultKeys)
		}
	}
}

// reset reads a (possibly partial) reset rule over the values already in r.
func (d *decoder) reset(path string, raw json.RawMessage, r *ir.ResetRule) {
	ms, ok := d.object(path, raw, "duplicate key")
	if !ok {
		return
	}
	for _, m := range ms {
		p := child(path, m.key)
		switch m.key {
		case "mode":
			r.Mode = d.enum(p, m.val, ir.ResetModes)
		case "timing":
			r.Timing = d.enum(p, m.val, ir.ResetTimings)
		case "refractory_steps":
			n, err := asInt(m.val)
			if err != nil {
				d.add(p, err, "")
			} else if n < 0 || n > 1<<20 {
				d.add(p, ErrValue, "%d; want 0..%d", n, 1<<20)
			} else {
				r.RefractorySteps = n
			}
		default:
			d.unknownKey(p, []string{"mode", "timing", "refractory_steps"})
		}
	}
}

// graph reads a NIRGraph object into g (nodes, edges, metadata).
func (d *decoder) graph(path string, raw json.RawMessage, g *ir.Graph, depth int) {
	if depth > maxNesting {
		d.add(path, ErrValue, "NIRGraph nested deeper than %d", maxNesting)
		return
	}
	ms, ok := d.object(path, raw, "duplicate key")
	if !ok {
		return
	}
	haveNodes := false
	for _, m := range ms {
		p := child(path, m.key)
		switch m.key {
		case "type":
			if s, err := asString(m.val); err != nil {
				d.add(p, err, "")
			} else if s != ir.TGraph {
				d.add(p, ErrValue, "%q; a graph has type %q", s, ir.TGraph)
			}
		case "nodes":
			haveNodes = true
			d.nodes(p, m.val, g, depth)
		case "edges":
			d.edges(p, m.val, g)
		case "metadata":
			if kindOf(m.val) != "object" {
				d.add(p, ErrType, "found %s; want an object", kindOf(m.val))
			} else {
				g.Metadata = compact(m.val)
			}
		case "snnc":
			if depth == 0 {
				d.unknownKey(p, []string{"type", "nodes", "edges", "metadata"})
			} // a nested graph node's overrides are read by node
		default:
			d.unknownKey(p, []string{"type", "nodes", "edges", "metadata"})
		}
	}
	if !haveNodes {
		d.add(child(path, "nodes"), ErrMissing, "a graph needs \"nodes\": {name: node, ...}")
	}
}

func (d *decoder) edges(path string, raw json.RawMessage, g *ir.Graph) {
	list, err := asArray(raw)
	if err != nil {
		d.add(path, err, "")
		return
	}
	for i, r := range list {
		p := index(path, i)
		pair, err := asArray(r)
		if err != nil || len(pair) != 2 {
			d.add(p, ErrType, "want [source, target] node names")
			continue
		}
		src, err1 := asString(pair[0])
		dst, err2 := asString(pair[1])
		if err1 != nil || err2 != nil {
			d.add(p, ErrType, "want [source, target] node names (strings)")
			continue
		}
		g.Edges = append(g.Edges, ir.Edge{From: src, To: dst})
	}
}

func (d *decoder) nodes(path string, raw json.RawMessage, g *ir.Graph, depth int) {
	ms, ok := d.object(path, raw, "duplicate node name")
	if !ok {
		return
	}
	for _, m := range ms {
		if m.key == "" {
			d.add(child(path, m.key), ErrValue, "empty node name")
			continue
		}
		n := d.node(child(path, m.key), m.key, m.val, g, depth)
		if n != nil {
			g.AddNode(n)
		}
	}
}

func (d *decoder) node(path, name string, raw json.RawMessage, parent *ir.Graph, depth int) *ir.Node {
	ms, ok := d.object(path, raw, "duplicate key")
	if !ok {
		return nil
	}
	n := &ir.Node{Name: name}
	for _, m := range ms {
		if m.key == "type" {
			s, err := asString(m.val)
			if err != nil {
				d.add(child(path, "type"), err, "")
				return nil
			}
			n.Type = s
		}
	}
	if n.Type == "" {
		d.add(child(path, "type"), ErrMissing, "every node needs a \"type\"")
		return nil
	}
	if _, ok := ir.KnownTypes[n.Type]; !ok {
		d.add(child(path, "type"), ir.ErrUnknownType, "%q; known types: %s", n.Type, strings.Join(knownTypes(), ", "))
		return nil
	}
	if n.Type == ir.TGraph {
		n.Sub = &ir.Graph{Semantics: parent.Semantics}
		d.graph(path, raw, n.Sub, depth+1)
		for _, m := range ms {
			if m.key == "snnc" {
				n.Snnc = d.overrides(child(path, "snnc"), m.val, parent.Semantics)
			}
		}
		return n
	}
	for _, m := range ms {
		p := child(path, m.key)
		switch m.key {
		case "type":
		case "snnc":
			n.Snnc = d.overrides(p, m.val, parent.Semantics)
		case "metadata":
			if kindOf(m.val) != "object" {
				d.add(p, ErrType, "found %s; want an object", kindOf(m.val))
			} else {
				n.Metadata = compact(m.val)
			}
		case "compartments", "join", "parent", "soma":
			if n.Type != ir.TMultiCompartment {
				d.add(p, ErrKey, "only %s nodes have %q", ir.TMultiCompartment, m.key)
			}
		default:
			d.param(p, m.key, m.val, n)
		}
	}
	if n.Type == ir.TMultiCompartment {
		d.compartments(path, ms, n)
	}
	return n
}

func knownTypes() []string {
	out := make([]string, 0, len(ir.KnownTypes))
	for t := range ir.KnownTypes {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// param reads one node parameter: strings go to Attrs, everything else is a tensor.
func (d *decoder) param(path, key string, raw json.RawMessage, n *ir.Node) {
	if kindOf(raw) == "string" {
		s, err := asString(raw)
		if err != nil {
			d.add(path, err, "")
			return
		}
		if n.Attrs == nil {
			n.Attrs = map[string]string{}
		}
		n.Attrs[key] = s
		return
	}
	t := d.decodeTensor(path, raw)
	if t == nil {
		return
	}
	if n.Params == nil {
		n.Params = map[string]*ir.Tensor{}
	}
	n.Params[key] = t
}

var overrideKeys = []string{"reset", "threshold_compare", "dale", "hints"}

func (d *decoder) overrides(path string, raw json.RawMessage, sem ir.Semantics) *ir.NodeOverrides {
	ms, ok := d.object(path, raw, "duplicate key")
	if !ok {
		return nil
	}
	o := &ir.NodeOverrides{}
	for _, m := range ms {
		p := child(path, m.key)
		switch m.key {
		case "reset":
			r := sem.Reset // fields the override leaves out keep the graph's default
			d.reset(p, m.val, &r)
			o.Reset = &r
		case "threshold_compare":
			o.ThresholdCompare = d.enum(p, m.val, ir.Compares)
		case "dale":
			t := d.decodeTensor(p, m.val)
			if t == nil {
				continue
			}
			if len(t.Shape) > 1 {
				d.add(p, ErrTensor, "shape %v; want one sign per presynaptic neuron", t.Shape)
				continue
			}
			o.Dale = append([]float64{}, t.Data...)
		case "hints":
			hs, ok := d.object(p, m.val, "duplicate key")
			if !ok {
				continue
			}
			o.Hints = map[string]string{}
			for _, h := range hs {
				s, err := asString(h.val)
				if err != nil {
					d.add(child(p, h.key), err, "")
					continue
				}
				o.Hints[h.key] = s
			}
		default:
			d.unknownKey(p, overrideKeys)
		}
	}
	return o
}

// compartments reads the snnc.MultiCompartment keys: compartments (list of LI/LIF-like
// nodes with their params), join (one op per compartment), parent (indices, -1 for the
// soma) and soma (index).
func (d *decoder) compartments(path string, ms []member, n *ir.Node) {
	f := map[string]json.RawMessage{}
	for _, m := range ms {
		f[m.key] = m.val
	}
	raw, ok := f["compartments"]
	if !ok {
		d.add(child(path, "compartments"), ErrMissing, "a %s node needs \"compartments\"", ir.TMultiCompartment)
		return
	}
	list, err := asArray(raw)
	if err != nil {
		d.add(child(path, "compartments"), err, "")
		return
	}
	for i, c := range list {
		cp := index(child(path, "compartments"), i)
		cms, ok := d.object(cp, c, "duplicate key")
		if !ok {
			continue
		}
		comp := ir.Compartment{Params: map[string]*ir.Tensor{}, Join: "add", Parent: -1}
		for _, m := range cms {
			switch m.key {
			case "type":
				comp.Type = d.enum(child(cp, "type"), m.val, ir.CompartmentTypes)
				continue
			case "join": // per-compartment form; a top-level "join" list overrides it
				comp.Join = d.enum(child(cp, "join"), m.val, ir.JoinOps)
				continue
			case "parent":
				if v, err := asInt(m.val); err != nil {
					d.add(child(cp, "parent"), err, "")
				} else {
					comp.Parent = v
				}
				continue
			}
			if t := d.decodeTensor(child(cp, m.key), m.val); t != nil {
				comp.Params[m.key] = t
			}
		}
		if comp.Type == "" {
			d.add(child(cp, "type"), ErrMissing, "allowed: %s", strings.Join(ir.CompartmentTypes, ", "))
		}
		n.Compartments = append(n.Compartments, comp)
	}
	k := len(n.Compartments)
	if raw, ok := f["soma"]; ok {
		s, err := asInt(raw)
		if err != nil {
			d.add(child(path, "soma"), err, "")
		} else {
			n.Soma = s
		}
	}
	if raw, ok := f["join"]; ok {
		ops, err := asArray(raw)
		if err != nil || len(ops) != k {
			d.add(child(path, "join"), ErrType, "want a list of %d join ops (%s)", k, strings.Join(ir.JoinOps, ", "))
		} else {
			for i, o := range ops {
				n.Compartments[i].Join = d.enum(index(child(path, "join"), i), o, ir.JoinOps)
			}
		}
	}
	if raw, ok := f["parent"]; ok {
		ps, err := asArray(raw)
		if err != nil || len(ps) != k {
			d.add(child(path, "parent"), ErrType, "want a list of %d parent indices (-1 for the soma)", k)
		} else {
			for i, p := range ps {
				v, err := asInt(p)
				if err != nil {
					d.add(index(child(path, "parent"), i), err, "")
					continue
				}
				n.Compartments[i].Parent = v
			}
		}
	}
}

// object reads the members of the JSON object at path; a value that is not an object is
// reported (ok false) and so is every duplicate key, dup saying what is duplicated.
func (d *decoder) object(path string, raw json.RawMessage, dup string) (ms []member, ok bool) {
	ms, dups, err := members(raw)
	if err != nil {
		where := path
		if where == "" {
			where = "(document)"
		}
		d.add(where, err, "")
		return nil, false
	}
	for _, k := range dups {
		d.add(child(path, k), ErrKey, "%s", dup)
	}
	return ms, true
}
