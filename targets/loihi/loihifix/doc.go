// Package loihifix reads the public Loihi golden vectors (shared/fixtures/loihi, layout in
// shared/spec/loihi-notes.md §12, produced by running Lava and nengo-loihi) and turns each
// into the native netlist and stimulus of shared/spec/loihi.md §5: snnc.loihi.CUBA
// populations L0, L1, … and Dense projections with native weight exponents. The loihi and
// llvm targets' tests share it, so both are checked against the same conversion; it also
// holds the hand-computed graded-input network (GradedNetlist) both targets test.
package loihifix
