package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"

	"github.com/netflow-monitor/monitor/flows"
)

// RoutedContentType is the content-type header of the records "monitor
// route" writes: one flow, for the unit named by the record's key.
const RoutedContentType = "application/x-netflow-monitor-flow; version=1"

// Routed is one record of a topic keyed by unit: a flow as the unit's
// detector reads it, exactly (times in nanoseconds, the duration's float
// bits), and where route read it, so that a flow routed twice (route
// restarted after a crash, before it committed) is seen once.
type Routed struct {
	Flow flows.Flow
	// SourcePartition and SourceOffset say where route read the flow in
	// its input topic.
	SourcePartition int32
	SourceOffset    int64
}

const routedVersion = 1

// AppendRouted appends r's encoding to b.
func AppendRouted(b []byte, r *Routed) []byte {
	f := &r.Flow
	b = append(b, routedVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(f.Start))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.Duration))
	b = appendAddr(b, f.Src)
	b = appendAddr(b, f.Dst)
	b = binary.LittleEndian.AppendUint16(b, f.SrcPort)
	b = binary.LittleEndian.AppendUint16(b, f.DstPort)
	b = append(b, byte(f.Proto))
	b = binary.AppendUvarint(b, f.Bytes)
	b = binary.AppendUvarint(b, f.Packets)
	b = binary.AppendUvarint(b, uint64(len(f.ID)))
	b = append(b, f.ID...)
	b = binary.AppendUvarint(b, uint64(len(f.Label)))
	b = append(b, f.Label...)
	b = binary.AppendVarint(b, int64(r.SourcePartition))
	return binary.AppendVarint(b, r.SourceOffset)
}

func appendAddr(b []byte, a netip.Addr) []byte {
	s := a.AsSlice()
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// errRouted is the cause of every malformed routed record.
var errRouted = errors.New("malformed routed flow")

// DecodeRouted decodes a routed record's value into r.
func DecodeRouted(b []byte, r *Routed) error {
	d := routedDecoder{b: b}
	if v := d.byte(); v != routedVersion {
		if d.err != nil {
			return d.err
		}
		return fmt.Errorf("%w: version %d, want %d", errRouted, v, routedVersion)
	}
	f := &r.Flow
	*f = flows.Flow{}
	f.Start = int64(d.u64())
	f.Duration = math.Float64frombits(d.u64())
	f.Src, f.Dst = d.addr(), d.addr()
	f.SrcPort, f.DstPort = d.u16(), d.u16()
	f.Proto = flows.Protocol(d.byte())
	f.Bytes, f.Packets = d.uvarint(), d.uvarint()
	f.ID, f.Label = d.str(), d.str()
	r.SourcePartition = int32(d.varint())
	r.SourceOffset = d.varint()
	switch {
	case d.err != nil:
		return d.err
	case len(d.b) > 0:
		return fmt.Errorf("%w: %d bytes after the flow", errRouted, len(d.b))
	case math.IsNaN(f.Duration) || math.IsInf(f.Duration, 0) || f.Duration < 0:
		return fmt.Errorf("%w: duration %v", errRouted, f.Duration)
	case !f.Src.IsValid() || !f.Dst.IsValid():
		return fmt.Errorf("%w: no address", errRouted)
	}
	return nil
}

type routedDecoder struct {
	b   []byte
	err error
}

func (d *routedDecoder) need(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.err = fmt.Errorf("%w: cut short", errRouted)
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *routedDecoder) byte() byte {
	if s := d.need(1); s != nil {
		return s[0]
	}
	return 0
}

func (d *routedDecoder) u16() uint16 {
	if s := d.need(2); s != nil {
		return binary.LittleEndian.Uint16(s)
	}
	return 0
}

func (d *routedDecoder) u64() uint64 {
	if s := d.need(8); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

func (d *routedDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("%w: bad number", errRouted)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// varint reads a signed varint: a uvarint holding the zig-zag encoding
// that binary.AppendVarint writes.
func (d *routedDecoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *routedDecoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		if d.err == nil {
			d.err = fmt.Errorf("%w: cut short", errRouted)
		}
		return ""
	}
	return string(d.need(int(n)))
}

func (d *routedDecoder) addr() netip.Addr {
	n := int(d.byte())
	if d.err == nil && n != 4 && n != 16 {
		d.err = fmt.Errorf("%w: address of %d bytes", errRouted, n)
	}
	s := d.need(n)
	if s == nil {
		return netip.Addr{}
	}
	a, _ := netip.AddrFromSlice(s)
	return a
}
