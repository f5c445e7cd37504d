package targets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/snnc/snnc/ir"
)

// Image file identifiers.
const (
	ImageFormat  = "snnc-image"
	ImageVersion = "1.0.0"
)

// ImageFile is the on-disk envelope of a compiled image.
type ImageFile struct {
	Format        string            `json:"format"`
	FormatVersion string            `json:"format_version"`
	Target        string            `json:"target"`
	Seed          uint64            `json:"seed"`
	Flags         map[string]string `json:"flags"`
	ModelSHA256   string            `json:"model_sha256"`
	Netlist       *ir.Netlist       `json:"netlist"`
	Payload       json.RawMessage   `json:"payload"`
}

// Loaded is an image read back with everything needed to run it.
type Loaded struct {
	Target  Target
	Options Options
	Image   Image
	File    *ImageFile
}

// EncodeImage writes the envelope deterministically (encoding/json sorts map keys).
func EncodeImage(w io.Writer, t Target, opt Options, modelHash string, img Image) error {
	p, err := img.Payload()
	if err != nil {
		return err
	}
	if len(p) == 0 {
		p = []byte("null")
	}
	f := ImageFile{Format: ImageFormat, FormatVersion: ImageVersion, Target: t.Name(), Seed: opt.Seed,
		Flags: opt.Flags, ModelSHA256: modelHash, Netlist: img.Netlist(), Payload: p}
	if f.Flags == nil {
		f.Flags = map[string]string{}
	}
	b, err := json.Marshal(&f)
	if err != nil {
		return fmt.Errorf("encode image: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", " "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// DecodeImage reads an image file and rebuilds the target's image.
func DecodeImage(r io.Reader) (*Loaded, error) {
	data, err := io.ReadAll(io.LimitReader(r, 4<<30))
	if err != nil {
		return nil, err
	}
	var f ImageFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImage, err)
	}
	if f.Format != ImageFormat {
		return nil, fmt.Errorf("%w: format %q, want %q (is this a model? compile it first)", ErrImage, f.Format, ImageFormat)
	}
	if f.FormatVersion == "" || f.FormatVersion[0] != '1' {
		return nil, fmt.Errorf("%w: format_version %q not supported", ErrImage, f.FormatVersion)
	}
	if f.Netlist == nil {
		return nil, fmt.Errorf("%w: no netlist", ErrImage)
	}
	broadcastParams(f.Netlist)
	if err := f.Netlist.Check(); err != nil {
		return nil, fmt.Errorf("%w: netlist: %v", ErrImage, err)
	}
	t, err := Lookup(f.Target)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImage, err)
	}
	opt := Options{Seed: f.Seed, Flags: f.Flags}
	img, err := t.DecodeImage(f.Netlist, opt, f.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %s payload: %v", ErrImage, f.Target, err)
	}
	return &Loaded{Target: t, Options: opt, Image: img, File: &f}, nil
}

// Hash returns the hex sha256 of b.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// broadcastParams expands one-value population parameters to one value per neuron
// (the netlist invariant targets rely on); hand-written netlists may store scalars.
func broadcastParams(nl *ir.Netlist) {
	for _, p := range nl.Populations {
		if p == nil || p.Size <= 1 || p.Size > ir.MaxShapeElements {
			continue
		}
		for k, v := range p.Params {
			if len(v) == 1 {
				b := make([]float64, p.Size)
				for i := range b {
					b[i] = v[0]
				}
				p.Params[k] = b
			}
		}
	}
}
