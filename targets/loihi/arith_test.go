package loihi

import (
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

func TestHelpers(t *testing.T) {
	tests := []struct {
		name      string
		got, want int64
	}{
		// loihi-notes §2.2 worked examples: decay rounds toward zero.
		{"decay u=-2368 D=1001", decay(-2368, 1001), -1789},
		{"decay v=-7 D=3000", decay(-7, 3000), -1},
		{"decay positive", decay(2368, 1001), 1789},
		{"decay D=4096 zeroes", decay(123456, 4096), 0},
		{"decay D=0 keeps", decay(-99, 0), -99},
		{"shexp left", shexp(-3, 4), -48},
		{"shexp right floors", shexp(-3, -1), -2},
		{"shexp right positive", shexp(3, -1), 1},
		{"wrap 22-bit max", wrap(1<<21-1, 21), 1<<21 - 1},
		{"wrap 22-bit overflow", wrap(1<<21, 21), -(1 << 21)},
		{"wrap 24-bit of 3 max inputs", wrap(6266880, 21), 2072576}, // notes §3.3 case_10
		{"wrap negative", wrap(-(1<<23)-1, 23), 1<<23 - 1},
		{"SynChip e=7", SynChip(255, 7), 255 << 13},
		{"SynChip e=-2 floors per synapse", SynChip(-3, -2), -64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %d, want %d", tc.got, tc.want)
			}
		})
	}
}

func TestChipVsLavaOverflow(t *testing.T) {
	// Three max-weight inputs at weight_exp 7 (notes §3.3): chip wraps q to 22 bits,
	// lava keeps the sum (case_05: u = 6,266,880).
	cxc := NewCx(Chip, 4095, 0, 131071, 0, 0, 1, 23, 7)
	cxl := NewCx(Lava, 4095, 0, 131071, 0, 0, 1, 23, 7)
	var sc, sl State
	q, _ := ChipStep(&cxc, &sc, 3*SynChip(255, 7))
	if q != 2072576 || sc.U != 2072576 {
		t.Errorf("chip: q=%d u=%d, want 2072576", q, sc.U)
	}
	LavaStep(&cxl, &sl, shexp(3*255, 7))
	if sl.U != 6266880 {
		t.Errorf("lava: u=%d, want 6266880", sl.U)
	}
	// Lava's single conditional wrap: −2^23 becomes +2^23 (notes §2.3).
	sl = State{}
	LavaStep(&cxl, &sl, -(1<<23)>>6)
	if sl.U != 1<<23 {
		t.Errorf("lava: u=%d, want +2^23", sl.U)
	}
	// chip: true two's complement gives −2^23.
	sc = State{U: 1<<23 - 1}
	cxc = NewCx(Chip, 0, 0, 131071, 0, 0, 1, 23, 7) // decay by 1/4096: (2^23−1)·4095/4096
	ChipStep(&cxc, &sc, 1<<12<<6)
	if want := wrap(decay(1<<23-1, 1)+1<<18, 23); sc.U != want || want >= 0 {
		t.Errorf("chip: u=%d, want wrapped %d", sc.U, want)
	}
}

func TestRefractory(t *testing.T) {
	// R = 3: after a spike at t, v is 0 at t+1 and t+2, can spike again at t+3.
	cx := NewCx(Chip, 4095, 4095, 0, 1, 0, 3, 23, 7) // bias 1 > vth 0 every step
	var s State
	var got []bool
	for i := 0; i < 7; i++ {
		_, sp := ChipStep(&cx, &s, 0)
		got = append(got, sp)
	}
	want := []bool{true, false, false, true, false, false, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("spikes %v, want %v", got, want)
		}
	}
}

// big-integer model of spec §3, written straight from the text.
func bigShr0(x *big.Int, n uint) *big.Int {
	a := new(big.Int).Abs(x)
	a.Rsh(a, n)
	if x.Sign() < 0 {
		a.Neg(a)
	}
	return a
}

func bigDecay(x *big.Int, D int64) *big.Int {
	return bigShr0(new(big.Int).Mul(x, big.NewInt(4096-D)), 12)
}

func bigWrap(x *big.Int, b uint) *big.Int {
	m := new(big.Int).Lsh(big.NewInt(1), b+1)
	h := new(big.Int).Lsh(big.NewInt(1), b)
	r := new(big.Int).Add(x, h)
	r.Mod(r, m) // Euclidean: non-negative
	return r.Sub(r, h)
}

func bigShexp(x *big.Int, e int) *big.Int {
	if e >= 0 {
		return new(big.Int).Lsh(x, uint(e))
	}
	// arithmetic right shift = floor division
	d := new(big.Int).Lsh(big.NewInt(1), uint(-e))
	q := new(big.Int)
	q.Div(x, d) // Euclidean division with positive divisor = floor
	return q
}

func clipBig(x *big.Int, lo, hi int64) *big.Int {
	if x.Cmp(big.NewInt(lo)) < 0 {
		return big.NewInt(lo)
	}
	if x.Cmp(big.NewInt(hi)) > 0 {
		return big.NewInt(hi)
	}
	return x
}

// TestArithRapid checks ChipStep and LavaStep, stepped for several steps with random
// parameters and random synaptic input, against the big-integer model of spec §3.
func TestArithRapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		du := rapid.Int64Range(0, 4095).Draw(t, "du")
		dv := rapid.Int64Range(0, 4096).Draw(t, "dv")
		vth := rapid.Int64Range(0, 1<<17-1).Draw(t, "vth")
		bm := rapid.Int64Range(-4096, 4095).Draw(t, "bias_mant")
		be := rapid.IntRange(0, 7).Draw(t, "bias_exp")
		ref := rapid.Int32Range(0, 63).Draw(t, "refract")
		neg := rapid.IntRange(0, 31).Draw(t, "neg_vm")
		pos := rapid.IntRange(0, 7).Draw(t, "pos_vm")
		e := rapid.IntRange(-8, 7).Draw(t, "weight_exp")
		u0 := rapid.Int64Range(-(1<<23), 1<<23-1).Draw(t, "u0")
		v0 := rapid.Int64Range(-(1<<23), 1<<23-1).Draw(t, "v0")
		steps := rapid.IntRange(1, 12).Draw(t, "steps")
		// chip
		cx := NewCx(Chip, du, dv, vth, bm, be, ref, neg, pos)
		lx := NewCx(Lava, du, dv, vth, bm, be, ref, neg, pos)
		cs, ls := State{U: u0, V: v0}, State{U: u0, V: v0}
		bu, bv := big.NewInt(u0), big.NewInt(v0)
		lu, lv := big.NewInt(u0), big.NewInt(v0)
		bref := int32(0)
		bias := bigShexp(big.NewInt(bm), be)
		vmin, vmax := -(int64(1)<<neg)+1, int64(1)<<(9+2*pos)-1
		for s := 0; s < steps; s++ {
			nsyn := rapid.IntRange(0, 40).Draw(t, "nsyn")
			var acc int32
			qsum, wsum := new(big.Int), new(big.Int)
			for k := 0; k < nsyn; k++ {
				w := rapid.Int64Range(-256, 255).Draw(t, "w")
				acc += int32(SynChip(w, e)) // the core's int32 accumulator
				qsum.Add(qsum, new(big.Int).Lsh(bigShexp(big.NewInt(w), e), 6))
				wsum.Add(wsum, big.NewInt(w))
			}
			// chip, spec §3
			q := bigWrap(qsum, 21)
			bu = bigWrap(new(big.Int).Add(bigDecay(bu, du+1), q), 23)
			u2 := bigWrap(new(big.Int).Add(bu, bias), 23)
			bv = clipBig(new(big.Int).Add(bigDecay(bv, dv), u2), vmin, vmax)
			if bref > 0 {
				bv = big.NewInt(0)
			}
			spike := bv.Cmp(new(big.Int).Lsh(big.NewInt(vth), 6)) > 0
			if spike {
				bv = big.NewInt(0)
				bref = ref
			}
			if bref > 0 {
				bref--
			}
			gq, gs := ChipStep(&cx, &cs, int64(acc))
			if gq != q.Int64() || cs.U != bu.Int64() || cs.V != bv.Int64() || gs != spike || cs.Ref != bref {
				t.Fatalf("chip step %d: got q=%d u=%d v=%d spike=%v ref=%d; model q=%v u=%v v=%v spike=%v ref=%d",
					s, gq, cs.U, cs.V, gs, cs.Ref, q, bu, bv, spike, bref)
			}
			// lava, spec §3
			a := bigShexp(wsum, e)
			lu = new(big.Int).Add(bigDecay(lu, du+1), new(big.Int).Lsh(a, 6))
			two23 := new(big.Int).Lsh(big.NewInt(1), 23)
			two24 := new(big.Int).Lsh(big.NewInt(1), 24)
			if lu.Cmp(two23) > 0 {
				lu.Sub(lu, two24)
			} else if lu.Cmp(new(big.Int).Neg(two23)) <= 0 {
				lu.Add(lu, two24)
			}
			lv = clipBig(new(big.Int).Add(new(big.Int).Add(bigDecay(lv, dv), lu), bias), -(1<<23 - 1), 1<<23-1)
			lspike := lv.Cmp(new(big.Int).Lsh(big.NewInt(vth), 6)) > 0
			if lspike {
				lv = big.NewInt(0)
			}
			gl := LavaStep(&lx, &ls, shexp(int64(int32(wsum.Int64())), e))
			if ls.U != lu.Int64() || ls.V != lv.Int64() || gl != lspike {
				t.Fatalf("lava step %d: got u=%d v=%d spike=%v; model u=%v v=%v spike=%v", s, ls.U, ls.V, gl, lu, lv, lspike)
			}
		}
	})
}

// TestCoreMatchesChipStep: the core's branch-free structure-of-arrays loop equals
// ChipStep on random parameters, states and accumulator values.
func TestCoreMatchesChipStep(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 8).Draw(t, "n")
		uniform := rapid.Bool().Draw(t, "uniform")
		c := &core{mode: Chip, n: n, q: make([]int32, n), keepQ: true}
		for i := 0; i < n; i++ {
			if uniform && i > 0 {
				c.cx = append(c.cx, c.cx[0])
				c.init = append(c.init, State{U: rapid.Int64Range(-(1<<23), 1<<23-1).Draw(t, "u0"), V: rapid.Int64Range(-(1<<23), 1<<23-1).Draw(t, "v0")})
				continue
			}
			cx := NewCx(Chip, rapid.Int64Range(0, 4095).Draw(t, "du"), rapid.Int64Range(0, 4096).Draw(t, "dv"),
				rapid.Int64Range(0, 1<<17-1).Draw(t, "vth"), rapid.Int64Range(-4096, 4095).Draw(t, "bm"),
				rapid.IntRange(0, 7).Draw(t, "be"), rapid.Int32Range(0, 63).Draw(t, "ref"),
				rapid.IntRange(0, 31).Draw(t, "neg"), rapid.IntRange(0, 7).Draw(t, "pos"))
			c.cx = append(c.cx, cx)
			c.init = append(c.init, State{U: rapid.Int64Range(-(1<<23), 1<<23-1).Draw(t, "u0"), V: rapid.Int64Range(-(1<<23), 1<<23-1).Draw(t, "v0")})
		}
		c.st = append([]State(nil), c.init...)
		c.initChip()
		if c.uniform != (uniform || n == 1) {
			// random parameters can coincide only with negligible probability
			if !uniform && n > 1 {
				t.Skip("random parameters happened to be uniform")
			}
			t.Fatalf("uniform = %v, built uniform %v", c.uniform, uniform)
		}
		for s := 0; s < 10; s++ {
			acc := make([]int32, n)
			for i := range acc {
				acc[i] = rapid.Int32().Draw(t, "acc")
			}
			cur := append([]int32(nil), acc...)
			_, fired := c.stepChip(cur, nil)
			for i := 0; i < n; i++ {
				q, sp := ChipStep(&c.cx[i], &c.st[i], int64(acc[i]))
				got := false
				for _, f := range fired {
					got = got || int(f) == i
				}
				cu, cv, cr := c.u[i], c.v[i], c.ref[i]
				if int64(cu) != c.st[i].U || int64(cv) != c.st[i].V || cr != c.st[i].Ref || c.qOf(i) != q || got != sp || cur[i] != 0 {
					t.Fatalf("step %d cx %d: core u=%d v=%d ref=%d q=%d spike=%v; ChipStep u=%d v=%d ref=%d q=%d spike=%v",
						s, i, cu, cv, cr, c.qOf(i), got, c.st[i].U, c.st[i].V, c.st[i].Ref, q, sp)
				}
			}
		}
	})
}
