package snnjson

import (
	"bytes"
	"os"
	"testing"

	"github.com/snnc/snnc/ir"
)

// FuzzDecode: Decode must never panic, and whatever it accepts must encode to a canonical
// text that decodes again and is a fixed point of Encode∘Decode. Crashers found by the
// fuzzer are kept in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, p := range modelFiles(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{}`, `[]`, `{"format":"snn-json","format_version":"1.0.0","time":{"dt":1e-3},"graph":{"nodes":{}}}`,
		`{"format":"snn-json","format_version":"1.9.0","time":{"dt":1,"unit":"us"},"graph":{"type":"NIRGraph","nodes":{"g":{"type":"NIRGraph","nodes":{"i":{"type":"Input","shape":[2]}},"edges":[]}},"edges":[["g.i","g"]]}}`,
		`{"format":"snn-json","format_version":"1.0.0","time":{"dt":1e-3},"graph":{"type":"NIRGraph","nodes":{"c":{"type":"Conv2d","weight":{"dtype":"i8","shape":[1,1,3,3],"data_b64":"AQIDBAUGBwgJ"},"padding":"same","input_shape":[1,5,5]}},"edges":[]}}`,
		`{"format":"snn-json","format_version":"1.0.0","time":{"dt":1e-3},"graph":{"type":"NIRGraph","nodes":{"m":{"type":"snnc.MultiCompartment","compartments":[{"type":"LIF","tau":0.01},{"type":"LI","tau":0.02}],"join":["add","min"],"parent":[-1,0],"soma":0}},"edges":[]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Decode(data, modelsDir)
		if err != nil {
			if g != nil {
				t.Fatal("graph returned with an error")
			}
			return
		}
		if elements(g) > 1<<20 {
			// large but valid (MaxElements bounds each tensor): its canonical text is
			// hundreds of MB and the round trip takes seconds, which the fuzzer takes
			// for a hang (testdata/fuzz/FuzzDecode/677e490cae612d12: a 6.7M-neuron
			// population decodes in 0.2 s, encodes to 358 MB in 3.8 s)
			return
		}
		b1, err := Encode(g)
		if err != nil {
			t.Fatalf("decoded graph does not encode: %v", err)
		}
		g2, err := Decode(b1, modelsDir)
		if err != nil {
			t.Fatalf("canonical text does not decode: %v\n%s", err, b1)
		}
		b2, err := Encode(g2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("Encode not a fixed point:\n%s\n---\n%s", b1, b2)
		}
	})
}

// elements counts the values of every tensor of g and its subgraphs.
func elements(g *ir.Graph) int {
	n := 0
	for _, nd := range g.Nodes {
		for _, t := range nd.Params {
			if t != nil {
				n += len(t.Data)
			}
		}
		for _, c := range nd.Compartments {
			for _, t := range c.Params {
				if t != nil {
					n += len(t.Data)
				}
			}
		}
		if nd.Sub != nil {
			n += elements(nd.Sub)
		}
	}
	return n
}
