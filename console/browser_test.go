package console

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/netflow-monitor/monitor/internal/browsertest"
	"github.com/netflow-monitor/monitor/pipeline"
	"github.com/netflow-monitor/monitor/triage"
)

// TestTagThroughThePage: in headless Chromium, the served page is opened,
// an incident is tagged through its form, and the tag is then in the page
// (reloaded by its script), in tags.csv, and in the next run's report; the
// page reloads itself when a run rewrites the folder.
func TestTagThroughThePage(t *testing.T) {
	ctx := browsertest.New(t, 1366, 900)
	c := exampleRun(t)
	h, err := Handler(Config{Root: c.MonitorRoot})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	in := beacon(t, c.MonitorRoot)
	form := `#incidents form.tag[data-id="` + in.ID + `"]`
	row := `#incidents tr[data-id="` + in.ID + `"]`
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		// The form is folded in the row's triage cell.
		chromedp.Click(chromedp.CSS(row+` details.tagform summary`)),
		chromedp.WaitVisible(chromedp.CSS(form+` select`)),
		chromedp.SetValue(chromedp.CSS(form+` select`), "expected"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=comment]`), "the monitoring agent calls home"),
		chromedp.SendKeys(chromedp.CSS(form+` input[name=by]`), "alice"),
		chromedp.Click(chromedp.CSS(form+` button`)),
		// The script saves it and reloads the page, which shows the tag.
		chromedp.WaitVisible(chromedp.CSS(row+` .badge.tag-expected`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "expected") || !strings.Contains(text, "by alice: the monitoring agent calls home") || !strings.Contains(text, "discarded") {
		t.Errorf("the row reads %q", text)
	}
	st, err := triage.Load(c.MonitorRoot)
	if err != nil {
		t.Fatal(err)
	}
	tag, ok := st.TagOf(in.ID)
	if !ok || tag.Label != triage.Expected || tag.By != "alice" || tag.Comment != "the monitoring agent calls home" {
		t.Fatalf("tags.csv holds %+v", st.Tags)
	}

	// The next run: its report shows the tag, and the open page reloads
	// itself with the run's output (its version changes).
	before, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.timeOrigin`))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	if _, _, err := pipeline.Run(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(filepath.Join(c.MonitorRoot, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(report), `<span class="badge tag-expected" title="the monitoring agent calls home">expected</span>`) {
		t.Error("the next run's report does not show the tag")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		after, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.timeOrigin`))
		if err == nil && after != before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the page did not reload after the run rewrote the folder")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(row+` .badge.tag-expected`))); err != nil {
		t.Fatal(err)
	}
}
