package loihi

import "testing"

// BenchmarkStepChip measures the compartment update alone (ns per compartment).
func BenchmarkStepChip(b *testing.B) {
	n := 4096
	c := &core{mode: Chip, n: n, q: make([]int32, n)}
	for i := 0; i < n; i++ {
		c.cx = append(c.cx, NewCx(Chip, 400, 20, 4000, 100, 3, 51, 23, 7))
		c.init = append(c.init, State{U: int64(i * 100), V: int64(i * 50)})
	}
	c.initChip()
	cur := make([]int32, n)
	fired := make([]int32, 0, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, fired = c.stepChip(cur, fired[:0])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/compartment")
}
