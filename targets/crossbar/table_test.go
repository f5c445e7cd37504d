package crossbar

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
)

var tableOut = flag.String("table", "", "write the non-ideality error table (markdown) to this file")

// allOff switches every non-ideality of a real profile off.
var allOff = []string{"prog-noise", "off", "read-noise", "off", "drift", "off", "spread", "off", "faults", "off",
	"adc-noise", "off", "adc-quant", "off", "ir-drop", "off", "levels", "0", "drift-comp", "off"}

func with(base []string, kv ...string) []string {
	out := append([]string(nil), base...)
	for i := 0; i+1 < len(kv); i += 2 {
		found := false
		for j := 0; j+1 < len(out); j += 2 {
			if out[j] == kv[i] {
				out[j+1], found = kv[i+1], true
			}
		}
		if !found {
			out = append(out, kv[i], kv[i+1])
		}
	}
	return out
}

type tableRow struct {
	name  string
	flags []string
}

var tableRows = []tableRow{
	{"ideal", []string{"device", "ideal"}},
	{"16 levels (quantization only)", with(allOff, "device", "rram", "levels", "16")},
	{"programming noise (rram)", with(allOff, "device", "rram", "prog-noise", "on")},
	{"read noise (rram, 1 %)", with(allOff, "device", "rram", "read-noise", "on")},
	{"read noise (pcm 1/f, age 1h)", with(allOff, "device", "pcm", "read-noise", "on", "age", "1h")},
	{"device spread", with(allOff, "device", "rram", "spread", "on")},
	{"stuck-at faults", with(allOff, "device", "rram", "faults", "on")},
	{"drift rram, 1 d", with(allOff, "device", "rram", "drift", "on", "age", "1d")},
	{"drift pcm, 1 h, no compensation", with(allOff, "device", "pcm", "drift", "on", "age", "1h")},
	{"drift pcm, 1 d, no compensation", with(allOff, "device", "pcm", "drift", "on", "age", "1d")},
	{"drift pcm, 1 y, no compensation", with(allOff, "device", "pcm", "drift", "on", "age", "1y")},
	{"drift pcm, 1 y, global compensation", with(allOff, "device", "pcm", "drift", "on", "age", "1y", "drift-comp", "on")},
	{"IR drop first-order (1 Ω)", with(allOff, "device", "rram", "ir-drop", "first-order")},
	{"IR drop exact nodal solve (1 Ω)", with(allOff, "device", "rram", "ir-drop", "nodal")},
	{"ADC 8 bit, bound ±12", with(allOff, "device", "rram", "adc-quant", "on")},
	{"ADC 6 bit, bound ±12", with(allOff, "device", "rram", "adc-quant", "on", "adc-bits", "6")},
	{"ADC noise σ 0.04", with(allOff, "device", "rram", "adc-noise", "on")},
	{"all on, rram (defaults)", []string{"device", "rram"}},
	{"all on, pcm (defaults), age 1 d", []string{"device", "pcm", "age", "1d"}},
}

// tableNet is the fixed network of the error table: 256-128-10 LIF.
func tableNet() (*ir.Netlist, *emulator.Stimulus, int) {
	steps := 100
	return mlp(42, []int{256, 128, 10}, 6), poisson(43, 256, steps, 0.1), steps
}

// TestNonIdealityTable measures the output spike count error vs ref for each
// non-ideality alone (seed 1) and checks the ideal row is exact and every non-ideality
// moves the result.
func TestNonIdealityTable(t *testing.T) {
	nl, stim, steps := tableNet()
	want := runRef(t, nl, stim, steps)
	errs := map[string]float64{}
	var b strings.Builder
	fmt.Fprintf(&b, "| non-ideality (alone) | output spike count error vs ref | output spikes (ref %d) |\n|---|---|---|\n", want.Streams["out"].Len())
	for _, r := range tableRows {
		_, m := compileLoad(t, nl, flags(r.flags...))
		got := runMachine(t, m, stim, steps)
		e := countErr(got, want)
		fmt.Fprintf(&b, "| %s | %.1f %% | %d |\n", r.name, 100*e, got.Streams["out"].Len())
		errs[r.name] = e
		switch {
		case r.name == "ideal" && e != 0:
			t.Errorf("%s: error %v, want 0", r.name, e)
		case r.name != "ideal" && e == 0:
			t.Errorf("%s: no effect on the output", r.name)
		}
	}
	t.Log("\n" + b.String())
	// documented directions: pcm drift error grows with age, compensation removes most of it
	if !(errs["drift pcm, 1 h, no compensation"] < errs["drift pcm, 1 d, no compensation"] &&
		errs["drift pcm, 1 d, no compensation"] < errs["drift pcm, 1 y, no compensation"]) {
		t.Errorf("pcm drift error does not grow with age")
	}
	if errs["drift pcm, 1 y, global compensation"] >= errs["drift pcm, 1 y, no compensation"]/2 {
		t.Errorf("drift compensation does not halve the 1 y error")
	}
	if errs["ADC 6 bit, bound ±12"] <= errs["ADC 8 bit, bound ±12"] {
		t.Errorf("6-bit ADC not worse than 8-bit")
	}
	if *tableOut != "" {
		if err := os.WriteFile(*tableOut, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
