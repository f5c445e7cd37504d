// Package train owns the float SNN models of the training front end: dense and recurrent
// CUBA-LIF layers, surrogate-gradient BPTT, losses, Adam, fluctuation-driven and Kaiming
// initialization, and export to the snn-json model format (shared/spec/training.md).
//
// The discrete model, per layer and step t (shared/spec/training.md "Float models"):
//
//	I_t = α·I_{t−1} + (b + W·x_t + V·S_{t−1})
//	U_t = β·U_{t−1} + I_t − θ·S_{t−1}        reset "subtract"
//	U_t = β·U_{t−1}·(1 − S_{t−1}) + I_t      reset "zero"
//	S_t = [U_t > θ]                           (leaky readout: no spikes, no reset)
//
// Every layer of a step sees its input layer's output of the same step (the exported
// graph says edge_latency "zero", reset timing "next_step", compare ">", discretization
// "euler" with w_in = 1/(1−α), r = 1/(1−β); see ExportGraph and docs/training.md).
//
// Methods: BPTT (Work.Forward/Backward) and OTTT (OnlineWork, memory independent of the
// number of steps). Hardware-in-the-loop hooks: Forward's override argument (recorded
// spikes replace a layer's own), Model.Weights/SetWeights by exported Affine node name,
// StimulusFor/LogitsFromTrace/EvaluateMachine for any targets.Machine.
//
// Invariants:
//   - Training is deterministic for a seed and independent of GOMAXPROCS: batched BPTT
//     (batch.go) runs samples independently and sums every gradient element over the
//     batch in (sample, step) order whatever the split of weight rows over goroutines;
//     OTTT and the smooth forward cut a batch into fixed shards of ShardSize samples,
//     each shard's gradient summed in sample order and shard gradients reduced in order.
//   - Forward sums are bit-identical to the ref target (recurrent, feed-forward, bias,
//     presynaptic index ascending); the AVX2 kernels (axpy_amd64.s) use separate
//     multiplies and adds in the scalar order, never a fused multiply-add.
//   - Weights are stored pre-major (W[j·Out+k] is the weight from input j to neuron k) so
//     a spike or a non-zero input adds one contiguous row; Weights/SetWeights expose them in
//     the (out, in) layout of the exported Affine nodes.
//   - Evaluation (Work.Forward) and training's forward compute the same float64 values,
//     except that training evaluates a leaky LossSum readout in closed form (equal up to
//     rounding; see batchWork).
package train
