package htmlreport

import (
	"bytes"
	"context"
	"html"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/internal/browsertest"
)

// headless renders a local page in headless Chromium: its DOM after
// loading, a screenshot of the first height pixels at width 1280, and
// what the browser logged.
func headless(t *testing.T, bin, page string, height int) (dom string, shot image.Image, log string) {
	t.Helper()
	dir := t.TempDir()
	shotPath := filepath.Join(dir, "shot.png")
	abs, err := filepath.Abs(page)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The flags keep Chromium off the network (this page needs none) and
	// log the page's console to stderr.
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--no-first-run", "--no-default-browser-check",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0",
		"--hide-scrollbars", "--force-device-scale-factor=1",
		"--window-size=1280,"+strconv.Itoa(height),
		"--screenshot="+shotPath,
		"--dump-dom", "file://"+filepath.ToSlash(abs),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	f, err := os.Open(shotPath)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, stderr.String())
	}
	defer f.Close()
	shot, err = png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), shot, stderr.String()
}

// text returns the text of an HTML document: tags and the contents of
// style elements out, entities decoded, white space collapsed.
func text(doc string) string {
	var b strings.Builder
	for len(doc) > 0 {
		lt := strings.IndexByte(doc, '<')
		if lt < 0 {
			b.WriteString(doc)
			break
		}
		b.WriteString(doc[:lt])
		doc = doc[lt:]
		if strings.HasPrefix(strings.ToLower(doc), "<style") {
			end := strings.Index(strings.ToLower(doc), "</style>")
			if end < 0 {
				break
			}
			doc = doc[end+len("</style>"):]
			continue
		}
		gt := strings.IndexByte(doc, '>')
		if gt < 0 {
			break
		}
		b.WriteString(" ")
		doc = doc[gt+1:]
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

// TestBrowser renders the fixture's report in headless Chromium: the page
// loads without a console message (a blocked load, a script, a broken
// resource would log one), its text names every service and incident of
// the run, no markup from the data became an element, and both plots (PNG
// and SVG) are drawn.
func TestBrowser(t *testing.T) {
	bin, ok := browsertest.Chromium()
	if !ok {
		t.Skip("no Chromium binary (chromium, chromium-browser, google-chrome) on $PATH and $MONITOR_CHROMIUM unset: install Debian's chromium package to run this test")
	}
	root := fixture(t)
	if err := Write(root, Options{}); err != nil {
		t.Fatal(err)
	}
	dom, shot, log := headless(t, bin, filepath.Join(root, File), 2600)

	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Content Security Policy") {
			t.Errorf("console: %s", line)
		}
	}
	if !strings.Contains(dom, `<section id="s4"`) {
		t.Fatalf("the DOM is not the whole page:\n%.2000s", dom)
	}
	if strings.Contains(strings.ToLower(dom), "<script") {
		t.Error("the DOM has a script element")
	}
	page := text(dom)
	// Every service in the summary, and every incident's summary and
	// kind, as the files say them.
	sum, err := readTable(root, SummaryFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range sum.rows {
		name := get(row, sum.col("service"))
		if strings.Count(page, name) < 3 { // the list, the summary, the section
			t.Errorf("the page names service %s %d times, want at least 3", name, strings.Count(page, name))
		}
	}
	inc, err := readTable(root, filepath.Join("10.1.0.12", IncidentsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.rows) != 2 {
		t.Fatalf("%d incidents in the fixture, want 2", len(inc.rows))
	}
	for _, row := range inc.rows {
		for _, col := range []string{"kind", "summary", "what is new"} {
			if v := get(row, inc.col(col)); !strings.Contains(page, v) {
				t.Errorf("the page lacks incident %s %q", col, v)
			}
		}
	}
	for _, want := range []string{"Incidents", "Connections behind the alarms", "7 alarm windows", "192.0.2.14:443", "2024-01-06 02:15:06", "No results: no usable model for 10.9.9.9"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	// The plots: rows of the screenshot with a run of the plots' blue
	// bars. The two plots are far apart on the page: two bands.
	bands := blueBands(shot)
	if bands < 2 {
		t.Errorf("%d bands of plot bars in the screenshot, want 2 (the PNG and the SVG plot)", bands)
	}
}

// blueBands counts the bands of consecutive screenshot rows that have at
// least 200 pixels of the plots' bar blue (#1f77b4), which the page's own
// style does not use.
func blueBands(img image.Image) int {
	b := img.Bounds()
	bands, in := 0, false
	for y := b.Min.Y; y < b.Max.Y; y++ {
		n := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if near(c.R, 0x1f) && near(c.G, 0x77) && near(c.B, 0xb4) {
				n++
			}
		}
		switch {
		case n >= 200 && !in:
			bands++
			in = true
		case n < 200:
			in = false
		}
	}
	return bands
}

func near(a, b uint8) bool { return int(a)-int(b) <= 12 && int(b)-int(a) <= 12 }
