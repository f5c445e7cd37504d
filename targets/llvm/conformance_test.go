package llvm_test

import (
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets/conformance"
	_ "github.com/snnc/snnc/targets/llvm"
	_ "github.com/snnc/snnc/targets/loihi"
)

// TestConformance runs the suite every target runs (targets/conformance).
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Config{Target: "llvm", CountTol: 0.08, Models: []string{ir.TLIF, ir.TCubaLIF, ir.TIF}})
}
