package llvm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
	_ "github.com/snnc/snnc/targets/loihi"
	"github.com/snnc/snnc/targets/loihi/loihifix"
)

// needTools skips a test when the LLVM toolchain is not installed (the error names the
// package); everything that does not build code still runs.
func needTools(t testing.TB) {
	t.Helper()
	if _, err := findToolchain(); err != nil {
		t.Skip(err)
	}
}

// allProbes lists u, v, q and spikes of every population.
func allProbes(n *ir.Netlist) []string {
	var out []string
	for _, p := range n.Populations {
		for _, v := range []string{"u", "v", "q", "spikes"} {
			out = append(out, p.Name+"."+v)
		}
	}
	return out
}

// loadBoth compiles nl for loihi (chip mode) and llvm and loads one machine of each.
func loadBoth(t testing.TB, nl *ir.Netlist) (loihiM, nativeM targets.Machine) {
	t.Helper()
	lt, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	limg, _, err := lt.Compile(nl, loihiOptions(targets.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if loihiM, err = lt.Load(limg, targets.Options{}); err != nil {
		t.Fatal(err)
	}
	img, _, err := Target{}.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if nativeM, err = (Target{}).Load(img, targets.Options{}); err != nil {
		t.Fatal(err)
	}
	return loihiM, nativeM
}

// runBoth compiles nl for loihi (chip mode) and llvm, runs both on stim and returns the
// traces.
func runBoth(t *testing.T, nl *ir.Netlist, stim *emulator.Stimulus, steps int, probes []string) (loihiTr, nativeTr *emulator.Trace) {
	t.Helper()
	lm, nm := loadBoth(t, nl)
	var err error
	if loihiTr, err = lm.Run(context.Background(), stim, steps, probes); err != nil {
		t.Fatal(err)
	}
	if nativeTr, err = nm.Run(context.Background(), stim, steps, probes); err != nil {
		t.Fatal(err)
	}
	return loihiTr, nativeTr
}

// sameTrace compares spike streams and probes (not the cost statistics, which the
// native code does not model).
func sameTrace(t *testing.T, want, got *emulator.Trace) {
	t.Helper()
	if want.Steps != got.Steps && want.Steps != 0 {
		t.Errorf("steps: loihi %d, native %d", want.Steps, got.Steps)
	}
	if d := cmp.Diff(want.Streams, got.Streams); d != "" {
		t.Errorf("spike streams differ (-loihi +native):\n%s", d)
	}
	if len(want.Probes) != len(got.Probes) {
		t.Fatalf("probes: loihi %d, native %d", len(want.Probes), len(got.Probes))
	}
	for k, wp := range want.Probes {
		gp := got.Probes[k]
		if wp.Name != gp.Name || wp.DType != gp.DType || !cmp.Equal(wp.Shape, gp.Shape) {
			t.Errorf("probe %d: loihi %s %s %v, native %s %s %v", k, wp.Name, wp.DType, wp.Shape, gp.Name, gp.DType, gp.Shape)
			continue
		}
		for s := range wp.Data {
			if !cmp.Equal(wp.Data[s], gp.Data[s]) {
				t.Errorf("probe %s step %d differs:\n loihi  %v\n native %v", wp.Name, s, wp.Data[s], gp.Data[s])
				break
			}
		}
	}
}

func countSpikes(tr *emulator.Trace) int {
	n := 0
	for _, s := range tr.Streams {
		n += s.Len()
	}
	return n
}

// --- fixtures (shared/fixtures/loihi; layout of loihi-notes.md "golden") ---

const fixtureDir = "../../../shared/fixtures/loihi"

type fixture = loihifix.Fixture

// fixtureNetlist builds the native netlist of a fixture (loihifix, spec §5).
func fixtureNetlist(f *fixture) (*ir.Netlist, *emulator.Stimulus, error) { return f.Netlist() }

func loadFixtures(t *testing.T) []*fixture {
	t.Helper()
	fs, err := loihifix.Load(fixtureDir)
	if err != nil {
		t.Skipf("%v", err)
	}
	return fs
}

// TestFixturesMatchLoihi runs every public fixture's network in chip mode on the Go
// loihi emulator and natively and requires identical spikes and u, v, q on every step;
// the fixtures whose reference is chip-mode arithmetic (nengo-loihi) are also checked
// against their expected values.
func TestFixturesMatchLoihi(t *testing.T) {
	needTools(t)
	for _, f := range loadFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			nl, stim, err := fixtureNetlist(f)
			if err != nil {
				t.Fatal(err)
			}
			probes := allProbes(nl)
			want, got := runBoth(t, nl, stim, f.NumSteps, probes)
			sameTrace(t, want, got)
			if f.Reference == "lava" {
				return // lava-mode expectations; the chip-mode run is checked against loihi above
			}
			checked := 0
			for k := range f.Layers {
				for _, key := range []string{"u", "v", "spikes", "q"} {
					exp, ok := f.Expected[k][key]
					if !ok {
						continue
					}
					pd := got.Probe(fmt.Sprintf("L%d.%s", k, key))
					for s := range exp {
						if !cmp.Equal(exp[s], pd.Data[s]) {
							t.Fatalf("L%d.%s step %d: native %v, fixture %v", k, key, s, pd.Data[s], exp[s])
						}
						checked += len(exp[s])
					}
				}
			}
			if checked == 0 {
				t.Fatal("no expected values checked")
			}
			t.Logf("%d expected values equal", checked)
		})
	}
}

// --- testdata/models ---

// TestModelsMatchLoihi runs every example model the loihi target accepts on both and
// compares spikes and probes; models loihi rejects must be rejected by llvm as well.
func TestModelsMatchLoihi(t *testing.T) {
	needTools(t)
	files, err := filepath.Glob("../../testdata/models/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no models (%v)", err)
	}
	sort.Strings(files)
	ran := 0
	for _, fn := range files {
		name := strings.TrimSuffix(filepath.Base(fn), ".json")
		t.Run(name, func(t *testing.T) {
			g, _, err := snnjson.ReadFile(fn)
			if err != nil {
				t.Fatal(err)
			}
			nl, err := compiler.Lower(g, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			lt, _ := targets.Lookup("loihi")
			if _, _, lerr := lt.Compile(nl, loihiOptions(targets.Options{})); lerr != nil {
				_, _, err := Target{}.Compile(nl, targets.Options{})
				if err == nil {
					t.Fatalf("loihi rejects (%v) but llvm accepts", lerr)
				}
				t.Skipf("loihi rejects: %v", lerr)
			}
			var stim *emulator.Stimulus
			steps := 50
			if b, err := os.ReadFile(filepath.Join("../../testdata/stimuli", name+".json")); err == nil {
				inputs := map[string][]int{}
				for _, p := range nl.Inputs {
					inputs[p.Name] = p.Shape
				}
				stim, err = emulator.ReadStimulus(strings.NewReader(string(b)), inputs)
				if err != nil {
					t.Fatal(err)
				}
				steps = stim.Steps
			}
			want, got := runBoth(t, nl, stim, steps, allProbes(nl))
			sameTrace(t, want, got)
			ran++
			t.Logf("%d steps, %d output spikes", steps, countSpikes(got))
		})
	}
	_ = errors.New
}
