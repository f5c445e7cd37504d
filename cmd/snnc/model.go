package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
)

// importOptions are the flags that control how a .nir file is read.
type importOptions struct {
	dt        float64
	reset     string
	framework string
	// dropDangling drops edges that name a missing node (with a log line) instead of failing.
	dropDangling bool
}

// importNIR is set by cmd_import.go (the .nir reader).
var importNIR func(path string, opt importOptions) (*ir.Graph, error)

// loadModel reads an snn-json or .nir model and returns it with its content hash.
func loadModel(path string, opt importOptions) (*ir.Graph, string, error) {
	if strings.EqualFold(filepath.Ext(path), ".nir") {
		if importNIR == nil {
			return nil, "", fmt.Errorf("%s: .nir import is not built into this snnc", path)
		}
		g, err := importNIR(path, opt)
		if err != nil {
			return nil, "", err
		}
		b, err := readCapped(path)
		if err != nil {
			return nil, "", err
		}
		return g, targets.Hash(b), nil
	}
	g, raw, err := snnjson.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return g, targets.Hash(raw), nil
}
