package crossbar

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
)

// TestModels compiles every shared test model (testdata/models) through compiler.Lower:
// models the periphery supports run on the ideal chip exactly like ref (one-step
// networks) and on an rram chip; the others fail with ErrUnsupported naming the
// population.
func TestModels(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/models/*.json")
	if len(files) == 0 {
		t.Skip("no shared models")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			g, _, err := snnjson.ReadFile(f)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			nl, err := compiler.Lower(g, compiler.Options{})
			if err != nil {
				t.Fatalf("lower: %v", err)
			}
			img, _, err := Target{}.Compile(nl, flags("device", "ideal"))
			if err != nil {
				if errors.Is(err, targets.ErrUnsupported) && strings.Contains(err.Error(), "population") {
					t.Logf("unsupported (as it should say): %v", err)
					return
				}
				t.Fatalf("compile: %v", err)
			}
			var stim *emulator.Stimulus
			if b, err := os.Open(filepath.Join("../../testdata/stimuli", name+".json")); err == nil {
				stim, err = emulator.ReadStimulus(b, nil)
				b.Close()
				if err != nil {
					t.Fatalf("stimulus: %v", err)
				}
			} else {
				in := nl.Inputs[0]
				stim = poisson(1, in.Size, 50, 0.2)
				for k, s := range stim.Streams {
					delete(stim.Streams, k)
					s.Shape = in.Shape
					stim.Streams[in.Name] = s
				}
				stim.Dt = nl.Semantics.Dt
			}
			steps := stim.Steps
			m, err := Target{}.Load(img, flags("device", "ideal"))
			if err != nil {
				t.Fatal(err)
			}
			got := runMachine(t, m, stim, steps)
			if nl.Semantics.EdgeLatency != "zero" {
				want := runRef(t, nl, stim, steps)
				if e := countErr(got, want); e != 0 {
					t.Errorf("ideal crossbar vs ref: spike count error %v", e)
				}
				n := 0
				for _, s := range want.Streams {
					n += s.Len()
				}
				t.Logf("%d output events, equal to ref", n)
			}
			_, mr := compileLoad(t, nl, flags("device", "rram"))
			runMachine(t, mr, stim, steps)
		})
	}
}
