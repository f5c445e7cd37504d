package hil

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
	"github.com/snnc/snnc/train/data"
)

func TestScratchExp(t *testing.T) {
	if os.Getenv("HILEXP") == "" {
		t.Skip()
	}
	t0 := time.Now()
	m, sp := smallModel(t, 64, 2000, 15, os.Getenv("RESET"))
	t.Logf("train %v", time.Since(t0))
	tgt := os.Getenv("HILEXP")
	flags := map[string]string{}
	if tgt == "crossbar" {
		flags["age"] = "1d"
	}
	if tgt == "analog" {
		flags["mismatch"] = os.Getenv("MIS")
	}
	opt := Defaults
	opt.Steps, opt.Encoder, opt.Epochs = 20, data.Current{}, 3
	opt.NoMembranes = os.Getenv("NOMEM") != ""
	if v := os.Getenv("LR"); v != "" {
		opt.LR, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("EP"); v != "" {
		opt.Epochs, _ = strconv.Atoi(v)
	}
	opt.Log = func(s EpochStats) { t.Logf("%+v", s) }
	t0 = time.Now()
	fn := Finetune
	if os.Getenv("METHOD") == "qat" {
		fn = FinetuneQAT
	}
	rep, _, err := fn(context.Background(), m, train.ExportMeta{Steps: 20}, tgt, targets.Options{Seed: 1, Flags: flags}, sp.Train.Subset(atoi(os.Getenv("N"), 500)), sp.Test, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v float %+v deployed %+v after %+v floatAfter %v inloop %v", time.Since(t0), rep.Float, rep.Deployed, rep.FineTuned, rep.FloatAfter, rep.InLoop)
}

func atoi(s string, d int) int {
	if v, err := strconv.Atoi(s); err == nil {
		return v
	}
	return d
}
