package plots

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// DefaultBuckets is the number of buckets of a Series made with
// NewSeries(0): runs of up to this many windows are drawn exactly, one bar
// per window.
const DefaultBuckets = 8192

// Series is a plot's input: scored windows in time order, each with its
// start time, its score (the window's log-likelihood) and whether it is an
// alarm. It is fed one window at a time and holds a fixed number of
// buckets, so that a run of any length plots in bounded memory.
//
// While there are no more windows than buckets, every bucket is one
// window. When the buckets are full, neighbours are merged in pairs and
// each bucket from then on takes twice as many windows: a bucket keeps the
// start of its first window, the lowest score of its windows and whether
// any of them was an alarm, so that no alarm and no low score is lost,
// only the resolution of where in the bucket it was.
//
// The zero Series is not usable; make one with NewSeries.
type Series struct {
	buckets []bucket
	max     int // buckets at most; even
	per     int // windows a bucket takes before the next one is started
	windows int // windows added
	alarms  int // of which anomalous
	last    int64
}

// bucket is one or more consecutive windows.
type bucket struct {
	start   int64   // key of the first window: Unix nanoseconds, or an index
	min     float64 // lowest finite score; NaN when none is finite
	windows int32
	alarm   bool // any window anomalous
}

// NewSeries returns an empty series of at most buckets buckets
// (DefaultBuckets when buckets ≤ 0; rounded up to an even number, at
// least 2).
func NewSeries(buckets int) *Series {
	if buckets <= 0 {
		buckets = DefaultBuckets
	}
	buckets = max(2, buckets+buckets%2)
	return &Series{max: buckets, per: 1}
}

// Add appends a window that starts at start, with its score and whether it
// is an alarm. Windows come in time order: one that starts before the
// previous one is taken as starting with it. A NaN or infinite score
// counts as a window but draws no bar.
func (s *Series) Add(start time.Time, score float64, anomalous bool) {
	s.add(start.UnixNano(), score, anomalous)
}

// add appends a window by its key: Unix nanoseconds for a time axis, or
// the window's index.
func (s *Series) add(key int64, score float64, anomalous bool) {
	if s.windows > 0 && key < s.last {
		key = s.last
	}
	s.last = key
	s.windows++
	if anomalous {
		s.alarms++
	}
	if !finite(score) {
		score = math.NaN()
	}
	if n := len(s.buckets); n > 0 && int(s.buckets[n-1].windows) < s.per {
		b := &s.buckets[n-1]
		b.windows++
		b.alarm = b.alarm || anomalous
		b.min = lowest(b.min, score)
		return
	}
	if len(s.buckets) == s.max {
		s.halve()
		// The last bucket is now two full ones: a new one starts below.
	}
	s.buckets = append(s.buckets, bucket{start: key, min: score, windows: 1, alarm: anomalous})
}

// halve merges the buckets in pairs and doubles what a bucket takes.
func (s *Series) halve() {
	for i := 0; i < len(s.buckets)/2; i++ {
		a, b := s.buckets[2*i], s.buckets[2*i+1]
		s.buckets[i] = bucket{start: a.start, min: lowest(a.min, b.min), windows: a.windows + b.windows, alarm: a.alarm || b.alarm}
	}
	s.buckets = s.buckets[:len(s.buckets)/2]
	s.per *= 2
}

// lowest is the lower of two scores, NaN standing for none.
func lowest(a, b float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return min(a, b)
}

// Len returns the number of windows added.
func (s *Series) Len() int { return s.windows }

// Alarms returns the number of anomalous windows added.
func (s *Series) Alarms() int { return s.alarms }

// Exact reports whether every bucket is still one window.
func (s *Series) Exact() bool { return s.per == 1 }

// span returns the keys the bars cover: from the first window's start to
// the last one's plus one mean gap between windows (one unit for a single
// window), so that the last window has a bar as wide as the others.
func (s *Series) span() (from, to int64) {
	if len(s.buckets) == 0 {
		return 0, 1
	}
	from = s.buckets[0].start
	gap := int64(1)
	if s.windows > 1 {
		gap = max(1, (s.last-from)/int64(s.windows-1))
	}
	return from, s.last + gap
}

// Clone returns a copy of s that later windows do not change.
func (s *Series) Clone() *Series {
	c := *s
	c.buckets = append([]bucket(nil), s.buckets...)
	return &c
}

// seriesFormat is the version of MarshalBinary's encoding.
const seriesFormat = 1

// MarshalBinary encodes the series (for a checkpoint): its counts, then
// each bucket's start, lowest score, windows and alarm.
func (s *Series) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 48+21*len(s.buckets))
	b = append(b, seriesFormat)
	for _, v := range []int64{int64(s.max), int64(s.per), int64(s.windows), int64(s.alarms), s.last, int64(len(s.buckets))} {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	for _, k := range s.buckets {
		b = binary.LittleEndian.AppendUint64(b, uint64(k.start))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(k.min))
		b = binary.LittleEndian.AppendUint32(b, uint32(k.windows))
		alarm := byte(0)
		if k.alarm {
			alarm = 1
		}
		b = append(b, alarm)
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded.
func (s *Series) UnmarshalBinary(b []byte) error {
	bad := errors.New("plots: not an encoded series")
	if len(b) < 49 || b[0] != seriesFormat {
		return bad
	}
	var v [6]int64
	for i := range v {
		v[i] = int64(binary.LittleEndian.Uint64(b[1+8*i:]))
	}
	n := v[5]
	if n < 0 || v[0] < 2 || n > v[0] || int64(len(b)) != 49+21*n || v[1] < 1 {
		return bad
	}
	*s = Series{max: int(v[0]), per: int(v[1]), windows: int(v[2]), alarms: int(v[3]), last: v[4], buckets: make([]bucket, n)}
	for i := range s.buckets {
		r := b[49+21*i:]
		s.buckets[i] = bucket{start: int64(binary.LittleEndian.Uint64(r)), min: math.Float64frombits(binary.LittleEndian.Uint64(r[8:])),
			windows: int32(binary.LittleEndian.Uint32(r[16:])), alarm: r[20] == 1}
	}
	return nil
}
