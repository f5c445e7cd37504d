// Package nir reads and writes .nir files (NIR graphs stored in HDF5) and turns them
// into ir.Graph values with the snn-json semantics header filled in.
//
// Import reads a file with the package's own bounded HDF5 reader (internal/h5; the
// scigolib/hdf5 library allocates without limit on corrupted input, see docs/nir.md),
// checks it against the NIR layout
// (shared/spec/nir-files.md), applies the source framework's conventions (time step,
// discretization, reset rule, threshold compare, edge latency) and the import
// normalizations of shared/spec/model-format.md, and records every normalization in the
// graph's conversion log (ir.Graph.Log). Export writes a graph that uses only NIR node
// types back to a .nir file with github.com/scigolib/hdf5, keeping the semantics header
// in snnc_* metadata keys.
//
// Invariants:
//   - Untrusted input never panics and never allocates without a bound: every dataset's
//     element count is checked against Limits before it is read, nesting depth and node
//     counts are bounded, and every problem is reported as an error naming the HDF5 path,
//     the node or the edge.
//   - Nested NIRGraph nodes are kept nested (ir.Node.Sub); an edge endpoint may name a node
//     of a sub-graph with dotted addressing ("G.B"). A node name may itself contain dots
//     ("lif1.w_rec"); an exact name always wins over sub-graph addressing, and a name that
//     would collide once sub-graphs are flattened to "outer.inner" is an error.
//   - The result is deterministic: nodes sorted by name, edges in file order, log lines in
//     a fixed order.
package nir
