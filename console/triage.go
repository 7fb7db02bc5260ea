package console

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/netflow-monitor/monitor/triage"
)

// tagRequest is POST /api/tags's body.
type tagRequest struct {
	ID      string `json:"id"`
	Tag     string `json:"tag"`
	Comment string `json:"comment"`
	By      string `json:"by"`
}

// tagList is GET /api/tags's body.
type tagList struct {
	Tags []tagJSON `json:"tags"`
}

type tagJSON struct {
	ID        string `json:"id"`
	Unit      string `json:"unit"`
	Kind      string `json:"kind"`
	Direction string `json:"direction"`
	Peer      string `json:"peer"`
	Port      string `json:"port"`
	FirstSeen string `json:"first-seen"`
	LastSeen  string `json:"last-seen"`
	*triage.TagJSON
	triage.Stage
}

func tagOut(t *triage.Tag) tagJSON {
	return tagJSON{ID: t.ID, Unit: t.Unit, Kind: t.Kind, Direction: t.Direction, Peer: t.Peer, Port: t.Port,
		FirstSeen: t.FirstSeen.Format(time.RFC3339Nano), LastSeen: t.LastSeen.Format(time.RFC3339Nano), TagJSON: t.JSON(), Stage: triage.Lifecycle(t)}
}

func (s *server) tags(w http.ResponseWriter, _ *http.Request) {
	st, err := triage.Load(s.cfg.Root)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	out := tagList{Tags: []tagJSON{}}
	for i := range st.Tags {
		out.Tags = append(out.Tags, tagOut(&st.Tags[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

// tag tags an incident of the folder's run: the id must name one.
func (s *server) tag(w http.ResponseWriter, r *http.Request) {
	var req tagRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	label, err := triage.ParseLabel(req.Tag)
	if err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	if !triage.IsID(req.ID) {
		s.fail(w, http.StatusBadRequest, fmt.Errorf("%q is not an incident's id", req.ID))
		return
	}
	in, err := triage.Find(s.cfg.Root, req.ID)
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, triage.ErrNoIncident) {
			code = http.StatusNotFound
		}
		s.fail(w, code, err)
		return
	}
	t, err := in.TagOf(label, req.Comment, req.By, s.cfg.Now())
	if err == nil {
		err = triage.SetTag(r.Context(), s.cfg.Root, t)
	}
	if err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	st, err := triage.Load(s.cfg.Root)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	saved, _ := st.TagOf(t.ID)
	writeJSON(w, http.StatusOK, tagOut(saved))
}

func (s *server) untag(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !triage.IsID(id) {
		s.fail(w, http.StatusBadRequest, fmt.Errorf("%q is not an incident's id", id))
		return
	}
	removed, err := triage.RemoveTag(r.Context(), s.cfg.Root, id)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	if !removed {
		s.fail(w, http.StatusNotFound, fmt.Errorf("incident %s has no tag", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"removed": id})
}

// silenceRequest is POST /api/silences's body: matchers as the command
// line takes them, and how long (expires, a Go duration) or until when
// (ends, RFC 3339) the silence lasts, from starts (default now).
type silenceRequest struct {
	Matchers []string `json:"matchers"`
	Starts   string   `json:"starts,omitempty"`
	Ends     string   `json:"ends,omitempty"`
	Expires  string   `json:"expires,omitempty"`
	Comment  string   `json:"comment"`
	By       string   `json:"by"`
}

// silenceJSON is a silence as the API gives it.
type silenceJSON struct {
	ID       string   `json:"id"`
	Matchers []string `json:"matchers"`
	Starts   string   `json:"starts"`
	Ends     string   `json:"ends"`
	State    string   `json:"state"`
	By       string   `json:"by"`
	Comment  string   `json:"comment"`
}

func silenceOut(sl *triage.Silence, now time.Time) silenceJSON {
	out := silenceJSON{ID: sl.ID, Starts: sl.Starts.Format(time.RFC3339), Ends: sl.Ends.Format(time.RFC3339), State: sl.State(now), By: sl.By, Comment: sl.Comment}
	for _, m := range sl.Matchers {
		out.Matchers = append(out.Matchers, m.String())
	}
	return out
}

func (s *server) silences(w http.ResponseWriter, _ *http.Request) {
	st, err := triage.Load(s.cfg.Root)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	out := struct {
		Silences []silenceJSON `json:"silences"`
	}{Silences: []silenceJSON{}}
	now := s.cfg.Now()
	for i := range st.Silences {
		out.Silences = append(out.Silences, silenceOut(&st.Silences[i], now))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) silence(w http.ResponseWriter, r *http.Request) {
	var req silenceRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	sl, err := req.silence(s.cfg.Now())
	if err == nil {
		sl, err = triage.AddSilence(r.Context(), s.cfg.Root, sl)
	}
	if err != nil {
		s.fail(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, silenceOut(&sl, s.cfg.Now()))
}

// silence checks the request and makes its silence.
func (req *silenceRequest) silence(now time.Time) (triage.Silence, error) {
	sl := triage.Silence{Starts: now, By: req.By, Comment: req.Comment}
	if len(req.Matchers) == 0 {
		return sl, errors.New("matchers: a silence needs at least one (\"kind=port scan\", \"unit=10.1.0.12\")")
	}
	seen := map[string]bool{}
	for _, text := range req.Matchers {
		m, err := triage.ParseMatcher(text)
		if err != nil {
			return sl, err
		}
		if seen[m.Name] {
			return sl, fmt.Errorf("matchers: %s is matched twice", m.Name)
		}
		seen[m.Name] = true
		sl.Matchers = append(sl.Matchers, m)
	}
	if req.Starts != "" {
		t, err := time.Parse(time.RFC3339, req.Starts)
		if err != nil {
			return sl, fmt.Errorf("starts %q: not an RFC 3339 time", req.Starts)
		}
		sl.Starts = t
	}
	switch {
	case req.Ends != "" && req.Expires != "":
		return sl, errors.New("give ends or expires, not both")
	case req.Ends != "":
		t, err := time.Parse(time.RFC3339, req.Ends)
		if err != nil {
			return sl, fmt.Errorf("ends %q: not an RFC 3339 time", req.Ends)
		}
		sl.Ends = t
	case req.Expires != "":
		d, err := time.ParseDuration(req.Expires)
		if err != nil || d <= 0 {
			return sl, fmt.Errorf("expires %q: not a positive duration (2h, 168h)", req.Expires)
		}
		sl.Ends = sl.Starts.Add(d)
	default:
		return sl, errors.New("give how long the silence lasts: expires (\"24h\") or ends (RFC 3339)")
	}
	if !sl.Ends.After(sl.Starts) {
		return sl, errors.New("the silence ends before it starts")
	}
	return sl, nil
}

func (s *server) expire(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !triage.IsID(id) {
		s.fail(w, http.StatusBadRequest, fmt.Errorf("%q is not a silence's id", id))
		return
	}
	sl, err := triage.ExpireSilence(r.Context(), s.cfg.Root, id, s.cfg.Now())
	if errors.Is(err, triage.ErrNoSilence) {
		s.fail(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, silenceOut(&sl, s.cfg.Now()))
}
