package data

import "fmt"

// MNIST10 is MNIST with every image area-averaged from 28×28 to 10×10 pixels (100
// features): the input size that fits chips with few synapse rows per neuron, such as
// BrainScaleS-2 (256 rows per neuron column; 100 signed inputs take 200), as hardware
// MNIST demonstrations do. Same splits and labels as MNIST.
func MNIST10(opt Options) (*Splits, error) {
	sp, err := MNIST(opt)
	if err != nil {
		return nil, err
	}
	return resampleSplits(sp, "mnist10", 10)
}

func resampleSplits(sp *Splits, name string, s int) (*Splits, error) {
	out := &Splits{}
	for _, p := range []struct {
		in  *Dataset
		out **Dataset
	}{{sp.Train, &out.Train}, {sp.Val, &out.Val}, {sp.Test, &out.Test}} {
		if p.in == nil {
			continue
		}
		d, err := Resample(p.in, s)
		if err != nil {
			return nil, err
		}
		d.Name = name
		*p.out = d
	}
	return out, nil
}

// Resample area-averages every H×W image of d to s×s: output pixel (i, j) is the mean
// of the input over the square [i·H/s, (i+1)·H/s) × [j·W/s, (j+1)·W/s), input pixels
// weighted by their overlap with it (exact for any s ≤ H, W; a uniform image stays
// uniform, and the total intensity scales by s²/(H·W)).
func Resample(d *Dataset, s int) (*Dataset, error) {
	if len(d.Shape) != 2 || s < 1 || s > d.Shape[0] || s > d.Shape[1] {
		return nil, fmt.Errorf("%w: %s: cannot resample shape %v to %d×%d", ErrFormat, d.Name, d.Shape, s, s)
	}
	H, W := d.Shape[0], d.Shape[1]
	ah, aw := areaWeights(H, s), areaWeights(W, s)
	n := d.Len()
	out := &Dataset{Name: d.Name, Shape: []int{s, s}, NumClasses: d.NumClasses, X: make([]float32, n*s*s), Y: append([]int(nil), d.Y...)}
	tmp := make([]float64, s*W) // rows reduced: tmp[i][x] = Σ_y ah[i][y]·img[y][x]
	for k := range n {
		img := d.Sample(k)
		clear(tmp)
		for i := range s {
			for y := range H {
				if a := ah[i*H+y]; a != 0 {
					row := img[y*W : (y+1)*W]
					t := tmp[i*W : (i+1)*W]
					for x, v := range row {
						t[x] += a * float64(v)
					}
				}
			}
		}
		o := out.X[k*s*s : (k+1)*s*s]
		for i := range s {
			t := tmp[i*W : (i+1)*W]
			for j := range s {
				acc := 0.0
				for x, v := range t {
					acc += aw[j*W+x] * v
				}
				o[i*s+j] = float32(acc)
			}
		}
	}
	return out, nil
}

// areaWeights is the s×n matrix of 1-D area averaging from n cells to s: row i holds
// the overlap of [x, x+1) with [i·n/s, (i+1)·n/s), divided by n/s (each row sums to 1).
func areaWeights(n, s int) []float64 {
	w := make([]float64, s*n)
	r := float64(n) / float64(s)
	for i := range s {
		lo, hi := float64(i)*r, float64(i+1)*r
		for x := range n {
			ov := min(hi, float64(x+1)) - max(lo, float64(x))
			if ov > 0 {
				w[i*n+x] = ov / r
			}
		}
	}
	return w
}
