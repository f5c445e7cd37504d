// Package snnjson reads and writes snn-json v1, snnc's model format
// (shared/spec/model-format.md; user documentation in docs/model-format.md).
//
// Decode parses a document into an ir.Graph, collecting every problem as ir.Issues,
// each naming its JSON path (graph.nodes.fc1.weight, graph.edges[3], time.dt) with what
// was found and what is allowed. It then normalizes the graph (Normalize: documented
// defaults filled in, scalars broadcast, padding made explicit, shapes inferred; every
// change is one line of the graph's conversion log) and verifies it (ir.Graph.Verify).
//
// Encode writes the canonical form: fixed key order, nodes sorted by name, floats in
// their shortest round-trip form, small tensors inline, large ones base64. For every
// graph g returned by Decode, Decode(Encode(g)) equals g (apart from the conversion log)
// and Encode is a fixed point: Encode(Decode(Encode(g))) is byte-identical to Encode(g).
//
// Invariants: a decoded tensor never holds more than MaxElements values and its
// allocation is checked before it is made; external tensor files are read only from
// inside the model's folder (symlinks resolved); Decode never panics on any input
// (FuzzDecode).
package snnjson
