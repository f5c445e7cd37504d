package hil

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
	"github.com/snnc/snnc/train/data"
)

// quiet lists, per target, the flags that turn a chip's non-idealities off while keeping
// its quantizer (the QAT forward pass uses that instance's weights). A target not listed
// is deterministic (loihi) or exact (ref).
var quiet = map[string]map[string]string{
	"crossbar": {"prog-noise": "off", "read-noise": "off", "drift": "off", "spread": "off", "faults": "off", "adc-noise": "off"},
	"analog":   {"mismatch": "0", "noise": "0"},
}

// QuietOptions returns topt with the target's noise, mismatch and faults turned off.
func QuietOptions(target string, topt targets.Options) targets.Options {
	f := map[string]string{}
	for k, v := range topt.Flags {
		f[k] = v
	}
	for k, v := range quiet[target] {
		f[k] = v
	}
	return targets.Options{Seed: topt.Seed, Flags: f}
}

// Quantizer gives the weights a noise-free instance of a target holds for float weights:
// the target's own quantizer (Machine.SetWeights then Machine.Weights).
type Quantizer struct {
	mach targets.Machine
}

// NewQuantizer compiles m for the target with its non-idealities off and loads it.
func NewQuantizer(m *train.Model, meta train.ExportMeta, target string, topt targets.Options) (*Quantizer, error) {
	if meta.Steps == 0 {
		meta.Steps = 1
	}
	mach, _, err := deploy(m, meta, target, QuietOptions(target, topt), false, 1)
	if err != nil {
		return nil, err
	}
	return &Quantizer{mach: mach}, nil
}

// Apply writes the quantized weights of src's projections into dst (same architecture).
func (q *Quantizer) Apply(dst, src *train.Model) error {
	for _, p := range src.Projections() {
		w, err := src.Weights(p)
		if err != nil {
			return err
		}
		if err := q.mach.SetWeights(p, w); err != nil {
			return fmt.Errorf("quantize %s: %w", p, err)
		}
		qw, err := q.mach.Weights(p)
		if err != nil {
			return err
		}
		if err := dst.SetWeights(p, qw); err != nil {
			return err
		}
	}
	return nil
}

// QAT trains m in place (simulation only) with the target's quantizer in the forward
// pass: every batch the float weights are quantized by a noise-free instance of the
// target (Quantizer), forward and backward run on the quantized copy with train's BPTT
// (zero edge latency, the model's own time axis), and the gradient updates the float
// weights (straight-through estimator). Biases train as usual (they are compiled, not
// quantized by SetWeights).
func QAT(ctx context.Context, m *train.Model, meta train.ExportMeta, target string, topt targets.Options, tr *data.Dataset, opt Options) ([]EpochStats, error) {
	if err := opt.fill(); err != nil {
		return nil, err
	}
	if n := opt.Encoder.Inputs(tr.Features()); n != m.Layers[0].In {
		return nil, fmt.Errorf("%w: %s encoded by %s has %d inputs, the model has %d", ErrOptions, tr.Name, opt.Encoder.Name(), n, m.Layers[0].In)
	}
	meta.Steps = opt.Steps
	qz, err := NewQuantizer(m, meta, target, topt)
	if err != nil {
		return nil, err
	}
	qm := m.Clone()
	work := qm.NewWork(opt.Steps)
	buf := make([]float64, m.Layers[0].In*opt.Steps)
	g := m.NewGrads()
	nb := (tr.Len() + opt.Batch - 1) / opt.Batch
	adam := train.NewAdam(opt.LR)
	adam.Schedule, adam.Total = opt.Schedule, opt.Epochs*nb
	order := make([]int, tr.Len())
	var stats []EpochStats
	done, total := 0, opt.Epochs*tr.Len()
	for ep := 0; ep < opt.Epochs; ep++ {
		t0 := time.Now()
		encSeed := epochOrder(order, opt.Seed, ep)
		lr := adam.Rate()
		var loss float64
		correct := 0
		for b := 0; b < nb; b++ {
			if err := ctx.Err(); err != nil {
				return stats, err
			}
			if err := qz.Apply(qm, m); err != nil {
				return stats, err
			}
			for i, l := range m.Layers {
				copy(qm.Layers[i].B, l.B)
			}
			idx := order[b*opt.Batch : min((b+1)*opt.Batch, len(order))]
			g.Zero()
			scale := 1 / float64(len(idx))
			for _, i := range idx {
				in := encode(buf, opt.Encoder, tr, i, opt.Steps, encSeed)
				if train.Argmax(work.Forward(&in, nil)) == tr.Y[i] {
					correct++
				}
				loss += work.Loss(tr.Y[i], 0)
				work.Backward(&in, tr.Y[i], 0, scale, g)
				done++
				if opt.Progress != nil {
					opt.Progress(done, total)
				}
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return stats, fmt.Errorf("%w: epoch %d batch %d; lower the learning rate", train.ErrNotFinite, ep+1, b+1)
			}
			adam.Step(m, g)
		}
		st := EpochStats{Epoch: ep + 1, Loss: loss / float64(tr.Len()), TrainAcc: float64(correct) / float64(tr.Len()), LR: lr, Seconds: time.Since(t0).Seconds()}
		stats = append(stats, st)
		if opt.Log != nil {
			opt.Log(st)
		}
	}
	return stats, nil
}

// FinetuneQAT is Finetune's baseline: the same report, with m fine-tuned by QAT instead
// of with the chip in the loop (the chip instance is only used to measure).
func FinetuneQAT(ctx context.Context, m *train.Model, meta train.ExportMeta, target string, topt targets.Options, trainSet, test *data.Dataset, opt Options) (*Report, *train.Model, error) {
	start := time.Now()
	rep, err := begin(ctx, "qat", m, &meta, target, topt, test, &opt)
	if err != nil {
		return nil, nil, err
	}
	ft := m.Clone()
	st, err := QAT(ctx, ft, meta, target, topt, trainSet, opt)
	if err != nil {
		return nil, nil, err
	}
	rep.Epochs = st
	if err := after(ctx, rep, ft, meta, target, topt, test, opt); err != nil {
		return nil, nil, err
	}
	rep.InLoop = rep.FineTuned
	rep.Seconds = time.Since(start).Seconds()
	return rep, ft, nil
}
