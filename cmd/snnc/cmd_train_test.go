package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainThenEval trains a small Yin-Yang model through the CLI, then evaluates the
// written model on ref: the accuracy equals the trainer's (exact export).
func TestTrainThenEval(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "yy.json")
	logf := filepath.Join(dir, "log.jsonl")
	out := mustRun(t, "train", "--dataset", "yinyang", "--arch", "4-40-3", "--epochs", "3", "--train-samples", "1000",
		"--seed", "5", "-o", model, "--log-json", logf, "--json")
	var tr map[string]any
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatalf("train --json: %v\n%s", err, out)
	}
	lines, _ := os.ReadFile(logf)
	if n := strings.Count(string(lines), "\n"); n != 3 {
		t.Errorf("--log-json has %d lines, want one per epoch (3)", n)
	}
	out = mustRun(t, "eval", model, "--json")
	var ev map[string]any
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, out)
	}
	if ev["accuracy"] != tr["test_accuracy"] || ev["spikes_per_inference"] != tr["spikes_per_inference"] {
		t.Errorf("eval on ref: accuracy %v, spikes %v; trainer: %v, %v", ev["accuracy"], ev["spikes_per_inference"], tr["test_accuracy"], tr["spikes_per_inference"])
	}
	if ev["dataset"] != "yinyang" || ev["samples"].(float64) != 1000 {
		t.Errorf("eval defaults from the model: %v", ev)
	}
}

func TestTrainUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no dataset", []string{"train", "-o", filepath.Join(dir, "m.json")}, 2},
		{"unknown dataset", []string{"train", "--dataset", "cifar", "-o", filepath.Join(dir, "m.json")}, 2},
		{"bad arch", []string{"train", "--dataset", "yinyang", "--arch", "4-x-3", "-o", filepath.Join(dir, "m.json")}, 2},
		{"arch does not fit data", []string{"train", "--dataset", "yinyang", "--arch", "5-10-3", "--epochs", "1", "-o", filepath.Join(dir, "m.json")}, 1},
		{"bad encoder", []string{"train", "--dataset", "yinyang", "--encoder", "poisson", "-o", filepath.Join(dir, "m.json")}, 2},
		{"eval missing file", []string{"eval", filepath.Join(dir, "none.json"), "--dataset", "yinyang"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := snnc(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errs)
			}
			if _, err := os.Stat(filepath.Join(dir, "m.json")); err == nil {
				t.Errorf("a failed train left m.json behind")
			}
		})
	}
}
