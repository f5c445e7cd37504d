package quantize

// Readout turns a quantized readout's integer membrane back into model units (LI /
// CubaLI readouts on integer targets): value = v / Scale[j] + Off[j]. Scale and Off hold
// one value for every neuron or one per neuron; an empty Scale is 1, an empty Off 0.
type Readout struct {
	Scale, Off []float64
}

// Value is neuron j's readout value for the hardware membrane v.
func (r Readout) Value(v float64, j int) float64 {
	return v/pick(r.Scale, j, 1) + pick(r.Off, j, 0)
}

func pick(v []float64, j int, def float64) float64 {
	switch len(v) {
	case 0:
		return def
	case 1:
		return v[0]
	}
	return v[j]
}
