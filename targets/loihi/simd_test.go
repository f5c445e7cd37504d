package loihi

import (
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/emulator"
	"pgregory.net/rapid"
)

// edge32 are int32 values at the wrap, clip and decay boundaries of spec §3.
var edge32 = []int32{0, 1, -1, 2, -2, 4095, -4095, 4096, -4096, 4097, -4097,
	1<<21 - 1, -(1 << 21), 1 << 21, -(1<<21 + 1), 1<<23 - 1, -(1 << 23), 1 << 23, -(1<<23 + 1),
	1<<24 - 1, -(1 << 24), 1 << 29, -(1 << 29), 1<<30 - 1, 1 << 30, -(1 << 30), -(1<<30 + 1),
	math.MaxInt32, math.MinInt32, math.MaxInt32 - 1, math.MinInt32 + 1}

// TestDecay32SIMD: both 32-bit decays the assembly uses equal spec §3 decay on every
// int32 x and factor 0 ≤ f ≤ 4096.
func TestDecay32SIMD(t *testing.T) {
	for _, x := range edge32 {
		for _, f := range []int32{0, 1, 2, 3276, 4015, 4095, 4096} {
			want := decayBy(int64(x), int64(f))
			if got := decay32(x, f); int64(got) != want {
				t.Fatalf("decay32(%d, %d) = %d, want %d", x, f, got, want)
			}
			if got := decay32Floor(x, f); int64(got) != want {
				t.Fatalf("decay32Floor(%d, %d) = %d, want %d", x, f, got, want)
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		x := rapid.Int32().Draw(t, "x")
		f := rapid.Int32Range(0, decayOne).Draw(t, "f")
		want := decayBy(int64(x), int64(f))
		if got := decay32(x, f); int64(got) != want {
			t.Fatalf("decay32(%d, %d) = %d, want %d", x, f, got, want)
		}
		if got := decay32Floor(x, f); int64(got) != want {
			t.Fatalf("decay32Floor(%d, %d) = %d, want %d", x, f, got, want)
		}
	})
}

// eachKernel runs f as a subtest once per vector kernel this CPU supports, with useSIMD
// set to it.
func eachKernel(t *testing.T, f func(t *testing.T)) {
	if len(simdKernels) == 0 {
		t.Skip("no vector kernel on this CPU (or built with noasm): the scalar update is the only one")
	}
	saved := useSIMD
	defer func() { useSIMD = saved }()
	for i := range simdKernels {
		useSIMD = &simdKernels[i]
		t.Run(simdKernels[i].name, f)
	}
}

// drawI32 draws either a boundary value or a random int32 in [lo, hi].
func drawI32(t *rapid.T, lo, hi int32, label string) int32 {
	if rapid.IntRange(0, 2).Draw(t, label+"_kind") == 0 {
		e := rapid.SampledFrom(edge32).Draw(t, label+"_edge")
		return min(max(e, lo), hi)
	}
	return rapid.Int32Range(lo, hi).Draw(t, label)
}

// chipRun is one chipUniform call's observable effect. Guard is false if anything past
// the n compartments of cur, u, v, ref was written.
type chipRun struct {
	Active    int
	Fired     []int32
	U, V, Ref []int32
	Cur       []int32
	Guard     bool
}

// guarded returns a copy of x followed by 17 sentinel values, sliced to len(x).
func guarded(x []int32) []int32 {
	g := make([]int32, len(x)+17)
	copy(g, x)
	for i := len(x); i < len(g); i++ {
		g[i] = 0x5a5a5a5a
	}
	return g[:len(x)]
}

func intact(x []int32) bool {
	for _, y := range x[len(x):cap(x)] {
		if y != 0x5a5a5a5a {
			return false
		}
	}
	return true
}

func runChipUniform(fast bool, p cxp, cur, u, v, r []int32, prefix []int32, base int32) chipRun {
	cur, u, v, r = guarded(cur), guarded(u), guarded(v), guarded(r)
	out := slices.Grow(slices.Clone(prefix), len(cur))
	out = out[:cap(out)]
	var active, k int
	if fast {
		active, k = chipUniformFast(p, cur, u, v, r, out, len(prefix), base)
	} else {
		active, k = chipUniform(p, cur, u, v, r, out, len(prefix), base)
		clear(cur)
	}
	ok := intact(cur) && intact(u) && intact(v) && intact(r)
	return chipRun{active, out[:k], u, v, r, cur, ok}
}

// TestSIMDMatchesScalar: chipUniformFast (AVX2 head + scalar tail) is bit-identical to
// the scalar chipUniform — u, v, ref, fired ids (after a non-empty prefix), active
// count, cleared accumulators — on random parameters in the SIMD range and random
// states mixing boundary values (wraps of q/u, vmin/vmax clipping, int32 extremes,
// refractory counters including negative ones), over several consecutive steps.
func TestSIMDMatchesScalar(t *testing.T) { eachKernel(t, testSIMDMatchesScalar) }

func testSIMDMatchesScalar(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const lim = 1 << 29
		p := cxp{
			decU: rapid.SampledFrom([]int32{0, 1, 4095, 4096, rapid.Int32Range(0, decayOne).Draw(t, "fu")}).Draw(t, "decU"),
			decV: rapid.SampledFrom([]int32{0, 1, 4095, 4096, rapid.Int32Range(0, decayOne).Draw(t, "fv")}).Draw(t, "decV"),
			bias: drawI32(t, math.MinInt32, math.MaxInt32, "bias"),
			vth:  drawI32(t, math.MinInt32, math.MaxInt32, "vth"),
			vmin: drawI32(t, -lim, lim, "vmin"),
			vmax: drawI32(t, -lim, lim, "vmax"),
			refr: drawI32(t, math.MinInt32, math.MaxInt32, "refr"),
		}
		if rapid.Bool().Draw(t, "realistic") { // a NewCx compartment
			p = packCx(NewCx(Chip, rapid.Int64Range(0, 4095).Draw(t, "du"), rapid.Int64Range(0, 4096).Draw(t, "dv"),
				rapid.Int64Range(0, 1<<17-1).Draw(t, "vth"), rapid.Int64Range(-4096, 4095).Draw(t, "bm"),
				rapid.IntRange(0, 7).Draw(t, "be"), rapid.Int32Range(0, 63).Draw(t, "ref"),
				rapid.IntRange(0, 23).Draw(t, "neg"), rapid.IntRange(0, 7).Draw(t, "pos")))
		}
		if !simdParamsOK(p) {
			t.Fatalf("parameters %+v outside the SIMD range", p)
		}
		n := rapid.IntRange(1, 100).Draw(t, "n")
		base := rapid.Int32Range(0, 1<<20).Draw(t, "base")
		prefix := make([]int32, rapid.IntRange(0, 3).Draw(t, "prefix"))
		u, v, r := make([]int32, n), make([]int32, n), make([]int32, n)
		for i := range n {
			u[i] = drawI32(t, math.MinInt32, math.MaxInt32, "u")
			v[i] = drawI32(t, math.MinInt32, math.MaxInt32, "v")
			r[i] = drawI32(t, -2, 3, "ref")
		}
		for step := range 4 {
			cur := make([]int32, n)
			for i := range cur {
				if rapid.IntRange(0, 3).Draw(t, "silent") > 0 {
					cur[i] = drawI32(t, math.MinInt32, math.MaxInt32, "acc")
				}
			}
			want := runChipUniform(false, p, cur, u, v, r, prefix, base)
			if !want.Guard {
				t.Fatal("scalar update wrote past n")
			}
			got := runChipUniform(true, p, cur, u, v, r, prefix, base)
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("step %d, p %+v: SIMD differs from scalar (-scalar +simd):\n%s", step, p, d)
			}
			u, v, r = got.U, got.V, got.Ref
		}
	})
}

// TestSIMDCoreMatchesChipStep: a whole uniform core of 4096+5 compartments (SIMD head,
// scalar tail, split into ranges as the scheduler does) equals ChipStep, the spec-§3
// reference, for 50 steps of random input.
func TestSIMDCoreMatchesChipStep(t *testing.T) { eachKernel(t, testSIMDCoreMatchesChipStep) }

func testSIMDCoreMatchesChipStep(t *testing.T) {
	n := 4101
	rng := emulator.NewRand(7, 0)
	c := &core{mode: Chip, n: n, q: make([]int32, n), keepQ: true}
	cx := NewCx(Chip, 400, 20, 60, 100, 3, 5, 23, 7)
	for range n {
		c.cx = append(c.cx, cx)
		c.init = append(c.init, State{U: int64(rng.Intn(1<<24)) - 1<<23, V: int64(rng.Intn(1<<20)) - 1<<19})
	}
	c.st = slices.Clone(c.init)
	c.initChip()
	if !c.uniform || !simdParamsOK(c.p0) {
		t.Fatal("want a uniform core in the SIMD range")
	}
	spikes := 0
	for s := range 50 {
		acc := make([]int32, n)
		for i := range acc {
			if rng.Intn(4) == 0 {
				acc[i] = int32(rng.Uint64())
			}
		}
		cur := slices.Clone(acc)
		var fired []int32
		for _, r := range [][2]int{{0, 1000}, {1000, 1003}, {1003, 4101}} {
			_, fired = c.stepChipRange(cur, r[0], r[1], fired)
		}
		var want []int32
		for i := range n {
			if _, sp := ChipStep(&c.cx[i], &c.st[i], int64(acc[i])); sp {
				want = append(want, int32(i))
			}
			if int64(c.u[i]) != c.st[i].U || int64(c.v[i]) != c.st[i].V || c.ref[i] != c.st[i].Ref || cur[i] != 0 {
				t.Fatalf("step %d cx %d: core u=%d v=%d ref=%d acc=%d; ChipStep u=%d v=%d ref=%d",
					s, i, c.u[i], c.v[i], c.ref[i], cur[i], c.st[i].U, c.st[i].V, c.st[i].Ref)
			}
		}
		if d := cmp.Diff(want, fired); d != "" {
			t.Fatalf("step %d fired (-ChipStep +core):\n%s", s, d)
		}
		spikes += len(fired)
	}
	if spikes == 0 {
		t.Fatal("no spikes: the test exercises nothing")
	}
}

// TestSIMDEdgeGrid: every pair of boundary values for (u, v), with boundary
// accumulators and refractory counters, under parameter sets at the ends of the SIMD
// range (identity and zero decays, |vmin|, |vmax| = 2^29, vmin > vmax, extreme bias and
// threshold) — the cases where 32-bit sums would overflow without the ±2^30 clamp.
func TestSIMDEdgeGrid(t *testing.T) { eachKernel(t, testSIMDEdgeGrid) }

func testSIMDEdgeGrid(t *testing.T) {
	const lim = 1 << 29
	params := []struct {
		name string
		p    cxp
	}{
		{"identity", cxp{decU: 4096, decV: 4096, bias: 1<<23 - 1, vth: 1 << 20, vmin: -lim, vmax: lim, refr: 2}},
		{"identity-neg-bias", cxp{decU: 4096, decV: 4096, bias: -(1 << 23), vth: -lim, vmin: -lim, vmax: lim, refr: 0}},
		{"zero-decay", cxp{decU: 0, decV: 0, bias: math.MaxInt32, vth: math.MinInt32, vmin: -1, vmax: 1, refr: math.MaxInt32}},
		{"inverted-clip", cxp{decU: 4095, decV: 4096, bias: math.MinInt32, vth: 0, vmin: lim, vmax: -lim, refr: 1}},
		{"nengo", packCx(NewCx(Chip, 0, 0, 1<<17-1, 4095, 7, 63, 23, 7))},
	}
	for _, tc := range params {
		t.Run(tc.name, func(t *testing.T) {
			var cur, u, v, r []int32
			for i, a := range edge32 {
				for j, b := range edge32 {
					u, v = append(u, a), append(v, b)
					cur = append(cur, edge32[(i*7+j)%len(edge32)])
					r = append(r, int32((i+j)%4)-1)
				}
			}
			for step := range 3 {
				want := runChipUniform(false, tc.p, cur, u, v, r, nil, 3)
				got := runChipUniform(true, tc.p, cur, u, v, r, nil, 3)
				if d := cmp.Diff(want, got); d != "" {
					t.Fatalf("step %d: SIMD differs from scalar (-scalar +simd):\n%s", step, d)
				}
				u, v, r = got.U, got.V, got.Ref
			}
		})
	}
}

// BenchmarkStepChipKernel is BenchmarkStepChip per update implementation (scalar, and
// each vector kernel the CPU supports).
func BenchmarkStepChipKernel(b *testing.B) {
	saved := useSIMD
	defer func() { useSIMD = saved }()
	kerns := []*simdKernel{nil}
	for i := range simdKernels {
		kerns = append(kerns, &simdKernels[i])
	}
	for _, k := range kerns {
		name := "scalar"
		if k != nil {
			name = k.name
		}
		useSIMD = k
		b.Run(name, BenchmarkStepChip)
	}
}
