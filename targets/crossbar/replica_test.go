package crossbar

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
)

// TestReplicasChoice: auto fills a tile's rows with replicas (at most 16) for a
// population whose rows fit one tile, and reads them at an amplitude that keeps the
// worst-case column signal at the larger of the ADC's top code (bound·(1 − 2^(1−bits)),
// 11.906 for 8 bits ±12) and the unreplicated worst case; a fixed --replicas applies
// everywhere; images from before replicas existed (0) keep one pair per weight.
func TestReplicasChoice(t *testing.T) {
	top := 12 * (1 - 1.0/128)
	for _, c := range []struct {
		name     string
		replicas int
		tile     int
		rows     int
		want     int
		scale    float64
	}{
		{"auto 4 rows", -1, 256, 4, 16, top / 64},
		{"auto 7 rows", -1, 256, 7, 16, top / 112},
		{"auto 16 rows (over the top code)", -1, 256, 16, 16, 1.0 / 16},
		{"auto 100 rows", -1, 256, 100, 2, 0.5},
		{"auto 120 rows", -1, 256, 120, 2, 0.5},
		{"auto 200 rows", -1, 256, 200, 1, 1},
		{"auto over a tile", -1, 256, 784, 1, 1},
		{"auto tile 128", -1, 128, 40, 3, 1.0 / 3},
		{"auto no rows", -1, 256, 0, 1, 1},
		{"fixed 3 on 4 rows: 12 > top", 3, 256, 4, 3, top / 12},
		{"fixed 2 on 4 rows: within range", 2, 256, 4, 2, 1},
		{"fixed 4 on 120 rows", 4, 256, 120, 4, 0.25},
		{"old image", 0, 256, 4, 1, 1},
	} {
		cfg := &Config{Replicas: c.replicas, ADCBound: 12, ADCBits: 8, Tile: c.tile}
		n := cfg.replicas(c.rows)
		if n != c.want {
			t.Errorf("%s: replicas(%d) = %d, want %d", c.name, c.rows, n, c.want)
		}
		if s := cfg.readScale(c.rows, n); math.Abs(s-c.scale) > 1e-12 {
			t.Errorf("%s: readScale(%d, %d) = %v, want %v", c.name, c.rows, n, s, c.scale)
		}
	}
}

// TestReplicasDoNotClip: every input at full scale on a column of full-scale weights —
// the worst case — converts without clipping with 16 replicas at the lowered amplitude
// (4 rows → 64 replica rows read at 0.186·V_read), exactly as the ADC's top code; and
// one pair per weight reads the same column within half an LSB.
func TestReplicasDoNotClip(t *testing.T) {
	nl := mlp(1, []int{4, 3}, 1)
	w := nl.Projections[0].W
	for k := range w {
		w[k] = 1
	}
	w[0] = -1 // one negative weight: column 0 sums 2, columns 1 and 2 sum 4
	want := []float64{2, 4, 4}
	for _, rep := range []string{"auto", "1"} {
		_, m := compileLoad(t, nl, flags("device", "ideal", "adc-quant", "on", "replicas", rep, "col-replicas", "1"))
		co := m.cores[0]
		if rep == "auto" && (co.pl.Rep != 16 || math.Abs(co.pl.VScale*64-12*(1-1.0/128)) > 1e-12) {
			t.Fatalf("auto: %d replicas at %v·V_read, want 16 at 11.906/64", co.pl.Rep, co.pl.VScale)
		}
		act := make([]activeRow, 0, co.tiles[0].Ru)
		for r := 0; r < co.tiles[0].Ru; r++ {
			act = append(act, activeRow{int32(r), co.pl.VScale})
		}
		x := make([]float64, co.n)
		co.readTile(co.tiles[0], act, x)
		lsb := 24.0 / 256 / co.pl.VScale / float64(co.pl.Rep) // model units per code
		for c, v := range x {
			if math.Abs(v-want[c]) > lsb/2+1e-9 {
				t.Errorf("replicas %s column %d: read %v, want %v within half an LSB (%v)", rep, c, v, want[c], lsb/2)
			}
		}
	}
}

// TestReplicaCodesJoint: the replicas of a weight are quantized jointly, so together
// they realize rep·(L^k−1)+1 levels: Σ_j q_j = round(a·(L^k−1)·rep) and the error is at
// most half of that finer step.
func TestReplicaCodesJoint(t *testing.T) {
	rng := emulator.NewRand(7, 7)
	for _, c := range []struct{ levels, slices int }{{16, 1}, {4, 2}, {2, 3}} {
		cfg := &Config{Levels: c.levels, Slices: c.slices}
		sw := cfg.sliceWeights()
		full := math.Pow(float64(c.levels), float64(c.slices)) - 1
		f := make([]float64, c.slices)
		for rep := 1; rep <= 5; rep++ {
			for n := 0; n < 500; n++ {
				a := rng.Float64()
				if n == 0 {
					a = 1
				}
				sum := 0.0
				for j := 0; j < rep; j++ {
					// each replica row holds w/rep, the column scale is max|w|/rep
					if neg := cfg.codes(-a/float64(rep), 1/float64(rep), f, j, rep); !neg {
						t.Fatalf("sign lost")
					}
					for s := range f {
						if f[s] < 0 || f[s] > 1 {
							t.Fatalf("levels %d rep %d: fraction %v outside [0,1]", c.levels, rep, f[s])
						}
						sum += f[s] * sw[s]
					}
				}
				want := math.Round(a*full*float64(rep)) / (full * float64(rep))
				if math.Abs(sum/float64(rep)-want) > 1e-12 {
					t.Fatalf("levels %d×%d rep %d a=%v: replicas realize %v, want %v", c.levels, c.slices, rep, a, sum/float64(rep), want)
				}
				if e := math.Abs(sum/float64(rep) - a); e > 0.5/(full*float64(rep))+1e-12 {
					t.Fatalf("levels %d×%d rep %d a=%v: error %v over half a step", c.levels, c.slices, rep, a, e)
				}
			}
		}
	}
}

// smallFanIn is in(4) → CubaLIF(40) → LI(3): the Yin-Yang shape that auto replicates.
func smallFanIn() *ir.Netlist {
	nl := mlp(31, []int{4, 40}, 6)
	nl.Populations[0] = cubaPop("lif1", 40, 0.005, 0.02, 20, 1)
	nl.Populations = append(nl.Populations, liPop("li", 3, 0.01))
	nl.Projections = append(nl.Projections, dense("fcr", "lif1", "li", 40, 3, randW(emulator.NewRand(4, 5), 120, 0.3)))
	nl.Outputs = append(nl.Outputs, &ir.Port{Name: "v", Shape: []int{3}, Size: 3, Source: "li", Kind: "v"})
	return nl
}

// TestReplicasIdeal: with replicated rows an ideal chip still runs exactly like ref
// (continuous devices), and with 16 levels exactly like ref on the jointly quantized
// weights Machine.Weights reports, whose error is a third of one pair's; SetWeights
// keeps the replicas consistent.
func TestReplicasIdeal(t *testing.T) {
	steps := 60
	stim := poisson(13, 4, steps, 0.4)
	in := stim.Streams["in"]
	rng := emulator.NewRand(3, 9)
	for range in.Times {
		in.Values = append(in.Values, rng.Float64())
	}
	nl := smallFanIn()
	want := runRef(t, nl, stim, steps, "lif1.v", "li.v")
	for _, c := range []struct {
		rows, cols string
		tileRows   int
		summary    string
	}{
		{"auto", "auto", 64, "lif1 16×3 (rows read at 0.186·V_read), li 6×8 (rows read at 0.167·V_read)"},
		{"3", "1", 12, "lif1 3×1 (rows read at 0.992·V_read), li 3×1 (rows read at 0.333·V_read)"},
		{"1", "2", 4, "lif1 1×2, li 1×2"},
		{"1", "1", 4, "lif1 1×1, li 1×1"},
	} {
		t.Run("continuous-"+c.rows+"x"+c.cols, func(t *testing.T) {
			img, m := compileLoad(t, nl, flags("device", "ideal", "replicas", c.rows, "col-replicas", c.cols))
			if img.lay.tiles[0].Rows != c.tileRows {
				t.Fatalf("lif1 tile uses %d rows, want %d", img.lay.tiles[0].Rows, c.tileRows)
			}
			if s := img.lay.replicaSummary(); s != c.summary {
				t.Errorf("report replicas %q, want %q", s, c.summary)
			}
			got := runMachine(t, m, stim, steps, "lif1.v", "li.v")
			if e := countErr(got, want); e != 0 {
				t.Fatalf("spike count error vs ref %v", e)
			}
			probesMatch(t, want, got)
			w, _ := m.Weights("fc1")
			if diff := cmp.Diff(nl.Projections[0].W, w, cmpEps(1e-12)); diff != "" {
				t.Fatalf("Weights differ from the netlist (-want +got):\n%s", diff)
			}
		})
	}
	quantErr := map[string]float64{}
	for _, rep := range []string{"1", "3", "c3"} {
		t.Run("levels16-"+rep, func(t *testing.T) {
			rows, cols := rep, "1"
			if rep == "c3" {
				rows, cols = "1", "3"
			}
			_, m := compileLoad(t, nl, flags("device", "ideal", "levels", "16", "replicas", rows, "col-replicas", cols))
			got := runMachine(t, m, stim, steps, "lif1.v")
			qn := withWeights(t, nl, m)
			if e := countErr(got, runRef(t, qn, stim, steps, "lif1.v")); e != 0 {
				t.Fatalf("spike count error vs ref on the quantized weights = %v, want 0", e)
			}
			quantErr[rep] = rmsDiff(qn.Projections[0].W, nl.Projections[0].W)
			// SetWeights: the new weights, jointly quantized again
			newW := randW(emulator.NewRand(8, 8), len(nl.Projections[0].W), 1)
			if err := m.SetWeights("fc1", newW); err != nil {
				t.Fatal(err)
			}
			w, _ := m.Weights("fc1")
			if r := rmsDiff(w, newW); r == 0 || r > 0.05 {
				t.Fatalf("after SetWeights rms error %v, want small and non-zero", r)
			}
		})
	}
	for _, rep := range []string{"3", "c3"} {
		if r := quantErr[rep] / quantErr["1"]; !(r > 0.2 && r < 0.45) {
			t.Errorf("rms quantization error with replicas %s / 1 = %.3f (%v), want ≈ 1/3", rep, r, quantErr)
		}
	}
}

// TestReplicasAverageNoise: the programming noise of the replicas averages (on the
// column for row replicas, after the ADC for column replicas), so with 4 replicas the
// weight error is half of one pair's; the read noise of column replicas averages too.
func TestReplicasAverageNoise(t *testing.T) {
	nl := smallFanIn()
	for _, c := range []struct{ flag, proj string }{{"replicas", "fc1"}, {"col-replicas", "fc1"}, {"col-replicas", "fcr"}} {
		w0 := nl.Projection(c.proj).W
		errFor := func(n string) float64 {
			_, m := compileLoad(t, nl, flags(with(allOff, "device", "rram", "prog-noise", "on", "levels", "0",
				"replicas", "1", "col-replicas", "1", c.flag, n)...))
			w, _ := m.Weights(c.proj)
			return rmsDiff(w, w0)
		}
		e1, e4 := errFor("1"), errFor("4")
		if r := e4 / e1; r < 0.4 || r > 0.62 {
			t.Errorf("--%s 4, %s: programming-noise weight error / one pair's = %.3f (%.4g / %.4g), want ≈ 0.5", c.flag, c.proj, r, e4, e1)
		}
	}
	// read noise: repeated reads of the readout tile scatter 1/√4 as much with 4 column replicas
	sigma := func(n string) float64 {
		_, m := compileLoad(t, nl, flags(with(allOff, "device", "rram", "read-noise", "on", "crossbar-readout", "direct", "col-replicas", n)...))
		co := m.cores[len(m.cores)-1]
		tile := co.tiles[0]
		act := allRows(tile.Ru)
		x := make([]float64, co.n)
		var s, sq float64
		const reads = 3000
		for k := 0; k < reads; k++ {
			clear(x)
			co.readTile(tile, act, x)
			s += x[0]
			sq += x[0] * x[0]
		}
		mean := s / reads
		return math.Sqrt(sq/reads - mean*mean)
	}
	if r := sigma("4") / sigma("1"); r < 0.42 || r > 0.58 {
		t.Errorf("read noise σ with 4 column replicas / 1 = %.3f, want ≈ 0.5", r)
	}
}

func rmsDiff(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s / float64(len(a)))
}

func cmpEps(eps float64) cmp.Option {
	return cmp.Comparer(func(x, y float64) bool { return math.Abs(x-y) <= eps })
}

// TestOldImagePayload: a payload written before replicas and row placement existed (no
// replicas, col_replicas or row_place fields) decodes as the one-pair, rows-at-the-top
// mapping and runs exactly like it; out-of-range values are rejected.
func TestOldImagePayload(t *testing.T) {
	nl := smallFanIn()
	steps := 30
	stim := poisson(5, 4, steps, 0.3)
	opt := flags("device", "rram", "age", "1d", "replicas", "1", "col-replicas", "1", "row-place", "top")
	img, m := compileLoad(t, nl, opt)
	want := traceBytes(t, runMachine(t, m, stim, steps, "lif1.v"))
	data, err := img.Payload()
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Config map[string]any  `json:"config"`
		Tiles  json.RawMessage `json:"tiles"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"replicas", "col_replicas", "row_place"} {
		delete(p.Config, k)
	}
	old, _ := json.Marshal(p)
	dec, err := Target{}.DecodeImage(nl, opt, old)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := load(dec.(*Image), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := traceBytes(t, runMachine(t, m2, stim, steps, "lif1.v")); !bytes.Equal(got, want) {
		t.Fatalf("an old payload runs differently from the one-pair, rows-at-the-top mapping")
	}
	// the default mapping is a different chip layout
	_, m3 := compileLoad(t, nl, flags("device", "rram", "age", "1d"))
	if bytes.Equal(traceBytes(t, runMachine(t, m3, stim, steps, "lif1.v")), want) {
		t.Fatalf("default mapping runs exactly like the one-pair mapping")
	}
	for k, v := range map[string]any{"replicas": -2, "col_replicas": 65, "row_place": "middle"} {
		cfg := map[string]any{k: v}
		for a, b := range p.Config {
			if a != k {
				cfg[a] = b
			}
		}
		bad, _ := json.Marshal(map[string]any{"config": cfg, "tiles": p.Tiles})
		if _, err := (Target{}).DecodeImage(nl, opt, bad); err == nil {
			t.Errorf("payload with %s = %v accepted", k, v)
		}
	}
}

// TestReplicaGroupRead: reading each replica group once through its lead row's sums is
// the same read as adding every replica row (programming noise, read noise with the same
// draws, first-order IR drop and ADC all on).
func TestReplicaGroupRead(t *testing.T) {
	nl := smallFanIn()
	_, m := compileLoad(t, nl, flags("device", "rram", "age", "1d", "adc-noise", "off"))
	co := m.cores[0]
	tile := co.tiles[0]
	if tile.lead == nil || co.pl.Rep != 16 {
		t.Fatalf("want 16 grouped replicas, have %d (lead %v)", co.pl.Rep, tile.lead != nil)
	}
	act := []activeRow{}
	for r := 0; r < tile.Ru; r++ {
		if co.pl.Base[r]%4 != 2 { // inputs 0, 1 and 3 active, at different amplitudes
			act = append(act, activeRow{int32(r), co.pl.VScale * float64(1+co.pl.Base[r]%4)})
		}
	}
	read := func() []float64 {
		co.rng = emulator.NewRand(9, 9)
		x := make([]float64, co.n)
		co.readTile(tile, act, x)
		return x
	}
	grouped := read()
	tile.lead = nil
	perRow := read()
	if diff := cmp.Diff(perRow, grouped, cmpEps(1e-9)); diff != "" {
		t.Fatalf("grouped read differs from the per-row read (-per row +grouped):\n%s", diff)
	}
}
