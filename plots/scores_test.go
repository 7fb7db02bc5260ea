package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"testing"
	"time"
)

var day0 = time.Date(2024, 1, 6, 0, 0, 0, 0, time.UTC)

// twoDays is a series of n windows evenly over two days from day0, scores
// between -5 and -30, with alarms (score -60) for the windows that start
// within the given hours of the first day.
func twoDays(n int, alarmFrom, alarmTo float64) *Series {
	s := NewSeries(0)
	step := 2 * day / time.Duration(n)
	for i := range n {
		start := day0.Add(time.Duration(i) * step)
		h := start.Sub(day0).Hours()
		score, alarm := -5-float64(i%26), false
		if h >= alarmFrom && h < alarmTo {
			score, alarm = -60, true
		}
		s.Add(start, score, alarm)
	}
	return s
}

// columnsWith returns the x of the columns of img's rectangle r that have
// at least one pixel near colour c.
func columnsWith(img image.Image, r image.Rectangle, c color.RGBA) []int {
	return columnsWhere(img, r, func(p color.RGBA) bool { return near(p, c) })
}

// columnsWhere returns the x of the columns of img's rectangle r that have
// at least one pixel for which is is true.
func columnsWhere(img image.Image, r image.Rectangle, is func(color.RGBA) bool) []int {
	var xs []int
	for x := r.Min.X; x < r.Max.X; x++ {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			if is(at(img, x, y)) {
				xs = append(xs, x)
				break
			}
		}
	}
	return xs
}

// TestWindowScoresTime: bars are placed by time. Alarms in a stretch of
// hours appear red at that stretch's place on the axis, however many
// windows share a pixel column.
func TestWindowScoresTime(t *testing.T) {
	tests := []struct {
		name     string
		windows  int
		from, to float64 // alarm hours of the first day
	}{
		{"fewer windows than columns", 600, 12, 14},
		{"about two windows a column", 2400, 12, 14},
		{"more windows than buckets", 50_000, 12, 14},
		{"one short alarm among many windows", 200_000, 36, 36.02},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "p.png")
			if err := WindowScores(path, twoDays(tc.windows, tc.from, tc.to), -40, Options{Title: tc.name}); err != nil {
				t.Fatal(err)
			}
			img := decode(t, path)
			// The data area's left and right ends: where the bars start
			// and end on the row just below the top (score 0 is the top).
			ink := columnsWith(img, image.Rect(0, 40, 1200, 60), normalColor)
			if len(ink) == 0 {
				t.Fatal("no blue bars")
			}
			left, right := ink[0], ink[len(ink)-1]+1
			if left > 120 || right < 1100 {
				t.Fatalf("bars span columns %d–%d, want most of the width", left, right)
			}
			red := columnsWith(img, image.Rect(left, 30, right, 480), anomalyColor)
			if len(red) == 0 {
				t.Fatal("no red bars")
			}
			// Where the alarm hours fall on the two-day axis, within a
			// pixel either side (the axis ends one window after the last).
			width := float64(right - left)
			span := 48.0
			wantLo := left + int(math.Floor(tc.from/span*width)) - 1
			wantHi := left + int(math.Ceil(tc.to/span*width)) + 1
			if red[0] < wantLo || red[len(red)-1] > wantHi {
				t.Errorf("red columns %d–%d, want within %d–%d", red[0], red[len(red)-1], wantLo, wantHi)
			}
		})
	}
}

// TestThresholdVisibleOverAlarms: where every window is an alarm (the
// plot solid red), the threshold line still shows across the red, dark on
// its light halo.
func TestThresholdVisibleOverAlarms(t *testing.T) {
	s := NewSeries(0)
	for i := range 3000 {
		s.Add(day0.Add(time.Duration(i)*time.Minute), -80-float64(i%9), true)
	}
	path := filepath.Join(t.TempDir(), "p.png")
	if err := WindowScores(path, s, -40, Options{Title: "all alarms"}); err != nil {
		t.Fatal(err)
	}
	img := decode(t, path)
	// The threshold's row: the row inside the red area with the most dark
	// pixels.
	best, bestDark := -1, 0
	for y := 40; y < 400; y++ {
		dark := 0
		for x := 100; x < 1100; x++ {
			if near(at(img, x, y), thresholdColor) {
				dark++
			}
		}
		if dark > bestDark {
			best, bestDark = y, dark
		}
	}
	// The dashes cover 7 of every 11 points across about 1000 columns.
	if bestDark < 400 {
		t.Fatalf("darkest row %d has %d threshold-coloured pixels, want a dashed line across", best, bestDark)
	}
	// It is within the red bars, with red above and below it beyond the
	// halo.
	for _, y := range []int{best - 6, best + 6} {
		if red := count(img, image.Rect(100, y, 1100, y+1), anomalyColor); red < 900 {
			t.Errorf("row %d has %d red pixels: the line is not over the bars", y, red)
		}
	}
	// The halo: light pixels just above or below the line.
	halo := count(img, image.Rect(100, best-3, 1100, best-1), haloColor) + count(img, image.Rect(100, best+2, 1100, best+4), haloColor)
	if halo < 1000 {
		t.Errorf("%d halo pixels around the line, want it outlined", halo)
	}
}

// TestIncidentsShaded: an incident is shaded at its time, behind the bars
// (below their tips), however short it is.
func TestIncidentsShaded(t *testing.T) {
	s := twoDays(2000, 100, 100) // no alarms
	incidents := []Span{
		{From: day0.Add(12 * time.Hour), To: day0.Add(18 * time.Hour), Label: "outbound 192.0.2.14:443"},
		{From: day0.Add(38 * time.Hour), To: day0.Add(38*time.Hour + 4*time.Second), Label: "port scan of 10.1.0.13"},
	}
	path := filepath.Join(t.TempDir(), "p.png")
	if err := WindowScores(path, s, -40, Options{Title: "incidents", Incidents: incidents}); err != nil {
		t.Fatal(err)
	}
	img := decode(t, path)
	ink := columnsWith(img, image.Rect(0, 80, 1200, 100), normalColor)
	left, right := ink[0], ink[len(ink)-1]+1
	width := float64(right - left)
	// The shade over white: incidentColor over the background.
	a := float64(incidentColor.A) / 255
	blend := func(c uint8) uint8 { return uint8(math.Round(float64(c)*a + 255*(1-a))) }
	shade := color.RGBA{R: blend(incidentColor.R), G: blend(incidentColor.G), B: blend(incidentColor.B), A: 0xff}
	isShade := func(p color.RGBA) bool {
		d := func(a, b uint8) bool { return int(a)-int(b) <= 4 && int(b)-int(a) <= 4 }
		return d(p.R, shade.R) && d(p.G, shade.G) && d(p.B, shade.B)
	}
	// Below the bars' tips (scores reach -30; the axis goes to -78), left
	// of the legend.
	cols := columnsWhere(img, image.Rect(left, 380, 1000, 400), isShade)
	in := func(x int, fromH, toH float64) bool {
		return x >= left+int(fromH/48*width)-2 && x <= left+int(toH/48*width)+2
	}
	var first, second int
	for _, x := range cols {
		switch {
		case in(x, 12, 18):
			first++
		case in(x, 38, 38):
			second++
		default:
			t.Errorf("shade at column %d, outside both incidents", x)
		}
	}
	if want := int(6.0 / 48 * width); first < want-2 {
		t.Errorf("first incident shaded over %d columns, want about %d", first, want)
	}
	if second < 2 {
		t.Errorf("the four-second incident shaded over %d columns, want at least 2", second)
	}
}

func TestWindowScoresErrors(t *testing.T) {
	dir := t.TempDir()
	if err := WindowScores(filepath.Join(dir, "p.gif"), twoDays(10, 0, 0), -40, Options{Format: "gif"}); err == nil {
		t.Error("format gif: no error")
	}
	if err := WindowScores(filepath.Join(dir, "missing", "p.png"), twoDays(10, 0, 0), -40, Options{}); err == nil {
		t.Error("write into a missing folder: no error")
	}
	// Degenerate series draw without error.
	one := NewSeries(0)
	one.Add(day0, -3, false)
	for name, s := range map[string]*Series{"empty": NewSeries(0), "one window": one} {
		for _, f := range Formats() {
			if err := WindowScores(filepath.Join(dir, name+f.Ext()), s, math.NaN(), Options{Format: f}); err != nil {
				t.Errorf("%s %s: %v", name, f, err)
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		ok   bool
	}{
		{"png", PNG, true}, {"SVG", SVG, true}, {" svg ", SVG, true},
		{"", "", false}, {"gif", "", false}, {"pngg", "", false},
	}
	for _, tc := range tests {
		got, err := ParseFormat(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if PNG.Ext() != ".png" || SVG.Ext() != ".svg" || Format("").Ext() != ".png" {
		t.Error("Ext: want .png, .svg, and .png for the default")
	}
}

// BenchmarkWindowScores draws the monitor plot of a small service (1222
// windows, as the shipped example's 10.1.0.12) and of a busy one (150k),
// in both formats.
func BenchmarkWindowScores(b *testing.B) {
	for _, n := range []int{1222, 150_000} {
		s := twoDays(n, 2, 5)
		incidents := []Span{{From: day0.Add(2 * time.Hour), To: day0.Add(5 * time.Hour), Label: "outbound 192.0.2.14:443"}}
		for _, f := range Formats() {
			b.Run(fmt.Sprintf("windows=%d/%s", n, f), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "p"+f.Ext())
				b.ReportAllocs()
				for b.Loop() {
					if err := WindowScores(path, s, -40, Options{Title: "bench", Format: f, Incidents: incidents}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
