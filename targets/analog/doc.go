// Package analog is the "analog" target: mixed-signal neuromorphic chips whose neurons
// and synapses are continuous-time circuits (shared/spec/analog.md), with the profiles
// bss2 (BrainScaleS-2-like, 1000× accelerated, the default) and dynapse2 (DYNAP-SE2-like,
// real time, parameters per core). docs/analog.md documents the model and its choices.
//
// Compile maps each population onto LIF or AdEx circuits (time constants scaled by the
// speed-up, potentials onto the readout scale) and each projection onto synapse rows
// with 6-bit (bss2) or 4-bit (dynapse2) weight magnitudes and a gain per projection (per
// core on dynapse2); anything that does not fit or is not supported is an error naming
// the population or projection and both numbers. Load draws the chip instance from the
// seed: fixed-pattern mismatch of τ, leak, reset, threshold and synaptic gain, temporal
// membrane noise, and drift with --age and --temperature; a calibration file (snnc
// calibrate) corrects the parameter DAC codes of that one instance.
//
// Invariants:
//   - The chip instance (type chip) never leaves the package: images, reports, traces,
//     Weights and calibration files hold DAC codes and measured readouts, never the
//     mismatch itself. The calibration bench reads neurons only through the CADC samples
//     and spike times a real chip gives.
//   - One emulator core steps one population's slice of one region; all randomness comes
//     from emulator.NewRand(seed, stream) with a stream per parameter or core, so a run is
//     byte-identical for a seed whatever GOMAXPROCS.
//   - Linear parts (synaptic current, membrane) are integrated exactly over each internal
//     step (default 1/20 of the model's smallest τ); a neuron fires at most once per model
//     step and is clamped to its reset until the step ends (the refractory counter runs on
//     the model-step clock), so with every non-ideality off a LIF population spikes in
//     exactly the steps ref computes.
package analog
