package data

import (
	"math"

	"github.com/snnc/snnc/emulator"
)

// Yin-Yang geometry (shared/spec/training.md "Data sets").
const (
	yyRBig   = 0.5
	yyRSmall = 0.1
)

// yinyangClass is the spec's class rule: 2 (dot), 1 (yin) or 0 (yang).
func yinyangClass(x, y float64) int {
	dR := math.Hypot(x-1.5*yyRBig, y-yyRBig)
	dL := math.Hypot(x-0.5*yyRBig, y-yyRBig)
	switch {
	case dR < yyRSmall || dL < yyRSmall:
		return 2
	case dR <= yyRSmall || (yyRSmall < dL && dL <= 0.5*yyRBig) || (y > yyRBig && dR > 0.5*yyRBig):
		return 1
	}
	return 0
}

// yinyangSet draws n samples: the goal class uniformly, then (x, y) uniform in
// [0, 2·r_big]², rejected outside the big circle or when the class differs.
func yinyangSet(name string, n int, r *emulator.Rand) *Dataset {
	d := &Dataset{Name: name, Shape: []int{4}, NumClasses: 3, X: make([]float32, 0, 4*n), Y: make([]int, 0, n)}
	for len(d.Y) < n {
		goal := r.Intn(3)
		for {
			x := r.Float64() * 2 * yyRBig
			y := r.Float64() * 2 * yyRBig
			if math.Hypot(x-yyRBig, y-yyRBig) > yyRBig {
				continue
			}
			if yinyangClass(x, y) != goal {
				continue
			}
			d.X = append(d.X, float32(x), float32(y), float32(1-x), float32(1-y))
			d.Y = append(d.Y, goal)
			break
		}
	}
	return d
}

// YinYang returns the seeded Yin-Yang data set (5000/1000/1000 by default). Each split
// draws from its own stream, so changing one split's size leaves the others unchanged.
func YinYang(opt Options) (*Splits, error) {
	return &Splits{
		Train: yinyangSet("yinyang", orDefault(opt.Train, 5000), emulator.NewRand(opt.Seed, 1)),
		Val:   yinyangSet("yinyang", orDefault(opt.Val, 1000), emulator.NewRand(opt.Seed, 2)),
		Test:  yinyangSet("yinyang", orDefault(opt.Test, 1000), emulator.NewRand(opt.Seed, 3)),
	}, nil
}
