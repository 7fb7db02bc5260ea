package triage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/input"
)

var (
	t0   = time.Date(2024, 1, 6, 2, 15, 6, 294e6, time.UTC)
	beac = Tag{ID: "5f0c6a56-2a57-5c3e-9d4f-0b7f3b1b9a10", Subject: Subject{Unit: "10.1.0.12", Kind: "beaconing", Direction: "outbound", Peer: "192.0.2.14", Port: "443"},
		FirstSeen: t0, LastSeen: t0.Add(2*time.Hour + 44*time.Minute), Label: Expected, Comment: "the monitoring agent; calls home", By: "alice", At: t0.Add(48 * time.Hour).Truncate(time.Second)}
)

// TestRoundTrip: tags and silences written are read back as they were;
// a tag replaces the incident's earlier one; a silence expires.
func TestRoundTrip(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	if err := SetTag(ctx, root, beac); err != nil {
		t.Fatal(err)
	}
	second := beac
	second.ID, second.Label, second.Comment = "0b1e4c7d-3f4a-5b6c-8d9e-0f1a2b3c4d5e", Confirmed, `a comment; with "quotes"`
	if err := SetTag(ctx, root, second); err != nil {
		t.Fatal(err)
	}
	again := beac
	again.Label, again.By = FalsePositive, "bob"
	if err := SetTag(ctx, root, again); err != nil {
		t.Fatal(err)
	}
	m1, _ := ParseMatcher(`kind="port scan"`)
	m2, _ := ParseMatcher(`peer=~10\.1\.0\..*`)
	s, err := AddSilence(ctx, root, Silence{Matchers: []Matcher{m1, m2}, Starts: t0, Ends: t0.Add(24 * time.Hour), By: "carol", Comment: "pentest"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tags) != 2 || st.Tags[0] != again || st.Tags[1] != second {
		t.Errorf("tags read back:\n%+v\nwant\n%+v\n%+v", st.Tags, again, second)
	}
	if len(st.Silences) != 1 || !sameSilence(st.Silences[0], s) {
		t.Fatalf("silences read back: %+v, want %+v", st.Silences, s)
	}
	scan := Subject{Unit: "10.1.0.13", Kind: "port scan", Direction: "inbound", Peer: "10.1.0.10", Port: "*"}
	if got := st.SilencedBy(scan, t0.Add(time.Hour)); len(got) != 1 {
		t.Errorf("the scan is silenced by %d silences, want 1", len(got))
	}
	if got := st.SilencedBy(scan, t0.Add(25*time.Hour)); len(got) != 0 {
		t.Error("silenced after the silence ended")
	}
	if got := st.SilencedBy(beac.Subject, t0.Add(time.Hour)); len(got) != 0 {
		t.Error("the beacon is silenced by a scan's silence")
	}
	if _, err := ExpireSilence(ctx, root, s.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st, _ = Load(root)
	if st.Silences[0].State(t0.Add(2*time.Hour)) != "expired" {
		t.Errorf("an expired silence is %s", st.Silences[0].State(t0.Add(2*time.Hour)))
	}
	if _, err := ExpireSilence(ctx, root, NewID(), t0); !errors.Is(err, ErrNoSilence) {
		t.Errorf("expiring no silence: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(root, TagsFile))
	if !strings.HasPrefix(string(b), "id;unit;kind;direction;peer;port;first seen;last seen;tag;comment;by;at\n") ||
		!strings.Contains(string(b), ";beaconing;outbound;192.0.2.14;443;2024-01-06T02:15:06.294Z;") {
		t.Errorf("tags.csv is not what a person reads:\n%s", b)
	}
	b, _ = os.ReadFile(filepath.Join(root, SilencesFile))
	if !strings.Contains(string(b), `;;port scan;;=~10\.1\.0\..*;;2024-01-06T02:15:06Z;`) {
		t.Errorf("silences.csv:\n%s", b)
	}
}

// TestBadFiles: every bad value is an *input.Error naming the file, the
// line and the field.
func TestBadFiles(t *testing.T) {
	tagHead := "id;unit;kind;direction;peer;port;first seen;last seen;tag;comment;by;at\n"
	good := "5f0c6a56-2a57-5c3e-9d4f-0b7f3b1b9a10;10.1.0.12;beaconing;outbound;192.0.2.14;443;2024-01-06T02:15:06.294Z;2024-01-06T04:59:40.300Z;expected;ok;alice;2024-01-08T02:15:06Z\n"
	silHead := "id;unit;kind;direction;peer;port;starts;ends;by;comment\n"
	sil := func(unit, kind, peer, port, starts, ends, by string) string {
		return fmt.Sprintf("0b1e4c7d-3f4a-5b6c-8d9e-0f1a2b3c4d5e;%s;%s;;%s;%s;%s;%s;%s;c\n", unit, kind, peer, port, starts, ends, by)
	}
	const s1, s2 = "2024-01-06T00:00:00Z", "2024-01-07T00:00:00Z"
	for _, tc := range []struct {
		name, file, text string
		line             int
		field            string
	}{
		{"header", TagsFile, "id;unit;kind\n", 1, ""},
		{"column renamed", TagsFile, strings.Replace(tagHead, "by", "who", 1) + good, 1, "who"},
		{"not an id", TagsFile, tagHead + strings.Replace(good, "5f0c6a56-", "5f0c6a56", 1), 2, "id"},
		{"twice", TagsFile, tagHead + good + good, 3, "id"},
		{"unit", TagsFile, tagHead + strings.Replace(good, "10.1.0.12", "auth", 1), 2, "unit"},
		{"kind", TagsFile, tagHead + strings.Replace(good, "beaconing", "beacon", 1), 2, "kind"},
		{"direction", TagsFile, tagHead + strings.Replace(good, "outbound", "out", 1), 2, "direction"},
		{"peer", TagsFile, tagHead + strings.Replace(good, "192.0.2.14", "192.0.2", 1), 2, "peer"},
		{"port", TagsFile, tagHead + strings.Replace(good, ";443;", ";70000;", 1), 2, "port"},
		{"first seen", TagsFile, tagHead + strings.Replace(good, "2024-01-06T02:15:06.294Z", "6 Jan", 1), 2, "first seen"},
		{"last before first", TagsFile, tagHead + strings.Replace(good, "2024-01-06T04:59:40.300Z", "2024-01-05T04:59:40.300Z", 1), 2, "last seen"},
		{"tag", TagsFile, tagHead + strings.Replace(good, "expected", "benign", 1), 2, "tag"},
		{"comment on two lines", TagsFile, tagHead + strings.Replace(good, ";ok;", ";\"o\nk\";", 1), 2, "comment"},
		{"nobody", TagsFile, tagHead + strings.Replace(good, ";alice;", "; ;", 1), 2, "by"},
		{"at", TagsFile, tagHead + strings.Replace(good, "2024-01-08T02:15:06Z", "yesterday", 1), 2, "at"},
		{"fields", TagsFile, tagHead + "a;b\n", 2, ""},
		{"no matcher", SilencesFile, silHead + sil("", "", "", "", s1, s2, "bob"), 2, "unit"},
		{"bad regexp", SilencesFile, silHead + sil("=~10.(", "", "", "", s1, s2, "bob"), 2, "unit"},
		{"bad kind", SilencesFile, silHead + sil("", "portscan", "", "", s1, s2, "bob"), 2, "kind"},
		{"bad peer", SilencesFile, silHead + sil("", "", "!=x", "", s1, s2, "bob"), 2, "peer"},
		{"bad port", SilencesFile, silHead + sil("", "", "", "https", s1, s2, "bob"), 2, "port"},
		{"ends first", SilencesFile, silHead + sil("10.1.0.12", "", "", "", s2, s1, "bob"), 2, "ends"},
		{"by", SilencesFile, silHead + sil("10.1.0.12", "", "", "", s1, s2, ""), 2, "by"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, tc.file), []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(root)
			var ie *input.Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want an *input.Error", err)
			}
			if filepath.Base(ie.File) != tc.file || ie.Line != tc.line || ie.Field != tc.field {
				t.Errorf("error %q names %s line %d field %q, want %s line %d field %q", err, ie.File, ie.Line, ie.Field, tc.file, tc.line, tc.field)
			}
			// A writer refuses to add to a file it cannot read.
			if err := SetTag(context.Background(), root, beac); err == nil {
				t.Error("a tag was added to a bad file")
			}
		})
	}
}

// TestMatchers: the operators, quoting, and matchers that cannot be.
func TestMatchers(t *testing.T) {
	sub := Subject{Unit: "10.1.0.12", Kind: "port scan", Direction: "outbound", Peer: "10.1.0.11", Port: "*"}
	for _, tc := range []struct {
		text  string
		match bool
	}{
		{"unit=10.1.0.12", true},
		{"unit!=10.1.0.12", false},
		{`kind="port scan"`, true},
		{"kind=~port.*", true},
		{"kind=~port", false}, // anchored
		{"peer!~192\\..*", true},
		{"port=*", true},
		{"direction=inbound", false},
	} {
		m, err := ParseMatcher(tc.text)
		if err != nil {
			t.Errorf("%s: %v", tc.text, err)
			continue
		}
		if m.Matches(sub) != tc.match {
			t.Errorf("%s matches %v, want %v", tc.text, !tc.match, tc.match)
		}
		if back, err := ParseMatcher(m.String()); err != nil || back.String() != m.String() {
			t.Errorf("%s prints as %s, read back as %v, %v", tc.text, m, back, err)
		}
	}
	for _, bad := range []string{"unit", "=x", "host=10.1.0.12", "unit=auth", "kind=~(", "port=99999", "kind=scan"} {
		if _, err := ParseMatcher(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestConcurrentWriters: writers in parallel (serve's requests, a tag on
// the command line) each keep their change: the files are read and
// replaced under the lock.
func TestConcurrentWriters(t *testing.T) {
	root := t.TempDir()
	var wg sync.WaitGroup
	const n = 12
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tag := beac
			tag.ID = fmt.Sprintf("5f0c6a56-2a57-5c3e-9d4f-%012d", i)
			if err := SetTag(context.Background(), root, tag); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	st, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Tags) != n {
		t.Errorf("%d tags, want %d", len(st.Tags), n)
	}
}

// TestLifecycle: the states of the lifecycle draft.
func TestLifecycle(t *testing.T) {
	conf, exp := beac, beac
	conf.Label = Confirmed
	for _, tc := range []struct {
		tag  *Tag
		want Stage
	}{
		{nil, Stage{"detection", "problem-potential"}},
		{&conf, Stage{"validation", "problem-confirmed"}},
		{&exp, Stage{"validation", "discarded"}},
	} {
		if got := Lifecycle(tc.tag); got != tc.want {
			t.Errorf("tagged %v: %v, want %v", tc.tag != nil, got, tc.want)
		}
	}
}

// FuzzTags and FuzzSilences: the readers never panic, and what they read
// is written back as a file they read alike.
func FuzzTags(f *testing.F) {
	f.Add([]byte(formatTags([]Tag{beac})))
	f.Add([]byte("id;unit\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tags, err := parseTags(TagsFile, strings.NewReader(string(b)))
		if err != nil {
			return
		}
		again, err := parseTags(TagsFile, strings.NewReader(string(formatTags(tags))))
		if err != nil || len(again) != len(tags) {
			t.Fatalf("written back: %v, %d tags of %d", err, len(again), len(tags))
		}
	})
}

func FuzzSilences(f *testing.F) {
	m, _ := ParseMatcher("unit=10.1.0.12")
	f.Add([]byte(formatSilences([]Silence{{ID: NewID(), Matchers: []Matcher{m}, Starts: t0, Ends: t0.Add(time.Hour), By: "a"}})))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, err := parseSilences(SilencesFile, strings.NewReader(string(b)))
		if err != nil {
			return
		}
		again, err := parseSilences(SilencesFile, strings.NewReader(string(formatSilences(ss))))
		if err != nil || len(again) != len(ss) {
			t.Fatalf("written back: %v, %d silences of %d", err, len(again), len(ss))
		}
		for i := range ss {
			if ss[i].MatcherText() != again[i].MatcherText() {
				t.Fatalf("matchers %s written back as %s", ss[i].MatcherText(), again[i].MatcherText())
			}
		}
	})
}
