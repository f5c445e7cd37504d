package plot

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"testing"

	"github.com/snnc/snnc/emulator"
)

// pixelStats decodes a PNG and returns its size and the variance of its luminance.
func pixelStats(t *testing.T, b []byte) (w, h int, variance float64) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	r := img.Bounds()
	var sum, sum2, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			l := (0.299*float64(cr) + 0.587*float64(cg) + 0.114*float64(cb)) / 65535
			sum += l
			sum2 += l * l
			n++
		}
	}
	m := sum / n
	return r.Dx(), r.Dy(), sum2/n - m*m
}

func sampleTrace() *emulator.Trace {
	tr := emulator.NewTrace(1e-3, 50)
	s := tr.AddStream("output", []int{10})
	for t := 0; t < 50; t++ {
		for i := 0; i < 10; i++ {
			if (t*7+i*3)%11 == 0 {
				s.Times = append(s.Times, t)
				s.Indices = append(s.Indices, i)
			}
		}
	}
	p := tr.AddProbe("lif1.v", []int{3}, "f64", 50)
	for t := range p.Data {
		for i := range p.Data[t] {
			p.Data[t][i] = float64((t+5*i)%13) / 13
		}
	}
	return tr
}

func TestTrace(t *testing.T) {
	var b bytes.Buffer
	if err := Trace(&b, sampleTrace(), Options{}); err != nil {
		t.Fatal(err)
	}
	w, h, v := pixelStats(t, b.Bytes())
	if w < 500 || h < 400 {
		t.Errorf("size %dx%d, want at least 500x400 (two panels)", w, h)
	}
	if v < 0.005 {
		t.Errorf("luminance variance %.4g: the picture is (nearly) blank", v)
	}
	var b2 bytes.Buffer
	Trace(&b2, sampleTrace(), Options{})
	if !bytes.Equal(b.Bytes(), b2.Bytes()) {
		t.Error("two renderings of the same trace differ")
	}
}

func TestTraceEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := Trace(&b, emulator.NewTrace(1e-3, 10), Options{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("err = %v, want ErrEmpty", err)
	}
}

func TestBars(t *testing.T) {
	tests := []struct {
		name string
		bars []Bar
		err  bool
	}{
		{"cores", []Bar{{"core 0", 30, 100}, {"core 1", 80, 100}, {"core 2", 1300, 1024}}, false},
		{"many", func() []Bar {
			var bs []Bar
			for i := 0; i < 100; i++ {
				bs = append(bs, Bar{Name: "c", Used: float64(i), Limit: 100})
			}
			return bs
		}(), false},
		{"empty", nil, true},
		{"zero limit", []Bar{{"core 0", 1, 0}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := Bars(&b, "utilization", tc.bars, Options{})
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if tc.err {
				return
			}
			w, h, v := pixelStats(t, b.Bytes())
			if w < 500 || h < 300 || v < 0.005 {
				t.Errorf("size %dx%d, variance %.4g: want a non-trivial picture", w, h, v)
			}
		})
	}
}

var _ image.Image // keep image imported for the decoder registration
