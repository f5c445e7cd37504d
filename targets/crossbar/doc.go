// Package crossbar is the memristive crossbar target ("crossbar", shared/spec/crossbar.md):
// a grid of R×C 1T1R tiles doing the synaptic matrix-vector product in the analog domain,
// with digital LIF-family neurons (or capacitor + threshold-switch memristive neurons) at
// the column outputs.
//
// Pipeline: Compile maps every projection into the row space of its postsynaptic
// population (one row block per tile row, a separate block per distinct synaptic delay),
// splits the population's columns into column groups of C/(2·slices) neurons, stores
// signed weights as differential pairs with a column-wise abs-max scale per tile column,
// and quantizes them to the profile's conductance levels (optionally bit-sliced). Load
// draws one physical chip from the seed: device spread, stuck-at faults, programming
// noise, drift exponents; the age (time since programming) fixes the drifted state. Run
// applies per-read noise (exact aggregate Gaussian per column), IR drop (first-order or an
// exact nodal solve), ADC quantization, bound and noise, digital partial sums and the
// neuron periphery, on emulator.Engine with one Core per (population, column group).
//
// Invariants:
//   - every random draw comes from emulator.NewRand(seed, stream) with a fixed stream
//     per purpose and core, so results do not depend on GOMAXPROCS;
//   - with the ideal profile a run equals the float reference (targets/ref) on the
//     weights Machine.Weights returns;
//   - a Machine is one chip instance: Reset keeps devices, SetWeights re-programs them
//     with the chip's own programming-noise stream.
package crossbar
