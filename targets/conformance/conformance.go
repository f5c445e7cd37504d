package conformance

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	_ "github.com/snnc/snnc/targets/ref" // the oracle
)

// Config selects what a target is held to.
type Config struct {
	Target string
	Flags  map[string]string
	Seed   uint64
	// CountTol is the allowed relative difference of total output spike counts vs ref
	// (0: identical spike trains required). Negative skips the comparison.
	CountTol float64
	// Models lists the neuron models the target supports (default LIF and CubaLIF).
	Models []string
	// Exact requires identical weights after SetWeights(Weights()).
	Exact bool
}

// Case is one conformance network.
type Case struct {
	Name  string
	Graph *ir.Graph
	Stim  *emulator.Stimulus
	Steps int
}

func nd(name, typ string, p map[string]*ir.Tensor) *ir.Node {
	return &ir.Node{Name: name, Type: typ, Params: p}
}

func neuron(model string) *ir.Node {
	p := map[string]*ir.Tensor{"v_leak": ir.Scalar(0), "v_threshold": ir.Scalar(1), "v_reset": ir.Scalar(0), "r": ir.Scalar(4)}
	switch model {
	case ir.TLIF:
		p["tau"] = ir.Scalar(0.02)
	case ir.TCubaLIF:
		p["tau_syn"], p["tau_mem"], p["w_in"] = ir.Scalar(0.005), ir.Scalar(0.02), ir.Scalar(1)
	case ir.TIF:
		p["r"] = ir.Scalar(100)
	}
	return nd("", model, p)
}

// Cases builds the suite's networks for the given neuron model.
func Cases(model string) []Case {
	r := emulator.NewRand(42, 0)
	dense := func(out, in int, scale float64) *ir.Tensor {
		w := ir.NewTensor(out, in)
		for i := range w.Data {
			w.Data[i] = (r.Float64()*1.2 - 0.2) * scale
		}
		return w
	}
	stim := func(n, steps int, p float64) *emulator.Stimulus {
		s := &emulator.Stream{Shape: []int{n}}
		for t := 0; t < steps; t++ {
			for i := 0; i < n; i++ {
				if r.Float64() < p {
					s.Times, s.Indices = append(s.Times, t), append(s.Indices, i)
				}
			}
		}
		return &emulator.Stimulus{Dt: 1e-3, Steps: steps, Streams: map[string]*emulator.Stream{"in": s}}
	}
	var cases []Case
	// feed-forward 16 → 24 → 8
	{
		g := &ir.Graph{Semantics: ir.DefaultSemantics(1e-3)}
		g.AddNode(nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(16)}))
		g.AddNode(nd("fc1", ir.TAffine, map[string]*ir.Tensor{"weight": dense(24, 16, 0.5), "bias": ir.Scalar(0)}))
		l1 := neuron(model)
		l1.Name = "l1"
		g.AddNode(l1)
		g.AddNode(nd("fc2", ir.TAffine, map[string]*ir.Tensor{"weight": dense(8, 24, 0.5), "bias": ir.Scalar(0)}))
		l2 := neuron(model)
		l2.Name = "l2"
		g.AddNode(l2)
		g.AddNode(nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(8)}))
		g.Edges = []ir.Edge{{From: "in", To: "fc1"}, {From: "fc1", To: "l1"}, {From: "l1", To: "fc2"}, {From: "fc2", To: "l2"}, {From: "l2", To: "out"}}
		cases = append(cases, Case{Name: model + "/feedforward", Graph: g, Stim: stim(16, 100, 0.2), Steps: 100})
	}
	// recurrent 12 → 20 (⟲) → out
	{
		g := &ir.Graph{Semantics: ir.DefaultSemantics(1e-3)}
		g.AddNode(nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(12)}))
		g.AddNode(nd("fc", ir.TLinear, map[string]*ir.Tensor{"weight": dense(20, 12, 0.6)}))
		g.AddNode(nd("rec", ir.TLinear, map[string]*ir.Tensor{"weight": dense(20, 20, 0.2)}))
		h := neuron(model)
		h.Name = "h"
		g.AddNode(h)
		g.AddNode(nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(20)}))
		g.Edges = []ir.Edge{{From: "in", To: "fc"}, {From: "fc", To: "h"}, {From: "h", To: "rec"}, {From: "rec", To: "h"}, {From: "h", To: "out"}}
		cases = append(cases, Case{Name: model + "/recurrent", Graph: g, Stim: stim(12, 100, 0.15), Steps: 100})
	}
	return cases
}

func build(t *testing.T, c Case, target string, opt targets.Options) (*compiler.Result, targets.Machine) {
	t.Helper()
	res, err := compiler.Build(c.Graph, target, compiler.Options{Verify: true}, opt)
	if err != nil {
		t.Fatalf("%s: compile for %s: %v", c.Name, target, err)
	}
	m, err := res.Target.Load(res.Image, res.Options)
	if err != nil {
		t.Fatalf("%s: load on %s: %v", c.Name, target, err)
	}
	return res, m
}

func encode(t *testing.T, tr *emulator.Trace) string {
	var b bytes.Buffer
	if err := tr.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func total(tr *emulator.Trace) int {
	n := 0
	for _, s := range tr.Streams {
		n += s.Len()
	}
	return n
}

// Run runs the suite against cfg.Target.
func Run(t *testing.T, cfg Config) {
	models := cfg.Models
	if len(models) == 0 {
		models = []string{ir.TLIF, ir.TCubaLIF}
	}
	opt := targets.Options{Seed: cfg.Seed, Flags: cfg.Flags}
	ctx := context.Background()
	for _, model := range models {
		for _, c := range Cases(model) {
			t.Run(c.Name, func(t *testing.T) {
				_, m := build(t, c, cfg.Target, opt)
				tr, err := m.Run(ctx, c.Stim, c.Steps, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok := tr.Streams["out"]; !ok || tr.Steps != c.Steps {
					t.Fatalf("trace has streams %v and %d steps; want stream \"out\" and %d steps", keys(tr.Streams), tr.Steps, c.Steps)
				}
				first := encode(t, tr)
				m.Reset()
				tr2, err := m.Run(ctx, c.Stim, c.Steps, nil)
				if err != nil {
					t.Fatal(err)
				}
				if encode(t, tr2) != first {
					t.Error("a second run after Reset differs from the first")
				}
				_, m2 := build(t, c, cfg.Target, opt)
				tr3, err := m2.Run(ctx, c.Stim, c.Steps, nil)
				if err != nil {
					t.Fatal(err)
				}
				if encode(t, tr3) != first {
					t.Error("two chips loaded with the same seed differ")
				}
				if _, err := m.Run(ctx, c.Stim, 3, []string{"nosuchnode.v"}); err == nil {
					t.Error("an unknown probe was accepted")
				}
				if _, err := m.Weights("nosuchprojection"); err == nil {
					t.Error("Weights of an unknown projection gave no error")
				}
				if err := m.SetWeights("nosuchprojection", []float64{1}); err == nil {
					t.Error("SetWeights of an unknown projection gave no error")
				}
				for _, p := range m.Projections() {
					w, err := m.Weights(p)
					if err != nil {
						t.Fatalf("Weights(%s): %v", p, err)
					}
					if err := m.SetWeights(p, w); err != nil {
						t.Fatalf("SetWeights(%s, Weights): %v", p, err)
					}
					w2, _ := m.Weights(p)
					if cfg.Exact {
						for i := range w {
							if w[i] != w2[i] {
								t.Fatalf("%s: weight %d changed from %g to %g after SetWeights(Weights())", p, i, w[i], w2[i])
							}
						}
					}
					if err := m.SetWeights(p, w[:len(w)-1]); err == nil {
						t.Errorf("SetWeights(%s) with a short slice gave no error", p)
					}
				}
				if cfg.CountTol < 0 {
					return
				}
				_, rm := build(t, c, "ref", targets.Options{})
				want, err := rm.Run(ctx, c.Stim, c.Steps, nil)
				if err != nil {
					t.Fatal(err)
				}
				a, b := total(tr), total(want)
				if b < 10 {
					t.Fatalf("BUG: conformance case drives only %d ref spikes", b)
				}
				t.Logf("%s: %d output spikes, ref %d", cfg.Target, a, b)
				if rel := math.Abs(float64(a-b)) / float64(b); rel > cfg.CountTol {
					t.Errorf("output spikes %d vs ref %d: relative difference %.3f > tolerance %.3f", a, b, rel, cfg.CountTol)
				}
			})
		}
	}
	t.Run("unsupported model names the node", func(t *testing.T) {
		g := &ir.Graph{Semantics: ir.DefaultSemantics(1e-3)}
		g.AddNode(nd("in", ir.TInput, map[string]*ir.Tensor{"shape": ir.Vector(2)}))
		g.AddNode(nd("weird", ir.TThreshold, map[string]*ir.Tensor{"threshold": ir.Vector(1, 1)}))
		g.AddNode(nd("out", ir.TOutput, map[string]*ir.Tensor{"shape": ir.Vector(2)}))
		g.Edges = []ir.Edge{{From: "in", To: "weird"}, {From: "weird", To: "out"}}
		_, err := compiler.Build(g, cfg.Target, compiler.Options{}, opt)
		if err == nil {
			return // the target supports Threshold
		}
		if !errors.Is(err, targets.ErrUnsupported) && !contains(err.Error(), "weird") {
			t.Errorf("error %q neither wraps ErrUnsupported nor names the node", err)
		}
	})
}

func contains(s, sub string) bool { return bytes.Contains([]byte(s), []byte(sub)) }

func keys(m map[string]*emulator.Stream) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// WantError fails t unless err is (errors.Is) sentinel and its message mentions every
// word: the "bad input gets a clear error naming where and what" check targets share.
func WantError(t testing.TB, err, sentinel error, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %v is not %v", err, sentinel)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}
