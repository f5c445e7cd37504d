package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/targets"
)

func init() { addCommand(newGoldenCmd) }

// goldenManifest is DIR/manifest.json: everything needed to re-run a pinned result.
// Paths are relative to DIR so the folder can live in (and move with) a repository.
type goldenManifest struct {
	Format      string            `json:"format"` // "snnc-golden"
	Version     int               `json:"version"`
	Model       string            `json:"model"`
	ModelSHA256 string            `json:"model_sha256"`
	Input       string            `json:"input"`
	InputSHA256 string            `json:"input_sha256"`
	Target      string            `json:"target"`
	Seed        uint64            `json:"seed"`
	Flags       map[string]string `json:"flags"`
	Dt          float64           `json:"dt,omitempty"`
	Import      *goldenImport     `json:"import,omitempty"`
	Steps       int               `json:"steps"`
	Probes      []string          `json:"probes"`
	ImageSHA256 string            `json:"image_sha256"`
	Trace       string            `json:"trace"`
	TraceSHA256 string            `json:"trace_sha256"`
}

type goldenImport struct {
	SourceFramework string `json:"source_framework,omitempty"`
	Reset           string `json:"reset,omitempty"`
}

const (
	goldenFormat       = "snnc-golden"
	goldenManifestFile = "manifest.json"
	goldenTraceFile    = "trace.json"
)

// errGoldenDiff makes verify exit 1 after printing the diff.
var errGoldenDiff = errors.New("golden: output differs from the recorded one")

func newGoldenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "golden",
		Short: "Pin a model's compiled image and output (record) and check them in CI (verify)",
		Example: `  snnc golden record golden/ff --model models/ff.json --target loihi --input stim/ff.json --probe lif1.v
  snnc golden verify golden/ff        # exit 1 with a readable diff when anything changed`,
	}
	cmd.AddCommand(newGoldenRecordCmd(), newGoldenVerifyCmd())
	return cmd
}

func newGoldenRecordCmd() *cobra.Command {
	var cf compileFlags
	var model, input, probes string
	var steps int
	cmd := &cobra.Command{
		Use:   "record DIR --model M --target T --input S",
		Short: "Compile and run a model, and store image hash, trace and a manifest in DIR",
		Example: `  snnc golden record golden/ff --model testdata/models/ff_lif.json --target ref --input testdata/stimuli/ff_lif.json
  snnc golden record golden/braille --model braille.nir --source-framework snntorch --target loihi --input braille_in.json --steps 200 --probe lif2.v`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if model == "" || input == "" {
				return usagef("golden record needs --model and --input")
			}
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			m := goldenManifest{Format: goldenFormat, Version: 1, Target: cf.target, Seed: cf.seed, Dt: cf.dt, Steps: steps, Probes: []string{}}
			if probes != "" {
				m.Probes = strings.Split(probes, ",")
			}
			if cf.imp.framework != "" || cf.imp.reset != "" {
				m.Import = &goldenImport{SourceFramework: cf.imp.framework, Reset: cf.imp.reset}
			}
			var err error
			if m.Model, err = relTo(dir, model); err != nil {
				return err
			}
			if m.Input, err = relTo(dir, input); err != nil {
				return err
			}
			t, err := targets.Lookup(cf.target)
			if err != nil {
				return usagef("%v", err)
			}
			flags, err := cf.tf.forTarget(cmd, t)
			if err != nil {
				return err
			}
			m.Flags = targets.WithDefaults(t, targets.Options{Flags: flags}).Flags
			run, err := goldenRun(dir, &m, cmd.Flags().Changed("steps"))
			if err != nil {
				return err
			}
			m.ModelSHA256, m.InputSHA256, m.ImageSHA256 = run.modelHash, run.inputHash, run.imageHash
			m.Steps = run.trace.Steps
			var tb bytes.Buffer
			if err := run.trace.Write(&tb); err != nil {
				return err
			}
			m.Trace = goldenTraceFile
			m.TraceSHA256 = targets.Hash(tb.Bytes())
			if err := atomicWrite(filepath.Join(dir, goldenTraceFile), nil, func(w io.Writer) error { _, err := w.Write(tb.Bytes()); return err }); err != nil {
				return err
			}
			mb, err := json.MarshalIndent(m, "", "  ")
			if err != nil {
				return err
			}
			if err := atomicWrite(filepath.Join(dir, goldenManifestFile), nil, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%s\n", mb)
				return err
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "recorded %s: target %s, %d steps, image sha256:%.12s, trace sha256:%.12s\n",
				dir, m.Target, m.Steps, m.ImageSHA256, m.TraceSHA256)
			return nil
		},
	}
	cf.register(cmd, "ref")
	cmd.Flags().StringVar(&model, "model", "", "model (snn-json or .nir)")
	cmd.Flags().StringVar(&input, "input", "", "stimulus (snn-spikes file)")
	cmd.Flags().IntVar(&steps, "steps", 0, "steps to run (default: the stimulus's)")
	cmd.Flags().StringVar(&probes, "probe", "", "comma-separated NODE.VAR probes to pin as well")
	return cmd
}

func newGoldenVerifyCmd() *cobra.Command {
	var tol float64
	var ignoreImage bool
	cmd := &cobra.Command{
		Use:   "verify DIR",
		Short: "Re-run a recorded golden and print a readable diff; exit 1 on any difference",
		Example: `  snnc golden verify golden/ff
  snnc golden verify golden/analog --tolerance 1e-9      # float probes within 1e-9`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			mb, err := readCapped(filepath.Join(dir, goldenManifestFile))
			if err != nil {
				return err
			}
			var m goldenManifest
			if err := json.Unmarshal(mb, &m); err != nil {
				return fmt.Errorf("%s: %w", filepath.Join(dir, goldenManifestFile), err)
			}
			if m.Format != goldenFormat || m.Version != 1 {
				return fmt.Errorf("%s: format %q version %d, want %q version 1", filepath.Join(dir, goldenManifestFile), m.Format, m.Version, goldenFormat)
			}
			tb, err := readCapped(filepath.Join(dir, m.Trace))
			if err != nil {
				return err
			}
			want, err := emulator.ReadTrace(bytes.NewReader(tb))
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.Join(dir, m.Trace), err)
			}
			run, err := goldenRun(dir, &m, true)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			var d goldenDiff
			if run.modelHash != m.ModelSHA256 {
				d.notef("model %s changed (sha256 %.12s → %.12s)", m.Model, m.ModelSHA256, run.modelHash)
			}
			if run.inputHash != m.InputSHA256 {
				d.notef("input %s changed (sha256 %.12s → %.12s)", m.Input, m.InputSHA256, run.inputHash)
			}
			if run.imageHash != m.ImageSHA256 {
				msg := fmt.Sprintf("image hash changed: sha256 %.12s → %.12s (the compiled image differs: model, compiler or target changed)", m.ImageSHA256, run.imageHash)
				if ignoreImage {
					d.notef("%s; ignored (--ignore-image-hash)", msg)
				} else {
					d.difff("%s", msg)
				}
			}
			compareTraces(&d, want, run.trace, tol)
			for _, l := range d.lines {
				fmt.Fprintln(w, l)
			}
			if d.n > 0 {
				fmt.Fprintf(w, "FAIL %s: %d difference(s) from the recording\n", dir, d.n)
				return errGoldenDiff
			}
			fmt.Fprintf(w, "ok   %s: image sha256:%.12s, %d steps, trace identical\n", dir, run.imageHash, run.trace.Steps)
			return nil
		},
	}
	cmd.Flags().Float64Var(&tol, "tolerance", 0, "largest accepted |difference| of probe values and stats (default: bit-exact)")
	cmd.Flags().BoolVar(&ignoreImage, "ignore-image-hash", false, "report a changed image hash but compare only the outputs")
	return cmd
}

func relTo(dir, path string) (string, error) {
	ad, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	ap, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	r, err := filepath.Rel(ad, ap)
	if err != nil {
		return ap, nil
	}
	return filepath.ToSlash(r), nil
}

type goldenResult struct {
	modelHash, inputHash, imageHash string
	trace                           *emulator.Trace
}

// goldenRun compiles and runs what m describes; paths in m are relative to dir.
func goldenRun(dir string, m *goldenManifest, useSteps bool) (*goldenResult, error) {
	modelPath := filepath.Join(dir, filepath.FromSlash(m.Model))
	inputPath := filepath.Join(dir, filepath.FromSlash(m.Input))
	var imp importOptions
	imp.dt = m.Dt
	if m.Import != nil {
		imp.framework, imp.reset = m.Import.SourceFramework, m.Import.Reset
	}
	g, modelHash, err := loadModel(modelPath, imp)
	if err != nil {
		return nil, err
	}
	res, err := compiler.Build(g, m.Target, compiler.Options{Dt: m.Dt}, targets.Options{Seed: m.Seed, Flags: m.Flags})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	var ib bytes.Buffer
	if err := targets.EncodeImage(&ib, res.Target, res.Options, modelHash, res.Image); err != nil {
		return nil, err
	}
	l := &targets.Loaded{Target: res.Target, Options: res.Options, Image: res.Image}
	stim, err := readStimulus(inputPath, l)
	if err != nil {
		return nil, err
	}
	sb, err := readCapped(inputPath)
	if err != nil {
		return nil, err
	}
	steps := stim.Steps
	if useSteps && m.Steps > 0 {
		steps = m.Steps
	}
	mach, err := res.Target.Load(res.Image, res.Options)
	if err != nil {
		return nil, err
	}
	tr, err := mach.Run(context.Background(), stim, steps, m.Probes)
	if err != nil {
		return nil, err
	}
	return &goldenResult{modelHash: modelHash, inputHash: targets.Hash(sb), imageHash: targets.Hash(ib.Bytes()), trace: tr}, nil
}

// goldenDiff collects readable difference lines; n counts the ones that fail verify.
type goldenDiff struct {
	lines []string
	n     int
}

func (d *goldenDiff) difff(format string, args ...any) {
	d.lines = append(d.lines, "DIFF "+fmt.Sprintf(format, args...))
	d.n++
}

func (d *goldenDiff) notef(format string, args ...any) {
	d.lines = append(d.lines, "note "+fmt.Sprintf(format, args...))
}

// compareTraces reports, per stream and probe, the first differing step and neuron.
func compareTraces(d *goldenDiff, want, got *emulator.Trace, tol float64) {
	if want.Steps != got.Steps {
		d.difff("steps: recorded %d, now %d", want.Steps, got.Steps)
	}
	if want.Dt != got.Dt {
		d.difff("dt: recorded %g s, now %g s", want.Dt, got.Dt)
	}
	for _, name := range unionKeys(want.Streams, got.Streams) {
		ws, gs := want.Streams[name], got.Streams[name]
		switch {
		case ws == nil:
			d.difff("stream %q: new (not in the recording)", name)
			continue
		case gs == nil:
			d.difff("stream %q: missing (recorded with %d events)", name, ws.Len())
			continue
		}
		compareStream(d, name, ws, gs, max(want.Steps, got.Steps))
	}
	gp := map[string]*emulator.ProbeData{}
	for _, p := range got.Probes {
		gp[p.Name] = p
	}
	seen := map[string]bool{}
	for _, wp := range want.Probes {
		seen[wp.Name] = true
		p := gp[wp.Name]
		if p == nil {
			d.difff("probe %q: missing", wp.Name)
			continue
		}
		compareProbe(d, wp, p, tol)
	}
	for _, p := range got.Probes {
		if !seen[p.Name] {
			d.difff("probe %q: new (not in the recording)", p.Name)
		}
	}
	gst := map[string]float64{}
	for _, s := range got.Stats {
		gst[s.Key] = s.Value
	}
	for _, s := range want.Stats {
		v, ok := gst[s.Key]
		if !ok {
			d.difff("stat %s: missing (recorded %g)", s.Key, s.Value)
		} else if math.Abs(v-s.Value) > tol {
			d.difff("stat %s: recorded %.9g, now %.9g", s.Key, s.Value, v)
		}
	}
}

func unionKeys(a, b map[string]*emulator.Stream) []string {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type event struct {
	idx int
	val float64
}

func byStep(s *emulator.Stream, steps int) [][]event {
	out := make([][]event, steps)
	for k, t := range s.Times {
		if t < 0 || t >= steps || k >= len(s.Indices) {
			continue
		}
		e := event{idx: s.Indices[k], val: 1}
		if k < len(s.Values) {
			e.val = s.Values[k]
		}
		out[t] = append(out[t], e)
	}
	for _, evs := range out {
		sort.Slice(evs, func(i, j int) bool { return evs[i].idx < evs[j].idx })
	}
	return out
}

func compareStream(d *goldenDiff, name string, ws, gs *emulator.Stream, steps int) {
	if !equalInts(ws.Shape, gs.Shape) {
		d.difff("stream %q: shape recorded %v, now %v", name, ws.Shape, gs.Shape)
		return
	}
	a, b := byStep(ws, steps), byStep(gs, steps)
	first, nsteps := -1, 0
	for t := 0; t < steps; t++ {
		if !equalEvents(a[t], b[t]) {
			if first < 0 {
				first = t
			}
			nsteps++
		}
	}
	if first < 0 {
		return
	}
	onlyW, onlyG := setDiff(a[first], b[first]), setDiff(b[first], a[first])
	msg := fmt.Sprintf("stream %q: first difference at step %d", name, first)
	if len(onlyW) > 0 {
		msg += fmt.Sprintf("; neuron(s) %s spiked in the recording only", fmtIdx(ws.Shape, onlyW))
	}
	if len(onlyG) > 0 {
		msg += fmt.Sprintf("; neuron(s) %s spiked now only", fmtIdx(ws.Shape, onlyG))
	}
	if len(onlyW) == 0 && len(onlyG) == 0 {
		msg += "; same neurons, different values"
	}
	msg += fmt.Sprintf(" (%d of %d steps differ; %d events recorded, %d now)", nsteps, steps, ws.Len(), gs.Len())
	d.difff("%s", msg)
}

func equalEvents(a, b []event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func setDiff(a, b []event) []int {
	in := map[int]bool{}
	for _, e := range b {
		in[e.idx] = true
	}
	var out []int
	for _, e := range a {
		if !in[e.idx] {
			out = append(out, e.idx)
		}
	}
	return out
}

// fmtIdx prints flat indices, with their multi-dimensional position for shapes of rank > 1.
func fmtIdx(shape []int, idx []int) string {
	var parts []string
	for k, i := range idx {
		if k == 8 {
			parts = append(parts, fmt.Sprintf("… (%d more)", len(idx)-8))
			break
		}
		if len(shape) > 1 {
			parts = append(parts, fmt.Sprintf("%d%v", i, unflatten(shape, i)))
		} else {
			parts = append(parts, fmt.Sprint(i))
		}
	}
	return strings.Join(parts, ", ")
}

func unflatten(shape []int, i int) []int {
	out := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		if shape[k] > 0 {
			out[k] = i % shape[k]
			i /= shape[k]
		}
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func compareProbe(d *goldenDiff, w, g *emulator.ProbeData, tol float64) {
	if !equalInts(w.Shape, g.Shape) || len(w.Data) != len(g.Data) {
		d.difff("probe %q: shape recorded %v × %d steps, now %v × %d steps", w.Name, w.Shape, len(w.Data), g.Shape, len(g.Data))
		return
	}
	firstT, firstI, count := -1, -1, 0
	var worst float64
	for t := range w.Data {
		if len(w.Data[t]) != len(g.Data[t]) {
			d.difff("probe %q: step %d has %d values recorded, %d now", w.Name, t, len(w.Data[t]), len(g.Data[t]))
			return
		}
		for i := range w.Data[t] {
			a, b := w.Data[t][i], g.Data[t][i]
			diff := math.Abs(a - b)
			if a == b || diff <= tol {
				continue
			}
			if math.IsNaN(diff) {
				diff = math.Inf(1)
			}
			if firstT < 0 {
				firstT, firstI = t, i
			}
			worst = math.Max(worst, diff)
			count++
		}
	}
	if firstT < 0 {
		return
	}
	pos := fmt.Sprint(firstI)
	if len(w.Shape) > 1 {
		pos = fmt.Sprintf("%d%v", firstI, unflatten(w.Shape, firstI))
	}
	d.difff("probe %q: first difference at step %d, neuron %s: recorded %.9g, now %.9g (%d values differ, largest |Δ| %.3g)",
		w.Name, firstT, pos, w.Data[firstT][firstI], g.Data[firstT][firstI], count, worst)
}
