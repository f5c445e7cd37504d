package emulator

import "sort"

// Counters are the operation counts of a run. Targets add their own keys in Extra.
type Counters struct {
	SynapticEvents int64
	Spikes         int64
	NeuronUpdates  int64
	Cycles         int64
	EnergyJ        float64
	TimeS          float64
	Extra          map[string]float64
}

// Add accumulates o into c.
func (c *Counters) Add(o *Counters) {
	c.SynapticEvents += o.SynapticEvents
	c.Spikes += o.Spikes
	c.NeuronUpdates += o.NeuronUpdates
	c.Cycles += o.Cycles
	c.EnergyJ += o.EnergyJ
	c.TimeS += o.TimeS
	for k, v := range o.Extra {
		if c.Extra == nil {
			c.Extra = map[string]float64{}
		}
		c.Extra[k] += v
	}
}

// Stat is one named statistic.
type Stat struct {
	Key   string
	Value float64
}

// Stats returns the counters in the snn-spikes fixed key order, extras sorted after.
func (c *Counters) Stats() []Stat {
	out := []Stat{
		{"synaptic_events", float64(c.SynapticEvents)},
		{"spikes", float64(c.Spikes)},
		{"neuron_updates", float64(c.NeuronUpdates)},
		{"cycles", float64(c.Cycles)},
		{"energy_j", c.EnergyJ},
		{"time_s", c.TimeS},
	}
	keys := make([]string, 0, len(c.Extra))
	for k := range c.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, Stat{k, c.Extra[k]})
	}
	return out
}
