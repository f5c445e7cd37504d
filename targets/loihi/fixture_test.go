package loihi

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/targets/loihi/loihifix"
)

// fixtureDir holds the public Lava / nengo-loihi vectors (loihi-notes.md §12).
const fixtureDir = "../../../shared/fixtures/loihi"

type fixture = loihifix.Fixture

// fixtureNetlist converts a fixture into a native netlist (loihifix) and its mode.
func fixtureNetlist(f *fixture) (*ir.Netlist, *emulator.Stimulus, string, error) {
	nl, stim, err := f.Netlist()
	return nl, stim, f.Mode(), err
}

// loadFixtures reads every fixture, keyed by file name.
func loadFixtures(t *testing.T) map[string]*fixture {
	t.Helper()
	fs, err := loihifix.Load(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*fixture{}
	for _, f := range fs {
		out[f.Name+".json"] = f
	}
	return out
}

// checkFixture runs a compiled image and compares every probed value on every step.
func checkFixture(t *testing.T, f *fixture, img targets.Image, stim *emulator.Stimulus, mode string) {
	t.Helper()
	tg := New(Loihi1)
	m, err := tg.Load(img, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var probes []string
	keys := []string{"u", "v", "spikes"}
	for k := range f.Layers {
		for _, key := range keys {
			probes = append(probes, fmt.Sprintf("L%d.%s", k, key))
		}
		if _, ok := f.Expected[k]["q"]; ok && mode == "chip" {
			probes = append(probes, fmt.Sprintf("L%d.q", k))
		}
	}
	tr, err := m.Run(context.Background(), stim, f.NumSteps, probes)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, pname := range probes {
		var k int
		var key string
		fmt.Sscanf(pname, "L%d.", &k)
		key = pname[len(fmt.Sprintf("L%d.", k)):]
		want := f.Expected[k][key]
		got := tr.Probe(pname)
		if len(want) != f.NumSteps {
			t.Fatalf("%s: expected has %d rows", pname, len(want))
		}
		for s := 0; s < f.NumSteps; s++ {
			for i, w := range want[s] {
				if got.Data[s][i] != w {
					t.Fatalf("%s step %d (row %d) neuron %d: got %v, want %v\n got row  %v\n want row %v", pname, s+1, s, i, got.Data[s][i], w, got.Data[s], want[s])
				}
				checked++
			}
		}
	}
	t.Logf("%s (%s mode): %d values equal", f.Name, mode, checked)
}

// TestFixtures converts every public vector into a native netlist, compiles it for
// loihi in the fixture's mode and requires u, v, spikes (and q) to match on every step.
func TestFixtures(t *testing.T) {
	for name, f := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) {
			nl, stim, mode, err := fixtureNetlist(f)
			if err != nil {
				t.Fatal(err)
			}
			img, _, err := New(Loihi1).Compile(nl, targets.Options{Flags: map[string]string{"loihi-mode": mode}})
			if err != nil {
				t.Fatal(err)
			}
			checkFixture(t, f, img, stim, mode)
		})
	}
}

var _ = math.Abs
