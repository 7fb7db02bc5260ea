package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WindowScores plots the windows of s in time: the x axis is each window's
// start in UTC, and each window is a bar from its start to the next one's,
// hanging from 0 down to its score: red for an alarm, blue otherwise.
// Where more windows than pixel columns meet, a column shows the lowest of
// them and is red if any is an alarm, so that no alarm vanishes. The
// threshold is a dashed line over the bars (not drawn when NaN or
// infinite), and o.Incidents are shaded behind them, labelled above the
// plot area.
func WindowScores(path string, s *Series, threshold float64, o Options) error {
	return scorePlot(path, s, threshold, o, timeAxis)
}

// TraceScores plots one bar per trace, in time order, hanging from 0 down
// to the trace's summed log-likelihood, with the trace's number on the x
// axis: bars below the threshold red, the others blue.
//
// Deprecated: WindowScores puts the bars in time; TraceScores is kept for
// callers that do not have the windows' start times yet.
func TraceScores(path string, scores []float64, threshold float64, o Options) error {
	s := NewSeries(0)
	for i, v := range scores {
		s.add(int64(i), v, v < threshold)
	}
	o.Incidents = nil
	return scorePlot(path, s, threshold, o, indexAxis)
}

// axisKind is what a Series' keys are.
type axisKind int

const (
	timeAxis  axisKind = iota // Unix nanoseconds; x is seconds since the first window
	indexAxis                 // window numbers; x is the number
)

func scorePlot(path string, s *Series, threshold float64, o Options, axis axisKind) error {
	if err := o.Format.check(); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	p := plot.New()
	p.Title.Text = o.Title
	p.Y.Label.Text = "log-likelihood (sum of ln P)"
	p.Y.Tick.Marker = scoreTicks{}
	from, to := s.span()
	bars := &barPlotter{s: s, threshold: threshold, axis: axis, origin: from}
	if axis == indexAxis {
		bars.origin = 0
		p.X.Label.Text = "trace (window start, time order)"
		p.X.Tick.Marker = integerTicks{}
	} else {
		w, _ := o.pixels()
		p.X.Label.Text = "window start (UTC)"
		p.X.Tick.Marker = timeTicks{origin: from, labels: max(2, w/150)}
		if to-from < int64(minTimeSpan) {
			bars.end = from + int64(minTimeSpan)
		}
	}
	p.Add(plotter.NewGrid())
	var shade *incidentPlotter
	if axis == timeAxis && len(o.Incidents) > 0 {
		shade = newIncidentPlotter(o.Incidents, bars.origin)
		p.Add(shade)
		if p.Title.Text == "" {
			p.Title.Text = " " // the labels go between the title and the plot
		}
		p.Title.Padding += shade.laneHeight()
	}
	// The plot's ranges are taken as plotters are added: the bars' room
	// for the legend is set before.
	entries := 2 // normal, below threshold
	if finite(threshold) {
		entries++
	}
	if shade != nil {
		entries++
	}
	_, h := o.size()
	bars.headroom = headroom(p, h, entries)
	p.Add(bars)
	normal := s.Len() - s.Alarms()
	p.Legend.Add(fmt.Sprintf("normal (%d)", normal), swatch{normalColor})
	p.Legend.Add(fmt.Sprintf("alarm (%d)", s.Alarms()), swatch{anomalyColor})
	if finite(threshold) {
		line := thresholdLine{y: threshold}
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("threshold %s", formatScore(threshold, 0.1)), line)
	}
	if shade != nil {
		p.Legend.Add(fmt.Sprintf("incidents (%d)", len(o.Incidents)), swatch{incidentColor})
	}
	if s.Len() == 0 {
		p.Title.Text += " (no traces)"
	}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YPosition = draw.PosBottom
	w, _ := o.size()
	return write(path, o.Format, p, w, h, bars)
}

// headroom returns the part of the score axis that a legend of entries
// lines needs below the bars on a plot h high: about the legend's height over the data
// area's, so that a short plot's legend does not cover the bars, and at
// least the 23 % a plot of the default size needs.
func headroom(p *plot.Plot, h vg.Length, entries int) float64 {
	line := p.Legend.TextStyle.Height("Ag")
	legend := vg.Length(entries)*line + vg.Points(8)
	// The title, the incident labels and the time axis (two lines of
	// tick labels, the axis label, ticks and padding) take the rest.
	other := p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding + vg.Points(60)
	data := h - other
	if data <= legend {
		return maxHeadroom
	}
	return min(max(float64(legend/data)+0.04, minHeadroom), maxHeadroom)
}

// The least and the most of the score axis left to the legend.
const minHeadroom, maxHeadroom = 0.23, 0.6

// minTimeSpan is the narrowest time axis: a run of windows that all start
// within it is drawn over this much time.
const minTimeSpan = 1e9 // a second, in nanoseconds

// barPlotter draws the window bars of a series.
type barPlotter struct {
	s         *Series
	threshold float64
	axis      axisKind
	origin    int64 // the key at x = 0
	end       int64 // when past the series' own span, the key the axis ends at
	// headroom is the part of the score axis left below the lowest bar
	// for the legend; minHeadroom when 0.
	headroom float64
	// px, when set, is the image the plot is rendered into: bars are
	// filled there directly. Through the canvas each bar is a polygon for
	// the anti-aliasing rasteriser, a third of a plot's time for what are
	// rectangles of whole pixels.
	px *pixels
}

func (b *barPlotter) useImage(px *pixels) { b.px = px }

// x maps a key to the x axis.
func (b *barPlotter) x(key int64) float64 {
	d := float64(key - b.origin)
	if b.axis == timeAxis {
		return d / 1e9
	}
	return d
}

func (b *barPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = 0, 0
	for _, k := range b.s.buckets {
		if finite(k.min) {
			ymin = min(ymin, k.min)
			ymax = max(ymax, k.min)
		}
	}
	if finite(b.threshold) {
		ymin = min(ymin, b.threshold)
	}
	if ymin == ymax {
		ymin = ymax - 1
	}
	from, to := b.s.span()
	// Headroom below the lowest bar holds the legend.
	hr := b.headroom
	if hr <= 0 {
		hr = minHeadroom
	}
	return b.x(from), b.x(max(to, b.end)), ymin / (1 - hr), ymax
}

// column is what one pixel column of bars shows.
type column struct {
	min   float64 // lowest score; NaN for no bar
	alarm bool
}

func (b *barPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	cols := b.columns(c, p)
	_, trY := p.Transforms(&c)
	y0 := trY(0)
	var clip image.Rectangle
	if b.px != nil {
		clip = image.Rect(b.px.x(c.Min.X), b.px.y(c.Min.Y), b.px.x(c.Max.X), b.px.y(c.Max.Y))
	}
	colX := func(i int) vg.Length { return c.Min.X + vg.Length(i)*onePixel }
	colour := func(col column) color.RGBA {
		if col.alarm {
			return anomalyColor
		}
		return normalColor
	}
	if b.px != nil {
		// Neighbouring columns that show the same are one rectangle.
		for i := 0; i < len(cols); {
			j := i + 1
			for j < len(cols) && cols[j] == cols[i] {
				j++
			}
			if !math.IsNaN(cols[i].min) {
				b.px.fill(colX(i), y0, colX(j), trY(cols[i].min), colour(cols[i]), clip)
			}
			i = j
		}
		return
	}
	// On a canvas, each run of bars of one colour is one polygon, stepping
	// along the bars' tips: bars side by side as separate shapes show
	// seams where their anti-aliased edges meet (in SVG viewers), and an
	// SVG of one shape per run is small.
	for i := 0; i < len(cols); {
		if math.IsNaN(cols[i].min) {
			i++
			continue
		}
		pts := []vg.Point{{X: colX(i), Y: y0}}
		j := i
		for j < len(cols) && !math.IsNaN(cols[j].min) && cols[j].alarm == cols[i].alarm {
			k := j + 1
			for k < len(cols) && cols[k] == cols[j] {
				k++
			}
			ys := trY(cols[j].min)
			pts = append(pts, vg.Point{X: colX(j), Y: ys}, vg.Point{X: colX(k), Y: ys})
			j = k
		}
		pts = append(pts, vg.Point{X: colX(j), Y: y0})
		c.FillPolygon(colour(cols[i]), pts)
		i = j
	}
}

// columns folds the buckets into the pixel columns of the data area: each
// bucket covers the columns from its start to the next bucket's (at least
// one), and a column shows the lowest score of the buckets that cover it,
// as an alarm if any of them is one.
func (b *barPlotter) columns(c draw.Canvas, p *plot.Plot) []column {
	n := max(1, int(math.Ceil(float64((c.Max.X-c.Min.X)/onePixel))))
	cols := make([]column, n)
	for i := range cols {
		cols[i].min = math.NaN()
	}
	trX, _ := p.Transforms(&c)
	at := func(key int64) float64 { return float64((trX(b.x(key)) - c.Min.X) / onePixel) }
	_, to := b.s.span()
	bs := b.s.buckets
	for i, k := range bs {
		end := to
		if i+1 < len(bs) {
			end = bs[i+1].start
		}
		lo := int(math.Floor(at(k.start)))
		hi := max(lo+1, int(math.Ceil(at(end))))
		lo, hi = max(lo, 0), min(hi, n)
		for x := lo; x < hi; x++ {
			cols[x].min = lowest(cols[x].min, k.min)
			cols[x].alarm = cols[x].alarm || k.alarm
		}
	}
	return cols
}

// thresholdLine is the threshold across the data area: a dashed dark line
// on a white halo, drawn over the bars.
type thresholdLine struct{ y float64 }

func (t thresholdLine) styles() (halo, line draw.LineStyle) {
	halo = draw.LineStyle{Color: haloColor, Width: vg.Points(4)}
	line = draw.LineStyle{Color: thresholdColor, Width: vg.Points(1.75), Dashes: []vg.Length{vg.Points(7), vg.Points(4)}}
	return halo, line
}

func (t thresholdLine) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	y := trY(t.y)
	halo, line := t.styles()
	c.StrokeLine2(halo, c.Min.X, y, c.Max.X, y)
	c.StrokeLine2(line, c.Min.X, y, c.Max.X, y)
}

func (t thresholdLine) Thumbnail(c *draw.Canvas) {
	y := (c.Min.Y + c.Max.Y) / 2
	halo, line := t.styles()
	c.StrokeLine2(halo, c.Min.X, y, c.Max.X, y)
	c.StrokeLine2(line, c.Min.X, y, c.Max.X, y)
}
