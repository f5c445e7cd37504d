package snnjson

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/snnc/snnc/ir"
)

// Encode writes g in canonical snn-json: keys in a fixed order (top level as in the
// spec's table, node parameters sorted), nodes sorted by name, edges in graph order, two
// spaces of indentation with one node parameter per line, numbers in their shortest
// round-trip form. Tensors: a single value with an empty shape is a bare number; up to
// InlineMax elements of dtype f64/i64 (or unrecorded) are nested lists (float values
// always carry a '.' or an exponent, integer-dtype values never do); up to InlineMax
// elements of f32/i8/i16/i32 are {"dtype", "shape", "data": [...]}; larger tensors are
// {"dtype", "shape", "data_b64"} in their recorded dtype. A value the recorded dtype
// cannot hold exactly (or a non-finite value) makes the tensor f64. Empty semantics
// fields are written as the format's defaults.
func Encode(g *ir.Graph) ([]byte, error) {
	e := &encoder{}
	e.top(g)
	if e.err != nil {
		return nil, e.err
	}
	return e.b.Bytes(), nil
}

type encoder struct {
	b   bytes.Buffer
	err error
}

func (e *encoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("%w: "+format, append([]any{ErrEncode}, args...)...)
	}
}

func (e *encoder) str(s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a Go string always encodes
	e.b.Write(bytes.TrimRight(buf.Bytes(), "\n"))
}

func (e *encoder) indent(n int) {
	e.b.WriteByte('\n')
	for i := 0; i < n; i++ {
		e.b.WriteString("  ")
	}
}

func (e *encoder) key(k string) {
	e.str(k)
	e.b.WriteString(": ")
}

func (e *encoder) raw(r json.RawMessage) {
	var c bytes.Buffer
	if err := json.Compact(&c, r); err != nil {
		e.fail("metadata is not valid JSON: %v", err)
		return
	}
	e.b.Write(c.Bytes())
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (e *encoder) top(g *ir.Graph) {
	s := g.Semantics
	if !(s.Dt > 0) || math.IsInf(s.Dt, 0) {
		e.fail("time.dt = %v; want a finite value > 0", s.Dt)
		return
	}
	e.b.WriteString("{")
	first := true
	field := func(k string) {
		if !first {
			e.b.WriteByte(',')
		}
		first = false
		e.indent(1)
		e.key(k)
	}
	field("format")
	e.str(Format)
	field("format_version")
	e.str(Version)
	if len(g.Requires) > 0 {
		field("requires")
		e.b.WriteByte('[')
		for i, r := range g.Requires {
			if i > 0 {
				e.b.WriteString(", ")
			}
			e.str(r)
		}
		e.b.WriteByte(']')
	}
	if len(g.Source) > 0 {
		field("source")
		e.raw(g.Source)
	}
	field("time")
	e.b.WriteString(`{"dt": ` + fmtFloat(s.Dt) + `, "unit": "s"}`)
	field("discretization")
	e.str(or(s.Discretization, "exact"))
	field("defaults")
	e.b.WriteString(`{"reset": `)
	e.reset(ir.ResetRule{Mode: or(s.Reset.Mode, "to_value"), Timing: or(s.Reset.Timing, "immediate"), RefractorySteps: s.Reset.RefractorySteps})
	e.b.WriteString(`, "threshold_compare": `)
	e.str(or(s.ThresholdCompare, ">"))
	e.b.WriteString(`, "edge_latency": `)
	e.str(or(s.EdgeLatency, "one_step"))
	e.b.WriteString(`, "recurrence": `)
	e.str(or(s.Recurrence, "prev_step"))
	e.b.WriteString(`, "fan_in": `)
	e.str(or(s.FanIn, "sum"))
	e.b.WriteString("}")
	if len(g.IO) > 0 {
		field("io")
		e.raw(g.IO)
	}
	field("graph")
	e.graph(g, 1, "graph")
	e.b.WriteString("\n}\n")
}

func (e *encoder) reset(r ir.ResetRule) {
	e.b.WriteString(`{"mode": `)
	e.str(r.Mode)
	e.b.WriteString(`, "timing": `)
	e.str(r.Timing)
	e.b.WriteString(`, "refractory_steps": ` + strconv.Itoa(r.RefractorySteps) + "}")
}

// graph writes {"type": "NIRGraph", "nodes": ..., "edges": ..., "metadata": ...} whose
// opening brace is at indentation level lvl.
func (e *encoder) graph(g *ir.Graph, lvl int, path string) {
	e.b.WriteString("{")
	e.indent(lvl + 1)
	e.b.WriteString(`"type": "NIRGraph",`)
	e.indent(lvl + 1)
	e.b.WriteString(`"nodes": {`)
	nodes := append([]*ir.Node(nil), g.Nodes...)
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	for i, n := range nodes {
		if i > 0 {
			if n.Name == nodes[i-1].Name {
				e.fail("%s: two nodes named %q", path, n.Name)
			}
			e.b.WriteByte(',')
		}
		e.indent(lvl + 2)
		e.key(n.Name)
		e.node(n, lvl+2, path+".nodes."+n.Name)
	}
	if len(nodes) > 0 {
		e.indent(lvl + 1)
	}
	e.b.WriteString("},")
	e.indent(lvl + 1)
	e.b.WriteString(`"edges": [`)
	for i, ed := range g.Edges {
		if i > 0 {
			e.b.WriteByte(',')
		}
		e.indent(lvl + 2)
		e.b.WriteByte('[')
		e.str(ed.From)
		e.b.WriteString(", ")
		e.str(ed.To)
		e.b.WriteByte(']')
	}
	if len(g.Edges) > 0 {
		e.indent(lvl + 1)
	}
	e.b.WriteString("]")
	if len(g.Metadata) > 0 {
		e.b.WriteByte(',')
		e.indent(lvl + 1)
		e.key("metadata")
		e.raw(g.Metadata)
	}
	e.indent(lvl)
	e.b.WriteString("}")
}

func (e *encoder) node(n *ir.Node, lvl int, path string) {
	if n.Type == ir.TGraph {
		if n.Sub == nil {
			e.fail("%s: NIRGraph node without a graph", path)
			return
		}
		if n.Snnc == nil {
			e.graph(n.Sub, lvl, path)
			return
		}
		// Re-open the written graph object to append the node's overrides.
		e.graph(n.Sub, lvl, path)
		e.b.Truncate(e.b.Len() - 1)
		e.b.WriteByte(',')
		e.indent(lvl + 1)
		e.key("snnc")
		e.overrides(n.Snnc)
		e.indent(lvl)
		e.b.WriteString("}")
		return
	}
	e.b.WriteString("{")
	e.indent(lvl + 1)
	e.key("type")
	e.str(n.Type)
	keys := make([]string, 0, len(n.Params)+len(n.Attrs))
	for k := range n.Params {
		keys = append(keys, k)
	}
	for k := range n.Attrs {
		if _, dup := n.Params[k]; dup {
			e.fail("%s: %q is both a numeric and a string parameter", path, k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if reservedKey(k) {
			e.fail("%s: parameter name %q is reserved", path, k)
		}
		e.b.WriteByte(',')
		e.indent(lvl + 1)
		e.key(k)
		if t, ok := n.Params[k]; ok {
			e.tensor(t, path+"."+k)
		} else {
			e.str(n.Attrs[k])
		}
	}
	if n.Type == ir.TMultiCompartment {
		e.b.WriteByte(',')
		e.indent(lvl + 1)
		e.b.WriteString(`"compartments": [`)
		for i, c := range n.Compartments {
			if i > 0 {
				e.b.WriteByte(',')
			}
			e.indent(lvl + 2)
			e.b.WriteString(`{"type": `)
			e.str(c.Type)
			ks := make([]string, 0, len(c.Params))
			for k := range c.Params {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			for _, k := range ks {
				if k == "type" {
					e.fail("%s.compartments[%d]: parameter name \"type\" is reserved", path, i)
				}
				e.b.WriteString(", ")
				e.key(k)
				e.tensor(c.Params[k], fmt.Sprintf("%s.compartments[%d].%s", path, i, k))
			}
			e.b.WriteString("}")
		}
		if len(n.Compartments) > 0 {
			e.indent(lvl + 1)
		}
		e.b.WriteString("],")
		e.indent(lvl + 1)
		e.b.WriteString(`"join": [`)
		for i, c := range n.Compartments {
			if i > 0 {
				e.b.WriteString(", ")
			}
			e.str(c.Join)
		}
		e.b.WriteString("],")
		e.indent(lvl + 1)
		e.b.WriteString(`"parent": [`)
		for i, c := range n.Compartments {
			if i > 0 {
				e.b.WriteString(", ")
			}
			e.b.WriteString(strconv.Itoa(c.Parent))
		}
		e.b.WriteString("],")
		e.indent(lvl + 1)
		e.b.WriteString(`"soma": ` + strconv.Itoa(n.Soma))
	}
	if n.Snnc != nil {
		e.b.WriteByte(',')
		e.indent(lvl + 1)
		e.key("snnc")
		e.overrides(n.Snnc)
	}
	if len(n.Metadata) > 0 {
		e.b.WriteByte(',')
		e.indent(lvl + 1)
		e.key("metadata")
		e.raw(n.Metadata)
	}
	e.indent(lvl)
	e.b.WriteString("}")
}

func reservedKey(k string) bool {
	switch k {
	case "type", "snnc", "metadata", "compartments", "join", "parent", "soma":
		return true
	}
	return false
}

func (e *encoder) overrides(o *ir.NodeOverrides) {
	e.b.WriteString("{")
	sep := ""
	if o.Reset != nil {
		e.b.WriteString(`"reset": `)
		e.reset(*o.Reset)
		sep = ", "
	}
	if o.ThresholdCompare != "" {
		e.b.WriteString(sep + `"threshold_compare": `)
		e.str(o.ThresholdCompare)
		sep = ", "
	}
	if o.Dale != nil {
		e.b.WriteString(sep + `"dale": [`)
		for i, v := range o.Dale {
			if i > 0 {
				e.b.WriteString(", ")
			}
			if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
				e.b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
			} else if math.IsNaN(v) || math.IsInf(v, 0) {
				e.fail("snnc.dale[%d] = %v is not finite", i, v)
			} else {
				e.b.WriteString(fmtFloat(v))
			}
		}
		e.b.WriteString("]")
		sep = ", "
	}
	if o.Hints != nil {
		e.b.WriteString(sep + `"hints": {`)
		ks := make([]string, 0, len(o.Hints))
		for k := range o.Hints {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for i, k := range ks {
			if i > 0 {
				e.b.WriteString(", ")
			}
			e.key(k)
			e.str(o.Hints[k])
		}
		e.b.WriteString("}")
	}
	e.b.WriteString("}")
}

// fmtFloat is the shortest round-trip form of a float64, always with '.' or an exponent.
func fmtFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") { // 'n' in NaN/Inf cannot occur here
		s += ".0"
	}
	return s
}

// fits reports whether every value is exactly representable (and finite) in dtype.
func fits(t *ir.Tensor, dtype string) bool {
	for _, v := range t.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
		switch dtype {
		case "f64", "":
		case "f32":
			if float64(float32(v)) != v {
				return false
			}
		case "i64":
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return false
			}
		default:
			lo, hi := intRange(dtype)
			if v != math.Trunc(v) || v < lo || v > hi {
				return false
			}
		}
	}
	return true
}

func (e *encoder) tensor(t *ir.Tensor, path string) {
	if t == nil {
		e.fail("%s: nil tensor", path)
		return
	}
	n := ir.NumElements(t.Shape)
	if n != len(t.Data) || n == 0 {
		e.fail("%s: shape %v holds %d values, data has %d", path, t.Shape, n, len(t.Data))
		return
	}
	for _, d := range t.Shape {
		if d < 1 {
			e.fail("%s: shape %v has an empty dim", path, t.Shape)
			return
		}
	}
	dtype := t.DType
	if _, ok := dtypeSize[dtype]; !ok {
		dtype = "f64"
	}
	finite := fits(t, "f64")
	if !fits(t, dtype) {
		dtype = "f64"
	}
	switch {
	case n > InlineMax || !finite:
		e.b64(t, dtype)
	case dtype == "f64" || dtype == "i64":
		if len(t.Shape) == 0 {
			e.b.WriteString(fmtValue(t.Data[0], dtype))
			return
		}
		e.nested(t.Data, t.Shape, dtype)
	default:
		e.b.WriteString(`{"dtype": "` + dtype + `", "shape": `)
		e.shape(t.Shape)
		e.b.WriteString(`, "data": [`)
		for i, v := range t.Data {
			if i > 0 {
				e.b.WriteString(", ")
			}
			e.b.WriteString(fmtValue(v, dtype))
		}
		e.b.WriteString("]}")
	}
}

func fmtValue(v float64, dtype string) string {
	switch dtype {
	case "f64":
		return fmtFloat(v)
	case "f32":
		s := strconv.FormatFloat(v, 'g', -1, 32)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func (e *encoder) shape(s []int) {
	e.b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			e.b.WriteString(", ")
		}
		e.b.WriteString(strconv.Itoa(d))
	}
	e.b.WriteByte(']')
}

func (e *encoder) nested(data []float64, shape []int, dtype string) {
	e.b.WriteByte('[')
	if len(shape) == 1 {
		for i, v := range data {
			if i > 0 {
				e.b.WriteString(", ")
			}
			e.b.WriteString(fmtValue(v, dtype))
		}
	} else {
		step := len(data) / shape[0]
		for i := 0; i < shape[0]; i++ {
			if i > 0 {
				e.b.WriteString(", ")
			}
			e.nested(data[i*step:(i+1)*step], shape[1:], dtype)
		}
	}
	e.b.WriteByte(']')
}

func (e *encoder) b64(t *ir.Tensor, dtype string) {
	size := dtypeSize[dtype]
	buf := make([]byte, len(t.Data)*size)
	for i, v := range t.Data {
		b := buf[i*size : (i+1)*size]
		switch dtype {
		case "f32":
			binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
		case "f64":
			binary.LittleEndian.PutUint64(b, math.Float64bits(v))
		case "i8":
			b[0] = byte(int8(v))
		case "i16":
			binary.LittleEndian.PutUint16(b, uint16(int16(v)))
		case "i32":
			binary.LittleEndian.PutUint32(b, uint32(int32(v)))
		case "i64":
			binary.LittleEndian.PutUint64(b, uint64(int64(v)))
		}
	}
	e.b.WriteString(`{"dtype": "` + dtype + `", "shape": `)
	e.shape(t.Shape)
	e.b.WriteString(`, "data_b64": "` + base64.StdEncoding.EncodeToString(buf) + `"}`)
}
