package nir

import (
	"math/rand"
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
	lim.MaxStructs = 1 << 12
	lim.MaxNodes = 1 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ImportBytes(data, "fuzz.nir", ImportOptions{Limits: lim})
		if err == nil && g == nil {
			t.Fatal("nil graph without error")
		}
	})
}

// TestImportMutations is a deterministic stand-in for the fuzzer in ordinary test runs:
// 2000 seeded mutations of real files (random bytes, all-ones and all-zero runs, as the
// fuzzer's "interesting values") must each end in a graph or an error.
func TestImportMutations(t *testing.T) {
	lim := DefaultLimits
	lim.MaxTotalElems = 1 << 20
	lim.MaxDatasetElems = 1 << 18
	for _, name := range []string{filepath.Join(fixtureDir, "lif_norse.nir"), filepath.Join(snntorchDir, "net2.nir")} {
		seed, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(1))
		errs := 0
		for i := 0; i < 1000; i++ {
			b := append([]byte(nil), seed...)
			for k := 0; k < 1+rng.Intn(4); k++ {
				pos := rng.Intn(len(b) - 8)
				switch rng.Intn(3) {
				case 0:
					b[pos] = byte(rng.Intn(256))
				case 1:
					for j := 0; j < 1<<rng.Intn(4); j++ {
						b[pos+j] = 0xff
					}
				case 2:
					for j := 0; j < 1<<rng.Intn(4); j++ {
						b[pos+j] = 0
					}
				}
			}
			if _, err := ImportBytes(b, "mutant.nir", ImportOptions{Limits: lim}); err != nil {
				errs++
			}
		}
		if errs == 0 {
			t.Errorf("%s: no mutant was rejected; the mutations do not reach the parser", name)
		}
		t.Logf("%s: %d of 1000 mutants rejected with an error, none panicked", filepath.Base(name), errs)
	}
}
