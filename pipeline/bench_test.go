package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/simulate"
)

// simulated writes a simulated network of n flows into a fresh folder and
// returns a Config over it.
func simulated(b *testing.B, n int) Config {
	b.Helper()
	dir := b.TempDir()
	sc := simulate.DefaultConfig()
	sc.Flows = n
	sc.TrainRoot, sc.MonitorRoot = filepath.Join(dir, "train_data"), filepath.Join(dir, "monitor_data")
	if _, err := simulate.Generate(context.Background(), sc); err != nil {
		b.Fatal(err)
	}
	c := DefaultConfig()
	c.TrainRoot, c.MonitorRoot = sc.TrainRoot, sc.MonitorRoot
	return c
}

func benchmarkTrain(b *testing.B, n int) {
	c := simulated(b, n)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Train(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}

func benchmarkRun(b *testing.B, n int) {
	c := simulated(b, n)
	if _, _, err := Train(context.Background(), c); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Run(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}

// The simulated flows are the training and monitoring flows together;
// flows/s in the run benchmarks counts all of them, as the pipeline
// benchmark script does.
func BenchmarkTrain60k(b *testing.B) { benchmarkTrain(b, 60_000) }
func BenchmarkRun60k(b *testing.B)   { benchmarkRun(b, 60_000) }

// BenchmarkLoadModel loads the largest service model of a 200k-flow
// simulated network (most of a run's model loading time is its largest
// models).
func BenchmarkLoadModel(b *testing.B) {
	c := simulated(b, 200_000)
	if _, _, err := Train(context.Background(), c); err != nil {
		b.Fatal(err)
	}
	units, err := filepath.Glob(filepath.Join(c.TrainRoot, "*", layout.ModelFile))
	if err != nil || len(units) == 0 {
		b.Fatalf("models %v: %v", units, err)
	}
	var path string
	var size int64
	for _, u := range units {
		if st, err := os.Stat(u); err == nil && st.Size() > size {
			path, size = u, st.Size()
		}
	}
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		if _, err := model.Load(path); err != nil {
			b.Fatal(err)
		}
	}
}
