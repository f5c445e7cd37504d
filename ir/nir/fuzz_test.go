package nir

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport feeds mutated .nir bytes to Import through a temporary file
// (scigolib/hdf5 opens files by name only). Import must return a graph or an error,
// never panic, and never allocate past Limits.
func FuzzImport(f *testing.F) {
	for _, name := range []string{"lif_norse.nir", "braille.nir"} {
		b, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x89HDF\r\n\x1a\n"))
	dir := f.TempDir()
	lim := DefaultLimits
	lim.MaxTotalElems = 1 << 20
	lim.MaxDatasetElems = 1 << 18
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.nir")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		g, err := Import(p, ImportOptions{Limits: lim})
		if err == nil && g == nil {
			t.Fatal("nil graph without error")
		}
	})
}
