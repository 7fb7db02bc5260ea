package plots

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func decode(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// near reports whether two colours are within 40 on every channel (thin
// bars and lines are anti-aliased).
func near(p, c color.RGBA) bool {
	d := func(a, b uint8) bool { return int(a)-int(b) < 40 && int(b)-int(a) < 40 }
	return d(p.R, c.R) && d(p.G, c.G) && d(p.B, c.B)
}

func at(img image.Image, x, y int) color.RGBA {
	if rgba, ok := img.(*image.RGBA); ok {
		return rgba.RGBAAt(x, y) // the common case, without an interface per pixel
	}
	return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
}

// count returns the pixels close to colour c in img's rectangle r.
func count(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if near(at(img, x, y), c) {
				n++
			}
		}
	}
	return n
}

func TestTraceScores(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name      string
		scores    []float64
		threshold float64
		red       bool // bars below the threshold drawn red
	}{
		{"normal", []float64{-5, -6, -5.5, -7, -6}, -20, false},
		{"one alarm", []float64{-5, -6, -40, -7, -6}, -20, true},
		{"many traces, one alarm", manyWithOneLow(50000), -20, true},
		{"no traces", nil, -20, false},
		{"odd values", []float64{math.Inf(-1), math.NaN(), -3}, math.NaN(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, tc.name+".png")
			if err := TraceScores(path, tc.scores, tc.threshold, Options{Title: tc.name}); err != nil {
				t.Fatal(err)
			}
			img := decode(t, path)
			if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 500 {
				t.Fatalf("size %v, want 1200x500", b)
			}
			// The legend (bottom right) shows both swatches; count bars
			// in the plot area left of it.
			area := image.Rect(80, 30, 900, 440)
			blue, red := count(img, area, normalColor), count(img, area, anomalyColor)
			if len(tc.scores) > 0 && !math.IsNaN(tc.scores[len(tc.scores)-1]) && blue == 0 {
				t.Error("no normal (blue) bars")
			}
			if tc.red != (red > 0) {
				t.Errorf("%d red pixels, want red bars %v", red, tc.red)
			}
		})
	}
	if err := TraceScores(filepath.Join(dir, "missing", "x.png"), []float64{-1, -2}, -3, Options{}); err == nil {
		t.Error("write into a missing folder: no error")
	}
}

// manyWithOneLow has n traces, one of them, in the middle, far below the
// others: more traces than pixel columns, and the alarm must still show.
func manyWithOneLow(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = -5 - float64(i%7)
	}
	s[n/3] = -60
	return s
}

// indexSeries is scores as a series keyed by their index, alarms below
// threshold.
func indexSeries(scores []float64, threshold float64) *Series {
	s := NewSeries(0)
	for i, v := range scores {
		s.add(int64(i), v, v < threshold)
	}
	return s
}

func TestSweep(t *testing.T) {
	dir := t.TempDir()
	pts := []SweepPoint{{1, 0.8, 1, 0.88, 0.2}, {4, 0.99, 1, 0.995, 0.003}, {7, 1, 1, 1, 0}, {10, 0, 0, 0, 0}}
	if err := Sweep(filepath.Join(dir, "sweep.png"), pts, SweepOptions{Title: "sweep"}); err != nil {
		t.Fatal(err)
	}
	if b := decode(t, filepath.Join(dir, "sweep.png")).Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Errorf("size %v", b)
	}
	svg := filepath.Join(dir, "sweep.svg")
	if err := Sweep(svg, pts, SweepOptions{Title: "sweep", Format: SVG}); err != nil {
		t.Fatal(err)
	}
	if texts := svgTexts(t, svg); !slices.Contains(texts, "default k = 7") {
		t.Errorf("SVG texts %q lack the legend's default k", texts)
	}
	if err := Sweep(filepath.Join(dir, "none.png"), nil, SweepOptions{}); err == nil {
		t.Error("no points: no error")
	}
	if err := Sweep(filepath.Join(dir, "x.gif"), pts, SweepOptions{Format: "gif"}); err == nil {
		t.Error("format gif: no error")
	}
}

// BenchmarkTraceScores draws the monitor plot of a busy service (150k
// traces, one of them anomalous), by trace number.
func BenchmarkTraceScores(b *testing.B) {
	scores := manyWithOneLow(150_000)
	path := filepath.Join(b.TempDir(), "p.png")
	b.ReportAllocs()
	for b.Loop() {
		if err := TraceScores(path, scores, -30, Options{Title: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSaveMatchesVgimg: save's own canvas set-up (one image, the background
// composed directly) gives the pixels gonum's plain vgimg path gives.
func TestSaveMatchesVgimg(t *testing.T) {
	backgrounds := []struct {
		name string
		c    color.Color
	}{
		{"white", color.White},
		{"none", nil},
		{"grey", color.RGBA{R: 0xcc, G: 0xcc, B: 0xcc, A: 0xff}},
		{"translucent", color.NRGBA{R: 0x20, G: 0x80, B: 0x40, A: 0x80}},
	}
	for _, bg := range backgrounds {
		t.Run(bg.name, func(t *testing.T) {
			p := plot.New()
			p.Title.Text = "save"
			p.BackgroundColor = bg.c
			p.Add(plotter.NewGrid(), &barPlotter{s: indexSeries(manyWithOneLow(5000), -30), threshold: -30, axis: indexAxis})
			w, h := vg.Length(300)*vg.Inch/96, vg.Length(120)*vg.Inch/96
			path := filepath.Join(t.TempDir(), "p.png")
			if err := save(path, p, w, h); err != nil {
				t.Fatal(err)
			}
			if p.BackgroundColor != bg.c {
				t.Errorf("background %v after save, want %v", p.BackgroundColor, bg.c)
			}
			got := decode(t, path)
			c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))
			p.Draw(draw.New(c))
			want := c.Image()
			if got.Bounds() != want.Bounds() {
				t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
			}
			diff := 0
			for y := want.Bounds().Min.Y; y < want.Bounds().Max.Y; y++ {
				for x := want.Bounds().Min.X; x < want.Bounds().Max.X; x++ {
					if at(got, x, y) != at(want, x, y) {
						diff++
					}
				}
			}
			if diff > 0 {
				t.Errorf("%d pixels differ from vgimg's rendering", diff)
			}
		})
	}
}

// TestDirectBarsMatchCanvas: bars filled straight into the image cover the
// pixels the canvas's rasteriser covers, in the same colours, but for
// anti-aliased edges: no bar is lost, moved or recoloured.
func TestDirectBarsMatchCanvas(t *testing.T) {
	tests := []struct {
		name      string
		scores    []float64
		threshold float64
	}{
		{"five wide bars", []float64{-5, -6, -40, -7, -6}, -20},
		{"about one bar a column", manyWithOneLow(1222), -10},
		{"many traces a column", manyWithOneLow(150_000), -30},
		{"odd values", []float64{math.Inf(-1), math.NaN(), -3, 0, -1e-9}, -2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			render := func(direct bool) image.Image {
				p := plot.New()
				bars := &barPlotter{s: indexSeries(tc.scores, tc.threshold), threshold: tc.threshold, axis: indexAxis}
				p.Add(bars)
				path := filepath.Join(t.TempDir(), "p.png")
				w, h := 600*vg.Inch/96, 250*vg.Inch/96
				var err error
				if direct {
					err = save(path, p, w, h, bars)
				} else {
					err = save(path, p, w, h)
				}
				if err != nil {
					t.Fatal(err)
				}
				if bars.px != nil {
					t.Error("the plotter keeps the image after save")
				}
				return decode(t, path)
			}
			canvas, direct := render(false), render(true)
			// A pixel is inked when at least about half covered (white
			// is the background); its colour class is red or not.
			inked := func(c color.RGBA) bool { return min(c.R, c.G, c.B) < 160 }
			reddish := func(c color.RGBA) bool { return int(c.R) > int(c.B)+40 }
			all := canvas.Bounds()
			ink, colour, red := 0, 0, 0
			for y := all.Min.Y; y < all.Max.Y; y++ {
				for x := all.Min.X; x < all.Max.X; x++ {
					a, b := at(canvas, x, y), at(direct, x, y)
					switch {
					case inked(a) != inked(b):
						ink++
					case inked(a) && reddish(a) != reddish(b):
						colour++
					}
					if inked(b) && reddish(b) {
						red++
					}
				}
			}
			// Only a few edge pixels round the other way (a bar one pixel
			// too low is hundreds).
			if ink > 30 || colour > 10 {
				t.Errorf("%d pixels inked in one rendering only, %d in other colours; want at most 30 and 10", ink, colour)
			}
			if wantRed := slices.ContainsFunc(tc.scores, func(s float64) bool { return s < tc.threshold && finite(s) }); wantRed != (red > 0) {
				t.Errorf("%d red pixels; want red bars %v", red, wantRed)
			}
		})
	}
}

// TestIncidentLabelsNeverOverlap: labels of incidents close in time, more
// than the lanes hold, are placed without overlapping one another in any
// lane (those that find no room are left out), each at or right of its
// incident, inside the plot.
func TestIncidentLabelsNeverOverlap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		xs     []vg.Length // incidents' x
		widths []vg.Length
	}{
		{"one instant", []vg.Length{100, 100, 100, 100, 100}, []vg.Length{80, 80, 80, 80, 80}},
		{"a busy hour", []vg.Length{10, 20, 30, 40, 300, 310}, []vg.Length{200, 150, 120, 90, 100, 100}},
		{"at the right edge", []vg.Length{390, 395, 399}, []vg.Length{150, 150, 150}},
		{"spread out", []vg.Length{0, 120, 240, 360}, []vg.Length{100, 100, 100, 30}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ip := &incidentPlotter{lanes: maxLanes}
			right := make([]vg.Length, ip.lanes)
			for i := range right {
				right[i] = -vg.Inch
			}
			const minX, maxX = 0, 400
			type placed struct{ from, to vg.Length }
			lanes := make([][]placed, ip.lanes)
			n := 0
			for i, xa := range tc.xs {
				w := tc.widths[i]
				x, lane, ok := ip.place(right, xa, w, minX, maxX)
				if !ok {
					continue
				}
				n++
				right[lane] = x + w
				if x < minX || x+w > maxX {
					t.Errorf("label %d at [%v, %v]: outside the plot", i, x, x+w)
				}
				if x+w < xa && x < xa-w {
					t.Errorf("label %d at %v is far left of its incident at %v", i, x, xa)
				}
				for _, p := range lanes[lane] {
					if x < p.to+labelGap && p.from < x+w+labelGap {
						t.Errorf("label %d [%v, %v] overlaps [%v, %v] in lane %d", i, x, x+w, p.from, p.to, lane)
					}
				}
				lanes[lane] = append(lanes[lane], placed{x, x + w})
			}
			if n == 0 {
				t.Error("no label placed")
			}
		})
	}
}
