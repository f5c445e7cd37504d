package quantize

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestRound(t *testing.T) {
	cases := []struct {
		x    float64
		r    Rounding
		want float64
	}{
		{2.5, HalfAway, 3}, {-2.5, HalfAway, -3}, {2.5, HalfEven, 2}, {3.5, HalfEven, 4},
		{-2.5, Floor, -3}, {-2.5, TowardZero, -2}, {-2.5, Ceil, -2}, {2.1, Ceil, 3},
	}
	for _, c := range cases {
		t.Run(c.r.String(), func(t *testing.T) {
			if got := Round(c.x, c.r); got != c.want {
				t.Errorf("Round(%v, %v) = %v, want %v", c.x, c.r, got, c.want)
			}
		})
	}
	if v, sat := RoundInt(1e12, HalfAway, -10, 10); v != 10 || !sat {
		t.Errorf("RoundInt saturation: %d %v", v, sat)
	}
	if v, sat := RoundInt(math.NaN(), HalfAway, -10, 10); v != 0 || !sat {
		t.Errorf("RoundInt NaN: %d %v", v, sat)
	}
}

func TestWrapShift(t *testing.T) {
	cases := []struct {
		name      string
		got, want int64
	}{
		{"wrap 22 pos", Wrap(1<<21, 22), -(1 << 21)},
		{"wrap 22 neg", Wrap(-(1<<21)-1, 22), 1<<21 - 1},
		{"wrap 24 in range", Wrap(12345, 24), 12345},
		{"shr0 neg", Shr0(-7, 1), -3},
		{"shr0 pos", Shr0(7, 1), 3},
		{"shiftexp neg floors", ShiftExp(-7, -1), -4},
		{"shiftexp left", ShiftExp(5, 3), 40},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %d want %d", c.got, c.want)
			}
		})
	}
}

func TestWrapRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := uint(rapid.IntRange(2, 40).Draw(t, "bits"))
		x := rapid.Int64Range(-(1<<50), 1<<50).Draw(t, "x")
		m := int64(1) << b
		h := m / 2
		want := ((x+h)%m+m)%m - h // the spec's formula
		if got := Wrap(x, b); got != want {
			t.Fatalf("Wrap(%d, %d) = %d, want %d", x, b, got, want)
		}
	})
}

func TestSignModes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want SignMode
	}{{"EXCITATORY", SignExc}, {"inh", SignInh}, {"Mixed", SignMixed}, {"", SignAuto}, {"1", SignMixed}, {"2", SignExc}, {"3", SignInh}} {
		got, err := ParseSignMode(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSignMode(%q) = %v, %v", c.in, got, err)
		}
	}
	if _, err := ParseSignMode("both"); !errors.Is(err, ErrSignMode) {
		t.Errorf("bad mode: %v", err)
	}
	if AnalyzeSign([]float64{0, 1, 2}) != SignExc || AnalyzeSign([]float64{0, -1}) != SignInh || AnalyzeSign([]float64{-1, 1}) != SignMixed {
		t.Error("AnalyzeSign")
	}
}

// TestLegalize follows loihi.md §4 / notes §3.1: mixed 39→38, −37→−38, 255→254; inh
// floors the magnitude; n bits zero 8−n (+1 mixed) low bits.
func TestLegalize(t *testing.T) {
	cases := []struct {
		f    Format8
		in   []int64
		want []int64
	}{
		{Format8{8, 8, SignMixed}, []int64{39, -37, 255, 300, -300}, []int64{38, -38, 254, 254, -256}},
		{Format8{8, 8, SignExc}, []int64{39, -5, 300}, []int64{39, 0, 255}},
		{Format8{8, 8, SignInh}, []int64{-37, 5, -300}, []int64{-37, 0, -255}},
		{Format8{8, 6, SignInh}, []int64{-37, -3}, []int64{-36, 0}},
		{Format8{8, 4, SignMixed}, []int64{100, -100}, []int64{96, -128}},
	}
	for _, c := range cases {
		t.Run(c.f.Sign.String(), func(t *testing.T) {
			got, _ := LegalizeInts(c.in, c.f)
			if d := cmp.Diff(c.want, got); d != "" {
				t.Error(d)
			}
		})
	}
	if m := (Format8{8, 8, SignMixed}).MaxMag(); m != 254 {
		t.Errorf("mixed MaxMag %d", m)
	}
	if m := (Format8{8, 8, SignInh}).MaxMag(); m != 255 {
		t.Errorf("inh MaxMag %d", m)
	}
}

func TestQuantizeWeights(t *testing.T) {
	f := Format8{8, 8, SignMixed}
	q, st := QuantizeWeights([]float64{1, -0.5, 0.001, 3}, 100, f, HalfAway)
	if d := cmp.Diff([]int64{100, -50, 0, 254}, q); d != "" {
		t.Error(d)
	}
	want := WeightStats{N: 4, Clipped: 1, Rounded: 1, Zeroed: 1, MaxAbsErr: 3 - 2.54}
	if d := cmp.Diff(want, st, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })); d != "" {
		t.Error(d)
	}
}

func TestChooseExponentAndMantExp(t *testing.T) {
	if e, ok := ChooseExponent(1000, 255, -8, 7); e != 2 || !ok {
		t.Errorf("ChooseExponent(1000) = %d %v", e, ok)
	}
	if e, ok := ChooseExponent(1, 255, -8, 7); e != -7 || !ok { // 1·2^8 = 256 > 255
		t.Errorf("ChooseExponent(1) = %d %v", e, ok)
	}
	if _, ok := ChooseExponent(1e9, 255, -8, 7); ok {
		t.Error("ChooseExponent overflow not reported")
	}
	m, e, ok := MantExp(-10000, 4095, 0, 7, HalfAway)
	if m != -2500 || e != 2 || !ok {
		t.Errorf("MantExp = %d %d %v", m, e, ok)
	}
}

func TestReadoutValue(t *testing.T) {
	cases := []struct {
		name string
		r    Readout
		v    float64
		j    int
		want float64
	}{
		{"no scale", Readout{}, 7, 3, 7},
		{"shared", Readout{Scale: []float64{2}, Off: []float64{-1}}, 8, 5, 3},
		{"per neuron", Readout{Scale: []float64{1, 4}, Off: []float64{0, 0.5}}, 8, 1, 2.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.r.Value(c.v, c.j); got != c.want {
				t.Errorf("Value(%g, %d) = %g, want %g", c.v, c.j, got, c.want)
			}
		})
	}
}
