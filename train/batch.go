package train

import (
	"math"
	"math/bits"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/snnc/snnc/train/data"
	"gonum.org/v1/gonum/floats"
)

// Batched BPTT (what Fit runs). A mini-batch is processed in two phases:
//
//	A. per sample (samples spread over goroutines; each writes only its own slots):
//	   encode, forward layer by layer over all steps (a layer depends only on the layers
//	   below, so this equals the step-by-step order of Work.Forward), loss, and the
//	   backward recursion of δU, δI from the top layer down. Presynaptic activity is
//	   recorded as sparse rows (ascending indices; a spike row has implicit value 1), δI
//	   as trajectories.
//	B. per weight row (rows spread over goroutines): ∂W += Σ_{b,t} x_{b,t} ⊗ δI_{b,t}
//	   over the sparse rows, ∂V likewise with the layer's own spikes of t−1, ∂b from the
//	   per-sample sums Σ_t δI. Every gradient element is summed in the same (sample,
//	   step) order whatever the partition, so results do not depend on GOMAXPROCS.
//
// Linear readout in closed form: with a leaky readout and LossSum the logits are
// (1/T)·Σ_t U_t, a linear function of the readout's input currents h_t = Wᵀ·x_t + b:
// logits = Σ_t c_t·h_t = Wᵀ·z + (Σ_t c_t)·b with z = Σ_t c_t·x_t, where c_t is the
// readout's adjoint kernel (c_t = δI_t for a unit error: δU_t = β·δU_{t+1} + 1/T,
// δI_t = δU_t + α·δI_{t+1}). So the readout costs one (In × Out) product per sample instead
// of one per step, its gradient is ∂W = z ⊗ g, ∂b = (Σ_t c_t)·g, and the error reaching
// its input at step t is c_t·(W·g) (g = ∂loss/∂logits). This is the same gradient as the
// per-step recursion up to rounding.

// sparseRows holds sparse presynaptic rows of a batch: row r has the ascending indices
// idx[lo[r]:hi[r]] with values val[lo[r]:hi[r]], or all ones when val is nil (spikes).
// Sample b owns rows b·R … b·R+R−1 and idx positions from b·cap on.
type sparseRows struct {
	idx    []int32
	val    []float64
	lo, hi []int
	R, cap int
}

func newSparseRows(samples, rows, width int, values bool) sparseRows {
	s := sparseRows{idx: make([]int32, samples*rows*width), lo: make([]int, samples*rows),
		hi: make([]int, samples*rows), R: rows, cap: rows * width}
	if values {
		s.val = make([]float64, samples*rows*width)
	}
	return s
}

// setDense records the non-zeros of x (rows rows of width n) as sample b's first rows.
func (s *sparseRows) setDense(b int, x []float64, n, rows int) {
	p := b * s.cap
	for t := 0; t < rows; t++ {
		r := b*s.R + t
		s.lo[r] = p
		for j, v := range x[t*n : (t+1)*n] {
			if v != 0 {
				s.idx[p] = int32(j)
				s.val[p] = v
				p++
			}
		}
		s.hi[r] = p
	}
}

// addRow adds row r's Σ_j x_j·w_j to h (w pre-major with n columns), j ascending.
func (s *sparseRows) addRow(h, w []float64, n, r int) {
	lo, hi := s.lo[r], s.hi[r]
	var vals []float64
	if s.val != nil {
		vals = s.val[lo:hi]
	}
	axpyRows(h, w, n, s.idx[lo:hi], vals)
}

// columns fills the transpose (column j: the samples b with x_b,j ≠ 0, ascending, and the
// values) of the first nb single-row samples.
func (s *sparseRows) columns(c *columns, nb, width int) {
	c.ptr = append(c.ptr[:0], make([]int, width+1)...)
	for b := 0; b < nb; b++ {
		for _, j := range s.idx[s.lo[b]:s.hi[b]] {
			c.ptr[j+1]++
		}
	}
	for j := 0; j < width; j++ {
		c.ptr[j+1] += c.ptr[j]
	}
	nnz := c.ptr[width]
	if cap(c.row) < nnz {
		c.row, c.val = make([]int32, nnz), make([]float64, nnz)
	}
	c.row, c.val = c.row[:nnz], c.val[:nnz]
	c.fill = append(c.fill[:0], c.ptr[:width]...)
	for b := 0; b < nb; b++ {
		for e, j := range s.idx[s.lo[b]:s.hi[b]] {
			p := c.fill[j]
			c.row[p], c.val[p] = int32(b), s.val[s.lo[b]+e]
			c.fill[j]++
		}
	}
}

// columns is a column-major copy of sparse rows.
type columns struct {
	ptr, fill []int
	row       []int32
	val       []float64
}

// accum adds x_r ⊗ d_r to g (pre-major, n columns) for the rows of every sample b < nb
// and step t ≥ shift, where x_r is row b·R+t−shift of s and d_r row b·R+t of d (n wide),
// restricted to presynaptic indices in [jlo, jhi). Elements are summed in (b, t) order.
func (s *sparseRows) accum(g, d []float64, n, nb, shift int, jlo, jhi int32) {
	for b := 0; b < nb; b++ {
		for t := shift; t < s.R; t++ {
			r := b*s.R + t - shift
			lo, hi := s.lo[r], s.hi[r]
			ids := s.idx[lo:hi]
			if jlo > 0 {
				k := sort.Search(len(ids), func(i int) bool { return ids[i] >= jlo })
				ids, lo = ids[k:], lo+k
			}
			dr := d[(b*s.R+t)*n : (b*s.R+t+1)*n]
			for e, j := range ids {
				if j >= jhi {
					break
				}
				row := g[int(j)*n : int(j)*n+n]
				xj := 1.0
				if s.val != nil {
					xj = s.val[lo+e]
				}
				switch {
				case n >= shortRow && xj == 1:
					floats.Add(row, dr)
				case n >= shortRow:
					floats.AddScaled(row, xj, dr)
				case xj == 1:
					for k, v := range dr {
						row[k] += v
					}
				default:
					for k, v := range dr {
						row[k] += xj * v
					}
				}
			}
		}
	}
}

// scratch is one goroutine's buffers.
type scratch struct {
	enc                   []float64
	h, h0, I, zero, sPrev []float64
	dS, dU, dI, u         []float64
	Uc                    []float64 // closed: U of the current step
	mask                  []byte    // closed: spike bits, four neurons per byte
}

// batchWork is the state of batched BPTT for up to cap samples of steps steps.
type batchWork struct {
	m      *Model
	T, cap int
	nb     int // samples in the current batch
	reg    float64
	fast   bool // leaky LossSum readout in closed form
	static bool // layer 0 sees a static input: W·x + b computed once per sample
	in     sparseRows
	spk    []sparseRows // per layer (spiking layers only)
	U      [][]float64  // per layer, [b][t][n]
	dI     [][]float64  // per layer, [b][t][n] (nil when not needed)
	sumDI  [][]float64  // per layer, [b][n]: Σ_t δI
	counts [][]float64  // per layer, [b][n]
	logits []float64    // [b][out]
	dLogit []float64    // [b][out]
	z      []float64    // fast: [b][in of the readout]
	c      []float64    // fast: readout adjoint kernel per step
	// closed: the single hidden layer (static input, reset subtract) below a closed-form
	// readout needs only Σ_t δI_t, which is u_j·Σ_t c_t·K_t·σ'_t,j (+ the regularizer's
	// rc·cnt_j·Σ_t K_t·σ'_t,j): the forward pass accumulates those sums and the layer's
	// backward recursion disappears. K_t = Σ_{r≤t} A_r·β^{t−r}, A_r = Σ_{t'≤r} α^{r−t'}
	// is the response of Σ_t δI_t to a unit δU source at step t.
	closed    bool
	wc, wk    []float64 // per step: c_t·K_t and K_t
	acc, accK []float64 // [b][n]: Σ_t c_t·K_t·σ'_t and Σ_t K_t·σ'_t of layer 0
	cSum      float64   // fast: Σ_t c_t
	loss      []float64
	correct   []bool
	wT, vT    [][]float64 // transposes of W (layers ≥ 1) and V, refreshed per batch
	scr       []*scratch
	cols      columns // static input as columns (phase B of layer 0)
}

func (m *Model) newBatchWork(steps, capacity, workers int, static bool) *batchWork {
	L := len(m.Layers)
	c := &m.Cfg
	bw := &batchWork{m: m, T: steps, cap: capacity}
	bw.fast = L >= 2 && !m.Layers[L-1].Spiking && c.Loss == LossSum
	bw.static = static && m.Layers[0].V == nil
	l0 := m.Layers[0]
	if bw.static {
		bw.in = newSparseRows(capacity, 1, l0.In, true)
	} else {
		bw.in = newSparseRows(capacity, steps, l0.In, true)
	}
	bw.closed = bw.fast && L == 2 && bw.static && c.Reset == ResetSubtract
	maxN := 0
	for li, l := range m.Layers {
		maxN = max(maxN, l.Out, l.In)
		var sp sparseRows
		if l.Spiking {
			sp = newSparseRows(capacity, steps, l.Out, false)
		}
		bw.spk = append(bw.spk, sp)
		var u, di []float64
		if !(bw.fast && li == L-1) && !(bw.closed && li == 0) {
			u = make([]float64, capacity*steps*l.Out)
			if !(li == 0 && bw.static) {
				di = make([]float64, capacity*steps*l.Out)
			}
		}
		bw.U, bw.dI = append(bw.U, u), append(bw.dI, di)
		bw.sumDI = append(bw.sumDI, make([]float64, capacity*l.Out))
		bw.counts = append(bw.counts, make([]float64, capacity*l.Out))
		var wt, vt []float64
		if li > 0 {
			wt = make([]float64, len(l.W))
		}
		if l.V != nil {
			vt = make([]float64, len(l.V))
		}
		bw.wT, bw.vT = append(bw.wT, wt), append(bw.vT, vt)
	}
	out := m.Layers[L-1]
	bw.logits = make([]float64, capacity*out.Out)
	bw.dLogit = make([]float64, capacity*out.Out)
	bw.loss = make([]float64, capacity)
	bw.correct = make([]bool, capacity)
	if bw.fast {
		bw.z = make([]float64, capacity*out.In)
		bw.c = make([]float64, steps)
		dU, dI := 0.0, 0.0
		for t := steps - 1; t >= 0; t-- {
			dU = c.Beta*dU + 1/float64(steps)
			dI = dU + c.Alpha*dI
			bw.c[t] = dI
		}
		for _, v := range bw.c {
			bw.cSum += v
		}
	}
	if bw.closed {
		bw.wc, bw.wk = make([]float64, steps), make([]float64, steps)
		a, k := 0.0, 0.0
		for t := 0; t < steps; t++ {
			a = c.Alpha*a + 1
			k = c.Beta*k + a
			bw.wk[t], bw.wc[t] = k, bw.c[t]*k
		}
		bw.acc = make([]float64, capacity*l0.Out)
		bw.accK = make([]float64, capacity*l0.Out)
	}
	for i := 0; i < max(1, workers); i++ {
		s := &scratch{enc: make([]float64, l0.In*steps)}
		for _, b := range []*[]float64{&s.h, &s.h0, &s.I, &s.zero, &s.sPrev, &s.Uc, &s.dS, &s.dU, &s.dI, &s.u} {
			*b = make([]float64, maxN)
		}
		s.mask = make([]byte, maxN/4+1)
		bw.scr = append(bw.scr, s)
	}
	return bw
}

// parallel runs f(i) for i < n on up to workers goroutines (worker index w selects the
// scratch); inline when one worker suffices.
func parallel(n, workers int, f func(i, w int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i, 0)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i, w)
			}
		}()
	}
	wg.Wait()
}

// step runs one mini-batch (samples idx of ds) and writes the batch gradient, scaled by
// 1/len(idx), into g. It returns the summed loss and the number of correct predictions.
func (bw *batchWork) step(g *Grads, ds *data.Dataset, idx []int, enc data.Encoder, encSeed uint64, reg float64, workers int) (float64, int) {
	m := bw.m
	bw.nb, bw.reg = len(idx), reg
	workers = min(workers, len(bw.scr))
	for li, l := range m.Layers {
		if bw.wT[li] != nil {
			transpose(bw.wT[li], l.W, l.In, l.Out)
		}
		if bw.vT[li] != nil {
			transpose(bw.vT[li], l.V, l.Out, l.Out)
		}
	}
	scale := 1 / float64(len(idx))
	parallel(len(idx), workers, func(b, w int) {
		s := bw.scr[w]
		i := idx[b]
		in := encode(s.enc, enc, ds, i, bw.T, encSeed)
		n0 := m.Layers[0].In
		if in.Static {
			bw.in.setDense(b, in.X, n0, 1)
			if !bw.static { // recurrent first layer: the static row at every step
				bw.setRepeated(b)
			}
		} else {
			bw.in.setDense(b, in.X, n0, bw.T)
		}
		bw.forward(s, b)
		bw.lossAndError(b, ds.Y[i], reg, scale)
		bw.backward(s, b, reg, scale)
	})
	bw.accumulate(g, workers)
	loss, correct := 0.0, 0
	for b := range idx {
		loss += bw.loss[b]
		if bw.correct[b] {
			correct++
		}
	}
	return loss, correct
}

// setRepeated copies sample b's first input row to all of its T rows (a static input to
// a recurrent first layer, which is simulated step by step).
func (bw *batchWork) setRepeated(b int) {
	s := &bw.in
	r0 := b * s.R
	lo, hi := s.lo[r0], s.hi[r0]
	p := hi
	for t := 1; t < s.R; t++ {
		r := r0 + t
		s.lo[r] = p
		p += copy(s.idx[p:], s.idx[lo:hi])
		copy(s.val[s.lo[r]:p], s.val[lo:hi])
		s.hi[r] = p
	}
}

// forward runs sample b through every layer.
func (bw *batchWork) forward(s *scratch, b int) {
	m := bw.m
	L := len(m.Layers)
	for li := range m.Layers {
		if bw.fast && li == L-1 {
			bw.forwardReadout(b)
			continue
		}
		bw.forwardLayer(s, b, li)
	}
	out := m.Layers[L-1]
	n, T := out.Out, bw.T
	lg := bw.logits[b*n : (b+1)*n]
	c := &m.Cfg
	switch {
	case bw.fast:
	case c.Loss == LossCount:
		sc := c.CountScale
		if sc == 0 {
			sc = 1
		}
		for k, v := range bw.counts[L-1][b*n : (b+1)*n] {
			lg[k] = sc * v
		}
	case c.Loss == LossMax:
		U := bw.U[L-1][b*T*n : (b+1)*T*n]
		for k := range lg {
			best := math.Inf(-1)
			for t := 0; t < T; t++ {
				best = max(best, U[t*n+k])
			}
			lg[k] = best
		}
	default:
		U := bw.U[L-1][b*T*n : (b+1)*T*n]
		for k := range lg {
			sum := 0.0
			for t := 0; t < T; t++ {
				sum += U[t*n+k]
			}
			lg[k] = sum / float64(T)
		}
	}
}

// forwardLayer runs layer li of sample b over all steps (summation order of Work.Forward:
// recurrent, feed-forward, bias) and records its spikes.
func (bw *batchWork) forwardLayer(s *scratch, b, li int) {
	m := bw.m
	c := &m.Cfg
	ly := m.Layers[li]
	n, T := ly.Out, bw.T
	if bw.closed && li == 0 {
		bw.forwardClosed(s, b)
		return
	}
	U := bw.U[li][b*T*n : (b+1)*T*n]
	I := s.I[:n]
	clear(I)
	zero := s.zero[:n]
	cnt := bw.counts[li][b*n : (b+1)*n]
	clear(cnt)
	sp := &bw.spk[li]
	p := b * sp.cap
	var src *sparseRows
	if li == 0 {
		src = &bw.in
	} else {
		src = &bw.spk[li-1]
	}
	static := li == 0 && bw.static
	if static {
		h0 := s.h0[:n]
		clear(h0)
		src.addRow(h0, ly.W, n, b)
		for k, v := range ly.B {
			h0[k] += v
		}
	}
	alpha, beta, th := c.Alpha, c.Beta, c.Threshold
	subtract := c.Reset == ResetSubtract
	sPrev := s.sPrev[:n]
	clear(sPrev)
	for t := 0; t < T; t++ {
		var h []float64
		if static {
			h = s.h0[:n]
		} else {
			h = s.h[:n]
			clear(h)
			if ly.V != nil && t > 0 {
				sp.addRow(h, ly.V, n, b*T+t-1)
			}
			src.addRow(h, ly.W, n, b*T+t)
			for k, v := range ly.B {
				h[k] += v
			}
		}
		Up := zero
		if t > 0 {
			Up = U[(t-1)*n : t*n]
		}
		Ut := U[t*n : (t+1)*n]
		h, Up = h[:len(Ut)], Up[:len(Ut)]
		I = I[:len(Ut)]
		if !ly.Spiking {
			for k := range Ut {
				I[k] = alpha*I[k] + h[k]
				Ut[k] = beta*Up[k] + I[k]
			}
			continue
		}
		sp.lo[b*T+t] = p
		idx := sp.idx[p : p+n]
		idx = idx[:len(Ut)]
		sPrev := sPrev[:len(Ut)]
		q := 0
		for k := range Ut {
			i := alpha*I[k] + h[k]
			I[k] = i
			// S_{t−1} ∈ {0, 1} as a float: θ·S and (1 − S) are exact, as in Work.Forward.
			var u float64
			if subtract {
				u = beta*Up[k] + i - th*sPrev[k]
			} else {
				u = beta*Up[k]*(1-sPrev[k]) + i
			}
			Ut[k] = u
			var bit uint64
			if u > th { // threshold_compare ">"
				bit = 1
			}
			idx[q] = int32(k) // branch-free append: q ≤ k
			q += int(bit)
			sPrev[k] = math.Float64frombits(-bit & oneBits)
		}
		p += q
		sp.hi[b*T+t] = p
	}
	if ly.Spiking {
		for _, j := range sp.idx[b*sp.cap : p] {
			cnt[j]++
		}
	}
}

// forwardClosed runs the static-input hidden layer of the closed form (see batchWork.closed)
// for sample b: the forward recursion in place, spikes recorded, and the surrogate sums
// acc, accK accumulated instead of storing U.
func (bw *batchWork) forwardClosed(s *scratch, b int) {
	m := bw.m
	c := &m.Cfg
	ly := m.Layers[0]
	n, T := ly.Out, bw.T
	h := s.h0[:n]
	clear(h)
	bw.in.addRow(h, ly.W, n, b)
	for k, v := range ly.B {
		h[k] += v
	}
	I, U, sPrev := s.I[:n], s.Uc[:n], s.sPrev[:n]
	clear(I)
	clear(U)
	clear(sPrev)
	acc, accK := bw.acc[b*n:(b+1)*n], bw.accK[b*n:(b+1)*n]
	clear(acc)
	clear(accK)
	reg := bw.reg != 0
	cnt := bw.counts[0][b*n : (b+1)*n]
	clear(cnt)
	sp := &bw.spk[0]
	p := b * sp.cap
	alpha, beta, th := c.Alpha, c.Beta, c.Threshold
	fast := c.Surrogate.Kind == "fast_sigmoid"
	ks := c.Surrogate.Scale
	sg := c.Surrogate.Grad
	h, I, sPrev, acc, accK = h[:len(U)], I[:len(U)], sPrev[:len(U)], acc[:len(U)], accK[:len(U)]
	simd := useSIMD && fast && n%4 == 0
	prm := [8]float64{alpha, beta, th, ks, 1, math.Float64frombits(1<<63 - 1)}
	mask := s.mask[:n/4]
	for t := 0; t < T; t++ {
		sp.lo[b*T+t] = p
		idx := sp.idx[p : p+n]
		idx = idx[:len(U)]
		wc, wk := bw.wc[t], bw.wk[t]
		q := 0
		if simd {
			prm[6], prm[7] = wc, wk
			closedStepAVX2(&I[0], &U[0], &sPrev[0], &acc[0], &accK[0], &h[0], len(U), &prm, &mask[0])
			for kb, mb := range mask {
				for mb != 0 {
					idx[q] = int32(kb*4 + bits.TrailingZeros8(mb))
					q++
					mb &= mb - 1
				}
			}
			p += q
			sp.hi[b*T+t] = p
			continue
		}
		for k := range U {
			i := alpha*I[k] + h[k]
			I[k] = i
			u := beta*U[k] + i - th*sPrev[k]
			U[k] = u
			var bit uint64
			if u > th { // threshold_compare ">"
				bit = 1
			}
			idx[q] = int32(k)
			q += int(bit)
			sPrev[k] = math.Float64frombits(-bit & oneBits)
			var g float64
			if fast {
				d := 1 + ks*math.Abs(u-th)
				g = 1 / (d * d)
			} else {
				g = sg(u - th)
			}
			acc[k] += wc * g
			if reg {
				accK[k] += wk * g
			}
		}
		p += q
		sp.hi[b*T+t] = p
	}
	for _, j := range sp.idx[b*sp.cap : p] {
		cnt[j]++
	}
}

// oneBits is the IEEE-754 pattern of 1.0.
const oneBits = 0x3FF0000000000000

// forwardReadout computes the closed-form logits of a leaky LossSum readout for sample b.
func (bw *batchWork) forwardReadout(b int) {
	m := bw.m
	L := len(m.Layers)
	ly := m.Layers[L-1]
	n, nIn, T := ly.Out, ly.In, bw.T
	z := bw.z[b*nIn : (b+1)*nIn]
	clear(z)
	src := &bw.spk[L-2]
	for t := 0; t < T; t++ {
		r := b*T + t
		ct := bw.c[t]
		for _, j := range src.idx[src.lo[r]:src.hi[r]] {
			z[j] += ct
		}
	}
	lg := bw.logits[b*n : (b+1)*n]
	for k, v := range ly.B {
		lg[k] = bw.cSum * v
	}
	for j, zj := range z {
		if zj == 0 {
			continue
		}
		row := ly.W[j*n : (j+1)*n]
		for k, v := range row {
			lg[k] += zj * v
		}
	}
}

// lossAndError computes sample b's loss and correctness and writes scale·∂loss/∂logits.
func (bw *batchWork) lossAndError(b, y int, reg, scale float64) {
	m := bw.m
	L := len(m.Layers)
	n := m.Layers[L-1].Out
	lg := bw.logits[b*n : (b+1)*n]
	d := bw.dLogit[b*n : (b+1)*n]
	l := ce(lg, y, d)
	bw.correct[b] = Argmax(lg) == y
	T := float64(bw.T)
	if reg != 0 {
		for li := 0; li < L-1; li++ {
			nl := m.Layers[li].Out
			sum := 0.0
			for _, c := range bw.counts[li][b*nl : (b+1)*nl] {
				sum += (c / T) * (c / T)
			}
			l += reg * sum / float64(nl)
		}
	}
	bw.loss[b] = l
	sc := scale
	if m.Cfg.Loss == LossCount && m.Cfg.CountScale != 0 {
		sc *= m.Cfg.CountScale
	}
	for k := range d {
		d[k] *= sc
	}
}

// backward runs the δU, δI recursion of sample b from the top layer down, recording δI
// trajectories and their sums over time.
func (bw *batchWork) backward(s *scratch, b int, reg, scale float64) {
	m := bw.m
	c := &m.Cfg
	L := len(m.Layers)
	T := bw.T
	top := m.Layers[L-1]
	no := top.Out
	g := bw.dLogit[b*no : (b+1)*no]
	var u []float64
	if bw.fast { // readout: ∂b = (Σ_t c_t)·g; its input's error at t is c_t·(W·g)
		sum := bw.sumDI[L-1][b*no : (b+1)*no]
		for k, v := range g {
			sum[k] = bw.cSum * v
		}
		u = s.u[:top.In]
		for j := range u {
			row := top.W[j*no : (j+1)*no]
			acc := 0.0
			for k, v := range row {
				acc += v * g[k]
			}
			u[j] = acc
		}
	}
	var argT []int
	for li := L - 1; li >= 0; li-- {
		if bw.fast && li == L-1 {
			continue
		}
		ly := m.Layers[li]
		n := ly.Out
		if bw.closed && li == 0 {
			bw.backwardClosed(b, u, reg, scale)
			continue
		}
		U := bw.U[li][b*T*n : (b+1)*T*n]
		sum := bw.sumDI[li][b*n : (b+1)*n]
		clear(sum)
		traj := bw.dI[li]
		if traj != nil {
			traj = traj[b*T*n : (b+1)*T*n]
		}
		cnt := bw.counts[li][b*n : (b+1)*n]
		rc := 0.0
		if reg != 0 && li < L-1 {
			rc = scale * 2 * reg / (float64(T) * float64(T) * float64(n))
		}
		if li == L-1 && c.Loss == LossMax {
			argT = argT[:0]
			for k := 0; k < n; k++ {
				best, bt := math.Inf(-1), 0
				for t := 0; t < T; t++ {
					if v := U[t*n+k]; v > best {
						best, bt = v, t
					}
				}
				argT = append(argT, bt)
			}
		}
		// δU and δI of step t+1 are updated in place to step t (each element depends only
		// on its own previous value).
		dS, dU, dI := s.dS[:n], s.dU[:n], s.dI[:n]
		clear(dU)
		clear(dI)
		var up []float64 // δI of the layer above, [t][n_above]
		var na int
		if li < L-1 && !(bw.fast && li == L-2) {
			na = m.Layers[li+1].Out
			up = bw.dI[li+1][b*T*na : (b+1)*T*na]
		}
		var uk []float64 // closed-form readout above: δS_t = c_t·u
		if u != nil && li == L-2 {
			uk = u
		}
		for t := T - 1; t >= 0; t-- {
			Ut := U[t*n : (t+1)*n]
			var tr []float64
			if traj != nil {
				tr = traj[t*n : (t+1)*n]
			}
			if !ly.Spiking {
				bw.leakyStep(dU, dI, sum, tr, g, argT, t)
				continue
			}
			// δS_t other than the closed-form readout's c_t·u, summed into dS when present.
			base := dS
			switch {
			case li == L-1: // LossCount: ∂loss/∂S_t = g for every t
				copy(dS, g)
			case up != nil:
				clear(dS)
				addRows(dS, bw.wT[li+1], up[t*na:(t+1)*na], n)
			default:
				clear(dS)
				base = nil
			}
			if ly.V != nil && t < T-1 { // S_t feeds I_{t+1} through V; dI holds δI_{t+1}
				base = dS
				addRows(dS, bw.vT[li], dI, n)
			}
			if rc != 0 {
				base = dS
				for j, v := range cnt {
					dS[j] += rc * v
				}
			}
			ct := 0.0
			if uk != nil {
				ct = bw.c[t]
			}
			bw.spikingStep(dU, dI, sum, tr, Ut, base, uk, ct)
		}
	}
}

// backwardClosed writes Σ_t δI_t of the closed-form hidden layer: u_j·acc_j (δS_t = c_t·u_j)
// plus rc·cnt_j·accK_j for the rate regularizer (δS_t += rc·cnt_j at every step).
func (bw *batchWork) backwardClosed(b int, u []float64, reg, scale float64) {
	n := bw.m.Layers[0].Out
	T := float64(bw.T)
	sum := bw.sumDI[0][b*n : (b+1)*n]
	acc := bw.acc[b*n : (b+1)*n]
	for j := range sum {
		sum[j] = u[j] * acc[j]
	}
	if reg != 0 {
		rc := scale * 2 * reg / (T * T * float64(n))
		cnt, accK := bw.counts[0][b*n:(b+1)*n], bw.accK[b*n:(b+1)*n]
		for j := range sum {
			sum[j] += rc * cnt[j] * accK[j]
		}
	}
}

// leakyStep is one backward step of a leaky readout: δU_t = β·δU_{t+1} + ∂loss/∂U_t,
// δI_t = δU_t + α·δI_{t+1}, in place.
func (bw *batchWork) leakyStep(dU, dI, sum, tr, g []float64, argT []int, t int) {
	c := &bw.m.Cfg
	for j := range dU {
		dU[j] = c.Beta * dU[j]
	}
	if c.Loss == LossMax {
		for k, at := range argT {
			if at == t {
				dU[k] += g[k]
			}
		}
	} else {
		for k := range dU {
			dU[k] += g[k] / float64(bw.T)
		}
	}
	for j, v := range dU {
		d := v + c.Alpha*dI[j]
		dI[j] = d
		sum[j] += d
	}
	if tr != nil {
		copy(tr, dI)
	}
}

// spikingStep is one backward step of a spiking layer, in place:
// δS_t = base + c_t·u (either may be nil), δU_t = δS_t·σ'(U_t − θ) + β·δU_{t+1}·g_t
// (g_t = 1 − S_t for reset zero, 1 for subtract; reset detached), δI_t = δU_t + α·δI_{t+1};
// sum += δI_t and tr (when non-nil) = δI_t.
func (bw *batchWork) spikingStep(dU, dI, sum, tr, U, base, u []float64, ct float64) {
	c := &bw.m.Cfg
	th, alpha, beta := c.Threshold, c.Alpha, c.Beta
	n := len(dU)
	dI, sum, U = dI[:n], sum[:n], U[:n]
	if c.Surrogate.Kind == "fast_sigmoid" && c.Reset == ResetSubtract && base == nil && u != nil {
		u = u[:n]
		k := c.Surrogate.Scale
		for j, uj := range U {
			x := uj - th
			if x < 0 {
				x = -x
			}
			d := 1 + k*x
			du := (ct*u[j])/(d*d) + beta*dU[j]
			di := du + alpha*dI[j]
			dU[j] = du
			dI[j] = di
			sum[j] += di
		}
	} else {
		sg := c.Surrogate.Grad
		subtract := c.Reset == ResetSubtract
		for j, uj := range U {
			ds := 0.0
			if base != nil {
				ds = base[j]
			}
			if u != nil {
				ds += ct * u[j]
			}
			du := ds * sg(uj-th)
			if subtract || uj <= th {
				du += beta * dU[j]
			}
			di := du + alpha*dI[j]
			dU[j] = du
			dI[j] = di
			sum[j] += di
		}
	}
	if tr != nil {
		copy(tr, dI)
	}
}

// accumulate writes the batch's weight and bias gradients into g (phase B).
func (bw *batchWork) accumulate(g *Grads, workers int) {
	m := bw.m
	L := len(m.Layers)
	g.Zero()
	type job struct {
		li       int
		kind     byte // 'W', 'V', 'B'
		jlo, jhi int32
	}
	var jobs []job
	const rows = 32 // presynaptic rows per job
	for li, ly := range m.Layers {
		jobs = append(jobs, job{li: li, kind: 'B'})
		for j := 0; j < ly.In; j += rows {
			jobs = append(jobs, job{li, 'W', int32(j), int32(min(j+rows, ly.In))})
		}
		if ly.V != nil {
			for j := 0; j < ly.Out; j += rows {
				jobs = append(jobs, job{li, 'V', int32(j), int32(min(j+rows, ly.Out))})
			}
		}
	}
	nb := bw.nb
	if bw.static {
		bw.in.columns(&bw.cols, nb, m.Layers[0].In)
	}
	parallel(len(jobs), workers, func(i, _ int) {
		jb := jobs[i]
		ly := m.Layers[jb.li]
		n := ly.Out
		switch {
		case jb.kind == 'B':
			for b := 0; b < nb; b++ {
				axpy(g.B[jb.li], bw.sumDI[jb.li][b*n:(b+1)*n])
			}
		case jb.kind == 'V':
			bw.spk[jb.li].accum(g.V[jb.li], bw.dI[jb.li], n, nb, 1, jb.jlo, jb.jhi)
		case bw.fast && jb.li == L-1: // ∂W = Σ_b z_b ⊗ g_b
			nIn := ly.In
			for b := 0; b < nb; b++ {
				z := bw.z[b*nIn : (b+1)*nIn]
				d := bw.dLogit[b*n : (b+1)*n]
				for j := jb.jlo; j < jb.jhi; j++ {
					zj := z[j]
					if zj == 0 {
						continue
					}
					row := g.W[jb.li][int(j)*n : int(j)*n+n]
					for k, v := range d {
						row[k] += zj * v
					}
				}
			}
		case jb.li == 0 && bw.static: // row j of ∂W += Σ_b x_b,j·Σ_t δI_b,t, b ascending
			cs := &bw.cols
			for j := int(jb.jlo); j < int(jb.jhi); j++ {
				lo, hi := cs.ptr[j], cs.ptr[j+1]
				axpyRows(g.W[0][j*n:(j+1)*n], bw.sumDI[0], n, cs.row[lo:hi], cs.val[lo:hi])
			}
		default:
			src := &bw.in
			if jb.li > 0 {
				src = &bw.spk[jb.li-1]
			}
			src.accum(g.W[jb.li], bw.dI[jb.li], n, nb, 0, jb.jlo, jb.jhi)
		}
	})
}
