// Package ir owns snnc's two intermediate representations.
//
// Graph is a NIR graph: typed nodes with float parameters, edges between them and
// the semantics header of the snn-json format (dt, discretization, reset rule,
// threshold compare, edge latency). It has continuous-time meaning; Verify checks
// it and collects every problem, each naming the node or edge.
//
// Netlist is the lowered form every target compiles: populations of neurons with
// per-neuron parameters (already discretized at dt) and projections between them
// with dense, sparse, conv or one-to-one connectivity and per-synapse delays.
//
// Invariants: node names are unique; Graph.Nodes is kept sorted by name so every
// walk is deterministic; Netlist populations are in topological order of the
// zero-latency edges; a Projection's weight layout is (post, pre) row-major.
// The package imports only the standard library.
package ir
