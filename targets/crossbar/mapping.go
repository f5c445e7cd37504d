package crossbar

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// segment is one (projection, delay) block of rows in a population's row space: Rep
// replicas of PreSize rows each (docs/crossbar.md "Row replicas").
type segment struct {
	Proj    int // index in the netlist's Projections
	Pre     string
	PreSize int
	Delay   int
	Off     int // first row in the population's row space
	Rep     int // replicas of every row (≥ 1)
}

// row is the row of replica j of presynaptic neuron pre.
func (s segment) row(pre, j int) int { return s.Off + j*s.PreSize + pre }

// popLayout maps one population onto tiles: rows are the concatenated segments,
// columns the neurons, split into Groups column groups of CG neurons and Blocks row
// blocks of R rows. M is the logical weight matrix (Rows×Size, row-major); with Rep
// replicas each replica row holds 1/Rep of the weight and Replica[row] is the row's
// replica index. Each weight is held by K = slices·ColRep cell pairs of its column group
// (ColRep column replicas of slices pairs each); PW are their digital recombination
// weights (docs/crossbar.md "Row and column replicas").
type popLayout struct {
	Pop     int // index in the netlist's Populations
	Name    string
	Size    int
	Rows    int
	Rep     int
	Replica []int32
	Base    []int32 // per row: the row of its replica 0 (rows with one Base are driven together)
	ColRep  int
	VScale  float64 // read amplitude of the rows (readScale)
	K       int
	PW      []float64
	Segs    []segment
	Blocks  int
	Groups  int
	CG      int
	M       []float64
}

// tilePlace is one tile: the (population, column group, row block) it holds.
type tilePlace struct {
	Pop    int       `json:"pop"` // index into layout.pops
	Group  int       `json:"group"`
	Block  int       `json:"block"`
	Rows   int       `json:"rows"` // used rows
	Cols   int       `json:"cols"` // used logical columns (neurons)
	Scales []float64 `json:"scales"`
}

type layout struct {
	cfg   *Config
	nl    *ir.Netlist
	pops  []*popLayout
	byPop map[string]int // population name → index into pops
	tiles []*tilePlace
	// tileOf[pop][group*Blocks+block] is the tile index.
	tileOf [][]int
}

// supported lists the neuron models of the periphery.
var supported = map[string]bool{ir.TLIF: true, ir.TCubaLIF: true, ir.TIF: true, ir.TLI: true, ir.TCubaLI: true, ir.TI: true}

// forEachSlot calls fn for every weight slot k of p (zero weights included) with its
// presynaptic and postsynaptic index and delay.
func forEachSlot(p *ir.Projection, fn func(k, pre, post, delay int)) { p.ForEachSlot(fn) }

// checkNetlist rejects what the periphery cannot run, collecting every problem.
func checkNetlist(n *ir.Netlist) error {
	var errs, nerrs []string
	for _, p := range n.Populations {
		if !supported[p.Model] {
			nerrs = append(nerrs, fmt.Sprintf("population %q has neuron model %s; the crossbar periphery has LIF, CubaLIF, IF and LI/CubaLI/I readouts (use --target ref or a model with these neurons)", p.Name, p.Model))
			continue
		}
		need := []string{"beta", "b_leak", "b_in"}
		if p.Model == ir.TCubaLIF || p.Model == ir.TCubaLI {
			need = append(need, "alpha", "a_in")
		}
		if p.Spiking {
			need = append(need, "v_threshold")
		}
		for _, k := range need {
			v := p.Params[k]
			if len(v) != 1 && len(v) != p.Size {
				errs = append(errs, fmt.Sprintf("population %q (%s): discretized parameter %q has %d values, want 1 or %d (netlists must come from compiler.Lower)", p.Name, p.Model, k, len(v), p.Size))
			}
		}
		if len(p.Compartments) > 0 {
			errs = append(errs, fmt.Sprintf("population %q: multi-compartment neurons are not supported by the crossbar periphery", p.Name))
		}
	}
	for _, pr := range n.Projections {
		post := n.Population(pr.Post)
		if post == nil {
			errs = append(errs, fmt.Sprintf("projection %q: post %q is not a population", pr.Name, pr.Post))
			continue
		}
		if pre := n.Population(pr.Pre); pre != nil && !pre.Spiking {
			errs = append(errs, fmt.Sprintf("projection %q: source population %q is not spiking (%s); crossbar rows are driven by spikes only", pr.Name, pr.Pre, pre.Model))
		} else if pre == nil && n.Input(pr.Pre) == nil {
			errs = append(errs, fmt.Sprintf("projection %q: source %q is neither an input nor a population", pr.Name, pr.Pre))
		}
		if e := checkShape(n, pr, post); e != "" {
			errs = append(errs, fmt.Sprintf("projection %q: %s", pr.Name, e))
		}
	}
	for _, o := range n.Outputs {
		if n.Population(o.Source) == nil {
			errs = append(errs, fmt.Sprintf("output %q: source %q is not a population", o.Name, o.Source))
		}
	}
	if len(nerrs) > 0 {
		return fmt.Errorf("%w: %s", ErrNeuron, strings.Join(append(nerrs, errs...), "; "))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrNetlist, strings.Join(errs, "; "))
	}
	return nil
}

// checkShape verifies the projection's arrays against its connectivity (a malformed
// netlist is an error, never an index panic).
func checkShape(n *ir.Netlist, pr *ir.Projection, post *ir.Population) string {
	if pr.PostSize != post.Size {
		return fmt.Sprintf("post size %d, population %q has %d", pr.PostSize, post.Name, post.Size)
	}
	if sz, err := n.SourceSize(pr.Pre); err == nil && sz != pr.PreSize {
		return fmt.Sprintf("pre size %d, source %q has %d", pr.PreSize, pr.Pre, sz)
	}
	want := -1
	switch pr.Kind {
	case ir.Dense:
		want = pr.PreSize * pr.PostSize
	case ir.OneToOne:
		if pr.PreSize != pr.PostSize {
			return fmt.Sprintf("one-to-one with pre size %d ≠ post size %d", pr.PreSize, pr.PostSize)
		}
		want = pr.PreSize
	case ir.Sparse:
		if len(pr.PreIdx) != len(pr.W) || len(pr.PostIdx) != len(pr.W) {
			return fmt.Sprintf("sparse with %d weights, %d pre and %d post indices", len(pr.W), len(pr.PreIdx), len(pr.PostIdx))
		}
		for k := range pr.W {
			if p, q := pr.PreIdx[k], pr.PostIdx[k]; p < 0 || int(p) >= pr.PreSize || q < 0 || int(q) >= pr.PostSize {
				return fmt.Sprintf("synapse %d (%d → %d) outside %d × %d", k, p, q, pr.PreSize, pr.PostSize)
			}
		}
		want = len(pr.W)
	case ir.Conv:
		c := pr.Conv
		if c == nil || c.Groups < 1 || c.InC%c.Groups != 0 || c.OutC%c.Groups != 0 {
			return "conv projection without a valid geometry"
		}
		if c.InC*c.InH*c.InW != pr.PreSize || c.OutC*c.OutH*c.OutW != pr.PostSize {
			return fmt.Sprintf("conv geometry %d×%d×%d → %d×%d×%d does not match sizes %d → %d", c.InC, c.InH, c.InW, c.OutC, c.OutH, c.OutW, pr.PreSize, pr.PostSize)
		}
		want = c.OutC * (c.InC / c.Groups) * c.KH * c.KW
	default:
		return fmt.Sprintf("unknown connectivity %d", pr.Kind)
	}
	if len(pr.W) != want {
		return fmt.Sprintf("%d weights, %s connectivity needs %d", len(pr.W), pr.Kind, want)
	}
	if d := len(pr.Delay); d > 1 && d != len(pr.W) {
		return fmt.Sprintf("%d delays for %d weights (want 0, 1 or one per weight)", d, len(pr.W))
	}
	return ""
}

// buildLayout maps every population's incoming projections onto tiles (no scales yet).
func buildLayout(n *ir.Netlist, cfg *Config) (*layout, error) {
	if err := checkNetlist(n); err != nil {
		return nil, fmt.Errorf("%w: %w", targets.ErrUnsupported, err)
	}
	L := &layout{cfg: cfg, nl: n, byPop: map[string]int{}}
	R := cfg.Tile
	sw := cfg.sliceWeights()
	for pi, p := range n.Populations {
		pl := &popLayout{Pop: pi, Name: p.Name, Size: p.Size, ColRep: cfg.colReplicas(p.Size)}
		pl.K = cfg.Slices * pl.ColRep
		pl.CG = cfg.Tile / (2 * pl.K)
		if pl.CG < 1 {
			return nil, fmt.Errorf("%w: population %q: %d column replicas × %d slices need %d columns per neuron, a tile has %d",
				ErrConfig, p.Name, pl.ColRep, cfg.Slices, 2*pl.K, cfg.Tile)
		}
		for j := 0; j < pl.ColRep; j++ {
			for _, w := range sw {
				pl.PW = append(pl.PW, w/float64(pl.ColRep))
			}
		}
		for ji, pr := range n.Projections {
			if pr.Post != p.Name {
				continue
			}
			delays := map[int]bool{}
			forEachSlot(pr, func(_, _, _, d int) { delays[d] = true })
			ds := make([]int, 0, len(delays))
			for d := range delays {
				ds = append(ds, d)
			}
			sort.Ints(ds)
			for _, d := range ds {
				if d < 0 {
					return nil, fmt.Errorf("%w: projection %q has negative delay %d", targets.ErrUnsupported, pr.Name, d)
				}
				pl.Segs = append(pl.Segs, segment{Proj: ji, Pre: pr.Pre, PreSize: pr.PreSize, Delay: d})
				pl.Rows += pr.PreSize
			}
		}
		pl.Rep = cfg.replicas(pl.Rows)
		pl.VScale = cfg.readScale(pl.Rows, pl.Rep)
		if pl.Rows > 0 && pl.Rows*pl.Rep*p.Size > 1<<28 {
			return nil, fmt.Errorf("%w: population %q needs a %d×%d crossbar matrix (over 2^28 cells)", targets.ErrDoesNotFit, p.Name, pl.Rows*pl.Rep, p.Size)
		}
		pl.Rows = 0
		for i := range pl.Segs {
			s := &pl.Segs[i]
			s.Off, s.Rep = pl.Rows, pl.Rep
			pl.Rows += s.PreSize * s.Rep
		}
		if pl.Rows > 0 {
			pl.Blocks = (pl.Rows + R - 1) / R
			pl.Groups = (p.Size + pl.CG - 1) / pl.CG
		}
		L.byPop[p.Name] = len(L.pops)
		L.pops = append(L.pops, pl)
	}
	// Refuse a network that does not fit before allocating its tiles and matrices.
	need := 0
	for _, pl := range L.pops {
		need += pl.Groups * pl.Blocks
	}
	if need > cfg.TilesMax {
		var parts []string
		for _, pl := range L.pops {
			if pl.Blocks > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d rows × %d neurons → %d×%d tiles", pl.Name, pl.Rows, pl.Size, pl.Blocks, pl.Groups))
			}
		}
		return nil, fmt.Errorf("%w: %w: the network needs %d tiles of %d×%d (%s), --tiles-max is %d; raise --tiles-max, use a larger --tile or fewer --slices",
			targets.ErrDoesNotFit, ErrTiles, need, R, R, strings.Join(parts, "; "), cfg.TilesMax)
	}
	for _, pl := range L.pops {
		pl.fill(n)
	}
	L.tileOf = make([][]int, len(L.pops))
	for i, pl := range L.pops {
		L.tileOf[i] = make([]int, pl.Groups*pl.Blocks)
		for g := 0; g < pl.Groups; g++ {
			for b := 0; b < pl.Blocks; b++ {
				L.tileOf[i][g*pl.Blocks+b] = len(L.tiles)
				L.tiles = append(L.tiles, &tilePlace{Pop: i, Group: g, Block: b,
					Rows: min(R, pl.Rows-b*R), Cols: min(pl.CG, pl.Size-g*pl.CG)})
			}
		}
	}
	return L, nil
}

// fill builds pl's per-row replica tables and its logical matrix M from the netlist.
func (pl *popLayout) fill(n *ir.Netlist) {
	for _, s := range pl.Segs {
		for j := 0; j < s.Rep; j++ {
			for r := 0; r < s.PreSize; r++ {
				pl.Replica = append(pl.Replica, int32(j))
				pl.Base = append(pl.Base, int32(s.row(r, 0)))
			}
		}
	}
	pl.M = make([]float64, pl.Rows*pl.Size)
	for _, s := range pl.Segs {
		pr := n.Projections[s.Proj]
		share := 1 / float64(s.Rep)
		forEachSlot(pr, func(k, pre, post, d int) {
			if d == s.Delay {
				for j := 0; j < s.Rep; j++ {
					pl.M[s.row(pre, j)*pl.Size+post] += pr.W[k] * share
				}
			}
		})
	}
}

// computeScales sets each tile column's abs-max scale (shared/spec/crossbar.md "Mapping").
func (L *layout) computeScales() {
	for _, t := range L.tiles {
		t.Scales = L.tileScales(t)
	}
}

func (L *layout) tileScales(t *tilePlace) []float64 {
	pl := L.pops[t.Pop]
	s := make([]float64, t.Cols)
	for r := 0; r < t.Rows; r++ {
		row := pl.M[(t.Block*L.cfg.Tile+r)*pl.Size+t.Group*pl.CG:]
		for c := 0; c < t.Cols; c++ {
			s[c] = max(s[c], math.Abs(row[c]))
		}
	}
	return s
}

// codes returns the slice fractions f_s ∈ [0,1] (s = 0 most significant) and the sign
// of weight w in a column of scale sc: |w|/sc ≈ Σ_s f_s·sliceWeight(s).
// Quantization (spec "Device profiles", levels): q = round(|w|/sc·(L^k−1)), written in
// base L, digit j_s stored as f_s = j_s/(L−1). Continuous devices (L = 0, k = 1) store
// f = |w|/sc.
//
// Replica j of rep (each replica row holds w = W/rep of a weight W) is quantized jointly
// with its siblings: Q = round(|w|/sc·(L^k−1)·rep) and replica j stores
// q_j = ⌊(Q + j)/rep⌋, so Σ_j q_j = Q — rep pairs realize rep·(L^k−1)+1 levels of W.
// With rep = 1 this is the single-pair rule above.
func (c *Config) codes(w, sc float64, f []float64, j, rep int) (neg bool) {
	neg = w < 0
	if sc == 0 {
		for i := range f {
			f[i] = 0
		}
		return neg
	}
	a := math.Min(math.Abs(w)/sc, 1)
	if c.Levels == 0 {
		f[0] = a
		return neg
	}
	L := uint64(c.Levels)
	full := uint64(math.Pow(float64(L), float64(c.Slices))) - 1
	r := uint64(max(rep, 1))
	q := (uint64(math.Round(a*float64(full)*float64(r))) + uint64(j)) / r
	for s := c.Slices - 1; s >= 0; s-- {
		f[s] = float64(q%L) / float64(L-1)
		q /= L
	}
	return neg
}

// sliceWeights returns the digital recombination weights of the slices.
func (c *Config) sliceWeights() []float64 {
	out := make([]float64, c.Slices)
	if c.Levels == 0 || c.Slices == 1 {
		out[0] = 1
		return out
	}
	L := float64(c.Levels)
	full := math.Pow(L, float64(c.Slices)) - 1
	for s := range out {
		out[s] = (L - 1) * math.Pow(L, float64(c.Slices-1-s)) / full
	}
	return out
}

// replicas returns how many replicas of each row a population with rows (unreplicated)
// rows gets (docs/crossbar.md "Row and column replicas"): the fixed --replicas N, or with
// auto as many as fill one tile's rows (populations whose rows fit one tile), at most
// maxAutoReplicas.
func (c *Config) replicas(rows int) int {
	return resolveReplicas(c.Replicas, rows, func() int { return min(c.Tile/rows, maxAutoReplicas) })
}

// resolveReplicas resolves a replica setting (0: one, as in images from before replicas;
// N > 0: fixed; −1: auto()) for a population with n rows or neurons (0: nothing to hold).
func resolveReplicas(setting, n int, auto func() int) int {
	switch {
	case n == 0 || setting == 0:
		return 1
	case setting > 0:
		return setting
	}
	return max(auto(), 1)
}

// maxAutoReplicas caps the automatic choice.
const maxAutoReplicas = 16

// readScale is the read amplitude (fraction of V_read) of the rows of a population with
// rows unreplicated rows held n times: n replicas at full amplitude would multiply the
// column signal by n and clip in the ADC, so the amplitude is lowered until the
// worst-case column signal (every input at full scale, every weight at its column's
// scale) is no larger than the larger of the ADC's largest code and the unreplicated
// worst case: replicas never clip where one pair would not.
func (c *Config) readScale(rows, n int) float64 {
	if n <= 1 || rows == 0 {
		return 1
	}
	top := c.ADCBound * (1 - math.Exp2(float64(1-c.ADCBits))) // (2^(b−1)−1)·LSB
	return min(1, max(top, float64(rows))/float64(n*rows))
}

// colReplicas returns the column replicas of a population of size neurons: the fixed
// --col-replicas N, or with auto as many copies of its columns as fit beside them in one
// tile (a population that needs one column group), at most maxAutoColReplicas.
func (c *Config) colReplicas(size int) int {
	return resolveReplicas(c.ColReplicas, size, func() int { return min(c.Tile/(2*c.Slices*size), maxAutoColReplicas) })
}

// maxAutoColReplicas caps the automatic column replicas: each costs an ADC conversion
// and a periphery column per read.
const maxAutoColReplicas = 8

// pairCodes fills f (K fractions: column replica jc, slice s at jc·slices + s) for the
// weight share w at row of pl in a column of scale sc. The Rep·ColRep pairs of a weight
// are quantized jointly (Config.codes).
func (pl *popLayout) pairCodes(cfg *Config, w, sc float64, f []float64, row int) (neg bool) {
	k := cfg.Slices
	jr := int(pl.Replica[row])
	for jc := 0; jc < pl.ColRep; jc++ {
		neg = cfg.codes(w, sc, f[jc*k:(jc+1)*k], jr*pl.ColRep+jc, pl.Rep*pl.ColRep)
	}
	return neg
}

// forRows calls fn for every replica row of every weight slot k of projection pr (whose
// postsynaptic population is pl) with the row in pl's row space and the postsynaptic
// neuron.
func (pl *popLayout) forRows(n *ir.Netlist, pr *ir.Projection, fn func(k, row, post int)) {
	segs := map[int]segment{}
	for _, s := range pl.Segs {
		if n.Projections[s.Proj] == pr {
			segs[s.Delay] = s
		}
	}
	forEachSlot(pr, func(k, pre, post, d int) {
		s := segs[d]
		for j := 0; j < s.Rep; j++ {
			fn(k, s.row(pre, j), post)
		}
	})
}
