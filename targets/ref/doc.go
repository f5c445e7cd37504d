// Package ref is the float64 reference target: the exact discrete-time semantics of
// shared/spec/model-format.md with no quantization, the oracle every other target is
// differenced against.
//
// With edge_latency "one_step" and only spiking sources, every population is its own
// emulator core (cores step in parallel, the engine routes spikes with one-step
// latency); otherwise the whole network is one core evaluated in zero-latency order,
// edges that close a cycle delivering the previous step's output.
//
// Neuron update per step t (x = summed input arriving at t plus bias):
//
//	I ← alpha·I + a_in·x        (CubaLIF, CubaLI, AdaptiveLIF, AHPLIF; I = x otherwise)
//	v ← beta·v + b_leak + b_in·(I − c)     (c: AHP current, 0 otherwise)
//	refractory: v ← v_reset, no spike
//	θ = v_threshold + beta_adapt·a;  spike = v > θ (or ≥)
//	reset (immediate): to_value v ← v_reset, subtract v ← v − θ;  next_step: applied
//	  at the start of the next update (to_value: start from v_reset; subtract: subtract
//	  θ from the updated value)
//	a ← rho·a + a_adapt·z;  c ← rho·c + a_adapt·w_ahp·z
//
// Probes: NODE.v, NODE.i, NODE.a (AdaptiveLIF), NODE.c (AHPLIF) as f64, NODE.spikes as i32.
package ref
