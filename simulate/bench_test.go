package simulate

import (
	"context"
	"path/filepath"
	"testing"
)

func benchmarkGenerate(b *testing.B, flows int) {
	dir := b.TempDir()
	c := DefaultConfig()
	c.Flows = flows
	c.TrainRoot = filepath.Join(dir, "train_data")
	c.MonitorRoot = filepath.Join(dir, "monitor_data")
	c.Force = true
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(flows)*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}

// BenchmarkGenerate1M generates and writes a million flows (six services,
// every anomaly kind), as "monitor simulate --flows 1000000" does.
func BenchmarkGenerate1M(b *testing.B) { benchmarkGenerate(b, 1_000_000) }

// BenchmarkGenerateDefault is the shipped example's size.
func BenchmarkGenerateDefault(b *testing.B) { benchmarkGenerate(b, 30_000) }
