// Package plot draws PNG figures of snnc results with gonum.org/v1/plot: spike rasters
// and probe traces of a run (Trace), and per-core/tile utilization bar charts (Bars).
//
// Invariants: output is deterministic for a given input (no time stamps, fixed sizes and
// colours); inputs are only read; an empty input (no streams, no probes, no bars) is an
// error rather than a blank picture.
package plot
