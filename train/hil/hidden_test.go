package hil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/snnc/snnc/targets"
)

func methods(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumMethod(); i++ {
		out = append(out, t.Method(i).Name)
	}
	sort.Strings(out)
	return out
}

// TestTrainerSeesNoHiddenState: the Machine interface exposes no hidden chip state (only
// running, resetting, listing projections and reading/writing programmed weights); the
// trainer's Chip is Machine without Weights; and no non-test file of this package imports
// a concrete target, type-asserts to anything, or calls Weights on a chip.
func TestTrainerSeesNoHiddenState(t *testing.T) {
	if d := cmp.Diff([]string{"Projections", "Reset", "Run", "SetWeights", "Weights"}, methods(reflect.TypeOf((*targets.Machine)(nil)).Elem())); d != "" {
		t.Fatalf("targets.Machine method set changed (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"Projections", "Reset", "Run", "SetWeights"}, methods(reflect.TypeOf((*Chip)(nil)).Elem())); d != "" {
		t.Fatalf("Chip method set (-want +got):\n%s", d)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, im := range af.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			if strings.HasPrefix(p, "github.com/snnc/snnc/targets/") {
				t.Errorf("%s imports the concrete target %s", f, p)
			}
		}
		ast.Inspect(af, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.TypeAssertExpr:
				t.Errorf("%s: type assertion at %s (the trainer must not reach behind the Chip interface)", f, fset.Position(x.Pos()))
			case *ast.SelectorExpr:
				// Weights calls on anything but the float model (m.Weights, ft.Weights) are
				// forbidden: in-the-loop training never reads back the chip's devices.
				if x.Sel.Name == "Weights" {
					if id, ok := x.X.(*ast.Ident); ok && (id.Name == "m" || id.Name == "ft" || id.Name == "shadow") {
						return true
					}
					if f == "qat.go" { // QAT reads a noise-free simulation instance by design
						return true
					}
					t.Errorf("%s: %s calls Weights on %s", f, fset.Position(x.Pos()), types(x.X))
				}
			}
			return true
		})
	}
	if checked < 4 {
		t.Fatalf("checked only %d files", checked)
	}
}

func types(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "an expression"
}
