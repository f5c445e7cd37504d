package train

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/train/data"
)

// ShardSize is the number of samples whose gradients one goroutine sums in order; shard
// gradients are then reduced in shard order, so results do not depend on GOMAXPROCS.
const ShardSize = 16

// Options control Fit.
type Options struct {
	Epochs, Batch, Steps int
	LR                   float64
	Schedule             string // "const" or "cosine"
	WeightDecay          float64
	RegRate              float64 // λ of the spike-rate regularizer
	Seed                 uint64  // shuffling and stochastic encoders
	// Method is MethodBPTT (default when empty) or MethodOTTT.
	Method  string
	Encoder data.Encoder
	// EvalSeed seeds stochastic encoders during evaluation (snnc eval uses the same).
	EvalSeed uint64
	// Test, when set, is evaluated after every epoch.
	Test *data.Dataset
	// Log receives each epoch's statistics; Progress each finished batch.
	Log      func(EpochStats)
	Progress func(batch, batches int)
}

// EpochStats are one epoch's figures.
type EpochStats struct {
	Epoch    int     `json:"epoch"`
	Loss     float64 `json:"loss"`
	TrainAcc float64 `json:"train_accuracy"`
	ValAcc   float64 `json:"val_accuracy,omitempty"`
	TestAcc  float64 `json:"test_accuracy,omitempty"`
	LR       float64 `json:"lr"`
	Seconds  float64 `json:"seconds"`
}

func (o *Options) validate() error {
	switch {
	case o.Epochs < 0 || o.Batch <= 0 || o.Steps <= 0:
		return fmt.Errorf("%w: epochs %d, batch %d, steps %d (need epochs ≥ 0, batch > 0, steps > 0)", ErrConfig, o.Epochs, o.Batch, o.Steps)
	case !(o.LR > 0):
		return fmt.Errorf("%w: learning rate %g must be > 0", ErrConfig, o.LR)
	case o.Encoder == nil:
		return fmt.Errorf("%w: no encoder", ErrConfig)
	}
	if o.Method != "" && o.Method != MethodBPTT && o.Method != MethodOTTT {
		return fmt.Errorf("%w: method %q (want bptt or ottt)", ErrConfig, o.Method)
	}
	return ValidateSchedule(o.Schedule)
}

// encoded returns sample i of ds encoded for the model.
func encode(dst []float64, enc data.Encoder, ds *data.Dataset, i, steps int, seed uint64) Input {
	x := ds.Sample(i)
	if enc.Static() {
		enc.Encode(dst, x, 1, seed, i)
		return Input{X: dst[:enc.Inputs(len(x))], Static: true}
	}
	n := enc.Inputs(len(x)) * steps
	enc.Encode(dst[:n], x, steps, seed, i)
	return Input{X: dst[:n]}
}

func mixSeed(seed uint64, epoch int) uint64 {
	return emulator.NewRand(seed, 1<<32+uint64(epoch)).Uint64()
}

// checkData verifies that the data set fits the model and the encoder.
func (m *Model) checkData(ds *data.Dataset, enc data.Encoder) error {
	if n := enc.Inputs(ds.Features()); n != m.Layers[0].In {
		return fmt.Errorf("%w: data set %s encoded by %s has %d inputs, the model's input layer has %d", ErrShape, ds.Name, enc.Name(), n, m.Layers[0].In)
	}
	if out := m.Layers[len(m.Layers)-1].Out; out != ds.NumClasses {
		return fmt.Errorf("%w: data set %s has %d classes, the model's output layer has %d", ErrShape, ds.Name, ds.NumClasses, out)
	}
	return nil
}

type shardResult struct {
	g       *Grads
	loss    float64
	correct int
}

// Fit trains m on tr with BPTT and returns the per-epoch statistics.
func Fit(ctx context.Context, m *Model, tr, val *data.Dataset, opt Options) ([]EpochStats, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if err := m.checkData(tr, opt.Encoder); err != nil {
		return nil, err
	}
	ottt := opt.Method == MethodOTTT
	if ottt {
		if err := m.checkOTTT(); err != nil {
			return nil, err
		}
	}
	nb := (tr.Len() + opt.Batch - 1) / opt.Batch
	adam := NewAdam(opt.LR)
	adam.WeightDecay, adam.Schedule, adam.Total = opt.WeightDecay, opt.Schedule, opt.Epochs*nb
	maxShards := (opt.Batch + ShardSize - 1) / ShardSize
	shards := make([]shardResult, maxShards)
	for i := range shards {
		shards[i].g = m.NewGrads()
	}
	workers := min(runtime.GOMAXPROCS(0), maxShards)
	works := make([]*Work, workers)
	onl := make([]*OnlineWork, workers)
	bufs := make([][]float64, workers)
	inN := m.Layers[0].In // a static input needs one row; others the whole encoded sample
	if !opt.Encoder.Static() {
		inN *= opt.Steps
	}
	var bw *batchWork // batched BPTT (the smooth forward of gradient checks runs per sample)
	if !ottt && !m.Cfg.SmoothForward {
		bw = m.newBatchWork(opt.Steps, opt.Batch, runtime.GOMAXPROCS(0), opt.Encoder.Static())
	}
	for i := range works {
		if bw != nil {
			break
		}
		if ottt {
			onl[i] = m.NewOnlineWork()
		} else {
			works[i] = m.NewWork(opt.Steps)
		}
		bufs[i] = make([]float64, inN)
	}
	order := make([]int, tr.Len())
	var stats []EpochStats
	for ep := 0; ep < opt.Epochs; ep++ {
		start := time.Now()
		for i := range order {
			order[i] = i
		}
		r := emulator.NewRand(opt.Seed, uint64(ep)+7)
		for i := len(order) - 1; i > 0; i-- {
			j := r.Intn(i + 1)
			order[i], order[j] = order[j], order[i]
		}
		encSeed := mixSeed(opt.Seed, ep)
		var epLoss float64
		var epCorrect int
		lr := adam.Rate()
		for b := 0; b < nb; b++ {
			if err := ctx.Err(); err != nil {
				return stats, err
			}
			idx := order[b*opt.Batch : min((b+1)*opt.Batch, len(order))]
			if bw != nil {
				l, cor := bw.step(shards[0].g, tr, idx, opt.Encoder, encSeed, opt.RegRate, runtime.GOMAXPROCS(0))
				epLoss += l
				epCorrect += cor
				if math.IsNaN(epLoss) || math.IsInf(epLoss, 0) {
					return stats, fmt.Errorf("%w: epoch %d batch %d; lower the learning rate", ErrNotFinite, ep+1, b+1)
				}
				adam.Step(m, shards[0].g)
				if opt.Progress != nil {
					opt.Progress(ep*nb+b+1, opt.Epochs*nb)
				}
				continue
			}
			ns := (len(idx) + ShardSize - 1) / ShardSize
			scale := 1 / float64(len(idx))
			var wg sync.WaitGroup
			next := make(chan int, ns)
			for s := 0; s < ns; s++ {
				next <- s
			}
			close(next)
			for wi := 0; wi < min(workers, ns); wi++ {
				wg.Add(1)
				go func(w *Work, ow *OnlineWork, buf []float64) {
					defer wg.Done()
					for s := range next {
						sr := &shards[s]
						sr.g.Zero()
						sr.loss, sr.correct = 0, 0
						for _, i := range idx[s*ShardSize : min((s+1)*ShardSize, len(idx))] {
							in := encode(buf, opt.Encoder, tr, i, opt.Steps, encSeed)
							if ow != nil {
								l, logits := ow.Sample(&in, opt.Steps, tr.Y[i], scale, sr.g)
								sr.loss += l
								if Argmax(logits) == tr.Y[i] {
									sr.correct++
								}
								continue
							}
							logits := w.Forward(&in, nil)
							if Argmax(logits) == tr.Y[i] {
								sr.correct++
							}
							sr.loss += w.Loss(tr.Y[i], opt.RegRate)
							w.Backward(&in, tr.Y[i], opt.RegRate, scale, sr.g)
						}
					}
				}(works[wi], onl[wi], bufs[wi])
			}
			wg.Wait()
			reduce(shards[:ns], workers)
			for s := 0; s < ns; s++ {
				epLoss += shards[s].loss
				epCorrect += shards[s].correct
			}
			if math.IsNaN(epLoss) || math.IsInf(epLoss, 0) {
				return stats, fmt.Errorf("%w: epoch %d batch %d; lower the learning rate", ErrNotFinite, ep+1, b+1)
			}
			adam.Step(m, shards[0].g)
			if opt.Progress != nil {
				opt.Progress(ep*nb+b+1, opt.Epochs*nb)
			}
		}
		st := EpochStats{Epoch: ep + 1, Loss: epLoss / float64(tr.Len()), TrainAcc: float64(epCorrect) / float64(tr.Len()), LR: lr}
		if val != nil && val.Len() > 0 {
			res, err := Evaluate(m, val, opt.Encoder, opt.Steps, opt.EvalSeed)
			if err != nil {
				return stats, err
			}
			st.ValAcc = res.Accuracy
		}
		if opt.Test != nil {
			res, err := Evaluate(m, opt.Test, opt.Encoder, opt.Steps, opt.EvalSeed)
			if err != nil {
				return stats, err
			}
			st.TestAcc = res.Accuracy
		}
		st.Seconds = time.Since(start).Seconds()
		stats = append(stats, st)
		if opt.Log != nil {
			opt.Log(st)
		}
	}
	return stats, nil
}

// Result is an evaluation.
type Result struct {
	Accuracy    float64
	Predictions []int
	// SpikesPerSample is the mean number of spikes of all spiking layers per sample.
	SpikesPerSample float64
	// Rates is the mean firing probability per step of each layer.
	Rates []float64
}

// Evaluate runs every sample of ds (stochastic encoders seeded with seed and the sample
// index) and returns the accuracy and predictions.
func Evaluate(m *Model, ds *data.Dataset, enc data.Encoder, steps int, seed uint64) (*Result, error) {
	return evaluate(m, ds, enc, steps, seed, nil)
}

func evaluate(m *Model, ds *data.Dataset, enc data.Encoder, steps int, seed uint64, each func(i int, w *Work)) (*Result, error) {
	if err := m.checkData(ds, enc); err != nil {
		return nil, err
	}
	n := ds.Len()
	res := &Result{Predictions: make([]int, n), Rates: make([]float64, len(m.Layers))}
	const chunk = 64
	nc := (n + chunk - 1) / chunk
	spikes := make([][]float64, nc) // per chunk, per layer: summed spikes
	next := make(chan int, nc)
	for c := 0; c < nc; c++ {
		next <- c
	}
	close(next)
	var wg sync.WaitGroup
	for wi := 0; wi < min(runtime.GOMAXPROCS(0), nc); wi++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := m.NewWork(steps)
			buf := make([]float64, m.Layers[0].In*steps)
			for c := range next {
				sp := make([]float64, len(m.Layers))
				for i := c * chunk; i < min((c+1)*chunk, n); i++ {
					in := encode(buf, enc, ds, i, steps, seed)
					res.Predictions[i] = Argmax(w.Forward(&in, nil))
					for li := range m.Layers {
						for _, v := range w.counts[li] {
							sp[li] += v
						}
					}
					if each != nil {
						each(i, w)
					}
				}
				spikes[c] = sp
			}
		}()
	}
	wg.Wait()
	correct := 0
	for i, p := range res.Predictions {
		if p == ds.Y[i] {
			correct++
		}
	}
	tot := make([]float64, len(m.Layers))
	for _, sp := range spikes {
		for li, v := range sp {
			tot[li] += v
		}
	}
	all := 0.0
	for li, v := range tot {
		if m.Layers[li].Spiking {
			all += v
		}
		res.Rates[li] = v / float64(n*steps*m.Layers[li].Out)
	}
	res.Accuracy = float64(correct) / float64(n)
	res.SpikesPerSample = all / float64(n)
	return res, nil
}

// reduce sums the shard gradients into shards[0].g, element by element in shard order
// (deterministic for any number of goroutines), splitting the arrays into chunks that
// goroutines share.
func reduce(shards []shardResult, workers int) {
	if len(shards) < 2 {
		return
	}
	const chunk = 1 << 14
	type job struct {
		dst []float64
		src [][]float64
	}
	var jobs []job
	add := func(dst []float64, pick func(g *Grads) []float64) {
		for lo := 0; lo < len(dst); lo += chunk {
			hi := min(lo+chunk, len(dst))
			j := job{dst: dst[lo:hi]}
			for _, s := range shards[1:] {
				j.src = append(j.src, pick(s.g)[lo:hi])
			}
			jobs = append(jobs, j)
		}
	}
	g0 := shards[0].g
	for i := range g0.W {
		add(g0.W[i], func(g *Grads) []float64 { return g.W[i] })
		add(g0.B[i], func(g *Grads) []float64 { return g.B[i] })
		if g0.V[i] != nil {
			add(g0.V[i], func(g *Grads) []float64 { return g.V[i] })
		}
	}
	next := make(chan int, len(jobs))
	for i := range jobs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				for _, src := range jobs[i].src {
					axpy(jobs[i].dst, src)
				}
			}
		}()
	}
	wg.Wait()
}
