package flows

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/input"
)

// fuzzFormat feeds arbitrary input to one reader: it may fail, but only
// with an *input.Error, and never panic or loop.
func fuzzFormat(f *testing.F, format string, seedFiles ...string) {
	for _, s := range seedFiles {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, skip := range []bool{false, true} {
			dec, closer, err := NewDecoder(t.Context(), strings.NewReader(in), "fuzz", format, DecodeOptions{SkipBadRows: skip})
			if err != nil {
				var pe *input.Error
				if !errors.As(err, &pe) {
					t.Fatalf("open error %v is not a *input.Error", err)
				}
				continue
			}
			var fl Flow
			for i := 0; ; i++ {
				err := dec.Next(&fl)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					var pe *input.Error
					if !errors.As(err, &pe) {
						t.Fatalf("error %v is not a *input.Error", err)
					}
					break
				}
				if i > len(in)+10 {
					t.Fatal("more flows than input lines")
				}
			}
			closer.Close()
		}
	})
}

func FuzzProjectCSV(f *testing.F) {
	f.Add("timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration,label\n2023-11-14T22:13:20Z,10.0.0.1,::1,1,2,tcp,3,4,5,x\n")
	f.Add("timestamp;src_ip;dst_ip;src_port;dst_port;protocol;bytes;packets;duration;label\n2023-11-14T22:13:20Z;10.0.0.1;::1;1;2;tcp;3;4;5;\"x;y\"\n")
	f.Add("timestamp\tsrc_ip\tdst_ip\tsrc_port\tdst_port\tprotocol\tbytes\tpackets\tduration\n1700000000.5\t10.0.0.1\t10.0.0.2\t1\t2\t6\t3\t4\t5\n")
	fuzzFormat(f, "csv")
}
func FuzzPacketbeat(f *testing.F) { fuzzFormat(f, "packetbeat", "testdata/packetbeat.csv") }
func FuzzArgus(f *testing.F)      { fuzzFormat(f, "argus", "testdata/argus_ra.binetflow") }
func FuzzNfdump(f *testing.F)     { fuzzFormat(f, "nfdump", "testdata/nfdump_1.7.csv") }
func FuzzZeek(f *testing.F) {
	fuzzFormat(f, "zeek", "testdata/zeek_conn.log", "testdata/zeek_conn.json", "testdata/iot23_conn.log.labeled")
}
func FuzzGoflow2(f *testing.F) { fuzzFormat(f, "goflow2", "testdata/goflow2.json") }
func FuzzDetect(f *testing.F) {
	fuzzFormat(f, "auto", "testdata/argus_ra.binetflow", "testdata/zeek_conn.json", "testdata/goflow2.json")
}
