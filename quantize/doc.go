// Package quantize holds the generic fixed-point helpers every quantizing target uses:
// rounding modes, saturation and two's-complement wrap, mantissa/exponent selection,
// sign analysis (Dale's law and per-projection sign modes), weight legalization in an
// n-bit mantissa domain, and quantization reports.
//
// Invariants: every function is pure and deterministic; integer helpers never overflow
// silently (they report saturation through their second result or document the wrap);
// nothing here knows about a particular chip — chip constants are passed in by the target.
package quantize
