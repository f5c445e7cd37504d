package analog

import (
	"bytes"
	"math"
	"testing"

	"github.com/snnc/snnc/emulator"
)

// TestMismatchCV: with mismatch on (noise off), the spread of τ_mem and threshold
// measured through the readout over 50 neurons matches the configured CV within
// sampling error (standard error of a CV estimate from n samples ≈ CV/√(2n)).
func TestMismatchCV(t *testing.T) {
	prof := profiles["bss2"]
	for _, scale := range []float64{1, 0.5} {
		t.Run(map[float64]string{1: "mismatch_1", 0.5: "mismatch_0.5"}[scale], func(t *testing.T) {
			ch := newChip(prof, 11, conditions{Mismatch: scale, Temperature: 300, RefTemp: 300})
			b := &bench{prof: prof, chip: ch, rng: emulator.NewRand(11, streamBench), frame: 1e-6}
			var codes [nParam][]int
			for k := range codes {
				c := prof.clampCode(prof.dacCodeF(k, map[int]float64{pTauMem: prof.TauMem.Ref, pTauSyn: prof.TauSyn.Ref,
					pLeak: tauLeak, pReset: tauReset, pThreshold: prof.VThreshold, pGain: 1}[k]))
				codes[k] = make([]int, prof.Neurons)
				for j := range codes[k] {
					codes[k][j] = c
				}
			}
			r := b.run(codes, circuit{}, 12*prof.TauMem.Max/2, 0)
			const n = 50
			taus, leaks := make([]float64, n), make([]float64, n)
			for j := 0; j < n; j++ {
				taus[j], leaks[j] = r.tau(j), r.plateau(j)
			}
			for k := range codes[pLeak] {
				codes[pLeak][k] = prof.clampCode(prof.dacCodeF(pLeak, 230))
				codes[pReset][k] = prof.clampCode(prof.dacCodeF(pReset, prof.VReset))
			}
			r = b.run(codes, circuit{spiking: true}, 400e-6, 0)
			thrs := make([]float64, 0, n)
			for j := 0; len(thrs) < n && j < prof.Neurons; j++ {
				if th := r.threshold(j); !math.IsInf(th, 0) {
					thrs = append(thrs, th)
				}
			}
			want := prof.MismatchCV * scale
			se := want / math.Sqrt(2*n)
			for _, c := range []struct {
				name string
				x    []float64
			}{{"tau_mem", taus}, {"leak", leaks}, {"threshold", thrs}} {
				got := cv(c.x)
				t.Logf("%s: measured CV %.3f over %d neurons, configured %.3f (±%.3f)", c.name, got, len(c.x), want, 3*se)
				if math.Abs(got-want) > 3*se+0.01 {
					t.Errorf("%s: measured CV %.3f, configured %.3f (3σ sampling error %.3f)", c.name, got, want, 3*se)
				}
			}
		})
	}
}

// TestCalibrationReducesSpread: calibrating chip 7 reduces the measured spread of τ_mem
// and threshold by at least 4× (spec: ≈ 20 % → ≈ 3 %), and the file round-trips.
func TestCalibrationReducesSpread(t *testing.T) {
	if testing.Short() {
		t.Skip("calibration bench takes a few seconds")
	}
	cal, err := Calibrate(profiles["bss2"], 7, CalibrateOptions{Mismatch: 1, Noise: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"tau_mem", "threshold", "gain", "tau_syn_half_rise"} {
		s := cal.Spread[p]
		t.Logf("%s: measured CV %.3f before, %.3f after calibration (%.1f×)", p, s.Before, s.After, s.Before/s.After)
		if !(s.Before >= 4*s.After) {
			t.Errorf("%s: spread %.3f → %.3f, want ≥ 4× reduction", p, s.Before, s.After)
		}
	}
	var buf bytes.Buffer
	if err := cal.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCalibration(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.check(profiles["bss2"], 7); err != nil {
		t.Error(err)
	}
	if err := back.check(profiles["bss2"], 8); err == nil {
		t.Error("a calibration for chip 7 was accepted for chip 8")
	}
}
