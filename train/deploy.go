package train

import (
	"context"
	"fmt"
	"math"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train/data"
)

// StimulusFor encodes one sample as an snn-spikes stimulus on the model's Input node:
// events in step order and, within a step, in index order; zero values are omitted;
// graded (non-binary) encoders set Values.
func StimulusFor(enc data.Encoder, x []float32, steps int, seed uint64, index int, dt float64) *emulator.Stimulus {
	n := enc.Inputs(len(x))
	buf := make([]float64, n*steps)
	enc.Encode(buf, x, steps, seed, index)
	st := &emulator.Stream{Shape: []int{n}, Times: []int{}, Indices: []int{}}
	for t := 0; t < steps; t++ {
		for i, v := range buf[t*n : (t+1)*n] {
			if v == 0 {
				continue
			}
			st.Times = append(st.Times, t)
			st.Indices = append(st.Indices, i)
			if !enc.Binary() {
				st.Values = append(st.Values, v)
			}
		}
	}
	if enc.Binary() {
		st.Values = nil
	}
	return &emulator.Stimulus{Dt: dt, Steps: steps, Streams: map[string]*emulator.Stream{InputName: st}}
}

// LogitsFromTrace decodes the output stream of a run the way the trainer reads its
// readout: "count" sums spikes, "max" takes each output's largest value over the steps,
// "sum" the mean (a graded output missing at a step is 0 there).
func LogitsFromTrace(tr *emulator.Trace, decode string, nOut, steps int) ([]float64, error) {
	return LogitsFromWindow(tr, decode, nOut, 0, steps)
}

// LogitsFromWindow decodes like LogitsFromTrace over the trace's steps lag..lag+steps−1
// (a target that pipelines one step per layer answers lag steps late; see OutputLag).
func LogitsFromWindow(tr *emulator.Trace, decode string, nOut, lag, steps int) ([]float64, error) {
	s := tr.Streams[OutputName]
	if s == nil {
		return nil, fmt.Errorf("%w: the trace has no stream %q", ErrShape, OutputName)
	}
	out := make([]float64, nOut)
	if decode == LossCount {
		for k, i := range s.Indices {
			if i < 0 || i >= nOut {
				return nil, fmt.Errorf("%w: output index %d outside 0..%d", ErrShape, i, nOut-1)
			}
			if t := s.Times[k]; t >= lag && t < lag+steps {
				out[i]++
			}
		}
		return out, nil
	}
	if s.Values == nil && len(s.Times) > 0 {
		return nil, fmt.Errorf("%w: decode %q needs a graded output (v_mem), the trace holds spikes", ErrConfig, decode)
	}
	rows := make([]float64, nOut*steps)
	for k, t := range s.Times {
		i := s.Indices[k]
		if t < lag || t >= lag+steps {
			continue
		}
		t -= lag
		if i < 0 || i >= nOut {
			return nil, fmt.Errorf("%w: output event (t %d, index %d) outside %d steps × %d", ErrShape, t, i, steps, nOut)
		}
		rows[t*nOut+i] = s.Values[k]
	}
	for i := range out {
		switch decode {
		case LossMax:
			m := math.Inf(-1)
			for t := 0; t < steps; t++ {
				m = math.Max(m, rows[t*nOut+i])
			}
			out[i] = m
		case LossSum:
			sum := 0.0
			for t := 0; t < steps; t++ {
				sum += rows[t*nOut+i]
			}
			out[i] = sum / float64(steps)
		default:
			return nil, fmt.Errorf("%w: decode %q (want count, max or sum)", ErrUnknown, decode)
		}
	}
	return out, nil
}

// MachineResult is an evaluation on a target's Machine.
type MachineResult struct {
	Accuracy        float64
	Predictions     []int
	SpikesPerSample float64 // from the trace's "spikes" statistic
	EnergyJ         float64 // per inference, from the trace's energy_j statistic
	TimeS           float64 // per inference, from time_s
}

// EvaluateMachine runs every sample of ds on mach (Reset before each) for steps steps
// and decodes the output like the trainer.
func EvaluateMachine(ctx context.Context, mach targets.Machine, ds *data.Dataset, enc data.Encoder, steps int, seed uint64, decode string, nOut int, dt float64, progress func(done, total int)) (*MachineResult, error) {
	return EvaluateMachineLag(ctx, mach, ds, enc, steps, 0, seed, decode, nOut, dt, progress)
}

// OutputLag is how many steps later than the model a target answers: 0 on ref and for
// models written with one-step edge latency; otherwise (a zero-latency model, such as
// snnc train exports, on a target that pipelines one step per layer) the output
// population's depth: an input at t reaches the k-th layer (1-based) at t+k.
func OutputLag(nl *ir.Netlist, target string) int {
	if target == "ref" || nl.Semantics.EdgeLatency != "zero" || len(nl.Outputs) == 0 {
		return 0
	}
	depth := map[string]int{}
	for _, in := range nl.Inputs {
		depth[in.Name] = 0
	}
	// populations are in zero-latency order: one pass over projections per population
	for _, p := range nl.Populations {
		d := 0
		for _, pr := range nl.Into(p.Name) {
			if pr.Latency != 0 {
				continue
			}
			if dp, ok := depth[pr.Pre]; ok {
				d = max(d, dp+1)
			}
		}
		depth[p.Name] = d
	}
	return depth[nl.Outputs[0].Source]
}

// EvaluateMachineLag is EvaluateMachine on a target that answers lag steps late: each
// sample runs steps+lag steps (input in the first steps) and the output is decoded on
// steps lag..lag+steps−1, the window the model's own run uses.
func EvaluateMachineLag(ctx context.Context, mach targets.Machine, ds *data.Dataset, enc data.Encoder, steps, lag int, seed uint64, decode string, nOut int, dt float64, progress func(done, total int)) (*MachineResult, error) {
	res := &MachineResult{Predictions: make([]int, ds.Len())}
	correct := 0
	for i := 0; i < ds.Len(); i++ {
		mach.Reset()
		stim := StimulusFor(enc, ds.Sample(i), steps, seed, i, dt)
		stim.Steps = steps + lag
		tr, err := mach.Run(ctx, stim, steps+lag, nil)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		logits, err := LogitsFromWindow(tr, decode, nOut, lag, steps)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		p := Argmax(logits)
		res.Predictions[i] = p
		if p == ds.Y[i] {
			correct++
		}
		if v, ok := tr.Stat("spikes"); ok {
			res.SpikesPerSample += v
		}
		if v, ok := tr.Stat("energy_j"); ok {
			res.EnergyJ += v
		}
		if v, ok := tr.Stat("time_s"); ok {
			res.TimeS += v
		}
		if progress != nil {
			progress(i+1, ds.Len())
		}
	}
	n := float64(max(1, ds.Len()))
	res.Accuracy = float64(correct) / n
	res.SpikesPerSample /= n
	res.EnergyJ /= n
	res.TimeS /= n
	return res, nil
}
