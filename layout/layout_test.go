package layout

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestValidateGroupName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"workstations", true},
		{"web-tier_2.eu", true},
		{"", false},
		{"..", false},
		{"a..b", false},
		{".hidden", false},
		{"a/b", false},
		{`a\b`, false},
		{"../etc", false},
		{"-flag", false},
		{"10.0.0.1", false}, // an IP is a service, never a group
		{"::1", false},
		{"x y", false},
		{string(make([]byte, 65)), false},
	}
	for _, tc := range tests {
		if err := ValidateGroupName(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidateGroupName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestParseService(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"10.0.0.1", "10.0.0.1", true},
		{" 10.0.0.1 ", "10.0.0.1", true},
		{"2001:db8::1", "2001:db8::1", true},
		{"::ffff:10.0.0.1", "10.0.0.1", true}, // mapped: the IPv4 form
		{"fe80::1%eth0", "", false},
		{"10.0.0.01", "", false},
		{"10.0.0.256", "", false},
		{"web", "", false},
		{"../10.0.0.1", "", false},
	}
	for _, tc := range tests {
		a, err := ParseService(tc.in)
		if (err == nil) != tc.ok || (tc.ok && a.String() != tc.want) {
			t.Errorf("ParseService(%q) = %v, %v; want %q ok=%v", tc.in, a, err, tc.want, tc.ok)
		}
	}
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"10.0.0.2", "10.0.0.10", "2001:db8::1", "::ffff:10.0.0.3", "notes", "bad..group"} {
		if err := os.MkdirAll(filepath.Join(root, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write("summary.csv", "")
	// Links named like a unit are refused, whatever they point to (a
	// folder elsewhere, a file, nothing, themselves); links named like
	// nothing a unit could be are folders with a stray name or files.
	elsewhere := t.TempDir()
	if err := os.MkdirAll(filepath.Join(elsewhere, "grp"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(elsewhere, "grp", GroupFile), []byte(`{"name":"linked","members":["10.0.0.1"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct{ target, name string }{
		{elsewhere, "10.0.0.7"}, {filepath.Join(root, "summary.csv"), "10.0.0.8"}, {filepath.Join(root, "absent"), "10.0.0.9"},
		{"10.0.0.11", "10.0.0.11"}, {filepath.Join(elsewhere, "grp"), "linked"}, {elsewhere, "stray-link"},
		{filepath.Join(root, "summary.csv"), "latest.csv"}, {filepath.Join(root, "absent"), "gone"},
	} {
		if err := os.Symlink(l.target, filepath.Join(root, l.name)); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	g, err := GroupJSON(Unit{Name: "web", Members: []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("10.0.0.4")}})
	if err != nil {
		t.Fatal(err)
	}
	write("web/group.json", string(g))
	write("mismatch/group.json", `{"name": "other", "members": ["10.0.0.1"]}`)
	write("empty/group.json", `{"name": "empty", "members": []}`)
	write("badmember/group.json", `{"name": "badmember", "members": ["10.0.0.1/../x"]}`)
	write("syntax/group.json", "{\n  \"name\": \"syntax\",\n  members: []\n}\n")

	units, skipped, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range units {
		names = append(names, u.Name)
	}
	// services by address (IPv4 before IPv6), then groups by name
	if want := []string{"10.0.0.2", "10.0.0.10", "2001:db8::1", "web"}; !slices.Equal(names, want) {
		t.Errorf("units %v, want %v", names, want)
	}
	web := units[3]
	if !web.IsGroup() || !slices.Equal(web.Hosts(), []netip.Addr{netip.MustParseAddr("10.0.0.4"), netip.MustParseAddr("10.0.0.5")}) {
		t.Errorf("group web: %+v", web)
	}
	reasons := map[string]error{}
	for _, s := range skipped {
		reasons[s.Name] = s.Reason
	}
	// Folders with a stray name are skipped as not units; folders with a
	// group.json are groups whose description is broken.
	for _, tc := range []struct {
		name string
		want error
		text string // in the reason
	}{
		{"::ffff:10.0.0.3", nil, "canonical"},
		{"notes", ErrBadName, ""},
		{"bad..group", ErrBadName, ""},
		{"mismatch", ErrBadGroup, "does not match its folder"},
		{"empty", ErrBadGroup, "no members"},
		{"badmember", ErrBadGroup, "member"},
		{"syntax", ErrBadGroup, filepath.Join(root, "syntax", "group.json") + ":3:"},
		{"10.0.0.7", ErrUnitLink, "(to " + elsewhere + "): unit folders must be folders of their own"},
		{"10.0.0.8", ErrUnitLink, "to a file"},
		{"10.0.0.9", ErrUnitLink, "which does not exist"},
		{"10.0.0.11", ErrUnitLink, "cannot be followed"},
		{"linked", ErrUnitLink, "move the folder into the data folder"},
		{"stray-link", ErrBadName, ""},
	} {
		r := reasons[tc.name]
		switch {
		case r == nil:
			t.Errorf("%q not skipped (skipped: %v)", tc.name, skipped)
		case tc.want != nil && !errors.Is(r, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, r, tc.want)
		case !strings.Contains(r.Error(), tc.text):
			t.Errorf("%s: %q does not say %q", tc.name, r, tc.text)
		}
	}
	if len(skipped) != 13 {
		t.Errorf("skipped %d, want 13: %v", len(skipped), skipped)
	}
	for _, s := range skipped {
		if broken := IsBroken(s.Reason); broken != (errors.Is(s.Reason, ErrBadGroup) || errors.Is(s.Reason, ErrUnitLink)) {
			t.Errorf("%s: IsBroken %v for %v", s.Name, broken, s.Reason)
		}
	}
	if got := TrainFile("T", units[0]); got != filepath.Join("T", "10.0.0.2", "10.0.0.2_train_data.csv") {
		t.Errorf("TrainFile = %q", got)
	}
	if got := MonitorFile("M", units[2]); got != filepath.Join("M", "2001:db8::1", "2001:db8::1_monitor_data.csv") {
		t.Errorf("MonitorFile = %q", got)
	}
	if _, _, err := Discover(filepath.Join(root, "absent")); err == nil {
		t.Error("Discover of a missing folder: no error")
	}
}

// TestValuesInErrorsAreCut: a huge value from a file or a summary is cut
// in the error that quotes it; the error stays short.
func TestValuesInErrorsAreCut(t *testing.T) {
	huge := strings.Repeat("9", 5_000_000)
	dir := filepath.Join(t.TempDir(), "workstations")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, json := range map[string]string{
		"group name": `{"name":"` + huge + `","members":["10.0.0.1"]}`,
		"member":     `{"name":"workstations","members":["` + huge + `"]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, GroupFile), []byte(json), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadGroup(dir)
		if err == nil || len(err.Error()) > 300 || !strings.Contains(err.Error(), `…" (5000000 bytes)`) {
			t.Errorf("%s: %.300v", name, err)
		}
	}
	if _, err := ParseService(huge); err == nil || len(err.Error()) > 300 {
		t.Errorf("ParseService: %.300v", err)
	}
}
