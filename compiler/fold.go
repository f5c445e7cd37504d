package compiler

import (
	"fmt"
	"math"
	"sort"

	"github.com/snnc/snnc/ir"
)

// opKind classifies a linear node for folding.
type opKind int

const (
	opIdentity opKind = iota // Flatten, flattened nested Input/Output
	opDelay                  // Delay: identity with per-element delays
	opScale                  // Scale: one-to-one weights
	opDense                  // Affine, Linear, DelayedLinear, snnc.loihi.Dense
	opConv                   // Conv1d, Conv2d
	opSparse                 // pools, locally connected
)

// linOp is one linear node as a map from In to Out elements.
type linOp struct {
	node    *ir.Node
	kind    opKind
	in, out int
	w       []float64 // dense (out,in) or one-to-one
	delay   []int32   // per element (opDelay) or per synapse (dense)
	conv    *ir.ConvSpec
	bias    []float64 // per output, nil when none
	// sparse entries
	pi, po []int32
	pw     []float64
}

func (o *linOp) forEach(fn func(i, j int, w float64, d int)) {
	switch o.kind {
	case opIdentity:
		for i := 0; i < o.in; i++ {
			fn(i, i, 1, 0)
		}
	case opDelay:
		for i := 0; i < o.in; i++ {
			fn(i, i, 1, int(o.delay[i]))
		}
	case opScale:
		for i := 0; i < o.in; i++ {
			fn(i, i, o.w[i], 0)
		}
	case opDense:
		for j := 0; j < o.out; j++ {
			for i := 0; i < o.in; i++ {
				k := j*o.in + i
				if o.w[k] != 0 {
					d := 0
					if o.delay != nil {
						d = int(o.delay[k])
					}
					fn(i, j, o.w[k], d)
				}
			}
		}
	case opConv:
		p := &ir.Projection{Kind: ir.Conv, Conv: o.conv, W: o.w}
		p.ForEach(func(i, j int, w float64, _ int) { fn(i, j, w, 0) })
	case opSparse:
		for k := range o.pw {
			fn(int(o.pi[k]), int(o.po[k]), o.pw[k], 0)
		}
	}
}

// apply returns the op's linear part applied to x (delays ignored).
func (o *linOp) apply(x []float64) []float64 {
	y := make([]float64, o.out)
	o.forEach(func(i, j int, w float64, _ int) { y[j] += w * x[i] })
	return y
}

type folder struct {
	g   *ir.Graph
	nl  *ir.Netlist
	dt  float64
	ops map[string]*linOp
	// names counts projection names to keep them unique
	names map[string]int
}

func (f *folder) op(n *ir.Node) (*linOp, error) {
	if o, ok := f.ops[n.Name]; ok {
		return o, nil
	}
	o, err := f.newOp(n)
	if err != nil {
		return nil, err
	}
	f.ops[n.Name] = o
	return o, nil
}

func dims(t *ir.Tensor, want int) ([]int, error) {
	if t == nil || len(t.Shape) != want {
		return nil, fmt.Errorf("weight must have %d dimensions", want)
	}
	return t.Shape, nil
}

func (f *folder) newOp(n *ir.Node) (*linOp, error) {
	inSize := ir.NumElements(n.InShape)
	switch n.Type {
	case identity:
		if n.InShape == nil && n.OutShape == nil {
			return nil, fmt.Errorf("%s: shape unknown", n.Name)
		}
		if n.InShape == nil {
			inSize = ir.NumElements(n.OutShape)
		}
		return &linOp{node: n, kind: opIdentity, in: inSize, out: inSize}, nil
	case ir.TDelay:
		d := n.P("delay")
		if inSize == 0 || n.InShape == nil {
			inSize = d.Len()
		}
		vals, err := d.Broadcast(inSize)
		if err != nil {
			return nil, fmt.Errorf("%s: delay: %v", n.Name, err)
		}
		o := &linOp{node: n, kind: opDelay, in: inSize, out: inSize, delay: make([]int32, inSize)}
		warned := false
		for i, s := range vals {
			if s < 0 || math.IsNaN(s) || s/f.dt > 1<<20 {
				return nil, fmt.Errorf("%s: delay[%d] = %g s is not in 0..%g s", n.Name, i, s, f.dt*(1<<20))
			}
			steps := math.Round(s / f.dt)
			if !warned && math.Abs(steps*f.dt-s) > 1e-9*math.Max(s, f.dt) {
				f.nl.Log = append(f.nl.Log, fmt.Sprintf("%s: delay %g s is not a multiple of dt = %g s; rounded to %g steps", n.Name, s, f.dt, steps))
				warned = true
			}
			o.delay[i] = int32(steps)
		}
		return o, nil
	case ir.TScale:
		s := n.P("scale")
		if n.InShape == nil {
			inSize = s.Len()
		}
		w, err := s.Broadcast(inSize)
		if err != nil {
			return nil, fmt.Errorf("%s: scale: %v", n.Name, err)
		}
		return &linOp{node: n, kind: opScale, in: inSize, out: inSize, w: w}, nil
	case ir.TAffine, ir.TLinear, ir.TDelayedLinear, ir.TLoihiDense:
		w := n.P("weight")
		sh, err := dims(w, 2)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", n.Name, err)
		}
		o := &linOp{node: n, kind: opDense, in: sh[1], out: sh[0], w: w.Data}
		if b := n.P("bias"); b != nil && n.Type != ir.TLinear {
			bv, err := b.Broadcast(o.out)
			if err != nil {
				return nil, fmt.Errorf("%s: bias: %v", n.Name, err)
			}
			if anyNonZero(bv) {
				o.bias = bv
			}
		}
		if d := n.P("delay_steps"); d != nil {
			dv, err := d.Broadcast(o.in * o.out)
			if err != nil {
				return nil, fmt.Errorf("%s: delay_steps: %v", n.Name, err)
			}
			o.delay = make([]int32, len(dv))
			for k, v := range dv {
				if v < 0 || v != math.Trunc(v) || v > 1<<20 {
					return nil, fmt.Errorf("%s: delay_steps[%d] = %g must be an integer in 0..%d", n.Name, k, v, 1<<20)
				}
				o.delay[k] = int32(v)
			}
		}
		return o, nil
	case ir.TConv1d, ir.TConv2d:
		c, err := ir.ConvGeometry(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", n.Name, err)
		}
		o := &linOp{node: n, kind: opConv, conv: &c, w: n.P("weight").Data,
			in: c.InC * c.InH * c.InW, out: c.OutC * c.OutH * c.OutW}
		if b := n.P("bias"); b != nil {
			bc, err := b.Broadcast(c.OutC)
			if err != nil {
				return nil, fmt.Errorf("%s: bias: %v", n.Name, err)
			}
			if anyNonZero(bc) {
				o.bias = make([]float64, o.out)
				for k := range o.bias {
					o.bias[k] = bc[k/(c.OutH*c.OutW)]
				}
			}
		}
		return o, nil
	case ir.TSumPool2d, ir.TAvgPool2d:
		return poolOp(n)
	case ir.TLocallyConn2d:
		return locallyConnectedOp(n)
	}
	return nil, fmt.Errorf("%s: %s cannot be folded into a projection (%w)", n.Name, n.Type, ir.ErrUnsupported)
}

func pair(t *ir.Tensor, def int) (int, int) {
	if t == nil || len(t.Data) == 0 {
		return def, def
	}
	if len(t.Data) == 1 {
		return int(t.Data[0]), int(t.Data[0])
	}
	return int(t.Data[0]), int(t.Data[1])
}

func poolOp(n *ir.Node) (*linOp, error) {
	if len(n.InShape) != 3 {
		return nil, fmt.Errorf("%s: pooling needs a (C,H,W) input shape, have %v", n.Name, n.InShape)
	}
	c, h, w := n.InShape[0], n.InShape[1], n.InShape[2]
	kh, kw := pair(n.P("kernel_size"), 1)
	sh, sw := pair(n.P("stride"), 0)
	if sh == 0 {
		sh, sw = kh, kw
	}
	ph, pw := pair(n.P("padding"), 0)
	if kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 {
		return nil, fmt.Errorf("%s: kernel_size and stride must be positive", n.Name)
	}
	oh, ow := (h+2*ph-kh)/sh+1, (w+2*pw-kw)/sw+1
	if oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("%s: kernel %dx%d larger than input %dx%d", n.Name, kh, kw, h, w)
	}
	val := 1.0
	if n.Type == ir.TAvgPool2d {
		val = 1 / float64(kh*kw)
	}
	o := &linOp{node: n, kind: opSparse, in: c * h * w, out: c * oh * ow}
	for ch := 0; ch < c; ch++ {
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				j := (ch*oh+y)*ow + x
				for dy := 0; dy < kh; dy++ {
					for dx := 0; dx < kw; dx++ {
						iy, ix := y*sh-ph+dy, x*sw-pw+dx
						if iy < 0 || iy >= h || ix < 0 || ix >= w {
							continue
						}
						o.pi = append(o.pi, int32((ch*h+iy)*w+ix))
						o.po = append(o.po, int32(j))
						o.pw = append(o.pw, val)
					}
				}
			}
		}
	}
	return o, nil
}

// locallyConnectedOp expands snnc.LocallyConnected2d: weight (Cout, Hout, Wout, Cin, kx, ky)
// with untied kernels; kx runs along the input's width, ky along its height, stride and
// padding as Conv2d (defaults 1 and 0). Bias (Cout, Hout, Wout) or per channel.
func locallyConnectedOp(n *ir.Node) (*linOp, error) {
	w := n.P("weight")
	if w == nil || len(w.Shape) != 6 || len(n.InShape) != 3 {
		return nil, fmt.Errorf("%s: needs a 6-d weight and a (C,H,W) input shape", n.Name)
	}
	co, ho, wo, ci, kx, ky := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3], w.Shape[4], w.Shape[5]
	c, h, wd := n.InShape[0], n.InShape[1], n.InShape[2]
	if c != ci {
		return nil, fmt.Errorf("%s: weight expects %d input channels, input has %d (%w)", n.Name, ci, c, ir.ErrShape)
	}
	sh, sw := pair(n.P("stride"), 1)
	ph, pw := pair(n.P("padding"), 0)
	if sh <= 0 || sw <= 0 || ph < 0 || pw < 0 {
		return nil, fmt.Errorf("%s: stride must be positive and padding non-negative", n.Name)
	}
	o := &linOp{node: n, kind: opSparse, in: c * h * wd, out: co * ho * wo}
	for oc := 0; oc < co; oc++ {
		for oy := 0; oy < ho; oy++ {
			for ox := 0; ox < wo; ox++ {
				j := (oc*ho+oy)*wo + ox
				for ic := 0; ic < ci; ic++ {
					for a := 0; a < kx; a++ {
						for b := 0; b < ky; b++ {
							iy, ix := oy*sh-ph+b, ox*sw-pw+a
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							v := w.Data[((((oc*ho+oy)*wo+ox)*ci+ic)*kx+a)*ky+b]
							if v == 0 {
								continue
							}
							o.pi = append(o.pi, int32((ic*h+iy)*wd+ix))
							o.po = append(o.po, int32(j))
							o.pw = append(o.pw, v)
						}
					}
				}
			}
		}
	}
	if b := n.P("bias"); b != nil {
		bv, err := b.Broadcast(o.out)
		if err != nil {
			if bc, err2 := b.Broadcast(co); err2 == nil {
				bv = make([]float64, o.out)
				for k := range bv {
					bv[k] = bc[k/(ho*wo)]
				}
			} else {
				return nil, fmt.Errorf("%s: bias: %v", n.Name, err)
			}
		}
		if anyNonZero(bv) {
			o.bias = bv
		}
	}
	return o, nil
}

func anyNonZero(v []float64) bool {
	for _, x := range v {
		if x != 0 {
			return true
		}
	}
	return false
}

// foldInto creates the projections into pop from every path source → linear chain → pop.
func (f *folder) foldInto(pop *ir.Population) error {
	bias := make([]float64, pop.Size)
	hasBias := false
	var walk func(x string, suffix []*linOp, depth int) error
	walk = func(x string, suffix []*linOp, depth int) error {
		if depth > 64 {
			return fmt.Errorf("linear chain into %s longer than 64 nodes or a cycle without a neuron", pop.Name)
		}
		n := f.g.Node(x)
		if n == nil {
			return fmt.Errorf("edge from missing node %q", x)
		}
		switch {
		case n.Type == ir.TInput || ir.IsNeuron(n.Type):
			ops := make([]*linOp, len(suffix))
			for i, o := range suffix {
				ops[len(suffix)-1-i] = o
			}
			return f.emit(n.Name, ops, pop)
		case ir.IsLinear(n.Type) || n.Type == identity:
			o, err := f.op(n)
			if err != nil {
				return err
			}
			if o.bias != nil {
				b := o.bias
				for k := len(suffix) - 1; k >= 0; k-- {
					if len(b) != suffix[k].in {
						return fmt.Errorf("%s: bias of size %d feeds %s expecting %d", n.Name, len(b), suffix[k].node.Name, suffix[k].in)
					}
					b = suffix[k].apply(b)
				}
				if len(b) != pop.Size {
					return fmt.Errorf("%s: bias of size %d reaches %s of size %d", n.Name, len(b), pop.Name, pop.Size)
				}
				for i := range bias {
					bias[i] += b[i]
				}
				hasBias = true
			}
			ins := f.g.Inputs(n.Name)
			if len(ins) == 0 {
				f.nl.Log = append(f.nl.Log, fmt.Sprintf("%s: linear node without input contributes only its bias", n.Name))
			}
			for _, in := range ins {
				if err := walk(in, append(suffix[:len(suffix):len(suffix)], o), depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		return fmt.Errorf("%s (%s) cannot feed %s", n.Name, n.Type, pop.Name)
	}
	for _, in := range f.g.Inputs(pop.Name) {
		if err := walk(in, nil, 0); err != nil {
			return err
		}
	}
	if hasBias {
		if old := pop.Params["bias"]; old != nil {
			for i := range bias {
				bias[i] += old[i]
			}
		}
		pop.Params["bias"] = bias
	}
	return nil
}

// emit builds one projection from src through ops (in forward order) into pop.
func (f *folder) emit(src string, ops []*linOp, pop *ir.Population) error {
	srcSize, err := f.nl.SourceSize(src)
	if err != nil {
		return err
	}
	// Check sizes along the chain.
	size := srcSize
	var weighted []*linOp
	var first *linOp
	for _, o := range ops {
		if o.in != size {
			return fmt.Errorf("%s expects %d inputs, receives %d (%w)", o.node.Name, o.in, size, ir.ErrShape)
		}
		size = o.out
		if o.kind != opIdentity {
			if first == nil {
				first = o
			}
			if o.kind != opDelay {
				weighted = append(weighted, o)
			}
		}
	}
	if size != pop.Size {
		return fmt.Errorf("path from %s delivers %d values to %s of size %d (%w)", src, size, pop.Name, pop.Size, ir.ErrShape)
	}
	name := src + "->" + pop.Name
	if len(weighted) > 0 {
		name = weighted[0].node.Name
	}
	if f.names == nil {
		f.names = map[string]int{}
	}
	f.names[name]++
	if k := f.names[name]; k > 1 {
		name = fmt.Sprintf("%s#%d", name, k)
	}
	pr := &ir.Projection{Name: name, Pre: src, Post: pop.Name, PreSize: srcSize, PostSize: pop.Size}
	// A node on the path may name the compartment of a snnc.MultiCompartment
	// post it feeds ("snnc": {"hints": {"compartment": "1"}}); targets read it
	// from Attrs["compartment"].
	for _, o := range ops {
		if o.node.Snnc == nil || o.node.Snnc.Hints["compartment"] == "" {
			continue
		}
		c := o.node.Snnc.Hints["compartment"]
		if prev := pr.Attrs["compartment"]; prev != "" && prev != c {
			return fmt.Errorf("%s: compartment hint %q conflicts with %q on the same path", o.node.Name, c, prev)
		}
		if pr.Attrs == nil {
			pr.Attrs = map[string]string{}
		}
		pr.Attrs["compartment"] = c
	}
	var nonIdent []*linOp
	for _, o := range ops {
		if o.kind != opIdentity {
			nonIdent = append(nonIdent, o)
		}
	}
	switch {
	case len(nonIdent) == 0:
		pr.Kind, pr.W = ir.OneToOne, ones(srcSize)
	case len(nonIdent) == 1 && nonIdent[0].kind == opScale:
		pr.Kind, pr.W = ir.OneToOne, append([]float64(nil), nonIdent[0].w...)
	case len(nonIdent) == 1 && nonIdent[0].kind == opDelay:
		pr.Kind, pr.W = ir.OneToOne, ones(srcSize)
		pr.Delay = append([]int32(nil), nonIdent[0].delay...)
	case len(nonIdent) == 1 && nonIdent[0].kind == opDense:
		o := nonIdent[0]
		pr.Kind, pr.W = ir.Dense, append([]float64(nil), o.w...)
		if o.delay != nil {
			pr.Delay = append([]int32(nil), o.delay...)
		}
	case len(nonIdent) == 1 && nonIdent[0].kind == opConv:
		o := nonIdent[0]
		c := *o.conv
		pr.Kind, pr.W, pr.Conv = ir.Conv, append([]float64(nil), o.w...), &c
	default:
		compose(pr, nonIdent)
	}
	if len(weighted) == 1 {
		n := weighted[0].node
		if n.Snnc != nil && n.Snnc.Dale != nil {
			if len(n.Snnc.Dale) != srcSize {
				return fmt.Errorf("%s: snnc.dale has %d signs for %d presynaptic neurons", n.Name, len(n.Snnc.Dale), srcSize)
			}
			pr.Dale = append([]float64(nil), n.Snnc.Dale...)
		}
		if n.Type == ir.TLoihiDense {
			pr.Native = map[string]float64{"weight_exp": 0, "num_weight_bits": 8}
			for _, k := range []string{"weight_exp", "num_weight_bits"} {
				if t := n.P(k); t != nil {
					pr.Native[k] = t.At(0)
				}
			}
			sm := n.Attrs["sign_mode"]
			if t := n.P("sign_mode"); sm == "" && t != nil {
				sm = fmt.Sprint(int(t.At(0)))
			}
			if sm != "" {
				if pr.Attrs == nil {
					pr.Attrs = map[string]string{}
				}
				pr.Attrs["sign_mode"] = sm
			}
		}
	}
	f.nl.Projections = append(f.nl.Projections, pr)
	return nil
}

func ones(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

// compose multiplies a chain of linear maps into one sparse projection; synapses that
// take paths with different total delays stay separate.
func compose(pr *ir.Projection, ops []*linOp) {
	type key struct{ pre, post, d int32 }
	type syn struct {
		post, d int32
		w       float64
	}
	// cur[pre] = list of (current element, weight, delay)
	cur := make([][]syn, pr.PreSize)
	for i := range cur {
		cur[i] = []syn{{post: int32(i), d: 0, w: 1}}
	}
	for _, o := range ops {
		// index op entries by input
		byIn := make([][]syn, o.in)
		o.forEach(func(i, j int, w float64, d int) { byIn[i] = append(byIn[i], syn{int32(j), int32(d), w}) })
		for pre, list := range cur {
			acc := map[key]float64{}
			var keys []key
			for _, s := range list {
				for _, t := range byIn[s.post] {
					k := key{int32(pre), t.post, s.d + t.d}
					if _, ok := acc[k]; !ok {
						keys = append(keys, k)
					}
					acc[k] += s.w * t.w
				}
			}
			sort.Slice(keys, func(a, b int) bool {
				if keys[a].post != keys[b].post {
					return keys[a].post < keys[b].post
				}
				return keys[a].d < keys[b].d
			})
			next := make([]syn, 0, len(keys))
			for _, k := range keys {
				if w := acc[k]; w != 0 {
					next = append(next, syn{k.post, k.d, w})
				}
			}
			cur[pre] = next
		}
	}
	pr.Kind = ir.Sparse
	hasDelay := false
	for pre, list := range cur {
		for _, s := range list {
			pr.PreIdx = append(pr.PreIdx, int32(pre))
			pr.PostIdx = append(pr.PostIdx, s.post)
			pr.W = append(pr.W, s.w)
			pr.Delay = append(pr.Delay, s.d)
			if s.d != 0 {
				hasDelay = true
			}
		}
	}
	if !hasDelay {
		pr.Delay = nil
	}
}
