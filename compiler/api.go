package compiler

import (
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Options control lowering.
type Options struct {
	// Dt overrides the model's time step when > 0.
	Dt float64
	// Verify runs ir checks after every pass (tests turn it on).
	Verify bool
	// Dump, when set, receives the graph after every pass.
	Dump func(pass string, g *ir.Graph)
}

// Result is a compiled network.
type Result struct {
	Netlist *ir.Netlist
	Target  targets.Target
	Options targets.Options
	Image   targets.Image
	Report  *targets.Report
}

// Build lowers g and compiles it for the named target.
func Build(g *ir.Graph, target string, opt Options, topt targets.Options) (*Result, error) {
	t, err := targets.Lookup(target)
	if err != nil {
		return nil, err
	}
	nl, err := Lower(g, opt)
	if err != nil {
		return nil, err
	}
	topt = targets.WithDefaults(t, topt)
	img, rep, err := t.Compile(nl, topt)
	if err != nil {
		return nil, fmt.Errorf("compile for %s: %w", target, err)
	}
	return &Result{Netlist: nl, Target: t, Options: topt, Image: img, Report: rep}, nil
}
