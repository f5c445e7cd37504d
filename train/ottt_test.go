package train

import (
	"context"
	"runtime"
	"testing"

	"github.com/snnc/snnc/train/data"
)

// TestOTTTTrains: online training through time learns Yin-Yang.
func TestOTTTTrains(t *testing.T) {
	sp, _ := data.YinYang(data.Options{Seed: 1, Train: 2000})
	cfg := DefaultConfig(4, 60, 3)
	cfg.Loss = LossSum
	m, _ := New(cfg)
	enc := data.Current{}
	if err := m.InitFluct(FluctInit{}, sp.Train, enc, 20, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := Fit(context.Background(), m, sp.Train, nil, Options{Epochs: 8, Batch: 32, Steps: 20, LR: 0.01, Schedule: "cosine", Encoder: enc, Method: MethodOTTT}); err != nil {
		t.Fatal(err)
	}
	res, _ := Evaluate(m, sp.Test, enc, 20, 0)
	t.Logf("OTTT test accuracy %.3f", res.Accuracy)
	if res.Accuracy < 0.80 {
		t.Errorf("OTTT Yin-Yang accuracy %.3f < 0.80", res.Accuracy)
	}
	m.Cfg.Readout, m.Cfg.Loss = "spiking", LossCount
	if _, err := Fit(context.Background(), m, sp.Train, nil, Options{Epochs: 1, Batch: 32, Steps: 20, LR: 0.01, Schedule: "const", Encoder: enc, Method: MethodOTTT}); err == nil {
		t.Error("OTTT accepted a spiking readout")
	}
}

// TestOTTTMemoryIndependentOfSteps: the bytes Fit allocates with OTTT do not grow with T
// (20 vs 640 steps), while BPTT's grow with T (its trajectory is T×neurons per worker).
func TestOTTTMemoryIndependentOfSteps(t *testing.T) {
	sp, _ := data.YinYang(data.Options{Seed: 1, Train: 64})
	alloc := func(method string, steps int) uint64 {
		cfg := DefaultConfig(4, 200, 3)
		cfg.Loss = LossSum
		m, _ := New(cfg)
		m.InitKaiming(1)
		var a, b runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&a)
		if _, err := Fit(context.Background(), m, sp.Train, nil, Options{Epochs: 1, Batch: 64, Steps: steps, LR: 0.01, Schedule: "const", Encoder: data.Current{}, Method: method}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&b)
		return b.TotalAlloc - a.TotalAlloc
	}
	o20, o640 := alloc(MethodOTTT, 20), alloc(MethodOTTT, 640)
	b20, b640 := alloc(MethodBPTT, 20), alloc(MethodBPTT, 640)
	t.Logf("allocated bytes: OTTT T=20 %d, T=640 %d; BPTT T=20 %d, T=640 %d", o20, o640, b20, b640)
	// Tolerance: scheduling noise (goroutine stacks, channels), far below one T-long record.
	if d := int64(o640) - int64(o20); d > 16<<10 {
		t.Errorf("OTTT allocation grew by %d bytes from T=20 to T=640", d)
	}
	if b640 < b20+uint64(runtime.GOMAXPROCS(0))*600*200*8 {
		t.Errorf("BPTT allocation did not grow with T (%d → %d): the comparison shows nothing", b20, b640)
	}
	if m, _ := New(DefaultConfig(4, 200, 3)); m.NewOnlineWork().Floats() > 4*(4+200+3)*4 {
		t.Errorf("OTTT workspace holds %d floats", m.NewOnlineWork().Floats())
	}
}
