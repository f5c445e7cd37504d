package hil

import (
	"context"
	"testing"

	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
)

// TestFinetuneRecoversMismatchedAnalogChip fine-tunes a small Yin-Yang model on an analog
// chip instance with full fixed-pattern mismatch (uncalibrated) and asserts that at
// least half of the accuracy lost by deploying as is comes back, measured on a fresh
// compile of the fine-tuned model for the same chip seed; QAT, which cannot see the
// chip instance, must do worse.
func TestFinetuneRecoversMismatchedAnalogChip(t *testing.T) {
	m, sp, opt := finetuneFixture(t, train.ResetZero, 6)
	topt := targets.Options{Seed: 1, Flags: map[string]string{"mismatch": "1"}}
	rep, ft, err := Finetune(context.Background(), m, train.ExportMeta{Steps: 20}, "analog", topt, sp.Train, sp.Test, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("float %.3f deployed %.3f fine-tuned %.3f (in loop %.3f)", rep.Float.Accuracy, rep.Deployed.Accuracy, rep.FineTuned.Accuracy, rep.InLoop.Accuracy)
	lost := rep.Float.Accuracy - rep.Deployed.Accuracy
	if lost < 0.1 {
		t.Fatalf("deployment lost only %.3f: the chip is not mismatched enough for this test", lost)
	}
	if got := rep.FineTuned.Accuracy - rep.Deployed.Accuracy; got < lost/2 {
		t.Errorf("recovered %.3f of %.3f lost (want ≥ half)", got, lost)
	}
	if ft == m || len(rep.Epochs) != opt.Epochs {
		t.Errorf("fine-tuned model %p (input %p), %d epochs logged", ft, m, len(rep.Epochs))
	}
	qrep, _, err := FinetuneQAT(context.Background(), m, train.ExportMeta{Steps: 20}, "analog", topt, sp.Train, sp.Test, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("QAT fine-tuned %.3f", qrep.FineTuned.Accuracy)
	if qrep.Deployed != rep.Deployed {
		t.Errorf("deployed figures differ between runs: %+v vs %+v", qrep.Deployed, rep.Deployed)
	}
	if qrep.FineTuned.Accuracy >= rep.FineTuned.Accuracy {
		t.Errorf("QAT %.3f ≥ in-the-loop %.3f on a mismatched chip", qrep.FineTuned.Accuracy, rep.FineTuned.Accuracy)
	}
}

// TestDefaultHeadroom: analog keeps its compiled gain in SetWeights and gets 1.5× room;
// every other target trains on a chip compiled like the one it deploys (docs/finetune.md
// "Loihi headroom"); an explicit headroom wins.
func TestDefaultHeadroom(t *testing.T) {
	for _, c := range []struct {
		target   string
		explicit float64
		want     float64
	}{{"analog", 0, 1.5}, {"loihi", 0, 1}, {"crossbar", 0, 1}, {"ref", 0, 1}, {"loihi", 2, 2}} {
		o := Options{Headroom: c.explicit}
		if got := o.headroom(c.target); got != c.want {
			t.Errorf("%s, Headroom %g: %g, want %g", c.target, c.explicit, got, c.want)
		}
	}
}
