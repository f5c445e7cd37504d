package loihi

// Multi-compartment neurons (spec §7, notes §5). A neuron is a tree of k compartments
// laid out in post-order (children at lower indices than their parent, the soma last)
// and serviced in index order with a per-core value stack. Semantics implemented here
// (D = documented use in notes §5, I = inferred, marked in docs/loihi.md):
//
//	stackIn   SKIP | POP_A | POP_A_AND_B (A = the top of the stack, B the next)     (D)
//	stackOut  SKIP | PUSH_V | PUSH_VTH (v if v > vth, else 0) | PUSH_U               (D)
//	join      combines the popped operands with the compartment's dendritic input q
//	          before its own u/v update; the result is wrapped to the 22-bit q width:
//	  ADD     q + A (+ B)                                                            (D)
//	  PASS    q + B when A ≠ 0 (A gates B); one operand: q + A when A ≠ 0            (D, one-operand form I)
//	  BLOCK   q + B when A = 0; one operand: q when A = 0, else 0                    (D "inverter", exact form I)
//	  MIN/MAX min/max(q, A (, B))                                                    (I)
//	  OR/AND  q unchanged; the compartment spikes when v > vth OR any operand ≠ 0,
//	          AND only when v > vth and every operand ≠ 0                           (D, "operand ≠ 0 = child active" I)
//
// Non-soma compartments never spike or reset (thresholdBehavior
// NO_SPIKE_AND_PASS_V_LG_VTH_TO_PARENT); only the soma spikes onto axons. A compartment
// may have a self synapse from its own soma (selfW accumulator units, delivered at the
// next step like any delay-0 synapse): the AHP and adaptation compartments use it.

// Stack and join codes (notes §5 order, [inferred] codes).
const (
	stackSkip = iota
	stackPopA
	stackPopAB
)

const (
	pushSkip = iota
	pushV
	pushVth
	pushU
)

const (
	joinSkip = iota
	joinAdd
	joinMax
	joinMin
	joinPass
	joinBlock
	joinOr
	joinAnd
)

// joinNames are the join op names (payload, reports, ir join ops).
var joinNames = []string{"skip", "add", "max", "min", "pass", "block", "or", "and"}

// tcx is one template compartment of a tree (same for every neuron of the population).
type tcx struct {
	StackIn  int   `json:"stack_in"`
	StackOut int   `json:"stack_out"`
	Join     int   `json:"join"`
	Soma     bool  `json:"soma,omitempty"`
	VthPass  int64 `json:"vth_pass,omitempty"` // PUSH_VTH threshold (vth << 6)
	SelfW    int64 `json:"self_w,omitempty"`   // accumulator units from the soma's own spike
	// Du, Dv are a dendrite's registers (the soma uses its population's registers);
	// dendrites have no threshold or refractory period.
	Du int64 `json:"du,omitempty"`
	Dv int64 `json:"dv,omitempty"`
	// BiasMant, BiasExp are a dendrite's constant drive (snnc.MultiCompartment v_leak).
	BiasMant int64 `json:"bias_mant,omitempty"`
	BiasExp  int   `json:"bias_exp,omitempty"`
}

// tree is a core's multi-compartment state beyond core.cx/core.st.
type tree struct {
	k       int
	cx      []tcx
	q       []int64 // soma q of the last step, per neuron (probe)
	stack   []int64
	pending int64 // self-synapse events delivered for the next step (cost model)
}

func (t *tree) reset() {
	clear(t.q)
	t.pending = 0
}

// joinOp is the join of spec §7: it returns the joined input and, for OR/AND, the
// spike override (0 none, 1 force spike, −1 suppress).
func joinOp(op int, q int64, ops []int64) (int64, int) {
	switch op {
	case joinAdd:
		for _, x := range ops {
			q += x
		}
	case joinMax:
		for _, x := range ops {
			q = max(q, x)
		}
	case joinMin:
		for _, x := range ops {
			q = min(q, x)
		}
	case joinPass:
		if len(ops) == 1 && ops[0] != 0 {
			q += ops[0]
		} else if len(ops) == 2 && ops[0] != 0 {
			q += ops[1]
		}
	case joinBlock:
		if len(ops) == 1 && ops[0] != 0 {
			q = 0
		} else if len(ops) == 2 && ops[0] == 0 {
			q += ops[1]
		}
	case joinOr:
		for _, x := range ops {
			if x != 0 {
				return q, 1
			}
		}
	case joinAnd:
		for _, x := range ops {
			if x == 0 {
				return q, -1
			}
		}
	}
	return q, 0
}

// stepTree updates every neuron of a multi-compartment core (chip mode, spec §3 per
// compartment with the join applied to q first).
func (c *core) stepTree(cur []int32, fired []int32) (int, []int32) {
	t := c.tree
	k := t.k
	*c.synNext += t.pending
	t.pending = 0
	next := c.acc[0:0]
	if c.nslot > 1 {
		next = c.slot(c.curT + 1)
	}
	active := 0
	for i := 0; i < c.n; i++ {
		st := t.stack[:0]
		for j := 0; j < k; j++ {
			x := i*k + j
			p, s, tc := &c.cx[x], &c.st[x], &t.cx[j]
			a := int64(cur[x])
			cur[x] = 0
			if a != 0 || s.U != 0 || s.V != 0 || p.Bias != 0 {
				active++
			}
			q := wrap(a, qBits)
			var buf [2]int64
			ops := buf[:0]
			switch tc.StackIn {
			case stackPopA:
				if len(st) >= 1 {
					ops = append(ops, st[len(st)-1])
					st = st[:len(st)-1]
				}
			case stackPopAB:
				if len(st) >= 2 {
					ops = append(ops, st[len(st)-1], st[len(st)-2])
					st = st[:len(st)-2]
				}
			}
			q, force := joinOp(tc.Join, q, ops)
			q, spike := treeChipStep(p, s, q, tc.Soma, force)
			if tc.Soma {
				t.q[i] = q
				if spike {
					fired = append(fired, int32(i))
					for jj := 0; jj < k; jj++ {
						if w := t.cx[jj].SelfW; w != 0 {
							next[i*k+jj] += int32(w)
							t.pending++
						}
					}
				}
			}
			switch tc.StackOut {
			case pushV:
				st = append(st, s.V)
			case pushVth:
				if s.V > tc.VthPass {
					st = append(st, s.V)
				} else {
					st = append(st, 0)
				}
			case pushU:
				st = append(st, s.U)
			}
		}
		t.stack = st
	}
	return active, fired
}

// treeChipStep is ChipStep (spec §3) on an already joined input q, for a soma (spikes
// and resets; force overrides the threshold test for OR/AND) or a dendrite (never
// spikes or resets, no refractory period).
func treeChipStep(p *Cx, s *State, q int64, soma bool, force int) (int64, bool) {
	q = wrap(q, qBits)
	u := wrap(decayBy(s.U, p.DecU)+q, uBits)
	u2 := wrap(u+p.Bias, uBits)
	v := decayBy(s.V, p.DecV) + u2
	v = min(max(v, p.Vmin), p.Vmax)
	if !soma {
		s.U, s.V = u, v
		return q, false
	}
	if s.Ref > 0 {
		v = 0
	}
	spike := v > p.Vth
	if s.Ref == 0 && force != 0 {
		spike = force > 0 || (spike && force == 0)
	}
	if spike {
		v = 0
		s.Ref = p.Refract
	}
	if s.Ref > 0 {
		s.Ref--
	}
	s.U, s.V = u, v
	return q, spike
}
