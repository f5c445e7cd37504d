package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
)

func TestFinetuneCLI(t *testing.T) {
	dir := t.TempDir()
	cfg := train.DefaultConfig(4, 16, 3)
	cfg.Loss, cfg.Reset = train.LossSum, train.ResetZero
	m, err := train.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitKaiming(1)
	g, err := m.ExportGraph(train.ExportMeta{Dataset: "yinyang", Encoder: "current", Steps: 10, Seed: 1, EvalSeed: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := snnjson.Encode(g)
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "m.json")
	if err := os.WriteFile(model, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "m.ft.json")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no-target", []string{"finetune", model, "-o", out}, 2, "--target is required"},
		{"bad-method", []string{"finetune", model, "--target", "ref", "--method", "x", "-o", out}, 2, "--method"},
		{"foreign-flag", []string{"finetune", model, "--target", "ref", "--age", "1d", "-o", out}, 2, "--age applies to target"},
		{"ref-json", []string{"finetune", model, "--target", "ref", "--epochs", "1", "--train-samples", "64", "--samples", "40", "--json", "-o", out}, 0, `"fine_tuned"`},
		{"analog-text", []string{"finetune", model, "--target", "analog", "--mismatch", "2", "--epochs", "1", "--train-samples", "32", "--samples", "20", "-o", out}, 0, "deployed as is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var so, se bytes.Buffer
			code := run(tc.args, &so, &se)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, se.String())
			}
			if !strings.Contains(so.String()+se.String(), tc.want) {
				t.Fatalf("output lacks %q:\n%s\n%s", tc.want, so.String(), se.String())
			}
			if code != 0 {
				return
			}
			if _, _, err := snnjson.ReadFile(out); err != nil {
				t.Fatalf("fine-tuned model: %v", err)
			}
			f, err := os.Open(strings.TrimSuffix(out, ".json") + ".img")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := targets.DecodeImage(f); err != nil {
				t.Fatalf("image: %v", err)
			}
			if strings.HasPrefix(tc.name, "ref") {
				var r struct {
					Report struct {
						Float, Deployed struct{ Accuracy float64 }
					}
				}
				if err := json.Unmarshal(so.Bytes(), &r); err != nil {
					t.Fatal(err)
				}
				if r.Report.Float != r.Report.Deployed { // ref is exact
					t.Fatalf("ref deployed %v ≠ float %v", r.Report.Deployed, r.Report.Float)
				}
			}
		})
	}
}

func TestFinetuneDefaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dataset string
		hasVal  bool
		lr      float64
		valN    int
		wantLR  float64
		wantVal int
	}{
		{"yinyang", "yinyang", true, 0, -1, 0.005, 1000},
		{"mnist", "mnist", false, 0, -1, 1e-4, 0},
		{"fashion-mnist", "fashion-mnist", false, 0, -1, 1e-4, 0},
		{"explicit", "mnist", false, 0.002, 300, 0.002, 300},
		{"explicit-zero-val", "yinyang", true, 0.01, 0, 0.01, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lr, v := finetuneDefaults(tc.dataset, tc.hasVal, tc.lr, tc.valN)
			if lr != tc.wantLR || v != tc.wantVal {
				t.Fatalf("lr %g val %d, want %g %d", lr, v, tc.wantLR, tc.wantVal)
			}
		})
	}
}
