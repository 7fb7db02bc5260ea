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

// TestProjectCSVSeparators: the project's CSV is read the same whether its
// columns are separated by commas, semicolons or tabs, detected from the
// header, with or without --format csv.
func TestProjectCSVSeparators(t *testing.T) {
	header := []string{"timestamp", "src_ip", "dst_ip", "src_port", "dst_port", "protocol", "bytes", "packets", "duration", "label"}
	rows := [][]string{
		{"2023-11-14T22:13:20Z", "10.0.0.1", "10.0.0.2", "40000", "443", "tcp", "300", "4", "0.5", "normal"},
		{"1700000001.25", "10.0.0.2", "10.0.0.1", "53", "5353", "udp", "80", "1", "0", "beacon"},
	}
	join := func(sep string, crlf bool, lines ...[]string) string {
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(strings.Join(l, sep))
			if crlf {
				b.WriteString("\r")
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	path := filepath.Join(t.TempDir(), "comma.csv")
	os.WriteFile(path, []byte(join(",", false, header, rows[0], rows[1])), 0o644)
	want := mustRead(t, path, "csv")
	if len(want) != 2 {
		t.Fatalf("%d flows in the comma file, want 2", len(want))
	}
	quoted := make([]string, len(header))
	for i, h := range header {
		quoted[i] = `"` + strings.ToUpper(h) + `"`
	}
	tests := []struct {
		name    string
		content string
	}{
		{"semicolon", join(";", false, header, rows[0], rows[1])},
		{"tab", join("\t", false, header, rows[0], rows[1])},
		{"semicolon, CRLF", join(";", true, header, rows[0], rows[1])},
		{"semicolon, byte-order mark", "\ufeff" + join(";", false, header, rows[0], rows[1])},
		{"semicolon, quoted upper-case names", join(";", false, quoted, rows[0], rows[1])},
		{"tab, spaces around names", join("\t", false, []string{" timestamp ", "src_ip", "dst_ip", "src_port", "dst_port", "protocol", "bytes", "packets", "duration", " label"}, rows[0], rows[1])},
		{
			"semicolon, commas in a column's name and values",
			join(";", false, append(header[:len(header):len(header)], "note, free"), append(rows[0][:len(rows[0]):len(rows[0])], "a,b"), append(rows[1][:len(rows[1]):len(rows[1])], "c,d")),
		},
	}
	for _, tc := range tests {
		for _, format := range []string{"csv", "auto"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "f.csv")
				os.WriteFile(path, []byte(tc.content), 0o644)
				got, _, err := ReadAll(context.Background(), path, format, DecodeOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%d flows, want %d", len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("flow %d:\n got %+v\nwant %+v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// TestProjectSeparator: the separator that finds the most required
// columns wins; ties go to the comma, then the semicolon.
func TestProjectSeparator(t *testing.T) {
	tests := []struct {
		header string
		sep    rune
		found  int
	}{
		{"timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration", ',', 9},
		{"timestamp;src_ip;dst_ip;src_port;dst_port;protocol;bytes;packets;duration", ';', 9},
		{"timestamp\tsrc_ip\tdst_ip", '\t', 3},
		// A comma inside semicolon-separated names: the semicolon finds more.
		{"timestamp;src_ip;dst_ip;note, free;protocol", ';', 4},
		{"timestamp,src_ip;dst_ip", ',', 1}, // one each way: the comma
		{"a|b|c", ',', 0},
		{"", ',', 0},
	}
	for _, tc := range tests {
		sep, found := projectSeparator(tc.header)
		if sep != tc.sep || found != tc.found {
			t.Errorf("projectSeparator(%q) = %q, %d; want %q, %d", tc.header, sep, found, tc.sep, tc.found)
		}
	}
}

// TestProjectCSVSeparatorErrors: a row split differently from its header
// names the separator to quote; a header in no known separator says so.
func TestProjectCSVSeparatorErrors(t *testing.T) {
	semi := "timestamp;src_ip;dst_ip;src_port;dst_port;protocol;bytes;packets;duration\n"
	pipe := "timestamp|src_ip|dst_ip|src_port|dst_port|protocol|bytes|packets|duration\n"
	row := "2023-11-14T22:13:20Z;10.0.0.1;10.0.0.2;1;2;tcp;3;4;5\n"
	tests := []struct {
		name, content, format string
		line                  int
		field                 string
		is                    error
		says                  string
	}{
		{"a comma row under a semicolon header", semi + row + strings.ReplaceAll(row, ";", ",") + row, "auto", 3, "", ErrFieldCount, "1 fields"},
		{"a value with a semicolon", semi + "2023-11-14T22:13:20Z;10.0.0.1;10.0.0.2;1;2;tcp;3;4;5;x\n", "csv", 2, "", ErrFieldCount, "semicolon"},
		{"pipes, auto", pipe + strings.ReplaceAll(row, ";", "|"), "auto", 1, "", ErrUnknownFormat, "matches none"},
		{"pipes, csv", pipe + strings.ReplaceAll(row, ";", "|"), "csv", 1, "timestamp", ErrMissingColumn, "the header is one column"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.csv")
			os.WriteFile(path, []byte(tc.content), 0o644)
			_, _, err := ReadAll(context.Background(), path, tc.format, DecodeOptions{})
			var pe *input.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want an *input.Error", err)
			}
			if pe.Line != tc.line || pe.Field != tc.field || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("got %v (line %d field %q), want line %d field %q wrapping %v and saying %q", err, pe.Line, pe.Field, tc.line, tc.field, tc.is, tc.says)
			}
		})
	}
}
