// Package llvm is `--target llvm`: the loihi target's quantized network (chip-mode
// arithmetic of shared/spec/loihi.md §2–4) compiled to native code through an LLVM 14 IR
// module generated with github.com/llir/llvm.
//
// What it owns:
//   - payload.go: a mirror of the loihi image payload (version 1) — the llvm target
//     gets the quantized registers and weights through the registry
//     (targets.Lookup("loihi").Compile → Image.Payload) and never imports targets/loihi.
//   - model.go, syn.go: the network the code generator specializes on (registers folded
//     into the forms the update uses; projections as dense rows or CSR tables).
//   - codegen.go: the module: constant data, snn_step (branch-free compartment loop
//     per population, event-driven delivery into per-population accumulator rings for
//     synaptic delays — or, for a "fused" population with one slot and proven-exact
//     wraps, straight into a pre-decayed u, with an explicit vector loop that leaves
//     spike bits), snn_input and snn_input_graded (external unit and graded events;
//     a graded spike adds round(word·value), saturated, per synapse: snn_graded_word),
//     snn_probe, snn_emit and a main that speaks the binary protocol documented there.
//   - harness.go: finding opt/llc (LLVM 14) and cc, building (opt -O3, llc -O3) into a
//     cache keyed by the module hash, running the binary.
//   - target.go, module.go: registration, image (payload = JSON with the loihi payload
//     and the module text), Machine, ModuleText and ModuleMachine for bare .ll files.
//
// Invariants: the native program computes exactly what the Go loihi emulator computes
// in chip mode (spikes, u, v, q, spike probes; tests diff them on every network); the
// module text depends only on the network (stable names and order); a spike emitted at
// step t is integrated at t + 1 + delay.
package llvm
