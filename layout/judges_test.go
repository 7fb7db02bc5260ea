package layout

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestJudges: a host is judged by --model's unit, else its own, else its
// group's; a member of two groups must be told which.
func TestJudges(t *testing.T) {
	T := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(T, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("web/group.json", `{"name":"web","members":["10.1.0.12","10.1.0.20"]}`)
	write("api/group.json", `{"name":"api","members":["10.1.0.20"]}`)
	write("web/model.json", "{}")
	write("10.1.0.13/model.json", "{}")
	a := netip.MustParseAddr
	j, err := NewJudges(T, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		host, unit, err string
	}{
		{"10.1.0.12", "web", ""},
		{"10.1.0.13", "10.1.0.13", ""},
		{"10.1.0.99", "10.1.0.99", ""},
		{"10.1.0.20", "", "member of the groups api, web"},
	} {
		unit, err := j.Unit(a(tt.host))
		if unit != tt.unit || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: %q, %v; want %q, %q", tt.host, unit, err, tt.unit, tt.err)
		}
	}
	if got := j.Hosts(); !slices.Equal(got, []netip.Addr{a("10.1.0.12"), a("10.1.0.13"), a("10.1.0.20")}) {
		t.Errorf("hosts %v", got)
	}
	if err := j.HasModel("web"); err != nil {
		t.Errorf("web: %v", err)
	}
	if err := j.HasModel("api"); err == nil {
		t.Error("api has no model.json, HasModel says it has")
	}
	shared, err := NewJudges(T, "web")
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := shared.Unit(a("10.1.0.13")); u != "web" || !slices.Equal(shared.Hosts(), []netip.Addr{a("10.1.0.12"), a("10.1.0.20")}) {
		t.Errorf("--model web: 10.1.0.13 judged by %q, hosts %v", u, shared.Hosts())
	}
	if _, err := NewJudges(T, "../x"); err == nil {
		t.Error("--model ../x accepted")
	}
}
