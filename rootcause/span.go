package rootcause

// Span is when the first and the last flows of a host's judged windows
// started (Unix nanoseconds); the zero Span holds no window.
type Span struct {
	First int64 `json:"first"`
	Last  int64 `json:"last"`
	// N is the number of windows it spans, so that a span of one flow at
	// the epoch is told from none.
	N int `json:"windows"`
}

// Empty reports whether s holds no window.
func (s Span) Empty() bool { return s.N == 0 }

// add takes a window whose flows started from start to end.
func (s *Span) add(start, end int64) {
	if s.N == 0 || start < s.First {
		s.First = start
	}
	if s.N == 0 || end > s.Last {
		s.Last = end
	}
	s.N++
}
