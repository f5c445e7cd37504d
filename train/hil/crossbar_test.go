package hil

import (
	"context"
	"testing"

	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
)

// TestFinetuneRecoversAgedCrossbar: a small Yin-Yang network on an aged rram crossbar
// (every non-ideality on, default replica mapping) gets at least half of what
// deployment lost back in a few epochs, and more than with the one-pair mapping of the
// first build, which is what the replicas are for (docs/finetune.md "Crossbar Yin-Yang").
func TestFinetuneRecoversAgedCrossbar(t *testing.T) {
	m, sp, opt := finetuneFixture(t, train.ResetSubtract, 4)
	ft := map[string]float64{}
	for _, c := range []struct {
		name  string
		flags map[string]string
	}{
		{"replicas", map[string]string{"age": "1d"}},
		{"one-pair", map[string]string{"age": "1d", "replicas": "1", "col-replicas": "1", "row-place": "top"}},
	} {
		rep, _, err := Finetune(context.Background(), m, train.ExportMeta{Steps: 20}, "crossbar", targets.Options{Seed: 1, Flags: c.flags}, sp.Train, sp.Test, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: float %.3f deployed %.3f fine-tuned %.3f", c.name, rep.Float.Accuracy, rep.Deployed.Accuracy, rep.FineTuned.Accuracy)
		lost := rep.Float.Accuracy - rep.Deployed.Accuracy
		if got := rep.FineTuned.Accuracy - rep.Deployed.Accuracy; lost > 0.02 && got < lost/2 {
			t.Errorf("%s: recovered %.3f of %.3f lost (want ≥ half)", c.name, got, lost)
		}
		ft[c.name] = rep.FineTuned.Accuracy
	}
	if ft["replicas"] <= ft["one-pair"] {
		t.Errorf("fine-tuned with replicas %.3f ≤ one pair per weight %.3f", ft["replicas"], ft["one-pair"])
	}
}
