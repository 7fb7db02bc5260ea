// Package plots draws the monitor's pictures with gonum/plot: each
// window's score in time against the alarm threshold, with incidents
// shaded (WindowScores, fed by a bounded-memory Series), and the detection
// metrics as the threshold's sigma multiplier varies (Sweep). Plots are
// written as PNG or SVG, atomically.
package plots

import (
	"fmt"
	"image"
	"image/color"
	imgdraw "image/draw"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"git.sr.ht/~sbinet/gg"
	"github.com/netflow-monitor/monitor/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Colours of the plots. The threshold is dark on a white halo so that it
// shows over the red alarm bars and the blue normal ones alike; incidents
// are a light shade behind the bars.
var (
	normalColor    = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	anomalyColor   = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	thresholdColor = color.RGBA{R: 0x11, G: 0x11, B: 0x11, A: 0xff}
	haloColor      = color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	incidentColor  = color.NRGBA{R: 0xff, G: 0xb0, B: 0x20, A: 0x50}
)

// Format is a plot file's format.
type Format string

// The plot formats.
const (
	PNG Format = "png" // raster, 96 dots per inch; the default
	SVG Format = "svg" // vector, text as text
)

// Formats returns the plot formats, the default first.
func Formats() []Format { return []Format{PNG, SVG} }

// ParseFormat reads a format's name (png or svg, in any letter case), as a
// command-line flag gives it.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if f == "" {
		return "", fmt.Errorf("no plot format (want png or svg)")
	}
	if err := f.check(); err != nil {
		return "", err
	}
	return f, nil
}

// Ext returns the format's file name extension, with its dot: ".png".
func (f Format) Ext() string {
	if f == "" {
		f = PNG
	}
	return "." + string(f)
}

func (f Format) check() error {
	switch f {
	case "", PNG, SVG:
		return nil
	}
	return fmt.Errorf("unknown plot format %q (want png or svg)", string(f))
}

// Options are the score plot's options.
type Options struct {
	Title string
	// Width and Height in pixels (for SVG, in CSS pixels: 96 to the inch);
	// default 1200 × 500.
	Width, Height int
	// Format is PNG (the default, "") or SVG.
	Format Format
	// Incidents are shaded, each labelled above the plot area. Only plots
	// with a time axis show them.
	Incidents []Span
}

// Span is a stretch of time shaded on a plot, with its label: an incident
// and its top connection ("outbound 192.0.2.14:443").
type Span struct {
	From, To time.Time
	Label    string
}

func (o Options) pixels() (int, int) {
	w, h := o.Width, o.Height
	if w <= 0 {
		w = 1200
	}
	if h <= 0 {
		h = 500
	}
	return w, h
}

func (o Options) size() (vg.Length, vg.Length) {
	w, h := o.pixels()
	return vg.Length(w) * vg.Inch / dpi, vg.Length(h) * vg.Inch / dpi
}

// dpi is the resolution of PNG plots, and the pixel of SVG ones.
const dpi = 96

// onePixel is one pixel at dpi, in canvas units.
const onePixel = vg.Inch / dpi

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// swatch is a legend thumbnail of one colour.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.c, []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Min.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Max.X, Y: c.Min.Y}})
}

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

// imageUser is a plotter that can draw straight into the rendered image.
type imageUser interface{ useImage(*pixels) }

// write renders the plot in format f into path atomically. For PNG,
// direct plotters draw into the image themselves; for SVG they draw on the
// canvas like any other.
func write(path string, f Format, p *plot.Plot, w, h vg.Length, direct ...imageUser) error {
	var err error
	if f == SVG {
		c := vgsvg.NewWith(vgsvg.UseWH(w, h))
		p.Draw(draw.New(c))
		err = atomicfile.Write(path, func(f *os.File) error {
			_, err := c.WriteTo(f)
			return err
		})
	} else {
		err = atomicfile.Write(path, func(f *os.File) error { return renderPNG(f, p, w, h, direct...) })
	}
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// save renders the plot as PNG into path atomically.
func save(path string, p *plot.Plot, w, h vg.Length, direct ...imageUser) error {
	return write(path, PNG, p, w, h, direct...)
}

// renderPNG draws the plot into an image and encodes it as PNG into out.
func renderPNG(out io.Writer, p *plot.Plot, w, h vg.Length, direct ...imageUser) error {
	// The canvas draws into an image of ours: vgimg.UseWH would allocate
	// one and have gg copy it into a second, a plot's worth of fresh
	// memory for nothing. The context is set up as vgimg sets up its own.
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
	return encodePNG(out, img)
}
