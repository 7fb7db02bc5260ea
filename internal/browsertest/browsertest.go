// Package browsertest drives a headless Chromium for the tests of the
// pages the project makes (the report, the console): it finds the browser,
// starts it off the network with a window of a given size, and measures
// the page as a person sees it (overflow, the tallest table cell). Tests
// skip without a Chromium binary; CI installs Debian's.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium returns the path of a Chromium or Chrome binary: the one
// $MONITOR_CHROMIUM names, or the first of the usual names on $PATH.
func Chromium() (string, bool) {
	if p := os.Getenv("MONITOR_CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// New starts a headless Chromium with a window of width × height CSS
// pixels (device scale 1) and returns the context of its tab, which ends
// with the test; it skips the test when there is no Chromium.
func New(t testing.TB, width, height int) context.Context {
	t.Helper()
	bin, ok := Chromium()
	if !ok {
		t.Skip("no Chromium binary (chromium, chromium-browser, google-chrome) on $PATH and $MONITOR_CHROMIUM unset: install Debian's chromium package to run this test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	tctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(tctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	return tctx
}

// Layout is what a page's layout says to a person: whether it scrolls
// sideways, and its tallest table cell.
type Layout struct {
	ScrollWidth, ClientWidth int
	// TallestCell is the height in pixels of the page's tallest td, and
	// TallestText the start of its text.
	TallestCell int
	TallestText string
	// FirstTable is the class of the page's first table, FirstHeading
	// the text of the heading before it.
	FirstTable   string
	FirstHeading string
}

// Overflows reports whether the page scrolls sideways.
func (l Layout) Overflows() bool { return l.ScrollWidth > l.ClientWidth }

// Measure returns the layout of the page loaded in ctx.
func Measure(ctx context.Context) (Layout, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[Layout](`(() => {
  const d = document.documentElement;
  let tallest = 0, text = "";
  for (const td of document.querySelectorAll("td")) {
    const h = td.getBoundingClientRect().height;
    if (h > tallest) { tallest = h; text = td.innerText.slice(0, 80); }
  }
  const t = document.querySelector("table");
  let heading = "";
  if (t) { const s = t.closest("section"); const h = s && s.querySelector("h2"); heading = h ? h.innerText : ""; }
  return {ScrollWidth: Math.max(d.scrollWidth, document.body.scrollWidth), ClientWidth: d.clientWidth,
    TallestCell: Math.ceil(tallest), TallestText: text, FirstTable: t ? t.className : "", FirstHeading: heading};
})()`))
}
