package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/ir/snnjson"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
	"github.com/snnc/snnc/train/data"
	"github.com/snnc/snnc/train/hil"
)

func init() { addCommand(newFinetuneCmd) }

type finetuneFlags struct {
	dataset, encoder, method, out, image, logJSON, schedule string
	epochs, batch, steps, trainN, testN, valN               int
	lr, headroom                                            float64
	noMem, noFit, asJSON                                    bool
	cf                                                      compileFlags
}

func newFinetuneCmd() *cobra.Command {
	var f finetuneFlags
	cmd := &cobra.Command{
		Use:   "finetune MODEL --target T -o MODEL.ft.json",
		Short: "Fine-tune a trained model with an emulated chip instance in the loop (or by QAT)",
		Long: `Fine-tune a model written by snnc train for one chip instance (--target, --seed and the
target's flags such as --age or --mismatch): float shadow weights are written to the chip
through its own quantizer every batch, each sample runs on the chip, and the gradient is
computed through the float model evaluated on the recorded chip spikes (and membranes where
the target exposes them), passed straight through the quantizer (docs/finetune.md).

Writes the fine-tuned model (snn-json, -o) and its image for that chip instance (--image,
default MODEL.ft.img next to -o), and prints three accuracies on the same test set: float,
deployed as is, and after fine-tuning, with spikes and energy per inference.

--method qat fine-tunes in simulation only, with the target's quantizer (noise, mismatch and
faults off) in the forward pass: the baseline in-the-loop training must beat.`,
		Example: `  snnc finetune yy.json --target crossbar --age 1d --seed 1 -o yy.ft.json
  snnc finetune yy.json --target analog --seed 1 --epochs 10 --json -o yy.ft.json
  snnc finetune yy.json --target analog --seed 1 --method qat -o yy.qat.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runFinetune(cmd, &f, args[0]) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dataset, "dataset", "", "data set (default: the one the model was trained on)")
	fl.StringVar(&f.encoder, "encoder", "", "input encoder (default: the model's)")
	fl.IntVar(&f.steps, "steps", 0, "time steps per sample (default: the model's)")
	fl.IntVar(&f.epochs, "epochs", hil.Defaults.Epochs, "fine-tuning epochs")
	fl.IntVar(&f.batch, "batch", hil.Defaults.Batch, "batch size (one SetWeights per batch)")
	fl.Float64Var(&f.lr, "lr", 0, fmt.Sprintf("Adam learning rate (default per data set: %g; mnist and fashion-mnist %g)", hil.Defaults.LR, hil.LRFor("mnist")))
	fl.StringVar(&f.schedule, "schedule", hil.Defaults.Schedule, "learning-rate schedule: cosine or const")
	fl.IntVar(&f.trainN, "train-samples", 0, "use only the first K training samples")
	fl.IntVar(&f.testN, "samples", 0, "evaluate only the first K test samples")
	fl.IntVar(&f.valN, "val-samples", -1, "keep the weights with the best chip accuracy on K validation samples, measured before and after every epoch (the data set's validation split, else the last K training samples, which are then not trained on); 0 keeps the last epoch's (default: 1000 where the data set has a validation split, else 0)")
	fl.Float64Var(&f.headroom, "headroom", 0, "weight-range headroom of the in-loop compile (0: the target's default, 1: off)")
	fl.StringVar(&f.method, "method", "hil", "hil (chip in the loop) or qat (simulation with the target's quantizer)")
	fl.BoolVar(&f.noMem, "no-membranes", false, "use recorded spikes only (re-simulate membranes) even where the target exposes membranes")
	fl.BoolVar(&f.noFit, "no-fit", false, "back-propagate through the nominal neuron model instead of the per-neuron leak and gain fitted to the recorded membranes")
	fl.StringVarP(&f.out, "output", "o", "", "fine-tuned model (snn-json; - for stdout)")
	fl.StringVar(&f.image, "image", "", "image of the fine-tuned model for this chip instance (default: -o with .img)")
	fl.StringVar(&f.logJSON, "log-json", "", "write one JSON object per epoch to this file")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	f.cf.register(cmd, "")
	return cmd
}

func runFinetune(cmd *cobra.Command, f *finetuneFlags, path string) error {
	if f.cf.target == "" {
		return usagef("--target is required (one of %s)", strings.Join(targets.Names(), ", "))
	}
	if f.out == "" {
		return usagef("-o MODEL.ft.json is required")
	}
	if f.method != "hil" && f.method != "qat" {
		return usagef("--method %q: want hil or qat", f.method)
	}
	t, err := targets.Lookup(f.cf.target)
	if err != nil {
		return usagef("%v", err)
	}
	flags, err := f.cf.tf.forTarget(cmd, t)
	if err != nil {
		return err
	}
	topt := targets.WithDefaults(t, targets.Options{Seed: f.cf.seed, Flags: flags})
	f.cf.imp.dt = f.cf.dt
	g, _, err := loadModel(path, f.cf.imp)
	if err != nil {
		return err
	}
	m, meta, err := hil.ModelFromGraph(g)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if meta == nil {
		meta = &train.ExportMeta{}
	}
	if err := modelDefaults(meta, &f.dataset, &f.encoder, &f.steps); err != nil {
		return err
	}
	enc, sp, err := modelData(meta, f.dataset, f.encoder)
	if err != nil {
		return err
	}
	if f.valN < -1 || f.headroom < 0 || f.lr < 0 {
		return usagef("--val-samples %d, --headroom %g, --lr %g: want ≥ 0", f.valN, f.headroom, f.lr)
	}
	f.lr, f.valN = finetuneDefaults(f.dataset, sp.Val != nil && sp.Val.Len() > 0, f.lr, f.valN)
	trainSet, test, val := splitVal(sp, f.trainN, f.valN)
	test = test.Subset(f.testN)
	prog, err := newEpochProgress(cmd.ErrOrStderr(), f.epochs*trainSet.Len(), f.method, f.logJSON)
	if err != nil {
		return err
	}
	defer prog.close()
	opt := hil.Options{Epochs: f.epochs, Batch: f.batch, Steps: f.steps, LR: f.lr, Schedule: f.schedule, Encoder: enc,
		Seed: f.cf.seed, EvalSeed: meta.EvalSeed, NoMembranes: f.noMem, NoFit: f.noFit, Val: val, Headroom: f.headroom,
		Log: func(s hil.EpochStats) {
			prog.epoch(fmt.Sprintf("epoch %d/%d loss %.4f chip acc %.4f", s.Epoch, f.epochs, s.Loss, s.TrainAcc), s)
		},
		Progress: prog.progress()}
	run := hil.Finetune
	if f.method == "qat" {
		run = hil.FinetuneQAT
	}
	rep, ft, err := run(cmd.Context(), m, *meta, t.Name(), topt, trainSet, test, opt)
	prog.finish()
	if err != nil {
		return err
	}
	outMeta := *meta
	outMeta.Dataset, outMeta.Encoder, outMeta.Steps = f.dataset, f.encoder, f.steps
	outMeta.TestAcc = rep.FloatAfter
	og, err := ft.ExportGraph(outMeta)
	if err != nil {
		return err
	}
	b, err := snnjson.Encode(og)
	if err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	if err := atomicWrite(f.out, cmd.OutOrStdout(), func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	imgPath := f.image
	if imgPath == "" && f.out != "-" {
		imgPath = strings.TrimSuffix(f.out, ".json") + ".img"
	}
	if imgPath != "" {
		res, err := compiler.Build(og, t.Name(), compiler.Options{}, topt)
		if err != nil {
			return fmt.Errorf("compile the fine-tuned model: %w", err)
		}
		if err := atomicWrite(imgPath, cmd.OutOrStdout(), func(w io.Writer) error {
			return targets.EncodeImage(w, res.Target, res.Options, targets.Hash(b), res.Image)
		}); err != nil {
			return err
		}
	}
	w := cmd.OutOrStdout()
	if f.out == "-" || imgPath == "-" {
		w = cmd.ErrOrStderr()
	}
	if f.asJSON {
		return writeJSON(w, map[string]any{"report": rep, "model": f.out, "image": imgPath})
	}
	fmt.Fprintf(w, "%s fine-tuning on %s (seed %d%s), %s, %d test samples, %d steps (%d on the chip)\n",
		rep.Method, rep.Target, rep.Seed, flagList(flags), f.dataset, rep.Samples, rep.Steps, rep.ChipSteps)
	fmt.Fprintf(w, "%-22s %9s %10s %12s\n", "", "accuracy", "spikes/inf", "energy/inf")
	row := func(name string, m hil.Measure, hw bool) {
		e := "-"
		if hw {
			e = fmt.Sprintf("%.4g J", m.EnergyJ)
		}
		fmt.Fprintf(w, "%-22s %8.2f%% %10.1f %12s\n", name, 100*m.Accuracy, m.SpikesPerSample, e)
	}
	row("float", rep.Float, false)
	row("deployed as is", rep.Deployed, true)
	row("after fine-tuning", rep.FineTuned, true)
	fmt.Fprintf(w, "wrote %s", f.out)
	if imgPath != "" {
		fmt.Fprintf(w, " and %s", imgPath)
	}
	fmt.Fprintf(w, " (%.1f s)\n", rep.Seconds)
	return nil
}

// finetuneDefaults resolves the per-data-set defaults of --lr (0: hil.LRFor) and
// --val-samples (−1: 1000 where the data set has a validation split, else 0 — the
// hold-out would be training samples snnc train has seen, whose chip accuracy favours
// the original weights, so no selection; docs/finetune.md).
func finetuneDefaults(dataset string, hasVal bool, lr float64, valN int) (float64, int) {
	if lr == 0 {
		lr = hil.LRFor(dataset)
	}
	if valN == -1 {
		valN = 0
		if hasVal {
			valN = 1000
		}
	}
	return lr, valN
}

func flagList(fl map[string]string) string {
	var s []string
	for k, v := range fl {
		s = append(s, "--"+k+" "+v)
	}
	if len(s) == 0 {
		return ""
	}
	sortStrings(s)
	return ", " + strings.Join(s, " ")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// splitVal returns the training set (its first trainN samples, all when 0), the test set
// and the validation set used for selecting the fine-tuned weights: the first valN samples
// of the data set's validation split, or, when it has none (MNIST), the last valN samples
// of the training set, which are then removed from the training set. valN 0: no selection.
func splitVal(sp *data.Splits, trainN, valN int) (tr, test, val *data.Dataset) {
	tr, test = sp.Train, sp.Test
	switch {
	case valN == 0:
	case sp.Val != nil && sp.Val.Len() > 0:
		val = sp.Val.Subset(valN)
	case tr.Len() > valN:
		n, k := tr.Features(), tr.Len()-valN
		val = &data.Dataset{Name: tr.Name, Shape: tr.Shape, NumClasses: tr.NumClasses, X: tr.X[k*n:], Y: tr.Y[k:]}
		tr = &data.Dataset{Name: tr.Name, Shape: tr.Shape, NumClasses: tr.NumClasses, X: tr.X[:k*n], Y: tr.Y[:k]}
	}
	return tr.Subset(trainN), test, val
}
