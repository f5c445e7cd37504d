package crossbar

import (
	"context"
	"testing"
)

// BenchmarkMLP784 runs a 784-512-10 LIF network for 100 steps on an rram chip with every
// non-ideality on (programming and read noise, spread, faults, drift at 1 d, first-order
// IR drop, 8-bit ADC with noise) and reports cell reads per second.
func BenchmarkMLP784(b *testing.B) {
	nl := mlp(7, []int{784, 512, 10}, 4)
	steps := 100
	stim := poisson(8, 784, steps, 0.1)
	_, m := compileLoad(b, nl, flags("device", "rram", "age", "1d"))
	ctx := context.Background()
	var cells, weights, energy, lat float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Reset()
		tr, err := m.Run(ctx, stim, steps, nil)
		if err != nil {
			b.Fatal(err)
		}
		c, _ := tr.Stat("cell_reads")
		w, _ := tr.Stat("synaptic_events")
		e, _ := tr.Stat("energy_j")
		l, _ := tr.Stat("time_s")
		cells += c
		weights += w
		energy, lat = e, l
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(cells/sec, "cell-reads/s")
	b.ReportMetric(weights/sec, "weight-reads/s")
	b.ReportMetric(energy, "J/inference")
	b.ReportMetric(lat, "s/inference")
}
