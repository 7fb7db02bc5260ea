package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strings"

	"github.com/netflow-monitor/monitor/flows"
	flowpb "github.com/netsampler/goflow2/v2/pb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Goflow2PB is the name of goflow2's protobuf message format (its
// -format=bin: a FlowMessage, with or without its varint length prefix).
const Goflow2PB = "goflow2-pb"

// MessageFormatNames returns the formats a Kafka record may carry: auto
// (goflow2's protobuf, or a JSON line of goflow2 or Zeek, told apart by
// their first byte and fields), goflow2-pb, and every format of package
// flows (one record a message; a comma-separated format's message starts
// with its header).
func MessageFormatNames() []string {
	return append([]string{"auto", Goflow2PB}, flows.FormatNames()...)
}

// MessageDecoder decodes Kafka record values into flows. It is not safe
// for concurrent use: each partition's reader has its own.
type MessageDecoder struct {
	format string
	pb     flowpb.FlowMessage
	lines  map[string]*lineFeed // persistent decoders of line formats
	// json is the format the last JSON message was detected as (auto):
	// tried first, as a topic's messages are of one format.
	json flows.Format
}

// NewMessageDecoder returns a decoder of values in format (see
// MessageFormatNames).
func NewMessageDecoder(format string) (*MessageDecoder, error) {
	if format == "" {
		format = "auto"
	}
	if format != "auto" && format != Goflow2PB {
		if _, ok := flows.FormatByName(format); !ok {
			return nil, fmt.Errorf("%w %q: want one of %s", flows.ErrUnknownFormat, format, strings.Join(MessageFormatNames(), ", "))
		}
	}
	return &MessageDecoder{format: format, lines: map[string]*lineFeed{}}, nil
}

// Decode decodes one record value and gives each flow in it to fn (a
// message holds one record, but a line format's message may hold several
// lines). The error says what is wrong with the message; the flows before
// the error were given.
func (d *MessageDecoder) Decode(value []byte, fn func(*flows.Flow) error) error {
	format := d.format
	if format == "auto" {
		format = Goflow2PB
		if t := bytes.TrimLeft(value, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			line, _, _ := bytes.Cut(t, []byte{'\n'})
			if d.json == nil || !d.json.Detect(string(line)) {
				ft, ok := flows.Detect(string(line))
				if !ok {
					return fmt.Errorf("%w: a JSON message of no known format", flows.ErrUnknownFormat)
				}
				d.json = ft
			}
			format = d.json.Name()
		}
	}
	if format == Goflow2PB {
		var f flows.Flow
		if err := DecodeGoflow2PB(value, &d.pb, &f); err != nil {
			return err
		}
		return fn(&f)
	}
	lf, ok := d.lines[format]
	if !ok {
		var err error
		if lf, err = newLineFeed(format); err != nil {
			return err
		}
		d.lines[format] = lf
	}
	if lf == nil {
		return decodeWhole(value, format, fn)
	}
	return lf.decode(value, fn)
}

// DecodeGoflow2PB decodes one goflow2 FlowMessage (with or without its
// varint length prefix) into f, reusing m.
func DecodeGoflow2PB(value []byte, m *flowpb.FlowMessage, f *flows.Flow) error {
	// goflow2 writes the length first unless told not to; a message
	// without it whose first bytes happen to read as its length is read
	// whole when the rest is no message.
	err := errors.New("no length prefix")
	if n, k := protowire.ConsumeVarint(value); k > 0 && n == uint64(len(value)-k) {
		m.Reset()
		err = pbOptions.Unmarshal(value[k:], m)
	}
	if err != nil {
		m.Reset()
		if err := pbOptions.Unmarshal(value, m); err != nil {
			return fmt.Errorf("%w: goflow2 protobuf: %v", flows.ErrBadValue, err)
		}
	}
	*f = flows.Flow{}
	if m.TimeFlowStartNs > math.MaxInt64 {
		return fmt.Errorf("%w: time_flow_start_ns %d after 2262", flows.ErrBadValue, m.TimeFlowStartNs)
	}
	f.Start = int64(m.TimeFlowStartNs)
	if m.TimeFlowEndNs > m.TimeFlowStartNs {
		f.Duration = float64(m.TimeFlowEndNs-m.TimeFlowStartNs) / 1e9
	}
	var ok bool
	if f.Src, ok = netip.AddrFromSlice(m.SrcAddr); !ok {
		return fmt.Errorf("%w: src_addr of %d bytes", flows.ErrBadValue, len(m.SrcAddr))
	}
	if f.Dst, ok = netip.AddrFromSlice(m.DstAddr); !ok {
		return fmt.Errorf("%w: dst_addr of %d bytes", flows.ErrBadValue, len(m.DstAddr))
	}
	f.Src, f.Dst = f.Src.Unmap(), f.Dst.Unmap()
	if m.SrcPort > 65535 || m.DstPort > 65535 || m.Proto > 255 {
		return fmt.Errorf("%w: ports %d, %d, protocol %d", flows.ErrBadValue, m.SrcPort, m.DstPort, m.Proto)
	}
	f.SrcPort, f.DstPort, f.Proto = uint16(m.SrcPort), uint16(m.DstPort), flows.Protocol(m.Proto)
	f.Bytes, f.Packets = m.Bytes, m.Packets
	if !f.Proto.HasPorts() {
		f.SrcPort, f.DstPort = 0, 0
	}
	return nil
}

var pbOptions = proto.UnmarshalOptions{DiscardUnknown: true}

// lineFeed is a decoder of a line format kept from one message to the
// next: each message is fed to it as the next lines of one stream.
type lineFeed struct {
	r   feedReader
	dec flows.Decoder
}

// newLineFeed returns the persistent decoder of a line format, or nil for
// a format that reads a header first (each message is then a file of its
// own).
func newLineFeed(format string) (*lineFeed, error) {
	lf := &lineFeed{}
	// Messages are decoded as they come, each in a moment: the decoder
	// needs no context of its own.
	dec, _, err := flows.NewDecoder(context.Background(), &lf.r, "message", format, flows.DecodeOptions{})
	if err != nil {
		return nil, nil //nolint:nilerr // a header format: it found no header
	}
	lf.dec = dec
	return lf, nil
}

func (lf *lineFeed) decode(value []byte, fn func(*flows.Flow) error) error {
	lf.r.b = append(append(lf.r.b[:0], value...), '\n')
	lf.r.off = 0
	var f flows.Flow
	var first error
	// A bad line does not stop the decoder: the next call reads the next
	// line. Bounded by the lines, should a decoder ever repeat an error.
	for tries := bytes.Count(lf.r.b, []byte{'\n'}) + 1; tries > 0; tries-- {
		err := lf.dec.Next(&f)
		if errors.Is(err, io.EOF) {
			return first
		}
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
	return first
}

// feedReader yields one message's bytes, then io.EOF until the next.
type feedReader struct {
	b   []byte
	off int
}

func (r *feedReader) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}

// decodeWhole decodes a message of a header format as a file of its own.
func decodeWhole(value []byte, format string, fn func(*flows.Flow) error) error {
	dec, closer, err := flows.NewDecoder(context.Background(), bytes.NewReader(value), "message", format, flows.DecodeOptions{})
	if err != nil {
		return err
	}
	defer closer.Close()
	var f flows.Flow
	for {
		err := dec.Next(&f)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
}
