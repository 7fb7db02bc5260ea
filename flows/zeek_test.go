package flows

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/input"
)

// TestZeekIoT23Labels reads IoT-23's form: the last #fields name holds
// three names separated by three spaces, and every line's last field their
// three values.
func TestZeekIoT23Labels(t *testing.T) {
	for _, format := range []string{"auto", "zeek"} {
		fl := mustRead(t, "testdata/iot23_conn.log.labeled", format)
		want := []Flow{
			{Start: 1538572953710599000, Src: addr("192.168.100.113"), Dst: addr("192.168.100.1"), SrcPort: 42789, DstPort: 53, Proto: ProtoUDP, Bytes: 67, Packets: 1, ID: "Ck1aGz3ZyKcyF5Qm8d", Label: "Benign"},
			{Start: 1538573100250000000, Duration: 2.491366, Src: addr("192.168.100.113"), Dst: addr("203.0.113.90"), SrcPort: 51022, DstPort: 443, Proto: ProtoTCP, Bytes: 1679 + 4449, Packets: 22, ID: "Cq8WqN2uVpJ4bVj6Ue", Label: "Malicious   C&C-Torii"},
			{Start: 1538573101000000000, Src: addr("192.168.100.113"), Dst: addr("198.51.100.23"), SrcPort: 37215, DstPort: 23, Proto: ProtoTCP, Bytes: 40, Packets: 1, ID: "C7DrWv1fQmZC9hVZkg", Label: "Malicious   PartOfAHorizontalPortScan"},
			{Start: 1538573102500000000, Src: addr("192.168.100.1"), Dst: addr("192.168.100.113"), Proto: ProtoICMP, Bytes: 28, Packets: 1, ID: "CsTrk13oJuL8gH2Qmb"}, // "-   -   -": no label
		}
		if len(fl) != len(want) {
			t.Fatalf("%s: %d flows, want %d", format, len(fl), len(want))
		}
		for i := range want {
			if fl[i] != want[i] {
				t.Errorf("%s row %d:\n got %+v\nwant %+v", format, i, fl[i], want[i])
			}
		}
	}
}

// TestZeekSeparateLabelColumns reads Stratosphere's separate label columns,
// in TSV and JSON, under both spellings of the detailed label.
func TestZeekSeparateLabelColumns(t *testing.T) {
	const head = "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
	tests := []struct {
		name, content string
		want          []string
	}{
		{"tsv detailed-label", head + "label\tdetailed-label\n" +
			"1700000000\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tMalicious\tDDoS\n" +
			"1700000001\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tBenign\t-\n" +
			"1700000002\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\t-\n" +
			"1700000003\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\tC&C\n",
			[]string{"Malicious   DDoS", "Benign", "", "-   C&C"}},
		{"tsv detailedlabel", head + "detailedlabel\tlabel\n" +
			"1700000000\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tC&C-HeartBeat\tMalicious\n" +
			"1700000001\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t(empty)\tbenign\n",
			[]string{"Malicious   C&C-HeartBeat", "benign"}},
		{"tsv label only", head + "label\n" +
			"1700000000\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\tflow=From-Botnet-V42-TCP-CC1\n",
			[]string{"flow=From-Botnet-V42-TCP-CC1"}},
		{"json", `{"ts":1700000000,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"tcp","label":"Malicious","detailed-label":"Okiru"}` + "\n" +
			`{"ts":1700000001,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"tcp","label":"Benign","detailedlabel":"-"}` + "\n" +
			`{"ts":1700000002,"id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":2,"proto":"tcp"}` + "\n",
			[]string{"Malicious   Okiru", "Benign", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "conn.log")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			fl := mustRead(t, path, "zeek")
			if len(fl) != len(tc.want) {
				t.Fatalf("%d flows, want %d", len(fl), len(tc.want))
			}
			for i, w := range tc.want {
				if fl[i].Label != w {
					t.Errorf("row %d: label %q, want %q", i, fl[i].Label, w)
				}
			}
		})
	}
}

// TestZeekCompoundFieldErrors: a line whose compound field does not hold
// as many values as its header name is a bad row naming its line, and a
// header with two compound names is refused.
func TestZeekCompoundFieldErrors(t *testing.T) {
	const head = "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttunnel_parents   label   detailed-label\n"
	tests := []struct {
		name, content string
		line          int
		field         string
		is            error
	}{
		{"two values", head + "1700000000\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-   Benign   -\n1700000001\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-   Benign\n", 4, "", ErrFieldCount},
		{"tab instead", head + "1700000000\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-\tBenign\t-\n", 3, "", ErrFieldCount},
		{"two compound names", "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ta   b\tc   d\n", 2, "c   d", ErrBadValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "conn.log")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := ReadAll(context.Background(), path, "zeek", DecodeOptions{})
			var pe *input.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *input.Error", err)
			}
			if pe.Line != tc.line || pe.Field != tc.field || !errors.Is(err, tc.is) {
				t.Errorf("got %v (line %d field %q), want line %d field %q wrapping %v", err, pe.Line, pe.Field, tc.line, tc.field, tc.is)
			}
			// Skipping bad rows keeps the good ones.
			if tc.name == "two values" {
				fl, skipped, err := ReadAll(context.Background(), path, "zeek", DecodeOptions{SkipBadRows: true})
				if err != nil || skipped != 1 || len(fl) != 1 || fl[0].Label != "Benign" {
					t.Errorf("skipping: %d flows, %d skipped, %v", len(fl), skipped, err)
				}
			}
		})
	}
}

// TestZeekIoT23Captures reads the shared IoT-23 captures whole and counts
// their labels (skipped without ../shared).
func TestZeekIoT23Captures(t *testing.T) {
	tests := []struct {
		file  string
		flows int
		want  map[string]int
	}{
		{"CTU-IoT-Malware-Capture-21-1.conn.log.labeled.gz", 3286, map[string]int{"Benign": 3272, "Malicious   C&C-Torii": 14}},
		{"CTU-IoT-Malware-Capture-34-1.conn.log.labeled.gz", 23145, map[string]int{"Benign": 1923, "Malicious   C&C": 6706,
			"Malicious   DDoS": 14394, "Malicious   PartOfAHorizontalPortScan": 122}},
	}
	for _, tc := range tests {
		path := filepath.Join("..", "..", "shared", "data", "iot23", tc.file)
		if _, err := os.Stat(path); err != nil {
			t.Skipf("%s absent: %v", path, err)
		}
		fl := mustRead(t, path, "auto")
		if len(fl) != tc.flows {
			t.Errorf("%s: %d flows, want %d", tc.file, len(fl), tc.flows)
		}
		got := map[string]int{}
		for i := range fl {
			got[fl[i].Label]++
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: labels %v, want %v", tc.file, got, tc.want)
		}
		for l, n := range tc.want {
			if got[l] != n {
				t.Errorf("%s: %d flows labelled %q, want %d", tc.file, got[l], strings.TrimSpace(l), n)
			}
		}
	}
}
