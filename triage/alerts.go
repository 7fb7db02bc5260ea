package triage

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/netflow-monitor/monitor/incident"
)

// Annotate puts the analyst's judgement of an alert's incident into the
// alert: its tag (Validation) and lifecycle state, and the silences
// active at now that mute it (Status "suppressed", SilencedBy).
func (st *Store) Annotate(a *incident.Alert, now time.Time) {
	t, _ := st.TagOf(a.ID)
	lc := Lifecycle(t)
	a.Stage, a.Phase = lc.Stage, lc.Phase
	a.Validation = nil
	if t != nil {
		a.Validation = &incident.Validation{Tag: string(t.Label), Comment: t.Comment, By: t.By, At: t.At.UTC().Format(timeLayout), AnnotatorType: "human"}
	}
	a.Status, a.SilencedBy = "active", nil
	sub := Subject{Unit: a.Unit, Kind: a.Pattern, Direction: a.Direction, Peer: a.Peer, Port: a.Port}
	for _, s := range st.SilencedBy(sub, now) {
		a.Status = "suppressed"
		a.SilencedBy = append(a.SilencedBy, s.ID)
	}
}

// Follower keeps a monitor folder's tags and silences as they are
// changed while a long command runs (watch, as serve or tag write them):
// Store reads the files again when their size or time changed. A change
// that cannot be read keeps the last good store, and is reported once.
type Follower struct {
	root   string
	report func(error)
	mu     sync.Mutex
	store  *Store
	stamp  string
	failed string
}

// Follow returns a follower of root's triage files; report is told about
// a file that cannot be read.
func Follow(root string, report func(error)) *Follower {
	return &Follower{root: root, report: report, store: &Store{}}
}

// Store returns the tags and silences as the files now hold them.
func (f *Follower) Store() *Store {
	f.mu.Lock()
	defer f.mu.Unlock()
	stamp := ""
	for _, name := range []string{TagsFile, SilencesFile} {
		if fi, err := os.Stat(filepath.Join(f.root, name)); err == nil {
			stamp += fmt.Sprintf("%s %d %d;", name, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	if stamp == f.stamp {
		return f.store
	}
	st, err := Load(f.root)
	if err != nil {
		if stamp != f.failed && f.report != nil {
			f.report(err)
		}
		f.failed = stamp
		return f.store
	}
	f.store, f.stamp, f.failed = st, stamp, ""
	return f.store
}
