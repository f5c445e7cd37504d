package snnjson

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/snnc/snnc/ir"
)

// Limits of the decoder.
const (
	// MaxElements bounds one tensor's element count; larger shapes are refused before
	// anything is allocated.
	MaxElements = 1 << 26
	// MaxRank bounds a tensor's number of dimensions.
	MaxRank = 8
	// InlineMax is the largest tensor Encode writes inline; larger ones are base64.
	InlineMax = 4096
)

// dtypeSize is the byte size of each accepted dtype. "i64" is accepted in addition to the
// spec's list because NIR stores integer parameters as int64.
var dtypeSize = map[string]int{"f32": 4, "f64": 8, "i8": 1, "i16": 2, "i32": 4, "i64": 8}

const dtypeList = "f32, f64, i8, i16, i32, i64"

// decodeTensor reads a tensor value: a number, nested lists, or a tensor object.
func (d *decoder) decodeTensor(path string, raw json.RawMessage) *ir.Tensor {
	switch kindOf(raw) {
	case "number":
		v, err := asNumber(raw)
		if err != nil {
			d.add(path, err, "")
			return nil
		}
		return &ir.Tensor{Data: []float64{v}, DType: literalDType(raw)}
	case "array":
		return d.inlineTensor(path, raw)
	case "object":
		return d.objectTensor(path, raw)
	}
	d.add(path, ErrType, "found %s; want a number, nested lists of numbers, or {dtype, shape, data_b64|file}", kindOf(raw))
	return nil
}

func literalDType(raw json.RawMessage) string {
	if bytes.ContainsAny(raw, ".eE") {
		return "f64"
	}
	return "i64"
}

// inlineTensor reads nested lists of numbers; every list at one depth must have the same
// length and all leaves must sit at the same depth.
func (d *decoder) inlineTensor(path string, raw json.RawMessage) *ir.Tensor {
	var tree any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		d.add(path, ErrSyntax, "%v", err)
		return nil
	}
	t := &ir.Tensor{DType: "i64"}
	rank := -1
	var walk func(v any, depth int, where string) bool
	walk = func(v any, depth int, where string) bool {
		switch x := v.(type) {
		case json.Number:
			if rank < 0 {
				rank = depth
			}
			if depth != rank {
				d.add(where, ErrTensor, "ragged: a number at depth %d where the array has depth %d", depth, rank)
				return false
			}
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				d.add(where, ErrValue, "%s is not a finite number", x)
				return false
			}
			if strings.ContainsAny(string(x), ".eE") {
				t.DType = "f64"
			}
			t.Data = append(t.Data, f)
			return true
		case []any:
			if rank >= 0 && depth >= rank {
				d.add(where, ErrTensor, "ragged: a list at depth %d where numbers are expected", depth)
				return false
			}
			if depth >= MaxRank {
				d.add(where, ErrTensor, "more than %d dims", MaxRank)
				return false
			}
			if len(x) == 0 {
				d.add(where, ErrTensor, "empty list; tensors need at least one value per dim")
				return false
			}
			if depth == len(t.Shape) {
				t.Shape = append(t.Shape, len(x))
			} else if t.Shape[depth] != len(x) {
				d.add(where, ErrTensor, "ragged: %d elements where sibling lists have %d", len(x), t.Shape[depth])
				return false
			}
			for i, e := range x {
				if !walk(e, depth+1, index(where, i)) {
					return false
				}
			}
			return true
		}
		d.add(where, ErrType, "found %T in a tensor; want numbers", v)
		return false
	}
	if !walk(tree, 0, path) {
		return nil
	}
	if len(t.Shape) != rank {
		d.add(path, ErrTensor, "ragged nesting")
		return nil
	}
	return t
}

// objectTensor reads {dtype, shape, data_b64} / {dtype, shape, file, sha256} /
// {dtype, shape, data} (inline flat values with an explicit dtype, an snnc addition
// Encode uses to keep narrow dtypes readable).
func (d *decoder) objectTensor(path string, raw json.RawMessage) *ir.Tensor {
	ms, dups, err := members(raw)
	if err != nil {
		d.add(path, err, "")
		return nil
	}
	for _, k := range dups {
		d.add(child(path, k), ErrKey, "duplicate key")
	}
	f := map[string]json.RawMessage{}
	for _, m := range ms {
		switch m.key {
		case "dtype", "shape", "data_b64", "file", "sha256", "data":
			f[m.key] = m.val
		default:
			d.add(child(path, m.key), ErrKey, "unknown tensor key; allowed: dtype, shape, data_b64, file, sha256, data")
		}
	}
	dtRaw, ok := f["dtype"]
	if !ok {
		d.add(path, ErrMissing, "tensor object needs \"dtype\" (%s)", dtypeList)
		return nil
	}
	dtype, err := asString(dtRaw)
	if err != nil {
		d.add(child(path, "dtype"), err, "")
		return nil
	}
	size, ok := dtypeSize[dtype]
	if !ok {
		d.add(child(path, "dtype"), ErrValue, "%q; allowed: %s", dtype, dtypeList)
		return nil
	}
	shRaw, ok := f["shape"]
	if !ok {
		d.add(path, ErrMissing, "tensor object needs \"shape\"")
		return nil
	}
	shape, numel, ok := d.shape(child(path, "shape"), shRaw)
	if !ok {
		return nil
	}
	sources := 0
	for _, k := range []string{"data_b64", "file", "data"} {
		if _, ok := f[k]; ok {
			sources++
		}
	}
	if sources != 1 {
		d.add(path, ErrMissing, "tensor object needs exactly one of data_b64, file, data; found %d", sources)
		return nil
	}
	if _, ok := f["sha256"]; ok && f["file"] == nil {
		d.add(child(path, "sha256"), ErrKey, "sha256 belongs to a file tensor")
		return nil
	}
	t := &ir.Tensor{Shape: shape, DType: dtype}
	var buf []byte
	switch {
	case f["data"] != nil:
		vals, err := asArray(f["data"])
		if err != nil {
			d.add(child(path, "data"), err, "")
			return nil
		}
		if len(vals) != numel {
			d.add(child(path, "data"), ErrTensor, "%d values for shape %v (%d elements)", len(vals), shape, numel)
			return nil
		}
		t.Data = make([]float64, numel)
		for i, v := range vals {
			x, err := asNumber(v)
			if err == nil {
				x, err = fitDType(x, dtype, string(bytes.TrimSpace(v)))
			}
			if err != nil {
				d.add(index(child(path, "data"), i), err, "")
				return nil
			}
			t.Data[i] = x
		}
		return t
	case f["data_b64"] != nil:
		s, err := asString(f["data_b64"])
		if err != nil {
			d.add(child(path, "data_b64"), err, "")
			return nil
		}
		want := numel * size
		if got := base64.StdEncoding.DecodedLen(len(s)); got < want || got > want+3 {
			d.add(child(path, "data_b64"), ErrTensor, "%d base64 characters cannot hold %d×%d bytes for shape %v %s", len(s), numel, size, shape, dtype)
			return nil
		}
		buf, err = base64.StdEncoding.DecodeString(s)
		if err != nil {
			d.add(child(path, "data_b64"), ErrTensor, "invalid base64: %v", err)
			return nil
		}
		if len(buf) != want {
			d.add(child(path, "data_b64"), ErrTensor, "%d bytes for shape %v %s; want %d", len(buf), shape, dtype, want)
			return nil
		}
	default:
		buf = d.readTensorFile(path, f, numel*size)
		if buf == nil {
			return nil
		}
	}
	t.Data = make([]float64, numel)
	for i := range t.Data {
		b := buf[i*size : (i+1)*size]
		switch dtype {
		case "f32":
			t.Data[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		case "f64":
			t.Data[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		case "i8":
			t.Data[i] = float64(int8(b[0]))
		case "i16":
			t.Data[i] = float64(int16(binary.LittleEndian.Uint16(b)))
		case "i32":
			t.Data[i] = float64(int32(binary.LittleEndian.Uint32(b)))
		case "i64":
			t.Data[i] = float64(int64(binary.LittleEndian.Uint64(b)))
		}
	}
	return t
}

// fitDType checks that x is representable in dtype (parsing f32 literals at 32 bits).
func fitDType(x float64, dtype, lit string) (float64, error) {
	switch dtype {
	case "f32":
		v, err := strconv.ParseFloat(lit, 32)
		if err != nil {
			return 0, fmt.Errorf("%w: %s does not fit f32", ErrValue, lit)
		}
		return v, nil
	case "f64":
		return x, nil
	}
	lo, hi := intRange(dtype)
	if x != math.Trunc(x) || x < lo || x > hi {
		return 0, fmt.Errorf("%w: %s is not an %s integer", ErrValue, lit, dtype)
	}
	return x, nil
}

func intRange(dtype string) (lo, hi float64) {
	switch dtype {
	case "i8":
		return math.MinInt8, math.MaxInt8
	case "i16":
		return math.MinInt16, math.MaxInt16
	case "i32":
		return math.MinInt32, math.MaxInt32
	}
	return -(1 << 63), 1<<63 - 1024
}

// shape reads a shape list; the element count is checked against MaxElements dim by dim
// so that no product can overflow.
func (d *decoder) shape(path string, raw json.RawMessage) ([]int, int, bool) {
	dims, err := asArray(raw)
	if err != nil {
		d.add(path, err, "")
		return nil, 0, false
	}
	if len(dims) > MaxRank {
		d.add(path, ErrTensor, "%d dims; at most %d", len(dims), MaxRank)
		return nil, 0, false
	}
	var shape []int
	numel := 1
	for i, r := range dims {
		n, err := asInt(r)
		if err != nil {
			d.add(index(path, i), err, "")
			return nil, 0, false
		}
		if n < 1 {
			d.add(index(path, i), ErrTensor, "dim %d; dims must be ≥ 1", n)
			return nil, 0, false
		}
		if n > MaxElements || numel > MaxElements/n {
			d.add(path, ErrTooLarge, "shape %s exceeds %d elements", bytes.TrimSpace(raw), MaxElements)
			return nil, 0, false
		}
		numel *= n
		shape = append(shape, n)
	}
	return shape, numel, true
}

// readTensorFile reads an external tensor file: relative path inside the model's folder
// (no absolute paths, no "..", symlinks resolved and re-checked), exact size, sha256.
func (d *decoder) readTensorFile(path string, f map[string]json.RawMessage, want int) []byte {
	fp := child(path, "file")
	name, err := asString(f["file"])
	if err != nil {
		d.add(fp, err, "")
		return nil
	}
	shaRaw, ok := f["sha256"]
	if !ok {
		d.add(path, ErrMissing, "a file tensor needs \"sha256\" (64 hex digits of the file's SHA-256)")
		return nil
	}
	shaHex, err := asString(shaRaw)
	if err != nil {
		d.add(child(path, "sha256"), err, "")
		return nil
	}
	wantSum, err := hex.DecodeString(shaHex)
	if err != nil || len(wantSum) != sha256.Size {
		d.add(child(path, "sha256"), ErrValue, "%q is not 64 hex digits", shaHex)
		return nil
	}
	if d.dir == "" {
		d.add(fp, ErrPath, "%q: external tensor files need the model's folder (decode from a file)", name)
		return nil
	}
	slashed := strings.ReplaceAll(name, "\\", "/")
	if name == "" || strings.HasPrefix(slashed, "/") || filepath.IsAbs(name) || filepath.VolumeName(name) != "" || strings.ContainsRune(name, 0) {
		d.add(fp, ErrPath, "%q: want a relative path inside the model's folder", name)
		return nil
	}
	for _, part := range strings.Split(slashed, "/") {
		if part == ".." {
			d.add(fp, ErrPath, "%q: \"..\" is not allowed; the file must be inside the model's folder", name)
			return nil
		}
	}
	root, err := filepath.EvalSymlinks(d.dir)
	if err != nil {
		d.add(fp, ErrFile, "model folder %q: %v", d.dir, err)
		return nil
	}
	full, err := filepath.EvalSymlinks(filepath.Join(d.dir, filepath.FromSlash(slashed)))
	if err != nil {
		d.add(fp, ErrFile, "%q: %v", name, err)
		return nil
	}
	if rel, err := filepath.Rel(root, full); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		d.add(fp, ErrPath, "%q resolves to %s, outside the model's folder %s", name, full, root)
		return nil
	}
	fh, err := os.Open(full)
	if err != nil {
		d.add(fp, ErrFile, "%q: %v", name, err)
		return nil
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil || !st.Mode().IsRegular() {
		d.add(fp, ErrFile, "%q is not a regular file", name)
		return nil
	}
	if st.Size() != int64(want) {
		d.add(fp, ErrFileSize, "%q has %d bytes; shape and dtype need exactly %d", name, st.Size(), want)
		return nil
	}
	buf := make([]byte, want)
	if _, err := io.ReadFull(fh, buf); err != nil {
		d.add(fp, ErrFile, "%q: %v", name, err)
		return nil
	}
	if sum := sha256.Sum256(buf); !bytes.Equal(sum[:], wantSum) {
		d.add(child(path, "sha256"), ErrChecksum, "%q has sha256 %x; the model says %s", name, sum, shaHex)
		return nil
	}
	return buf
}
