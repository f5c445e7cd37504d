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
//   - core.go, tree.go: one Loihi core's compartments (int32 structure of arrays in chip
//     mode, the spec functions in lava mode and for trees) and its window of the
//     machine's accumulator ring; simd*.go: the AVX-512 / AVX2 chip-mode update.
//   - fanout.go: the synapses fanned out by source (accumulator word, synapse word,
//     delay) with per-destination-core counts; graded inputs and readout outputs.
//   - run.go: the run loop — workers own whole cores, deliver the previous step's spikes
//     into their own accumulators, update, and account the cost model (§9).
//   - target.go, payload.go, machine.go, spec.go: registration, the image payload, the
//     Machine, the hardware and energy profiles (Davies 2018 or SANA-FE "measured").
//   - cuba.go: the CUBA benchmark network (one-τ and two-dendrite forms).
//
// Invariants: results are bit-identical for any GOMAXPROCS and worker count
// (accumulator words are wrapping int32 sums, so delivery order does not matter; spikes
// are gathered in neuron order; statistics are integer sums and maxima); the image
// payload is deterministic JSON; a spike emitted at step t is integrated at t+1+delay
// (one-step latency per layer, always).
package loihi
