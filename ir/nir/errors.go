package nir

import "errors"

// Sentinel errors; the returned errors wrap them with the HDF5 path, node or edge.
var (
	// ErrNotNIR: the file is not HDF5, or its layout is not a NIR graph.
	ErrNotNIR = errors.New("not a NIR file")
	// ErrTooLarge: a dataset, string, node count or nesting depth exceeds Limits.
	ErrTooLarge = errors.New("exceeds import limit")
	// ErrDatatype: a dataset has a type NIR does not use where it is found.
	ErrDatatype = errors.New("unsupported dataset type")
	// ErrFramework: an unknown --source-framework name.
	ErrFramework = errors.New("unknown source framework")
	// ErrReset: an unknown reset mode.
	ErrReset = errors.New("unknown reset mode")
	// ErrExport: the graph cannot be written as NIR (non-NIR node types, bad tensors).
	ErrExport = errors.New("cannot export to NIR")
)
