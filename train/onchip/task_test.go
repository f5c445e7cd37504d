package onchip

import (
	"fmt"
	"strings"
	"testing"

	"github.com/snnc/snnc/emulator"
)

// The pattern-association task: nPat disjoint groups of perPat inputs; pattern p makes its
// group fire with probability pOn per step and every other input with pOff (noise). Output
// neuron p should answer pattern p.
const (
	nPat    = 4
	perPat  = 4
	nIn     = nPat * perPat
	nOut    = nPat
	pOn     = 0.3
	pOff    = 0.02
	presLen = 40 // steps per presentation
	gapLen  = 20 // quiet steps after each R-STDP training presentation
)

func patternInput(r *emulator.Rand, p int, dst []bool) {
	for i := range dst {
		prob := pOff
		if i/perPat == p {
			prob = pOn
		}
		dst[i] = r.Float64() < prob
	}
}

// evaluate presents every pattern evalReps times with learning off and returns the spike
// counts [pattern][output]. The engine's weights are left unchanged.
func evaluate(t *testing.T, e *Engine, seed uint64) [nPat][nOut]int {
	t.Helper()
	e.SetLearning(false)
	defer e.SetLearning(true)
	r := emulator.NewRand(seed, 99)
	var counts [nPat][nOut]int
	pre := make([]bool, nIn)
	for rep := 0; rep < 5; rep++ {
		for p := 0; p < nPat; p++ {
			e.ResetState()
			for s := 0; s < presLen; s++ {
				patternInput(r, p, pre)
				post, err := e.Step(Input{Pre: pre})
				if err != nil {
					t.Fatal(err)
				}
				for j, f := range post {
					if f {
						counts[p][j]++
					}
				}
			}
		}
	}
	return counts
}

func initWeights(seed uint64, lo, hi int) []int {
	r := emulator.NewRand(seed, 7)
	w := make([]int, nIn*nOut)
	for k := range w {
		w[k] = lo + r.Intn(hi-lo+1)
	}
	return w
}

func formatCounts(c [nPat][nOut]int) string {
	var b strings.Builder
	for p := range c {
		fmt.Fprintf(&b, "\n  pattern %d → outputs %v", p, c[p])
	}
	return b.String()
}

// checkLearned asserts that after learning every pattern's own output fires more than
// before and more than any other output.
func checkLearned(t *testing.T, before, after [nPat][nOut]int) {
	t.Helper()
	for p := 0; p < nPat; p++ {
		if after[p][p] <= before[p][p] {
			t.Errorf("pattern %d: right output fired %d times after learning, %d before: want more", p, after[p][p], before[p][p])
		}
		for j := 0; j < nOut; j++ {
			if j != p && after[p][j] >= after[p][p] {
				t.Errorf("pattern %d: output %d fired %d times, right output %d only %d", p, j, after[p][j], p, after[p][p])
			}
		}
	}
}

func taskCx() Compartment {
	// u follows the input (du = 4095 zeroes it each step); v leaks 25 % per step.
	return Compartment{Du: 4095, Dv: 1024, Vth: 100, RefractDelay: 2}
}

// taskEngine is the pattern-association engine: plastic excitatory synapses with a
// one-step delay and initial weights in [wlo, whi], learning rule rule, pre and post
// traces with τ 16 (and a reward trace with τ 48 when reward is set).
func taskEngine(t *testing.T, seed uint64, rule string, wlo, whi int, reward bool) *Engine {
	t.Helper()
	delay := make([]int, nIn*nOut)
	for k := range delay {
		delay[k] = 1
	}
	cfg := Config{
		NPre: nIn, NPost: nOut, Cx: taskCx(),
		W: initWeights(seed, wlo, whi), Sign: SignExc, Delay: delay,
		Rules:  MustParseRules(rule),
		TEpoch: 4,
		X1:     TraceFromTau(16, 4),
		Y1:     TraceFromTau(16, 4),
		Seed:   seed,
	}
	if reward {
		cfg.R1 = TraceFromTau(48, 8)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// trainSTDP runs supervised STDP: a teacher current (sub-threshold on its own) on the
// right output while its pattern is shown, and an inhibitory one on the others; the plastic synapses have a one-step delay so
// an input spike that helps cause a post spike precedes it.
func trainSTDP(t *testing.T, seed uint64, epochs int) (before, after [nPat][nOut]int, e *Engine) {
	t.Helper()
	e = taskEngine(t, seed, stdpRule, 4, 20, false)
	before = evaluate(t, e, seed)
	r := emulator.NewRand(seed, 5)
	pre := make([]bool, nIn)
	extra := make([]int64, nOut)
	for ep := 0; ep < epochs; ep++ {
		for p := 0; p < nPat; p++ {
			e.ResetState()
			for j := range extra {
				extra[j] = -4096 // the teacher holds the other outputs silent
			}
			extra[p] = 1200 // alone: v settles at 4·1200 = 4800 < vth·64 = 6400
			for s := 0; s < presLen; s++ {
				patternInput(r, p, pre)
				if _, err := e.Step(Input{Pre: pre, Extra: extra}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	after = evaluate(t, e, seed)
	return before, after, e
}

func TestSTDPPatternAssociation(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			before, after, e := trainSTDP(t, seed, 20)
			t.Logf("before:%s\nafter:%s\nstats %+v", formatCounts(before), formatCounts(after), e.Stats())
			checkLearned(t, before, after)
		})
	}
}

// TestLearningDeterministic: a fixed seed gives identical weights and responses.
func TestLearningDeterministic(t *testing.T) {
	_, a1, e1 := trainSTDP(t, 3, 5)
	_, a2, e2 := trainSTDP(t, 3, 5)
	if a1 != a2 || fmt.Sprint(e1.Weights()) != fmt.Sprint(e2.Weights()) {
		t.Fatal("same seed, different result")
	}
	_, _, e3 := trainSTDP(t, 4, 5)
	if fmt.Sprint(e1.Weights()) == fmt.Sprint(e3.Weights()) {
		t.Fatal("different seeds gave identical weights: the seed is not used")
	}
}

// rstdpRule is reward-modulated STDP in the engine's three-factor form: the synaptic tag
// t is an STDP eligibility trace (pairings add to it, it halves every epoch)
// and the weight moves by tag × reward trace r1 at the end of every epoch. Without reward
// r1 = 0 and no weight changes.
const rstdpRule = "dt = 2^-2*x1*y0 - 2^-2*y1*x0 - 2^-1*u0*t; dw = 2^-8*u0*t*r1"

// trainRSTDP runs reward-modulated STDP with no teacher: the outputs fire on their own
// (random initial weights); an output that fires while its own pattern is shown gets a
// reward spike on the next step (reward(p, j) decides). Plastic synapses have a one-step
// delay as in trainSTDP.
func trainRSTDP(t *testing.T, seed uint64, epochs int, reward func(p, j int) bool) (before, after [nPat][nOut]int, e *Engine) {
	t.Helper()
	e = taskEngine(t, seed, rstdpRule, 8, 28, true)
	before = evaluate(t, e, seed)
	r := emulator.NewRand(seed, 5)
	pre := make([]bool, nIn)
	rew := make([]bool, nOut)
	for ep := 0; ep < epochs; ep++ {
		for p := 0; p < nPat; p++ {
			e.ResetState()
			clear(rew)
			for s := 0; s < presLen; s++ {
				patternInput(r, p, pre)
				post, err := e.Step(Input{Pre: pre, Reward: rew})
				if err != nil {
					t.Fatal(err)
				}
				for j, f := range post {
					rew[j] = f && reward(p, j)
				}
			}
			// A quiet gap between stimuli lets the eligibility tags decay, so a reward
			// is not credited to the previous pattern's pairings.
			clear(pre)
			for s := 0; s < gapLen; s++ {
				if _, err := e.Step(Input{Pre: pre}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	after = evaluate(t, e, seed)
	return before, after, e
}

func TestRSTDPPatternAssociation(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			before, after, e := trainRSTDP(t, seed, 20, func(p, j int) bool { return p == j })
			t.Logf("before:%s\nafter:%s\nstats %+v", formatCounts(before), formatCounts(after), e.Stats())
			checkLearned(t, before, after)
		})
	}
}

// TestRSTDPRewardGates: the same run without any reward leaves every weight exactly as it
// was, although pre and post neurons fire and STDP pairings happen.
func TestRSTDPRewardGates(t *testing.T) {
	_, _, e0 := trainRSTDP(t, 1, 0, func(p, j int) bool { return false })
	before, after, e := trainRSTDP(t, 1, 20, func(p, j int) bool { return false })
	if e.Stats().PostSpikes == 0 {
		t.Fatal("no post spikes: the control is vacuous")
	}
	if got, want := e.Weights(), e0.Weights(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("weights changed without reward:\n got %v\nwant %v", got, want)
	}
	if before != after {
		t.Errorf("responses changed without reward:%s\nvs%s", formatCounts(before), formatCounts(after))
	}
}
