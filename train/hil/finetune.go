package hil

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
	"github.com/snnc/snnc/train/data"
)

// Options control Finetune and QAT.
type Options struct {
	Epochs, Batch, Steps int
	LR                   float64
	Schedule             string // "const" or "cosine"
	Encoder              data.Encoder
	Seed                 uint64 // sample order and stochastic encoders during training
	EvalSeed             uint64 // stochastic encoders during evaluation
	// NoMembranes uses only recorded spikes (membranes re-simulated) even where the
	// target exposes membranes.
	NoMembranes bool
	// NoFit turns off the per-neuron fit of the chip's leak and gain to the recorded
	// membranes (dynFit) used by the backward pass where the target exposes membranes.
	NoFit bool
	// Val, when set, selects the weights: the chip's accuracy on Val is measured (in the
	// loop, through SetWeights) before training and after every epoch, and the best
	// weights are kept (never the test split).
	Val *data.Dataset
	// ValInLoop measures the validation accuracy on the in-loop instance through
	// SetWeights instead of a fresh compile of the candidate weights for the same chip
	// instance (the default: it is what Finetune deploys and reports as FineTuned).
	ValInLoop bool
	// Headroom (> 1) widens the weight range of the in-loop compile (see observed); 0
	// picks the target's default (DefaultHeadroom), 1 turns it off.
	Headroom float64
	// Log receives each epoch's statistics; Progress each finished chip run.
	Log      func(EpochStats)
	Progress func(done, total int)
}

// Defaults are the fine-tuning defaults (`snnc finetune`).
var Defaults = Options{Epochs: 10, Batch: 16, LR: 0.005, Schedule: "cosine"}

// DatasetLR is the fine-tuning learning rate per data set where it differs from
// Defaults.LR (docs/finetune.md, measured on crossbar rram --age 1d): the MNIST models of
// `snnc train` (trained at 0.001) lose 1–2 points on a crossbar and are destroyed by the
// Yin-Yang rate (5000 samples, 3 epochs: 0.005 → 91.0 % (earlier build), 0.001 → 96.3 %, 0.0005 → 96.6 %,
// 0.0002 → 96.8 %, 0.0001 → 97.1 %, 0.00005 → 97.0 %, float 97.8 %), while Yin-Yang
// chips lose 15–30 points and need the larger rate. Fashion-MNIST (same preset and
// recipe as MNIST) takes the MNIST rate unmeasured.
var DatasetLR = map[string]float64{"mnist": 1e-4, "mnist10": 1e-4, "fashion-mnist": 1e-4}

// LRFor returns the default fine-tuning learning rate of a data set.
func LRFor(dataset string) float64 {
	if lr, ok := DatasetLR[dataset]; ok {
		return lr
	}
	return Defaults.LR
}

// EpochStats are one in-the-loop epoch's figures (measured on the chip).
type EpochStats struct {
	Epoch    int     `json:"epoch"`
	Loss     float64 `json:"loss"`
	TrainAcc float64 `json:"train_accuracy"`
	LR       float64 `json:"lr"`
	Seconds  float64 `json:"seconds"`
	// ValAcc is the chip's accuracy on the validation set after the epoch (with Val).
	ValAcc float64 `json:"val_accuracy,omitempty"`
}

// Measure is one model's figures on the test set.
type Measure struct {
	Accuracy        float64 `json:"accuracy"`
	SpikesPerSample float64 `json:"spikes_per_inference"`
	EnergyJ         float64 `json:"energy_j_per_inference,omitempty"`
}

// Report is the outcome of a fine-tuning: the three accuracies on the same test set.
type Report struct {
	Target     string            `json:"target"`
	Seed       uint64            `json:"seed"`
	Flags      map[string]string `json:"flags"`
	Method     string            `json:"method"` // "hil" or "qat"
	Samples    int               `json:"test_samples"`
	Steps      int               `json:"steps"`
	ChipSteps  int               `json:"chip_steps"` // steps run per inference (T + output lag)
	Float      Measure           `json:"float"`
	Deployed   Measure           `json:"deployed"`
	FineTuned  Measure           `json:"fine_tuned"`
	FloatAfter float64           `json:"float_accuracy_after"` // the fine-tuned float model in simulation
	// InLoop is the fine-tuned model on the training chip instance as programmed through
	// SetWeights (FineTuned is a fresh compile of the fine-tuned model for the same seed).
	InLoop Measure `json:"in_loop"`
	// ValStart is the chip's validation accuracy before fine-tuning and BestEpoch the
	// epoch whose weights were kept (0: the original weights); with Options.Val.
	ValStart    float64      `json:"val_accuracy_start,omitempty"`
	BestEpoch   int          `json:"best_epoch"`
	Epochs      []EpochStats `json:"epochs"`
	Seconds     float64      `json:"seconds"`
	Warnings    []string     `json:"warnings,omitempty"`
	Projections []string     `json:"projections"`
}

func (o *Options) fill() error {
	if o.Epochs < 0 || o.Batch <= 0 || o.Steps <= 0 || !(o.LR > 0) {
		return fmt.Errorf("%w: epochs %d, batch %d, steps %d, lr %g (need epochs ≥ 0, batch > 0, steps > 0, lr > 0)", ErrOptions, o.Epochs, o.Batch, o.Steps, o.LR)
	}
	if o.Encoder == nil {
		return fmt.Errorf("%w: no encoder", ErrOptions)
	}
	if o.Schedule == "" {
		o.Schedule = "cosine"
	}
	return train.ValidateSchedule(o.Schedule)
}

// DefaultHeadroom is the in-loop weight-range headroom per target (Options.Headroom 0):
// analog keeps each projection's compiled gain in SetWeights, so it gets room to grow
// weights; crossbar re-picks its column scales on every SetWeights and ref is exact.
// Loihi keeps its compiled weight exponent too, but without headroom the in-loop chip
// quantizes like the fresh compile that is deployed, which measured better (docs/
// finetune.md "Loihi headroom").
var DefaultHeadroom = map[string]float64{"analog": 1.5}

func (o *Options) headroom(target string) float64 {
	if o.Headroom > 0 {
		return o.Headroom
	}
	if h, ok := DefaultHeadroom[target]; ok {
		return h
	}
	return 1
}

// deploy compiles m for the target and loads the chip instance of topt.Seed.
func deploy(m *train.Model, meta train.ExportMeta, target string, topt targets.Options, observe bool, headroom float64) (targets.Machine, *targets.Report, error) {
	g, err := m.ExportGraph(meta)
	if observe {
		g, err = observed(m, meta, headroom)
	}
	if err != nil {
		return nil, nil, err
	}
	res, err := build(g, target, topt)
	if err != nil {
		return nil, nil, err
	}
	mach, err := res.Target.Load(res.Image, res.Options)
	if err != nil {
		return nil, nil, err
	}
	return mach, res.Report, nil
}

// EvaluateChip runs every sample of ds on the chip (Reset before each) for T plus the
// output's lag steps and decodes the output on the model's time window (see Lag).
func EvaluateChip(ctx context.Context, chip Chip, target string, m *train.Model, ds *data.Dataset, enc data.Encoder, steps int, seed uint64, progress func(done, total int)) (*Measure, error) {
	r := newRecorder(chip, target, m, enc, steps, false)
	var res Measure
	correct := 0
	for i := 0; i < ds.Len(); i++ {
		if _, err := r.record(ctx, ds, i, seed, false); err != nil {
			return nil, err
		}
		if train.Argmax(r.st.logits) == ds.Y[i] {
			correct++
		}
		res.SpikesPerSample += r.spikes
		res.EnergyJ += r.energyJ
		if progress != nil {
			progress(i+1, ds.Len())
		}
	}
	n := float64(max(1, ds.Len()))
	res.Accuracy = float64(correct) / n
	res.SpikesPerSample /= n
	res.EnergyJ /= n
	return &res, nil
}

// Finetune fine-tunes a copy of m with the chip instance (target, topt.Seed) in the loop
// and returns the report and the fine-tuned model (m is not changed). meta is written into
// the exported graphs it compiles (Steps must be set).
func Finetune(ctx context.Context, m *train.Model, meta train.ExportMeta, target string, topt targets.Options, trainSet, test *data.Dataset, opt Options) (*Report, *train.Model, error) {
	start := time.Now()
	rep, err := begin(ctx, "hil", m, &meta, target, topt, test, &opt)
	if err != nil {
		return nil, nil, err
	}
	mach, _, err := deploy(m, meta, target, topt, true, opt.headroom(target))
	if err != nil {
		return nil, nil, fmt.Errorf("compile the observed network: %w", err)
	}
	ft := m.Clone()
	fresh := func(c *train.Model) (targets.Machine, error) {
		mc, _, err := deploy(c, meta, target, topt, false, 1)
		return mc, err
	}
	if err := loop(ctx, ft, mach, fresh, target, trainSet, opt, rep); err != nil {
		return nil, nil, err
	}
	il, err := EvaluateChip(ctx, mach, target, ft, test, opt.Encoder, opt.Steps, opt.EvalSeed, nil)
	if err != nil {
		return nil, nil, err
	}
	rep.InLoop = *il
	if err := after(ctx, rep, ft, meta, target, topt, test, opt); err != nil {
		return nil, nil, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, ft, nil
}

// begin checks opt (filling defaults), sets meta.Steps and returns the report of a
// fine-tuning run by method with the float and deployed figures filled.
func begin(ctx context.Context, method string, m *train.Model, meta *train.ExportMeta, target string, topt targets.Options, test *data.Dataset, opt *Options) (*Report, error) {
	if err := opt.fill(); err != nil {
		return nil, err
	}
	meta.Steps = opt.Steps
	rep := &Report{Target: target, Seed: topt.Seed, Flags: topt.Flags, Method: method, Samples: test.Len(), Steps: opt.Steps,
		ChipSteps: opt.Steps + Lag(target, len(m.Layers)-1), Projections: m.Projections()}
	if err := baseline(ctx, rep, m, *meta, target, topt, test, *opt); err != nil {
		return nil, err
	}
	return rep, nil
}

// baseline fills the float and deployed figures.
func baseline(ctx context.Context, rep *Report, m *train.Model, meta train.ExportMeta, target string, topt targets.Options, test *data.Dataset, opt Options) error {
	fres, err := train.Evaluate(m, test, opt.Encoder, opt.Steps, opt.EvalSeed)
	if err != nil {
		return err
	}
	rep.Float = Measure{Accuracy: fres.Accuracy, SpikesPerSample: fres.SpikesPerSample}
	plain, crep, err := deploy(m, meta, target, topt, false, 1)
	if err != nil {
		return err
	}
	if crep != nil {
		rep.Warnings = append(rep.Warnings, crep.Warnings...)
	}
	d, err := EvaluateChip(ctx, plain, target, m, test, opt.Encoder, opt.Steps, opt.EvalSeed, nil)
	if err != nil {
		return err
	}
	rep.Deployed = *d
	return nil
}

// after compiles the fine-tuned model afresh for the same chip instance and measures it.
func after(ctx context.Context, rep *Report, ft *train.Model, meta train.ExportMeta, target string, topt targets.Options, test *data.Dataset, opt Options) error {
	plain, _, err := deploy(ft, meta, target, topt, false, 1)
	if err != nil {
		return fmt.Errorf("compile the fine-tuned model: %w", err)
	}
	a, err := EvaluateChip(ctx, plain, target, ft, test, opt.Encoder, opt.Steps, opt.EvalSeed, nil)
	if err != nil {
		return err
	}
	rep.FineTuned = *a
	fres, err := train.Evaluate(ft, test, opt.Encoder, opt.Steps, opt.EvalSeed)
	if err != nil {
		return err
	}
	rep.FloatAfter = fres.Accuracy
	return nil
}

// writeWeights programs the shadow weights of m into the chip (its quantizer applies).
func writeWeights(chip Chip, m *train.Model) error {
	for _, p := range m.Projections() {
		w, err := m.Weights(p)
		if err != nil {
			return err
		}
		if err := chip.SetWeights(p, w); err != nil {
			return fmt.Errorf("%w: SetWeights(%s): %v", ErrChip, p, err)
		}
	}
	return nil
}

// loop is the in-the-loop training of ft with the chip. fresh, when not nil, compiles a
// model afresh for the chip instance (what Finetune finally deploys); the validation
// selection then measures that compile rather than the in-loop instance programmed
// through SetWeights, whose weight range (headroom) and quantization grid differ.
func loop(ctx context.Context, ft *train.Model, chip Chip, fresh func(*train.Model) (targets.Machine, error), target string, tr *data.Dataset, opt Options, rep *Report) error {
	if n := opt.Encoder.Inputs(tr.Features()); n != ft.Layers[0].In {
		return fmt.Errorf("%w: %s encoded by %s has %d inputs, the model has %d", ErrOptions, tr.Name, opt.Encoder.Name(), n, ft.Layers[0].In)
	}
	rec := newRecorder(chip, target, ft, opt.Encoder, opt.Steps, !opt.NoMembranes)
	bw := newBwork(ft, opt.Steps)
	if !opt.NoFit && !opt.NoMembranes && rec.hasMembranes() {
		sizes := make([]int, len(ft.Layers))
		for i, l := range ft.Layers {
			sizes[i] = l.Out
		}
		rec.fit = newDynFit(sizes, ft.Cfg.Beta)
	}
	g := ft.NewGrads()
	nb := (tr.Len() + opt.Batch - 1) / opt.Batch
	adam := train.NewAdam(opt.LR)
	adam.Schedule, adam.Total = opt.Schedule, opt.Epochs*nb
	order := make([]int, tr.Len())
	done, total := 0, opt.Epochs*tr.Len()
	// Selection on the validation split (measured on the chip through SetWeights).
	var best *train.Model
	bestAcc := -1.0
	validate := func(ep int) (float64, error) {
		if opt.Val == nil || opt.Val.Len() == 0 {
			return 0, nil
		}
		var vc Chip = chip
		if fresh != nil && !opt.ValInLoop {
			mc, err := fresh(ft)
			if err != nil {
				return 0, fmt.Errorf("compile for validation: %w", err)
			}
			vc = mc
		} else if err := writeWeights(chip, ft); err != nil {
			return 0, err
		}
		v, err := EvaluateChip(ctx, vc, target, ft, opt.Val, opt.Encoder, opt.Steps, opt.EvalSeed, nil)
		if err != nil {
			return 0, err
		}
		if v.Accuracy > bestAcc {
			bestAcc, best, rep.BestEpoch = v.Accuracy, ft.Clone(), ep
		}
		return v.Accuracy, nil
	}
	va, err := validate(0)
	if err != nil {
		return err
	}
	rep.ValStart = va
	for ep := 0; ep < opt.Epochs; ep++ {
		t0 := time.Now()
		encSeed := epochOrder(order, opt.Seed, ep)
		lr := adam.Rate()
		var loss float64
		correct := 0
		for b := 0; b < nb; b++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := writeWeights(chip, ft); err != nil {
				return err
			}
			idx := order[b*opt.Batch : min((b+1)*opt.Batch, len(order))]
			g.Zero()
			scale := 1 / float64(len(idx))
			for _, i := range idx {
				in, err := rec.record(ctx, tr, i, encSeed, true)
				if err != nil {
					return err
				}
				if train.Argmax(rec.st.logits) == tr.Y[i] {
					correct++
				}
				loss += backward(ft, in, &rec.st, tr.Y[i], scale, g, bw)
				done++
				if opt.Progress != nil {
					opt.Progress(done, total)
				}
			}
			if rec.fit != nil { // the next batch's backward uses this batch's fit
				rec.fit.update()
				bw.Leak, bw.Gain = rec.fit.Leak, rec.fit.Gain
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return fmt.Errorf("%w: epoch %d batch %d; lower the learning rate", train.ErrNotFinite, ep+1, b+1)
			}
			for i := range g.B { // biases are not programmable through Machine: frozen
				clear(g.B[i])
			}
			adam.Step(ft, g)
		}
		st := EpochStats{Epoch: ep + 1, Loss: loss / float64(tr.Len()), TrainAcc: float64(correct) / float64(tr.Len()), LR: lr}
		if st.ValAcc, err = validate(ep + 1); err != nil {
			return err
		}
		st.Seconds = time.Since(t0).Seconds()
		rep.Epochs = append(rep.Epochs, st)
		if opt.Log != nil {
			opt.Log(st)
		}
	}
	if best != nil {
		copyParams(ft, best)
	}
	return writeWeights(chip, ft)
}

// copyParams copies every weight and bias of src into dst (same architecture).
func copyParams(dst, src *train.Model) {
	for i := range dst.Layers {
		d, s := dst.Layers[i], src.Layers[i]
		copy(d.W, s.W)
		copy(d.B, s.B)
		copy(d.V, s.V)
	}
}

// epochOrder fills order with epoch ep's shuffled sample order and returns the epoch's
// encoder seed; both come from seeded streams of seed (Finetune and QAT share them, so
// the two see the same samples in the same order).
func epochOrder(order []int, seed uint64, ep int) uint64 {
	for i := range order {
		order[i] = i
	}
	r := emulator.NewRand(seed, 1<<40+uint64(ep))
	for i := len(order) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	return emulator.NewRand(seed, 1<<41+uint64(ep)).Uint64()
}
