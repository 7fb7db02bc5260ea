package plots

import (
	"slices"
	"testing"
	"time"
)

// TestTimeTicks: the labels of a time axis, by the span it covers: round
// UTC times, the format fixed by the step, the date under the first label
// and under each new day's.
func TestTimeTicks(t *testing.T) {
	tests := []struct {
		name     string
		from, to time.Time
		labels   int
		want     []string // the labelled ticks
		minor    int      // unlabelled ticks
	}{
		{
			name: "two days in 12 hours", from: day0, to: day0.Add(48 * time.Hour), labels: 8,
			want:  []string{"00:00\n2024-01-06", "12:00", "00:00\n2024-01-07", "12:00", "00:00\n2024-01-08"},
			minor: 12,
		},
		{
			name: "an afternoon in hours, from a round hour on", labels: 8,
			from: day0.Add(13*time.Hour + 20*time.Minute), to: day0.Add(18*time.Hour + 5*time.Minute),
			want:  []string{"14:00\n2024-01-06", "15:00", "16:00", "17:00", "18:00"},
			minor: 14,
		},
		{
			name: "across midnight", labels: 8,
			from: day0.Add(-2 * time.Hour), to: day0.Add(2 * time.Hour),
			want:  []string{"22:00\n2024-01-05", "23:00", "00:00\n2024-01-06", "01:00", "02:00"},
			minor: 12,
		},
		{
			name: "a port scan's seconds", labels: 8,
			from: day0.Add(2*time.Hour + 14*time.Minute + 28*time.Second), to: day0.Add(2*time.Hour + 14*time.Minute + 33*time.Second),
			want:  []string{"02:14:28\n2024-01-06", "02:14:29", "02:14:30", "02:14:31", "02:14:32", "02:14:33"},
			minor: 20,
		},
		{
			name: "below a second", labels: 4,
			from: day0, to: day0.Add(time.Second),
			want:  []string{"00:00:00.000\n2024-01-06", "00:00:00.500", "00:00:01.000"},
			minor: 8,
		},
		{
			name: "a month in weeks since the epoch", labels: 8,
			from: day0, to: day0.Add(31 * day),
			want:  []string{"2024-01-11", "2024-01-18", "2024-01-25", "2024-02-01"},
			minor: 28,
		},
		{
			name: "a year in quarters", labels: 5,
			from: time.Date(2023, 11, 20, 0, 0, 0, 0, time.UTC), to: time.Date(2024, 11, 20, 0, 0, 0, 0, time.UTC),
			want:  []string{"2024-01", "2024-04", "2024-07", "2024-10"},
			minor: 8,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			origin := tc.from.Add(-time.Hour).UnixNano() // any origin
			x := func(tm time.Time) float64 { return float64(tm.UnixNano()-origin) / 1e9 }
			ticks := timeTicks{origin: origin, labels: tc.labels}.Ticks(x(tc.from), x(tc.to))
			var got []string
			minor := 0
			for i, tk := range ticks {
				if i > 0 && tk.Value <= ticks[i-1].Value {
					t.Errorf("tick %d at %v after %v", i, tk.Value, ticks[i-1].Value)
				}
				if tk.Value < x(tc.from)-1e-6 || tk.Value > x(tc.to)+1e-6 {
					t.Errorf("tick %q at %v outside %v–%v", tk.Label, tk.Value, x(tc.from), x(tc.to))
				}
				if tk.Label == "" {
					minor++
				} else {
					got = append(got, tk.Label)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("labels\n%q\nwant\n%q", got, tc.want)
			}
			if minor != tc.minor {
				t.Errorf("%d minor ticks, want %d", minor, tc.minor)
			}
		})
	}
	if ticks := (timeTicks{labels: 8}).Ticks(5, 5); ticks != nil {
		t.Errorf("an empty range has ticks %v", ticks)
	}
}

// TestScoreTicks: every label of an axis has the same decimals, the fewest
// that tell its ticks apart, and zero is never "-0".
func TestScoreTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   []string
	}{
		{-80, 0, []string{"-80", "-40", "0"}},
		{-1.3, 0, []string{"-1.2", "-0.8", "-0.4", "0.0"}},
		{0, 1.02, []string{"0.0", "0.5", "1.0"}},
	}
	for _, tc := range tests {
		var got []string
		for _, tk := range (scoreTicks{}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Ticks(%v, %v) labels %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
	for _, tc := range []struct {
		v, step float64
		want    string
	}{{-39.49, 0.1, "-39.5"}, {-39.49, 1, "-39"}, {-0.001, 0.1, "0.0"}, {-0.04, 0.01, "-0.04"}, {3, 0, "3"}} {
		if got := formatScore(tc.v, tc.step); got != tc.want {
			t.Errorf("formatScore(%v, %v) = %q, want %q", tc.v, tc.step, got, tc.want)
		}
	}
}
