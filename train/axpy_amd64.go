//go:build amd64 && !noasm

package train

import "golang.org/x/sys/cpu"

//go:noescape
func axpy4AVX2(h *float64, n int, w0, w1, w2, w3 *float64, x *[4]float64)

// hasAVX2 reports whether the CPU and the OS support AVX2 (x/sys/cpu checks both).
var hasAVX2 = cpu.X86.HasAVX2

//go:noescape
func closedStepAVX2(I, U, S, acc, accK, h *float64, n int, c *[8]float64, mask *byte)
