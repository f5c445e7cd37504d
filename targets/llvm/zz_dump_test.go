package llvm

import (
	"os"
	"testing"

	"github.com/snnc/snnc/targets"
)

func TestZZDumpCUBA(t *testing.T) {
	img, _, err := Target{}.Compile(cubaNetlist(4000, 0.02, 1), targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ModuleText(img)
	os.WriteFile("/tmp/cuba.ll", []byte(s), 0o644)
}
