// Package stream brings flows to the live monitor as they come: the
// sources it reads (standard input, a file followed across rotation, a
// folder of rotated files, Kafka partitions), the message formats a Kafka
// record may carry (goflow2's protobuf and JSON, any format of package
// flows, and the records that "monitor route" re-keys by unit), and event
// time: a bounded reorder buffer per unit behind a watermark, so that
// windows are formed in start-time order although collectors export flows
// when they end.
package stream

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/netip"
	"time"

	"github.com/netflow-monitor/monitor/flows"
)

// Reorder puts one unit's flows back in start-time order. A flow waits in
// the buffer until the watermark (the latest start seen in its domain, less
// the lateness bound) passes its start; flows with the same start leave in
// the order they came, as a stable sort would put them. A flow that starts
// before the watermark when it comes is late: it cannot be put in order
// any more, and the caller counts it and reports it. When more than Max
// flows wait, the earliest leaves at once (counted as Forced), which bounds
// the memory of a unit whatever its traffic: a flow waits in 96 bytes (its
// ID and label, which no detector reads, are not kept).
type Reorder struct {
	max   int
	items []item // a binary min-heap by (Start, seq)
	seq   uint64
	// Forced counts flows released early because the buffer was full.
	Forced int
}

// item is a waiting flow, without its ID and label, and its place in the
// order flows came.
type item struct {
	start            int64
	duration         float64
	src, dst         netip.Addr
	srcPort, dstPort uint16
	proto            flows.Protocol
	bytes, packets   uint64
	seq              uint64
}

func (a *item) less(b *item) bool {
	return a.start < b.start || a.start == b.start && a.seq < b.seq
}

func itemOf(f *flows.Flow, seq uint64) item {
	return item{start: f.Start, duration: f.Duration, src: f.Src, dst: f.Dst, srcPort: f.SrcPort, dstPort: f.DstPort, proto: f.Proto,
		bytes: f.Bytes, packets: f.Packets, seq: seq}
}

func (a *item) flow(f *flows.Flow) {
	*f = flows.Flow{Start: a.start, Duration: a.duration, Src: a.src, Dst: a.dst, SrcPort: a.srcPort, DstPort: a.dstPort, Proto: a.proto,
		Bytes: a.bytes, Packets: a.packets}
}

// NewReorder returns an empty buffer of at most limit flows (at least 1).
func NewReorder(limit int) *Reorder { return &Reorder{max: max(1, limit)} }

// Len returns the number of flows waiting.
func (r *Reorder) Len() int { return len(r.items) }

// Earliest returns the start of the earliest waiting flow, or MaxInt64.
func (r *Reorder) Earliest() int64 {
	if len(r.items) == 0 {
		return math.MaxInt64
	}
	return r.items[0].start
}

// Push adds a flow that is not late (see Watermark.Late).
func (r *Reorder) Push(f *flows.Flow) {
	r.push(itemOf(f, r.seq))
	r.seq++
}

func (r *Reorder) push(it item) {
	r.items = append(r.items, it)
	for i := len(r.items) - 1; i > 0; {
		p := (i - 1) / 2
		if !r.items[i].less(&r.items[p]) {
			break
		}
		r.items[i], r.items[p] = r.items[p], r.items[i]
		i = p
	}
}

// Pop removes the earliest flow into f when it starts at or before
// watermark, or when the buffer holds more than its maximum, and reports
// whether it did. Pop with math.MaxInt64 drains the buffer (end of input).
func (r *Reorder) Pop(watermark int64, f *flows.Flow) bool {
	if len(r.items) == 0 {
		return false
	}
	if r.items[0].start > watermark {
		if len(r.items) <= r.max {
			return false
		}
		r.Forced++
	}
	r.items[0].flow(f)
	last := len(r.items) - 1
	r.items[0] = r.items[last]
	r.items = r.items[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < last && r.items[l].less(&r.items[m]) {
			m = l
		}
		if l+1 < last && r.items[l+1].less(&r.items[m]) {
			m = l + 1
		}
		if m == i {
			break
		}
		r.items[i], r.items[m] = r.items[m], r.items[i]
		i = m
	}
	if len(r.items) == 0 && cap(r.items) > 1024 {
		r.items = nil // a burst's memory goes back
	}
	return true
}

// Flows returns the waiting flows in the order they will leave; the
// buffer is unchanged.
func (r *Reorder) Flows() []flows.Flow {
	c := Reorder{max: math.MaxInt, items: append([]item(nil), r.items...)}
	out := make([]flows.Flow, 0, len(c.items))
	var f flows.Flow
	for c.Pop(math.MaxInt64, &f) {
		out = append(out, f)
	}
	return out
}

// RestoreReorder returns a buffer of at most limit flows holding fs, flows in
// the order they are to leave (see Flows), and forced flows released
// early before.
func RestoreReorder(limit int, fs []flows.Flow, forced int) *Reorder {
	r := NewReorder(limit)
	r.Forced = forced
	for i := range fs {
		r.Push(&fs[i])
	}
	return r
}

// WriteTo writes the waiting flows, for a checkpoint, without copying the
// buffer: each as a length (uvarint) and its routed encoding (see
// AppendRouted), its place in the order flows came as the source offset,
// in the buffer's own order. DecodeReorder reads it back.
func (r *Reorder) WriteTo(w io.Writer) (int64, error) {
	var n int64
	var b []byte
	var rt Routed
	for i := range r.items {
		it := &r.items[i]
		it.flow(&rt.Flow)
		rt.SourceOffset = int64(it.seq)
		b = AppendRouted(b[:0], &rt)
		b = append(binary.AppendUvarint(make([]byte, 0, 4+len(b)), uint64(len(b))), b...)
		k, err := w.Write(b)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// DecodeReorder returns a buffer of at most limit flows holding the flows
// WriteTo wrote, and forced flows released early before.
func DecodeReorder(limit int, b []byte, forced int) (*Reorder, error) {
	r := NewReorder(limit)
	r.Forced = forced
	var rt Routed
	for len(b) > 0 {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return nil, fmt.Errorf("%w: a waiting flow cut short", errRouted)
		}
		if err := DecodeRouted(b[k:k+int(l)], &rt); err != nil {
			return nil, err
		}
		b = b[k+int(l):]
		seq := uint64(rt.SourceOffset)
		r.push(itemOf(&rt.Flow, seq))
		r.seq = max(r.seq, seq+1)
	}
	return r, nil
}

// Watermark is event time in one domain of a source: a stream whose order
// is its own (standard input, a file, a Kafka partition). It is the latest
// start seen less the lateness bound: a flow that starts before it is late.
type Watermark struct {
	Lateness int64 // nanoseconds
	// Max is the latest start seen, math.MinInt64 before any.
	Max int64
}

// NewWatermark returns the watermark of a domain with nothing seen yet.
func NewWatermark(lateness time.Duration) Watermark {
	return Watermark{Lateness: int64(lateness), Max: math.MinInt64}
}

// Now returns the watermark: flows starting at or before it may leave
// their buffers.
func (w *Watermark) Now() int64 {
	return Behind(w.Max, w.Lateness)
}

// Behind returns t less d (d >= 0) without wrapping around: math.MinInt64
// (before anything) stays where it is, and a time within d of it gives
// math.MinInt64.
func Behind(t, d int64) int64 {
	if t < math.MinInt64+d {
		return math.MinInt64
	}
	return t - d
}

// Late reports whether a flow starting at start comes too late to be put
// in order: before the watermark.
func (w *Watermark) Late(start int64) bool { return start < w.Now() }

// See moves the watermark on for a flow that starts at start.
func (w *Watermark) See(start int64) { w.Max = max(w.Max, start) }
