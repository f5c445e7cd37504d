package compiler

import "github.com/snnc/snnc/ir"

// Lower runs the pass table on a copy of g and returns the netlist.
func Lower(g *ir.Graph, opt Options) (*ir.Netlist, error) {
	panic("BUG: Lower not written yet")
}
