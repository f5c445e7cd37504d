package loihi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// FitError is one resource violation found by the mapper (spec §8): it names the
// population, the resource, the need and the limit.
type FitError struct {
	Population string
	Resource   string
	Need       int64
	Limit      int64
	Detail     string
}

func (e *FitError) Error() string {
	s := fmt.Sprintf("population %s: %s: need %d, limit %d", e.Population, e.Resource, e.Need, e.Limit)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap makes errors.Is(err, targets.ErrDoesNotFit) true.
func (e *FitError) Unwrap() error { return targets.ErrDoesNotFit }

// coreUse is the resource use of one mapped core.
type coreUse struct {
	coreMap
	AxIn, AxOut, Words, Slots int
	Cx                        int // compartments (neurons × compartments per neuron)
	PopAx                     int // of AxIn: population (shared-weight) axons of conv projections
}

// csrIn is a projection's synapses grouped by presynaptic neuron, posts ascending.
type csrIn struct {
	start []int32
	post  []int32
}

func buildCSR(s *synList, preSize int) csrIn {
	start := make([]int32, preSize+1)
	for _, p := range s.Pre {
		start[p+1]++
	}
	for i := 1; i <= preSize; i++ {
		start[i] += start[i-1]
	}
	post := make([]int32, len(s.Pre))
	fill := slices.Clone(start[:preSize])
	for k, p := range s.Pre {
		post[fill[p]] = s.Post[k]
		fill[p]++
	}
	for i := 0; i < preSize; i++ {
		seg := post[start[i]:start[i+1]]
		if !slices.IsSorted(seg) {
			slices.Sort(seg)
		}
	}
	return csrIn{start: start, post: post}
}

// mapper splits populations over cores (spec §8).
type mapper struct {
	hw     HW
	n      *ir.Netlist
	syns   []*synList
	projs  []qProj
	pops   []qPop // compartments per neuron: len(Tree), 1 for point neurons
	popIdx map[string]int
	csr    []csrIn
	srcID  []int // projection → source id (population index, or len(pops)+input index)
	errs   []error
	// convAxons is "auto" (each conv projection takes the cheaper of discrete and
	// population axons) or "discrete" (always expanded).
	convAxons string
	// enc is the encoding chosen per projection by the last sliceStats of its post.
	enc []convEnc
}

// convEnc is a conv projection's synapse memory under both encodings (spec §8, notes
// §3.5) at the split the mapper chose.
type convEnc struct {
	conv          bool
	discrete, pop int // synapse words, summed over the post's cores
	popAxons      int
	shared        bool
}

func bitsFor(x int) int {
	if x <= 0 {
		return 0
	}
	return bits.Len(uint(x))
}

// idxBits is the sparse index field width for a core of ncx compartments (notes §3.5:
// codes 6..12 bits).
func idxBits(ncx int) int { return min(max(bitsFor(ncx-1), 6), 12) }

// segWords is the synapse memory of one axon's list of n synapses of one projection
// (notes §3.5): groups of ≤ SynGroup synapses, n·(weight+delay+index bits) + header,
// each group rounded up to whole words.
func (h HW) segWords(n, wb, db, ib int) int {
	words := 0
	for n > 0 {
		g := min(n, h.SynGroup)
		b := g*(wb+db+ib) + h.SynGroupOverhead
		words += (b + h.WordBits - 1) / h.WordBits
		n -= g
	}
	return words
}

// sliceStats evaluates population pi split into slices of length L.
func (m *mapper) sliceStats(pi, L int) (axIn, words []int, slots int) {
	axIn, words, _, slots = m.sliceStatsPop(pi, L)
	return axIn, words, slots
}

// sliceStatsPop is sliceStats with the population axons per slice. Conv projections
// whose population-axon encoding needs fewer synapse words (and convAxons is auto) are
// counted that way; the choice is recorded in m.enc.
func (m *mapper) sliceStatsPop(pi, L int) (axIn, words, popAx []int, slots int) {
	p := m.n.Populations[pi]
	k := (p.Size + L - 1) / L
	axIn, words, popAx = make([]int, k), make([]int, k), make([]int, k)
	shared := map[int]bool{}
	for j, pr := range m.n.Projections {
		if pr.Post != p.Name || m.syns[j] == nil || pr.Kind != ir.Conv || pr.Conv == nil {
			continue
		}
		dw := m.discreteWords(j, L, k)
		pw, pa := m.popWords(j, L, k)
		e := convEnc{conv: true, discrete: sum(dw), pop: sum(pw), popAxons: sum(pa)}
		e.shared = m.convAxons != "discrete" && e.pop < e.discrete
		if m.enc != nil {
			m.enc[j] = e
		}
		if e.shared {
			shared[j] = true
			for s := range k {
				words[s] += pw[s]
				axIn[s] += pa[s]
				popAx[s] += pa[s]
			}
		}
	}
	stamp := make([]int64, k)
	for i := range stamp {
		stamp[i] = -1
	}
	maxD := 0
	for j, pr := range m.n.Projections {
		if pr.Post == p.Name && m.syns[j] != nil {
			maxD = max(maxD, m.syns[j].MaxDelay)
		}
	}
	slots = maxD + 1
	// group incoming projections by source so that axons are shared per (source, pre)
	var order []int
	for j, pr := range m.n.Projections {
		if pr.Post == p.Name && m.syns[j] != nil {
			order = append(order, j)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return m.srcID[a] - m.srcID[b] })
	for oi := 0; oi < len(order); {
		src := m.srcID[order[oi]]
		oj := oi
		for oj < len(order) && m.srcID[order[oj]] == src {
			oj++
		}
		preSize := m.n.Projections[order[oi]].PreSize
		for pre := 0; pre < preSize; pre++ {
			key := int64(src)<<32 | int64(pre)
			for _, j := range order[oi:oj] {
				if shared[j] {
					continue
				}
				c := m.csr[j]
				posts := c.post[c.start[pre]:c.start[pre+1]]
				wb, db := m.projs[j].Bits, bitsFor(m.syns[j].MaxDelay)
				for a := 0; a < len(posts); {
					s := int(posts[a]) / L
					b := a
					for b < len(posts) && int(posts[b])/L == s {
						b++
					}
					if stamp[s] != key {
						stamp[s] = key
						axIn[s]++
					}
					n := b - a
					ib := 0
					if int(posts[b-1]-posts[a])+1 != n {
						ib = idxBits(min(L, p.Size-s*L))
					}
					words[s] += m.hw.segWords(n, wb, db, ib)
					a = b
				}
			}
		}
		oi = oj
	}
	// Self synapses of multi-compartment neurons (spec §7: AHP / adaptation): each neuron
	// of the slice is one more source with its own input axon on its own core and a
	// synapse list reaching its self-targeted compartments (8-bit words, no delay, the
	// compartments consecutive in the neuron's tree).
	if t := m.selfTargets(pi); t > 0 {
		for s := range k {
			cnt := min(L, p.Size-s*L)
			axIn[s] += cnt
			words[s] += cnt * m.hw.segWords(t, 8, 0, 0)
		}
	}
	return axIn, words, popAx, slots
}

// selfTargets is the number of compartments of population pi's tree that a neuron's own
// spike reaches (self_w ≠ 0); 0 for point neurons.
func (m *mapper) selfTargets(pi int) int {
	if pi >= len(m.pops) {
		return 0
	}
	t := 0
	for _, c := range m.pops[pi].Tree {
		if c.SelfW != 0 {
			t++
		}
	}
	return t
}

func sum(v []int) int {
	t := 0
	for _, x := range v {
		t += x
	}
	return t
}

// discreteWords is projection j's synapse memory per slice with discrete axons: one
// list per (presynaptic neuron, core), notes §3.5.
func (m *mapper) discreteWords(j, L, k int) []int {
	words := make([]int, k)
	pr := m.n.Projections[j]
	size := m.n.Populations[m.popIdx[pr.Post]].Size
	c := m.csr[j]
	wb, db := m.projs[j].Bits, bitsFor(m.syns[j].MaxDelay)
	for pre := 0; pre < pr.PreSize; pre++ {
		posts := c.post[c.start[pre]:c.start[pre+1]]
		for a := 0; a < len(posts); {
			s := int(posts[a]) / L
			b := a
			for b < len(posts) && int(posts[b])/L == s {
				b++
			}
			ib := 0
			if int(posts[b-1]-posts[a])+1 != b-a {
				ib = idxBits(min(L, size-s*L))
			}
			words[s] += m.hw.segWords(b-a, wb, db, ib)
			a = b
		}
	}
	return words
}

// popWords is conv projection j's synapse memory and input axons per slice with
// population axons (nengo-loihi's conv2d_loihi_weights; notes §3.5): one axon per
// (input position, channel group) and core, the spike's atom selecting the input
// channel; each distinct synapse pattern (relative compartment offsets and kernel
// entries of one input position in one core) is stored once, with one weight row per
// atom (cin/groups rows). The compartment base of a pop16 axon must be a multiple of 4
// below 256 (nengo): the remainder goes into the indices, so patterns that differ only
// there are stored again (nengo's "extra sets of redundant weights").
func (m *mapper) popWords(j, L, k int) (words, axons []int) {
	words, axons = make([]int, k), make([]int, k)
	pr := m.n.Projections[j]
	c := pr.Conv
	size := m.n.Populations[m.popIdx[pr.Post]].Size
	cinG, coutG := c.InC/c.Groups, c.OutC/c.Groups
	wb, db := m.projs[j].Bits, bitsFor(m.syns[j].MaxDelay)
	// kernel entries (oc, ky, kx) stored at all: non-zero for some input channel
	live := make([]bool, c.OutC*c.KH*c.KW)
	for oc := 0; oc < c.OutC; oc++ {
		for icg := 0; icg < cinG; icg++ {
			for ky := 0; ky < c.KH; ky++ {
				for kx := 0; kx < c.KW; kx++ {
					if pr.W[((oc*cinG+icg)*c.KH+ky)*c.KW+kx] != 0 {
						live[(oc*c.KH+ky)*c.KW+kx] = true
					}
				}
			}
		}
	}
	type ent struct{ post, code int32 }
	seen := make([]map[string]struct{}, k)
	for s := range seen {
		seen[s] = map[string]struct{}{}
	}
	lists := make([][]ent, k)
	var touched []int
	var key []byte
	for g := 0; g < c.Groups; g++ {
		for iy := 0; iy < c.InH; iy++ {
			for ix := 0; ix < c.InW; ix++ {
				touched = touched[:0]
				for oc := g * coutG; oc < (g+1)*coutG; oc++ {
					for ky := 0; ky < c.KH; ky++ {
						ny := iy + c.PadH - ky*c.DilH
						if ny < 0 || ny%c.StrideH != 0 || ny/c.StrideH >= c.OutH {
							continue
						}
						for kx := 0; kx < c.KW; kx++ {
							nx := ix + c.PadW - kx*c.DilW
							code := (oc*c.KH+ky)*c.KW + kx
							if nx < 0 || nx%c.StrideW != 0 || nx/c.StrideW >= c.OutW || !live[code] {
								continue
							}
							post := (oc*c.OutH+ny/c.StrideH)*c.OutW + nx/c.StrideW
							s := post / L
							if len(lists[s]) == 0 {
								touched = append(touched, s)
							}
							lists[s] = append(lists[s], ent{int32(post), int32(code)})
						}
					}
				}
				for _, s := range touched {
					es := lists[s]
					slices.SortFunc(es, func(a, b ent) int { return int(a.post - b.post) })
					axons[s]++
					base := int(es[0].post) - s*L
					cxBase := min(base&^3, 252)
					key = key[:0]
					key = binary.AppendVarint(key, int64(g))
					key = binary.AppendVarint(key, int64(base-cxBase))
					for _, e := range es {
						key = binary.AppendVarint(key, int64(e.post-es[0].post))
						key = binary.AppendVarint(key, int64(e.code))
					}
					if _, ok := seen[s][string(key)]; !ok {
						seen[s][string(key)] = struct{}{}
						ib := 0
						if int(es[len(es)-1].post-es[0].post)+1 != len(es) {
							ib = idxBits(min(L, size-s*L))
						}
						words[s] += cinG * m.hw.segWords(len(es), wb, db, ib)
					}
					lists[s] = es[:0]
				}
			}
		}
	}
	return words, axons
}

// maxFanInAxons is the largest number of distinct input axons a single compartment of
// population pi needs.
func (m *mapper) maxFanInAxons(pi int) (int64, int) {
	axIn, _, _ := m.sliceStats(pi, 1)
	best, at := 0, 0
	for i, a := range axIn {
		if a > best {
			best, at = a, i
		}
	}
	return int64(best), at
}

// split chooses the number of cores for population pi from its inputs (compartments,
// delay slots, input axons, synapse words).
func (m *mapper) split(pi int) int {
	h := m.hw
	p := m.n.Populations[pi]
	N := p.Size
	if N == 0 {
		return 0
	}
	_, _, slots := m.sliceStats(pi, N) // cheap enough: one pass
	k := m.cxPer(pi)                   // spec §7: compartments, not neurons, count against the core
	perCore := min(h.CompartmentsPerCore/k, h.DelaySlotBudget/(slots*k))
	if perCore < 1 {
		m.errs = append(m.errs, &FitError{Population: p.Name, Resource: "compartments x delay slots", Need: int64(slots * k), Limit: int64(h.DelaySlotBudget)})
		return 0
	}
	if need, at := m.maxFanInAxons(pi); need > int64(h.InAxonsPerCore) {
		m.errs = append(m.errs, &FitError{Population: p.Name, Resource: "input axons per core", Need: need, Limit: int64(h.InAxonsPerCore),
			Detail: fmt.Sprintf("neuron %d alone receives from %d distinct presynaptic neurons", at, need)})
		return 0
	}
	L := perCore
	for {
		L = min(L, N)
		k := (N + L - 1) / L
		axIn, words, _ := m.sliceStats(pi, L)
		ratio := 1.0
		for s := range axIn {
			ratio = max(ratio, float64(axIn[s])/float64(h.InAxonsPerCore), float64(words[s])/float64(h.SynapseWordsPerCore))
		}
		if ratio <= 1 {
			return k
		}
		if L == 1 {
			s := slices.Index(words, slices.Max(words))
			m.errs = append(m.errs, &FitError{Population: p.Name, Resource: "synapse words per core", Need: int64(words[s]), Limit: int64(h.SynapseWordsPerCore),
				Detail: fmt.Sprintf("neuron %d alone", s)})
			return 0
		}
		// shrink the slices at least by one, by the overload ratio when it is larger
		nk := max(k+1, int(float64(k)*ratio+0.999))
		L = min(L-1, (N+nk-1)/nk)
	}
}

// cxPer is the number of compartments per neuron of population pi.
func (m *mapper) cxPer(pi int) int {
	if pi < len(m.pops) && len(m.pops[pi].Tree) > 0 {
		return len(m.pops[pi].Tree)
	}
	return 1
}

// run maps every population. It returns the cores in order and their use; on any
// violation it returns every violation found (each a *FitError).
func (m *mapper) run(chips int) ([]coreUse, error) {
	h := m.hw
	n := m.n
	m.popIdx = map[string]int{}
	for i, p := range n.Populations {
		m.popIdx[p.Name] = i
	}
	inIdx := map[string]int{}
	for i, p := range n.Inputs {
		inIdx[p.Name] = i
	}
	m.csr = make([]csrIn, len(n.Projections))
	m.srcID = make([]int, len(n.Projections))
	m.enc = make([]convEnc, len(n.Projections))
	for j, pr := range n.Projections {
		if m.syns[j] == nil {
			continue
		}
		m.csr[j] = buildCSR(m.syns[j], pr.PreSize)
		if i, ok := m.popIdx[pr.Pre]; ok {
			m.srcID[j] = i
		} else {
			m.srcID[j] = len(n.Populations) + inIdx[pr.Pre]
		}
	}
	ks := make([]int, len(n.Populations))
	for i := range n.Populations {
		ks[i] = m.split(i)
	}
	if len(m.errs) > 0 {
		return nil, errors.Join(m.errs...)
	}
	// Output axons: one per (neuron, destination core); split sources further if needed.
	base := func() []int {
		b := make([]int, len(ks)+1)
		for i, k := range ks {
			b[i+1] = b[i] + k
		}
		return b
	}
	b := base()
	outPer := make([][]int, len(n.Populations))
	stamp := make([]int64, b[len(ks)])
	for i := range stamp {
		stamp[i] = -1
	}
	for si, sp := range n.Populations {
		outPer[si] = make([]int, sp.Size)
		var outs []int
		for j, pr := range n.Projections {
			if pr.Pre == sp.Name && m.syns[j] != nil {
				outs = append(outs, j)
			}
		}
		if len(outs) == 0 && m.selfTargets(si) == 0 {
			continue
		}
		for pre := 0; pre < sp.Size; pre++ {
			cnt := 0
			for _, j := range outs {
				di := m.popIdx[n.Projections[j].Post]
				L := (n.Populations[di].Size + ks[di] - 1) / ks[di]
				c := m.csr[j]
				for _, post := range c.post[c.start[pre]:c.start[pre+1]] {
					core := b[di] + int(post)/L
					if key := int64(si)<<32 | int64(pre); stamp[core] != key {
						stamp[core] = key
						cnt++
					}
				}
			}
			outPer[si][pre] = cnt
		}
		if m.selfTargets(si) > 0 { // one more output axon: to the neuron's own core
			for pre := range outPer[si] {
				outPer[si][pre]++
			}
		}
		for {
			L := (sp.Size + ks[si] - 1) / ks[si]
			worst, at := 0, 0
			for s := 0; s*L < sp.Size; s++ {
				sum := 0
				for _, c := range outPer[si][s*L : min(sp.Size, (s+1)*L)] {
					sum += c
				}
				if sum > worst {
					worst, at = sum, s
				}
			}
			if worst <= h.OutAxonsPerCore {
				break
			}
			if L == 1 {
				m.errs = append(m.errs, &FitError{Population: sp.Name, Resource: "output axons per core", Need: int64(worst), Limit: int64(h.OutAxonsPerCore),
					Detail: fmt.Sprintf("neuron %d alone fans out to %d cores", at, worst)})
				break
			}
			ks[si]++
		}
	}
	if len(m.errs) > 0 {
		return nil, errors.Join(m.errs...)
	}
	b = base()
	total := b[len(ks)]
	if limit := h.CoresPerChip * chips; total > limit {
		big, bk := "", 0
		for i, k := range ks {
			if k > bk {
				big, bk = n.Populations[i].Name, k
			}
		}
		return nil, &FitError{Population: big, Resource: "cores", Need: int64(total), Limit: int64(limit),
			Detail: fmt.Sprintf("%d chips × %d cores; %s alone needs %d cores; raise --chips", chips, h.CoresPerChip, big, bk)}
	}
	var cores []coreUse
	for i, p := range n.Populations {
		if ks[i] == 0 {
			continue
		}
		L := (p.Size + ks[i] - 1) / ks[i]
		axIn, words, popAx, slots := m.sliceStatsPop(i, L)
		for s := 0; s*L < p.Size; s++ {
			cnt := min(L, p.Size-s*L)
			out := 0
			for _, c := range outPer[i][s*L : s*L+cnt] {
				out += c
			}
			cores = append(cores, coreUse{coreMap: coreMap{Pop: i, Start: s * L, Count: cnt}, AxIn: axIn[s], AxOut: out, Words: words[s], Slots: slots, Cx: cnt * m.cxPer(i), PopAx: popAx[s]})
		}
	}
	return cores, nil
}

// packingTable renders the mapper's result (spec §8).
func (h HW) packingTable(n *ir.Netlist, cores []coreUse) targets.Table {
	t := targets.Table{Title: "packing", Header: []string{"core", "chip", "tile", "population", "neurons", "compartments", "axons_in", "pop_axons_in", "axons_out", "synapse_words", "delay_slots", "utilization"}}
	for c, u := range cores {
		util := max(float64(u.Cx)/float64(h.CompartmentsPerCore), float64(u.AxIn)/float64(h.InAxonsPerCore),
			float64(u.AxOut)/float64(h.OutAxonsPerCore), float64(u.Words)/float64(h.SynapseWordsPerCore),
			float64(u.Cx*u.Slots)/float64(h.DelaySlotBudget))
		t.Rows = append(t.Rows, []string{strconv.Itoa(c), strconv.Itoa(c / h.CoresPerChip), strconv.Itoa((c % h.CoresPerChip) / h.CoresPerTile),
			n.Populations[u.Pop].Name, fmt.Sprintf("%d..%d", u.Start, u.Start+u.Count-1), strconv.Itoa(u.Cx),
			strconv.Itoa(u.AxIn), strconv.Itoa(u.PopAx), strconv.Itoa(u.AxOut), strconv.Itoa(u.Words), strconv.Itoa(u.Slots), fmt.Sprintf("%.1f%%", 100*util)})
	}
	return t
}

// convTable shows, per conv projection, its synapse memory with discrete and with
// population axons and the encoding the mapper chose (spec §8).
func (m *mapper) convTable() (targets.Table, bool) {
	t := targets.Table{Title: "conv synapse encoding", Header: []string{"projection", "post", "discrete_words", "pop_words", "pop_axons", "encoding"}}
	for j, e := range m.enc {
		if !e.conv {
			continue
		}
		enc := "discrete"
		if e.shared {
			enc = "population (shared weights)"
		}
		pr := m.n.Projections[j]
		t.Rows = append(t.Rows, []string{pr.Name, pr.Post, strconv.Itoa(e.discrete), strconv.Itoa(e.pop), strconv.Itoa(e.popAxons), enc})
	}
	return t, len(t.Rows) > 0
}
