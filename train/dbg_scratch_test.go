package train

import (
	"context"
	"testing"

	"github.com/snnc/snnc/compiler"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train/data"
)

func TestScratchDbg(t *testing.T) {
	sp, _ := data.YinYang(data.Options{Seed: 4, Train: 600, Test: 300})
	const steps = 6
	cfg := DefaultConfig(4, 3, 2, 3)
	cfg.Loss = LossSum
	m, _ := New(cfg)
	m.InitFluct(FluctInit{}, sp.Train, data.Current{}, steps, 1)
	enc := data.Current{}
	w := m.NewWork(steps)
	buf := make([]float64, 4*steps)
	in := encode(buf, enc, sp.Test, 0, steps, 0)
	w.Forward(&in, nil)
	g, _ := m.ExportGraph(ExportMeta{Steps: steps})
	res, err := compiler.Build(g, "ref", compiler.Options{Verify: true}, targets.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Netlist.Populations {
		t.Logf("%s %v %+v", p.Name, p.Params, p.Reset)
	}
	for _, p := range res.Netlist.Projections {
		t.Logf("%s %s->%s lat %d W %v", p.Name, p.Pre, p.Post, p.Latency, p.W)
	}
	mach, _ := res.Target.Load(res.Image, res.Options)
	tr, err := mach.Run(context.Background(), StimulusFor(enc, sp.Test.Sample(0), steps, 0, 0, cfg.Dt), steps, []string{"lif1.v", "lif2.v", "out.v"})
	if err != nil {
		t.Fatal(err)
	}
	for ti := 0; ti < steps; ti++ {
		t.Logf("t%d mine lif1 %v lif2 %v out %v", ti, w.U[0][ti*3:ti*3+3], w.U[1][ti*2:ti*2+2], w.U[2][ti*3:ti*3+3])
		t.Logf("t%d ref  lif1 %v lif2 %v out %v", ti, tr.Probes[0].Data[ti], tr.Probes[1].Data[ti], tr.Probes[2].Data[ti])
	}
}
