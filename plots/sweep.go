package plots

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// SweepPoint is the detection at one sigma multiplier k.
type SweepPoint struct {
	K, Precision, Recall, F1, FPR float64
}

// SweepOptions are the sweep plot's options.
type SweepOptions struct {
	Title string
	// DefaultK is marked with a vertical line; default 7.
	DefaultK      float64
	Width, Height int
	// Format is PNG (the default, "") or SVG.
	Format Format
}

// Sweep plots recall, precision, F1 and the false-positive rate against k,
// the threshold's sigma multiplier, with the default k marked.
func Sweep(path string, pts []SweepPoint, o SweepOptions) error {
	if len(pts) == 0 {
		return fmt.Errorf("plot %s: no sweep points", path)
	}
	if err := o.Format.check(); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if o.DefaultK == 0 {
		o.DefaultK = 7
	}
	p := plot.New()
	p.Title.Text = o.Title
	p.X.Label.Text = "k (threshold = mean - k·σ of the training scores)"
	p.Y.Label.Text = "rate"
	p.X.Tick.Marker = scoreTicks{}
	p.Y.Tick.Marker = scoreTicks{}
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Add(plotter.NewGrid())
	series := []struct {
		name string
		col  color.Color
		get  func(SweepPoint) float64
	}{
		{"recall", color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, func(s SweepPoint) float64 { return s.Recall }},
		{"precision", color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, func(s SweepPoint) float64 { return s.Precision }},
		{"F1", color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, func(s SweepPoint) float64 { return s.F1 }},
		{"false-positive rate", color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, func(s SweepPoint) float64 { return s.FPR }},
	}
	for _, se := range series {
		xy := make(plotter.XYs, len(pts))
		for i, pt := range pts {
			xy[i] = plotter.XY{X: pt.K, Y: se.get(pt)}
		}
		l, sc, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.Color, l.Width = se.col, vg.Points(1.5)
		sc.Color = se.col
		p.Add(l, sc)
		p.Legend.Add(se.name, l, sc)
	}
	mark, err := plotter.NewLine(plotter.XYs{{X: o.DefaultK, Y: 0}, {X: o.DefaultK, Y: 1.02}})
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	mark.Color, mark.Dashes = color.Black, []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(mark)
	p.Legend.Add(fmt.Sprintf("default k = %g", o.DefaultK), mark)
	p.Legend.Top = true
	w, h := Options{Width: o.Width, Height: o.Height}.size()
	return write(path, o.Format, p, w, h)
}
