package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/snnc/snnc/targets"
)

// FuzzDecodeImage: a corrupted image file never panics the decoder or the targets'
// Load/Run; it is refused with an error or runs.
func FuzzDecodeImage(f *testing.F) {
	dir := f.TempDir()
	for _, tg := range []string{"ref", "loihi", "crossbar", "analog"} {
		for _, model := range []string{"ff_lif", "ff_li"} { // spiking and graded (readout) outputs
			img := filepath.Join(dir, tg+model+".img")
			var out, errb bytes.Buffer
			if code := run([]string{"compile", filepath.Join(root, "testdata/models", model+".json"), "--target", tg, "-o", img}, &out, &errb); code != 0 {
				f.Fatalf("compile %s %s: %s", model, tg, errb.String())
			}
			b, err := readCapped(img)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := targets.DecodeImage(bytes.NewReader(data))
		if err != nil || l.Target.Name() == "llvm" {
			return
		}
		for _, p := range l.Image.Netlist().Populations {
			if p.Size > 1<<16 {
				return // large but valid: not what this fuzz is about
			}
		}
		m, err := l.Target.Load(l.Image, l.Options)
		if err != nil {
			return
		}
		_, _ = m.Run(context.Background(), nil, 3, nil)
	})
}
