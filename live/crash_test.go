package live

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/stream"
)

// crashAfter reads r and fails after n bytes, as a process that dies
// there stops reading.
type crashAfter struct {
	r io.Reader
	n int
}

var errCrash = errors.New("crashed")

func (c *crashAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errCrash
	}
	k, err := c.r.Read(p[:min(len(p), c.n)])
	c.n -= k
	return k, err
}

// TestCrashChain: a watch on standard input that dies at random points
// (no last checkpoint, its buffered alerts and spools lost, as kill -9
// leaves them) and is started again on the same stream replayed from its
// start, over and over, ends with the alerts file and the unit folder of
// a watch that never died: no alert lost, none twice, no torn line.
func TestCrashChain(t *testing.T) {
	dir := t.TempDir()
	T := filepath.Join(dir, "T")
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	trainModel(t, T, traffic(day, 2000, 0))
	var in bytes.Buffer
	cw := flows.NewCSVWriter(&in)
	for _, f := range traffic(day.Add(24*time.Hour), 10000, 37) {
		cw.Write(&f)
	}
	cw.Flush()
	data := in.Bytes()

	watch := func(W, alerts string, r io.Reader) error {
		cfg := DefaultConfig()
		cfg.TrainRoot, cfg.MonitorRoot, cfg.CheckpointEvery, cfg.ReportEvery, cfg.MaxLateness = T, W, 3*time.Millisecond, 0, 0
		sink, err := FileAlerts(alerts)
		if err != nil {
			t.Fatal(err)
		}
		e, err := New(cfg, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = e.Run(context.Background(), &stream.Local{Path: "-", Format: "auto", Stdin: r})
		if err == nil {
			err = sink.Close(context.Background())
		} // else: crashed, nothing more is written
		return err
	}
	refW, refAlerts := filepath.Join(dir, "ref", "M"), filepath.Join(dir, "ref.jsonl")
	if err := watch(refW, refAlerts, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	W, alerts := filepath.Join(dir, "crash", "M"), filepath.Join(dir, "crash.jsonl")
	rng := rand.New(rand.NewPCG(27, 1))
	for range 8 {
		err := watch(W, alerts, &crashAfter{r: bytes.NewReader(data), n: rng.IntN(len(data))})
		if !errors.Is(err, errCrash) {
			t.Fatalf("a crashing watch: %v", err)
		}
	}
	if err := watch(W, alerts, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(refAlerts)
	got, _ := os.ReadFile(alerts)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("after 8 crashes: %d alert lines, want %d (the alerts of a watch that never died)", bytes.Count(got, []byte{'\n'}), bytes.Count(want, []byte{'\n'}))
	}
	entries, _ := os.ReadDir(filepath.Join(refW, host.String()))
	for _, e := range entries {
		a, _ := os.ReadFile(filepath.Join(refW, host.String(), e.Name()))
		b, _ := os.ReadFile(filepath.Join(W, host.String(), e.Name()))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the uninterrupted watch's", e.Name())
		}
	}
	if len(entries) < 4 {
		t.Errorf("the unit folder has %d files", len(entries))
	}
}
