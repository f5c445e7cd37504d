package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestYinYangClassRule(t *testing.T) {
	tests := []struct {
		name string
		x, y float64
		want int
	}{
		{"right dot centre", 0.75, 0.5, 2},
		{"left dot centre", 0.25, 0.5, 2},
		{"upper half far from both", 0.5, 0.9, 1},
		{"lower half far from both", 0.5, 0.1, 0},
		{"ring around left dot", 0.25, 0.68, 1},
		{"ring around right dot", 0.75, 0.32, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := yinyangClass(tc.x, tc.y); got != tc.want {
				t.Errorf("class(%g, %g) = %d, want %d", tc.x, tc.y, got, tc.want)
			}
		})
	}
}

func TestYinYangSplits(t *testing.T) {
	a, err := YinYang(Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*Dataset{"train": a.Train, "val": a.Val, "test": a.Test} {
		want := map[string]int{"train": 5000, "val": 1000, "test": 1000}[name]
		if d.Len() != want || len(d.X) != 4*want {
			t.Fatalf("%s: %d samples, want %d", name, d.Len(), want)
		}
		counts := make([]int, 3)
		for i := 0; i < d.Len(); i++ {
			x := d.Sample(i)
			if x[2] != float32(1-float64(x[0])) && math.Abs(float64(x[2]+x[0]-1)) > 1e-6 {
				t.Fatalf("%s[%d]: features %v are not (x, y, 1−x, 1−y)", name, i, x)
			}
			if c := yinyangClass(float64(x[0]), float64(x[1])); c != d.Y[i] && math.Abs(float64(x[0])-0.5) > 1e-3 {
				// float32 rounding may move a point across a boundary only within 1e-7
				if yinyangClass(float64(x[0])+1e-6, float64(x[1])) != d.Y[i] && yinyangClass(float64(x[0])-1e-6, float64(x[1])) != d.Y[i] {
					t.Fatalf("%s[%d]: label %d, rule gives %d", name, i, d.Y[i], c)
				}
			}
			counts[d.Y[i]]++
		}
		for c, n := range counts { // classes drawn uniformly
			if math.Abs(float64(n)/float64(d.Len())-1.0/3) > 0.05 {
				t.Errorf("%s: class %d has %d of %d samples", name, c, n, d.Len())
			}
		}
	}
	b, _ := YinYang(Options{Seed: 3})
	if diff := cmp.Diff(a.Test.X, b.Test.X); diff != "" {
		t.Errorf("same seed, different data: %s", diff)
	}
	c, _ := YinYang(Options{Seed: 4})
	if cmp.Equal(a.Test.X, c.Test.X) {
		t.Errorf("different seeds gave the same data")
	}
}

func TestRandman(t *testing.T) {
	a, _ := Randman(Options{Seed: 1, Train: 20, Val: 5, Test: 5})
	b, _ := Randman(Options{Seed: 1, Train: 20, Val: 5, Test: 5})
	if !cmp.Equal(a.Train.X, b.Train.X) || !cmp.Equal(a.Train.Y, b.Train.Y) {
		t.Fatal("randman is not a function of its seed")
	}
	if a.Train.Len() != 200 || a.Train.Features() != 20 || a.Train.NumClasses != 10 {
		t.Fatalf("train: %d samples × %d features, %d classes", a.Train.Len(), a.Train.Features(), a.Train.NumClasses)
	}
	for i, v := range a.Train.X {
		if v < 0 || v > 1 {
			t.Fatalf("feature %d = %g outside [0, 1]", i, v)
		}
	}
}

func TestEncoders(t *testing.T) {
	x := []float32{0, 0.5, 1}
	const steps = 5
	t.Run("current", func(t *testing.T) {
		dst := make([]float64, 3*steps)
		Current{}.Encode(dst, x, steps, 0, 0)
		for s := 0; s < steps; s++ {
			if diff := cmp.Diff([]float64{0, 0.5, 1}, dst[3*s:3*s+3]); diff != "" {
				t.Fatalf("step %d: %s", s, diff)
			}
		}
	})
	t.Run("latency", func(t *testing.T) {
		dst := make([]float64, 4*steps)
		Latency{Bias: true}.Encode(dst, x, steps, 0, 0)
		want := make([]float64, 4*steps)
		want[0*4+0] = 1 // x=0 at t=0
		want[2*4+1] = 1 // x=0.5 at t=2
		want[4*4+2] = 1 // x=1 at t=4
		want[0*4+3] = 1 // bias at TMin
		if diff := cmp.Diff(want, dst); diff != "" {
			t.Fatal(diff)
		}
	})
	t.Run("rate", func(t *testing.T) {
		const n = 4000
		dst := make([]float64, 3*n)
		Rate{}.Encode(dst, x, n, 7, 3)
		sum := make([]float64, 3)
		for i, v := range dst {
			if v != 0 && v != 1 {
				t.Fatalf("value %g is not a spike", v)
			}
			sum[i%3] += v
		}
		for i, p := range []float64{0, 0.5, 1} {
			if math.Abs(sum[i]/n-p) > 0.03 {
				t.Errorf("channel %d: rate %g, want %g", i, sum[i]/n, p)
			}
		}
		again := make([]float64, 3*n)
		Rate{}.Encode(again, x, n, 7, 3)
		if !cmp.Equal(dst, again) {
			t.Error("rate encoding is not a function of (seed, index)")
		}
	})
	t.Run("parse", func(t *testing.T) {
		for _, s := range []string{"current", "current:gain=2", "rate:p=0.5", "latency:invert,bias"} {
			if _, err := ParseEncoder(s); err != nil {
				t.Errorf("%s: %v", s, err)
			}
		}
		for _, s := range []string{"poisson", "rate:q=1", "current:gain=x"} {
			if _, err := ParseEncoder(s); err == nil {
				t.Errorf("%s: no error", s)
			}
		}
	})
}

func TestMNIST(t *testing.T) {
	sp, err := MNIST(Options{})
	if errors.Is(err, ErrMissing) {
		t.Skipf("GoMNIST module not in the module cache: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if sp.Train.Len() != 60000 || sp.Test.Len() != 10000 || sp.Train.Features() != 784 {
		t.Fatalf("train %d, test %d, features %d", sp.Train.Len(), sp.Test.Len(), sp.Train.Features())
	}
	if sp.Train.Y[0] != 5 || sp.Test.Y[0] != 7 { // the first labels of the standard files
		t.Errorf("first labels %d, %d; want 5, 7", sp.Train.Y[0], sp.Test.Y[0])
	}
}

func TestMissingDataSetsSayHowToGetThem(t *testing.T) {
	dir := t.TempDir()
	_, err := FashionMNIST(Options{Dir: filepath.Join(dir, "nope")})
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), "dataset-fashion-mnist") {
		t.Errorf("fashion-mnist: %v; want ErrMissing naming the Debian package", err)
	}
	t.Setenv("SNNC_MNIST_DIR", dir)
	_, err = MNIST(Options{})
	if !errors.Is(err, ErrMissing) {
		t.Errorf("mnist from an empty folder: %v; want ErrMissing", err)
	}
	if _, err := os.Stat(fashionDir); err != nil {
		_, err := FashionMNIST(Options{})
		if !errors.Is(err, ErrMissing) {
			t.Errorf("fashion-mnist not installed: %v; want ErrMissing", err)
		}
	}
}

func TestReadIdxRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte{0, 0, 8, 1, 0, 0, 0, 5, 1, 2}, 0o644)
	if _, _, err := readIdx(p); !errors.Is(err, ErrFormat) {
		t.Errorf("short body: %v", err)
	}
	os.WriteFile(p, []byte{1, 2, 3, 4}, 0o644)
	if _, _, err := readIdx(p); !errors.Is(err, ErrFormat) {
		t.Errorf("bad magic: %v", err)
	}
}

func TestFashionMNIST(t *testing.T) {
	sp, err := FashionMNIST(Options{})
	if errors.Is(err, ErrMissing) {
		t.Skipf("Debian package dataset-fashion-mnist not installed: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if sp.Train.Len() != 60000 || sp.Test.Len() != 10000 || sp.Train.Features() != 784 || sp.Train.Name != "fashion-mnist" {
		t.Fatalf("train %d, test %d, features %d, name %s", sp.Train.Len(), sp.Test.Len(), sp.Train.Features(), sp.Train.Name)
	}
	if sp.Train.Y[0] != 9 || sp.Test.Y[0] != 9 { // ankle boots open both standard files
		t.Errorf("first labels %d, %d; want 9, 9", sp.Train.Y[0], sp.Test.Y[0])
	}
}

// TestResample: area averaging keeps uniform images uniform, preserves the mean
// intensity, and maps a 4×4 image to 2×2 by 2×2 block means (hand-computed).
func TestResample(t *testing.T) {
	d := &Dataset{Name: "t", Shape: []int{4, 4}, NumClasses: 2, Y: []int{1},
		X: []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}}
	r, err := Resample(d, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{3.5, 5.5, 11.5, 13.5}
	if diff := cmp.Diff(want, r.X); diff != "" {
		t.Errorf("4×4 → 2×2 (-want +got):\n%s", diff)
	}
	// 28 → 10 (non-integer ratio): a uniform image stays uniform, the mean is kept.
	u := &Dataset{Name: "u", Shape: []int{28, 28}, NumClasses: 2, Y: []int{0, 1}, X: make([]float32, 2*784)}
	for i := range 784 {
		u.X[i] = 0.25
		u.X[784+i] = float32(i%28) / 27
	}
	r, err = Resample(u, 10)
	if err != nil {
		t.Fatal(err)
	}
	mean := func(x []float32) float64 {
		s := 0.0
		for _, v := range x {
			s += float64(v)
		}
		return s / float64(len(x))
	}
	for i, v := range r.Sample(0) {
		if math.Abs(float64(v)-0.25) > 1e-6 {
			t.Fatalf("uniform image: pixel %d = %g", i, v)
		}
	}
	if a, b := mean(u.Sample(1)), mean(r.Sample(1)); math.Abs(a-b) > 1e-6 {
		t.Errorf("mean %g → %g", a, b)
	}
	if _, err := Resample(u, 30); err == nil {
		t.Error("upsampling accepted")
	}
}
