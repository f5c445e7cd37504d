// Package targets defines what a chip target is (Target, Image, Machine), hardware
// descriptions as data (Spec), the registry every target adds itself to with one line,
// the versioned image file envelope, and the conformance harness every target runs.
//
// A target compiles a Netlist once into an Image (quantized and placed) and loads it
// many times into Machines; one Machine is one chip instance with its own fixed
// device properties (mismatch, faults) drawn from the load seed, which nothing outside
// the target can read.
package targets
