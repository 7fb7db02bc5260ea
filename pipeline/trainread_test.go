package pipeline

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadTraining: each host of a unit keeps the features of its flows,
// sorted by start (stably), a flow between two of them in both; flows of
// no host are counted; the bound on memory stops reading with a clear
// error.
func TestReadTraining(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	path := filepath.Join(t.TempDir(), "flows.csv")
	rows := []string{
		"timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration",
		"2024-01-01T00:00:03Z,10.0.0.1,192.0.2.1,40000,443,tcp,300,3,0.3",
		"2024-01-01T00:00:01Z,192.0.2.2,10.0.0.1,40001,80,tcp,100,1,0.1",
		"2024-01-01T00:00:02Z,10.0.0.1,10.0.0.2,40002,5432,tcp,200,2,0.2",
		"2024-01-01T00:00:01Z,10.0.0.9,192.0.2.3,40003,53,udp,50,1,0",
		"2024-01-01T00:00:01Z,192.0.2.4,10.0.0.1,40004,22,tcp,101,1,0.1",
	}
	if err := os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	d, err := readTraining(context.Background(), path, &c, []netip.Addr{a, b})
	if err != nil {
		t.Fatal(err)
	}
	bytesOf := func(h hostFlows) (out []uint64) {
		for _, x := range h.feats {
			out = append(out, x.Bytes)
		}
		return out
	}
	if got := bytesOf(d.hosts[0]); !slices.Equal(got, []uint64{100, 101, 200, 300}) {
		t.Errorf("10.0.0.1's flows by bytes %v, want them by start, ties in file order", got)
	}
	if got := bytesOf(d.hosts[1]); !slices.Equal(got, []uint64{200}) {
		t.Errorf("10.0.0.2's flows %v", got)
	}
	if x := d.hosts[1].feats[0]; x.Dir != 0 || x.DstPort != 5432 {
		t.Errorf("10.0.0.2 sees the shared flow as %+v, want inbound to 5432", x)
	}
	if d.foreign != 1 || d.count() != 5 || !slices.IsSorted(d.hosts[0].starts) {
		t.Errorf("foreign %d, kept %d (starts %v)", d.foreign, d.count(), d.hosts[0].starts)
	}
	if got := isoTime(d.first) + " " + isoTime(d.last); got != "2024-01-01T00:00:01Z 2024-01-01T00:00:03Z" {
		t.Errorf("first and last %s", got)
	}

	c.MaxMemory = 3 * flowBytes
	if _, err := readTraining(context.Background(), path, &c, []netip.Addr{a}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("--max-memory %d B", 3*flowBytes)) {
		t.Errorf("over the bound: %v", err)
	}
}
