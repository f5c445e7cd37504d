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

// newArray prepares an array; stepsPerTau internal steps per smallest time constant.
func newArray(cir circuit, p []neuronParams, dtc float64, stepsPerTau float64, refrac int, prof *Profile, noiseSD float64, rng *emulator.Rand) *array {
	n := len(p)
	a := &array{n: n, cir: cir, dtc: dtc, refrac: int64(refrac), adcMax: prof.adcMax(), period: prof.CADCPeriod,
		p: p, noiseSD: noiseSD, rng: rng}
	minTau := math.Inf(1)
	for _, q := range p {
		minTau = math.Min(minTau, q.tauMem)
		if cir.syn {
			minTau = math.Min(minTau, q.tauSyn)
		}
		if cir.adex && q.tauW > 0 {
			minTau = math.Min(minTau, q.tauW)
		}
	}
	a.nsub = 1
	if n > 0 && stepsPerTau > 0 {
		a.nsub = max(1, int(math.Ceil(dtc/(minTau/stepsPerTau)-1e-9)))
	}
	a.h = dtc / float64(a.nsub)
	mk := func() []float64 { return make([]float64, n) }
	a.beta, a.alpha, a.kappa, a.sig, a.alphaW, a.hExp = mk(), mk(), mk(), mk(), mk(), mk()
	for j, q := range p {
		a.setCoef(j, q)
	}
	a.v, a.i, a.w, a.u, a.v0 = mk(), mk(), mk(), mk(), mk()
	a.clampUntil = make([]int64, n)
	a.cadc = make([]int32, n)
	for j := range a.v0 {
		a.v0[j] = p[j].reset
	}
	a.reset()
	return a
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
	noise := a.noiseSD > 0
	for s := 0; s < a.nsub; s++ {
		for j := 0; j < a.n; j++ {
			q := &a.p[j]
			u := a.u[j]
			i0 := a.i[j]
			d := u - a.w[j]
			var v float64
			if a.cir.syn {
				v = q.leak + d + (a.v[j]-q.leak-d)*a.beta[j] + (i0-u)*a.kappa[j]
				a.i[j] = u + (i0-u)*a.alpha[j]
			} else {
				v = q.leak + d + (a.v[j]-q.leak-d)*a.beta[j]
			}
			if a.cir.adex {
				if q.expSlope > 0 {
					v += a.hExp[j] * q.expSlope * math.Exp(math.Min((a.v[j]-q.expThr)/q.expSlope, 20))
				}
				if q.tauW > 0 {
					a.w[j] = a.w[j]*a.alphaW[j] + (1-a.alphaW[j])*q.aSub*(a.v[j]-q.leak)
				}
			}
			if t <= a.clampUntil[j] {
				a.v[j] = q.reset
				continue
			}
			if noise {
				v += a.sig[j] * gauss(a.rng)
			}
			if a.cir.spiking && v > q.thr {
				v = q.reset
				a.clampUntil[j] = t + a.refrac
				if a.cir.adex {
					a.w[j] += q.bJump
				}
				fired = append(fired, off+int32(j))
				spikes++
				if a.rec != nil {
					a.rec.spike(j, (float64(t)*float64(a.nsub)+float64(s+1))*a.h)
				}
			}
			a.v[j] = v
		}
		if a.period > 0 {
			tc := (float64(t)*float64(a.nsub) + float64(s+1)) * a.h
			for tc >= a.nextSample-1e-15 {
				a.sampleAll(a.nextSample)
			}
		}
	}
	clear(a.u)
	a.frame++
	return fired, spikes
}
