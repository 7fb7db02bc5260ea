package live

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/netflow-monitor/monitor/incident"
)

// AlertSink takes alerts. Marks let a restart tell the alerts sent after
// its checkpoint, which it sends again as it replays the input, from the
// ones it must send: Since lists the identities sent after a mark.
type AlertSink interface {
	// Send sends an alert of a unit whose flows come from domain.
	Send(a *incident.Alert, domain string) error
	// Flush makes what was sent durable (acknowledged by Kafka, synced
	// to disk).
	Flush() error
	// Mark returns where the sink is, after a Flush, for domain.
	Mark(domain string) (json.RawMessage, error)
	// Since returns the identities (incident.Alert.Identity) of the
	// alerts of domain sent after mark.
	Since(domain string, mark json.RawMessage) (map[string]bool, error)
	Close() error
}

type discardAlerts struct{}

func (discardAlerts) Send(*incident.Alert, string) error { return nil }
func (discardAlerts) Flush() error                       { return nil }
func (discardAlerts) Mark(string) (json.RawMessage, error) {
	return nil, nil
}
func (discardAlerts) Since(string, json.RawMessage) (map[string]bool, error) { return nil, nil }
func (discardAlerts) Close() error                                           { return nil }

// WriterAlerts writes alerts as JSON lines to w (standard output): it has
// no marks, so a restart may repeat alerts there.
func WriterAlerts(w io.Writer) AlertSink { return &writerAlerts{w: bufio.NewWriter(w)} }

type writerAlerts struct {
	discardAlerts
	w *bufio.Writer
}

func (s *writerAlerts) Send(a *incident.Alert, _ string) error {
	b, err := a.MarshalLine()
	if err != nil {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.w.Flush() // an operator watches them come
}

func (s *writerAlerts) Flush() error { return s.w.Flush() }

// FileAlerts appends alerts as JSON lines to a file. Its mark is the
// file's length: after a restart, the lines past it are the alerts sent
// since the checkpoint (a last line cut short by a crash is cut off, and
// sent again whole).
func FileAlerts(path string) (AlertSink, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--alerts: %w", err)
	}
	return &fileAlerts{path: path, f: f, w: bufio.NewWriter(f)}, nil
}

type fileAlerts struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

func (s *fileAlerts) Send(a *incident.Alert, _ string) error {
	b, err := a.MarshalLine()
	if err != nil {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}

func (s *fileAlerts) Flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return s.f.Sync()
}

func (s *fileAlerts) Mark(string) (json.RawMessage, error) {
	if err := s.w.Flush(); err != nil {
		return nil, err
	}
	st, err := s.f.Stat()
	if err != nil {
		return nil, err
	}
	return json.RawMessage(strconv.FormatInt(st.Size(), 10)), nil
}

func (s *fileAlerts) Since(_ string, mark json.RawMessage) (map[string]bool, error) {
	var off int64
	if len(mark) > 0 {
		if err := json.Unmarshal(mark, &off); err != nil {
			return nil, fmt.Errorf("alerts mark: %w", err)
		}
	}
	b, err := os.ReadFile(s.path)
	if err != nil {
		return nil, err
	}
	if off > int64(len(b)) {
		return nil, fmt.Errorf("%s: shorter (%d bytes) than at the checkpoint (%d): replaced?", s.path, len(b), off)
	}
	tail := b[off:]
	if i := bytes.LastIndexByte(tail, '\n'); i+1 < len(tail) {
		// A line cut short by a crash: it goes, and is sent again.
		if err := s.f.Truncate(off + int64(i+1)); err != nil {
			return nil, fmt.Errorf("%s: %w", s.path, err)
		}
		tail = tail[:i+1]
	}
	out := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(tail), []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var a incident.Alert
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, fmt.Errorf("%s: an alert after the checkpoint does not read: %w", s.path, err)
		}
		out[a.Identity()] = true
	}
	return out, nil
}

func (s *fileAlerts) Close() error {
	return errors.Join(s.Flush(), s.f.Close())
}
