package crossbar

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/targets"
)

// Spread is the mean and spread of one statistic over chip instances.
type Spread struct {
	Key          string
	Mean, Std    float64 // Std is the sample standard deviation (n−1)
	Min, Max     float64
	Values       []float64 // one per trial, in seed order
	PerIndexMean []float64 // output streams only: mean count per neuron
	PerIndexStd  []float64
}

// TrialsResult is what Trials reports.
type TrialsResult struct {
	Seeds   []uint64
	Outputs []Spread // per output stream: total event count
	Stats   []Spread // per trace statistic
}

// Trials runs n chip instances of img (seeds seed, seed+1, ..., seed+n−1; each one
// physical chip with its own faults, spread and noise) on the same stimulus and reports
// the mean and spread of the output spike counts and of the run statistics (energy,
// cell reads, ...). It is what `--trials N` runs.
func Trials(ctx context.Context, img targets.Image, seed uint64, n int, in *emulator.Stimulus, steps int) (*TrialsResult, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: --trials %d, want ≥ 1", targets.ErrFlag, n)
	}
	im, ok := img.(*Image)
	if !ok {
		return nil, fmt.Errorf("%w: not a crossbar image", targets.ErrImage)
	}
	res := &TrialsResult{}
	outs := map[string][][]int{}
	stats := map[string][]float64{}
	var statKeys []string
	for k := 0; k < n; k++ {
		s := seed + uint64(k)
		m, err := load(im, s)
		if err != nil {
			return nil, err
		}
		tr, err := m.Run(ctx, in, steps, nil)
		if err != nil {
			return nil, fmt.Errorf("trial %d (seed %d): %w", k, s, err)
		}
		res.Seeds = append(res.Seeds, s)
		for name, st := range tr.Streams {
			outs[name] = append(outs[name], st.Counts())
		}
		for _, st := range tr.Stats {
			if k == 0 {
				statKeys = append(statKeys, st.Key)
			}
			stats[st.Key] = append(stats[st.Key], st.Value)
		}
	}
	names := make([]string, 0, len(outs))
	for nm := range outs {
		names = append(names, nm)
	}
	sort.Strings(names)
	for _, nm := range names {
		counts := outs[nm]
		tot := make([]float64, len(counts))
		for k, c := range counts {
			for _, v := range c {
				tot[k] += float64(v)
			}
		}
		sp := spread(nm, tot)
		width := len(counts[0])
		sp.PerIndexMean, sp.PerIndexStd = make([]float64, width), make([]float64, width)
		col := make([]float64, len(counts))
		for j := 0; j < width; j++ {
			for k := range counts {
				col[k] = float64(counts[k][j])
			}
			s := spread("", col)
			sp.PerIndexMean[j], sp.PerIndexStd[j] = s.Mean, s.Std
		}
		res.Outputs = append(res.Outputs, sp)
	}
	for _, k := range statKeys {
		res.Stats = append(res.Stats, spread(k, stats[k]))
	}
	return res, nil
}

func spread(key string, v []float64) Spread {
	s := Spread{Key: key, Values: append([]float64(nil), v...), Min: math.Inf(1), Max: math.Inf(-1)}
	for _, x := range v {
		s.Mean += x
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
	}
	s.Mean /= float64(len(v))
	if len(v) > 1 {
		for _, x := range v {
			s.Std += (x - s.Mean) * (x - s.Mean)
		}
		s.Std = math.Sqrt(s.Std / float64(len(v)-1))
	}
	return s
}

// Report renders the result as tables (output spike counts, then statistics).
func (r *TrialsResult) Report() *targets.Report {
	rep := &targets.Report{Target: "crossbar"}
	row := func(s Spread) []string {
		cv := 0.0
		if s.Mean != 0 {
			cv = s.Std / math.Abs(s.Mean)
		}
		return []string{s.Key, fmt.Sprintf("%.6g", s.Mean), fmt.Sprintf("%.4g", s.Std), fmt.Sprintf("%.3g", cv), fmt.Sprintf("%.6g", s.Min), fmt.Sprintf("%.6g", s.Max)}
	}
	t1 := targets.Table{Title: fmt.Sprintf("output spike counts over %d chip instances (seeds %d..%d)", len(r.Seeds), r.Seeds[0], r.Seeds[len(r.Seeds)-1]),
		Header: []string{"output", "mean", "std", "cv", "min", "max"}}
	for _, s := range r.Outputs {
		t1.Rows = append(t1.Rows, row(s))
	}
	t2 := targets.Table{Title: "run statistics over chip instances", Header: t1.Header}
	t2.Header = append([]string{"stat"}, t1.Header[1:]...)
	for _, s := range r.Stats {
		t2.Rows = append(t2.Rows, row(s))
	}
	rep.Tables = []targets.Table{t1, t2}
	rep.Set("trials", len(r.Seeds))
	for _, s := range r.Outputs {
		rep.Set("output."+s.Key+".mean", s.Mean)
		rep.Set("output."+s.Key+".std", s.Std)
	}
	return rep
}
