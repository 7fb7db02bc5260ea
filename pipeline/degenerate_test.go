package pipeline

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/outputs"
)

// TestDegenerateTraining: a training whose windows all score alike (one
// kind of flow; one window over and over) cannot set a threshold: the
// unit fails with ErrDegenerate, saying why and what to do, and keeps its
// previous model; the other unit trains as usual.
func TestDegenerateTraining(t *testing.T) {
	svc := netip.MustParseAddr("10.0.0.1")
	client := flows.Flow{Src: netip.MustParseAddr("10.9.0.1"), Dst: svc, SrcPort: 40000, DstPort: 443, Proto: flows.ProtoTCP, Bytes: 900, Packets: 8, Duration: 0.01}
	db := flows.Flow{Src: svc, Dst: netip.MustParseAddr("10.9.1.1"), SrcPort: 50000, DstPort: 5432, Proto: flows.ProtoTCP, Bytes: 300_000, Packets: 400, Duration: 2}
	tests := []struct {
		name    string
		pattern []flows.Flow // repeated
		stride  int
		why     string
	}{
		{"one kind of flow", []flows.Flow{client}, 1, "its 3000 training flows are all one kind of flow (in/tcp/"},
		{"one window over and over", []flows.Flow{client, db}, 2, "training windows are all the same sequence of flows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := smallFixture(t, t.TempDir())
			if _, _, err := Train(ctx, c); err != nil {
				t.Fatal(err)
			}
			modelPath := filepath.Join(c.TrainRoot, "10.0.0.1", layout.ModelFile)
			before, err := os.ReadFile(modelPath)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			w := flows.NewCSVWriter(&buf)
			for i := range 3000 {
				f := tc.pattern[i%len(tc.pattern)]
				f.Start = int64(1_700_000_000+60*i) * 1e9
				if err := w.Write(&f); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(layout.TrainFile(c.TrainRoot, layout.ServiceUnit(svc)), buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			c.Stride = tc.stride
			res, _, err := Train(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if e := res[0].Err; !errors.Is(e, ErrDegenerate) || !strings.Contains(e.Error(), tc.why) || !strings.Contains(e.Error(), "train on a longer period") {
				t.Errorf("10.0.0.1: %v, want ErrDegenerate saying %q and what to do", e, tc.why)
			}
			if res[1].Err != nil {
				t.Errorf("10.0.0.2: %v", res[1].Err)
			}
			if after, _ := os.ReadFile(modelPath); !bytes.Equal(after, before) {
				t.Error("the previous model was not kept")
			}
			if err := layout.Verify(filepath.Dir(modelPath), outputs.Owns(outputs.Train(outputs.Options{}))); err != nil {
				t.Error(err)
			}
		})
	}
}
