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

// count returns the pixels close to colour c in img's rectangle r (thin
// bars are antialiased).
func count(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	near := func(a, b uint8) bool { return int(a)-int(b) < 40 && int(b)-int(a) < 40 }
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if near(p.R, c.R) && near(p.G, c.G) && near(p.B, c.B) {
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
			if tc.red && red == 0 {
				t.Error("the alarm is not drawn red")
			}
			if !tc.red && !math.IsNaN(tc.threshold) && red > 2000 {
				// the dashed threshold line is red too, but thin
				t.Errorf("%d red pixels without an alarm", red)
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

func TestSweep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweep.png")
	pts := []SweepPoint{{1, 0.8, 1, 0.88, 0.2}, {4, 0.99, 1, 0.995, 0.003}, {7, 1, 1, 1, 0}, {10, 0, 0, 0, 0}}
	if err := Sweep(path, pts, SweepOptions{Title: "sweep"}); err != nil {
		t.Fatal(err)
	}
	if b := decode(t, path).Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Errorf("size %v", b)
	}
	if err := Sweep(path, nil, SweepOptions{}); err == nil {
		t.Error("no points: no error")
	}
}

// BenchmarkTraceScores draws the monitor plot of a busy service (150k
// traces, one of them anomalous).
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
			p.Add(plotter.NewGrid(), &barPlotter{scores: manyWithOneLow(5000), threshold: -30})
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
					if color.RGBAModel.Convert(got.At(x, y)) != color.RGBAModel.Convert(want.At(x, y)) {
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
			render := func(direct bool) image.Image {
				p := plot.New()
				bars := &barPlotter{scores: tc.scores, threshold: tc.threshold}
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
					a := color.RGBAModel.Convert(canvas.At(x, y)).(color.RGBA)
					b := color.RGBAModel.Convert(direct.At(x, y)).(color.RGBA)
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
			// Only a few edge pixels round the other way (10 of 150k
			// here; a bar one pixel too low is hundreds).
			if ink > 30 || colour > 10 {
				t.Errorf("%d pixels inked in one rendering only, %d in other colours; want at most 30 and 10", ink, colour)
			}
			if wantRed := slices.ContainsFunc(tc.scores, func(s float64) bool { return s < tc.threshold && finite(s) }); wantRed != (red > 0) {
				t.Errorf("%d red pixels; want red bars %v", red, wantRed)
			}
		})
	}
}
