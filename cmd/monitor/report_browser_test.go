package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/netflow-monitor/monitor/internal/browsertest"
)

// fullExampleOnce holds the whole shipped example (six services), trained
// and run once per test binary in a folder that TestMain removes.
var fullExampleOnce struct {
	sync.Once
	dir string
	err string
}

// fullExample returns the monitor folder of the run of the whole shipped
// example; tests must not change it.
func fullExample(t *testing.T) string {
	t.Helper()
	o := &fullExampleOnce
	o.Do(func() {
		dir, err := os.MkdirTemp("", "monitor-full-example-")
		if err != nil {
			o.err = err.Error()
			return
		}
		o.dir = dir
		for _, sub := range []string{"train_data", "monitor_data"} {
			files, _ := filepath.Glob(filepath.Join("..", "..", sub, "*", "*_"+sub+".csv"))
			if sub == "monitor_data" {
				files = append(files, filepath.Join("..", "..", sub, "injected_anomalies.csv"))
			}
			for _, src := range files {
				rel, _ := filepath.Rel(filepath.Join("..", ".."), src)
				b, err := os.ReadFile(src)
				if err == nil {
					err = os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755)
				}
				if err == nil {
					err = os.WriteFile(filepath.Join(dir, rel), b, 0o644)
				}
				if err != nil {
					o.err = err.Error()
					return
				}
			}
		}
		if _, errOut, err := execute("all", "--train-data", filepath.Join(dir, "train_data"), "--monitor-data", filepath.Join(dir, "monitor_data"), "-q"); err != nil {
			o.err = err.Error() + "\n" + errOut
		}
	})
	if o.err != "" {
		t.Fatalf("the whole example: %s", o.err)
	}
	return filepath.Join(o.dir, "monitor_data")
}

// TestReportLayout: the shipped example's report, as a person sees it in
// Chromium at 1366×768 and 1920×1080: nothing scrolls sideways, the first
// table is the incidents table and holds every injected anomaly of the
// example (monitor_data/injected_anomalies.csv: each on the side of each
// host it touches), and no table cell is taller than 300 px; at 800 px a
// plot keeps a readable size and scrolls inside its figure.
func TestReportLayout(t *testing.T) {
	if _, ok := browsertest.Chromium(); !ok {
		t.Skip("no Chromium binary: install Debian's chromium package to run this test")
	}
	M := fullExample(t)
	page, err := filepath.Abs(filepath.Join(M, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Unit, Kind, Peer, Port string }
	var first []row
	for _, size := range [][2]int{{1366, 768}, {1920, 1080}} {
		ctx := browsertest.New(t, size[0], size[1])
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+filepath.ToSlash(page)), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
			t.Fatal(err)
		}
		l, err := browsertest.Measure(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if l.Overflows() {
			t.Errorf("%d px: the page scrolls sideways (%d px of content in %d)", size[0], l.ScrollWidth, l.ClientWidth)
		}
		if l.FirstTable != "incidents" || l.FirstHeading != "Incidents" {
			t.Errorf("%d px: the first table is %q under %q, want the incidents table", size[0], l.FirstTable, l.FirstHeading)
		}
		if l.TallestCell > 300 {
			t.Errorf("%d px: a cell %d px tall: %q", size[0], l.TallestCell, l.TallestText)
		}
		if first, err = chromedp.Run(ctx, chromedp.Evaluate[[]row](`[...document.querySelectorAll("#incidents > table.incidents > tbody > tr")].map(tr =>
			({Unit: tr.dataset.unit, Kind: tr.dataset.kind, Peer: tr.dataset.peer, Port: tr.dataset.port}))`)); err != nil {
			t.Fatal(err)
		}
	}
	// On a narrow screen a plot keeps at least 900 px of its 1,200 (its
	// text stays readable) and scrolls inside its figure; the page does
	// not scroll sideways for it.
	ctx := browsertest.New(t, 800, 600)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+filepath.ToSlash(page)), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatal(err)
	}
	widths, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[...document.querySelectorAll("figure img")].map(i => Math.round(i.getBoundingClientRect().width))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(widths) == 0 {
		t.Error("800 px: no plot in the report")
	}
	for i, w := range widths {
		if w < 900 {
			t.Errorf("800 px: plot %d shown %d px wide, want at least 900", i+1, w)
		}
	}
	figures, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Math.max(...[...document.querySelectorAll("figure")].map(f => Math.ceil(f.getBoundingClientRect().right)))`))
	if err != nil {
		t.Fatal(err)
	}
	if l, err := browsertest.Measure(ctx); err != nil {
		t.Fatal(err)
	} else if figures > l.ClientWidth {
		t.Errorf("800 px: a figure ends at %d px, past the page's %d", figures, l.ClientWidth)
	}
	injected := readSemicolonCSV(t, filepath.Join(M, "injected_anomalies.csv"))
	if len(injected) < 8 {
		t.Fatalf("%d injected anomalies", len(injected))
	}
	for _, in := range injected {
		found := false
		for _, got := range first {
			if got.Unit == in["service"] && got.Peer == in["peer"] && got.Port == in["port"] {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("the first table has no incident of %s with %s:%s (injected %s %s): %v", in["service"], in["peer"], in["port"], in["kind"], in["direction"], first)
		}
	}
}
