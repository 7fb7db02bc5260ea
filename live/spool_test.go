package live

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/stream"
)

// TestSpoolHoldsWhatTheNextRefreshNeeds: refreshed and checkpointed as it
// goes, a watch's state folder holds the predictions rows since the last
// refresh (none, right after one) and the bounded report rows: less than
// the unit folder, never a copy of it. Each refresh leaves a folder that
// verifies, and the last one is the folder of a watch refreshed only at
// its end.
func TestSpoolHoldsWhatTheNextRefreshNeeds(t *testing.T) {
	dir := t.TempDir()
	T := filepath.Join(dir, "T")
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	trainModel(t, T, traffic(day, 2000, 0))
	live := traffic(day.Add(24*time.Hour), 6000, 37)
	var in bytes.Buffer
	cw := flows.NewCSVWriter(&in)
	for i := range live {
		cw.Write(&live[i])
	}
	cw.Flush()
	ctx := context.Background()

	watch := func(W string, refreshEvery int) {
		cfg := DefaultConfig()
		cfg.TrainRoot, cfg.MonitorRoot, cfg.MaxLateness, cfg.ReportEvery, cfg.CheckpointEvery = T, W, 0, 0, 0
		e, err := New(cfg, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Resume(ctx, &stream.Local{Path: "-", Format: "auto", Stdin: bytes.NewReader(in.Bytes())}); err != nil {
			t.Fatal(err)
		}
		unit := filepath.Join(W, host.String())
		for i := range live {
			if err := e.Flow(&live[i], nil); err != nil {
				t.Fatal(err)
			}
			if refreshEvery == 0 || i%refreshEvery != refreshEvery-1 {
				continue
			}
			if err := e.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if err := layout.Verify(unit, outputs.Owns(outputs.Run(outputs.Options{}))); err != nil {
				t.Errorf("after flow %d: %v", i, err)
			}
			if err := e.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			state, folder := du(t, filepath.Join(W, ".watch")), du(t, unit)
			segments, _ := filepath.Glob(filepath.Join(W, ".watch", "units", host.String(), spoolSegmentPrefix+"*"))
			// The state: the checkpoint, the report rows (the per-state
			// reports' rows, of all states so far) and an empty segment.
			if state > folder || len(segments) > 1 {
				t.Errorf("after flow %d: state %d bytes (%d segments), unit folder %d", i, state, len(segments), folder)
			}
		}
		if err := e.End(); err != nil {
			t.Fatal(err)
		}
		if err := e.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ref, W := filepath.Join(dir, "ref"), filepath.Join(dir, "W")
	watch(ref, 0)
	watch(W, 700)
	entries, _ := os.ReadDir(filepath.Join(ref, host.String()))
	for _, e := range entries {
		if e.Name() == layout.ManifestFile {
			continue
		}
		a, _ := os.ReadFile(filepath.Join(ref, host.String(), e.Name()))
		b, _ := os.ReadFile(filepath.Join(W, host.String(), e.Name()))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from the one of a watch refreshed only at its end", e.Name())
		}
	}
	if len(entries) < 5 {
		t.Errorf("the unit folder has %d files", len(entries))
	}
}

// du returns the bytes of the files under dir.
func du(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if fi, err := d.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
