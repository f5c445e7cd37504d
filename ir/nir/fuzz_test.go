package nir

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport feeds mutated .nir bytes to ImportBytes. It must return a graph or an
// error, never panic, and never allocate past Limits.
func FuzzImport(f *testing.F) {
	for _, p := range []string{filepath.Join(fixtureDir, "lif_norse.nir"), filepath.Join(snntorchDir, "net2.nir")} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x89HDF\r\n\x1a\n"))
	lim := DefaultLimits
	lim.MaxTotalElems = 1 << 20
	lim.MaxDatasetElems = 1 << 18
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ImportBytes(data, "fuzz.nir", ImportOptions{Limits: lim})
		if err == nil && g == nil {
			t.Fatal("nil graph without error")
		}
	})
}
