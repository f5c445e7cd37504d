package data

import (
	"fmt"
	"sort"
)

// Dataset is a set of labelled samples with a fixed-length feature vector each.
type Dataset struct {
	Name       string
	Shape      []int // feature shape, e.g. [4] or [28 28]
	NumClasses int
	X          []float32 // Len()×Features(), row-major
	Y          []int
}

// Features is the length of one feature vector.
func (d *Dataset) Features() int {
	n := 1
	for _, s := range d.Shape {
		n *= s
	}
	return n
}

// Len is the number of samples.
func (d *Dataset) Len() int { return len(d.Y) }

// Sample returns the feature vector of sample i (a view, not a copy).
func (d *Dataset) Sample(i int) []float32 {
	n := d.Features()
	return d.X[i*n : (i+1)*n : (i+1)*n]
}

// Subset returns the first k samples (all of them when k <= 0 or k >= Len).
func (d *Dataset) Subset(k int) *Dataset {
	if k <= 0 || k >= d.Len() {
		return d
	}
	n := d.Features()
	return &Dataset{Name: d.Name, Shape: d.Shape, NumClasses: d.NumClasses, X: d.X[:k*n], Y: d.Y[:k]}
}

// Splits are the train, validation and test parts of a data set (Val may be nil).
type Splits struct {
	Train, Val, Test *Dataset
}

// Options select a data set's size and seed (zero values pick the defaults).
type Options struct {
	Seed uint64
	// Train, Val, Test override the split sizes of procedural data sets (0: default).
	Train, Val, Test int
	// Dir overrides where file-based data sets are looked for.
	Dir string
}

// Names lists the data sets Load knows.
func Names() []string {
	out := make([]string, 0, len(loaders))
	for k := range loaders {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var loaders = map[string]func(Options) (*Splits, error){
	"yinyang":       YinYang,
	"randman":       Randman,
	"mnist":         MNIST,
	"mnist10":       MNIST10,
	"fashion-mnist": FashionMNIST,
}

// Load returns the named data set.
func Load(name string, opt Options) (*Splits, error) {
	f, ok := loaders[name]
	if !ok {
		return nil, fmt.Errorf("%w: data set %q (known: %v)", ErrUnknown, name, Names())
	}
	return f(opt)
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
