package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// benchRows runs `snnc bench` with args and --json and returns its rows.
func benchRows(t *testing.T, args ...string) []benchRow {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(append(append([]string{"bench"}, args...), "--json"), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Rows []benchRow `json:"rows"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return res.Rows
}

func TestBenchCUBASmall(t *testing.T) {
	rows := benchRows(t, "--suite", "cuba", "--sizes", "400", "--scale-seconds", "0.02", "--ref=false")
	if len(rows) != 1 || rows[0].Target != "loihi" || rows[0].Neurons != 400 || rows[0].Synapses == 0 || rows[0].WallS <= 0 {
		t.Fatalf("rows %+v", rows)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"bench", "--suite", "nope"}, &out, &errb); code != 2 {
		t.Fatalf("unknown suite: exit %d", code)
	}
}

// TestBenchTwoTau: --two-tau adds the two-dendrite CUBA row (same network, τe and τi kept).
func TestBenchTwoTau(t *testing.T) {
	rows := benchRows(t, "--suite", "cuba", "--sizes", "4000", "--seconds", "0.05", "--ref=false", "--two-tau")
	if len(rows) != 2 || rows[1].Target != "loihi-2tau" || rows[1].Synapses != rows[0].Synapses || rows[1].Cores <= rows[0].Cores {
		t.Fatalf("rows %+v", rows)
	}
}
