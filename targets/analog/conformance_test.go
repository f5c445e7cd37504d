package analog_test

import (
	"testing"

	"github.com/snnc/snnc/ir"
	_ "github.com/snnc/snnc/targets/analog"
	"github.com/snnc/snnc/targets/conformance"
)

// TestConformance runs the suite every target runs (targets/conformance).
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Config{Target: "analog", Flags: map[string]string{"mismatch": "0", "noise": "0"}, CountTol: 0.08, Models: []string{ir.TLIF, ir.TCubaLIF}})
}
