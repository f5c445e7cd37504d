package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/targets/analog"
)

func TestCalibrateCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("calibration bench takes seconds")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "chip.cal")
	var so, se bytes.Buffer
	if code := run([]string{"calibrate", "--target", "analog", "--seed", "2", "-o", out}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	if !strings.Contains(so.String(), "CV after") {
		t.Errorf("no summary table:\n%s", so.String())
	}
	cal, err := analog.ReadCalibrationFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if cal.Seed != 2 || cal.Profile != "bss2" {
		t.Errorf("calibration for seed %d profile %s", cal.Seed, cal.Profile)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
	}{
		{"other_target", []string{"calibrate", "--target", "loihi", "-o", filepath.Join(dir, "x.cal")}, 2},
		{"bad_profile", []string{"calibrate", "--profile", "nope", "-o", filepath.Join(dir, "x.cal")}, 2},
		{"no_adc", []string{"calibrate", "--profile", "dynapse2", "-o", filepath.Join(dir, "x.cal")}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var so, se bytes.Buffer
			if code := run(c.args, &so, &se); code != c.code {
				t.Errorf("exit %d, want %d: %s", code, c.code, se.String())
			}
			if _, err := os.Stat(filepath.Join(dir, "x.cal")); err == nil {
				t.Error("a failed calibrate left an output file")
			}
		})
	}
}
