package emulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// Format identifiers of shared/spec/spikes-format.md.
const (
	SpikesFormat  = "snn-spikes"
	SpikesVersion = "1.0.0"
)

// Stream is one named event stream: (time, flat index[, value]) in time order.
type Stream struct {
	Shape   []int     `json:"shape"`
	Times   []int     `json:"times"`
	Indices []int     `json:"indices"`
	Values  []float64 `json:"values,omitempty"`
}

// Len is the number of events.
func (s *Stream) Len() int { return len(s.Times) }

// Counts returns the number of events per flat index.
func (s *Stream) Counts() []int {
	c := make([]int, numElements(s.Shape))
	for _, i := range s.Indices {
		c[i]++
	}
	return c
}

// ProbeData is the recorded value of one probe, one row per step.
type ProbeData struct {
	Name  string
	Shape []int
	DType string
	Data  [][]float64
}

// Stimulus is an snn-spikes file used as input.
type Stimulus struct {
	Dt      float64
	Steps   int
	Streams map[string]*Stream
}

// Trace is an snn-spikes file produced by a run.
type Trace struct {
	Dt      float64
	Steps   int
	Streams map[string]*Stream
	Probes  []*ProbeData
	Stats   []Stat
}

// NewTrace returns an empty trace.
func NewTrace(dt float64, steps int) *Trace {
	return &Trace{Dt: dt, Steps: steps, Streams: map[string]*Stream{}}
}

// AddStream adds an empty output stream.
func (t *Trace) AddStream(name string, shape []int) *Stream {
	s := &Stream{Shape: append([]int(nil), shape...), Times: []int{}, Indices: []int{}}
	t.Streams[name] = s
	return s
}

// AddProbe adds a probe with steps zero rows.
func (t *Trace) AddProbe(name string, shape []int, dtype string, steps int) *ProbeData {
	n := numElements(shape)
	p := &ProbeData{Name: name, Shape: append([]int(nil), shape...), DType: dtype, Data: make([][]float64, steps)}
	flat := make([]float64, n*steps)
	for i := range p.Data {
		p.Data[i] = flat[i*n : (i+1)*n : (i+1)*n]
	}
	t.Probes = append(t.Probes, p)
	return p
}

// Probe returns the named probe or nil.
func (t *Trace) Probe(name string) *ProbeData {
	for _, p := range t.Probes {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Stat returns the named statistic.
func (t *Trace) Stat(key string) (float64, bool) {
	for _, s := range t.Stats {
		if s.Key == key {
			return s.Value, true
		}
	}
	return 0, false
}

type rawFile struct {
	Format        string                     `json:"format"`
	FormatVersion string                     `json:"format_version"`
	Dt            *float64                   `json:"dt"`
	Steps         *int                       `json:"steps"`
	Streams       map[string]*Stream         `json:"streams"`
	Probes        map[string]json.RawMessage `json:"probes"`
	Stats         map[string]float64         `json:"stats"`
}

// ReadStimulus decodes and validates an snn-spikes file. inputs, when non-nil, maps each
// accepted stream name to its shape; an unknown stream or mismatched shape is an error.
func ReadStimulus(r io.Reader, inputs map[string][]int) (*Stimulus, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return nil, err
	}
	var f rawFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if f.Format != SpikesFormat {
		return nil, fmt.Errorf("%w: format is %q, want %q", ErrFormat, f.Format, SpikesFormat)
	}
	if f.FormatVersion == "" || f.FormatVersion[0] != '1' {
		return nil, fmt.Errorf("%w: format_version %q not supported (this reader reads 1.x)", ErrFormat, f.FormatVersion)
	}
	if f.Dt == nil || !(*f.Dt > 0) || math.IsInf(*f.Dt, 0) {
		return nil, fmt.Errorf("%w: dt must be a positive number", ErrFormat)
	}
	if f.Steps == nil || *f.Steps < 0 || *f.Steps > 1<<30 {
		return nil, fmt.Errorf("%w: steps must be given, 0..2^30", ErrFormat)
	}
	s := &Stimulus{Dt: *f.Dt, Steps: *f.Steps, Streams: f.Streams}
	if s.Streams == nil {
		s.Streams = map[string]*Stream{}
	}
	if err := s.Validate(inputs); err != nil {
		return nil, err
	}
	return s, nil
}

// Validate checks every stream (see the spec's reader rules).
func (s *Stimulus) Validate(inputs map[string][]int) error {
	names := make([]string, 0, len(s.Streams))
	for n := range s.Streams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		st := s.Streams[name]
		if st == nil {
			return fmt.Errorf("%w: stream %q is null", ErrFormat, name)
		}
		if inputs != nil {
			shape, ok := inputs[name]
			if !ok {
				known := make([]string, 0, len(inputs))
				for k := range inputs {
					known = append(known, k)
				}
				sort.Strings(known)
				return fmt.Errorf("%w: stream %q is not an Input of the model (inputs: %v)", ErrFormat, name, known)
			}
			if numElements(shape) != numElements(st.Shape) {
				return fmt.Errorf("%w: stream %q: shape %v, the model's input has shape %v", ErrFormat, name, st.Shape, shape)
			}
		}
		if err := st.validate(name, s.Steps); err != nil {
			return err
		}
	}
	return nil
}

func (st *Stream) validate(name string, steps int) error {
	n := 1
	for _, d := range st.Shape {
		if d <= 0 || d > 1<<28 {
			return fmt.Errorf("%w: stream %q: bad shape %v", ErrFormat, name, st.Shape)
		}
		n *= d
		if n > 1<<28 {
			return fmt.Errorf("%w: stream %q: shape %v too large", ErrFormat, name, st.Shape)
		}
	}
	if len(st.Indices) != len(st.Times) {
		return fmt.Errorf("%w: stream %q: %d times but %d indices", ErrFormat, name, len(st.Times), len(st.Indices))
	}
	if st.Values != nil && len(st.Values) != len(st.Times) {
		return fmt.Errorf("%w: stream %q: %d times but %d values", ErrFormat, name, len(st.Times), len(st.Values))
	}
	for k, t := range st.Times {
		if t < 0 || t >= steps {
			return fmt.Errorf("%w: stream %q: times[%d] = %d outside 0..%d", ErrFormat, name, k, t, steps-1)
		}
		if k > 0 && t < st.Times[k-1] {
			return fmt.Errorf("%w: stream %q: times[%d] = %d decreases (previous %d)", ErrFormat, name, k, t, st.Times[k-1])
		}
		if i := st.Indices[k]; i < 0 || i >= n {
			return fmt.Errorf("%w: stream %q: indices[%d] = %d outside 0..%d", ErrFormat, name, k, i, n-1)
		}
		if st.Values != nil && (math.IsNaN(st.Values[k]) || math.IsInf(st.Values[k], 0)) {
			return fmt.Errorf("%w: stream %q: values[%d] is not finite", ErrFormat, name, k)
		}
	}
	return nil
}

// WriteStimulus encodes a stimulus canonically.
func WriteStimulus(w io.Writer, s *Stimulus) error {
	return (&Trace{Dt: s.Dt, Steps: s.Steps, Streams: s.Streams}).write(w, false)
}

// Write encodes the trace canonically: fixed key order, streams sorted by name,
// probes in recording order, stats in Counters order.
func (t *Trace) Write(w io.Writer) error { return t.write(w, true) }

func (t *Trace) write(w io.Writer, full bool) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "{\n  \"format\": %q,\n  \"format_version\": %q,\n  \"dt\": %s,\n  \"steps\": %d,\n  \"streams\": {",
		SpikesFormat, SpikesVersion, fnum(t.Dt), t.Steps)
	names := make([]string, 0, len(t.Streams))
	for n := range t.Streams {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		s := t.Streams[n]
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(b, "\n    %s: {\"shape\": %s, \"times\": %s, \"indices\": %s", jstr(n), ints(s.Shape), ints(s.Times), ints(s.Indices))
		if s.Values != nil {
			fmt.Fprintf(b, ", \"values\": %s", floats(s.Values))
		}
		b.WriteString("}")
	}
	if len(names) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("}")
	if full {
		b.WriteString(",\n  \"probes\": {")
		for i, p := range t.Probes {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(b, "\n    %s: {\"shape\": %s, \"dtype\": %q, \"data\": [", jstr(p.Name), ints(p.Shape), p.DType)
			for r, row := range p.Data {
				if r > 0 {
					b.WriteString(",")
				}
				b.WriteString("\n      ")
				if p.DType == "f64" || p.DType == "f32" {
					b.WriteString(floats(row))
				} else {
					b.WriteString(intsF(row))
				}
			}
			b.WriteString("]}")
		}
		if len(t.Probes) > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString("},\n  \"stats\": {")
		for i, s := range t.Stats {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%s: %s", jstr(s.Key), fnum(s.Value))
		}
		b.WriteString("}")
	}
	b.WriteString("\n}\n")
	return b.Flush()
}

// ReadTrace decodes a trace written by Write (streams, probes and stats).
func ReadTrace(r io.Reader) (*Trace, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<31))
	if err != nil {
		return nil, err
	}
	var f rawFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if f.Format != SpikesFormat || f.Dt == nil || f.Steps == nil {
		return nil, fmt.Errorf("%w: not an snn-spikes trace (format, dt and steps required)", ErrFormat)
	}
	t := &Trace{Dt: *f.Dt, Steps: *f.Steps, Streams: f.Streams}
	if t.Streams == nil {
		t.Streams = map[string]*Stream{}
	}
	for n, s := range t.Streams {
		if err := s.validate(n, t.Steps); err != nil {
			return nil, err
		}
	}
	// probes keep file order
	if len(f.Probes) > 0 {
		var ordered struct {
			Probes orderedProbes `json:"probes"`
		}
		if err := json.Unmarshal(data, &ordered); err != nil {
			return nil, fmt.Errorf("%w: probes: %v", ErrFormat, err)
		}
		t.Probes = ordered.Probes
	}
	var ordStats struct {
		Stats orderedStats `json:"stats"`
	}
	if err := json.Unmarshal(data, &ordStats); err == nil {
		t.Stats = ordStats.Stats
	}
	return t, nil
}

type orderedProbes []*ProbeData

func (o *orderedProbes) UnmarshalJSON(b []byte) error {
	return decodeOrderedObject(b, func(key string, raw json.RawMessage) error {
		var p struct {
			Shape []int       `json:"shape"`
			DType string      `json:"dtype"`
			Data  [][]float64 `json:"data"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("probe %q: %v", key, err)
		}
		*o = append(*o, &ProbeData{Name: key, Shape: p.Shape, DType: p.DType, Data: p.Data})
		return nil
	})
}

type orderedStats []Stat

func (o *orderedStats) UnmarshalJSON(b []byte) error {
	return decodeOrderedObject(b, func(key string, raw json.RawMessage) error {
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("stat %q: %v", key, err)
		}
		*o = append(*o, Stat{key, v})
		return nil
	})
}

func decodeOrderedObject(b []byte, fn func(string, json.RawMessage) error) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want an object")
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := fn(kt.(string), raw); err != nil {
			return err
		}
	}
	return nil
}

func jstr(s string) string { b, _ := json.Marshal(s); return string(b) }

func fnum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func ints(v []int) string {
	b := make([]byte, 0, 4*len(v)+2)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return string(append(b, ']'))
}

func intsF(v []float64) string {
	b := make([]byte, 0, 4*len(v)+2)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, int64(x), 10)
	}
	return string(append(b, ']'))
}

func floats(v []float64) string {
	b := make([]byte, 0, 8*len(v)+2)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ", "...)
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b = append(b, "null"...)
			continue
		}
		b = append(b, fnum(x)...)
	}
	return string(append(b, ']'))
}
