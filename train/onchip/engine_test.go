package onchip

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/snnc/snnc/emulator"
)

// TestCompartmentFixture runs the nengo-loihi ("chip" semantics, notes §2.4) example
// vector case_09 (refractory delays, vmin clip, mixed weights) through the Engine with
// learning off and compares u, v and spikes bit for bit.
func TestCompartmentFixture(t *testing.T) {
	data, err := os.ReadFile("../../../shared/fixtures/loihi/case_09_nengo_refractory_vclip.json")
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	var fx struct {
		NumSteps int     `json:"num_steps"`
		Raster   [][]int `json:"input_raster"`
		Layers   []struct {
			Weights  [][]int `json:"weights"`
			WExp     int     `json:"weight_exp"`
			Du, Dv   int
			Vth      int64
			BiasMant []int64 `json:"bias_mant"`
			BiasExp  []int   `json:"bias_exp"`
			Refract  []int   `json:"refract_delay"`
		}
		Expected []struct {
			U, V   [][]int64
			Spikes [][]int
		}
	}
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	l := fx.Layers[0]
	for j := range l.Weights { // one engine per compartment: refract_delay differs per neuron
		e, err := New(Config{NPre: len(l.Weights[j]), NPost: 1, W: l.Weights[j], WeightExp: l.WExp, Sign: SignMixed,
			Cx: Compartment{Du: l.Du, Dv: l.Dv, Vth: l.Vth, BiasMant: l.BiasMant[j], BiasExp: l.BiasExp[j],
				RefractDelay: l.Refract[j], NegVmLimit: 10, PosVmLimit: 7}})
		if err != nil {
			t.Fatal(err)
		}
		pre := make([]bool, len(l.Weights[j]))
		for s := 1; s <= fx.NumSteps; s++ {
			// input_raster[t] is emitted at step t+1 and integrated at step t+2 (notes §12).
			for i := range pre {
				pre[i] = s >= 2 && fx.Raster[s-2][i] == 1
			}
			post, err := e.Step(Input{Pre: pre})
			if err != nil {
				t.Fatal(err)
			}
			ex := fx.Expected[0]
			if e.st[0].u != ex.U[s-1][j] || e.st[0].v != ex.V[s-1][j] || post[0] != (ex.Spikes[s-1][j] == 1) {
				t.Fatalf("neuron %d step %d: u %d v %d spike %v, want u %d v %d spike %d", j, s, e.st[0].u, e.st[0].v, post[0], ex.U[s-1][j], ex.V[s-1][j], ex.Spikes[s-1][j])
			}
		}
	}
}

// TestTraceStochasticRounding: the mean of the stochastically rounded decay equals the
// exact product, and floor-only decay would be visibly biased.
func TestTraceStochasticRounding(t *testing.T) {
	c := TraceFromTau(0, 10) // D = round(4096·(1 − e^−0.1))
	r := emulator.NewRand(5, 0)
	const n = 20000
	sum := 0.0
	for k := 0; k < n; k++ {
		sum += float64(decayTrace(37, &c, r))
	}
	exact := 37 * float64(4096-c.Decay) / 4096
	if got := sum / n; math.Abs(got-exact) > 0.02 {
		t.Errorf("mean decayed trace %.4f, want %.4f", got, exact)
	}
	imp := TraceFromTau(10.25, 0)
	if imp.Impulse != 10 || imp.ImpulseFrac != 32 {
		t.Fatalf("TraceFromTau(10.25): %+v", imp)
	}
	sum = 0
	for k := 0; k < n; k++ {
		sum += float64(impulseTrace(0, &imp, r))
	}
	if got := sum / n; math.Abs(got-10.25) > 0.02 {
		t.Errorf("mean impulse %.4f, want 10.25", got)
	}
	if got := impulseTrace(120, &imp, r); got != TraceMax {
		t.Errorf("impulse saturates at %d, want %d", got, TraceMax)
	}
}

// TestWriteBack: the weight precision, sign-mode saturation and epoch timing of the
// learning phase, with a rule whose result is exact (no stochastic rounding involved).
func TestWriteBack(t *testing.T) {
	tests := []struct {
		name     string
		rule     string
		bits     int
		sign     SignMode
		w0, want int
		steps    int
	}{
		{"add 8 per epoch", "dw = 2^3*u0", 8, SignExc, 100, 100 + 8*3, 12},
		{"saturate exc", "dw = 2^3*u0", 8, SignExc, 250, 255, 4},
		{"saturate exc at 6 bits", "dw = 2^3*u0", 6, SignExc, 240, 252, 8},
		{"saturate at zero", "dw = -2^3*u0", 8, SignExc, 10, 0, 8},
		{"mixed floor", "dw = -2^3*u0", 8, SignMixed, -250, -256, 8},
		{"inh", "dw = 2^1*u0*w", 8, SignInh, -20, -180, 8},
		{"inh saturates", "dw = 2^1*u0*w", 8, SignInh, -20, -255, 12},
		{"u2 decimates", "dw = u2", 8, SignExc, 0, 1, 4 * 7},
		{"w dependent", "dw = -2^-1*u0*w", 8, SignExc, 128, 16, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(Config{NPre: 1, NPost: 1, Cx: Compartment{Vth: 1000, RefractDelay: 1}, W: []int{tc.w0},
				NumWeightBits: tc.bits, Sign: tc.sign, Rules: MustParseRules(tc.rule), TEpoch: 4, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			for s := 0; s < tc.steps; s++ {
				if _, err := e.Step(Input{Pre: []bool{false}}); err != nil {
					t.Fatal(err)
				}
			}
			if got := e.Weights()[0]; got != tc.want {
				t.Errorf("w = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestStochasticWriteBack: a change of 1/4 weight unit per epoch accumulates as 1/4 on
// average (the accumulator is rounded stochastically, not truncated).
func TestStochasticWriteBack(t *testing.T) {
	e, err := New(Config{NPre: 1, NPost: 1, Cx: Compartment{Vth: 1000, RefractDelay: 1}, W: []int{0},
		Sign: SignExc, Rules: MustParseRules("dw = 2^-2*u0"), TEpoch: 1, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 800; s++ {
		e.Step(Input{Pre: []bool{false}})
	}
	if got := e.Weights()[0]; got < 170 || got > 230 {
		t.Errorf("w after 800 epochs of +1/4 = %d, want about 200", got)
	}
}

func TestDelayAndTagRules(t *testing.T) {
	e, err := New(Config{NPre: 1, NPost: 1, Cx: Compartment{Vth: 1000, RefractDelay: 1}, W: []int{0},
		Rules: MustParseRules("dd = u0; dt = -2^2*u0"), TEpoch: 2, Seed: 1, Delay: []int{60}, Tag: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 200; s++ {
		e.Step(Input{Pre: []bool{false}})
	}
	if d, tg := e.Delays()[0], e.Tags()[0]; d != MaxDelay || tg != TagMin {
		t.Errorf("delay %d tag %d, want saturated %d and %d", d, tg, MaxDelay, TagMin)
	}
}

// TestDelayedDelivery: a pre spike at step s with delay d reaches u at step s + d (the
// arriving spike is this step's input), with contribution shexp(w, e) << 6.
func TestDelayedDelivery(t *testing.T) {
	e, err := New(Config{NPre: 1, NPost: 1, Cx: Compartment{Du: 4095, Dv: 0, Vth: 100000, RefractDelay: 1},
		W: []int{5}, WeightExp: 2, Delay: []int{3}})
	if err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= 6; s++ {
		e.Step(Input{Pre: []bool{s == 1}})
		want := int64(0)
		if s >= 4 {
			want = 5 << 2 << 6
		}
		if e.st[0].v != want {
			t.Errorf("step %d: v = %d, want %d", s, e.st[0].v, want)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	ok := Config{NPre: 2, NPost: 1, Cx: Compartment{Vth: 10, RefractDelay: 1}, W: []int{1, 2}}
	tests := []struct {
		name string
		mod  func(c *Config)
	}{
		{"no neurons", func(c *Config) { c.NPre = 0 }},
		{"W length", func(c *Config) { c.W = []int{1} }},
		{"du", func(c *Config) { c.Cx.Du = 4096 }},
		{"vth", func(c *Config) { c.Cx.Vth = 1 << 17 }},
		{"refract", func(c *Config) { c.Cx.RefractDelay = 0 }},
		{"weight exp", func(c *Config) { c.WeightExp = 8 }},
		{"weight bits", func(c *Config) { c.NumWeightBits = 9 }},
		{"epoch", func(c *Config) { c.TEpoch = 64 }},
		{"trace impulse", func(c *Config) { c.Y2.Impulse = 128 }},
		{"trace decay", func(c *Config) { c.X1.Decay = 4097 }},
		{"delay", func(c *Config) { c.Delay = []int{0, 64} }},
		{"tag", func(c *Config) { c.Tag = []int{0, 256} }},
	}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			if _, err := New(c); !errors.Is(err, ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
		})
	}
	e, _ := New(ok)
	if _, err := e.Step(Input{Pre: []bool{true}}); !errors.Is(err, ErrInput) {
		t.Errorf("short Pre: err = %v", err)
	}
	if _, err := e.Step(Input{Pre: []bool{true, false}, Reward: []bool{}}); !errors.Is(err, ErrInput) {
		t.Errorf("short Reward: err = %v", err)
	}
}
