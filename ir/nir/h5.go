package nir

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/snnc/snnc/ir/nir/internal/h5"
)

// Limits bound what an import may allocate; DefaultLimits suits every real NIR file.
type Limits struct {
	MaxFileBytes    int64 // size of the .nir file
	MaxDatasetElems int   // elements of one dataset
	MaxTotalElems   int   // elements over all datasets
	MaxStringBytes  int   // one string (node type, edge endpoint, padding)
	MaxNodes        int   // nodes over all (sub-)graphs
	MaxEdges        int   // edges of one graph
	MaxDepth        int   // NIRGraph nesting
	MaxDims         int   // rank of one dataset
	MaxStructs      int   // HDF5 headers, B-tree nodes and heaps parsed
}

// DefaultLimits are the limits Import uses when ImportOptions.Limits is zero.
var DefaultLimits = Limits{
	MaxFileBytes:    256 << 20,
	MaxDatasetElems: 1 << 25,
	MaxTotalElems:   1 << 26,
	MaxStringBytes:  4096,
	MaxNodes:        1 << 16,
	MaxEdges:        1 << 18,
	MaxDepth:        16,
	MaxDims:         8,
	MaxStructs:      1 << 18,
}

func (l Limits) h5() h5.Limits {
	return h5.Limits{MaxElems: l.MaxDatasetElems, MaxDims: l.MaxDims, MaxLinks: l.MaxNodes,
		MaxStructs: l.MaxStructs, MaxChunkTree: 32}
}

// reader wraps one open file with the running totals that enforce Limits.
type reader struct {
	f     *h5.File
	lim   Limits
	total int // elements read so far
	nodes int
	links int               // links visited, bounded by MaxStructs
	meta  map[string]string // snnc_* keys of /node/metadata
}

// obj is a loaded HDF5 object with its path for messages.
type obj struct {
	*h5.Object
	path string
}

// children loads a group's children, keyed by name.
func (r *reader) children(o obj) (map[string]obj, []string, error) {
	m := map[string]obj{}
	var names []string
	for _, l := range o.Links() {
		p := strings.TrimSuffix(o.path, "/") + "/" + l.Name
		r.links++
		if r.links > r.lim.MaxStructs {
			return nil, nil, fmt.Errorf("%s: %w: more than %d HDF5 links visited", p, ErrTooLarge, r.lim.MaxStructs)
		}
		if l.Addr == o.Addr {
			return nil, nil, fmt.Errorf("%s: %w: group contains itself", p, ErrNotNIR)
		}
		c, err := r.f.Object(l.Addr)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w: %v", p, ErrNotNIR, err)
		}
		m[l.Name] = obj{c, p}
		names = append(names, l.Name) // Links are sorted by name
	}
	return m, names, nil
}

func (r *reader) charge(n int, path string) error {
	if n > r.lim.MaxTotalElems-r.total {
		return fmt.Errorf("%s: %w: more than %d elements in all datasets", path, ErrTooLarge, r.lim.MaxTotalElems)
	}
	r.total += n
	return nil
}

func isString(o obj) bool { return o.Class == h5.String || o.Class == h5.VLenString }
func isNumber(o obj) bool { return o.Class == h5.Int || o.Class == h5.Float }

// dtype names the stored element type as ir.Tensor.DType does.
func dtype(o obj) string {
	switch {
	case o.Class == h5.Float && o.Size == 4:
		return "f32"
	case o.Class == h5.Float:
		return "f64"
	case o.Size == 1:
		return "i8"
	case o.Size == 2:
		return "i16"
	case o.Size == 4:
		return "i32"
	}
	return "i64"
}

// numbers reads a numeric dataset.
func (r *reader) numbers(o obj) ([]float64, error) {
	if !isNumber(o) {
		return nil, fmt.Errorf("%s: %w: want a number array", o.path, ErrDatatype)
	}
	if err := r.charge(o.Elems(), o.path); err != nil {
		return nil, err
	}
	v, err := o.Numbers()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", o.path, ErrNotNIR, err)
	}
	return v, nil
}

// strs reads a string dataset.
func (r *reader) strs(o obj) ([]string, error) {
	if !isString(o) {
		return nil, fmt.Errorf("%s: %w: want a string", o.path, ErrDatatype)
	}
	if err := r.charge(o.Elems(), o.path); err != nil {
		return nil, err
	}
	out, err := o.Strings(r.lim.MaxStringBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", o.path, ErrNotNIR, err)
	}
	for i, s := range out {
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("%s[%d]: %w: string is not UTF-8", o.path, i, ErrNotNIR)
		}
		out[i] = strings.TrimRight(s, "\x00")
	}
	return out, nil
}

// firstNonFinite reports the index of the first NaN/Inf, or -1.
func firstNonFinite(v []float64) int {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return -1
}
