package rootcause

import "testing"

// TestSpan: a span holds the earliest start and the latest end of the
// windows it takes, in any order, and tells a window at the epoch from
// none.
func TestSpan(t *testing.T) {
	for _, tc := range []struct {
		name    string
		windows [][2]int64
		want    Span
	}{
		{"none", nil, Span{}},
		{"one at the epoch", [][2]int64{{0, 0}}, Span{First: 0, Last: 0, N: 1}},
		{"in order", [][2]int64{{10, 20}, {15, 30}, {25, 40}}, Span{First: 10, Last: 40, N: 3}},
		{"out of order", [][2]int64{{25, 40}, {10, 20}, {15, 30}}, Span{First: 10, Last: 40, N: 3}},
		{"before the epoch", [][2]int64{{-5, 3}, {1, 2}}, Span{First: -5, Last: 3, N: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Span
			for _, w := range tc.windows {
				s.add(w[0], w[1])
			}
			if s != tc.want {
				t.Errorf("got %+v, want %+v", s, tc.want)
			}
			if s.Empty() != (len(tc.windows) == 0) {
				t.Errorf("Empty() = %v with %d windows", s.Empty(), len(tc.windows))
			}
		})
	}
}
