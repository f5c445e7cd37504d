package loihi

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
)

// drive is a stimulus with inputs a and b firing every step for the neurons listed.
func drive(steps int, a, b []int) *emulator.Stimulus {
	st := &emulator.Stimulus{Dt: 1e-3, Steps: steps, Streams: map[string]*emulator.Stream{}}
	for name, idx := range map[string][]int{"a": a, "b": b} {
		s := &emulator.Stream{Shape: []int{3}}
		for t := 0; t < steps; t++ {
			for _, j := range idx {
				s.Times, s.Indices = append(s.Times, t), append(s.Indices, j)
			}
		}
		st.Streams[name] = s
	}
	return st
}

// TestMultiCompartmentJoins compiles the dendritic test models of testdata through
// snnjson.Decode → compiler.Lower → Compile → Load → Run. Neuron 0 receives input a
// only (on dendrite 1), neuron 1 input b only (dendrite 2), neuron 2 both.
//
//   - dendritic_min: soma ← ADD ← d1 ← MIN ← d2. d1's input is min(q_d1, v_d2): zero
//     unless both dendrites are driven, so only neuron 2 can fire (d1 and the soma settle
//     at 1 > θ = 0.5).
//   - dendritic_add: soma ← ADD(d1, d2). Either dendrite alone drives the soma over
//     threshold (each dendrite settles at v = r·x = 1, the soma at 1 > θ = 0.5), both
//     faster (soma settles at 2).
func TestMultiCompartmentJoins(t *testing.T) {
	const steps = 300
	for _, tc := range []struct {
		model string
		check func(c []int) bool
		want  string
	}{
		{"dendritic_min", func(c []int) bool { return c[0] == 0 && c[1] == 0 && c[2] > 5 }, "only neuron 2 fires"},
		{"dendritic_add", func(c []int) bool { return c[0] > 5 && c[1] > 5 && c[2] > c[0] && c[2] > c[1] }, "all fire, neuron 2 most"},
	} {
		t.Run(tc.model, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join("testdata", tc.model+".json"))
			if err != nil {
				t.Fatal(err)
			}
			g, err := snnjson.Decode(doc, "testdata")
			if err != nil {
				t.Fatal(err)
			}
			nl, err := compiler.Lower(g, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			img, rep, err := New(Loihi1).Compile(nl, targets.Options{})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, tb := range rep.Tables {
				found = found || tb.Title == "multi-compartment trees"
			}
			if !found {
				t.Error("no multi-compartment table in the report")
			}
			m, err := New(Loihi1).Load(img, targets.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tr, err := m.Run(t.Context(), drive(steps, []int{0, 2}, []int{1, 2}), steps, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := tr.Streams["out"].Counts()
			want := floatTree(tc.model == "dendritic_min", steps)
			t.Logf("%s: counts %v, float model of the tree %v", tc.model, c, want)
			if !tc.check(c) {
				t.Fatalf("counts %v: want %s", c, tc.want)
			}
			for i := range c {
				if abs(c[i]-want[i]) > 1+want[i]/10 {
					t.Fatalf("neuron %d: %d spikes, float tree model %d (tolerance 10 %% + 1)", i, c[i], want[i])
				}
			}
			// the image round-trips (payload carries the tree and the target compartments)
			pl, err := img.Payload()
			if err != nil {
				t.Fatal(err)
			}
			img2, err := New(Loihi1).DecodeImage(nl, targets.Options{}, pl)
			if err != nil {
				t.Fatal(err)
			}
			m2, err := New(Loihi1).Load(img2, targets.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tr2, err := m2.Run(t.Context(), drive(steps, []int{0, 2}, []int{1, 2}), steps, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := diff(c, tr2.Streams["out"].Counts()); d != "" {
				t.Fatalf("decoded image runs differently: %s", d)
			}
		})
	}
}

// floatTree simulates the test models' tree equations in float64 (the semantics of
// docs/loihi.md "snnc.MultiCompartment"): LI dendrites v ← βv + (1−β)·x with
// β = e^(−1/10), the LIF soma β = e^(−1/20), θ = 0.5, reset to 0; min: d1's input is
// min(a, v_d2); add: the soma's input is v_d1 (+ v_d2). Inputs fire every step and
// arrive one step later (spec §2 latency).
func floatTree(minJoin bool, steps int) []int {
	bd, bs := math.Exp(-1.0/10), math.Exp(-1.0/20)
	counts := make([]int, 3)
	for i, in := range [][2]float64{{1, 0}, {0, 1}, {1, 1}} {
		var d1, d2, vs float64
		for t := 0; t < steps; t++ {
			a, b := in[0], in[1]
			if t == 0 {
				a, b = 0, 0
			}
			d2 = bd*d2 + (1-bd)*b
			var xs float64
			if minJoin {
				d1 = bd*d1 + (1-bd)*math.Min(a, d2)
				xs = d1
			} else {
				d1 = bd*d1 + (1-bd)*a
				xs = d1 + d2
			}
			vs = bs*vs + (1-bs)*xs
			if vs > 0.5 {
				vs = 0
				counts[i]++
			}
		}
	}
	return counts
}

// TestMultiCompartmentRefused: joins and trees Loihi cannot build are refused naming
// the node and the compartment.
func TestMultiCompartmentRefused(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "dendritic_min.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"mul", `"join": "min"`, `"join": "mul"`, `compartment 2: loihi: unsupported model: join "mul"`},
		{"mixed joins", `"parent": 1, "join": "min"`, `"parent": 0, "join": "min"`, "join by add and min"},
		{"LI soma", `{"type": "LIF", "tau": 0.02`, `{"type": "LI", "tau": 0.02`, "a Loihi soma spikes"},
		{"bad hint", `"compartment": "2"`, `"compartment": "7"`, `compartment hint "7"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(string(base), tc.old, tc.new, 1)
			if doc == string(base) {
				t.Fatal("edit did not apply")
			}
			g, err := snnjson.Decode([]byte(doc), "testdata")
			if err != nil {
				t.Fatal(err)
			}
			nl, err := compiler.Lower(g, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = New(Loihi1).Compile(nl, targets.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "neuron") {
				t.Fatalf("err %v, want %q naming the node", err, tc.want)
			}
			if !errors.Is(err, ErrModel) && !errors.Is(err, ErrParam) {
				t.Fatalf("err %v wraps neither ErrModel nor ErrParam", err)
			}
		})
	}
}
