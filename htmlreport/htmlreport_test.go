package htmlreport

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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

// section returns the part of the page about the service with the given
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

// TestReportContent: what each service's section shows, from the fixture.
func TestReportContent(t *testing.T) {
	page := render(t, fixture(t), Options{})
	tests := []struct {
		name, id string
		has      []string
		hasNot   []string
	}{
		{
			name: "summary", id: "summary",
			has: []string{
				`<th>top connection first seen</th>`,
				`<a href="#s1">10.1.0.12</a>`, `<a href="#s2">10.1.0.13</a>`, `<a href="#s3">10.1.0.15</a>`, `<a href="#s4">10.9.9.9</a>`,
				`<td class="bad">97</td>`, `<td>0</td>`,
				// The error, quotes and markup escaped.
				`<td class="bad wrap">no usable model for 10.9.9.9 (train it, or pick one with --model): open train_data/10.9.9.9/model.json: &lt;no such file&gt;; &#34;quoted&#34;</td>`,
			},
		},
		{
			name: "a service with incidents", id: "s1",
			has: []string{
				`<h2>10.1.0.12</h2>`, `97 of 1222 windows</span> below the threshold -39.4917 (model 10.1.0.12)`,
				`<img src="data:image/png;base64,iVBORw0KGgo`,
				// One connection over two states, counts added.
				`<tr><td>outbound</td><td class="mono">192.0.2.14</td><td class="num">443</td><td class="num">59</td><td class="time">2024-01-06T02:15:06.294Z</td><td>0, 4</td></tr>`,
				// Windows in row order, from both states, the root cause's symbol.
				`<tr id="s1-w34"><td class="num">34</td><td class="time">2024-01-06T02:20:14.386Z</td><td class="num">0</td><td>outbound</td><td class="mono">192.0.2.14</td><td class="num">443</td><td class="mono">out/tcp/s01/d4/p:wk</td><td class="num">-46.93</td></tr>`,
				`<tr id="s1-w42">`,
				// Incidents: every column, row ranges linked to their first
				// window where it is listed.
				`<th>kind</th><th>summary</th>`, `<td>beaconing</td><td>outbound to 192.0.2.14:443 every 5 min</td>`,
				`<a href="#s1-w34">34-38</a> <a href="#s1-w41">41-42</a> 131</td>`,
				`<td>999</td>`, `<td>one flow; state 4</td>`,
				`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; a peer never seen`,
			},
			hasNot: []string{`<script>`, `class="problems"`},
		},
		{
			name: "a service with unusable files", id: "s2",
			has: []string{
				`<span>0 of 1460 windows</span>`,
				`<li>10.1.0.13/root_cause_0_connection_info.csv: no column &#34;first time seen&#34;</li>`,
				`<li>10.1.0.13/root_cause_0_prediction_info.csv: no column &#34;root cause state&#34;</li>`,
				`no plot (probability_plot_monitor.svg or probability_plot_monitor.png)`,
				`No incidents.csv in this service's folder`,
				`No alarm was explained by a connection.`, `No alarm windows.`,
			},
			hasNot: []string{`<img`},
		},
		{
			name: "the newer of two plots, no incidents file", id: "s3",
			has: []string{
				`<img src="data:image/svg+xml;base64,`, `probability_plot_monitor.svg: one bar per window`,
				`No incidents.csv in this service's folder`,
				`<td class="mono">10.1.0.11</td><td class="num">9100</td><td class="num">8</td><td class="time">2024-01-07T02:14:28.725Z</td><td>0, 10</td>`,
				`<tr id="s3-w241">`, `<tr id="s3-w250">`,
			},
			hasNot: []string{`data:image/png`},
		},
		{
			name: "a failed service", id: "s4",
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
	// Order: windows by row, s1's 34–38 (state 0) before 41 (state 4).
	s1 := section(t, page, "s1")
	if strings.Index(s1, `id="s1-w38"`) > strings.Index(s1, `id="s1-w41"`) {
		t.Error("windows not in row order")
	}
}

// TestSelfContained: nothing on the page points outside it, and the page
// forbids loading anything itself.
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
}

// TestLimits: long lists are cut, saying so, and an incident's rows link
// only to windows that are listed.
func TestLimits(t *testing.T) {
	page := render(t, fixture(t), Options{MaxConnections: 2, MaxWindows: 3})
	s1, s3 := section(t, page, "s1"), section(t, page, "s3")
	for _, want := range []string{
		`the first 3 of 7, all in the root_cause_*_prediction_info.csv files`,
		`<a href="#s1-w34">34-38</a> 41-42 131`,
	} {
		if !strings.Contains(s1, want) {
			t.Errorf("s1 has no %s", want)
		}
	}
	if !strings.Contains(s3, `2 of 4, all in the root_cause_*_connection_info.csv files`) {
		t.Error("s3 does not say its connections were cut")
	}
	if n := strings.Count(s3, `<tr id="s3-w`); n != 3 {
		t.Errorf("s3 lists %d windows, want 3", n)
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
