package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
	"github.com/snnc/snnc/train/data"
	"github.com/snnc/snnc/train/hil"
)

func init() { addCommand(newTrainCmd, newEvalCmd) }

// isTerminal reports whether w is a terminal (progress bars only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newBar returns a progress bar on a terminal, nil elsewhere.
func newBar(w io.Writer, total int, desc string) *progressbar.ProgressBar {
	if !isTerminal(w) {
		return nil
	}
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionSetElapsedTime(true), progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}

// epochProgress is a training command's progress: a terminal progress bar (nil
// elsewhere) and the --log-json file (nil without the flag), one JSON line per epoch.
type epochProgress struct {
	bar  *progressbar.ProgressBar
	logf *os.File
}

// newEpochProgress opens logPath (when set) and a bar over total work units.
func newEpochProgress(stderr io.Writer, total int, desc, logPath string) (*epochProgress, error) {
	p := &epochProgress{bar: newBar(stderr, total, desc)}
	if logPath != "" {
		f, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		p.logf = f
	}
	return p, nil
}

// epoch shows line on the bar and logs stats as one JSON line.
func (p *epochProgress) epoch(line string, stats any) {
	if p.bar != nil {
		p.bar.Describe(line)
	}
	if p.logf != nil {
		b, _ := json.Marshal(stats)
		p.logf.Write(append(b, '\n'))
	}
}

// progress is the work-unit callback for the bar (nil without one).
func (p *epochProgress) progress() func(done, total int) {
	if p.bar == nil {
		return nil
	}
	return func(d, _ int) { p.bar.Set(d) }
}

// finish ends the bar; close closes the log.
func (p *epochProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

func (p *epochProgress) close() {
	if p.logf != nil {
		p.logf.Close()
	}
}

type trainFlags struct {
	dataset, arch, encoder, loss, readout, reset, surrogate, init, schedule, method string
	qat                                                                             bool
	qatTarget                                                                       string
	epochs, steps, batch, trainN                                                    int
	lr, wd, reg, surrScale                                                          float64
	recurrent, dale                                                                 bool
	seed                                                                            uint64
	out, logJSON                                                                    string
	asJSON                                                                          bool
}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train --dataset D -o MODEL.json",
		Short: "Train a CUBA-LIF network with surrogate-gradient BPTT and write it as snn-json",
		Long: `Train a float CUBA-LIF network (dense or recurrent hidden layers, leaky or spiking
readout) with surrogate-gradient BPTT and Adam, then export it as snn-json whose ref run
reproduces the trainer's predictions exactly (see docs/training.md).

Per-data-set defaults (each flag overrides):
  yinyang        4-120-3,    current, T 20, 30 epochs, batch 32,  lr 0.01
  randman        20-128-10,  latency, T 50, 10 epochs, batch 64,  lr 0.005
  mnist          784-256-10, current, T 10, 10 epochs, batch 128, lr 0.001
  fashion-mnist  784-256-10, current, T 10, 15 epochs, batch 128, lr 0.001`,
		Example: `  snnc train --dataset yinyang -o yy.json
  snnc train --dataset mnist --arch 784-128-10 --epochs 5 --steps 25 -o mnist.json --log-json log.jsonl
  snnc train --dataset randman --encoder latency --recurrent --readout spiking --loss count -o rm.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataset, "dataset", "", "data set: "+strings.Join(data.Names(), ", "))
	fl.StringVar(&f.arch, "arch", "", "layer sizes input-hidden...-output (default per data set)")
	fl.IntVar(&f.epochs, "epochs", 0, "training epochs (default per data set)")
	fl.IntVar(&f.steps, "steps", 0, "time steps per sample T (default per data set)")
	fl.IntVar(&f.batch, "batch", 0, "batch size (default per data set)")
	fl.Float64Var(&f.lr, "lr", 0, "Adam learning rate (default per data set; × 0.3 with --readout spiking)")
	fl.StringVar(&f.schedule, "schedule", "cosine", "learning-rate schedule: cosine or const")
	fl.Float64Var(&f.wd, "weight-decay", 0, "decoupled weight decay")
	fl.Float64Var(&f.reg, "reg", -1, "spike-rate regularization λ (default per data set)")
	fl.StringVar(&f.encoder, "encoder", "", "input encoder: current[:gain=G], rate[:p=P], latency[:invert,bias]")
	fl.StringVar(&f.loss, "loss", "", "loss: sum or max (leaky readout), count (spiking readout)")
	fl.StringVar(&f.readout, "readout", "", "readout layer: leaky or spiking")
	fl.StringVar(&f.reset, "reset", "subtract", "reset: subtract or zero")
	fl.StringVar(&f.surrogate, "surrogate", "fast_sigmoid", "surrogate derivative: fast_sigmoid or atan")
	fl.Float64Var(&f.surrScale, "surrogate-scale", 10, "surrogate steepness (k of fast sigmoid, a of atan)")
	fl.BoolVar(&f.recurrent, "recurrent", false, "recurrent hidden layers")
	fl.StringVar(&f.init, "init", "", "initialization: fluct (fluctuation-driven) or kaiming")
	fl.BoolVar(&f.dale, "dale", false, "fluct init with Dale's law (fixed sign per presynaptic neuron)")
	fl.StringVar(&f.method, "method", "bptt", "training method: bptt, or ottt (online through time: memory independent of T; leaky readout, loss sum)")
	fl.BoolVar(&f.qat, "qat", false, "quantization-aware training: the --qat-target's quantizer in the forward pass (simulation only; the baseline in-the-loop fine-tuning must beat)")
	fl.StringVar(&f.qatTarget, "qat-target", "loihi", "with --qat: the target whose quantizer is used")
	fl.IntVar(&f.trainN, "train-samples", 0, "use only the first K training samples")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the data set, initialization, shuffling and encoders")
	fl.StringVarP(&f.out, "output", "o", "", "model file (snn-json; - for stdout)")
	fl.StringVar(&f.logJSON, "log-json", "", "write one JSON object per epoch to this file")
	fl.BoolVar(&f.asJSON, "json", false, "print the final summary as JSON")
	return cmd
}

func runTrain(cmd *cobra.Command, f *trainFlags) error {
	if f.dataset == "" {
		return usagef("--dataset is required (one of %s)", strings.Join(data.Names(), ", "))
	}
	if f.out == "" {
		return usagef("-o MODEL.json is required")
	}
	if f.method != train.MethodBPTT && f.method != train.MethodOTTT {
		return usagef("--method %q: want bptt or ottt", f.method)
	}
	p, err := train.PresetFor(f.dataset)
	if err != nil {
		return usagef("%v", err)
	}
	pick := func(s *string, def string) {
		if *s == "" {
			*s = def
		}
	}
	pickI := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	pick(&f.arch, p.Arch)
	pick(&f.encoder, p.Encoder)
	pick(&f.readout, p.Readout)
	if f.loss == "" {
		f.loss = p.Loss
		if f.readout == "spiking" {
			f.loss = train.LossCount
		}
	}
	pick(&f.init, p.Init)
	pickI(&f.epochs, p.Epochs)
	pickI(&f.steps, p.Steps)
	pickI(&f.batch, p.Batch)
	if f.lr == 0 {
		f.lr = p.LR
		if f.readout == "spiking" && f.readout != p.Readout {
			f.lr *= 0.3 // spike-count losses diverge at the leaky readout's rate (Yin-Yang: 58 % at 0.01, 94 % at 0.003)
		}
	}
	if f.reg < 0 {
		f.reg = p.RegRate
	}
	if f.recurrent {
		p.Recurrent = true
	}
	sizes, err := train.ParseArch(f.arch)
	if err != nil {
		return usagef("%v", err)
	}
	enc, err := data.ParseEncoder(f.encoder)
	if err != nil {
		return usagef("--encoder: %v", err)
	}
	sp, err := data.Load(f.dataset, data.Options{Seed: f.seed})
	if err != nil {
		return err
	}
	trainSet := sp.Train.Subset(f.trainN)
	cfg := train.DefaultConfig(sizes...)
	cfg.Recurrent = p.Recurrent
	cfg.Reset, cfg.Readout, cfg.Loss = f.reset, f.readout, f.loss
	cfg.Surrogate = train.Surrogate{Kind: f.surrogate, Scale: f.surrScale}
	m, err := train.New(cfg)
	if err != nil {
		return usagef("%v", err)
	}
	switch f.init {
	case "fluct":
		if err := m.InitFluct(train.FluctInit{Dale: f.dale}, trainSet, enc, f.steps, f.seed); err != nil {
			return err
		}
	case "kaiming":
		m.InitKaiming(f.seed)
	default:
		return usagef("--init %q: want fluct or kaiming", f.init)
	}
	nb := (trainSet.Len() + f.batch - 1) / f.batch
	prog, err := newEpochProgress(cmd.ErrOrStderr(), f.epochs*nb, "train", f.logJSON)
	if err != nil {
		return err
	}
	defer prog.close()
	start := time.Now()
	opt := train.Options{Epochs: f.epochs, Batch: f.batch, Steps: f.steps, LR: f.lr, Schedule: f.schedule,
		WeightDecay: f.wd, RegRate: f.reg, Seed: f.seed, Encoder: enc, EvalSeed: f.seed, Method: f.method,
		Log: func(s train.EpochStats) {
			prog.epoch(fmt.Sprintf("epoch %d/%d loss %.4f acc %.4f", s.Epoch, f.epochs, s.Loss, s.TrainAcc), s)
		},
		Progress: prog.progress(),
	}
	var val *data.Dataset
	if sp.Val != nil && prog.logf != nil {
		val = sp.Val
	}
	var stats []train.EpochStats
	if f.qat {
		stats, err = trainQAT(cmd, m, f, trainSet, enc, opt)
	} else {
		stats, err = train.Fit(cmd.Context(), m, trainSet, val, opt)
	}
	prog.finish()
	if err != nil {
		return err
	}
	trainTime := time.Since(start)
	res, err := train.Evaluate(m, sp.Test, enc, f.steps, f.seed)
	if err != nil {
		return err
	}
	g, err := m.ExportGraph(train.ExportMeta{Dataset: f.dataset, Encoder: enc.Name() + encoderSuffix(f.encoder), Steps: f.steps, Seed: f.seed, EvalSeed: f.seed, TestAcc: res.Accuracy})
	if err != nil {
		return err
	}
	b, err := snnjson.Encode(g)
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := atomicWrite(f.out, cmd.OutOrStdout(), func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	sum := map[string]any{"dataset": f.dataset, "arch": f.arch, "epochs": f.epochs, "steps": f.steps,
		"train_seconds": trainTime.Seconds(), "test_accuracy": res.Accuracy, "spikes_per_inference": res.SpikesPerSample,
		"hidden_rates": res.Rates[:len(res.Rates)-1], "model": f.out}
	if len(stats) > 0 {
		sum["final_loss"] = stats[len(stats)-1].Loss
		sum["train_accuracy"] = stats[len(stats)-1].TrainAcc
	}
	w := cmd.OutOrStdout()
	if f.out == "-" {
		w = cmd.ErrOrStderr()
	}
	if f.asJSON {
		return writeJSON(w, sum)
	}
	fmt.Fprintf(w, "trained %s %s in %.1f s: test accuracy %.2f %% (%d samples), %.1f spikes per inference; wrote %s\n",
		f.dataset, f.arch, trainTime.Seconds(), 100*res.Accuracy, sp.Test.Len(), res.SpikesPerSample, f.out)
	return nil
}

func encoderSuffix(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[i:]
	}
	return ""
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

type evalFlags struct {
	dataset, encoder, decode string
	steps, samples           int
	asJSON                   bool
	cf                       compileFlags
}

func newEvalCmd() *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval MODEL|IMAGE --dataset D",
		Short: "Accuracy, spikes, energy and latency per inference of a model or image on a target",
		Long: `Run test samples of a data set through a target's Machine (Reset between samples)
and report accuracy and mean spikes per inference; for hardware targets also energy and
latency per inference from the target's cost model (trace stats energy_j, time_s).
A MODEL is compiled for --target first; an IMAGE runs on its own target. The encoder,
steps and decoding default to what snnc train recorded in the model.`,
		Example: `  snnc eval yy.json --dataset yinyang
  snnc eval yy.json --dataset yinyang --target loihi --samples 200 --json
  snnc eval net.img --dataset yinyang --steps 20 --encoder current`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runEval(cmd, &f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataset, "dataset", "", "data set (default: the one the model was trained on)")
	fl.StringVar(&f.encoder, "encoder", "", "input encoder (default: the model's)")
	fl.StringVar(&f.decode, "decode", "", "output decoding: sum, max or count (default: the model's)")
	fl.IntVar(&f.steps, "steps", 0, "time steps per sample (default: the model's)")
	fl.IntVar(&f.samples, "samples", 0, "evaluate only the first K test samples")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON")
	f.cf.register(cmd, "ref")
	return cmd
}

func runEval(cmd *cobra.Command, f *evalFlags, path string) error {
	raw, err := readCapped(path)
	if err != nil {
		return err
	}
	var head struct {
		Format string `json:"format"`
	}
	_ = json.Unmarshal(raw, &head)
	var (
		mach   targets.Machine
		tgt    string
		nl     *ir.Netlist
		meta   *train.ExportMeta
		report *targets.Report
	)
	if head.Format == snnjson.Format || strings.EqualFold(filepath.Ext(path), ".nir") {
		res, _, g, err := f.cf.build(cmd, path)
		if err != nil {
			return err
		}
		meta = train.ReadMeta(g)
		mach, err = res.Target.Load(res.Image, res.Options)
		if err != nil {
			return err
		}
		tgt, nl, report = res.Target.Name(), res.Netlist, res.Report
	} else {
		l, err := targets.DecodeImage(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%s: neither an snn-json model nor an image: %w", path, err)
		}
		seedSet := cmd.Flags().Changed("seed")
		mach, _, err = loadMachine(cmd, l, f.cf.tf, f.cf.seed, seedSet)
		if err != nil {
			return err
		}
		tgt, nl, report = l.Target.Name(), l.Image.Netlist(), l.Image.Report()
	}
	if meta == nil {
		meta = &train.ExportMeta{}
	}
	if err := modelDefaults(meta, &f.dataset, &f.encoder, &f.steps); err != nil {
		return err
	}
	if f.decode == "" {
		f.decode = meta.Decode
	}
	if f.decode == "" {
		f.decode = train.LossSum
		for _, o := range nl.Outputs {
			if o.Kind == "spikes" {
				f.decode = train.LossCount
			}
		}
	}
	enc, sp, err := modelData(meta, f.dataset, f.encoder)
	if err != nil {
		return err
	}
	test := sp.Test.Subset(f.samples)
	if len(nl.Outputs) != 1 || len(nl.Inputs) != 1 {
		return fmt.Errorf("%s: eval needs one Input and one Output, the model has %d and %d", path, len(nl.Inputs), len(nl.Outputs))
	}
	if nl.Inputs[0].Name != train.InputName || nl.Outputs[0].Name != train.OutputName {
		return fmt.Errorf("%s: eval expects the Input node %q and the Output node %q (as snnc train writes), found %q and %q", path, train.InputName, train.OutputName, nl.Inputs[0].Name, nl.Outputs[0].Name)
	}
	if n := enc.Inputs(test.Features()); n != nl.Inputs[0].Size {
		return fmt.Errorf("%s: the model's input has %d channels, %s encoded by %s gives %d", path, nl.Inputs[0].Size, f.dataset, enc.Name(), n)
	}
	nOut := nl.Outputs[0].Size
	evalSeed := meta.EvalSeed
	if cmd.Flags().Changed("seed") {
		evalSeed = f.cf.seed
	}
	bar := newBar(cmd.ErrOrStderr(), test.Len(), "eval")
	var prog func(int, int)
	if bar != nil {
		prog = func(d, _ int) { bar.Set(d) }
	}
	start := time.Now()
	lag := train.OutputLag(nl, tgt)
	res, err := train.EvaluateMachineLag(context.Background(), mach, test, enc, f.steps, lag, evalSeed, f.decode, nOut, nl.Semantics.Dt, prog)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	out := map[string]any{"target": tgt, "dataset": f.dataset, "samples": test.Len(), "steps": f.steps,
		"accuracy": res.Accuracy, "spikes_per_inference": res.SpikesPerSample, "seconds": time.Since(start).Seconds(),
		"output_lag_steps": lag}
	hw := tgt != "ref"
	if hw {
		out["energy_j_per_inference"] = res.EnergyJ
		out["latency_s_per_inference"] = res.TimeS
	}
	if meta.TestAcc != 0 {
		out["trained_test_accuracy"] = meta.TestAcc
	}
	for _, w := range report.Warnings {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
	}
	w := cmd.OutOrStdout()
	if f.asJSON {
		return writeJSON(w, out)
	}
	fmt.Fprintf(w, "target %s, %s, %d samples, %d steps\n", tgt, f.dataset, test.Len(), f.steps)
	if lag > 0 {
		fmt.Fprintf(w, "output lag            %d steps (the target pipelines one step per layer; each sample runs %d steps, output read on steps %d..%d)\n", lag, f.steps+lag, lag, f.steps+lag-1)
	}
	fmt.Fprintf(w, "accuracy              %.2f %%\n", 100*res.Accuracy)
	fmt.Fprintf(w, "spikes per inference  %.1f\n", res.SpikesPerSample)
	if hw {
		fmt.Fprintf(w, "energy per inference  %.4g J\n", res.EnergyJ)
		fmt.Fprintf(w, "latency per inference %.4g s\n", res.TimeS)
	}
	return nil
}

// trainQAT runs quantization-aware training (train/hil.QAT) with the target's own
// quantizer (noise, mismatch and faults off) in the forward pass.
func trainQAT(cmd *cobra.Command, m *train.Model, f *trainFlags, trainSet *data.Dataset, enc data.Encoder, opt train.Options) ([]train.EpochStats, error) {
	hs, err := hil.QAT(cmd.Context(), m, train.ExportMeta{Steps: f.steps}, f.qatTarget, targets.Options{Seed: f.seed}, trainSet,
		hil.Options{Epochs: f.epochs, Batch: f.batch, Steps: f.steps, LR: f.lr, Schedule: f.schedule,
			Encoder: enc, Seed: f.seed, EvalSeed: f.seed, Progress: opt.Progress})
	if err != nil {
		return nil, err
	}
	out := make([]train.EpochStats, len(hs))
	for i, s := range hs {
		out[i] = train.EpochStats{Epoch: s.Epoch, Loss: s.Loss, TrainAcc: s.TrainAcc, LR: s.LR, Seconds: s.Seconds}
		if opt.Log != nil {
			opt.Log(out[i])
		}
	}
	return out, nil
}

// modelDefaults fills the data set, encoder and steps a command was not given from what
// the model records (snnc train's metadata) and then from the data set's preset.
func modelDefaults(meta *train.ExportMeta, dataset, encoder *string, steps *int) error {
	if *dataset == "" {
		*dataset = meta.Dataset
	}
	if *dataset == "" {
		return usagef("--dataset is required (the model does not record one)")
	}
	p, err := train.PresetFor(*dataset)
	if err != nil {
		return usagef("%v", err)
	}
	if *encoder == "" {
		*encoder = meta.Encoder
	}
	if *encoder == "" {
		*encoder = p.Encoder
	}
	if *steps == 0 {
		*steps = meta.Steps
	}
	if *steps == 0 {
		*steps = p.Steps
	}
	return nil
}

// modelData parses the encoder and loads the data set with the seed the model was trained
// with (1 when it records none), so evaluation sees the same splits as training.
func modelData(meta *train.ExportMeta, dataset, encoder string) (data.Encoder, *data.Splits, error) {
	enc, err := data.ParseEncoder(encoder)
	if err != nil {
		return nil, nil, usagef("--encoder: %v", err)
	}
	seed := meta.Seed
	if seed == 0 {
		seed = 1
	}
	sp, err := data.Load(dataset, data.Options{Seed: seed})
	if err != nil {
		return nil, nil, err
	}
	return enc, sp, nil
}
