package nir

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/scigolib/hdf5"
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
}

// DefaultLimits are the limits Import uses when ImportOptions.Limits is zero.
var DefaultLimits = Limits{
	MaxFileBytes:    1 << 30,
	MaxDatasetElems: 1 << 26,
	MaxTotalElems:   1 << 27,
	MaxStringBytes:  4096,
	MaxNodes:        1 << 16,
	MaxEdges:        1 << 18,
	MaxDepth:        16,
	MaxDims:         8,
}

// dsKind is the class of a dataset's element type as NIR uses it.
type dsKind int

const (
	kindFloat dsKind = iota
	kindInt
	kindString // fixed-length string
	kindVLen   // variable-length (NIR writes strings this way)
	kindOther
)

// dsInfo is what Import needs to know about a dataset before reading it.
type dsInfo struct {
	kind   dsKind
	size   int   // element size in bytes
	dims   []int // nil for a scalar dataspace
	scalar bool
}

func (d dsInfo) elems() int {
	n := 1
	for _, v := range d.dims {
		n *= v
	}
	return n
}

// dtype names the stored element type as ir.Tensor.DType does.
func (d dsInfo) dtype() string {
	switch {
	case d.kind == kindFloat && d.size == 4:
		return "f32"
	case d.kind == kindFloat:
		return "f64"
	case d.kind == kindInt && d.size == 1:
		return "i8"
	case d.kind == kindInt && d.size == 2:
		return "i16"
	case d.kind == kindInt && d.size == 4:
		return "i32"
	}
	return "i64"
}

// scigolib/hdf5 v0.14.0 exposes a dataset's type and dataspace only through
// Dataset.Info(), whose text is "Dataset: <type> (size=N bytes), <dataspace>, <layout>".
var (
	reInfoType = regexp.MustCompile(`^Dataset: ([a-z_0-9]+) \(size=(\d+) bytes\), (.*)$`)
	reSpace1   = regexp.MustCompile(`^1D array \[(\d+)\]`)
	reSpace2   = regexp.MustCompile(`^2D array \[(\d+) x (\d+)\]`)
	reSpaceN   = regexp.MustCompile(`^(\d+)D array \[([0-9 ]+)\]`)
)

// parseInfo decodes Dataset.Info() text; lim bounds rank and element count.
func parseInfo(s string, lim Limits) (dsInfo, error) {
	m := reInfoType.FindStringSubmatch(s)
	if m == nil {
		return dsInfo{}, fmt.Errorf("%w: cannot read dataset header %q", ErrNotNIR, s)
	}
	var d dsInfo
	switch m[1] {
	case "float":
		d.kind = kindFloat
	case "integer":
		d.kind = kindInt
	case "string":
		d.kind = kindString
	case "class_9":
		d.kind = kindVLen
	default:
		d.kind = kindOther
	}
	size, err := strconv.Atoi(m[2])
	if err != nil || size <= 0 || size > 64 {
		return dsInfo{}, fmt.Errorf("%w: element size %q", ErrDatatype, m[2])
	}
	d.size = size
	if (d.kind == kindFloat && size != 4 && size != 8) || (d.kind == kindInt && size != 1 && size != 2 && size != 4 && size != 8) {
		return dsInfo{}, fmt.Errorf("%w: %s of %d bytes", ErrDatatype, m[1], size)
	}
	rest := m[3]
	switch {
	case strings.HasPrefix(rest, "scalar"):
		d.scalar = true
	case strings.HasPrefix(rest, "null"):
		d.dims = []int{0}
	default:
		var parts []string
		if sm := reSpace1.FindStringSubmatch(rest); sm != nil {
			parts = sm[1:]
		} else if sm := reSpace2.FindStringSubmatch(rest); sm != nil {
			parts = sm[1:]
		} else if sm := reSpaceN.FindStringSubmatch(rest); sm != nil {
			parts = strings.Fields(sm[2])
			if r, _ := strconv.Atoi(sm[1]); r != len(parts) {
				return dsInfo{}, fmt.Errorf("%w: dataspace %q", ErrNotNIR, rest)
			}
		} else {
			return dsInfo{}, fmt.Errorf("%w: dataspace %q", ErrNotNIR, rest)
		}
		if len(parts) > lim.MaxDims {
			return dsInfo{}, fmt.Errorf("%w: rank %d > %d", ErrTooLarge, len(parts), lim.MaxDims)
		}
		total := 1
		for _, p := range parts {
			v, err := strconv.ParseUint(p, 10, 63)
			if err != nil {
				return dsInfo{}, fmt.Errorf("%w: dimension %q", ErrNotNIR, p)
			}
			if v > uint64(lim.MaxDatasetElems) {
				return dsInfo{}, fmt.Errorf("%w: dimension %d > %d elements", ErrTooLarge, v, lim.MaxDatasetElems)
			}
			d.dims = append(d.dims, int(v))
			if v != 0 && total > lim.MaxDatasetElems/int(v) {
				return dsInfo{}, fmt.Errorf("%w: dataset of shape %v > %d elements", ErrTooLarge, d.dims, lim.MaxDatasetElems)
			}
			total *= int(v)
		}
	}
	return d, nil
}

// reader wraps one open file with the running totals that enforce Limits.
type reader struct {
	lim   Limits
	total int // elements read so far
	nodes int
	meta  map[string]string // snnc_* keys of /node/metadata
}

func (r *reader) info(ds *hdf5.Dataset, path string) (dsInfo, error) {
	s, err := ds.Info()
	if err != nil {
		return dsInfo{}, fmt.Errorf("%s: %w: %v", path, ErrNotNIR, err)
	}
	d, err := parseInfo(s, r.lim)
	if err != nil {
		return dsInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

func (r *reader) charge(n int, path string) error {
	if n > r.lim.MaxTotalElems-r.total {
		return fmt.Errorf("%s: %w: more than %d elements in all datasets", path, ErrTooLarge, r.lim.MaxTotalElems)
	}
	r.total += n
	return nil
}

// readNumeric reads a float or integer dataset with its shape (nil shape for a scalar).
func (r *reader) readNumeric(ds *hdf5.Dataset, d dsInfo, path string) ([]float64, error) {
	if d.kind != kindFloat && d.kind != kindInt {
		return nil, fmt.Errorf("%s: %w: want a number array", path, ErrDatatype)
	}
	n := d.elems()
	if err := r.charge(n, path); err != nil {
		return nil, err
	}
	if n == 0 {
		return []float64{}, nil
	}
	v, err := ds.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", path, ErrNotNIR, err)
	}
	if len(v) != n {
		return nil, fmt.Errorf("%s: %w: %d values for shape %v", path, ErrNotNIR, len(v), d.dims)
	}
	return v, nil
}

// readStrings reads a variable- or fixed-length string dataset.
func (r *reader) readStrings(ds *hdf5.Dataset, d dsInfo, path string) ([]string, error) {
	n := d.elems()
	if err := r.charge(n, path); err != nil {
		return nil, err
	}
	var out []string
	switch d.kind {
	case kindVLen:
		if n == 0 {
			return nil, nil
		}
		raw, err := ds.ReadVLenBytes()
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", path, ErrNotNIR, err)
		}
		for _, b := range raw {
			out = append(out, string(b))
		}
	case kindString:
		if n == 0 {
			return nil, nil
		}
		v, err := ds.ReadStrings()
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", path, ErrNotNIR, err)
		}
		out = v
	default:
		return nil, fmt.Errorf("%s: %w: want a string", path, ErrDatatype)
	}
	if len(out) != n {
		return nil, fmt.Errorf("%s: %w: %d strings for shape %v", path, ErrNotNIR, len(out), d.dims)
	}
	for i, s := range out {
		if len(s) > r.lim.MaxStringBytes {
			return nil, fmt.Errorf("%s[%d]: %w: string of %d bytes", path, i, ErrTooLarge, len(s))
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("%s[%d]: %w: string is not UTF-8", path, i, ErrNotNIR)
		}
		out[i] = strings.TrimRight(s, "\x00")
	}
	return out, nil
}

// finite reports the index of the first NaN/Inf, or -1.
func firstNonFinite(v []float64) int {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return i
		}
	}
	return -1
}
