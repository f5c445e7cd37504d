package emulator

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadStimulusErrors(t *testing.T) {
	inputs := map[string][]int{"in": {4}}
	head := `{"format":"snn-spikes","format_version":"1.0.0","dt":0.001,"steps":10,"streams":`
	tests := []struct {
		name, body, want string
	}{
		{"unknown stream", `{"x":{"shape":[4],"times":[0],"indices":[0]}}}`, `stream "x" is not an Input`},
		{"index outside shape", `{"in":{"shape":[4],"times":[0,1],"indices":[0,4]}}}`, `indices[1] = 4 outside 0..3`},
		{"time outside steps", `{"in":{"shape":[4],"times":[0,10],"indices":[0,1]}}}`, `times[1] = 10 outside 0..9`},
		{"decreasing times", `{"in":{"shape":[4],"times":[3,2],"indices":[0,1]}}}`, `times[1] = 2 decreases`},
		{"length mismatch", `{"in":{"shape":[4],"times":[0,1],"indices":[0]}}}`, `2 times but 1 indices`},
		{"values mismatch", `{"in":{"shape":[4],"times":[0],"indices":[0],"values":[1,2]}}}`, `1 times but 2 values`},
		{"shape mismatch", `{"in":{"shape":[5],"times":[],"indices":[]}}}`, `shape [5]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadStimulus(strings.NewReader(head+tc.body), inputs)
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrFormat containing %q", err, tc.want)
			}
		})
	}
	for _, bad := range []string{
		`{"format":"other","format_version":"1.0.0","dt":0.001,"steps":1}`,
		`{"format":"snn-spikes","format_version":"2.0.0","dt":0.001,"steps":1}`,
		`{"format":"snn-spikes","format_version":"1.0.0","dt":0,"steps":1}`,
		`{"format":"snn-spikes","format_version":"1.0.0","dt":0.001}`,
		`not json`,
	} {
		if _, err := ReadStimulus(strings.NewReader(bad), nil); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", bad, err)
		}
	}
}

func TestTraceRoundTrip(t *testing.T) {
	tr := NewTrace(0.001, 3)
	s := tr.AddStream("out", []int{2})
	s.Times, s.Indices = []int{0, 2}, []int{1, 0}
	p := tr.AddProbe("l.v", []int{2}, "i32", 3)
	p.Data[1][0] = -5
	tr.Stats = (&Counters{Spikes: 2, EnergyJ: 1.5e-9}).Stats()
	var a, b bytes.Buffer
	if err := tr.Write(&a); err != nil {
		t.Fatal(err)
	}
	back, err := ReadTrace(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Write(&b); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a.String(), b.String()); diff != "" {
		t.Fatalf("round trip changed the file (-want +got):\n%s", diff)
	}
}

// recCore records what it receives and fires neuron 0 at the steps listed.
type recCore struct {
	fireAt map[int]bool
	got    map[int][]Event
}

func (c *recCore) Step(t int, in []Event, fired []int32) []int32 {
	if len(in) > 0 {
		c.got[t] = append([]Event(nil), in...)
	}
	if c.fireAt[t] {
		fired = append(fired, 0)
	}
	return fired
}
func (c *recCore) Reset() {}

func TestEngineLatencyAndDelay(t *testing.T) {
	a := &recCore{fireAt: map[int]bool{2: true}, got: map[int][]Event{}}
	b := &recCore{got: map[int][]Event{}}
	net := &Network{
		Cores:  []Core{a, b},
		Routes: [][][]Target{{{{Core: 1, Axon: 7, Delay: 0}, {Core: 1, Axon: 8, Delay: 3}}}, {nil}},
		Inputs: []InputRoute{{Name: "in", Shape: []int{1}, Routes: [][]Target{{{Core: 0, Axon: 0}}}}},
		Dt:     1e-3,
	}
	e, err := NewEngine(net)
	if err != nil {
		t.Fatal(err)
	}
	stim := &Stimulus{Dt: 1e-3, Steps: 10, Streams: map[string]*Stream{"in": {Shape: []int{1}, Times: []int{4}, Indices: []int{0}, Values: []float64{0.5}}}}
	if _, err := e.Run(context.Background(), stim, 10, nil); err != nil {
		t.Fatal(err)
	}
	// spike at t=2 reaches axon 7 at t=3 and axon 8 at t=3+3; input at t=4 reaches core 0 at t=5.
	wantB := map[int][]Event{3: {{Axon: 7, Value: 1}}, 6: {{Axon: 8, Value: 1}}}
	if diff := cmp.Diff(wantB, b.got); diff != "" {
		t.Errorf("core b deliveries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[int][]Event{5: {{Axon: 0, Value: 0.5}}}, a.got); diff != "" {
		t.Errorf("core a deliveries (-want +got):\n%s", diff)
	}
}

func TestRandStreams(t *testing.T) {
	a, b := NewRand(1, 0), NewRand(1, 0)
	c := NewRand(1, 1)
	same, diff := true, false
	for i := 0; i < 100; i++ {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		same = same && x == y
		diff = diff || x != z
	}
	if !same || !diff {
		t.Fatalf("streams: same seed equal = %v, other stream differs = %v", same, diff)
	}
	// FillNorm moments
	r := NewRand(3, 0)
	v := make([]float64, 20001)
	r.FillNorm(v)
	var m, s float64
	for _, x := range v {
		m += x
		s += x * x
	}
	m /= float64(len(v))
	s = s/float64(len(v)) - m*m
	if m < -0.03 || m > 0.03 || s < 0.96 || s > 1.04 {
		t.Fatalf("FillNorm mean %.3f var %.3f, want ≈ 0 and 1", m, s)
	}
	_ = runtime.GOMAXPROCS(0)
}

// TestRunContinues: Run(7) then Run(6) equals Run(13) — events in flight across the
// boundary keep their slot (the engine counts steps since Reset).
func TestRunContinues(t *testing.T) {
	mk := func() (*Engine, *recCore) {
		a := &recCore{fireAt: map[int]bool{6: true, 7: true, 8: true}, got: map[int][]Event{}}
		b := &recCore{got: map[int][]Event{}}
		e, err := NewEngine(&Network{Cores: []Core{a, b}, Dt: 1e-3,
			Routes: [][][]Target{{{{Core: 1, Axon: 1, Delay: 2}}}, {nil}}})
		if err != nil {
			t.Fatal(err)
		}
		return e, b
	}
	e1, b1 := mk()
	if _, err := e1.Run(context.Background(), nil, 13, nil); err != nil {
		t.Fatal(err)
	}
	e2, b2 := mk()
	for _, n := range []int{7, 6} {
		if _, err := e2.Run(context.Background(), nil, n, nil); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(b1.got, b2.got); diff != "" {
		t.Fatalf("split run differs (-whole +split):\n%s", diff)
	}
	if len(b1.got) != 3 {
		t.Fatalf("core b got %v, want three deliveries", b1.got)
	}
}
