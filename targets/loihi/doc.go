// Package loihi is the `--target loihi` backend (shared/spec/loihi.md, normative; evidence
// in loihi-notes.md): Loihi-style digital neuromorphic cores emulated bit-exactly.
//
// What it owns:
//   - arith.go: the compartment arithmetic of spec §3 as small pure functions, in two
//     modes (chip: nengo-loihi / silicon-validated wraps; lava: Lava's CPU bit-accurate
//     models, artifacts included).
//   - mc.go: snnc.MultiCompartment → compartment trees (§7; tree.go runs them).
//   - quant.go, syn.go: weight legalization (§4), native nodes (§5) and the float
//     quantizer (§6), built on package quantize; projections expanded to synapses.
//   - mapper.go: splitting populations over cores and chips under the per-core limits
//     of §8; every violation is reported before an image exists.
//   - core.go: one emulator.Core per Loihi core (CSR synapse table per input axon, int32
//     dendritic accumulators with a delay ring, SoA compartment state).
//   - cost.go: the cost model of §9 (Davies 2018 Table 2 or SANA-FE "measured").
//   - target.go, image.go, machine.go: registration, the image payload and Machine.
//
// Invariants: results are bit-identical for any GOMAXPROCS (cores only touch their own
// state; the engine routes in core order); the image payload is deterministic JSON; a
// spike emitted at step t is integrated at t+1+delay (one-step latency per layer, always).
package loihi
