// Package hil is hardware-in-the-loop fine-tuning and quantization-aware training for the
// float CUBA-LIF models of package train (shared/spec/training.md "Hardware-in-the-loop
// fine-tuning"; docs/finetune.md).
//
// Finetune keeps float shadow weights. Every batch it writes them to ONE chip instance
// through targets.Machine.SetWeights (the chip's own quantizer quantizes), runs each sample
// on the chip recording the output, the hidden spikes (through extra Output ports added to
// the network it compiles, so every target reports them as ordinary output streams) and
// the membrane probe NODE.v where the target exposes it in model units (analog, crossbar);
// it then back-propagates through the float model evaluated on those recorded states
// (recorded spikes replace the model's spikes, recorded membranes replace its membranes,
// elsewhere the nominal model is re-simulated driven by the recorded spikes; the loss is
// taken on the chip's own output), passes the gradient straight through the quantizer to
// the shadow weights and takes an Adam step.
//
// QAT is the simulation-only baseline: the float model's forward pass uses the weights a
// noise-free instance of the target holds after SetWeights (Machine.Weights), with a
// straight-through gradient to the float weights.
//
// Invariants:
//   - the in-the-loop trainer talks to the chip only through the Chip interface (Run,
//     Reset, Projections, SetWeights): it never reads Machine.Weights nor any hidden state
//     (mismatch, faults, noise); TestTrainerSeesNoHiddenState checks the method sets and
//     this package's source;
//   - biases are not programmable through Machine, so Finetune keeps them fixed;
//   - time alignment: a hardware target delivers every projection one step late (an
//     L-layer net answers L steps late) while the trainer's model has zero edge latency;
//     hidden layer l (0-based) is read l+1 chip steps late and the chip runs T+L steps so it
//     sees the whole input (Lag); the ref target runs zero latency (lag 0);
//   - everything is deterministic for a seed: samples are visited in a seeded order and
//     the chip is a single sequential instance.
package hil
