package analog

import (
	"math"

	"github.com/snnc/snnc/emulator"
)

// circuit is the neuron circuit configuration of an array.
type circuit struct {
	syn     bool // current-based synaptic integrator (CubaLIF); else input drives the membrane
	adex    bool // adaptation current (and exponential term when expSlope > 0)
	spiking bool
}

// neuronParams are the actual (as-built) parameters of one neuron, in chip units.
type neuronParams struct {
	tauMem, tauSyn   float64 // chip seconds
	leak, reset, thr float64 // readout units
	// adaptation (AdEx): tauW chip seconds, aSub subthreshold coupling, bJump spike jump
	// (readout units), expSlope ΔT and expThr V_T of the exponential term (0: off).
	tauW, aSub, bJump, expSlope, expThr float64
}

// recorder receives what the chip's readout sees (calibration bench).
type recorder interface {
	sample(tc float64, codes []int32)
	spike(j int, tc float64)
}

// array integrates a group of neurons in continuous time (spec "analog": fine internal
// step, exact exponential integration of the linear parts). It is what one emulator core
// steps and what the calibration bench measures.
type array struct {
	n       int
	cir     circuit
	dtc     float64 // chip seconds per frame (one model step)
	nsub    int     // internal steps per frame
	h       float64 // internal step, chip seconds
	refrac  int64   // refractory frames after the spike frame
	adcMax  float64
	period  float64 // CADC sampling period (0: no ADC)
	p       []neuronParams
	noiseSD float64 // stationary membrane-noise σ, readout units (0: off)

	// per-neuron coefficients over one internal step
	beta, alpha, kappa, sig, alphaW, hExp []float64

	// state
	v, i, w    []float64
	clampUntil []int64
	u          []float64 // drive of the current frame (readout units)
	cadc       []int32   // latest CADC sample per neuron
	frame      int64
	nextSample float64
	v0         []float64
	rng        *emulator.Rand
	rec        recorder
}

// newArray prepares an array with stepsPerTau internal steps per minTau, the smallest
// time constant of the model (the image's targets, not the mismatched values: the step
// is a property of the emulation, not of the chip instance).
func newArray(cir circuit, p []neuronParams, dtc, minTau, stepsPerTau float64, refrac int, prof *Profile, noiseSD float64, rng *emulator.Rand) *array {
	n := len(p)
	a := &array{n: n, cir: cir, dtc: dtc, refrac: int64(refrac), adcMax: prof.adcMax(), period: prof.CADCPeriod,
		p: p, noiseSD: noiseSD, rng: rng}
	a.nsub = 1
	if n > 0 && stepsPerTau > 0 && minTau > 0 {
		a.nsub = max(1, int(math.Ceil(dtc/(minTau/stepsPerTau)-1e-9)))
	}
	mk := func() []float64 { return make([]float64, n) }
	a.beta, a.alpha, a.kappa, a.sig, a.alphaW, a.hExp = mk(), mk(), mk(), mk(), mk(), mk()
	a.setSubsteps(a.nsub)
	a.v, a.i, a.w, a.u, a.v0 = mk(), mk(), mk(), mk(), mk()
	a.clampUntil = make([]int64, n)
	a.cadc = make([]int32, n)
	for j := range a.v0 {
		a.v0[j] = p[j].reset
	}
	a.reset()
	return a
}

// setSubsteps sets the number of internal steps per frame and the coefficients.
func (a *array) setSubsteps(nsub int) {
	a.nsub = nsub
	a.h = a.dtc / float64(nsub)
	for j, q := range a.p {
		a.setCoef(j, q)
	}
}

// setCoef computes neuron j's per-internal-step coefficients: the exact solution of
//
//	τs·dI/dt = −I + u,  τm·dV/dt = (V_leak − V) + I − w
//
// over one internal step h with u and w held: I ← u + (I − u)·α,
// V ← V_leak + d + (V − V_leak − d)·β + (I₀ − u)·κ with d = u − w (d = u − w and
// I = 0 without a synapse), α = e^(−h/τs), β = e^(−h/τm), κ = τs/(τs − τm)·(α − β)
// (h/τm·e^(−h/τm) when τs = τm).
func (a *array) setCoef(j int, q neuronParams) {
	h := a.h
	a.beta[j] = math.Exp(-h / q.tauMem)
	if a.cir.syn {
		a.alpha[j] = math.Exp(-h / q.tauSyn)
		if d := q.tauSyn - q.tauMem; math.Abs(d) > 1e-12*q.tauMem {
			a.kappa[j] = q.tauSyn / d * (a.alpha[j] - a.beta[j])
		} else {
			a.kappa[j] = h / q.tauMem * a.beta[j]
		}
	}
	// Ornstein–Uhlenbeck membrane noise sampled exactly per internal step: stationary σ.
	a.sig[j] = a.noiseSD * math.Sqrt(1-a.beta[j]*a.beta[j])
	if a.cir.adex && q.tauW > 0 {
		a.alphaW[j] = math.Exp(-h / q.tauW)
	}
	a.hExp[j] = h / q.tauMem
}

func (a *array) reset() {
	copy(a.v, a.v0)
	clear(a.i)
	clear(a.w)
	clear(a.u)
	for j := range a.clampUntil {
		a.clampUntil[j] = -1
	}
	a.frame = 0
	a.nextSample = 0
	a.sampleAll(0)
}

// gauss returns an approximately standard-normal value (Irwin–Hall sum of four 16-bit
// uniforms, scaled to unit variance; bounded at ±3.46): cheap enough for the hot loop.
func gauss(r *emulator.Rand) float64 {
	x := r.Uint64()
	s := (x & 0xffff) + (x >> 16 & 0xffff) + (x >> 32 & 0xffff) + (x >> 48)
	return ((float64(s)+2)/65536 - 2) * math.Sqrt(3)
}

// quantize is the CADC conversion: round to the nearest code and clip to 0..2^bits−1.
func (a *array) quantize(v float64) int32 {
	c := math.Round(v)
	if c < 0 {
		c = 0
	} else if c > a.adcMax {
		c = a.adcMax
	}
	return int32(c)
}

func (a *array) sampleAll(tc float64) {
	if a.period <= 0 {
		return
	}
	for j, v := range a.v {
		a.cadc[j] = a.quantize(v)
	}
	if a.rec != nil {
		a.rec.sample(tc, a.cadc)
	}
	a.nextSample = tc + a.period
}

// advance integrates one frame with the drive a.u (cleared afterwards) and appends the
// indices (plus off) of neurons that fired to fired. A neuron that crosses its threshold
// is clamped to its reset potential until the end of the frame plus refrac frames (the
// refractory counter runs on the model-step clock), so it fires at most once per frame.
func (a *array) advance(fired []int32, off int32) ([]int32, int) {
	t := a.frame
	spikes := 0
	n := a.n
	v, cur, u, w := a.v[:n], a.i[:n], a.u[:n], a.w[:n]
	beta, alpha, kappa, sig := a.beta[:n], a.alpha[:n], a.kappa[:n], a.sig[:n]
	clamp := a.clampUntil[:n]
	p := a.p[:n]
	noise := a.noiseSD > 0
	syn, adex, spiking := a.cir.syn, a.cir.adex, a.cir.spiking
	for s := 0; s < a.nsub; s++ {
		for j := 0; j < n; j++ {
			q := &p[j]
			uj := u[j]
			var vj float64
			if syn {
				i0 := cur[j]
				d := uj - w[j]
				vj = q.leak + d + (v[j]-q.leak-d)*beta[j] + (i0-uj)*kappa[j]
				cur[j] = uj + (i0-uj)*alpha[j]
			} else {
				d := uj - w[j]
				vj = q.leak + d + (v[j]-q.leak-d)*beta[j]
			}
			if adex {
				if q.expSlope > 0 {
					vj += a.hExp[j] * q.expSlope * math.Exp(math.Min((v[j]-q.expThr)/q.expSlope, 20))
				}
				if q.tauW > 0 {
					w[j] = w[j]*a.alphaW[j] + (1-a.alphaW[j])*q.aSub*(v[j]-q.leak)
				}
			}
			if t <= clamp[j] {
				v[j] = q.reset
				continue
			}
			if noise {
				vj += sig[j] * gauss(a.rng)
			}
			if spiking && vj > q.thr {
				vj = q.reset
				clamp[j] = t + a.refrac
				if adex {
					w[j] += q.bJump
				}
				fired = append(fired, off+int32(j))
				spikes++
				if a.rec != nil {
					a.rec.spike(j, (float64(t)*float64(a.nsub)+float64(s+1))*a.h)
				}
			}
			v[j] = vj
		}
		if a.period > 0 {
			tc := (float64(t)*float64(a.nsub) + float64(s+1)) * a.h
			for tc >= a.nextSample-1e-15 {
				a.sampleAll(a.nextSample)
			}
		}
	}
	clear(u)
	a.frame++
	return fired, spikes
}
