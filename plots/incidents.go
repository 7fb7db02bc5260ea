package plots

import (
	"cmp"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// maxLanes is how many rows of incident labels a plot has above its data
// area: labels of incidents close in time go to different rows.
const maxLanes = 3

// minShade is the narrowest an incident is shaded: a port scan of a few
// seconds on an axis of days is still seen.
const minShade = 3 * onePixel

var markerColor = color.RGBA{R: 0xb0, G: 0x6a, B: 0x00, A: 0xff}

// incidentPlotter shades incidents behind the bars and labels them above
// the data area, each label starting at its incident, with a marker down
// to it.
type incidentPlotter struct {
	spans []incidentSpan
	style draw.TextStyle
	lanes int
}

type incidentSpan struct {
	from, to float64 // x: seconds since the origin
	label    string
}

func newIncidentPlotter(spans []Span, origin int64) *incidentPlotter {
	ip := &incidentPlotter{lanes: min(len(spans), maxLanes)}
	for _, s := range spans {
		from, to := s.From.UnixNano(), s.To.UnixNano()
		if to < from {
			from, to = to, from
		}
		ip.spans = append(ip.spans, incidentSpan{
			from:  float64(from-origin) / 1e9,
			to:    float64(to-origin) / 1e9,
			label: s.Label,
		})
	}
	// Left to right, so that labels fill the lanes in time order.
	slices.SortStableFunc(ip.spans, func(a, b incidentSpan) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	ip.style = draw.TextStyle{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, 9),
		Handler: plot.DefaultTextHandler,
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
	}
	return ip
}

// labelGap is the least room between two labels of a lane.
const labelGap = vg.Length(6)

// place finds where a label of width w for an incident at xa goes: in the
// first lane where it fits at xa (moved left to stay inside [minX, maxX]),
// else in the lane where it can start soonest after xa, moved right past
// that lane's last label; ok is false when no lane has room, so that
// labels never overlap.
func (ip *incidentPlotter) place(right []vg.Length, xa, w, minX, maxX vg.Length) (x vg.Length, lane int, ok bool) {
	x = max(min(xa, maxX-w), minX)
	for l := range right {
		if right[l]+labelGap <= x {
			return x, l, true
		}
	}
	lane = 0
	for l := range right {
		if right[l] < right[lane] {
			lane = l
		}
	}
	x = right[lane] + labelGap
	if x+w > maxX {
		return 0, 0, false
	}
	return x, lane, true
}

func (ip *incidentPlotter) lineHeight() vg.Length { return ip.style.Height("Ag") + vg.Points(2) }

// laneHeight is the room the labels take above the data area.
func (ip *incidentPlotter) laneHeight() vg.Length {
	return vg.Length(ip.lanes)*ip.lineHeight() + vg.Points(4)
}

func (ip *incidentPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = ip.spans[0].from, ip.spans[0].to
	for _, s := range ip.spans {
		xmin, xmax = min(xmin, s.from), max(xmax, s.to)
	}
	return xmin, xmax, 0, 0
}

func (ip *incidentPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	right := make([]vg.Length, ip.lanes) // where each lane's last label ends
	for i := range right {
		right[i] = c.Min.X - vg.Inch
	}
	marker := draw.LineStyle{Color: markerColor, Width: vg.Points(1)}
	for _, s := range ip.spans {
		xa, xb := trX(s.from), trX(s.to)
		if xb-xa < minShade {
			mid := (xa + xb) / 2
			xa, xb = mid-minShade/2, mid+minShade/2
		}
		xa, xb = max(xa, c.Min.X), min(xb, c.Max.X)
		c.FillPolygon(incidentColor, []vg.Point{{X: xa, Y: c.Min.Y}, {X: xa, Y: c.Max.Y}, {X: xb, Y: c.Max.Y}, {X: xb, Y: c.Min.Y}})
		if s.label == "" {
			continue
		}
		w := ip.style.Width(s.label)
		x, lane, ok := ip.place(right, xa, w, c.Min.X, c.Max.X)
		if !ok {
			continue // no room left: the shade stays, unlabelled, rather than over another label
		}
		right[lane] = x + w
		y := c.Max.Y + vg.Points(3) + vg.Length(lane)*ip.lineHeight()
		c.StrokeLine2(marker, xa, c.Max.Y, xa, y)
		if x > xa+vg.Points(1) {
			// Moved right of its incident: a leader joins them.
			c.StrokeLine2(marker, xa, y, x, y)
		}
		c.FillText(ip.style, vg.Point{X: x, Y: y}, s.label)
	}
}
