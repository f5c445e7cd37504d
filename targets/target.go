package targets

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/ir"
)

// Target is one kind of chip.
type Target interface {
	Name() string
	Spec() Spec
	// Flags lists the target's own command-line flags (their values reach Compile and
	// Load through Options.Flags).
	Flags() []Flag
	// Compile quantizes and maps a netlist. It fails, before anything is written, when
	// the network does not fit, naming the population, resource, need and limit.
	Compile(n *ir.Netlist, opt Options) (Image, *Report, error)
	// DecodeImage rebuilds an image from the payload its Image.Payload wrote.
	DecodeImage(n *ir.Netlist, opt Options, payload []byte) (Image, error)
	// Load instantiates a chip. opt.Seed picks the chip instance of noisy targets.
	Load(img Image, opt Options) (Machine, error)
}

// Image is a compiled network for one target.
type Image interface {
	Netlist() *ir.Netlist
	// Payload is the deterministic target-specific encoding (JSON).
	Payload() ([]byte, error)
	// Report describes resources and quantization (what snnc inspect prints).
	Report() *Report
}

// Machine is one chip instance running one image.
type Machine interface {
	Run(ctx context.Context, in *emulator.Stimulus, steps int, probes []string) (*emulator.Trace, error)
	// Reset returns the state to t = 0; the chip instance (mismatch, faults) is kept.
	Reset()
	// Projections lists the projection names Weights and SetWeights accept.
	Projections() []string
	// Weights returns the effective weights as the chip holds them, in float units of
	// the model, laid out as ir.Projection.W.
	Weights(proj string) ([]float64, error)
	// SetWeights re-quantizes and writes float weights (in-the-loop training).
	SetWeights(proj string, w []float64) error
}

// Flag is a target-specific command-line flag.
type Flag struct {
	Name, Default, Usage string
}

// Options are the compile and load options.
type Options struct {
	Seed  uint64
	Flags map[string]string // target flags by name, defaults filled in
}

// Flag returns a flag value or def.
func (o Options) Flag(name, def string) string {
	if v, ok := o.Flags[name]; ok && v != "" {
		return v
	}
	return def
}

// FloatFlag parses a numeric flag.
func (o Options) FloatFlag(name string, def float64) (float64, error) {
	s := o.Flag(name, "")
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: --%s %q is not a number", ErrFlag, name, s)
	}
	return v, nil
}

// IntFlag parses an integer flag.
func (o Options) IntFlag(name string, def int) (int, error) {
	s := o.Flag(name, "")
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%w: --%s %q is not an integer", ErrFlag, name, s)
	}
	return v, nil
}

// WithDefaults returns opt with every flag of t not set filled with its default.
func WithDefaults(t Target, opt Options) Options {
	f := map[string]string{}
	for _, fl := range t.Flags() {
		if fl.Default != "" {
			f[fl.Name] = fl.Default
		}
	}
	for k, v := range opt.Flags {
		f[k] = v
	}
	opt.Flags = f
	return opt
}

// Spec is a hardware description: data, not code.
type Spec struct {
	Name        string
	Description string
	Resources   []Resource
	Widths      map[string]int
	Costs       []Cost
}

// Resource is one limited resource.
type Resource struct {
	Name  string
	Per   string // "core", "tile", "chip", "system"
	Limit int64
}

// Cost is the energy and time of one operation.
type Cost struct {
	Op      string
	EnergyJ float64
	TimeS   float64
}

var registry = map[string]Target{}

// Register adds a target; a duplicate name panics (programming error).
func Register(t Target) {
	if _, dup := registry[t.Name()]; dup {
		panic("BUG: target registered twice: " + t.Name())
	}
	registry[t.Name()] = t
}

// Lookup returns the named target.
func Lookup(name string) (Target, error) {
	t, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownTarget, name, Names())
	}
	return t, nil
}

// Names lists registered targets, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// All returns every registered target in name order.
func All() []Target {
	var out []Target
	for _, n := range Names() {
		out = append(out, registry[n])
	}
	return out
}
