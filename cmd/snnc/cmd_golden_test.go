package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestGoldenRecordVerify(t *testing.T) {
	for _, target := range []string{"ref", "loihi"} {
		t.Run(target, func(t *testing.T) {
			dir := t.TempDir()
			model := filepath.Join(dir, "ff.json")
			stim := filepath.Join(dir, "stim.json")
			copyFile(t, filepath.Join(root, "testdata/models/ff_lif.json"), model)
			copyFile(t, filepath.Join(root, "testdata/stimuli/ff_lif.json"), stim)
			gold := filepath.Join(dir, "golden", "ff")
			mustRun(t, "golden", "record", gold, "--model", model, "--target", target, "--input", stim, "--probe", "lif1.v")
			for _, f := range []string{"manifest.json", "trace.json"} {
				if _, err := os.Stat(filepath.Join(gold, f)); err != nil {
					t.Fatal(err)
				}
			}
			if out := mustRun(t, "golden", "verify", gold); !strings.HasPrefix(out, "ok ") {
				t.Errorf("verify: %s", out)
			}
			// The folder can move with its inputs (paths are relative).
			moved := filepath.Join(t.TempDir(), "repo")
			if err := os.Rename(dir, moved); err != nil {
				t.Fatal(err)
			}
			gold = filepath.Join(moved, "golden", "ff")
			model = filepath.Join(moved, "ff.json")
			mustRun(t, "golden", "verify", gold)

			// Change one weight: the image hash and the output change.
			b, _ := os.ReadFile(model)
			nb := strings.Replace(string(b), "3.436", "0.436", 1)
			if nb == string(b) {
				t.Fatal("weight to change not found")
			}
			os.WriteFile(model, []byte(nb), 0o644)
			code, out, _ := snnc(t, "golden", "verify", gold)
			if code != 1 {
				t.Fatalf("verify after a model change: exit %d, want 1\n%s", code, out)
			}
			for _, want := range []string{"note model ", "DIFF image hash changed", `DIFF stream "output": first difference at step `, `DIFF probe "lif1.v": first difference at step `, "FAIL "} {
				if !strings.Contains(out, want) {
					t.Errorf("diff lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestGoldenVerifyTraceEdit(t *testing.T) {
	dir := t.TempDir()
	gold := filepath.Join(dir, "g")
	mustRun(t, "golden", "record", gold, "--model", filepath.Join(root, "testdata/models/ff_lif.json"), "--target", "ref",
		"--input", filepath.Join(root, "testdata/stimuli/ff_lif.json"))
	// Drop the first output event from the recording: verify names step and neuron.
	p := filepath.Join(gold, "trace.json")
	b, _ := os.ReadFile(p)
	s := string(b)
	i := strings.Index(s, `"times": [`) + len(`"times": [`)
	j := strings.Index(s[i:], ", ") + i + 2
	k := strings.Index(s, `"indices": [`) + len(`"indices": [`)
	l := strings.Index(s[k:], ", ") + k + 2
	firstT := s[i : j-2]
	firstN := s[k : l-2]
	s = s[:i] + s[j:k] + s[l:]
	os.WriteFile(p, []byte(s), 0o644)
	code, out, _ := snnc(t, "golden", "verify", gold)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	want := `DIFF stream "output": first difference at step ` + firstT + "; neuron(s) " + firstN + " spiked now only"
	if !strings.Contains(out, want) {
		t.Errorf("diff lacks %q:\n%s", want, out)
	}
	if strings.Contains(out, "image hash changed") {
		t.Errorf("image hash reported changed:\n%s", out)
	}
}

func TestGoldenUsage(t *testing.T) {
	if code, _, _ := snnc(t, "golden", "record", t.TempDir(), "--target", "ref"); code != 2 {
		t.Errorf("record without --model: exit %d, want 2", code)
	}
	if code, _, _ := snnc(t, "golden", "verify", filepath.Join(t.TempDir(), "none")); code != 1 {
		t.Errorf("verify of a missing folder: exit %d, want 1", code)
	}
}
