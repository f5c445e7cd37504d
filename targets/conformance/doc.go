// Package conformance is the suite every target runs (from its own tests):
//
//	conformance.Run(t, conformance.Config{Target: "loihi", CountTol: 0.1})
//
// It compiles a set of small networks built here (feed-forward, recurrent, every float
// neuron model the target claims, delays), runs each on the target and on ref, and checks
// the contract of targets.Machine: outputs named after the model's Output nodes, a run is
// reproducible after Reset, two loads with the same seed agree, unknown probes and
// projections are errors, Weights/SetWeights round-trip, and output spike counts agree
// with ref within the configured tolerance (0 = exactly).
package conformance
