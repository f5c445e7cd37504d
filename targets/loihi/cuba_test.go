package loihi

import (
	"context"
	"testing"
	"time"

	"github.com/snnc/snnc/targets"
)

func TestCUBARate(t *testing.T) {
	if testing.Short() {
		t.Skip("CUBA 1 s")
	}
	nl := CUBA(CUBAConfig{N: 4000, SynPerNeuron: 80, Seed: 1})
	t0 := time.Now()
	tg := New(Loihi1)
	img, rep, err := tg.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tc := time.Since(t0)
	m, _ := tg.Load(img, targets.Options{})
	t1 := time.Now()
	tr, err := m.Run(context.Background(), nil, 10000, nil)
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(t1)
	sp, _ := tr.Stat("spikes")
	ev, _ := tr.Stat("synaptic_events")
	rate := sp / 4000
	exact := CUBAExactRate(nl, 10000)
	t.Logf("compile %v, run %v, loihi rate %.2f Hz, exact two-τ float rate %.2f Hz, %.3g events\n%v", tc, wall, rate, exact, ev, rep.Warnings)
	if rate < 0.8*exact || rate > 1.2*exact {
		t.Errorf("loihi CUBA rate %.2f Hz not within 20 %% of the exact model's %.2f Hz", rate, exact)
	}
}

func benchCUBA(b *testing.B, n int, steps int) {
	nl := CUBA(CUBAConfig{N: n, SynPerNeuron: 80, Seed: 1})
	tg := New(Loihi1)
	img, _, err := tg.Compile(nl, targets.Options{Flags: map[string]string{"chips": "1024"}})
	if err != nil {
		b.Fatal(err)
	}
	m, _ := tg.Load(img, targets.Options{})
	b.ResetTimer()
	var ev, sp float64
	for i := 0; i < b.N; i++ {
		m.Reset()
		tr, err := m.Run(context.Background(), nil, steps, nil)
		if err != nil {
			b.Fatal(err)
		}
		ev, _ = tr.Stat("synaptic_events")
		sp, _ = tr.Stat("spikes")
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(ev/sec, "events/s")
	b.ReportMetric(float64(n*steps)/sec, "updates/s")
	b.ReportMetric(sp/float64(n)/(float64(steps)*1e-4), "Hz")
}

// BenchmarkCUBA4k is 1 s of the CUBA benchmark (4000 neurons, 10,000 steps).
func BenchmarkCUBA4k(b *testing.B) { benchCUBA(b, 4000, 10000) }

// BenchmarkCUBA64k / 256k: the scaling curve at 80 synapses per neuron (100 ms).
func BenchmarkCUBA64k(b *testing.B)  { benchCUBA(b, 64000, 1000) }
func BenchmarkCUBA256k(b *testing.B) { benchCUBA(b, 256000, 1000) }

// TestCUBATwoTau: CUBA with τe and τi kept as two LI dendrites joined by ADD into a LIF
// soma (spec §7) fires within 10 % of the exact two-τ float model (0.5 s, 2000 neurons).
func TestCUBATwoTau(t *testing.T) {
	const steps = 5000
	nl := CUBATwoTau(CUBAConfig{N: 2000, SynPerNeuron: 80, Seed: 1})
	tg := New(Loihi1)
	img, rep, err := tg.Compile(nl, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tg.Load(img, targets.Options{})
	tr, err := m.Run(context.Background(), nil, steps, nil)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := tr.Stat("spikes")
	rate := sp / 2000 / (steps * 1e-4)
	exact := CUBAExactRate(CUBA(CUBAConfig{N: 2000, SynPerNeuron: 80, Seed: 1}), steps)
	t.Logf("two-compartment loihi %.2f Hz, exact two-τ float %.2f Hz\n%v", rate, exact, rep.Warnings)
	if rate < 0.9*exact || rate > 1.1*exact {
		t.Errorf("rate %.2f Hz not within 10 %% of the exact model's %.2f Hz", rate, exact)
	}
}
