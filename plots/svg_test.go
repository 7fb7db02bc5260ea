package plots

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// svgElement is what the structure tests read of an SVG element.
type svgElement struct {
	name  string
	style map[string]string
	text  string
}

// readSVG parses an SVG file into its elements, in document order.
func readSVG(t *testing.T, path string) []svgElement {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	var els []svgElement
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return els
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := svgElement{name: tok.Name.Local, style: map[string]string{}}
			inText = e.name == "text"
			for _, a := range tok.Attr {
				if a.Name.Local != "style" {
					continue
				}
				for _, kv := range strings.Split(a.Value, ";") {
					if k, v, ok := strings.Cut(kv, ":"); ok {
						e.style[strings.TrimSpace(k)] = strings.ToLower(strings.TrimSpace(v))
					}
				}
			}
			els = append(els, e)
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				els[len(els)-1].text += string(tok)
			}
		}
	}
}

// svgTexts returns the texts of an SVG file.
func svgTexts(t *testing.T, path string) []string {
	t.Helper()
	var texts []string
	for _, e := range readSVG(t, path) {
		if e.name == "text" {
			texts = append(texts, e.text)
		}
	}
	return texts
}

// TestWindowScoresSVG: a small plot in time as SVG, against a golden file
// and by its structure: the time axis's labels, one bar shape per run of
// columns (red for the alarm), the threshold dashed over its halo after
// the bars, the incident shaded before them and labelled.
func TestWindowScoresSVG(t *testing.T) {
	s := NewSeries(0)
	scores := []float64{-5, -7, -6, -45, -52, -8, -6, -5}
	for i, v := range scores {
		s.Add(day0.Add(time.Duration(i)*3*time.Hour), v, v < -40)
	}
	o := Options{
		Title: "10.1.0.12 — monitor", Width: 600, Height: 300, Format: SVG,
		Incidents: []Span{{From: day0.Add(9 * time.Hour), To: day0.Add(13 * time.Hour), Label: "outbound 192.0.2.14:443"}},
	}
	path := filepath.Join(t.TempDir(), "p.svg")
	if err := WindowScores(path, s, -40, o); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "window_scores.svg")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (go test ./plots -run TestWindowScoresSVG -args -update rewrites it)", path, golden)
	}

	els := readSVG(t, path)
	var texts []string
	var red, blue, shade, halo, dashed []int // element positions
	for i, e := range els {
		switch {
		case e.name == "text":
			texts = append(texts, e.text)
		case e.style["fill"] == "#d62728":
			red = append(red, i)
		case e.style["fill"] == "#1f77b4":
			blue = append(blue, i)
		case e.style["fill-opacity"] != "" && e.style["fill-opacity"] != "1":
			shade = append(shade, i)
		case e.style["stroke"] == "#ffffff" && e.style["stroke-width"] == "4":
			halo = append(halo, i)
		case e.style["stroke"] == "#111111" && e.style["stroke-dasharray"] != "":
			dashed = append(dashed, i)
		}
	}
	// 600 pixels take four labels: ticks every 12 hours over 24, the
	// date under the first one and under midnight; the scores' ticks
	// without decimals, down to the legend's room below the bars.
	wantTexts := []string{
		"10.1.0.12 — monitor", "window start (UTC)",
		"00:00", "2024-01-06", "12:00", "00:00", "2024-01-07",
		"log-likelihood (sum of ln P)", "-100", "-50", "0",
		"outbound 192.0.2.14:443",
		"normal (6)", "alarm (2)", "threshold -40.0", "incidents (1)",
	}
	if !slices.Equal(texts, wantTexts) {
		t.Errorf("texts\n%q\nwant\n%q", texts, wantTexts)
	}
	// One shape for each run of bars of a colour (normal, the two
	// alarms, normal), and the legend's swatches.
	if len(red) != 2 || len(blue) != 3 {
		t.Errorf("%d red and %d blue shapes, want 2 (one run, one swatch) and 3 (two runs, one swatch)", len(red), len(blue))
	}
	if len(shade) != 2 {
		t.Fatalf("%d incident shades, want 2 (the incident and its swatch)", len(shade))
	}
	if len(halo) != 2 || len(dashed) != 2 {
		t.Fatalf("%d halos and %d dashed dark lines, want 2 each (line and legend)", len(halo), len(dashed))
	}
	// Drawn in order: shade, bars, halo, line.
	if !(shade[0] < blue[0] && blue[len(blue)-2] < halo[0] && red[0] < halo[0] && halo[0] < dashed[0]) {
		t.Errorf("order of shade %v, bars %v %v, halo %v, line %v: want shade, bars, halo, line", shade, blue, red, halo, dashed)
	}
}
