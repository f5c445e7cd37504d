//go:build !amd64 || noasm

package train

const hasAVX2 = false

func axpy4AVX2(h *float64, n int, w0, w1, w2, w3 *float64, x *[4]float64) {
	panic("axpy4AVX2 without AVX2")
}

func closedStepAVX2(I, U, S, acc, accK, h *float64, n int, c *[8]float64, mask *byte) {
	panic("closedStepAVX2 without AVX2")
}
