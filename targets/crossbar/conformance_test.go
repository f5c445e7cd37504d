package crossbar_test

import (
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets/conformance"
	_ "github.com/snnc/snnc/targets/crossbar"
)

// TestConformance runs the suite every target runs (targets/conformance).
func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Config{Target: "crossbar", Flags: map[string]string{"device": "ideal"}, CountTol: 0, Models: []string{ir.TLIF, ir.TCubaLIF, ir.TIF}})
}
