package crossbar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

// Profile is one device technology (shared/spec/crossbar.md "Device profiles"), as data.
// Conductances are in µS, times in seconds.
type Profile struct {
	Name   string  `json:"name"`
	GMin   float64 `json:"g_min_us"`
	GMax   float64 `json:"g_max_us"`
	Levels int     `json:"levels"` // conductance levels per device; 0 = continuous
	// ProgNoise is σ(G) of programming, applied once after quantization to levels.
	ProgNoise Curve `json:"prog_noise"`
	// ReadNoise is redrawn at every read.
	ReadNoise ReadNoise `json:"read_noise"`
	Drift     Drift     `json:"drift"`
	// SpreadGMaxCV and SpreadGMinCV are the device-to-device coefficients of variation.
	SpreadGMaxCV float64 `json:"spread_gmax_cv"`
	SpreadGMinCV float64 `json:"spread_gmin_cv"`
	// StuckOff (at Gmin) and StuckOn (at Gmax) are fault probabilities per device.
	StuckOff float64 `json:"stuck_off"`
	StuckOn  float64 `json:"stuck_on"`
	// WireOhm is the wire resistance per cell pitch (row and column wires).
	WireOhm float64 `json:"wire_ohm"`
	// ADCNoise is the ADC input-referred noise σ in normalized output units (one
	// full-scale cell pair read at V_read = 1).
	ADCNoise float64 `json:"adc_noise"`
	// Ideal marks the ideal profile: every non-ideality off, ideal ADC.
	Ideal bool `json:"ideal,omitempty"`
}

// Curve is σ(G) in µS. Kinds:
//
//	"none"
//	"linear"     σ = A + B·G
//	"poly_ghat"  σ = (Poly[0] + Poly[1]·ĝ + Poly[2]·ĝ² + ...)·Scale, ĝ = G/Gmax
//	"table"      σ linearly interpolated in the (G, Sigma) table, clamped at its ends
//
// The result is clipped at ≥ 0.
type Curve struct {
	Kind  string    `json:"kind"`
	A     float64   `json:"a_us,omitempty"`
	B     float64   `json:"b,omitempty"`
	Poly  []float64 `json:"poly,omitempty"`
	Scale float64   `json:"scale,omitempty"`
	G     []float64 `json:"g_us,omitempty"`
	Sigma []float64 `json:"sigma_us,omitempty"`
}

// ReadNoise kinds:
//
//	"none"
//	"relative"  σ = Rel·G
//	"table"     σ(G) from Curve (static in time)
//	"pcm_1f"    σ = G·Q·√ln((t+t_r)/(2t_r)), Q = min(Q0/ĝ^QExp, QMax), t = max(age, TMin)
type ReadNoise struct {
	Kind  string  `json:"kind"`
	Rel   float64 `json:"rel,omitempty"`
	Curve *Curve  `json:"curve,omitempty"`
	Q0    float64 `json:"q0,omitempty"`
	QExp  float64 `json:"q_exp,omitempty"`
	QMax  float64 `json:"q_max,omitempty"`
	TRead float64 `json:"t_read_s,omitempty"`
	TMin  float64 `json:"t_min_s,omitempty"`
}

// Drift kinds:
//
//	"none"
//	"relax"  G(t) = G0 + z·SigmaPerDecade·log10((t+T0)/T0), z ~ N(0,1) per device
//	"power"  G(t) = G0·((t+T0)/T0)^−ν, ν ~ N(μ_ν, σ_ν) per device,
//	         μ_ν = clamp(MuA·ln ĝ + MuB, MuLo, MuHi), σ_ν = clamp(SigA·ln ĝ + SigB, SigLo, SigHi)
type Drift struct {
	Kind           string  `json:"kind"`
	T0             float64 `json:"t0_s,omitempty"`
	SigmaPerDecade float64 `json:"sigma_us_per_decade,omitempty"`
	MuA            float64 `json:"mu_a,omitempty"`
	MuB            float64 `json:"mu_b,omitempty"`
	MuLo           float64 `json:"mu_lo,omitempty"`
	MuHi           float64 `json:"mu_hi,omitempty"`
	SigA           float64 `json:"sig_a,omitempty"`
	SigB           float64 `json:"sig_b,omitempty"`
	SigLo          float64 `json:"sig_lo,omitempty"`
	SigHi          float64 `json:"sig_hi,omitempty"`
}

// builtinProfiles holds the spec's numbers (shared/spec/crossbar.md, device table).
var builtinProfiles = map[string]Profile{
	"rram": {
		Name: "rram", GMin: 1, GMax: 40, Levels: 16,
		ProgNoise:    Curve{Kind: "linear", A: 1.0, B: 0.02},
		ReadNoise:    ReadNoise{Kind: "relative", Rel: 0.01},
		Drift:        Drift{Kind: "relax", T0: 20, SigmaPerDecade: 0.04},
		SpreadGMaxCV: 0.05, SpreadGMinCV: 0.10,
		StuckOff: 0.01, StuckOn: 0.005, WireOhm: 1, ADCNoise: 0.04,
	},
	"pcm": {
		Name: "pcm", GMin: 0.1, GMax: 25, Levels: 0,
		ProgNoise: Curve{Kind: "poly_ghat", Poly: []float64{0.2635, 1.965, -1.1731}, Scale: 1}, // Gmax / 25 µS,
		ReadNoise: ReadNoise{Kind: "pcm_1f", Q0: 0.0088, QExp: 0.65, QMax: 0.2, TRead: 250e-9, TMin: 1},
		Drift: Drift{Kind: "power", T0: 20,
			MuA: -0.0155, MuB: 0.0244, MuLo: 0.049, MuHi: 0.1,
			SigA: -0.0125, SigB: -0.0059, SigLo: 0.008, SigHi: 0.045},
		SpreadGMaxCV: 0.05, SpreadGMinCV: 0.10,
		StuckOff: 0.01, StuckOn: 0.005, WireOhm: 1, ADCNoise: 0.04,
	},
	"ideal": {
		Name: "ideal", GMin: 1, GMax: 40, Levels: 0,
		ProgNoise: Curve{Kind: "none"}, ReadNoise: ReadNoise{Kind: "none"}, Drift: Drift{Kind: "none"},
		Ideal: true,
	},
}

// ProfileNames lists the built-in profiles.
func ProfileNames() []string {
	out := make([]string, 0, len(builtinProfiles))
	for n := range builtinProfiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// BuiltinProfile returns a copy of a built-in profile.
func BuiltinProfile(name string) (Profile, error) {
	p, ok := builtinProfiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("%w: --device %q unknown (known: %v, or --device-file PROFILE.json)", ErrProfile, name, ProfileNames())
	}
	p.ProgNoise.Poly = append([]float64(nil), p.ProgNoise.Poly...)
	return p, nil
}

// ReadProfileFile reads and validates a user profile.
func ReadProfileFile(path string) (Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %v", ErrProfile, err)
	}
	p, err := ParseProfile(b)
	if err != nil {
		return Profile{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// ParseProfile decodes a JSON profile (unknown keys rejected) and validates it.
func ParseProfile(b []byte) (Profile, error) {
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Profile{}, fmt.Errorf("%w: %v", ErrProfile, err)
	}
	if p.Name == "" {
		p.Name = "user"
	}
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

// Validate checks every field, naming the first bad one with its value and the allowed range.
func (p *Profile) Validate() error {
	bad := func(field string, v any, allowed string) error {
		return fmt.Errorf("%w %q: %s = %v, want %s", ErrProfile, p.Name, field, v, allowed)
	}
	fin := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	if !fin(p.GMin) || p.GMin < 0 {
		return bad("g_min_us", p.GMin, "a number ≥ 0")
	}
	if !fin(p.GMax) || p.GMax <= p.GMin {
		return bad("g_max_us", p.GMax, fmt.Sprintf("a number > g_min_us (%v)", p.GMin))
	}
	if p.Levels < 0 || p.Levels == 1 || p.Levels > 1<<16 {
		return bad("levels", p.Levels, "0 (continuous) or 2..65536")
	}
	for _, f := range []struct {
		name string
		v    float64
		hi   float64
	}{{"spread_gmax_cv", p.SpreadGMaxCV, 1}, {"spread_gmin_cv", p.SpreadGMinCV, 1}, {"stuck_off", p.StuckOff, 1},
		{"stuck_on", p.StuckOn, 1}, {"wire_ohm", p.WireOhm, 1e6}, {"adc_noise", p.ADCNoise, 1e3}} {
		if !fin(f.v) || f.v < 0 || f.v > f.hi {
			return bad(f.name, f.v, fmt.Sprintf("0..%v", f.hi))
		}
	}
	if p.StuckOff+p.StuckOn > 1 {
		return bad("stuck_off + stuck_on", p.StuckOff+p.StuckOn, "≤ 1")
	}
	if err := p.ProgNoise.validate(p.Name, "prog_noise"); err != nil {
		return err
	}
	switch r := p.ReadNoise; r.Kind {
	case "none", "":
	case "relative":
		if !fin(r.Rel) || r.Rel < 0 || r.Rel > 1 {
			return bad("read_noise.rel", r.Rel, "0..1")
		}
	case "table":
		if r.Curve == nil {
			return bad("read_noise.curve", nil, "a σ(G) curve object")
		}
		if err := r.Curve.validate(p.Name, "read_noise.curve"); err != nil {
			return err
		}
	case "pcm_1f":
		if !(r.Q0 >= 0) || !(r.QExp >= 0) || !(r.QMax > 0) || !(r.TRead > 0) || !(r.TMin >= 0) {
			return bad("read_noise (pcm_1f)", fmt.Sprintf("q0=%v q_exp=%v q_max=%v t_read_s=%v t_min_s=%v", r.Q0, r.QExp, r.QMax, r.TRead, r.TMin),
				"q0 ≥ 0, q_exp ≥ 0, q_max > 0, t_read_s > 0, t_min_s ≥ 0")
		}
	default:
		return bad("read_noise.kind", r.Kind, `"none", "relative", "table" or "pcm_1f"`)
	}
	switch d := p.Drift; d.Kind {
	case "none", "":
	case "relax":
		if !(d.T0 > 0) || !(d.SigmaPerDecade >= 0) {
			return bad("drift (relax)", fmt.Sprintf("t0_s=%v sigma_us_per_decade=%v", d.T0, d.SigmaPerDecade), "t0_s > 0, sigma_us_per_decade ≥ 0")
		}
	case "power":
		if !(d.T0 > 0) || !(d.MuLo <= d.MuHi) || !(d.SigLo <= d.SigHi) || d.SigLo < 0 || d.MuLo < 0 || d.MuHi > 1 {
			return bad("drift (power)", fmt.Sprintf("t0_s=%v mu_lo..mu_hi=%v..%v sig_lo..sig_hi=%v..%v", d.T0, d.MuLo, d.MuHi, d.SigLo, d.SigHi),
				"t0_s > 0, 0 ≤ mu_lo ≤ mu_hi ≤ 1, 0 ≤ sig_lo ≤ sig_hi")
		}
	default:
		return bad("drift.kind", d.Kind, `"none", "relax" or "power"`)
	}
	return nil
}

func (c *Curve) validate(prof, field string) error {
	bad := func(sub string, v any, allowed string) error {
		return fmt.Errorf("%w %q: %s.%s = %v, want %s", ErrProfile, prof, field, sub, v, allowed)
	}
	switch c.Kind {
	case "none", "":
	case "linear":
		if math.IsNaN(c.A) || math.IsNaN(c.B) || math.IsInf(c.A, 0) || math.IsInf(c.B, 0) {
			return bad("a_us/b", fmt.Sprint(c.A, c.B), "finite numbers")
		}
	case "poly_ghat":
		if len(c.Poly) == 0 || len(c.Poly) > 8 {
			return bad("poly", c.Poly, "1..8 coefficients")
		}
		if !(c.Scale > 0) {
			return bad("scale", c.Scale, "> 0")
		}
	case "table":
		if len(c.G) < 1 || len(c.G) != len(c.Sigma) {
			return bad("g_us/sigma_us", fmt.Sprintf("%d/%d entries", len(c.G), len(c.Sigma)), "equal non-zero lengths")
		}
		for i := range c.G {
			if i > 0 && !(c.G[i] > c.G[i-1]) {
				return bad(fmt.Sprintf("g_us[%d]", i), c.G[i], fmt.Sprintf("> g_us[%d] = %v (increasing)", i-1, c.G[i-1]))
			}
			if !(c.Sigma[i] >= 0) || math.IsInf(c.Sigma[i], 0) {
				return bad(fmt.Sprintf("sigma_us[%d]", i), c.Sigma[i], "a finite number ≥ 0")
			}
		}
	default:
		return bad("kind", c.Kind, `"none", "linear", "poly_ghat" or "table"`)
	}
	return nil
}

// At returns σ(G) in µS, clipped at ≥ 0.
func (c *Curve) At(g, gmax float64) float64 {
	var s float64
	switch c.Kind {
	case "linear":
		s = c.A + c.B*g
	case "poly_ghat":
		gh := g / gmax
		p := 1.0
		for _, k := range c.Poly {
			s += k * p
			p *= gh
		}
		s *= c.Scale
	case "table":
		n := len(c.G)
		switch {
		case g <= c.G[0]:
			s = c.Sigma[0]
		case g >= c.G[n-1]:
			s = c.Sigma[n-1]
		default:
			i := sort.SearchFloat64s(c.G, g)
			f := (g - c.G[i-1]) / (c.G[i] - c.G[i-1])
			s = c.Sigma[i-1] + f*(c.Sigma[i]-c.Sigma[i-1])
		}
	}
	return max(s, 0)
}

// ReadSigma is σ of one read of a device at conductance g (µS), age seconds after programming.
func (p *Profile) ReadSigma(g, age float64) float64 {
	r := &p.ReadNoise
	switch r.Kind {
	case "relative":
		return r.Rel * math.Abs(g)
	case "table":
		return r.Curve.At(g, p.GMax)
	case "pcm_1f":
		gh := max(g/p.GMax, 1e-6)
		q := min(r.Q0/math.Pow(gh, r.QExp), r.QMax)
		t := max(age, r.TMin)
		l := math.Log((t + r.TRead) / (2 * r.TRead))
		if l <= 0 {
			return 0
		}
		return math.Abs(g) * q * math.Sqrt(l)
	}
	return 0
}

// Drifted returns the conductance at age seconds of a device programmed to g0; z is the
// device's fixed standard normal draw for its drift (ν or relaxation direction).
func (p *Profile) Drifted(g0, age, z float64) float64 {
	d := &p.Drift
	if age <= 0 {
		return g0
	}
	switch d.Kind {
	case "relax":
		return max(0, g0+z*d.SigmaPerDecade*math.Log10((age+d.T0)/d.T0))
	case "power":
		return g0 * math.Pow((age+d.T0)/d.T0, -p.Nu(g0, z))
	}
	return g0
}

// Nu is the drift exponent ν of a device at programmed conductance g0 with draw z.
func (p *Profile) Nu(g0, z float64) float64 {
	d := &p.Drift
	lg := math.Log(max(g0/p.GMax, 1e-6))
	mu := min(max(d.MuA*lg+d.MuB, d.MuLo), d.MuHi)
	sg := min(max(d.SigA*lg+d.SigB, d.SigLo), d.SigHi)
	return mu + sg*z
}
