package llvm_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
	_ "github.com/snnc/snnc/targets/llvm"
	_ "github.com/snnc/snnc/targets/loihi"
)

// TestRejectsMultiCompartment: a two-compartment AHPLIF compiles for loihi, and the llvm
// target refuses it by name instead of running the soma alone.
func TestRejectsMultiCompartment(t *testing.T) {
	model := `{"format":"snn-json","format_version":"1.0.0","requires":["snnc.AHPLIF"],"time":{"dt":0.001,"unit":"s"},
"graph":{"type":"NIRGraph","nodes":{
 "in":{"type":"Input","shape":[2]},
 "fc":{"type":"Affine","weight":[[1.5,0.5],[0.2,1.2]],"bias":[0,0]},
 "a":{"type":"snnc.AHPLIF","tau_syn":[0.005,0.005],"tau_mem":[0.01,0.01],"r":[1,1],"v_leak":[0,0],"v_threshold":[0.2,0.2],"v_reset":[0,0],"w_in":[1,1],"tau_ahp":[0.05,0.05],"w_ahp":[0.5,0.5]},
 "out":{"type":"Output","shape":[2]}},
"edges":[["in","fc"],["fc","a"],["a","out"]]}}`
	g, err := snnjson.Decode([]byte(model), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compiler.Build(g, "loihi", compiler.Options{}, targets.Options{}); err != nil {
		t.Fatalf("loihi should compile AHPLIF: %v", err)
	}
	_, err = compiler.Build(g, "llvm", compiler.Options{}, targets.Options{})
	if !errors.Is(err, targets.ErrUnsupported) || !strings.Contains(err.Error(), "population a") {
		t.Fatalf("llvm: err = %v, want ErrUnsupported naming population a", err)
	}
}
