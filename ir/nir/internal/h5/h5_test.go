package h5

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

var testLimits = Limits{MaxElems: 1 << 20, MaxDims: 8, MaxLinks: 1 << 12, MaxStructs: 1 << 14, MaxChunkTree: 32}

// walk loads every object and reads every dataset; it returns the number of datasets.
func walk(f *File, o *Object, depth int) (int, error) {
	if depth > 16 {
		return 0, errors.New("too deep")
	}
	n := 0
	for _, l := range o.Links() {
		c, err := f.Object(l.Addr)
		if err != nil {
			return n, err
		}
		if c.Group {
			k, err := walk(f, c, depth+1)
			n += k
			if err != nil {
				return n, err
			}
			continue
		}
		switch c.Class {
		case Int, Float:
			_, err = c.Numbers()
		case String, VLenString:
			_, err = c.Strings(4096)
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func TestReadFixtures(t *testing.T) {
	for _, tc := range []struct {
		path     string
		datasets int
	}{
		{"../../../../../shared/fixtures/nir/lif_norse.nir", 15},
		{"../../../../../shared/fixtures/snntorch/net2.nir", 29},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			b, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Open(b, testLimits)
			if err != nil {
				t.Fatal(err)
			}
			root, err := f.Root()
			if err != nil {
				t.Fatal(err)
			}
			n, err := walk(f, root, 0)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.datasets {
				t.Errorf("%d datasets, want %d", n, tc.datasets)
			}
		})
	}
}

// TestTruncated: every prefix of a real file is an error or a partial read, never a panic.
func TestTruncated(t *testing.T) {
	b, err := os.ReadFile("../../../../../shared/fixtures/snntorch/net2.nir")
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for n := 0; n < len(b); n += 61 {
		f, err := Open(b[:n], testLimits)
		if err == nil {
			var root *Object
			if root, err = f.Root(); err == nil {
				_, err = walk(f, root, 0)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrLimit) {
				t.Fatalf("prefix %d: error %v is neither ErrFormat nor ErrLimit", n, err)
			}
			failed++
		}
	}
	if failed == 0 {
		t.Error("no truncated prefix failed")
	}
}

func TestLimits(t *testing.T) {
	b, err := os.ReadFile("../../../../../shared/fixtures/nir/braille.nir")
	if err != nil {
		t.Fatal(err)
	}
	lim := testLimits
	lim.MaxElems = 100 // braille has a 38x38 weight
	f, err := Open(b, lim)
	if err != nil {
		t.Fatal(err)
	}
	root, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := walk(f, root, 0); !errors.Is(err, ErrLimit) {
		t.Errorf("err = %v, want ErrLimit", err)
	}
}
