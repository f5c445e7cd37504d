package llvm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// toolchain is the set of external programs that turn a module into a binary.
type toolchain struct {
	opt, llc, cc string
	version      string // llc --version, part of the cache key
}

// toolDirs are searched after PATH (Debian installs versioned tools there).
var toolDirs = []string{"/usr/lib/llvm-14/bin"}

// findTool returns the first of names found on PATH or in toolDirs.
func findTool(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	for _, d := range toolDirs {
		for _, n := range names {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return ""
}

var (
	toolsOnce sync.Once
	tools     *toolchain
	toolsErr  error
)

// findToolchain locates opt and llc (LLVM 14) and the system C compiler driver used
// as linker. The error names the packages that install what is missing.
func findToolchain() (*toolchain, error) {
	toolsOnce.Do(func() { tools, toolsErr = locateTools(findTool) })
	return tools, toolsErr
}

func locateTools(find func(names ...string) string) (*toolchain, error) {
	tc := &toolchain{
		opt: find("opt-14", "opt"),
		llc: find("llc-14", "llc"),
		cc:  find("cc", "gcc", "clang"),
	}
	var missing []string
	if tc.opt == "" {
		missing = append(missing, "opt (Debian package llvm-14)")
	}
	if tc.llc == "" {
		missing = append(missing, "llc (Debian package llvm-14)")
	}
	if tc.cc == "" {
		missing = append(missing, "cc (Debian package gcc)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: missing %s; install with: apt-get install llvm-14 gcc", ErrTools, strings.Join(missing, ", "))
	}
	out, err := exec.Command(tc.llc, "--version").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%w: %s --version: %v", ErrTools, tc.llc, err)
	}
	tc.version = string(out)
	return tc, nil
}

// hostTriple is the llc default target (the module itself carries no triple so the
// text is portable; opt needs one for its vectorization cost model).
func (tc *toolchain) hostTriple() string {
	for _, l := range strings.Split(tc.version, "\n") {
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, "Default target:"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// optFlags are the optimization flags of a native build (spec: opt -O3, llc -O3; the
// host CPU so the compartment loop uses its widest vectors).
//
// On x86-64, -prefer-256-bit is turned off: where the host has AVX-512 the compartment
// loop then runs 16 lanes wide (measured faster on the CUBA benchmark); elsewhere the
// attribute changes nothing.
func (tc *toolchain) optFlags() []string {
	f := []string{"-O3", "-mcpu=native"}
	if tr := tc.hostTriple(); tr != "" {
		f = append(f, "-mtriple="+tr)
		if strings.HasPrefix(tr, "x86_64") {
			f = append(f, "-mattr=-prefer-256-bit")
		}
	}
	return f
}

// Verify runs `opt -passes=verify` on a module text.
func Verify(module string) error {
	tc, err := findToolchain()
	if err != nil {
		return err
	}
	cmd := exec.Command(tc.opt, "-passes=verify", "-disable-output", "-")
	cmd.Stdin = strings.NewReader(module)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w: opt -verify: %v\n%s", ErrBuild, err, out)
	}
	return nil
}

// cacheDir is where binaries are kept, one per module hash.
func cacheDir() string {
	if d := os.Getenv("SNNC_LLVM_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "snnc", "llvm")
	}
	return filepath.Join(os.TempDir(), "snnc-llvm-cache")
}

var buildMu sync.Mutex

// build compiles module to a native executable (opt -O3, llc -O3, cc) or returns the
// cached one for the same module text, tools and flags.
func build(ctx context.Context, module string) (string, error) {
	tc, err := findToolchain()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(module))
	h.Write([]byte(tc.version))
	h.Write([]byte(strings.Join(tc.optFlags(), " ")))
	if tc.ownRuntime() {
		h.Write([]byte(runtimeC))
	}
	key := hex.EncodeToString(h.Sum(nil))[:32]
	dir := filepath.Join(cacheDir(), key)
	bin := filepath.Join(dir, "net")
	buildMu.Lock()
	defer buildMu.Unlock()
	if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: cache: %v", ErrBuild, err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	defer os.RemoveAll(tmp)
	ll, bc, obj, exe := filepath.Join(tmp, "net.ll"), filepath.Join(tmp, "net.bc"), filepath.Join(tmp, "net.o"), filepath.Join(tmp, "net")
	if err := os.WriteFile(ll, []byte(module), 0o644); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, name, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%w: %s %s: %v\n%s", ErrBuild, filepath.Base(name), strings.Join(args, " "), err, out.String())
		}
		return nil
	}
	if err := run(tc.opt, append(tc.optFlags(), ll, "-o", bc)...); err != nil {
		return "", err
	}
	if err := run(tc.llc, append(tc.optFlags(), "-filetype=obj", "-relocation-model=pic", bc, "-o", obj)...); err != nil {
		return "", err
	}
	if !tc.ownRuntime() || linkOwnRuntime(run, tc.cc, tmp, obj, exe) != nil {
		if err := run(tc.cc, obj, "-o", exe); err != nil {
			return "", err
		}
	}
	if err := os.Rename(exe, bin); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBuild, err)
	}
	return bin, nil
}

// ownRuntime reports whether binaries link runtimeC instead of glibc (x86-64 Linux).
func (tc *toolchain) ownRuntime() bool {
	tr := tc.hostTriple()
	return strings.HasPrefix(tr, "x86_64") && strings.Contains(tr, "linux")
}

// linkOwnRuntime compiles runtimeC and links obj with it, static and without libc.
func linkOwnRuntime(run func(string, ...string) error, cc, tmp, obj, exe string) error {
	src, rt := filepath.Join(tmp, "rt.c"), filepath.Join(tmp, "rt.o")
	if err := os.WriteFile(src, []byte(runtimeC), 0o644); err != nil {
		return err
	}
	if err := run(cc, "-O2", "-ffreestanding", "-fno-builtin", "-fno-stack-protector", "-fno-pie", "-c", src, "-o", rt); err != nil {
		return err
	}
	return run(cc, "-static", "-nostdlib", "-no-pie", obj, rt, "-o", exe)
}

// request is one run of the native program.
type request struct {
	steps  int
	probes []int32 // pop·4 + var
	events []event // sorted by t (stable)
	// v1 writes the protocol of io header version 1 modules (magic "SNN1", no graded
	// list); the caller refuses graded events for those.
	v1 bool
}

// event is one external input event: a unit spike, or a graded spike of size val.
type event struct {
	t, id  int32
	graded bool
	val    float64
}

func (r *request) encode() []byte {
	var b bytes.Buffer
	w := func(v int32) { binary.Write(&b, binary.LittleEndian, v) }
	magic := int32(protoMagic)
	if r.v1 {
		magic = protoMagicV1
	}
	w(magic)
	w(int32(r.steps))
	w(int32(len(r.probes)))
	for _, p := range r.probes {
		w(p)
	}
	var nev, ngev int32
	for _, e := range r.events {
		if e.graded {
			ngev++
		} else {
			nev++
		}
	}
	w(nev)
	for _, e := range r.events {
		if !e.graded {
			w(e.t)
			w(e.id)
		}
	}
	if r.v1 {
		return b.Bytes()
	}
	w(ngev)
	for _, e := range r.events {
		if e.graded {
			w(e.t)
			w(e.id)
			binary.Write(&b, binary.LittleEndian, math.Float64bits(e.val))
		}
	}
	return b.Bytes()
}

// execute runs bin with the request and returns its stdout and the CPU time (user +
// system) the program used.
func execute(ctx context.Context, bin string, r *request) ([]byte, time.Duration, error) {
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdin = bytes.NewReader(r.encode())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, fmt.Errorf("%w: %s: %v %s", ErrRun, bin, err, errb.String())
	}
	return out.Bytes(), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}
