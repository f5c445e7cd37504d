package ref_test

import (
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets/conformance"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Config{Target: "ref", CountTol: 0, Exact: true,
		Models: []string{ir.TLIF, ir.TCubaLIF, ir.TIF}})
}
