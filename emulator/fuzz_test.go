package emulator

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadStimulus: no input makes the snn-spikes reader panic; what it accepts is valid
// and re-encodes to a file it accepts again with the same content.
func FuzzReadStimulus(f *testing.F) {
	files, _ := filepath.Glob("../testdata/stimuli/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"format":"snn-spikes","format_version":"1.0.0","dt":0.001,"steps":3,"streams":{"in":{"shape":[2],"times":[0,2],"indices":[1,0],"values":[0.5,-1]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadStimulus(bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		if err := s.Validate(nil); err != nil {
			t.Fatalf("accepted a stimulus that does not validate: %v", err)
		}
		var b bytes.Buffer
		if err := WriteStimulus(&b, s); err != nil {
			t.Fatal(err)
		}
		s2, err := ReadStimulus(bytes.NewReader(b.Bytes()), nil)
		if err != nil {
			t.Fatalf("re-encoded stimulus rejected: %v\n%s", err, b.String())
		}
		var b2 bytes.Buffer
		_ = WriteStimulus(&b2, s2)
		if !bytes.Equal(b.Bytes(), b2.Bytes()) {
			t.Fatal("encoding is not stable")
		}
	})
}
