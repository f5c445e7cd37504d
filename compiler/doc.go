// Package compiler lowers an ir.Graph (NIR semantics, float, continuous time) to an
// ir.Netlist (populations and projections, discretized at dt) through an ordered table
// of named passes, and hands the netlist to a target.
//
// Passes (Passes lists them in order): normalize (flatten nested graphs, dt override),
// infer-shapes, verify, discretize (per-population decay coefficients, exact or Euler),
// fold (Affine/Linear/Scale/Conv/pool/Flatten/Delay chains between sources and neuron
// nodes become projections with per-synapse delays; biases pushed to the postsynaptic
// population), order (zero-latency evaluation order; edges closing cycles get latency 1),
// lower (the netlist). With Options.Verify the graph is verified after every graph pass
// and the netlist checked at the end.
//
// Invariants: Lower never mutates its input; its output depends only on the input graph
// and options (no map iteration order leaks into it).
package compiler
