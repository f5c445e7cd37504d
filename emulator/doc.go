// Package emulator is the runtime every chip emulator shares: integer time, the
// barrier-synchronized timestep loop over cores, spike routing between cores with the
// one-step latency and axon delays of shared/spec/loihi.md §2, probes, counters, the
// snn-spikes Stimulus and Trace files, and seeded random streams.
//
// Timing convention (all targets): an event emitted during step t — a compartment that
// fired at t or an external stimulus event at t — is handed to its target core as input
// of step t+1+d, d being the route's delay. Cores step in parallel; spikes are routed
// after the barrier in core order, so results do not depend on GOMAXPROCS.
//
// The package imports only the standard library.
package emulator
