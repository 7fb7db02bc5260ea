package flows

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkReadProject reads 150k flows in the project's CSV format (with
// flow_id and label columns, as the simulator writes them): a busy
// service's monitor file.
func BenchmarkReadProject(b *testing.B) {
	const n = 150_000
	path := filepath.Join(b.TempDir(), "flows.csv")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	cw := NewCSVWriter(out)
	rng := rand.New(rand.NewPCG(1, 1))
	svc := netip.MustParseAddr("10.1.0.11")
	ports := []uint16{53, 443, 5432, 6379, 8080, 9100}
	for i := range n {
		peer := netip.AddrFrom4([4]byte{10, 1, 0, byte(10 + rng.IntN(8))})
		f := Flow{
			Start: 1_704_067_200_000_000_000 + int64(i)*2_000_000_000 + rng.Int64N(1e9), Duration: float64(rng.IntN(100_000)) / 1e6, // microseconds, as collectors print them
			Src: svc, Dst: peer, SrcPort: uint16(30000 + rng.IntN(30000)), DstPort: ports[rng.IntN(len(ports))],
			Proto: ProtoTCP, Bytes: uint64(rng.IntN(100_000)), Packets: uint64(1 + rng.IntN(100)),
			ID: strconv.Itoa(700_000 + i), Label: "normal",
		}
		if i%2 == 0 {
			f.Src, f.Dst = f.Dst, f.Src
		}
		if err := cw.Write(&f); err != nil {
			b.Fatal(err)
		}
	}
	if err := cw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		fl, _, err := ReadAll(b.Context(), path, "", DecodeOptions{})
		if err != nil || len(fl) != n {
			b.Fatalf("%d flows: %v", len(fl), err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
}
