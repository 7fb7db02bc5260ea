package plots

import (
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
)

// timeTicks marks a time axis whose x is seconds since origin (Unix
// nanoseconds) at round UTC times: the smallest step of timeSteps that
// gives at most labels labelled ticks, with unlabelled ones between. Every
// plot labels the same step the same way (timeStep.layout); below a day,
// the first label and each one on a new day also give the date.
type timeTicks struct {
	origin int64
	labels int
}

// timeStep is one choice of major tick step: a duration, or whole
// calendar months; minor ticks divide it in minor parts.
type timeStep struct {
	d      time.Duration
	months int
	minor  int
	layout string
}

const (
	day = 24 * time.Hour
	// Layouts of the labels by step.
	layoutMillis  = "15:04:05.000"
	layoutSeconds = "15:04:05"
	layoutMinutes = "15:04"
	layoutDays    = "2006-01-02"
	layoutMonths  = "2006-01"
	layoutDate    = "2006-01-02" // the second line of a sub-day label
)

// timeSteps are the steps, shortest first. Steps below a day divide a day,
// so that ticks fall on the same times of every day.
var timeSteps = []timeStep{
	{d: time.Millisecond, minor: 5, layout: layoutMillis},
	{d: 2 * time.Millisecond, minor: 4, layout: layoutMillis},
	{d: 5 * time.Millisecond, minor: 5, layout: layoutMillis},
	{d: 10 * time.Millisecond, minor: 5, layout: layoutMillis},
	{d: 20 * time.Millisecond, minor: 4, layout: layoutMillis},
	{d: 50 * time.Millisecond, minor: 5, layout: layoutMillis},
	{d: 100 * time.Millisecond, minor: 5, layout: layoutMillis},
	{d: 200 * time.Millisecond, minor: 4, layout: layoutMillis},
	{d: 500 * time.Millisecond, minor: 5, layout: layoutMillis},
	{d: time.Second, minor: 5, layout: layoutSeconds},
	{d: 2 * time.Second, minor: 4, layout: layoutSeconds},
	{d: 5 * time.Second, minor: 5, layout: layoutSeconds},
	{d: 10 * time.Second, minor: 5, layout: layoutSeconds},
	{d: 15 * time.Second, minor: 3, layout: layoutSeconds},
	{d: 30 * time.Second, minor: 6, layout: layoutSeconds},
	{d: time.Minute, minor: 4, layout: layoutMinutes},
	{d: 2 * time.Minute, minor: 4, layout: layoutMinutes},
	{d: 5 * time.Minute, minor: 5, layout: layoutMinutes},
	{d: 10 * time.Minute, minor: 5, layout: layoutMinutes},
	{d: 15 * time.Minute, minor: 3, layout: layoutMinutes},
	{d: 30 * time.Minute, minor: 6, layout: layoutMinutes},
	{d: time.Hour, minor: 4, layout: layoutMinutes},
	{d: 2 * time.Hour, minor: 4, layout: layoutMinutes},
	{d: 3 * time.Hour, minor: 3, layout: layoutMinutes},
	{d: 6 * time.Hour, minor: 6, layout: layoutMinutes},
	{d: 12 * time.Hour, minor: 4, layout: layoutMinutes},
	{d: day, minor: 4, layout: layoutDays},
	{d: 2 * day, minor: 2, layout: layoutDays},
	{d: 7 * day, minor: 7, layout: layoutDays},
	{d: 14 * day, minor: 2, layout: layoutDays},
	{months: 1, minor: 1, layout: layoutMonths},
	{months: 2, minor: 2, layout: layoutMonths},
	{months: 3, minor: 3, layout: layoutMonths},
	{months: 6, minor: 6, layout: layoutMonths},
	{months: 12, minor: 4, layout: "2006"},
	{months: 24, minor: 2, layout: "2006"},
	{months: 60, minor: 5, layout: "2006"},
	{months: 120, minor: 2, layout: "2006"},
	{months: 600, minor: 5, layout: "2006"},
}

// Ticks implements plot.Ticker.
func (t timeTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !finite(lo) || !finite(hi) {
		return nil
	}
	from := t.origin + int64(math.Floor(lo*1e9))
	to := t.origin + int64(math.Ceil(hi*1e9))
	span := to - from
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if s.months == 0 && span/int64(s.d) < int64(t.labels) {
			step = s
			break
		}
		if s.months > 0 && span/int64(s.months*31*int(day)) < int64(t.labels) {
			step = s
			break
		}
	}
	x := func(ns int64) float64 { return float64(ns-t.origin) / 1e9 }
	var ticks []plot.Tick
	prevDate := ""
	major := func(ns int64) {
		tm := time.Unix(0, ns).UTC()
		label := tm.Format(step.layout)
		if step.months == 0 && step.d < day {
			if date := tm.Format(layoutDate); date != prevDate {
				label += "\n" + date
				prevDate = date
			}
		}
		ticks = append(ticks, plot.Tick{Value: x(ns), Label: label})
	}
	minor := func(ns int64) { ticks = append(ticks, plot.Tick{Value: x(ns)}) }
	if step.months == 0 {
		d := int64(step.d)
		sub := d / int64(step.minor)
		// Steps divide a day, so multiples of them since the epoch fall on
		// the same times of every UTC day.
		first := floorDiv(from, sub) * sub
		for ns := first; ns <= to; ns += sub {
			if ns < from {
				continue
			}
			if ns%d == 0 {
				major(ns)
			} else {
				minor(ns)
			}
		}
		return ticks
	}
	// Calendar months: majors on months that are multiples of the step
	// since year 0, minors on the months between.
	tm := time.Unix(0, from).UTC()
	m := time.Date(tm.Year(), tm.Month(), 1, 0, 0, 0, 0, time.UTC)
	sub := step.months / step.minor
	for ; m.UnixNano() <= to; m = m.AddDate(0, 1, 0) {
		ns := m.UnixNano()
		idx := m.Year()*12 + int(m.Month()) - 1
		switch {
		case ns < from:
		case idx%step.months == 0:
			major(ns)
		case idx%sub == 0:
			minor(ns)
		}
	}
	return ticks
}

// floorDiv is a / b rounded down, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// scoreTicks marks the score axis where gonum's default ticker does, with
// every label given the same number of decimals, the fewest that tell
// neighbouring ticks apart.
type scoreTicks struct{}

// Ticks implements plot.Ticker.
func (scoreTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	var labelled []float64
	for _, t := range ticks {
		if t.Label != "" {
			labelled = append(labelled, t.Value)
		}
	}
	step := math.Inf(1)
	for i := 1; i < len(labelled); i++ {
		step = min(step, labelled[i]-labelled[i-1])
	}
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = formatScore(ticks[i].Value, step)
		}
	}
	return ticks
}

// formatScore writes v with the decimals that a resolution of step needs
// (none for a step of 1 or more), and no "-0".
func formatScore(v, step float64) string {
	dec := 0
	if step > 0 && step < 1 && finite(step) {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == 0 {
		s = strconv.FormatFloat(0, 'f', dec, 64)
	}
	return s
}

// integerTicks labels trace numbers without decimals.
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(math.Round(ticks[i].Value), 'f', 0, 64)
		}
	}
	return ticks
}
