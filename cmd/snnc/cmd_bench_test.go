package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestBenchCUBASmall(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"bench", "--suite", "cuba", "--sizes", "400", "--scale-seconds", "0.02", "--ref=false", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Rows []benchRow `json:"rows"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(res.Rows) != 1 || res.Rows[0].Target != "loihi" || res.Rows[0].Neurons != 400 || res.Rows[0].Synapses == 0 || res.Rows[0].WallS <= 0 {
		t.Fatalf("rows %+v", res.Rows)
	}
	if code := run([]string{"bench", "--suite", "nope"}, &out, &errb); code != 2 {
		t.Fatalf("unknown suite: exit %d", code)
	}
}

// TestBenchTwoTau: --two-tau adds the two-dendrite CUBA row (same network, τe and τi kept).
func TestBenchTwoTau(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"bench", "--suite", "cuba", "--sizes", "4000", "--seconds", "0.05", "--ref=false", "--two-tau", "--json"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res struct {
		Rows []benchRow `json:"rows"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(res.Rows) != 2 || res.Rows[1].Target != "loihi-2tau" || res.Rows[1].Synapses != res.Rows[0].Synapses || res.Rows[1].Cores <= res.Rows[0].Cores {
		t.Fatalf("rows %+v", res.Rows)
	}
}
