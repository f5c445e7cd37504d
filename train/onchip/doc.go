// Package onchip emulates the Loihi 1 on-chip learning engine (shared/spec/loihi-notes.md
// §6) on top of a small bit-accurate model of the compartments it trains (notes §2.4,
// spec loihi.md §3 "chip mode").
//
// It owns:
//   - the rule language: ParseRules turns strings such as
//     "dw = 2^-2*x1*y0 - 2^-2*y1*x0" (also dd, dt targets, constants, sgn(·), u_k) into
//     a RuleSet of sum-of-products terms S·dep·Π(V + C), with *ParseError values naming
//     the column, what was found and what was expected;
//   - the Engine: one plastic projection NPre → NPost onto identical compartments, the
//     presynaptic traces x1, x2, the postsynaptic traces y1, y2, y3, the reward trace r1,
//     learning epochs of T_epoch steps, the integer sum-of-products evaluation in a 16-bit
//     accumulator, stochastic write-back to the weight precision and saturation per sign
//     mode. Synaptic delays (6 bits) and tags (9 bits signed) are learnable too.
//
// Invariants:
//   - All state is integer; every random draw (trace decay and impulse rounding, weight
//     write-back) comes from emulator.NewRand(Config.Seed, stream) in a fixed order, so a
//     run is a pure function of its Config and inputs.
//   - All rules of one epoch read the synaptic variables as they were before the epoch.
//   - Product factors are read at the dependency's time: x0 terms at the presynaptic
//     neuron's last spike step in the epoch, y0 terms at the postsynaptic neuron's, u_k
//     terms at the epoch's last step (as Lava's bit-approximate model does).
//
// docs/onchip-learning.md lists which parts follow the notes and which are inferred.
package onchip
