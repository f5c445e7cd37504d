package nir

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/scigolib/hdf5"
	"github.com/snnc/snnc/ir"
)

// Version is written to /version of exported files (NIR never checks it).
const Version = "snnc-nir-1"

// Metadata keys under /node/metadata that carry snnc's semantics header through a .nir
// file; Import uses them when no --source-framework is given.
const (
	metaDt        = "snnc_dt"
	metaDisc      = "snnc_discretization"
	metaResetMode = "snnc_reset_mode"
	metaResetTime = "snnc_reset_timing"
	metaCompare   = "snnc_threshold_compare"
	metaLatency   = "snnc_edge_latency"
)

// Export writes g as a .nir file at path (through a temporary file and a rename, so a
// failed export leaves nothing behind). Every node must be of a NIR type.
func Export(g *ir.Graph, path string) error {
	if err := checkExportable(g, ""); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	if err := writeFile(g, name); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("export %s: %w", path, err)
	}
	return nil
}

// ExportBytes returns the .nir file for g.
func ExportBytes(g *ir.Graph) ([]byte, error) {
	if err := checkExportable(g, ""); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "snnc-nir-export")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "model.nir")
	if err := writeFile(g, p); err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// checkExportable reports every node that NIR cannot hold.
func checkExportable(g *ir.Graph, prefix string) error {
	var is ir.Issues
	var walk func(g *ir.Graph, prefix string)
	walk = func(g *ir.Graph, prefix string) {
		for _, n := range g.Nodes {
			where := "node " + prefix + n.Name
			if n.Sub != nil {
				walk(n.Sub, prefix+n.Name+".")
				continue
			}
			if _, ok := ir.KnownTypes[n.Type]; !ok || len(n.Type) > 5 && n.Type[:5] == "snnc." || n.Type == ir.TGraph {
				is.Add(where, ErrExport, "type %q is not a NIR type; only NIR types can be exported", n.Type)
				continue
			}
			if n.Snnc != nil {
				is.Add(where, ErrExport, "snnc overrides (reset, threshold compare, hints, dale) cannot be stored in NIR")
			}
			for k, t := range n.Params {
				if t == nil || len(t.Data) != ir.NumElements(t.Shape) {
					is.Add(where, ErrExport, "parameter %s: %d values for shape %v", k, lenOf(t), shapeOf(t))
				} else if i := t.FirstNonFinite(); i >= 0 {
					is.Add(where, ir.ErrNonFinite, "parameter %s[%d] = %v", k, i, t.Data[i])
				}
			}
		}
	}
	walk(g, prefix)
	return is.Err()
}

func lenOf(t *ir.Tensor) int {
	if t == nil {
		return 0
	}
	return len(t.Data)
}

func shapeOf(t *ir.Tensor) []int {
	if t == nil {
		return nil
	}
	return t.Shape
}

func writeFile(g *ir.Graph, path string) (err error) {
	fw, err := hdf5.CreateForWrite(path, hdf5.CreateTruncate, hdf5.WithSuperblockVersion(0))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := fw.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := writeStrings(fw, "/version", []uint64{1}, []string{Version}); err != nil {
		return err
	}
	if _, err := fw.CreateGroup("/node"); err != nil {
		return fmt.Errorf("/node: %w", err)
	}
	if err := writeGraph(fw, g, "/node"); err != nil {
		return err
	}
	return writeSemantics(fw, g.Semantics)
}

func writeGraph(fw *hdf5.FileWriter, g *ir.Graph, path string) error {
	if err := writeStrings(fw, path+"/type", []uint64{1}, []string{ir.TGraph}); err != nil {
		return err
	}
	if _, err := fw.CreateGroup(path + "/nodes"); err != nil {
		return fmt.Errorf("%s/nodes: %w", path, err)
	}
	for _, n := range g.Nodes {
		np := path + "/nodes/" + n.Name
		if _, err := fw.CreateGroup(np); err != nil {
			return fmt.Errorf("%s: %w", np, err)
		}
		if n.Sub != nil {
			if err := writeGraph(fw, n.Sub, np); err != nil {
				return err
			}
			continue
		}
		if err := writeStrings(fw, np+"/type", []uint64{1}, []string{n.Type}); err != nil {
			return err
		}
		keys := make([]string, 0, len(n.Params))
		for k := range n.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := writeTensor(fw, np+"/"+k, n.Params[k]); err != nil {
				return err
			}
		}
		akeys := make([]string, 0, len(n.Attrs))
		for k := range n.Attrs {
			akeys = append(akeys, k)
		}
		sort.Strings(akeys)
		for _, k := range akeys {
			if err := writeStrings(fw, np+"/"+k, []uint64{1}, []string{n.Attrs[k]}); err != nil {
				return err
			}
		}
	}
	if len(g.Edges) > 0 {
		flat := make([]string, 0, 2*len(g.Edges))
		for _, e := range g.Edges {
			flat = append(flat, e.From, e.To)
		}
		if err := writeStrings(fw, path+"/edges", []uint64{uint64(len(g.Edges)), 2}, flat); err != nil {
			return err
		}
	}
	return nil
}

// writeSemantics stores the semantics header as NIR metadata (free-form, never changing
// NIR meaning) so a snnc round trip keeps dt and the reset rule.
func writeSemantics(fw *hdf5.FileWriter, s ir.Semantics) error {
	if s.Dt <= 0 {
		return nil
	}
	if _, err := fw.CreateGroup("/node/metadata"); err != nil {
		return fmt.Errorf("/node/metadata: %w", err)
	}
	if err := writeTensor(fw, "/node/metadata/"+metaDt, &ir.Tensor{Shape: []int{1}, Data: []float64{s.Dt}, DType: "f64"}); err != nil {
		return err
	}
	for _, kv := range [][2]string{{metaDisc, s.Discretization}, {metaResetMode, s.Reset.Mode}, {metaResetTime, s.Reset.Timing},
		{metaCompare, s.ThresholdCompare}, {metaLatency, s.EdgeLatency}} {
		if kv[1] == "" {
			continue
		}
		if err := writeStrings(fw, "/node/metadata/"+kv[0], []uint64{1}, []string{kv[1]}); err != nil {
			return err
		}
	}
	return nil
}

func writeStrings(fw *hdf5.FileWriter, path string, dims []uint64, s []string) error {
	dw, err := fw.CreateDataset(path, hdf5.VLenString, dims)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := dw.Write(s); err != nil {
		dw.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return dw.Close()
}

// writeTensor writes t with its stored dtype. HDF5 written by scigolib/hdf5 cannot hold a
// scalar dataspace, so a 0-d tensor is written with shape [1].
func writeTensor(fw *hdf5.FileWriter, path string, t *ir.Tensor) error {
	dims := make([]uint64, 0, len(t.Shape))
	for _, d := range t.Shape {
		dims = append(dims, uint64(d))
	}
	if len(dims) == 0 {
		dims = []uint64{1}
	}
	if len(t.Data) == 0 {
		// zero-length datasets are not writable; NIR never needs them
		return fmt.Errorf("%s: %w: empty tensor", path, ErrExport)
	}
	var dt hdf5.Datatype
	var data any
	switch t.DType {
	case "i8", "i16", "i32", "i64":
		dt = hdf5.Int64
		v := make([]int64, len(t.Data))
		for i, x := range t.Data {
			if x != math.Trunc(x) {
				return fmt.Errorf("%s: %w: dtype %s holds non-integer %v", path, ErrExport, t.DType, x)
			}
			v[i] = int64(x)
		}
		data = v
	case "f32":
		dt = hdf5.Float32
		v := make([]float32, len(t.Data))
		for i, x := range t.Data {
			v[i] = float32(x)
		}
		data = v
	default:
		dt = hdf5.Float64
		data = t.Data
	}
	dw, err := fw.CreateDataset(path, dt, dims)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := dw.Write(data); err != nil {
		dw.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return dw.Close()
}
