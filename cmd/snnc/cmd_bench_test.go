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
