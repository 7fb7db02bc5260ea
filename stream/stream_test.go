package stream

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unsafe"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
	flowpb "github.com/netsampler/goflow2/v2/pb"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"
)

// TestReorder: flows leave in start order, ties in arrival order, once the
// watermark passes them; a late flow is told; a full buffer lets its
// earliest go early; draining gives the rest in order.
func TestReorder(t *testing.T) {
	tests := []struct {
		name     string
		lateness time.Duration
		limit    int
		starts   []int64 // seconds, in arrival order
		late     []int64 // starts reported late
		out      []int64 // starts in the order they leave (drained at the end)
		forced   int
	}{
		{"in order", 0, 100, []int64{1, 2, 3}, nil, []int64{1, 2, 3}, 0},
		{"shuffled within the bound", 5 * time.Second, 100, []int64{3, 1, 2, 7, 5, 6, 4, 9}, nil, []int64{1, 2, 3, 4, 5, 6, 7, 9}, 0},
		{"later than the bound", 2 * time.Second, 100, []int64{1, 5, 9, 2, 8, 6}, []int64{2, 6}, []int64{1, 5, 8, 9}, 0},
		{"full buffer", time.Hour, 2, []int64{5, 4, 3, 2}, nil, []int64{3, 2, 4, 5}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReorder(tc.limit)
			w := NewWatermark(tc.lateness)
			var late, out []int64
			var f flows.Flow
			for _, s := range tc.starts {
				in := flows.Flow{Start: s * 1e9}
				if w.Late(in.Start) {
					late = append(late, s)
					continue
				}
				w.See(in.Start)
				r.Push(&in)
				for r.Pop(w.Now(), &f) {
					out = append(out, f.Start/1e9)
				}
			}
			if got := r.Flows(); len(got) != r.Len() {
				t.Errorf("Flows gave %d of %d", len(got), r.Len())
			}
			r = RestoreReorder(tc.limit, r.Flows(), r.Forced)
			for r.Pop(math.MaxInt64, &f) {
				out = append(out, f.Start/1e9)
			}
			if !reflect.DeepEqual(late, tc.late) || !reflect.DeepEqual(out, tc.out) || r.Forced != tc.forced {
				t.Errorf("late %v out %v forced %d, want %v %v %d", late, out, r.Forced, tc.late, tc.out, tc.forced)
			}
		})
	}
	// Ties leave in arrival order.
	r := NewReorder(10)
	for i, s := range []int64{2, 1, 2, 1} {
		r.Push(&flows.Flow{Start: s, Bytes: uint64(i)})
	}
	var order []uint64
	var f flows.Flow
	for r.Pop(math.MaxInt64, &f) {
		order = append(order, f.Bytes)
	}
	if !reflect.DeepEqual(order, []uint64{1, 3, 0, 2}) {
		t.Errorf("ties left in order %v, want 1 3 0 2", order)
	}
}

func testFlow() flows.Flow {
	return flows.Flow{Start: 1_700_000_000_123_456_789, Duration: 0.1 + 0.2, Src: netip.MustParseAddr("10.1.0.12"),
		Dst: netip.MustParseAddr("2001:db8::1"), SrcPort: 40000, DstPort: 443, Proto: flows.ProtoTCP,
		Bytes: 1 << 40, Packets: 3, ID: "x", Label: "flow=Normal"}
}

// TestRouted: a routed record decodes to exactly the flow and source it
// was made of; a cut or padded one is an error.
func TestRouted(t *testing.T) {
	in := Routed{Flow: testFlow(), SourcePartition: 3, SourceOffset: 1 << 33}
	b := AppendRouted(nil, &in)
	var out Routed
	if err := DecodeRouted(b, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("decoded %+v, %v; want %+v", out, err, in)
	}
	for _, bad := range [][]byte{nil, b[:len(b)-1], append(append([]byte(nil), b...), 0), append([]byte{9}, b[1:]...)} {
		if err := DecodeRouted(bad, &out); !errors.Is(err, errRouted) {
			t.Errorf("%x: error %v, want a malformed routed flow", bad, err)
		}
	}
}

func pbMessage(f flows.Flow) *flowpb.FlowMessage {
	return &flowpb.FlowMessage{TimeFlowStartNs: uint64(f.Start), TimeFlowEndNs: uint64(f.Start) + uint64(f.Duration*1e9),
		SrcAddr: f.Src.AsSlice(), DstAddr: f.Dst.AsSlice(), SrcPort: uint32(f.SrcPort), DstPort: uint32(f.DstPort),
		Proto: uint32(f.Proto), Bytes: f.Bytes, Packets: f.Packets}
}

// TestMessageDecoder: goflow2 protobuf with and without its length
// prefix, goflow2 JSON lines (several in one message, a bad one among
// them), and a CSV message with its header; bad messages are errors that
// say what is wrong, and the decoder goes on with the next.
func TestMessageDecoder(t *testing.T) {
	want := testFlow()
	want.ID, want.Label, want.Duration = "", "", 0.3
	raw, _ := proto.Marshal(pbMessage(want))
	var delim strings.Builder
	protodelim.MarshalTo(&delim, pbMessage(want))
	json := `{"time_flow_start_ns":1700000000123456789,"time_flow_end_ns":1700000000423456789,"src_addr":"10.1.0.12","dst_addr":"2001:db8::1","src_port":40000,"dst_port":443,"proto":"TCP","bytes":1099511627776,"packets":3}`
	csv := "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n1700000000.123456789,10.1.0.12,2001:db8::1,40000,443,tcp,1099511627776,3,0.3\n"
	tests := []struct {
		format, value string
		flows         int
		bad           bool
	}{
		{"auto", string(raw), 1, false},
		{"auto", delim.String(), 1, false},
		{Goflow2PB, delim.String(), 1, false},
		{"auto", json, 1, false},
		{"goflow2", json + "\n" + json, 2, false},
		{"goflow2", json + "\n{\"src_addr\":\"x\",\"dst_addr\":\"y\"}\n" + json, 2, true},
		{"csv", csv, 1, false},
		{"csv", "1700000000,10.1.0.12,10.0.0.1,1,2,tcp,1,1,0\n", 0, true}, // no header
		{"auto", "\x0a\x03\x01\x02", 0, true},
		{"auto", "{\"what\":1}", 0, true},
		{Goflow2PB, "", 0, true}, // no addresses
	}
	for _, tc := range tests {
		d, err := NewMessageDecoder(tc.format)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the decoder is reused from one message to the next
			var got []flows.Flow
			err := d.Decode([]byte(tc.value), func(f *flows.Flow) error { got = append(got, *f); return nil })
			if (err != nil) != tc.bad || len(got) != tc.flows {
				t.Errorf("%s %.40q: %d flows, error %v; want %d, bad %v", tc.format, tc.value, len(got), err, tc.flows, tc.bad)
			}
			for _, f := range got {
				// goflow2 JSON times go through a float64 in package flows.
				if d := f.Start - want.Start; d < -1000 || d > 1000 || f.Src != want.Src || f.Dst != want.Dst || f.DstPort != 443 || f.Bytes != want.Bytes || f.Proto != flows.ProtoTCP {
					t.Errorf("%s: flow %+v, want %+v", tc.format, f, want)
				}
			}
		}
	}
	if _, err := NewMessageDecoder("nope"); !errors.Is(err, flows.ErrUnknownFormat) {
		t.Errorf("unknown format: %v", err)
	}
}

func TestParseKafkaURL(t *testing.T) {
	tests := []struct {
		in   string
		want KafkaURL
		bad  string
	}{
		{in: "kafka://localhost:9092/flows?group=watch", want: KafkaURL{[]string{"localhost:9092"}, "flows", "watch"}},
		{in: "kafka://a:1,b,[::1]:3/t.x-y_z", want: KafkaURL{[]string{"a:1", "b:9092", "[::1]:3"}, "t.x-y_z", ""}},
		{in: "KAFKA://h/t", want: KafkaURL{[]string{"h:9092"}, "t", ""}},
		{in: "http://h/t", bad: "not kafka://"},
		{in: "kafka://h", bad: "no topic"},
		{in: "kafka://h/", bad: "topic"},
		{in: "kafka:///t", bad: "empty broker"},
		{in: "kafka://h:0/t", bad: "port"},
		{in: "kafka://h:x/t", bad: "port"},
		{in: "kafka://h/t/u", bad: "only letters"},
		{in: "kafka://h/t?group=a&group=b", bad: "2 times"},
		{in: "kafka://h/t?grp=a", bad: "unknown parameter"},
		{in: "kafka://h/t?group=", bad: "group"},
	}
	for _, tc := range tests {
		got, err := ParseKafkaURL(tc.in)
		if tc.bad != "" {
			if !errors.Is(err, ErrKafkaURL) || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%s: error %v, want one about %q", tc.in, err, tc.bad)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if again, err := ParseKafkaURL(got.String()); err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("%s: String %q does not parse back: %+v %v", tc.in, got.String(), again, err)
		}
	}
}

const csvHeader = "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"

func csvRow(s int) string {
	return time.Unix(int64(s), 0).UTC().Format(time.RFC3339) + ",10.1.0.12,10.0.0.1,1,2,tcp,1,1,0\n"
}

// TestLocalFollow: a followed file is read as it grows and across
// rotation (a new file at the path, with its own header), and a source
// started from a position skips the flows given before.
func TestLocalFollow(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flows.csv")
	os.WriteFile(path, []byte(csvHeader+csvRow(1)+csvRow(2)), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	src := &Local{Path: path, Follow: true, Format: "auto", Poll: 5 * time.Millisecond}
	got := make(chan int64, 10)
	var last Position
	done := make(chan error, 1)
	go func() {
		done <- src.Run(ctx, Position{}, func(f *flows.Flow, at *Position) error {
			last = *at
			got <- f.Start / 1e9
			return nil
		})
	}()
	expect := func(want ...int64) {
		t.Helper()
		for _, w := range want {
			select {
			case s := <-got:
				if s != w {
					t.Fatalf("flow at %d, want %d", s, w)
				}
			case <-ctx.Done():
				t.Fatalf("no flow at %d", w)
			}
		}
	}
	expect(1, 2)
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(csvRow(3)[:10]) // half a row: waited for
	time.Sleep(20 * time.Millisecond)
	f.WriteString(csvRow(3)[10:])
	f.Close()
	expect(3)
	os.Rename(path, path+".1")
	os.WriteFile(path, []byte(csvHeader+csvRow(4)), 0o644)
	expect(4)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want cancelled", err)
	}
	if last.File != path || last.Flows != 1 {
		t.Errorf("position %+v, want the new file after 1 flow", last)
	}

	// Resuming: the first flow of the new file was given before.
	os.WriteFile(path, []byte(csvHeader+csvRow(4)+csvRow(5)), 0o644)
	src.Follow = false
	var resumed []int64
	if err := src.Run(context.Background(), last, func(f *flows.Flow, _ *Position) error {
		resumed = append(resumed, f.Start/1e9)
		return nil
	}); err != nil || !reflect.DeepEqual(resumed, []int64{5}) {
		t.Errorf("resumed %v, %v; want 5 only", resumed, err)
	}
}

// TestLocalFolder: a folder's files are read in name order, hidden and
// temporary ones left out, new ones as they come, and a restart resumes
// in the file being read.
func TestLocalFolder(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, starts ...int) {
		s := csvHeader
		for _, x := range starts {
			s += csvRow(x)
		}
		os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644)
	}
	write("nfcapd.202401010005", 3, 4)
	write("nfcapd.202401010000", 1, 2)
	write(".nfcapd.current", 99)
	src := &Local{Path: dir, Format: "auto"}
	var got []int64
	var at Position
	run := func(from Position) {
		if err := src.Run(context.Background(), from, func(f *flows.Flow, p *Position) error {
			got = append(got, f.Start/1e9)
			at = *p
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	run(Position{})
	if !reflect.DeepEqual(got, []int64{1, 2, 3, 4}) || at.File != "nfcapd.202401010005" || at.Flows != 2 {
		t.Fatalf("read %v up to %+v", got, at)
	}
	write("nfcapd.202401010010", 5)
	got = nil
	run(Position{File: "nfcapd.202401010005", Fingerprint: at.Fingerprint, Flows: 1})
	if !reflect.DeepEqual(got, []int64{4, 5}) {
		t.Errorf("resumed %v, want 4 5", got)
	}
}

// TestWatermarkNoOverflow: before any flow, and near the smallest time,
// the watermark stays at the start of time instead of wrapping around to
// 2262 (which made every first flow late).
func TestWatermarkNoOverflow(t *testing.T) {
	minute := int64(time.Minute)
	for _, tt := range []struct{ t, d, want int64 }{
		{math.MinInt64, minute, math.MinInt64},
		{math.MinInt64 + 5, minute, math.MinInt64},
		{0, minute, -minute},
		{math.MaxInt64, minute, math.MaxInt64 - minute},
		{7, 0, 7},
	} {
		if got := Behind(tt.t, tt.d); got != tt.want {
			t.Errorf("Behind(%d, %d) = %d, want %d", tt.t, tt.d, got, tt.want)
		}
	}
	w := NewWatermark(time.Minute)
	if w.Late(math.MinInt64+1) || w.Now() != math.MinInt64 {
		t.Errorf("a fresh watermark is %d and finds early times late", w.Now())
	}
	w.See(math.MinInt64 + 10)
	if w.Now() != math.MinInt64 || w.Late(math.MinInt64+10) {
		t.Errorf("near the start of time: watermark %d", w.Now())
	}
}

// TestLocalStdin: standard input is read as it comes (gzip too), bad
// rows stop it naming their line in the stream (or are skipped and
// counted), a stream replayed from its start resumes after the flows
// given before, and a pipe nobody writes to stops with the context.
func TestLocalStdin(t *testing.T) {
	var plain strings.Builder
	plain.WriteString(csvHeader)
	for i := range 3000 {
		plain.WriteString(csvRow(i + 1))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(plain.String()))
	zw.Close()
	read := func(src *Local, from Position) ([]int64, Position, error) {
		var got []int64
		var at Position
		err := src.Run(context.Background(), from, func(f *flows.Flow, p *Position) error {
			got = append(got, f.Start/1e9)
			at = *p
			return nil
		})
		return got, at, err
	}
	for name, in := range map[string][]byte{"plain": []byte(plain.String()), "gzip": gz.Bytes()} {
		got, at, err := read(&Local{Path: "-", Format: "auto", Stdin: iotest.OneByteReader(bytes.NewReader(in))}, Position{})
		if err != nil || len(got) != 3000 || got[2999] != 3000 || at.File != "-" || at.Flows != 3000 || at.Fingerprint == 0 {
			t.Errorf("%s: %d flows up to %+v, %v", name, len(got), at, err)
		}
		resumed, _, err := read(&Local{Path: "-", Format: "auto", Stdin: bytes.NewReader(in)}, Position{File: "-", Fingerprint: at.Fingerprint, Flows: 2990})
		if err != nil || len(resumed) != 10 || resumed[0] != 2991 {
			t.Errorf("%s replayed: %d flows from %v, %v; want the last 10", name, len(resumed), resumed[:min(1, len(resumed))], err)
		}
		other, _, _ := read(&Local{Path: "-", Format: "auto", Stdin: bytes.NewReader(in)}, Position{File: "-", Fingerprint: at.Fingerprint + 1, Flows: 2990})
		if len(other) != 3000 {
			t.Errorf("%s: another stream's position skipped %d flows", name, 3000-len(other))
		}
	}

	bad := strings.Replace(plain.String(), csvRow(2500), "not,a,row\n", 1)
	_, _, err := read(&Local{Path: "-", Format: "auto", Stdin: strings.NewReader(bad)}, Position{})
	var ie *input.Error
	if !errors.As(err, &ie) || ie.File != "-" || ie.Line != 2501 {
		t.Errorf("a bad row on line 2501: %v", err)
	}
	got, _, err := read(&Local{Path: "-", Format: "auto", SkipBadRows: true, Stdin: strings.NewReader(bad)}, Position{})
	if err != nil || len(got) != 2999 {
		t.Errorf("skipping bad rows: %d flows, %v", len(got), err)
	}
	long := csvHeader + csvRow(1) + strings.Repeat("x", 5000) + "\n" + csvRow(2)
	if _, _, err := read(&Local{Path: "-", Format: "auto", MaxLine: 2000, Stdin: strings.NewReader(long)}, Position{}); err == nil || !strings.Contains(err.Error(), "-:3") {
		t.Errorf("a line over --max-line: %v", err)
	}

	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- (&Local{Path: "-", Format: "auto", Stdin: pr}).Run(ctx, Position{}, func(*flows.Flow, *Position) error { return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("a silent pipe: %v, want cancelled", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("a silent pipe did not stop with its context")
	}
}

// TestReorderEncoding: a buffer written for a checkpoint and read back
// lets the same flows leave in the same order, ties in the order they
// came, and goes on numbering the flows that come after; a waiting flow
// takes 96 bytes.
func TestReorderEncoding(t *testing.T) {
	src, dst := netip.MustParseAddr("10.1.0.12"), netip.MustParseAddr("2001:db8::7")
	r := NewReorder(100)
	for i := range 40 {
		f := flows.Flow{Start: int64(i%7) * 1e9, Duration: 0.25, Src: src, Dst: dst, SrcPort: uint16(i), DstPort: 443, Proto: flows.ProtoTCP,
			Bytes: uint64(1 << i), Packets: 3, ID: "dropped", Label: "dropped"}
		r.Push(&f)
	}
	var b bytes.Buffer
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	c, err := DecodeReorder(100, b.Bytes(), 3)
	if err != nil {
		t.Fatal(err)
	}
	late := flows.Flow{Start: 0, Src: src, Dst: dst, SrcPort: 999}
	r.Push(&late)
	c.Push(&late)
	var x, y flows.Flow
	for r.Pop(math.MaxInt64, &x) {
		if !c.Pop(math.MaxInt64, &y) || x != y || x.ID != "" {
			t.Fatalf("left %+v, decoded buffer %+v", x, y)
		}
	}
	if c.Len() != 0 || c.Forced != 3 {
		t.Errorf("decoded buffer: %d left, %d forced", c.Len(), c.Forced)
	}
	if _, err := DecodeReorder(100, b.Bytes()[:b.Len()-1], 0); err == nil {
		t.Error("a cut encoding decoded")
	}
	if n := unsafe.Sizeof(item{}); n != 96 {
		t.Errorf("a waiting flow takes %d bytes", n)
	}
}
