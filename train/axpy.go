package train

// axpyRows adds x_e·base[ids_e·n : ids_e·n+n] to h for the entries e in order (vals nil:
// every x_e = 1). Each element is rounded exactly as adding the rows one at a time (the
// order the ref target accumulates in); with AVX2 four rows go through h per pass.
func axpyRows(h, base []float64, n int, ids []int32, vals []float64) {
	h = h[:n]
	e := 0
	if useSIMD && n >= 16 && n%4 == 0 {
		var x [4]float64
		for ; e+4 <= len(ids); e += 4 {
			j0, j1, j2, j3 := int(ids[e])*n, int(ids[e+1])*n, int(ids[e+2])*n, int(ids[e+3])*n
			r0, r1, r2, r3 := base[j0:j0+n], base[j1:j1+n], base[j2:j2+n], base[j3:j3+n]
			if vals == nil {
				x = [4]float64{1, 1, 1, 1}
			} else {
				x = [4]float64{vals[e], vals[e+1], vals[e+2], vals[e+3]}
			}
			axpy4AVX2(&h[0], n, &r0[0], &r1[0], &r2[0], &r3[0], &x)
		}
	}
	for ; e < len(ids); e++ {
		j := int(ids[e]) * n
		row := base[j : j+n]
		xj := 1.0
		if vals != nil {
			xj = vals[e]
		}
		addRow(h, row, xj)
	}
}

// useSIMD selects the AVX2 kernels when the CPU has them (tests switch it off to compare).
var useSIMD = hasAVX2
