package plots

import (
	"math"
	"testing"
	"time"
)

func TestSeries(t *testing.T) {
	type want struct {
		start   int64
		min     float64 // NaN: no finite score
		windows int32
		alarm   bool
	}
	type window struct {
		key   int64
		score float64
		alarm bool
	}
	tests := []struct {
		name    string
		buckets int
		add     []window
		want    []want
		exact   bool
	}{
		{
			name: "fewer windows than buckets: one bucket each", buckets: 4,
			add:   []window{{10, -1, false}, {20, -9, true}, {30, -2, false}},
			want:  []want{{10, -1, 1, false}, {20, -9, 1, true}, {30, -2, 1, false}},
			exact: true,
		},
		{
			name: "as many windows as buckets", buckets: 4,
			add:   []window{{1, -1, false}, {2, -2, false}, {3, -3, false}, {4, -4, true}},
			want:  []want{{1, -1, 1, false}, {2, -2, 1, false}, {3, -3, 1, false}, {4, -4, 1, true}},
			exact: true,
		},
		{
			name: "one more: neighbours merged in pairs", buckets: 4,
			add:  []window{{1, -1, false}, {2, -5, true}, {3, -3, false}, {4, -2, false}, {5, -7, false}},
			want: []want{{1, -5, 2, true}, {3, -3, 2, false}, {5, -7, 1, false}},
		},
		{
			name: "merged buckets take two windows each", buckets: 4,
			add: []window{{1, -1, false}, {2, -1, false}, {3, -1, false}, {4, -1, false},
				{5, -1, false}, {6, -8, true}, {7, -1, false}, {8, -1, false}, {9, -3, false}},
			// Full at 8 windows in 4 buckets of 2; the ninth halves them.
			want: []want{{1, -1, 4, false}, {5, -8, 4, true}, {9, -3, 1, false}},
		},
		{
			name: "an odd count rounds up", buckets: 3,
			add:   []window{{1, -1, false}, {2, -2, false}, {3, -3, false}, {4, -4, false}},
			want:  []want{{1, -1, 1, false}, {2, -2, 1, false}, {3, -3, 1, false}, {4, -4, 1, false}},
			exact: true,
		},
		{
			name: "NaN and infinite scores count but have no minimum", buckets: 2,
			add:  []window{{1, math.NaN(), false}, {2, math.Inf(-1), true}, {3, -4, false}},
			want: []want{{1, math.NaN(), 2, true}, {3, -4, 1, false}},
		},
		{
			name: "a window before the previous one starts with it", buckets: 8,
			add:   []window{{100, -1, false}, {50, -2, false}, {120, -3, false}},
			want:  []want{{100, -1, 1, false}, {100, -2, 1, false}, {120, -3, 1, false}},
			exact: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSeries(tc.buckets)
			alarms := 0
			for _, w := range tc.add {
				s.add(w.key, w.score, w.alarm)
				if w.alarm {
					alarms++
				}
			}
			if s.Len() != len(tc.add) || s.Alarms() != alarms {
				t.Errorf("Len, Alarms = %d, %d; want %d, %d", s.Len(), s.Alarms(), len(tc.add), alarms)
			}
			if s.Exact() != tc.exact {
				t.Errorf("Exact = %v, want %v", s.Exact(), tc.exact)
			}
			if len(s.buckets) != len(tc.want) {
				t.Fatalf("%d buckets %+v, want %d", len(s.buckets), s.buckets, len(tc.want))
			}
			for i, w := range tc.want {
				b := s.buckets[i]
				sameMin := b.min == w.min || math.IsNaN(b.min) && math.IsNaN(w.min)
				if b.start != w.start || !sameMin || b.windows != w.windows || b.alarm != w.alarm {
					t.Errorf("bucket %d = %+v, want %+v", i, b, w)
				}
			}
		})
	}
}

// TestSeriesBounded: a long run stays within its buckets, in memory too,
// and keeps its one alarm and its lowest score.
func TestSeriesBounded(t *testing.T) {
	const n, buckets = 1_000_000, 64
	s := NewSeries(buckets)
	t0 := time.Date(2024, 1, 6, 0, 0, 0, 0, time.UTC)
	allocs := testing.AllocsPerRun(1, func() {
		s = NewSeries(buckets)
		for i := range n {
			score, alarm := -5.0, false
			if i == 777_777 {
				score, alarm = -90, true
			}
			s.Add(t0.Add(time.Duration(i)*time.Second), score, alarm)
		}
	})
	if allocs > 10 {
		t.Errorf("%v allocations for %d windows, want a few", allocs, n)
	}
	if len(s.buckets) > buckets || cap(s.buckets) > buckets {
		t.Errorf("%d buckets (capacity %d), want at most %d", len(s.buckets), cap(s.buckets), buckets)
	}
	if s.Len() != n || s.Alarms() != 1 || s.Exact() {
		t.Errorf("Len %d, Alarms %d, Exact %v", s.Len(), s.Alarms(), s.Exact())
	}
	total, found := 0, false
	for i, b := range s.buckets {
		total += int(b.windows)
		if b.alarm {
			found = true
			if b.min != -90 {
				t.Errorf("the alarm's bucket has minimum %v, want -90", b.min)
			}
			// The bucket holds window 777777: it starts at or before it,
			// and the next one after it.
			at := t0.Add(777_777 * time.Second).UnixNano()
			if b.start > at || i+1 < len(s.buckets) && s.buckets[i+1].start <= at {
				t.Errorf("the alarm's bucket starts at %v, the alarm at %v", b.start, at)
			}
		}
	}
	if total != n || !found {
		t.Errorf("buckets hold %d windows, alarm found %v", total, found)
	}
	from, to := s.span()
	if from != t0.UnixNano() || to != t0.Add(n*time.Second).UnixNano() {
		t.Errorf("span %v–%v, want the first window's start to the last's plus one second", from, to)
	}
}

// BenchmarkSeriesAdd is the cost of feeding one window.
func BenchmarkSeriesAdd(b *testing.B) {
	s := NewSeries(0)
	t0 := time.Date(2024, 1, 6, 0, 0, 0, 0, time.UTC)
	i := 0
	for b.Loop() {
		s.Add(t0.Add(time.Duration(i)*time.Millisecond), -float64(i%13), i%1000 == 0)
		i++
	}
}

// TestSeriesEncoding: a series encoded and decoded (a checkpoint) goes on
// as the series it was would; bad encodings are refused.
func TestSeriesEncoding(t *testing.T) {
	a := NewSeries(6)
	for i := range 40 {
		score := -float64(i % 7)
		if i == 11 {
			score = math.NaN()
		}
		a.Add(time.Unix(int64(i), 0), score, i%5 == 0)
		if i != 17 {
			continue
		}
		b, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var c Series
		if err := c.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		a = &c
	}
	want := NewSeries(6)
	for i := range 40 {
		score := -float64(i % 7)
		if i == 11 {
			score = math.NaN()
		}
		want.Add(time.Unix(int64(i), 0), score, i%5 == 0)
	}
	ga, _ := a.MarshalBinary()
	gw, _ := want.MarshalBinary()
	if string(ga) != string(gw) || a.Len() != 40 || a.Alarms() != 8 {
		t.Errorf("decoded and fed on: %d windows, %d alarms, encodings equal %v", a.Len(), a.Alarms(), string(ga) == string(gw))
	}
	c := want.Clone()
	c.Add(time.Unix(99, 0), -1, true)
	if want.Len() != 40 || c.Len() != 41 {
		t.Error("a clone's windows reach the series")
	}
	for _, bad := range [][]byte{nil, gw[:len(gw)-1], append([]byte{9}, gw[1:]...)} {
		var c Series
		if c.UnmarshalBinary(bad) == nil {
			t.Errorf("%d bytes decoded", len(bad))
		}
	}
}
