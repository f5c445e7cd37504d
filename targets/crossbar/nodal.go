package crossbar

import "math"

// nodalSolver solves the resistive network of one tile read exactly (docs/crossbar.md
// "IR drop, nodal"): every active row is a wire driven at V_r through one segment at
// column 0, with a segment of resistance r between neighbouring columns; every column is a
// wire held at virtual ground by its sense amplifier below the last tile row; cell (i, p)
// conducts G·(u_ip − w_ip) between row node u and column node w. Rows whose access
// transistor is off are absent. The linear system is solved by block Gauss–Seidel: each
// row is a tridiagonal system given the column voltages, each column one given the row
// voltages, alternately, until the largest update is below 1e-13·max|V|.
type nodalSolver struct {
	u, w       []float64 // n×P row and column node voltages
	rows       []int     // active tile rows, sorted
	volt       []float64
	a, b, c, d []float64 // tridiagonal scratch
	sol        []float64
	iters      int
}

const nodalMaxIter = 2000

// solve overwrites acc (len P) with the column currents in µS·V_read units.
func (s *nodalSolver) solve(R int, t *tileDev, act []activeRow, rOhm float64, acc []float64) {
	P := t.P
	// merge duplicate rows, sort
	s.rows = s.rows[:0]
	s.volt = s.volt[:0]
	sorted := append([]activeRow(nil), act...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j].r < sorted[j-1].r; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	for _, a := range sorted {
		if n := len(s.rows); n > 0 && s.rows[n-1] == int(a.r) {
			s.volt[n-1] += a.v
			continue
		}
		s.rows = append(s.rows, int(a.r))
		s.volt = append(s.volt, a.v)
	}
	n := len(s.rows)
	if cap(s.u) < n*P {
		s.u = make([]float64, n*P)
		s.w = make([]float64, n*P)
	}
	u, w := s.u[:n*P], s.w[:n*P]
	vmax := 0.0
	for k, v := range s.volt {
		for p := 0; p < P; p++ {
			u[k*P+p] = v
			w[k*P+p] = 0
		}
		vmax = max(vmax, math.Abs(v))
	}
	m := max(n, P)
	if cap(s.a) < m {
		s.a, s.b, s.c, s.d, s.sol = make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, m), make([]float64, m)
	}
	g := func(k, p int) float64 { return t.g[s.rows[k]*P+p] * 1e-6 } // S
	for s.iters = 0; s.iters < nodalMaxIter; s.iters++ {
		delta := 0.0
		// Rows: −u_{p−1} + (2 + r·g_p)·u_p − u_{p+1} = r·g_p·w_p, u_{−1} = V; the last
		// node has one wire neighbour: (1 + r·g)·u − u_{p−1} = r·g·w.
		for k := 0; k < n; k++ {
			a, b, c, d := s.a[:P], s.b[:P], s.c[:P], s.d[:P]
			for p := 0; p < P; p++ {
				gp := g(k, p)
				a[p], c[p] = -1, -1
				b[p] = 2 + rOhm*gp
				d[p] = rOhm * gp * w[k*P+p]
			}
			d[0] += s.volt[k]
			a[0] = 0
			b[P-1] -= 1
			c[P-1] = 0
			x := thomas(a, b, c, d, s.sol[:P])
			for p := 0; p < P; p++ {
				delta = max(delta, math.Abs(x[p]-u[k*P+p]))
				u[k*P+p] = x[p]
			}
		}
		// Columns over the active rows (top to bottom); the wire between rows i and j
		// has resistance r·(j−i), from the last active row to ground r·(R − row).
		for p := 0; p < P; p++ {
			a, b, c, d := s.a[:n], s.b[:n], s.c[:n], s.d[:n]
			for k := 0; k < n; k++ {
				gk := g(k, p)
				var up, dn float64 // conductances of the wire above and below
				if k > 0 {
					up = 1 / (rOhm * float64(s.rows[k]-s.rows[k-1]))
				}
				if k < n-1 {
					dn = 1 / (rOhm * float64(s.rows[k+1]-s.rows[k]))
				} else {
					dn = 1 / (rOhm * float64(R-s.rows[k]))
				}
				a[k], c[k] = -up, -dn
				if k == n-1 {
					c[k] = 0
				}
				b[k] = up + dn + gk
				d[k] = gk * u[k*P+p]
			}
			x := thomas(a, b, c, d, s.sol[:n])
			for k := 0; k < n; k++ {
				delta = max(delta, math.Abs(x[k]-w[k*P+p]))
				w[k*P+p] = x[k]
			}
		}
		if delta <= 1e-13*vmax {
			break
		}
	}
	last := s.rows[n-1]
	for p := 0; p < P; p++ {
		acc[p] = w[(n-1)*P+p] / (rOhm * float64(R-last)) * 1e6
	}
}

// thomas solves the tridiagonal system a_i·x_{i−1} + b_i·x_i + c_i·x_{i+1} = d_i.
func thomas(a, b, c, d, x []float64) []float64 {
	n := len(b)
	cp := make([]float64, n)
	dp := x
	cp[0] = c[0] / b[0]
	dp[0] = d[0] / b[0]
	for i := 1; i < n; i++ {
		m := b[i] - a[i]*cp[i-1]
		cp[i] = c[i] / m
		dp[i] = (d[i] - a[i]*dp[i-1]) / m
	}
	for i := n - 2; i >= 0; i-- {
		dp[i] -= cp[i] * dp[i+1]
	}
	return dp
}
