// Package console serves a monitor folder to analysts over HTTP (monitor
// serve): the report, made afresh from the folder at each request so that
// it shows what the last run or watch's last refresh wrote, with a form per
// incident to tag it; and a JSON API of the run's incidents, tags and
// silences:
//
//	GET  /                        the report (package htmlreport), live
//	GET  /api/incidents           every host's incidents, with tags, silences and lifecycle state
//	GET  /api/tags                the tags
//	POST /api/tags                {"id", "tag", "comment", "by"}: tag an incident
//	DELETE /api/tags/{id}         remove an incident's tag
//	GET  /api/silences            the silences, with their state
//	POST /api/silences            {"matchers": ["kind=port scan", ...], "expires": "24h" | "ends": TIME, "comment", "by"}
//	POST /api/silences/{id}/expire  end a silence now
//	GET  /api/version             changes when the folder's run, tags or silences change
//
// Writes go only through these validated requests, into the folder's two
// triage files (package triage): no path from a request reaches the file
// system (ids are checked to be UUIDs and looked up). A request changing
// something must be JSON (which a page of another site cannot send here
// without the browser asking first, and this server never answers such a
// preflight), from the same origin when it says its origin. Without a
// token the server answers only requests addressed to a loopback name
// (against DNS rebinding) and is meant to listen on loopback; with a
// token, every request must carry it as a bearer token (the page as
// ?token=, which its script then sends).
package console

import (
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/htmlreport"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/outputs"
	"github.com/netflow-monitor/monitor/triage"
)

// script is the page's script: it posts the tag forms to the API and
// reloads the page when the folder changes.
//
//go:embed console.js
var script []byte

// scriptPath is where the page loads its script from.
const scriptPath = "/console.js"

// maxBody bounds a request's body.
const maxBody = 64 << 10

// Config is what a console serves and how.
type Config struct {
	// Root is the monitor folder.
	Root string
	// Token, when set, must come with every request as a bearer token.
	Token string
	// Now tells the time (silences); nil: time.Now.
	Now func() time.Time
	// Log, when set, is told about requests that fail on the server's
	// side.
	Log func(format string, args ...any)
}

// Handler returns the console's HTTP handler for cfg.
func Handler(cfg Config) (http.Handler, error) {
	st, err := os.Stat(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("serve %s: %w", cfg.Root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("serve %s: not a folder", cfg.Root)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	s := &server{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET "+scriptPath, s.script)
	mux.HandleFunc("GET /api/version", s.version)
	mux.HandleFunc("GET /api/incidents", s.incidents)
	mux.HandleFunc("GET /api/tags", s.tags)
	mux.HandleFunc("POST /api/tags", s.tag)
	mux.HandleFunc("DELETE /api/tags/{id}", s.untag)
	mux.HandleFunc("GET /api/silences", s.silences)
	mux.HandleFunc("POST /api/silences", s.silence)
	mux.HandleFunc("POST /api/silences/{id}/expire", s.expire)
	return s.guard(mux), nil
}

type server struct{ cfg Config }

// apiError is an error's JSON body.
type apiError struct {
	Error string `json:"error"`
}

func (s *server) fail(w http.ResponseWriter, code int, err error) {
	if code >= 500 {
		s.cfg.Log("serve: %v", err)
	}
	writeJSON(w, code, apiError{Error: strings.ReplaceAll(err.Error(), s.cfg.Root+string(filepath.Separator), "")})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away: nothing to tell
}

// guard checks what every request must be: addressed to this server (a
// loopback name without a token), with the token when there is one, and,
// for a change, JSON from no other origin.
func (s *server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if s.cfg.Token == "" && !loopbackHost(r.Host) {
			s.fail(w, http.StatusForbidden, fmt.Errorf("this console answers requests to a loopback address (localhost, 127.0.0.1, [::1]), not to %q; serve with --token-file to be reached otherwise", r.Host))
			return
		}
		if s.cfg.Token != "" && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="monitor"`)
			s.fail(w, http.StatusUnauthorized, errors.New("a bearer token is needed (Authorization: Bearer TOKEN; the page: /?token=TOKEN)"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host && origin != "https://"+r.Host {
				s.fail(w, http.StatusForbidden, fmt.Errorf("a change from origin %q is refused", origin))
				return
			}
			if r.Method != http.MethodDelete {
				ct := r.Header.Get("Content-Type")
				if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(mt) != "application/json" {
					s.fail(w, http.StatusUnsupportedMediaType, fmt.Errorf("send JSON (Content-Type: application/json), not %q", ct))
					return
				}
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *server) authorized(r *http.Request) bool {
	got := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		got = strings.TrimPrefix(h, "Bearer ")
	} else if r.Method == http.MethodGet && r.URL.Path == "/" {
		got = r.URL.Query().Get("token")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) == 1
}

// loopbackHost reports whether a request's Host names this machine's
// loopback: localhost, 127.0.0.0/8 or ::1, with any port.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (s *server) page(w http.ResponseWriter, r *http.Request) {
	var buf strings.Builder
	err := htmlreport.Render(&buf, s.cfg.Root, htmlreport.Options{Live: true, Script: scriptPath, Token: s.cfg.Token, Now: s.cfg.Now()})
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "No report yet: %v\nRun monitor run (or watch) on this folder; this page shows it once there is one.\n", strings.ReplaceAll(err.Error(), s.cfg.Root, filepath.Base(s.cfg.Root)))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, buf.String())
}

func (s *server) script(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Write(script)
}

// version is a digest of what the page shows: the sizes and times of the
// run's summary and report and of the triage files.
func (s *server) version(w http.ResponseWriter, _ *http.Request) {
	h := sha256.New()
	for _, name := range []string{outputs.SummaryFile, htmlreport.File, triage.TagsFile, triage.SilencesFile} {
		if fi, err := os.Stat(filepath.Join(s.cfg.Root, name)); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", name, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"version": hex.EncodeToString(h.Sum(nil)[:12])})
}

// incidentList is GET /api/incidents's body.
type incidentList struct {
	Incidents []triage.Incident `json:"incidents"`
	// Problems are host files that could not be read.
	Problems []string `json:"problems,omitempty"`
}

func (s *server) incidents(w http.ResponseWriter, _ *http.Request) {
	st, err := triage.Load(s.cfg.Root)
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	ins, problems, err := triage.ReadIncidents(s.cfg.Root, st, s.cfg.Now())
	if err != nil {
		s.fail(w, http.StatusInternalServerError, err)
		return
	}
	out := incidentList{Incidents: ins}
	if out.Incidents == nil {
		out.Incidents = []triage.Incident{}
	}
	for _, p := range problems {
		out.Problems = append(out.Problems, p.Error())
	}
	writeJSON(w, http.StatusOK, out)
}

// decode reads a request's JSON body strictly: unknown members, trailing
// data and a body past maxBody are errors.
func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	if err := input.DecodeJSON(b, v); err != nil {
		return input.JSONError("request body", b, err)
	}
	return nil
}
