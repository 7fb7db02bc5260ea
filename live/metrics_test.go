package live

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsMethods: the metrics endpoint is read-only: GET and HEAD are
// answered, every other method gets 405 with an Allow header, and no
// other path is served.
func TestMetricsMethods(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := NewMetrics()
	m.flows.Add(3)
	addr, err := m.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()
	tests := []struct {
		method, path string
		status       int
		body         string // in the response body
	}{
		{http.MethodGet, "/metrics", http.StatusOK, "monitor_flows_total 3"},
		{http.MethodHead, "/metrics", http.StatusOK, ""},
		{http.MethodPost, "/metrics", http.StatusMethodNotAllowed, ""},
		{http.MethodPut, "/metrics", http.StatusMethodNotAllowed, ""},
		{http.MethodDelete, "/metrics", http.StatusMethodNotAllowed, ""},
		{http.MethodPatch, "/metrics", http.StatusMethodNotAllowed, ""},
		{http.MethodTrace, "/metrics", http.StatusMethodNotAllowed, ""},
		{http.MethodOptions, "/metrics", http.StatusMethodNotAllowed, ""},
		{http.MethodGet, "/", http.StatusNotFound, ""},
		{http.MethodGet, "/metrics/x", http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		req, err := http.NewRequestWithContext(ctx, tc.method, base+tc.path, strings.NewReader("x=1"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
		if !strings.Contains(string(body), tc.body) {
			t.Errorf("%s %s: body %.200q does not hold %q", tc.method, tc.path, body, tc.body)
		}
		if tc.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q, want \"GET, HEAD\"", tc.method, tc.path, resp.Header.Get("Allow"))
		}
	}
}
