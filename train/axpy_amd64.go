//go:build amd64 && !noasm

package train

//go:noescape
func axpy4AVX2(h *float64, n int, w0, w1, w2, w3 *float64, x *[4]float64)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv0() (eax uint32)

// hasAVX2 reports whether the CPU and the OS support AVX2 (CPUID.7.EBX[5], OSXSAVE and AVX
// in CPUID.1.ECX[27, 28], XMM and YMM state enabled in XCR0).
var hasAVX2 = func() bool {
	if max, _, _, _ := cpuid(0, 0); max < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	if c1&(1<<27) == 0 || c1&(1<<28) == 0 || xgetbv0()&6 != 6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0
}()

//go:noescape
func closedStepAVX2(I, U, S, acc, accK, h *float64, n int, c *[8]float64, mask *byte)
