package analog

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/snnc/snnc/emulator"
)

// Calibration file identifiers.
const (
	CalibrationFormat  = "snnc-analog-calibration"
	CalibrationVersion = "1.0.0"
)

// benchSubsteps is the bench's internal steps per frame (spike-time resolution).
const benchSubsteps = 10

// streamBench is the noise stream of the calibration bench.
const streamBench = 0x500

// Calibration is one chip instance's parameter DAC codes at the calibration targets,
// found by measuring every neuron through the readout (CADC samples, spike times).
// A target other than the calibration target is reached by correcting the ideal code:
// a code shift for the log-scaled time-constant DACs, a code ratio for linear ones.
type Calibration struct {
	Format        string             `json:"format"`
	FormatVersion string             `json:"format_version"`
	Profile       string             `json:"profile"`
	Seed          uint64             `json:"seed"`
	Temperature   float64            `json:"temperature_k"`
	Targets       map[string]float64 `json:"targets"`
	Codes         map[string][]int   `json:"codes"`
	// Spread is the measured coefficient of variation per parameter before and after.
	Spread map[string]Spread `json:"spread"`
}

// Spread is a measured coefficient of variation over the chip's neurons.
type Spread struct {
	Before float64 `json:"before"`
	After  float64 `json:"after"`
}

// ReadCalibrationFile reads and validates a calibration file.
func ReadCalibrationFile(path string) (*Calibration, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCalibration, err)
	}
	defer f.Close()
	c, err := ReadCalibration(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ReadCalibration decodes a calibration.
func ReadCalibration(r io.Reader) (*Calibration, error) {
	var c Calibration
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCalibration, err)
	}
	if c.Format != CalibrationFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrCalibration, c.Format, CalibrationFormat)
	}
	if c.FormatVersion == "" || c.FormatVersion[0] != '1' {
		return nil, fmt.Errorf("%w: format_version %q not supported", ErrCalibration, c.FormatVersion)
	}
	prof, err := LookupProfile(c.Profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCalibration, err)
	}
	for _, name := range paramNames {
		codes := c.Codes[name]
		if len(codes) != prof.Neurons {
			return nil, fmt.Errorf("%w: codes.%s has %d entries, the %s chip has %d neurons", ErrCalibration, name, len(codes), prof.Name, prof.Neurons)
		}
		for i, x := range codes {
			if x < 0 || x > prof.dacMax() {
				return nil, fmt.Errorf("%w: codes.%s[%d] = %d outside 0..%d", ErrCalibration, name, i, x, prof.dacMax())
			}
		}
		if t, ok := c.Targets[name]; !ok || !(t > 0) {
			return nil, fmt.Errorf("%w: targets.%s missing or not positive", ErrCalibration, name)
		}
	}
	if !(c.Temperature > 0) {
		return nil, fmt.Errorf("%w: temperature_k must be > 0", ErrCalibration)
	}
	return &c, nil
}

// Write encodes the calibration (deterministic JSON).
func (c *Calibration) Write(w io.Writer) error {
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// check verifies that the calibration belongs to this chip instance.
func (c *Calibration) check(p *Profile, seed uint64) error {
	if c.Profile != p.Name {
		return fmt.Errorf("%w: the calibration is for profile %s, the image for %s", ErrCalibration, c.Profile, p.Name)
	}
	if c.Seed != seed {
		return fmt.Errorf("%w: the calibration is for chip --seed %d, this chip is --seed %d (calibrate each chip instance)", ErrCalibration, c.Seed, seed)
	}
	return nil
}

// CalibrateOptions are the bench conditions of a calibration run.
type CalibrateOptions struct {
	Mismatch, Noise float64 // scales (1: the profile's)
	Temperature     float64 // kelvin; 0: the profile's reference
	// Progress, when set, is told each finished search step.
	Progress func(step, total int)
}

// bench measures every neuron of a chip instance through its readout only: it sets
// DAC codes, runs the neurons with no input, and returns CADC samples and spike times.
// It never reads chip.factor; only array's readout path (recorder) reaches it.
type bench struct {
	prof  *Profile
	chip  *chip
	noise float64
	rng   *emulator.Rand
	frame float64 // chip seconds per frame
}

type recording struct {
	n      int
	times  []float64
	codes  [][]int32 // per sample, per neuron
	spikes [][]float64
}

func (r *recording) sample(tc float64, codes []int32) {
	r.times = append(r.times, tc)
	r.codes = append(r.codes, append([]int32(nil), codes...))
}

func (r *recording) spike(j int, tc float64) { r.spikes[j] = append(r.spikes[j], tc) }

// run sets the codes and records dur chip seconds from the reset state, with a constant
// input drive (readout units, entering through each neuron's synaptic-input gain).
func (b *bench) run(codes [nParam][]int, cir circuit, dur, drive float64) *recording {
	n := b.prof.Neurons
	ps := make([]neuronParams, n)
	for j := range ps {
		ps[j] = neuronParams{
			tauMem: b.chip.value(pTauMem, j, codes[pTauMem][j]),
			tauSyn: b.chip.value(pTauSyn, j, codes[pTauSyn][j]),
			leak:   b.chip.value(pLeak, j, codes[pLeak][j]),
			reset:  b.chip.value(pReset, j, codes[pReset][j]),
			thr:    b.chip.value(pThreshold, j, codes[pThreshold][j]),
		}
	}
	a := newArray(cir, ps, b.frame, 0, 0, 0, b.prof, b.prof.NoiseLSB*b.noise, b.rng)
	a.setSubsteps(benchSubsteps)
	rec := &recording{n: n, spikes: make([][]float64, n)}
	a.rec = rec
	a.reset()
	frames := int(math.Ceil(dur / b.frame))
	for f := 0; f < frames; f++ {
		if drive != 0 {
			for j := range a.u {
				a.u[j] = drive * b.chip.value(pGain, j, codes[pGain][j])
			}
		}
		a.advance(nil, 0)
	}
	return rec
}

// plateau is the mean sample of each neuron over the last quarter of the recording.
func (r *recording) plateau(j int) float64 {
	lo := len(r.times) * 3 / 4
	s := 0.0
	for k := lo; k < len(r.times); k++ {
		s += float64(r.codes[k][j])
	}
	return s / float64(len(r.times)-lo)
}

// halfTime is the time the membrane first passes halfway from its first sample to the
// plateau (linear interpolation between samples).
func (r *recording) halfTime(j int) float64 {
	v0 := float64(r.codes[0][j])
	half := v0 + (r.plateau(j)-v0)/2
	for k := 1; k < len(r.times); k++ {
		a, b := float64(r.codes[k-1][j]), float64(r.codes[k][j])
		if b >= half && a < half {
			return r.times[k-1] + (half-a)/(b-a)*(r.times[k]-r.times[k-1])
		}
	}
	return math.Inf(1)
}

// stepHalfTime is when the ideal membrane response to a drive step through a synapse
// with τs (τm·dV/dt = −V + I, τs·dI/dt = −I + D) reaches half its final value.
func stepHalfTime(tm, ts float64) float64 {
	resp := func(t float64) float64 {
		if math.Abs(tm-ts) < 1e-9*tm {
			x := t / tm
			return 1 - math.Exp(-x)*(1+x)
		}
		return 1 - (tm*math.Exp(-t/tm)-ts*math.Exp(-t/ts))/(tm-ts)
	}
	lo, hi := 0.0, 50*(tm+ts)
	for range 200 {
		mid := (lo + hi) / 2
		if resp(mid) < 0.5 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// tau fits the relaxation from the first sample toward the plateau: the slope of
// ln(plateau − V) over samples at least tauFitMin readout units from the plateau,
// weighted by (plateau − V)² (the variance of the log of a noisy sample ∝ 1/d²).
func (r *recording) tau(j int) float64 {
	vl := r.plateau(j)
	var sw, sx, sy, sxx, sxy float64
	n := 0
	for k, t := range r.times {
		d := vl - float64(r.codes[k][j])
		if d < tauFitMin {
			if n > 0 {
				break
			}
			continue
		}
		y := math.Log(d)
		w := d * d
		sw, sx, sy, sxx, sxy = sw+w, sx+w*t, sy+w*y, sxx+w*t*t, sxy+w*t*y
		n++
	}
	if n < 2 {
		return 0 // faster than the sampling: too small
	}
	slope := (sw*sxy - sx*sy) / (sw*sxx - sx*sx)
	if slope >= 0 {
		return math.Inf(1)
	}
	return -1 / slope
}

// threshold estimates the firing threshold per cycle by extrapolating the last two
// samples before each spike to the spike time, averaged over cycles (+Inf: no spikes).
func (r *recording) threshold(j int) float64 {
	var sum float64
	n := 0
	k := 0
	for _, ts := range r.spikes[j] {
		for k < len(r.times) && r.times[k] < ts {
			k++
		}
		if k < 2 {
			continue
		}
		t1, t2 := r.times[k-2], r.times[k-1]
		v1, v2 := float64(r.codes[k-2][j]), float64(r.codes[k-1][j])
		if v2 <= v1 { // sample straddles a reset: skip the cycle
			continue
		}
		sum += v2 + (v2-v1)/(t2-t1)*(ts-t2)
		n++
	}
	switch {
	case n > 0:
		return sum / float64(n)
	case len(r.spikes[j]) > 0:
		return 0 // fires at once after every reset: the threshold is below the reset
	}
	return math.Inf(1) // never fires: the threshold is above the leak

}

// Measurement protocols of the bench (potentials in readout units).
const (
	tauLeak   = 160 // leak target while measuring τ_mem (relaxing up from the reset)
	tauReset  = 50
	tauFitMin = 12
	gainLeak  = 60  // leak (and start) while measuring the gain and τ_syn
	gainDrive = 80  // input drive while measuring the gain and τ_syn
	thrLeak   = 200 // leak target while measuring the threshold (regular firing)
)

// Calibrate measures and calibrates chip seed of profile prof (spec "calibration").
func Calibrate(prof *Profile, seed uint64, opt CalibrateOptions) (*Calibration, error) {
	if prof.CADCPeriod <= 0 {
		return nil, fmt.Errorf("%w: the %s chip has no membrane ADC to calibrate through", ErrNoReadout, prof.Name)
	}
	if prof.SharedParams {
		return nil, fmt.Errorf("%w: %s sets neuron parameters per core; per-neuron calibration is not possible", ErrCalibration, prof.Name)
	}
	temp := opt.Temperature
	if temp == 0 {
		temp = prof.TempRef
	}
	ch := newChip(prof, seed, conditions{Mismatch: opt.Mismatch, Noise: opt.Noise, Temperature: temp, RefTemp: prof.TempRef})
	b := &bench{prof: prof, chip: ch, noise: opt.Noise, rng: emulator.NewRand(seed, streamBench), frame: 1e-6 * prof.Speedup / 1000}
	targets := map[string]float64{
		"tau_mem": prof.TauMem.Ref, "tau_syn": prof.TauSyn.Ref, "leak": prof.VReset, "reset": prof.VReset,
		"threshold": prof.VThreshold, "gain": 1,
	}
	n := prof.Neurons
	var codes [nParam][]int
	for k := 0; k < nParam; k++ {
		codes[k] = make([]int, n)
		c := prof.clampCode(prof.dacCodeF(k, targets[paramNames[k]]))
		for j := range codes[k] {
			codes[k][j] = c
		}
	}
	nominal := codes
	for k := range nominal {
		nominal[k] = append([]int(nil), codes[k]...)
	}
	steps := 0
	total := 6 * (prof.DACBits + 1)
	tick := func() {
		steps++
		if opt.Progress != nil {
			opt.Progress(steps, total)
		}
	}
	settle := 12 * prof.TauMem.Max / 2 // long enough for the slowest mismatched τ to settle
	// search binary-searches param's code of every neuron (all transfers increase with
	// the code), measuring with measure, and keeps the code closest to target.
	search := func(param int, target float64, measure func() []float64) {
		lo, hi := make([]int, n), make([]int, n)
		for j := range hi {
			hi[j] = prof.dacMax()
		}
		// Bisection to the first code whose measurement reaches the target. The result is
		// where the bracket closes, not the code with the closest noisy measurement (that
		// would favour a lucky noise draw over a converged bracket).
		for it := 0; it <= prof.DACBits; it++ {
			for j := range codes[param] {
				codes[param][j] = (lo[j] + hi[j]) / 2
			}
			got := measure()
			for j, g := range got {
				c := codes[param][j]
				if lo[j] >= hi[j] {
					continue
				}
				if g < target {
					lo[j] = c + 1
				} else {
					hi[j] = c
				}
			}
			tick()
		}
		copy(codes[param], lo)
	}
	withCode := func(param int, target float64, f func()) {
		// temporarily set param to target using the calibration found so far
		saved := append([]int(nil), codes[param]...)
		for j := range codes[param] {
			t := prof.dacCodeF(param, targets[paramNames[param]])
			codes[param][j] = prof.clampCode(prof.dacCodeF(param, target) * float64(saved[j]) / t)
		}
		f()
		copy(codes[param], saved)
	}
	// 1. reset: sample at t = 0 (the membrane is held at the reset potential)
	search(pReset, targets["reset"], func() []float64 {
		r := b.run(codes, circuit{}, 2*prof.CADCPeriod, 0)
		out := make([]float64, n)
		for j := range out {
			out[j] = float64(r.codes[0][j])
		}
		return out
	})
	// 2. leak: the plateau with the threshold comparator off
	search(pLeak, targets["leak"], func() []float64 {
		r := b.run(codes, circuit{}, settle, 0)
		out := make([]float64, n)
		for j := range out {
			out[j] = r.plateau(j)
		}
		return out
	})
	// 3. τ_mem: relaxation from a low reset toward a high leak
	measureTau := func() []float64 {
		var out []float64
		withCode(pLeak, tauLeak, func() {
			withCode(pReset, tauReset, func() {
				r := b.run(codes, circuit{}, settle, 0)
				out = make([]float64, n)
				for j := range out {
					out[j] = r.tau(j)
				}
			})
		})
		return out
	}
	search(pTauMem, targets["tau_mem"], measureTau)
	// 4. synaptic input gain: the plateau shift a constant input drive causes
	measureGain := func() []float64 {
		var out []float64
		withCode(pLeak, gainLeak, func() {
			base := b.run(codes, circuit{}, settle, 0)
			step := b.run(codes, circuit{}, settle, gainDrive)
			out = make([]float64, n)
			for j := range out {
				out[j] = step.plateau(j) - base.plateau(j)
			}
		})
		return out
	}
	search(pGain, gainDrive, measureGain)
	// 5. τ_syn: the half-rise time of the response to a drive step through the synapse,
	// against the ideal one at the calibrated τ_mem.
	wantHalf := stepHalfTime(prof.TauMem.Ref, prof.TauSyn.Ref)
	measureHalf := func() []float64 {
		var out []float64
		withCode(pLeak, gainLeak, func() {
			withCode(pReset, gainLeak, func() {
				r := b.run(codes, circuit{syn: true}, settle, gainDrive)
				out = make([]float64, n)
				for j := range out {
					out[j] = r.halfTime(j)
				}
			})
		})
		return out
	}
	search(pTauSyn, wantHalf, measureHalf)
	// 6. threshold: regular firing with the leak above the threshold
	measureThr := func() []float64 {
		var out []float64
		withCode(pLeak, thrLeak, func() {
			r := b.run(codes, circuit{spiking: true}, settle, 0)
			out = make([]float64, n)
			for j := range out {
				out[j] = r.threshold(j)
			}
		})
		return out
	}
	search(pThreshold, targets["threshold"], measureThr)
	cal := &Calibration{Format: CalibrationFormat, FormatVersion: CalibrationVersion, Profile: prof.Name, Seed: seed,
		Temperature: temp, Targets: targets, Codes: map[string][]int{}, Spread: map[string]Spread{}}
	for k, name := range paramNames {
		cal.Codes[name] = codes[k]
	}
	// measured spread before (nominal codes) and after
	after := codes
	codes = nominal
	measures := []struct {
		name string
		f    func() []float64
	}{{"tau_mem", measureTau}, {"threshold", measureThr}, {"gain", measureGain}, {"tau_syn_half_rise", measureHalf}}
	before := make([][]float64, len(measures))
	for k, m := range measures {
		before[k] = m.f()
	}
	codes = after
	for k, m := range measures {
		cal.Spread[m.name] = Spread{Before: cv(before[k]), After: cv(m.f())}
	}
	return cal, nil
}

// cv is the coefficient of variation of the measurable values of x (a neuron that never
// fires, +Inf, or fires at once after every reset, 0, has no threshold to measure).
func cv(x []float64) float64 {
	var s, ss, n float64
	for _, v := range x {
		if math.IsInf(v, 0) || math.IsNaN(v) || v == 0 {
			continue
		}
		s += v
		ss += v * v
		n++
	}
	if n < 2 {
		return math.NaN()
	}
	m := s / n
	return math.Sqrt(math.Max(ss/n-m*m, 0)*n/(n-1)) / m
}
