package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
)

type cobraCommand = cobra.Command

var update = flag.Bool("update", false, "rewrite golden files")

const root = "../.."

// snnc runs the CLI in-process and returns exit code, stdout, stderr.
func snnc(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := snnc(t, args...)
	if code != 0 {
		t.Fatalf("snnc %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

func models(t *testing.T) []string {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join(root, "testdata/models/*.json"))
	if err != nil || len(ms) < 5 {
		t.Fatalf("expected example models in testdata/models, got %v (%v)", ms, err)
	}
	return ms
}

// TestGolden compiles every example model for each target, runs it on its stimulus with
// every population's v probed, and compares the trace with testdata/golden (go test
// -update rewrites them). A model a target does not support must fail with exit 1 and a
// message naming a population.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	for _, target := range []string{"ref", "loihi", "crossbar", "analog"} {
		for _, m := range models(t) {
			name := strings.TrimSuffix(filepath.Base(m), ".json")
			t.Run(target+"/"+name, func(t *testing.T) {
				img := filepath.Join(dir, target+name+".img")
				code, _, errs := snnc(t, "compile", m, "--target", target, "-o", img)
				if code != 0 {
					if target == "ref" || code != 1 || !strings.Contains(errs, "population") {
						t.Fatalf("compile: exit %d: %s", code, errs)
					}
					t.Logf("unsupported on %s: %s", target, strings.TrimSpace(errs))
					return
				}
				l, err := readImage(img)
				if err != nil {
					t.Fatal(err)
				}
				var probes []string
				for _, p := range l.Image.Netlist().Populations {
					if p.Model != "Threshold" {
						probes = append(probes, p.Name+".v")
					}
				}
				stim := filepath.Join(root, "testdata/stimuli", name+".json")
				got := mustRun(t, "run", img, "--input", stim, "--probe", strings.Join(probes, ","))
				golden := filepath.Join(root, "testdata/golden", name+"."+target+".json")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./cmd/snnc -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), got); diff != "" {
					t.Errorf("trace differs from %s (-want +got):\n%s", golden, diff)
				}
			})
		}
	}
}

// TestDeterministicCLI: the same command twice gives byte-identical image and trace files.
func TestDeterministicCLI(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(root, "testdata/models/rec_cubalif.json")
	stim := filepath.Join(root, "testdata/stimuli/rec_cubalif.json")
	var files [2][2][]byte
	for i := 0; i < 2; i++ {
		img := filepath.Join(dir, "a.img")
		tr := filepath.Join(dir, "a.trace")
		mustRun(t, "compile", m, "--target", "ref", "-o", img)
		mustRun(t, "run", img, "--input", stim, "-o", tr, "--stats")
		files[i][0], _ = os.ReadFile(img)
		files[i][1], _ = os.ReadFile(tr)
	}
	if !bytes.Equal(files[0][0], files[1][0]) || !bytes.Equal(files[0][1], files[1][1]) {
		t.Fatal("two identical runs wrote different files")
	}
}

// TestUserErrors: each class of bad input exits 1 (or 2 for bad usage) with a message
// naming where and what, and leaves no output file behind.
func TestUserErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ff := filepath.Join(root, "testdata/models/ff_lif.json")
	img := filepath.Join(dir, "ff.img")
	mustRun(t, "compile", ff, "--target", "ref", "-o", img)
	badStim := write("bad_stim.json", `{"format":"snn-spikes","format_version":"1.0.0","dt":0.001,"steps":10,"streams":{"nope":{"shape":[4],"times":[0],"indices":[0]}}}`)
	dtStim := write("dt_stim.json", `{"format":"snn-spikes","format_version":"1.0.0","dt":0.002,"steps":10,"streams":{}}`)
	notJSON := write("broken.json", `{"format": "snn-json", `)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown target", []string{"compile", ff, "--target", "nosuch"}, 2, `unknown target "nosuch"`},
		{"missing model", []string{"compile", filepath.Join(dir, "missing.json"), "-o", filepath.Join(dir, "x.img")}, 1, "missing.json"},
		{"broken model", []string{"compile", notJSON, "-o", filepath.Join(dir, "x.img")}, 1, "broken.json"},
		{"unknown stream", []string{"run", img, "--input", badStim, "-o", filepath.Join(dir, "x.trace")}, 1, `stream "nope" is not an Input`},
		{"dt mismatch", []string{"run", img, "--input", dtStim, "-o", filepath.Join(dir, "x.trace")}, 1, "stimulus dt = 0.002 s but the model's dt = 0.001 s"},
		{"unknown probe", []string{"run", img, "--steps", "5", "--probe", "nosuch.v", "-o", filepath.Join(dir, "x.trace")}, 1, `no population "nosuch"`},
		{"model as image", []string{"run", ff, "--steps", "5"}, 1, "compile it first"},
		{"bad emit", []string{"compile", ff, "--emit", "cheese"}, 2, "--emit"},
		{"unknown flag", []string{"compile", ff, "--frobnicate"}, 2, "unknown flag"},
		{"no steps", []string{"run", img}, 2, "--steps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := snnc(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
	for _, f := range []string{"x.img", "x.trace"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written by a failing command", f)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestEmitAndInspect: every stage dumps as text; inspect prints the report.
func TestEmitAndInspect(t *testing.T) {
	m := filepath.Join(root, "testdata/models/conv.json")
	g := mustRun(t, "compile", m, "--emit", "graph")
	n := mustRun(t, "compile", m, "--emit", "netlist")
	if !strings.Contains(g, "Conv2d") || !strings.Contains(n, "conv") || !strings.Contains(n, "population") {
		t.Fatalf("emit output lacks expected content:\n%s\n%s", g, n)
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "c.img")
	mustRun(t, "compile", m, "-o", img)
	out := mustRun(t, "inspect", img)
	if !strings.Contains(out, "target  ref") || !strings.Contains(out, "populations") {
		t.Fatalf("inspect output:\n%s", out)
	}
	js := mustRun(t, "inspect", img, "--json")
	if !strings.Contains(js, `"model_sha256"`) {
		t.Fatalf("inspect --json:\n%s", js)
	}
}

// TestTrials runs several chip instances of a noisy target and reports their spread.
func TestTrials(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "cb.img")
	mustRun(t, "compile", filepath.Join(root, "testdata/models/ff_lif.json"), "--target", "crossbar", "-o", img)
	out := mustRun(t, "run", img, "--input", filepath.Join(root, "testdata/stimuli/ff_lif.json"), "--trials", "3", "--age", "1d")
	if !strings.Contains(out, "3 chip instances of crossbar (seeds 1..3)") || !strings.Contains(out, "output output events") {
		t.Fatalf("trials output:\n%s", out)
	}
	js := mustRun(t, "run", img, "--input", filepath.Join(root, "testdata/stimuli/ff_lif.json"), "--trials", "2", "--json")
	if !strings.Contains(js, `"std"`) || !strings.Contains(js, `"values"`) {
		t.Fatalf("trials --json output:\n%s", js)
	}
}

// TestLLModule writes a bare .ll module and runs it; it must equal the image's run.
func TestLLModule(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(root, "testdata/models/ff_lif.json")
	stim := filepath.Join(root, "testdata/stimuli/ff_lif.json")
	ll := filepath.Join(dir, "ff.ll")
	code, _, errs := snnc(t, "compile", m, "--target", "llvm", "-o", ll)
	if code != 0 {
		if strings.Contains(errs, "llvm-14") {
			t.Skipf("LLVM tools missing: %s", errs)
		}
		t.Fatalf("compile: %s", errs)
	}
	b, _ := os.ReadFile(ll)
	if !strings.Contains(string(b), "define") {
		t.Fatalf("%s is not an LLVM module", ll)
	}
	a := mustRun(t, "run", ll, "--input", stim)
	img := filepath.Join(dir, "ff.img")
	mustRun(t, "compile", m, "--target", "loihi", "-o", img)
	want := mustRun(t, "run", img, "--input", stim)
	strip := func(s string) string { return s[:strings.Index(s, `"probes"`)] }
	if strip(a) != strip(want) {
		t.Fatalf("native module and loihi emulator disagree:\n%s\n---\n%s", strip(a), strip(want))
	}
	if code, _, _ := snnc(t, "compile", m, "--target", "ref", "-o", filepath.Join(dir, "x.ll")); code != 2 {
		t.Errorf("-o x.ll with --target ref: exit %d, want 2", code)
	}
}

// TestHelpHasExamples: every command documents a worked example in --help.
func TestHelpHasExamples(t *testing.T) {
	for _, mk := range commands {
		c := mk()
		var walk func(c *cobraCommand)
		walk = func(c *cobraCommand) {
			if c.Runnable() && c.Example == "" {
				t.Errorf("snnc %s has no example in --help", c.CommandPath())
			}
			for _, s := range c.Commands() {
				walk(s)
			}
		}
		walk(c)
	}
}

// TestTrainQAT: quantization-aware training through the CLI writes a model that compiles.
func TestTrainQAT(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "q.json")
	out := mustRun(t, "train", "--dataset", "yinyang", "--qat", "--qat-target", "loihi", "--readout", "spiking",
		"--encoder", "latency", "--reset", "zero", "--epochs", "1", "--train-samples", "500", "-o", m)
	if !strings.Contains(out, "test accuracy") {
		t.Fatalf("train --qat output: %s", out)
	}
	mustRun(t, "compile", m, "--target", "loihi", "-o", filepath.Join(dir, "q.img"))
	if code, _, _ := snnc(t, "train", "--dataset", "yinyang", "--qat", "--qat-target", "nosuch", "--epochs", "1", "-o", filepath.Join(dir, "x.json")); code == 0 {
		t.Fatal("--qat-target nosuch accepted")
	}
}
