package crossbar

import (
	"math"
	"testing"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
)

// allRows is every row of a tile driven by a spike.
func allRows(n int) []activeRow {
	act := make([]activeRow, n)
	for i := range act {
		act[i] = activeRow{int32(i), 1}
	}
	return act
}

func someRows(seed uint64, n int, p float64) []activeRow {
	rng := emulator.NewRand(seed, 5)
	var act []activeRow
	for i := 0; i < n; i++ {
		if rng.Float64() < p {
			act = append(act, activeRow{int32(i), 1})
		}
	}
	return act
}

// TestReadNoiseMagnitude: repeated reads of one tile scatter with the σ the profile
// gives (Σ over the active cells of σ(G)², per pair), around the noise-free value.
func TestReadNoiseMagnitude(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags []string
	}{
		{"rram-1%", with(allOff, "device", "rram", "read-noise", "on", "crossbar-readout", "direct", "col-replicas", "1", "replicas", "1")},
		{"pcm-1f-1h", with(allOff, "device", "pcm", "read-noise", "on", "age", "1h", "crossbar-readout", "direct", "col-replicas", "1", "replicas", "1")},
	} {
		t.Run(c.name, func(t *testing.T) {
			nl := mlp(1, []int{100, 20}, 3)
			_, m := compileLoad(t, nl, flags(c.flags...))
			co := m.cores[0]
			tile := co.tiles[0]
			act := allRows(tile.Ru)
			const n = 4000
			sum := make([]float64, co.n)
			sq := make([]float64, co.n)
			x := make([]float64, co.n)
			for k := 0; k < n; k++ {
				clear(x)
				co.readTile(tile, act, x)
				for i, v := range x {
					sum[i] += v
					sq[i] += v * v
				}
			}
			w, _ := m.Weights("fc1")
			dG := m.cfg.Profile.GMax - m.cfg.Profile.GMin
			for col := 0; col < co.n; col++ {
				mean := sum[col] / n
				std := math.Sqrt(sq[col]/n - mean*mean)
				var v2, clean float64
				for r := 0; r < tile.Ru; r++ {
					v2 += tile.v2[r*tile.Q+col]
					clean += w[col*100+r]
				}
				want := math.Sqrt(v2) / dG * tile.scales[col]
				if want == 0 {
					t.Fatalf("no read noise configured")
				}
				if r := std / want; r < 0.9 || r > 1.1 {
					t.Errorf("column %d: measured σ %.4g, profile σ %.4g (ratio %.3f)", col, std, want, r)
				}
				if d := math.Abs(mean - clean); d > 5*want/math.Sqrt(n) {
					t.Errorf("column %d: mean %.5g, noise-free %.5g (read noise must be unbiased)", col, mean, clean)
				}
			}
		})
	}
}

// TestProgNoiseMagnitude: the effective weights scatter around the programmed targets by
// σ_prog(G)/ΔG (per device, both devices of a pair), relative to the column scale.
func TestProgNoiseMagnitude(t *testing.T) {
	nl := mlp(2, []int{200, 100}, 3)
	_, m := compileLoad(t, nl, flags(with(allOff, "device", "rram", "prog-noise", "on")...))
	w0 := nl.Projections[0].W
	w, _ := m.Weights("fc1")
	pr := &m.cfg.Profile
	dG := pr.GMax - pr.GMin
	var got, want float64
	m.forSlots(nl.Projections[0], func(k int, tile *tileDev, r, col int) {
		sc := tile.scales[col]
		e := (w[k] - w0[k]) / sc
		got += e * e
		g := pr.GMin + math.Abs(w0[k])/sc*dG
		s1, s2 := pr.ProgNoise.At(g, pr.GMax), pr.ProgNoise.At(pr.GMin, pr.GMax)
		want += (s1*s1 + s2*s2) / (dG * dG)
	})
	ratio := math.Sqrt(got / want)
	// Clipping the Gmin device at 0 S (σ ≈ Gmin for rram) removes part of its spread.
	if ratio < 0.8 || ratio > 1.05 {
		t.Fatalf("programming noise rms / predicted = %.3f, want 0.8..1.05", ratio)
	}
	t.Logf("programming noise: rms weight error %.4f of the column scale (%.3f of prediction)", math.Sqrt(got/float64(len(w))), ratio)
}

// TestDriftPowerLaw: the weights of a pcm chip decay as ((t+t0)/t0)^−ν with one
// effective ν across ages; global drift compensation removes the decay.
func TestDriftPowerLaw(t *testing.T) {
	nl := mlp(3, []int{200, 100}, 3)
	base := with(allOff, "device", "pcm", "drift", "on")
	_, m0 := compileLoad(t, nl, flags(with(base, "age", "0")...))
	w0, _ := m0.Weights("fc1")
	dot := func(a, b []float64) float64 {
		s := 0.0
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	ages := []string{"1min", "1h", "1d", "1w", "1y"}
	var nus []float64
	prevErr := 0.0
	for _, age := range ages {
		_, m := compileLoad(t, nl, flags(with(base, "age", age)...))
		w, _ := m.Weights("fc1")
		rho := dot(w, w0) / dot(w0, w0)
		tau := (m.cfg.AgeS + 20) / 20
		nu := -math.Log(rho) / math.Log(tau)
		d := make([]float64, len(w))
		for i := range w {
			d[i] = w[i] - w0[i]
		}
		relErr := math.Sqrt(dot(d, d) / dot(w0, w0))
		t.Logf("age %-5s ρ = %.4f, ν_eff = %.4f, relative weight error %.4f (power law 1−τ^−ν = %.4f)", age, rho, nu, relErr, 1-math.Pow(tau, -nu))
		if relErr <= prevErr {
			t.Errorf("age %s: relative error %.4f did not grow (previous %.4f)", age, relErr, prevErr)
		}
		prevErr = relErr
		nus = append(nus, nu)
		_, mc := compileLoad(t, nl, flags(with(base, "age", age, "drift-comp", "on")...))
		wc, _ := mc.Weights("fc1")
		// Global compensation rescales each tile by one factor: the decay goes, what is
		// left is the spread of ν between devices (low-conductance devices drift faster).
		if rc := dot(wc, w0) / dot(w0, w0); math.Abs(rc-1) > 0.05 || math.Abs(rc-1) > math.Abs(rho-1)/5 {
			t.Errorf("age %s: compensated ρ = %.4f, want 1 ± 0.05 and 5× closer to 1 than uncompensated %.4f", age, rc, rho)
		}
	}
	for _, nu := range nus {
		// The effective exponent of the differential weight lies a little below the
		// programmed device's ν ∈ [0.049, 0.1] because its Gmin partner drifts too.
		if nu < 0.04 || nu > 0.1 || math.Abs(nu-nus[0]) > 0.02*nus[0] {
			t.Errorf("ν_eff %v: want every age within 2%% of one exponent in [0.04, 0.1] (power law)", nus)
			break
		}
	}
}

// TestSpreadAndFaults: device-to-device spread and stuck-at faults have the profile's
// statistics.
func TestSpreadAndFaults(t *testing.T) {
	nl := mlp(4, []int{256, 256}, 3)
	_, m := compileLoad(t, nl, flags(with(allOff, "device", "rram", "spread", "on", "faults", "on")...))
	var n, off, on float64
	var sMax, sMax2, sMin, sMin2 float64
	for _, tile := range m.tiles {
		for i := range tile.fault {
			n++
			switch tile.fault[i] {
			case faultOff:
				off++
			case faultOn:
				on++
			}
			a, b := tile.gMax[i]/40, tile.gMin[i]/1
			sMax += a
			sMax2 += a * a
			sMin += b
			sMin2 += b * b
		}
	}
	cv := func(s, s2 float64) float64 { m := s / n; return math.Sqrt(s2/n-m*m) / m }
	check := func(name string, got, want, tol float64) {
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.4f, want %.4f ± %.4f", name, got, want, tol)
		}
	}
	check("stuck-off rate", off/n, 0.01, 4*math.Sqrt(0.01/n))
	check("stuck-on rate", on/n, 0.005, 4*math.Sqrt(0.005/n))
	check("Gmax CV", cv(sMax, sMax2), 0.05, 0.003)
	check("Gmin CV", cv(sMin, sMin2), 0.10, 0.005)
}

// TestIRDrop: the first-order model agrees with the exact nodal solve where it should
// (small wire resistance: the relative current loss matches to first order), both
// reduce the column currents, and the loss grows with the active rows.
func TestIRDrop(t *testing.T) {
	nl := mlp(5, []int{128, 32}, 3)
	// uniform weights: every programmed device at Gmax
	for i := range nl.Projections[0].W {
		nl.Projections[0].W[i] = 1
	}
	read := func(ir string, ohm float64, act []activeRow) []float64 { return irRead(t, nl, ir, ohm, act) }
	for _, c := range []struct {
		name string
		ohm  float64
		act  []activeRow
		tol  float64 // allowed |loss_fo − loss_nodal| / loss_nodal
	}{
		{"0.01Ω-all-rows", 0.01, allRows(128), 0.03},
		{"0.01Ω-20%-rows", 0.01, someRows(1, 128, 0.2), 0.05},
		{"0.1Ω-20%-rows", 0.1, someRows(1, 128, 0.2), 0.1},
		{"1Ω-20%-rows", 1, someRows(1, 128, 0.2), 0.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			x0 := read("off", c.ohm, c.act)
			xf := read("first-order", c.ohm, c.act)
			xn := read("nodal", c.ohm, c.act)
			var l0, lf, ln float64
			for i := range x0 {
				l0 += x0[i]
				lf += x0[i] - xf[i]
				ln += x0[i] - xn[i]
			}
			lf, ln = lf/l0, ln/l0
			t.Logf("relative current loss: first-order %.5f, nodal %.5f", lf, ln)
			if !(ln > 0 && lf > 0) {
				t.Fatalf("IR drop must reduce the current: first-order %v, nodal %v", lf, ln)
			}
			if d := math.Abs(lf-ln) / ln; d > c.tol {
				t.Errorf("first-order and nodal losses differ by %.1f%% of the loss, want ≤ %.0f%%", 100*d, 100*c.tol)
			}
		})
	}
	// more active rows → more column drop
	few := read("nodal", 1, someRows(2, 128, 0.1))
	many := read("nodal", 1, allRows(128))
	x0f, x0m := read("off", 1, someRows(2, 128, 0.1)), read("off", 1, allRows(128))
	if (x0f[0]-few[0])/x0f[0] >= (x0m[0]-many[0])/x0m[0] {
		t.Errorf("IR loss with 10%% rows %.4f ≥ with all rows %.4f", (x0f[0]-few[0])/x0f[0], (x0m[0]-many[0])/x0m[0])
	}
}

// irRead reads the first tile of nl once with the active rows act on a 128-row rram
// tile with every non-ideality but the IR-drop model ir off (direct readout, one pair
// per weight) and the wire resistance ohm; kv are further flags.
func irRead(t *testing.T, nl *ir.Netlist, irModel string, ohm float64, act []activeRow, kv ...string) []float64 {
	t.Helper()
	opt := flags(with(allOff, append([]string{"device", "rram", "ir-drop", irModel, "crossbar-readout", "direct", "tile", "128",
		"replicas", "1", "col-replicas", "1"}, kv...)...)...)
	img, _, err := Target{}.Compile(nl, opt)
	if err != nil {
		t.Fatal(err)
	}
	img.(*Image).cfg.Profile.WireOhm = ohm
	m, err := load(img.(*Image), 1)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, m.cores[0].n)
	m.cores[0].readTile(m.cores[0].tiles[0], act, x)
	return x
}

// TestRowPlacement: a tile's used rows placed next to the sense amplifiers (the
// default) lose less current to the column wires than rows at the top of the tile, in
// the first-order model and in the exact nodal solve, which still agree.
func TestRowPlacement(t *testing.T) {
	nl := mlp(5, []int{16, 32}, 3)
	for i := range nl.Projections[0].W {
		nl.Projections[0].W[i] = 1
	}
	act := allRows(16)
	x0 := irRead(t, nl, "off", 0.1, act)
	loss := func(model, place string) float64 {
		x := irRead(t, nl, model, 0.1, act, "row-place", place)
		l, l0 := 0.0, 0.0
		for i := range x {
			l += x0[i] - x[i]
			l0 += x0[i]
		}
		return l / l0
	}
	for _, model := range []string{"first-order", "nodal"} {
		top, near := loss(model, "top"), loss(model, "near-sense")
		t.Logf("%s: relative current loss top %.5f, near-sense %.5f", model, top, near)
		if !(near > 0 && near < top/3) {
			t.Errorf("%s: loss near the sense amplifiers %.5f, at the top %.5f; want positive and under a third", model, near, top)
		}
	}
	fo, nod := loss("first-order", "near-sense"), loss("nodal", "near-sense")
	if d := math.Abs(fo-nod) / nod; d > 0.1 {
		t.Errorf("near-sense: first-order %.5f and nodal %.5f differ by %.1f%%", fo, nod, 100*d)
	}
}

// TestADC: the ADC output is the noise-free value rounded to its LSB (error ≤ LSB/2
// inside the bound) and saturates at the bound.
func TestADC(t *testing.T) {
	nl := mlp(6, []int{100, 20}, 3)
	act := someRows(3, 100, 0.3)
	read := func(kv ...string) ([]float64, *Machine) {
		_, m := compileLoad(t, nl, flags(with(allOff, append([]string{"device", "rram", "replicas", "1"}, kv...)...)...))
		x := make([]float64, m.cores[0].n)
		m.cores[0].readTile(m.cores[0].tiles[0], act, x)
		return x, m
	}
	clean, _ := read()
	for _, c := range []struct {
		bits, bound string
	}{{"8", "12"}, {"4", "12"}, {"8", "1"}} {
		q, m := read("adc-quant", "on", "adc-bits", c.bits, "adc-bound", c.bound)
		lsb := 2 * m.cfg.ADCBound / math.Exp2(float64(m.cfg.ADCBits))
		sc := m.cores[0].tiles[0].scales
		maxErr := 0.0
		for i := range q {
			u := clean[i] / sc[i]
			want := math.Round(u/lsb) * lsb
			hi := (math.Exp2(float64(m.cfg.ADCBits-1)) - 1) * lsb
			want = min(max(want, -hi-lsb), hi)
			if math.Abs(q[i]/sc[i]-want) > 1e-9 {
				t.Errorf("bits %s bound %s col %d: ADC %v, want %v", c.bits, c.bound, i, q[i]/sc[i], want)
			}
			if math.Abs(u) < hi {
				maxErr = max(maxErr, math.Abs(q[i]/sc[i]-u))
			}
		}
		if maxErr > lsb/2+1e-12 {
			t.Errorf("bits %s: in-range error %v > LSB/2 %v", c.bits, maxErr, lsb/2)
		}
	}
}
