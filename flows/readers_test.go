package flows

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/input"
)

func ns(t time.Time) int64 { return t.UnixNano() }

func mustRead(t *testing.T, path, format string) []Flow {
	t.Helper()
	fl, skipped, err := ReadAll(t.Context(), path, format, DecodeOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if skipped != 0 {
		t.Fatalf("%s: %d rows skipped", path, skipped)
	}
	return fl
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestReaders reads each format's fixture (detected and named) and checks
// a row of each kind of odd case.
func TestReaders(t *testing.T) {
	tests := []struct {
		file, format string
		n            int
		check        map[int]Flow // row -> expected (ID and Label compared too)
	}{
		{"argus_ra.binetflow", "argus", 15, map[int]Flow{
			0:  {Start: ns(time.Date(2026, 11, 24, 2, 33, 51, 632351000, time.UTC)), Duration: 0.003856, Src: addr("127.0.0.1"), Dst: addr("127.0.0.1"), SrcPort: 57140, DstPort: 8765, Proto: ProtoTCP, Bytes: 1269, Packets: 12},
			4:  {Start: ns(time.Date(2026, 11, 24, 2, 33, 52, 289285000, time.UTC)), Duration: 0.05034, Src: addr("::1"), Dst: addr("::1"), SrcPort: 45482, DstPort: 5354, Proto: ProtoUDP, Bytes: 244, Packets: 2},
			13: {Start: ns(time.Date(2026, 11, 24, 2, 34, 10, 945305000, time.UTC)), Duration: 0.000013, Src: addr("127.0.0.1"), Dst: addr("127.0.0.1"), Proto: ProtoICMP, Bytes: 148, Packets: 2}, // hex ports 0x0008/0x4d00 cleared
		}},
		{"nfdump_1.7.csv", "nfdump", 12, map[int]Flow{
			0: {Start: ns(time.Date(2026, 11, 24, 2, 34, 10, 0, time.UTC)), Src: addr("127.0.0.1"), Dst: addr("127.0.0.1"), Proto: ProtoICMP, Bytes: 60, Packets: 1}, // dp 2048 is ICMP type/code
			5: {Start: ns(time.Date(2026, 11, 24, 2, 34, 10, 0, time.UTC)), Duration: 0.001, Src: addr("::1"), Dst: addr("::1"), SrcPort: 43364, DstPort: 9099, Proto: ProtoTCP, Bytes: 868, Packets: 5},
		}},
		{"zeek_conn.log", "zeek", 3, map[int]Flow{
			0: {Start: 1700000000123456000, Duration: 1.25, Src: addr("10.0.0.5"), Dst: addr("93.184.216.34"), SrcPort: 49152, DstPort: 443, Proto: ProtoTCP, Bytes: 1153 + 4844, Packets: 22, ID: "CHhAvVGS1DHFjwGM9"},
			1: {Start: 1700000001500000000, Src: addr("10.0.0.5"), Dst: addr("10.0.0.53"), SrcPort: 55000, DstPort: 53, Proto: ProtoUDP, Bytes: 73, Packets: 1, ID: "C4J4Th3PJpwUYZZ6gc"}, // "-" duration and counts
			2: {Start: 1700000002250000000, Duration: 0.001, Src: addr("2001:db8::5"), Dst: addr("2001:db8::1"), Proto: ProtoICMP, Bytes: 168, Packets: 2, ID: "CUM0KZ3MLUfNB0cl11"},
		}},
		{"zeek_conn.json", "zeek", 3, map[int]Flow{
			0: {Start: 1700000000123456000, Duration: 1.25, Src: addr("10.0.0.5"), Dst: addr("93.184.216.34"), SrcPort: 49152, DstPort: 443, Proto: ProtoTCP, Bytes: 1153 + 4844, Packets: 22, ID: "CHhAvVGS1DHFjwGM9"},
			2: {Start: ns(time.Date(2023, 11, 14, 22, 13, 22, 250000000, time.UTC)), Duration: 0.001, Src: addr("2001:db8::5"), Dst: addr("2001:db8::1"), Proto: ProtoICMP, Bytes: 168, Packets: 2, ID: "CUM0KZ3MLUfNB0cl11"},
		}},
		{"goflow2.json", "goflow2", 3, map[int]Flow{
			0: {Start: 1700000000000000000, Duration: 2.5, Src: addr("10.0.0.5"), Dst: addr("198.51.100.7"), SrcPort: 51000, DstPort: 443, Proto: ProtoTCP, Bytes: 1500, Packets: 3},
			1: {Start: 1700000001000000000, Src: addr("2001:db8::53"), Dst: addr("2001:db8::5"), SrcPort: 53, DstPort: 55743, Proto: ProtoUDP, Bytes: 143, Packets: 1},
			2: {Start: 1700000003000000000, Src: addr("10.0.0.5"), Dst: addr("10.0.0.1"), Proto: ProtoICMP, Bytes: 98, Packets: 1},
		}},
	}
	for _, tc := range tests {
		for _, format := range []string{"auto", tc.format} {
			t.Run(tc.file+"/"+format, func(t *testing.T) {
				fl := mustRead(t, filepath.Join("testdata", tc.file), format)
				if len(fl) != tc.n {
					t.Fatalf("%d flows, want %d", len(fl), tc.n)
				}
				for i, want := range tc.check {
					if fl[i] != want {
						t.Errorf("row %d:\n got %+v\nwant %+v", i, fl[i], want)
					}
				}
			})
		}
	}
}

// TestPacketbeatDeltas checks the running-total correction on a hand-made
// export: per flow id, each row's totals minus the previous row's; zero
// deltas dropped; a final row forgets the id; a total going down restarts.
func TestPacketbeatDeltas(t *testing.T) {
	fl := mustRead(t, "testdata/packetbeat.csv", "auto")
	type delta struct {
		id             string
		bytes, packets uint64
		duration       float64
		label          string
	}
	want := []delta{
		{"A", 1000, 10, 1, "normal"}, // first report of A
		{"B", 200, 2, 0.5, "normal"}, // first report of B
		{"A", 500, 4, 10, "normal"},  // 1500-1000, 14-10, 11-1
		{"A", 100, 1, 4, "normal"},   // final: 1600-1500, 15-14, 15-11; A forgotten
		{"A", 300, 3, 2, "anomaly"},  // A again after its final row: totals
		{"B", 100, 1, 1, "normal"},   // B's total went down (200 -> 100): restarted
		{"C", 100, 1, 10.3, "normal"},
		{"C", 50, 1, 0.2, "normal"}, // 10.5 s - 10.3 s in integer ns: exactly 0.2, not 0.20000000000000107
	} // B's second row (200 again) is a zero delta: dropped
	if len(fl) != len(want) {
		t.Fatalf("%d flows, want %d: %+v", len(fl), len(want), fl)
	}
	for i, w := range want {
		f := fl[i]
		if f.ID != w.id || f.Bytes != w.bytes || f.Packets != w.packets || f.Duration != w.duration || f.Label != w.label {
			t.Errorf("flow %d: id %s %d bytes %d packets %vs %q, want %+v", i, f.ID, f.Bytes, f.Packets, f.Duration, f.Label, w)
		}
	}
}

func TestProjectCSVRoundTrip(t *testing.T) {
	in := []Flow{
		{Start: 1700000000123456789, Duration: 0.25, Src: addr("10.0.0.1"), Dst: addr("2001:db8::9"), SrcPort: 40000, DstPort: 443, Proto: ProtoTCP, Bytes: 1234, Packets: 9, ID: "f1", Label: "normal"},
		{Start: 1700000001000000000, Src: addr("10.0.0.2"), Dst: addr("10.0.0.1"), Proto: ProtoICMP, Bytes: 84, Packets: 1, Label: `with "quotes", and comma`},
	}
	var buf bytes.Buffer
	w := NewCSVWriter(&buf)
	for i := range in {
		if err := w.Write(&in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "f.csv")
	os.WriteFile(path, buf.Bytes(), 0o644)
	out := mustRead(t, path, "auto")
	if len(out) != len(in) {
		t.Fatalf("%d flows back, want %d", len(out), len(in))
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("flow %d:\n got %+v\nwant %+v", i, out[i], in[i])
		}
	}
}

func TestProjectCSVColumnsAnyOrderAndEpoch(t *testing.T) {
	row := "x,1.5,2,300,17,53,5353,10.0.0.53,10.0.0.1,1700000000.25\n"
	want := Flow{Start: 1700000000250000000, Duration: 1.5, Src: addr("10.0.0.1"), Dst: addr("10.0.0.53"), SrcPort: 5353, DstPort: 53, Proto: ProtoUDP, Bytes: 300, Packets: 2, Label: "x"}
	for _, header := range []string{
		"label,duration,packets,bytes,protocol,dst_port,src_port,dst_ip,src_ip,timestamp",
		"Label,Duration,Packets,Bytes,Protocol,Dst_Port,Src_Port,DST_IP,SRC_IP,Timestamp",
	} {
		for _, format := range []string{"csv", "auto"} {
			path := filepath.Join(t.TempDir(), "f.csv")
			os.WriteFile(path, []byte(header+"\n"+row), 0o644)
			fl := mustRead(t, path, format)
			if len(fl) != 1 || fl[0] != want {
				t.Errorf("%s (%s): got %+v, want %+v", header, format, fl, want)
			}
		}
	}
}

// TestBadInput: every bad file gives an *input.Error naming the file, the
// line and the field; with SkipBadRows bad rows are counted instead.
func TestBadInput(t *testing.T) {
	head := "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"
	good := "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5\n"
	tests := []struct {
		name, content, format string
		line                  int
		field                 string
		is                    error
	}{
		{"missing column", "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets\n" + good, "csv", 1, "duration", ErrMissingColumn},
		{"missing timestamp", "src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n10.0.0.1,10.0.0.2,1,2,tcp,3,4,5\n", "auto", 1, "timestamp", ErrMissingColumn},
		{"missing src_ip and dst_ip", "timestamp,src_port,dst_port,protocol,bytes,packets,duration\n2023-11-14T22:13:20Z,1,2,tcp,3,4,5\n", "auto", 1, "src_ip", ErrMissingColumn},
		{"same name in two cases", "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration,Bytes\n" + strings.TrimSuffix(good, "\n") + ",7\n", "auto", 1, "bytes", ErrDuplicateColumn},
		{"duplicate column", "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration,bytes\n" + strings.TrimSuffix(good, "\n") + ",7\n", "auto", 1, "bytes", ErrDuplicateColumn},
		{"duplicate optional column", "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration,label,label\n" + strings.TrimSuffix(good, "\n") + ",a,b\n", "auto", 1, "label", ErrDuplicateColumn},
		{"argus duplicate label", "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label,Label\n2011/08/16 10:01:46.972101,1,tcp,1.2.3.4,1,->,5.6.7.8,80,S,0,0,1,60,60,x,y\n", "auto", 1, "Label", ErrDuplicateColumn},
		{"time after 2262", head + "9999-12-31T23:59:59Z,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5\n", "auto", 2, "timestamp", ErrBadValue},
		{"epoch after 2262", head + "99999999999.5,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5\n", "auto", 2, "timestamp", ErrBadValue},
		{"bad address", head + good + "2023-11-14T22:13:20Z,10.0.0.300,10.0.0.2,1,2,tcp,3,4,5\n", "auto", 3, "src_ip", ErrBadValue},
		{"address with a zone", head + "2023-11-14T22:13:20Z,fe80::1%eth0,10.0.0.2,1,2,tcp,3,4,5\n", "auto", 2, "src_ip", ErrBadValue},
		{"bad time", head + "yesterday,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5\n", "auto", 2, "timestamp", ErrBadValue},
		{"bad port", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,70000,tcp,3,4,5\n", "auto", 2, "dst_port", ErrBadValue},
		{"bad protocol", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcpx,3,4,5\n", "auto", 2, "protocol", ErrBadValue},
		{"negative count", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,-3,4,5\n", "auto", 2, "bytes", ErrBadValue},
		{"unclosed quote", head + good + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,3,4,\"5\n" + good + good, "auto", 3, "duration", ErrBadValue},
		{"bare quote", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,t\"cp,3,4,5\n", "auto", 2, "protocol", ErrBadValue},
		{"text after a closing quote", head + good + "2023-11-14T22:13:20Z,10.0.0.1,\"10.0.0.2\"x,1,2,tcp,3,4,5\n", "auto", 3, "dst_ip", ErrBadValue},
		{"header longer than the rows", "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration,label\n" + good, "auto", 2, "", ErrFieldCount},
		{"bare quote after the header's columns", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5,x\"y\n", "auto", 2, "10 (after the header's 9 columns)", ErrBadValue},
		{"too many fields", head + good + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5,6\n", "auto", 3, "", ErrFieldCount},
		{"empty bytes", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,,4,5\n", "auto", 2, "bytes", ErrBadValue},
		{"empty packets", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,3, ,5\n", "auto", 2, "packets", ErrBadValue},
		{"empty duration", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,3,4,\n", "auto", 2, "duration", ErrBadValue},
		{"dash for a tcp port", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,-,2,tcp,3,4,5\n", "auto", 2, "src_port", ErrBadValue},
		{"empty tcp port", head + "2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,,tcp,3,4,5\n", "auto", 2, "dst_port", ErrBadValue},
		{"too few fields", head + good + "2023-11-14T22:13:20Z,10.0.0.1\n", "auto", 3, "", ErrFieldCount},
		{"unknown header", "a,b,c\n1,2,3\n", "auto", 1, "", ErrUnknownFormat},
		{"unknown format name", good, "pcap", 0, "", ErrUnknownFormat},
		{"argus bad hex port", "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n2011/08/16 10:01:46.972101,1,tcp,1.2.3.4,0xzz,->,5.6.7.8,80,S,0,0,1,60,60,x\n", "auto", 2, "Sport", ErrBadValue},
		{"argus bad date", "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n2011/02/30 10:01:46.972101,1,tcp,1.2.3.4,1,->,5.6.7.8,80,S,0,0,1,60,60,x\n", "auto", 2, "StartTime", ErrBadValue},
		{"zeek data before fields", "#separator \\x09\n1700000000\tC1\t1.2.3.4\t1\t5.6.7.8\t2\ttcp\n", "zeek", 2, "#fields", ErrMissingColumn},
		{"zeek repeated field", "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tproto\n1700000000\tC1\t1.2.3.4\t1\t5.6.7.8\t2\ttcp\tudp\n", "zeek", 2, "proto", ErrDuplicateColumn},
		{"goflow2 bad json", `{"src_addr":"1.2.3.4","dst_addr":"5.6.7.8","time_flow_start_ns":1}` + "\n{broken\n", "goflow2", 2, "", ErrBadValue},
		{"packetbeat bad final", "_source_@timestamp,_source_source_ip,_source_destination_ip,_source_source_port,_source_destination_port,_source_network_transport,_source_network_bytes,_source_event_duration,_source_flow_id,_source_flow_final\n2023-11-14T22:13:20.000Z,10.0.0.5,10.0.0.6,40000,5432,tcp,1000,1000000000,A,maybe\n", "auto", 2, "_source_flow_final", ErrBadValue},
		{"packetbeat rows out of time order", "_source_@timestamp,_source_source_ip,_source_destination_ip,_source_source_port,_source_destination_port,_source_network_transport,_source_network_bytes,_source_event_duration,_source_flow_id,_source_flow_final\n2023-11-14T22:13:30.000Z,10.0.0.5,10.0.0.6,40000,5432,tcp,1500,1000000000,A,false\n2023-11-14T22:13:20.000Z,10.0.0.5,10.0.0.6,40000,5432,tcp,1000,1000000000,A,false\n", "auto", 3, "_source_@timestamp", ErrBadValue},
		{"goflow2 time after 2262", `{"src_addr":"1.2.3.4","dst_addr":"5.6.7.8","time_flow_start_ns":1e19,"proto":6,"src_port":1,"dst_port":2,"bytes":1,"packets":1}` + "\n", "goflow2", 1, "time_flow_start_ns", ErrBadValue},
		{"goflow2 infinite bytes", `{"src_addr":"1.2.3.4","dst_addr":"5.6.7.8","time_flow_start_ns":1,"proto":6,"src_port":1,"dst_port":2,"bytes":"Inf","packets":1}` + "\n", "goflow2", 1, "bytes", ErrBadValue},
		{"goflow2 bytes beyond uint64", `{"src_addr":"1.2.3.4","dst_addr":"5.6.7.8","time_flow_start_ns":1,"proto":6,"src_port":1,"dst_port":2,"bytes":1,"packets":2e19}` + "\n", "goflow2", 1, "packets", ErrBadValue},
		{"goflow2 bad proto", `{"src_addr":"1.2.3.4","dst_addr":"5.6.7.8","time_flow_start_ns":1,"proto":"XYZ","src_port":1,"dst_port":2,"bytes":1,"packets":1}` + "\n", "goflow2", 1, "proto", ErrBadValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.csv")
			os.WriteFile(path, []byte(tc.content), 0o644)
			_, _, err := ReadAll(t.Context(), path, tc.format, DecodeOptions{})
			var pe *input.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *input.Error", err)
			}
			if pe.File != path || pe.Line != tc.line || pe.Field != tc.field || !errors.Is(err, tc.is) {
				t.Errorf("got %v (line %d field %q), want line %d field %q wrapping %v", err, pe.Line, pe.Field, tc.line, tc.field, tc.is)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
}

// TestProjectCSVICMPWithoutPorts: a protocol without ports may leave them
// empty; every other number is required.
func TestProjectCSVICMPWithoutPorts(t *testing.T) {
	for _, tc := range []struct {
		name, sport, dport string
		field              string // the field refused, "" when the row is read
	}{
		{"empty and dash", "", "-", ""},
		{"type and code", "8", "0", ""},
		{"hex as Argus prints them", "0x0008", "0x0000", ""},
		{"garbage source port", "echo", "0", "src_port"},
		{"garbage destination port", "0", "garbage", "dst_port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "icmp.csv")
			row := fmt.Sprintf("1700000000,10.0.0.1,10.0.0.2,%s,%s,icmp,84,1,0\n", tc.sport, tc.dport)
			os.WriteFile(path, []byte("timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"+row), 0o644)
			fl, _, err := ReadAll(t.Context(), path, "auto", DecodeOptions{})
			if tc.field != "" {
				var pe *input.Error
				if !errors.As(err, &pe) || pe.Line != 2 || pe.Field != tc.field {
					t.Fatalf("got %v, want line 2 field %s refused", err, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// ICMP's numbers in the port columns are not ports: they are
			// not kept, so that they never make a connection's port.
			if len(fl) != 1 || fl[0].Proto != ProtoICMP || fl[0].SrcPort != 0 || fl[0].DstPort != 0 || fl[0].Bytes != 84 {
				t.Errorf("got %+v, want one ICMP flow of 84 bytes without ports", fl)
			}
		})
	}
}

// TestCROnlyLineEndings: a file whose lines end in CR alone is one long
// line to the reader; it is refused with that reason, not read as empty.
func TestCROnlyLineEndings(t *testing.T) {
	content := "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\r" +
		"2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5\r"
	path := filepath.Join(t.TempDir(), "mac.csv")
	os.WriteFile(path, []byte(content), 0o644)
	for _, format := range []string{"auto", "csv"} {
		_, _, err := ReadAll(t.Context(), path, format, DecodeOptions{})
		var pe *input.Error
		if !errors.As(err, &pe) || pe.Line != 1 || !strings.Contains(err.Error(), "CR alone") {
			t.Errorf("%s: %v, want line 1 saying the lines end in CR alone", format, err)
		}
	}
}

func TestSkipBadRows(t *testing.T) {
	content := "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n" +
		"2023-11-14T22:13:20Z,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5\n" +
		"bad,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5\n" +
		"2023-11-14T22:13:21Z,10.0.0.1\n" +
		"2023-11-14T22:13:22Z,10.0.0.1,10.0.0.2,1,2,udp,3,4,5\n"
	path := filepath.Join(t.TempDir(), "f.csv")
	os.WriteFile(path, []byte(content), 0o644)
	fl, skipped, err := ReadAll(t.Context(), path, "auto", DecodeOptions{SkipBadRows: true})
	if err != nil || len(fl) != 2 || skipped != 2 {
		t.Errorf("got %d flows, %d skipped, %v; want 2, 2, nil", len(fl), skipped, err)
	}
}

func TestGzipTransparentAndTruncated(t *testing.T) {
	raw, _ := os.ReadFile("testdata/argus_ra.binetflow")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	dir := t.TempDir()
	whole := filepath.Join(dir, "flows.data") // no .gz name: detected by magic bytes
	os.WriteFile(whole, buf.Bytes(), 0o644)
	if fl := mustRead(t, whole, "auto"); len(fl) != 15 {
		t.Errorf("gzip: %d flows, want 15", len(fl))
	}
	trunc := filepath.Join(dir, "trunc.gz")
	os.WriteFile(trunc, buf.Bytes()[:buf.Len()/2], 0o644)
	_, _, err := ReadAll(t.Context(), trunc, "auto", DecodeOptions{})
	var pe *input.Error
	if !errors.As(err, &pe) || pe.File != trunc || pe.Line < 2 || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated gzip: %v, want an error naming the file and a line, saying it is truncated", err)
	}
}

func TestEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.csv")
	os.WriteFile(path, nil, 0o644)
	if _, _, err := ReadAll(t.Context(), path, "auto", DecodeOptions{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
}

// TestCTU13 reads the whole shared CTU-13 capture.
func TestCTU13(t *testing.T) {
	const path = "../../shared/data/ctu13/capture20110816.binetflow.gz"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("CTU-13 capture not found at %s: %v", path, err)
	}
	fl := mustRead(t, path, "auto")
	// 558,919 rows; 195 ARP and 5 IPX records are not IP flows.
	if len(fl) != 558919-200 {
		t.Fatalf("%d flows, want %d", len(fl), 558919-200)
	}
	want := Flow{Start: ns(time.Date(2011, 8, 16, 10, 1, 46, 972101000, time.UTC)), Duration: 3599.986572, Src: addr("88.176.79.163"), Dst: addr("147.32.84.172"),
		SrcPort: 49213, DstPort: 18250, Proto: ProtoTCP, Bytes: 415389446, Packets: 414671, Label: "flow=Background"}
	if fl[0] != want {
		t.Errorf("first flow %+v, want %+v", fl[0], want)
	}
}

// TestTruncatedGzipHeader: a gzip cut inside the header line is reported as
// truncated, not as an unknown format.
func TestTruncatedGzipHeader(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"))
	zw.Close()
	path := filepath.Join(t.TempDir(), "cut.csv.gz")
	if err := os.WriteFile(path, buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadAll(t.Context(), path, "auto", DecodeOptions{})
	if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "cut.csv.gz") {
		t.Errorf("error %v, want one naming the file and saying truncated", err)
	}
}

// TestArgusNotIP: Argus records of other traffic than IP flows are left
// out and counted by kind; packetbeat's zero deltas are left out without
// a count (they are not records of other traffic).
func TestArgusNotIP(t *testing.T) {
	text := `StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label
2011/08/16 10:01:47.000000,1.0,tcp,147.32.84.165,1025,   ->,147.32.80.9,53,CON,0,0,2,200,100,flow=Normal
2011/08/16 10:01:47.649052,3594.202881,ipx/spx,00:15:17:2c:e5:2d,,   ->,ff:ff:ff:ff:ff:ff,,INT,,,568,52705,52705,flow=Background
2011/08/16 10:01:47.788774,3596.680908,arp,147.32.87.78,,  who,147.32.87.78,,INT,,,655,39300,39300,flow=Background
2011/08/16 10:01:48.000000,1,man,0.0.0.0,,   ->,0.0.0.0,,,,,0,0,0,
2011/08/16 10:01:49.155615,3064.184570,ARP,147.32.87.52,,  who,147.32.87.54,,INT,,,7,420,420,flow=Background
2011/08/16 10:02:47.000000,1.0,udp,147.32.84.165,1026,   ->,147.32.80.9,53,CON,0,0,2,200,100,flow=Normal
`
	dec, closer, err := NewDecoder(t.Context(), strings.NewReader(text), "capture.binetflow", "auto", DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	n := 0
	for f := (Flow{}); dec.Next(&f) == nil; n++ {
	}
	want := []Dropped{{"IPX/SPX", 1}, {"ARP", 2}, {"Argus management", 1}}
	if got := dec.Dropped(); n != 2 || !slices.Equal(got, want) {
		t.Errorf("%d flows, dropped %v; want 2 flows, dropped %v", n, got, want)
	}
	pb, pcloser, err := Open(t.Context(), "testdata/packetbeat.csv", "auto", DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pcloser.Close()
	for f := (Flow{}); pb.Next(&f) == nil; {
	}
	if d := pb.Dropped(); d != nil {
		t.Errorf("packetbeat's zero deltas counted: %v", d)
	}
}

// TestGoflow2Nanoseconds: goflow2's nanosecond times are read exactly, as
// integers (a float64 keeps 53 bits: 256 ns steps at today's times).
func TestGoflow2Nanoseconds(t *testing.T) {
	for _, tt := range []struct {
		name, start, end string
		want             int64
		dur              float64
	}{
		{"integer", "1704507265265455123", "1704507265765455124", 1704507265265455123, 0.500000001},
		{"in a string", `"1704507265265455123"`, `"1704507265265455125"`, 1704507265265455123, 2e-9},
		{"with a fraction", "1704507265265455000.0", "1704507265265455000", 1704507265265455104, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			line := `{"time_flow_start_ns":` + tt.start + `,"time_flow_end_ns":` + tt.end + `,"src_addr":"10.0.0.5","dst_addr":"10.0.0.1","proto":6,"src_port":1,"dst_port":2,"bytes":1,"packets":1}`
			var f Flow
			if field, err := decodeGoflow2([]byte(line), &f); err != nil {
				t.Fatalf("%s: %v", field, err)
			}
			if f.Start != tt.want || f.Duration != tt.dur {
				t.Errorf("start %d, duration %v; want %d, %v", f.Start, f.Duration, tt.want, tt.dur)
			}
		})
	}
}
