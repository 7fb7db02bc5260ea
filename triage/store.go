package triage

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/layout"
)

// The files' columns, in order.
var (
	tagColumns     = []string{"id", "unit", "kind", "direction", "peer", "port", "first seen", "last seen", "tag", "comment", "by", "at"}
	silenceColumns = []string{"id", "unit", "kind", "direction", "peer", "port", "starts", "ends", "by", "comment"}
)

// seenLayout prints first and last seen as incidents.csv does; timeLayout
// prints when a tag or silence was made and a silence's span.
const (
	seenLayout = incident.TimeLayout
	timeLayout = time.RFC3339
)

// maxText bounds a comment, and maxBy who, in characters.
const (
	maxText = 1000
	maxBy   = 100
)

// Store is a monitor folder's tags and silences.
type Store struct {
	Tags     []Tag
	Silences []Silence
}

// Load reads the tags and silences of the monitor folder root; a file
// that is not there is empty.
func Load(root string) (*Store, error) {
	st := &Store{}
	var err error
	if st.Tags, err = readTags(filepath.Join(root, TagsFile)); err != nil {
		return nil, err
	}
	if st.Silences, err = readSilences(filepath.Join(root, SilencesFile)); err != nil {
		return nil, err
	}
	return st, nil
}

// TagOf returns the tag of the incident with the given id.
func (st *Store) TagOf(id string) (*Tag, bool) {
	if st == nil || id == "" {
		return nil, false
	}
	for i := range st.Tags {
		if st.Tags[i].ID == id {
			return &st.Tags[i], true
		}
	}
	return nil, false
}

// SilencedBy returns the silences active at now that match the subject.
func (st *Store) SilencedBy(sub Subject, now time.Time) []*Silence {
	if st == nil {
		return nil
	}
	var out []*Silence
	for i := range st.Silences {
		s := &st.Silences[i]
		if s.Active(now) && s.Matches(sub) {
			out = append(out, s)
		}
	}
	return out
}

// Silence returns the silence with the given id.
func (st *Store) Silence(id string) (*Silence, bool) {
	for i := range st.Silences {
		if st.Silences[i].ID == id {
			return &st.Silences[i], true
		}
	}
	return nil, false
}

// lockWait is how long a writer waits for another one.
const lockWait = 10 * time.Second

// update reads the files of root under their lock, lets change change
// them, checks them as a reader would and writes the ones that changed,
// each atomically.
func update(ctx context.Context, root string, change func(st *Store) error) (err error) {
	l, err := layout.LockPath(ctx, filepath.Join(root, LockFile), lockWait)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, l.Unlock()) }()
	st, err := Load(root)
	if err != nil {
		return err
	}
	tags, silences := slices.Clone(st.Tags), slices.Clone(st.Silences)
	if err := change(st); err != nil {
		return err
	}
	if !slices.EqualFunc(tags, st.Tags, func(a, b Tag) bool { return a == b }) {
		b := formatTags(st.Tags)
		if _, err := parseTags(TagsFile, bytes.NewReader(b)); err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(filepath.Join(root, TagsFile), b); err != nil {
			return fmt.Errorf("write %s: %w", TagsFile, err)
		}
	}
	if !slices.EqualFunc(silences, st.Silences, sameSilence) {
		b := formatSilences(st.Silences)
		if _, err := parseSilences(SilencesFile, bytes.NewReader(b)); err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(filepath.Join(root, SilencesFile), b); err != nil {
			return fmt.Errorf("write %s: %w", SilencesFile, err)
		}
	}
	return nil
}

func sameSilence(a, b Silence) bool {
	return a.ID == b.ID && a.MatcherText() == b.MatcherText() && a.Starts.Equal(b.Starts) && a.Ends.Equal(b.Ends) && a.By == b.By && a.Comment == b.Comment
}

// SetTag tags an incident in the monitor folder root: a new tag, or one
// that replaces the incident's earlier tag. The tag is checked as the
// file's reader checks it.
func SetTag(ctx context.Context, root string, t Tag) error {
	// The file keeps milliseconds of first and last seen (as incidents.csv
	// does) and whole seconds of when.
	t.FirstSeen, t.LastSeen = t.FirstSeen.UTC().Truncate(time.Millisecond), t.LastSeen.UTC().Truncate(time.Millisecond)
	t.At = t.At.UTC().Truncate(time.Second)
	if err := t.check(); err != nil {
		return err
	}
	return update(ctx, root, func(st *Store) error {
		if old, ok := st.TagOf(t.ID); ok {
			*old = t
			return nil
		}
		st.Tags = append(st.Tags, t)
		return nil
	})
}

// RemoveTag removes an incident's tag; it reports whether there was one.
func RemoveTag(ctx context.Context, root, id string) (removed bool, err error) {
	err = update(ctx, root, func(st *Store) error {
		n := len(st.Tags)
		st.Tags = slices.DeleteFunc(st.Tags, func(t Tag) bool { return t.ID == id })
		removed = len(st.Tags) < n
		return nil
	})
	return removed, err
}

// AddSilence adds a silence (a new id when it has none) and returns it.
func AddSilence(ctx context.Context, root string, s Silence) (Silence, error) {
	if s.ID == "" {
		s.ID = NewID()
	}
	// The file keeps whole seconds.
	s.Starts, s.Ends = s.Starts.UTC().Truncate(time.Second), s.Ends.UTC().Truncate(time.Second)
	if err := s.check(); err != nil {
		return s, err
	}
	err := update(ctx, root, func(st *Store) error {
		if _, ok := st.Silence(s.ID); ok {
			return fmt.Errorf("silence %s exists already", s.ID)
		}
		st.Silences = append(st.Silences, s)
		return nil
	})
	return s, err
}

// ErrNoSilence is the error of expiring a silence that is not there.
var ErrNoSilence = errors.New("no such silence")

// ExpireSilence ends a silence at now (one already expired is left as it
// is) and returns it.
func ExpireSilence(ctx context.Context, root, id string, now time.Time) (Silence, error) {
	var out Silence
	err := update(ctx, root, func(st *Store) error {
		s, ok := st.Silence(id)
		if !ok {
			return fmt.Errorf("silence %s: %w", id, ErrNoSilence)
		}
		if s.Ends.After(now) {
			s.Ends = now.UTC().Truncate(time.Second)
			if s.Ends.Before(s.Starts) {
				s.Starts = s.Ends
			}
		}
		out = *s
		return nil
	})
	return out, err
}

// check checks a tag as the file's reader does.
func (t *Tag) check() error {
	b := formatTags([]Tag{*t})
	_, err := parseTags(TagsFile, bytes.NewReader(b))
	return err
}

func (s *Silence) check() error {
	b := formatSilences([]Silence{*s})
	_, err := parseSilences(SilencesFile, bytes.NewReader(b))
	return err
}

func writer(b *bytes.Buffer, header []string) *csv.Writer {
	w := csv.NewWriter(b)
	w.Comma = ';'
	w.Write(header)
	return w
}

func formatTags(tags []Tag) []byte {
	var b bytes.Buffer
	w := writer(&b, tagColumns)
	for _, t := range tags {
		w.Write([]string{t.ID, t.Unit, t.Kind, t.Direction, t.Peer, t.Port,
			t.FirstSeen.UTC().Format(seenLayout), t.LastSeen.UTC().Format(seenLayout),
			string(t.Label), t.Comment, t.By, t.At.UTC().Format(timeLayout)})
	}
	w.Flush()
	return b.Bytes()
}

func formatSilences(ss []Silence) []byte {
	var b bytes.Buffer
	w := writer(&b, silenceColumns)
	for _, s := range ss {
		row := []string{s.ID, "", "", "", "", "", s.Starts.UTC().Format(timeLayout), s.Ends.UTC().Format(timeLayout), s.By, s.Comment}
		for _, m := range s.Matchers {
			i := slices.Index(Fields(), m.Name) + 1
			op := m.Op
			if op == "=" && !strings.HasPrefix(m.Value, "=") && !strings.HasPrefix(m.Value, "!") {
				op = ""
			}
			row[i] = op + m.Value
		}
		w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

// table reads a ';'-separated file whose header must be columns, calling
// row with each record and its line; errors name the file, line and
// field.
func table(name string, r io.Reader, columns []string, row func(line int, rec []string, fail func(col int, err error) error) error) error {
	cr := csv.NewReader(r)
	cr.Comma = ';'
	cr.FieldsPerRecord = len(columns)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil // an empty file: nothing in it
	}
	if err != nil {
		return csvError(name, err)
	}
	for i, h := range header {
		if h != columns[i] {
			return &input.Error{File: name, Line: 1, Field: h, Err: fmt.Errorf("column %d is %s, want %q (the columns are %s)", i+1, input.Quote(h), columns[i], strings.Join(columns, ";"))}
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		fail := func(col int, err error) error {
			return &input.Error{File: name, Line: line, Field: columns[col], Err: err}
		}
		if err := row(line, rec, fail); err != nil {
			return err
		}
	}
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &input.Error{File: name, Line: pe.Line, Err: pe.Err}
	}
	return &input.Error{File: name, Err: err}
}

func readFile(path string) (io.ReadCloser, error) {
	f, err := input.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return f, err
}

func readTags(path string) ([]Tag, error) {
	f, err := readFile(path)
	if f == nil || err != nil {
		return nil, err
	}
	defer f.Close()
	return parseTags(path, f)
}

func readSilences(path string) ([]Silence, error) {
	f, err := readFile(path)
	if f == nil || err != nil {
		return nil, err
	}
	defer f.Close()
	return parseSilences(path, f)
}

func parseTags(name string, r io.Reader) ([]Tag, error) {
	var out []Tag
	seen := map[string]int{}
	err := table(name, r, tagColumns, func(line int, rec []string, fail func(int, error) error) error {
		var t Tag
		var err error
		t.ID = rec[0]
		if !IsID(t.ID) {
			return fail(0, fmt.Errorf("%s is not an incident's id (a UUID, as in incidents.csv's id column)", input.Quote(t.ID)))
		}
		if l, ok := seen[t.ID]; ok {
			return fail(0, fmt.Errorf("incident %s is tagged on line %d already: one tag per incident", t.ID, l))
		}
		seen[t.ID] = line
		t.Subject = Subject{Unit: rec[1], Kind: rec[2], Direction: rec[3], Peer: rec[4], Port: rec[5]}
		for i, v := range []string{t.Unit, t.Kind, t.Direction, t.Peer, t.Port} {
			if err := checkSubjectField(Fields()[i], v); err != nil {
				return fail(1+i, err)
			}
		}
		if t.FirstSeen, err = parseTime(rec[6], seenLayout); err != nil {
			return fail(6, err)
		}
		if t.LastSeen, err = parseTime(rec[7], seenLayout); err != nil {
			return fail(7, err)
		}
		if t.LastSeen.Before(t.FirstSeen) {
			return fail(7, fmt.Errorf("%s is before first seen %s", rec[7], rec[6]))
		}
		if t.Label, err = ParseLabel(rec[8]); err != nil {
			return fail(8, err)
		}
		if t.Comment, err = checkText(rec[9], maxText, false); err != nil {
			return fail(9, err)
		}
		if t.By, err = checkText(rec[10], maxBy, true); err != nil {
			return fail(10, err)
		}
		if t.At, err = parseTime(rec[11], timeLayout); err != nil {
			return fail(11, err)
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

func parseSilences(name string, r io.Reader) ([]Silence, error) {
	var out []Silence
	seen := map[string]int{}
	err := table(name, r, silenceColumns, func(line int, rec []string, fail func(int, error) error) error {
		var s Silence
		var err error
		s.ID = rec[0]
		if !IsID(s.ID) {
			return fail(0, fmt.Errorf("%s is not a silence's id (a UUID)", input.Quote(s.ID)))
		}
		if l, ok := seen[s.ID]; ok {
			return fail(0, fmt.Errorf("silence %s is on line %d already", s.ID, l))
		}
		seen[s.ID] = line
		for i, name := range Fields() {
			v := rec[1+i]
			if v == "" {
				continue
			}
			op, value := "=", v
			for _, o := range []string{"!=", "=~", "!~", "="} {
				if strings.HasPrefix(v, o) {
					op, value = o, v[len(o):]
					break
				}
			}
			m, err := NewMatcher(name, op, value)
			if err != nil {
				return fail(1+i, err)
			}
			s.Matchers = append(s.Matchers, m)
		}
		if len(s.Matchers) == 0 {
			return fail(1, fmt.Errorf("no matcher: a silence needs at least one of %s (an empty column matches anything)", strings.Join(Fields(), ", ")))
		}
		if s.Starts, err = parseTime(rec[6], timeLayout); err != nil {
			return fail(6, err)
		}
		if s.Ends, err = parseTime(rec[7], timeLayout); err != nil {
			return fail(7, err)
		}
		if s.Ends.Before(s.Starts) {
			return fail(7, fmt.Errorf("%s is before its start %s", rec[7], rec[6]))
		}
		if s.By, err = checkText(rec[8], maxBy, true); err != nil {
			return fail(8, err)
		}
		if s.Comment, err = checkText(rec[9], maxText, false); err != nil {
			return fail(9, err)
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// checkSubjectField checks a field of an incident as incidents.csv writes
// it.
func checkSubjectField(name, v string) error {
	switch name {
	case "unit":
		if _, err := netip.ParseAddr(v); err != nil {
			return fmt.Errorf("%s is not a host's IP address", input.Quote(v))
		}
	case "kind":
		for _, k := range incident.Kinds() {
			if k.Name == v {
				return nil
			}
		}
		names := make([]string, 0, 8)
		for _, k := range incident.Kinds() {
			if !slices.Contains(names, k.Name) {
				names = append(names, k.Name)
			}
		}
		return fmt.Errorf("%s is not a kind of incident (%s)", input.Quote(v), strings.Join(names, ", "))
	default:
		return checkValue(name, v)
	}
	return nil
}

func parseTime(s, layout string) (time.Time, error) {
	t, err := time.Parse(layout, s)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not a time like %s", input.Quote(s), time.Date(2024, 1, 6, 2, 15, 0, 0, time.UTC).Format(layout))
	}
	return t.UTC(), nil
}

// checkText checks a comment or a name: one line, printable, at most max
// characters; need says it must not be empty.
func checkText(s string, max int, need bool) (string, error) {
	if need && strings.TrimSpace(s) == "" {
		return "", errors.New("empty: say who")
	}
	if n := len([]rune(s)); n > max {
		return "", fmt.Errorf("%d characters, at most %d", n, max)
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return "", fmt.Errorf("has a control character (%s): keep it to one line", strconv.QuoteRune(r))
		}
	}
	return s, nil
}
