package htmlreport

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/triage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixture copies testdata/run, a finished run's folder, into a temporary
// folder, with fixed modification times for its plots: 10.1.0.15 has an
// older PNG and a newer SVG.
func fixture(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "monitor_data")
	err := filepath.WalkDir("testdata/run", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/run", path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 1, 8, 0, 0, 0, 0, time.UTC)
	for name, at := range map[string]time.Time{
		"10.1.0.12/probability_plot_monitor.png": day,
		"10.1.0.15/probability_plot_monitor.png": day,
		"10.1.0.15/probability_plot_monitor.svg": day.Add(time.Minute),
	} {
		if err := os.Chtimes(filepath.Join(dst, name), at, at); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func render(t *testing.T, root string, o Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, root, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestWriteGolden: the report of the fixture, byte for byte, written
// atomically (nothing else is left in the folder) and the same each time.
func TestWriteGolden(t *testing.T) {
	root := fixture(t)
	if err := Write(root, Options{}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, File))
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if !e.IsDir() && e.Name() != File && e.Name() != SummaryFile {
			t.Errorf("%s left in the folder", e.Name())
		}
	}
	golden := filepath.Join("testdata", "report.golden.html")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s (go test ./htmlreport -run TestWriteGolden -args -update rewrites it)", golden)
	}
	if again := render(t, root, Options{}); again != string(got) {
		t.Error("a second rendering of the same folder differs")
	}
}

// section returns the part of the page in the section with the given
// id, up to the next section.
func section(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<section id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no section %s", id)
	}
	end := strings.Index(page[start+1:], "<section")
	if end < 0 {
		return page[start:]
	}
	return page[start : start+1+end]
}

// TestReportContent: what the first table and each host's section show,
// from the fixture.
func TestReportContent(t *testing.T) {
	page := render(t, fixture(t), Options{})
	tests := []struct {
		name, id string
		has      []string
		hasNot   []string
	}{
		{
			name: "incidents of every host, most evidence first", id: "incidents",
			has: []string{
				`<tr data-id="17970a50-964f-5fd8-afca-a3c2a401cdf8" data-unit="10.1.0.12" data-kind="beaconing" data-peer="192.0.2.14" data-port="443">`,
				`<td class="host"><a href="#s1-i1">10.1.0.12</a></td>`, `<td class="mono peer">→ 192.0.2.14:443</td>`,
				`<td class="time" title="2024-01-06T02:15:06.294Z">2024-01-06 02:15:06</td>`,
				`<div class="summary">beaconing to 192.0.2.14:443 (HTTPS) every 5m0s</div>`,
				`new peer 192.0.2.14 on 443 (this host contacted 10 peers in training, 3 on outbound TCP)`,
				`Find the process on 10.1.0.12 calling 192.0.2.14:443`,
				`<td class="mono peer">→ 10.1.0.11, many ports</td>`, `scan of 243 ports of 10.1.0.11`,
				// Markup and quotes from the files, escaped.
				`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; a peer never seen`,
				`problem-potential · 17970a50`,
			},
			hasNot: []string{`<script`, `<form`},
		},
		{
			name: "hosts", id: "hosts",
			has: []string{
				`<td><a href="#s1">10.1.0.12</a></td><td class="bad">97 of 1,222 windows</td><td>2</td><td><span class="kind k-beaconing">beaconing</span> beaconing to 192.0.2.14:443 (HTTPS) every 5m0s</td>`,
				`<td><a href="#s2">10.1.0.13</a></td><td>0 of 1,460 windows</td><td>0</td><td>no alarms</td>`,
				`<td colspan="5" class="bad">failed: no usable model for 10.9.9.9 (train it, or pick one with --model): open train_data/10.9.9.9/model.json: &lt;no such file&gt;; &#34;quoted&#34;</td>`,
			},
		},
		{
			name: "a host with incidents", id: "s1",
			has: []string{
				`<h2>10.1.0.12</h2>`, `97 of 1,222 windows are alarms</span>: below the threshold -39.4917 of model 10.1.0.12, in 2 incidents.`,
				`<img src="data:image/png;base64,iVBORw0KGgo`,
				`<tr id="s1-i1">`, `<a href="#s1-w34" title="rows 34-38 41-42 131 of monitor_data_predictions.csv">59 windows</a>`,
				// An incident whose windows are not listed: no link.
				`<span title="rows 999 of monitor_data_predictions.csv">1 window</span>`,
				`<tr><td class="mono">→ 192.0.2.14:443</td><td class="num">59</td><td class="time">2024-01-06 02:15:06</td><td class="num">270</td>`,
				`<div class="oneline" title="&lt;b&gt;new&lt;/b&gt;">&lt;b&gt;new&lt;/b&gt;</div>`,
				// Windows in row order, from both states, the root cause's symbol.
				`<tr id="s1-w34"><td class="num">34</td><td class="time">2024-01-06 02:20:14</td><td class="num">0</td><td class="mono">→ 192.0.2.14:443</td><td class="mono">out/tcp/s01/d4/p:wk</td><td class="num">-46.93</td></tr>`,
				`<tr id="s1-w42">`, `<summary>7 alarm windows</summary>`,
			},
			hasNot: []string{`class="problems"`},
		},
		{
			name: "a host without alarms, with files the report cannot use", id: "s2",
			has: []string{
				`<span class="ok">No alarms</span>: all 1,460 windows scored above the threshold -41.0507`,
				`<li>10.1.0.13/root_cause_0_prediction_info.csv: no column &#34;root cause state&#34;</li>`,
				`no plot (probability_plot_monitor.svg or probability_plot_monitor.png)`,
			},
			hasNot: []string{`<img`, `<h3>Incidents</h3>`, `No incidents.csv`},
		},
		{
			name: "a scan is one row; the newer of two plots", id: "s3",
			has: []string{
				`<img src="data:image/svg+xml;base64,`,
				`<tr><td class="mono">→ 10.1.0.11, 4 ports</td><td class="num">12</td><td class="time">2024-01-07 02:14:28</td><td class="num">47</td>`,
				`<tr><td class="mono">← 10.1.0.14:5672</td><td class="num">3</td>`,
				`<tr id="s3-w241">`, `<tr id="s3-w250">`,
			},
			hasNot: []string{`data:image/png`, `<tr><td class="mono">→ 10.1.0.11:4151`},
		},
		{
			name: "a failed host", id: "s4",
			has:    []string{`<p class="error">No results: no usable model for 10.9.9.9`},
			hasNot: []string{`<h3>`, `<img`, `class="problems"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sec := section(t, page, tc.id)
			for _, s := range tc.has {
				if !strings.Contains(sec, s) {
					t.Errorf("no %s", s)
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(sec, s) {
					t.Errorf("has %s", s)
				}
			}
		})
	}
	// Order: the scan (2,620) before the beacon (270) before the markup
	// (12.5); windows by row, s1's 34–38 (state 0) before 41 (state 4).
	inc := section(t, page, "incidents")
	scan, beacon, markup := strings.Index(inc, `data-kind="port scan"`), strings.Index(inc, `data-kind="beaconing"`), strings.Index(inc, `data-peer="203.0.113.9"`)
	if !(scan < beacon && beacon < markup) {
		t.Errorf("incidents not by evidence: scan at %d, beacon at %d, markup at %d", scan, beacon, markup)
	}
	s1 := section(t, page, "s1")
	if strings.Index(s1, `id="s1-w38"`) > strings.Index(s1, `id="s1-w41"`) {
		t.Error("windows not in row order")
	}
}

// TestTriageShown: tags and silences of the folder are on the page: a
// tag's badge, who and why; a silenced incident under the silenced ones,
// still counted; a silence that has ended mutes nothing.
func TestTriageShown(t *testing.T) {
	root := fixture(t)
	now := time.Date(2024, 1, 8, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	in := triage.Tag{ID: "17970a50-964f-5fd8-afca-a3c2a401cdf8", Subject: triage.Subject{Unit: "10.1.0.12", Kind: "beaconing", Direction: "outbound", Peer: "192.0.2.14", Port: "443"},
		FirstSeen: now, LastSeen: now, Label: triage.Expected, Comment: "the <monitoring> agent", By: "alice", At: now}
	if err := triage.SetTag(ctx, root, in); err != nil {
		t.Fatal(err)
	}
	m, _ := triage.ParseMatcher(`kind="port scan"`)
	if _, err := triage.AddSilence(ctx, root, triage.Silence{Matchers: []triage.Matcher{m}, Starts: now.Add(-time.Hour), Ends: now.Add(time.Hour), By: "bob", Comment: "pentest"}); err != nil {
		t.Fatal(err)
	}
	m2, _ := triage.ParseMatcher(`unit=10.1.0.12`)
	if _, err := triage.AddSilence(ctx, root, triage.Silence{Matchers: []triage.Matcher{m2}, Starts: now.Add(-2 * time.Hour), Ends: now.Add(-time.Hour), By: "bob"}); err != nil {
		t.Fatal(err)
	}
	page := render(t, root, Options{Now: now})
	inc := section(t, page, "incidents")
	for _, want := range []string{
		`<span class="badge tag-expected" title="the &lt;monitoring&gt; agent">expected</span> <span class="note">by alice: the &lt;monitoring&gt; agent</span>`,
		`discarded · 17970a50`,
		`3 incidents</span> (1 silenced)`,
		`<details id="silenced"><summary>1 silenced incident: muted by a silence, still counted</summary>`,
		`<span class="badge silenced" title="kind=&#34;port scan&#34; (pentest)">silenced</span> <span class="note">until 2024-01-08 13:00: pentest</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	silenced := inc[strings.Index(inc, `<details id="silenced">`):]
	if !strings.Contains(silenced, `data-kind="port scan"`) || strings.Contains(silenced, `data-kind="beaconing"`) {
		t.Error("the silenced table is not the scan alone")
	}
	if !strings.Contains(section(t, page, "hosts"), `<td>1 (1 silenced)</td>`) {
		t.Error("the hosts table does not count 10.1.0.15's silenced incident")
	}
	// A tags file that cannot be read is named, and the page is made.
	os.WriteFile(filepath.Join(root, triage.TagsFile), []byte("id;unit\n"), 0o644)
	page = render(t, root, Options{Now: now})
	if !strings.Contains(page, `<li>tags.csv:1: wrong number of fields (tags and silences are not shown)</li>`) {
		t.Errorf("a bad tags file is not named:\n%.1500s", page)
	}
}

// TestSelfContained: nothing on the page points outside it, and the page
// forbids loading anything itself; served live, it loads its server's
// script alone, and has a form per incident.
func TestSelfContained(t *testing.T) {
	page := render(t, fixture(t), Options{})
	if !strings.Contains(page, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`) {
		t.Error("no content security policy")
	}
	refs := regexp.MustCompile(`(?i)\b(src|href|action|srcset|poster)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 10 {
		t.Fatalf("only %d references found: the pattern is wrong", len(refs))
	}
	for _, r := range refs {
		if v := r[2]; !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "data:image/png;base64,") && !strings.HasPrefix(v, "data:image/svg+xml;base64,") {
			t.Errorf("%s=%q points outside the page", r[1], v)
		}
	}
	if strings.Contains(strings.ToLower(page), "<script") || strings.Contains(page, "url(") || strings.Contains(page, "@import") {
		t.Error("the page has a script or a style that loads something")
	}
	live := render(t, fixture(t), Options{Live: true, Script: "/console.js"})
	for _, want := range []string{`script-src 'self'; connect-src 'self'`, `<script src="/console.js" defer></script>`,
		`<form class="tag" method="post" action="/api/tags" data-id="17970a50-964f-5fd8-afca-a3c2a401cdf8">`} {
		if !strings.Contains(live, want) {
			t.Errorf("the live page lacks %s", want)
		}
	}
	if n := strings.Count(live, `<form class="tag"`); n != 2*3 { // each incident in the first table and in its host's
		t.Errorf("%d forms, want 6", n)
	}
}

// TestLimits: long lists are cut, saying so, and an incident's windows
// link only to a window that is listed.
func TestLimits(t *testing.T) {
	page := render(t, fixture(t), Options{MaxConnections: 1, MaxWindows: 3, MaxIncidents: 2})
	s1, s3 := section(t, page, "s1"), section(t, page, "s3")
	if !strings.Contains(s1, `<summary>7 alarm windows (the first 3 listed; all in the root_cause_*_prediction_info.csv files)</summary>`) {
		t.Error("s1 does not say its windows were cut")
	}
	if !strings.Contains(s3, `1 of 2 rows; all in <code>10.1.0.15/root_cause_connections.csv</code>`) {
		t.Error("s3 does not say its connections were cut")
	}
	if n := strings.Count(s3, `<tr id="s3-w`); n != 3 {
		t.Errorf("s3 lists %d windows, want 3", n)
	}
	if !strings.Contains(section(t, page, "incidents"), `<summary>1 more incident, less evidence</summary>`) {
		t.Error("the incidents past the first 2 are not folded away")
	}
}

func TestErrors(t *testing.T) {
	empty := t.TempDir()
	if err := Write(empty, Options{}); err == nil || !strings.Contains(err.Error(), "no summary.csv") {
		t.Errorf("no summary: %v", err)
	}
	if _, err := os.Stat(filepath.Join(empty, File)); err == nil {
		t.Error("a report was written without a run")
	}
	noService := t.TempDir()
	os.WriteFile(filepath.Join(noService, SummaryFile), []byte("host;traces\n10.1.0.1;3\n"), 0o644)
	if err := Write(noService, Options{}); err == nil || !strings.Contains(err.Error(), `no column "service"`) {
		t.Errorf("summary without service: %v", err)
	}
	if err := Write(fixture(t), Options{MaxWindows: -1}); err == nil {
		t.Error("negative MaxWindows: no error")
	}
	// A service whose name is not a folder's is shown, its folder not read.
	odd := t.TempDir()
	os.WriteFile(filepath.Join(odd, SummaryFile), []byte("service;traces;anomalies;error\n../etc;3;1;\n"), 0o644)
	var buf bytes.Buffer
	if err := Render(&buf, odd, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `the service&#39;s name &#34;../etc&#34; is not a folder&#39;s name`) {
		t.Error("a service named ../etc is not refused a folder")
	}
}
