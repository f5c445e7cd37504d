package ir

import (
	"fmt"
	"math"
)

// Tensor is a dense float64 array in C order. A scalar has an empty Shape and one value.
type Tensor struct {
	Shape []int
	Data  []float64
	// DType records the stored element type ("f32", "f64", "i8", "i16", "i32", "i64")
	// for canonical re-encoding; arithmetic always uses Data.
	DType string
}

// Scalar returns a 0-d tensor.
func Scalar(v float64) *Tensor { return &Tensor{Data: []float64{v}} }

// Vector returns a 1-d tensor holding a copy of v.
func Vector(v ...float64) *Tensor {
	return &Tensor{Shape: []int{len(v)}, Data: append([]float64(nil), v...)}
}

// NewTensor returns a zero tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float64, NumElements(shape))}
}

// NumElements is the product of the dims (1 for a scalar).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// IsScalar reports whether t holds exactly one value.
func (t *Tensor) IsScalar() bool { return t != nil && len(t.Data) == 1 }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	if t == nil {
		return nil
	}
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float64(nil), t.Data...), DType: t.DType}
}

// At returns element i, broadcasting a scalar.
func (t *Tensor) At(i int) float64 {
	if len(t.Data) == 1 {
		return t.Data[0]
	}
	return t.Data[i]
}

// Broadcast returns n values: a copy of Data when it has n elements, the scalar repeated
// when it has one, and an error otherwise.
func (t *Tensor) Broadcast(n int) ([]float64, error) {
	switch {
	case t == nil:
		return nil, fmt.Errorf("%w: missing", ErrBadParam)
	case len(t.Data) == n:
		return append([]float64(nil), t.Data...), nil
	case len(t.Data) == 1:
		out := make([]float64, n)
		for i := range out {
			out[i] = t.Data[0]
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %d values for %d neurons", ErrShape, len(t.Data), n)
}

// FirstNonFinite returns the index of the first NaN or Inf, or -1.
func (t *Tensor) FirstNonFinite() int {
	for i, v := range t.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i
		}
	}
	return -1
}

// ShapeEqual compares two shapes.
func ShapeEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
