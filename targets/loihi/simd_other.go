//go:build !amd64 || noasm

package loihi

// No vector update without the assembly (other architectures, or the noasm tag): the
// scalar chipUniform runs.
var simdKernels []simdKernel
