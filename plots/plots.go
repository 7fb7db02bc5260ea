// Package plots draws the monitor's pictures with gonum/plot: each trace's
// score against the alarm threshold, and the detection metrics as the
// threshold's sigma multiplier varies. Files are written atomically.
package plots

import (
	"fmt"
	"image"
	"image/color"
	imgdraw "image/draw"
	"math"
	"os"
	"strconv"

	"git.sr.ht/~sbinet/gg"
	"github.com/netflow-monitor/monitor/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Colours of the plots.
var (
	normalColor    = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	anomalyColor   = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	thresholdColor = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
)

// Options are the trace-score plot's options.
type Options struct {
	Title string
	// Width and Height in pixels; default 1200 × 500.
	Width, Height int
}

func (o Options) size() (vg.Length, vg.Length) {
	w, h := o.Width, o.Height
	if w <= 0 {
		w = 1200
	}
	if h <= 0 {
		h = 500
	}
	// gonum renders PNGs at 96 dots per inch.
	return vg.Length(w) * vg.Inch / 96, vg.Length(h) * vg.Inch / 96
}

// TraceScores plots one bar per trace, in time order, hanging from 0 down
// to the trace's summed log-likelihood: bars below the threshold red, the
// others blue, the threshold a red line. With more traces than pixel
// columns each column shows its lowest trace, so an anomaly never vanishes
// in the aggregation. A NaN or infinite threshold is not drawn.
func TraceScores(path string, scores []float64, threshold float64, o Options) error {
	p := plot.New()
	p.Title.Text = o.Title
	p.X.Label.Text = "trace (window start, time order)"
	p.Y.Label.Text = "log-likelihood of trace (sum of ln P)"
	bars := &barPlotter{scores: scores, threshold: threshold}
	p.Add(plotter.NewGrid(), bars)
	below := 0
	for _, s := range scores {
		if s < threshold {
			below++
		}
	}
	p.Legend.Add(fmt.Sprintf("normal (%d)", len(scores)-below), swatch{normalColor})
	p.Legend.Add(fmt.Sprintf("below threshold (%d)", below), swatch{anomalyColor})
	if finite(threshold) {
		line, err := plotter.NewLine(plotter.XYs{{X: 0, Y: threshold}, {X: float64(max(len(scores), 1)), Y: threshold}})
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		line.Color, line.Width = thresholdColor, vg.Points(1.5)
		line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("threshold %.1f", threshold), line)
	}
	if len(scores) == 0 {
		p.Title.Text += " (no traces)"
	}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YPosition = draw.PosBottom
	p.X.Tick.Marker = integerTicks{}
	w, h := o.size()
	return save(path, p, w, h, bars)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// swatch is a legend thumbnail of one colour.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.c, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y}})
}

// barPlotter draws the trace bars.
type barPlotter struct {
	scores    []float64
	threshold float64
	// px, when set, is the image the plot is rendered into: bars are
	// filled there directly. Through the canvas each bar is a polygon for
	// the anti-aliasing rasteriser, a third of a plot's time for what are
	// rectangles of whole pixels.
	px *pixels
}

func (b *barPlotter) useImage(px *pixels) { b.px = px }

// pixels maps canvas coordinates to the pixels of the image a vgimg canvas
// draws into (at dpi, y up from the bottom edge).
type pixels struct {
	img *image.RGBA
	dpi float64
}

func (p *pixels) x(l vg.Length) int { return int(math.Round(float64(l/vg.Inch) * p.dpi)) }

func (p *pixels) y(l vg.Length) int {
	return p.img.Rect.Dy() - int(math.Round(float64(l/vg.Inch)*p.dpi))
}

// fill fills the rectangle from (x0, y0) to (x1, y1), in canvas
// coordinates, with colour col, at least one pixel wide, within clip.
func (p *pixels) fill(x0, y0, x1, y1 vg.Length, col color.RGBA, clip image.Rectangle) {
	r := image.Rect(p.x(x0), p.y(y0), p.x(x1), p.y(y1)) // canonical: Min ≤ Max
	if r.Dx() == 0 {
		r.Max.X++
	}
	r = r.Intersect(clip).Intersect(p.img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := p.img.Pix[p.img.PixOffset(r.Min.X, y):p.img.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = col.R, col.G, col.B, col.A
		}
	}
}

func (b *barPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = 0, 0
	for _, s := range b.scores {
		if finite(s) {
			ymin = min(ymin, s)
			ymax = max(ymax, s)
		}
	}
	if finite(b.threshold) {
		ymin = min(ymin, b.threshold)
	}
	if ymin == ymax {
		ymin = ymax - 1
	}
	// Headroom below the lowest bar holds the legend.
	return 0, float64(max(len(b.scores), 1)), ymin * 1.3, ymax
}

func (b *barPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(b.scores)
	if n == 0 {
		return
	}
	x0, x1 := trX(0), trX(float64(n))
	cols := int((x1 - x0) / vg.Points(0.75)) // about one pixel at 96 dpi
	if cols < 1 {
		cols = 1
	}
	y0 := trY(0)
	var clip image.Rectangle
	if b.px != nil {
		clip = image.Rect(b.px.x(c.Min.X), b.px.y(c.Min.Y), b.px.x(c.Max.X), b.px.y(c.Max.Y))
	}
	bar := func(xa, xb vg.Length, s float64) {
		col := normalColor
		if s < b.threshold {
			col = anomalyColor
		}
		ys := trY(s)
		if xb-xa < vg.Points(0.75) {
			xb = xa + vg.Points(0.75)
		}
		if b.px != nil {
			b.px.fill(xa, y0, xb, ys, col, clip)
			return
		}
		c.FillPolygon(col, []vg.Point{{X: xa, Y: y0}, {X: xa, Y: ys}, {X: xb, Y: ys}, {X: xb, Y: y0}})
	}
	if n <= cols {
		for i, s := range b.scores {
			if finite(s) {
				bar(trX(float64(i)), trX(float64(i+1)), s)
			}
		}
		return
	}
	// More traces than columns: each column shows its lowest trace.
	for col := 0; col < cols; col++ {
		lo, hi := col*n/cols, (col+1)*n/cols
		m := math.Inf(1)
		for _, s := range b.scores[lo:max(hi, lo+1)] {
			if finite(s) {
				m = min(m, s)
			}
		}
		if finite(m) {
			bar(trX(float64(lo)), trX(float64(hi)), m)
		}
	}
}

// imageUser is a plotter that can draw straight into the rendered image.
type imageUser interface{ useImage(*pixels) }

// save renders the plot as PNG into path atomically; direct plotters draw
// into the image themselves.
func save(path string, p *plot.Plot, w, h vg.Length, direct ...imageUser) error {
	// The canvas draws into an image of ours: vgimg.UseWH would allocate
	// one and have gg copy it into a second, a plot's worth of fresh
	// memory for nothing. The context is set up as vgimg sets up its own.
	const dpi = 96
	px := func(l vg.Length) int { return int(l/vg.Inch*dpi + 0.5) }
	img := image.NewRGBA(image.Rect(0, 0, px(w), px(h)))
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	c := vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(dpi))
	// The canvas starts white. The plot's own background fill would run
	// the whole image through the anti-aliasing rasteriser (a tenth of a
	// plot's time); composing it directly gives the same pixels
	// (TestSaveMatchesVgimg).
	if bg := p.BackgroundColor; bg != nil {
		p.BackgroundColor = nil
		defer func() { p.BackgroundColor = bg }()
		imgdraw.Draw(img, img.Bounds(), &image.Uniform{C: bg}, image.Point{}, imgdraw.Over)
	}
	onImage := &pixels{img: img, dpi: dpi}
	for _, d := range direct {
		d.useImage(onImage)
		defer d.useImage(nil)
	}
	p.Draw(draw.New(c))
	if err := atomicfile.Write(path, func(f *os.File) error { return encodePNG(f, img) }); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// integerTicks labels trace numbers without decimals.
type integerTicks struct{}

func (integerTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(math.Round(ticks[i].Value), 'f', 0, 64)
		}
	}
	return ticks
}
