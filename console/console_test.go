package console

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/pipeline"
	"github.com/netflow-monitor/monitor/rootcause"
	"github.com/netflow-monitor/monitor/triage"
)

// run is a run of the shipped example's beaconing host (10.1.0.12),
// trained and run once per test binary; tests copy its folders.
var run struct {
	sync.Once
	dir string
	err error
}

// exampleRun returns a copy of the run's config (train and monitor
// folders of the test's own).
func exampleRun(t *testing.T) pipeline.Config {
	t.Helper()
	run.Do(func() {
		dir, err := os.MkdirTemp("", "console-run-")
		if err != nil {
			run.err = err
			return
		}
		run.dir = dir
		c := config(dir)
		for _, p := range [][2]string{{"train_data", c.TrainRoot}, {"monitor_data", c.MonitorRoot}} {
			name := "10.1.0.12_" + p[0] + ".csv"
			b, err := os.ReadFile(filepath.Join("..", p[0], "10.1.0.12", name))
			if err == nil {
				err = os.MkdirAll(filepath.Join(p[1], "10.1.0.12"), 0o755)
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(p[1], "10.1.0.12", name), b, 0o644)
			}
			if err != nil {
				run.err = err
				return
			}
		}
		if _, _, err := pipeline.Train(context.Background(), c); err != nil {
			run.err = err
			return
		}
		_, _, run.err = pipeline.Run(context.Background(), c)
	})
	if run.err != nil {
		t.Fatalf("the example's run: %v", run.err)
	}
	dst := t.TempDir()
	copyDir(t, run.dir, dst)
	return config(dst)
}

func config(dir string) pipeline.Config {
	c := pipeline.DefaultConfig()
	c.TrainRoot, c.MonitorRoot = filepath.Join(dir, "T"), filepath.Join(dir, "M")
	c.Encoding.KMin, c.Encoding.KMax, c.Encoding.DurationBins, c.Encoding.Bins = 2, 35, 5, 5
	return c
}

func TestMain(m *testing.M) {
	code := m.Run()
	if run.dir != "" {
		os.RemoveAll(run.dir)
	}
	os.Exit(code)
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return nil
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
}

// beacon returns the beaconing incident of the run.
func beacon(t *testing.T, M string) rootcause.IncidentRow {
	t.Helper()
	rows, err := rootcause.ReadIncidents(filepath.Join(M, "10.1.0.12", "incidents.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Kind == "beaconing" {
			return r
		}
	}
	t.Fatalf("no beaconing incident: %+v", rows)
	return rootcause.IncidentRow{}
}

type call struct {
	method, path, body string
	header             map[string]string
}

func do(t *testing.T, h http.Handler, c call) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(c.method, "http://127.0.0.1:8080"+c.path, strings.NewReader(c.body))
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if host, ok := c.header["Host"]; ok {
		req.Host = host
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body map[string]any
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s %s: %v\n%s", c.method, c.path, err, rec.Body.String())
		}
	}
	return rec.Code, body
}

// TestAPI: the API lists the run's incidents, tags and silences them
// through validated requests, and refuses what it must.
func TestAPI(t *testing.T) {
	c := exampleRun(t)
	now := time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)
	h, err := Handler(Config{Root: c.MonitorRoot, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	in := beacon(t, c.MonitorRoot)
	code, body := do(t, h, call{method: "GET", path: "/api/incidents"})
	list, _ := body["incidents"].([]any)
	if code != 200 || len(list) == 0 {
		t.Fatalf("GET /api/incidents: %d %v", code, body)
	}
	first := list[0].(map[string]any)
	if first["id"] != in.ID || first["phase"] != "problem-potential" || first["next-step"] == "" {
		t.Errorf("first incident %v, want the beacon %s, untagged, with a next step", first, in.ID)
	}
	code, body = do(t, h, call{method: "POST", path: "/api/tags", body: `{"id":"` + in.ID + `","tag":"confirmed","comment":"C&C","by":"alice"}`})
	if code != 200 || body["tag"] != "confirmed" || body["phase"] != "problem-confirmed" || body["unit"] != "10.1.0.12" {
		t.Errorf("POST /api/tags: %d %v", code, body)
	}
	st, err := triage.Load(c.MonitorRoot)
	if err != nil {
		t.Fatal(err)
	}
	if tag, ok := st.TagOf(in.ID); !ok || tag.By != "alice" || tag.Label != triage.Confirmed || !tag.At.Equal(now) {
		t.Errorf("tags.csv holds %+v", st.Tags)
	}
	code, body = do(t, h, call{method: "POST", path: "/api/silences", body: `{"matchers":["unit=10.1.0.12","kind=beaconing"],"expires":"2h","by":"bob","comment":"known"}`})
	if code != 200 || body["state"] != "active" {
		t.Fatalf("POST /api/silences: %d %v", code, body)
	}
	id := body["id"].(string)
	_, body = do(t, h, call{method: "GET", path: "/api/incidents"})
	first = body["incidents"].([]any)[0].(map[string]any)
	if s, _ := first["silenced-by"].([]any); len(s) != 1 || s[0] != id {
		t.Errorf("the beacon is silenced by %v, want [%s]", first["silenced-by"], id)
	}
	if code, body = do(t, h, call{method: "POST", path: "/api/silences/" + id + "/expire", header: map[string]string{"Content-Type": "application/json"}}); code != 200 || body["state"] != "expired" {
		t.Errorf("expire: %d %v", code, body)
	}
	if code, _ = do(t, h, call{method: "DELETE", path: "/api/tags/" + in.ID}); code != 200 {
		t.Errorf("DELETE /api/tags: %d", code)
	}

	for _, tc := range []struct {
		name string
		c    call
		code int
	}{
		{"unknown member", call{method: "POST", path: "/api/tags", body: `{"id":"` + in.ID + `","tag":"expected","by":"a","extra":1}`}, 400},
		{"not a tag", call{method: "POST", path: "/api/tags", body: `{"id":"` + in.ID + `","tag":"benign","by":"a"}`}, 400},
		{"no who", call{method: "POST", path: "/api/tags", body: `{"id":"` + in.ID + `","tag":"expected","by":""}`}, 400},
		{"a path for an id", call{method: "POST", path: "/api/tags", body: `{"id":"../../etc/passwd","tag":"expected","by":"a"}`}, 400},
		{"no such incident", call{method: "POST", path: "/api/tags", body: `{"id":"00000000-0000-5000-8000-000000000000","tag":"expected","by":"a"}`}, 404},
		{"a form", call{method: "POST", path: "/api/tags", body: `id=x`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415},
		{"another origin", call{method: "POST", path: "/api/tags", body: `{}`, header: map[string]string{"Origin": "http://evil.example"}}, 403},
		{"another host name", call{method: "GET", path: "/api/incidents", header: map[string]string{"Host": "evil.example:8080"}}, 403},
		{"a bad matcher", call{method: "POST", path: "/api/silences", body: `{"matchers":["unit=auth"],"expires":"1h","by":"a"}`}, 400},
		{"a silence without an end", call{method: "POST", path: "/api/silences", body: `{"matchers":["unit=10.1.0.12"],"by":"a"}`}, 400},
		{"expire a path", call{method: "POST", path: "/api/silences/..%2f..%2fx/expire", header: map[string]string{"Content-Type": "application/json"}}, 400},
		{"a body too big", call{method: "POST", path: "/api/tags", body: `{"id":"` + strings.Repeat("x", maxBody) + `"}`}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := do(t, h, tc.c); code != tc.code || body["error"] == "" {
				t.Errorf("%d %v, want %d and an error", code, body, tc.code)
			}
		})
	}
	entries, _ := os.ReadDir(c.MonitorRoot)
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") && !strings.HasSuffix(e.Name(), ".csv") && e.Name() != "report.html" {
			t.Errorf("the API made %s", e.Name())
		}
	}
}

// TestToken: with a token, every request needs it; the page takes it as
// ?token= and gives it to its script.
func TestToken(t *testing.T) {
	c := exampleRun(t)
	const token = "0123456789abcdef0123"
	h, err := Handler(Config{Root: c.MonitorRoot, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c    call
		code int
	}{
		{call{method: "GET", path: "/api/incidents", header: map[string]string{"Host": "monitor.example:8443"}}, 401},
		{call{method: "GET", path: "/api/incidents", header: map[string]string{"Authorization": "Bearer wrong"}}, 401},
		{call{method: "GET", path: "/api/incidents", header: map[string]string{"Authorization": "Bearer " + token, "Host": "monitor.example:8443"}}, 200},
		{call{method: "GET", path: "/?token=wrong"}, 401},
		{call{method: "GET", path: "/?token=" + token, header: map[string]string{"Host": "monitor.example:8443"}}, 200},
		{call{method: "GET", path: "/api/incidents?token=" + token}, 401}, // the API takes the header only
	} {
		if code, _ := do(t, h, tc.c); code != tc.code {
			t.Errorf("%s %s %v: %d, want %d", tc.c.method, tc.c.path, tc.c.header, code, tc.code)
		}
	}
	req := httptest.NewRequest("GET", "http://127.0.0.1/?token="+token, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	if !strings.Contains(string(b), `<meta name="monitor-token" content="`+token+`">`) {
		t.Error("the page does not give its script the token")
	}
}
