package live

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/netflow-monitor/monitor/incident"
)

// AlertSink takes alerts: standard output, a file, a Kafka topic. Every
// call that may block takes a context, so that a sink whose disk or broker
// is gone cannot hold a stopping monitor. Marks let a restart tell the
// alerts sent after its checkpoint, which it sends again as it replays
// the input, from the ones it must send: Since lists the identities sent
// after a mark. Together with the identities a checkpoint records as still
// to be suppressed, each alert goes out once across any sequence of
// crashes and restarts.
type AlertSink interface {
	// Send sends an alert of a unit whose flows come from domain.
	Send(ctx context.Context, a *incident.Alert, domain string) error
	// Flush makes what was sent durable (acknowledged by Kafka, synced
	// to disk).
	Flush(ctx context.Context) error
	// Mark returns where the sink is, after a Flush, for domain; nil for
	// a sink that cannot be read back.
	Mark(ctx context.Context, domain string) (json.RawMessage, error)
	// Since returns the identities (incident.Alert.Identity) of the
	// alerts of domain sent after mark.
	Since(ctx context.Context, domain string, mark json.RawMessage) (map[string]bool, error)
	Close(ctx context.Context) error
}

type discardAlerts struct{}

func (discardAlerts) Send(context.Context, *incident.Alert, string) error { return nil }
func (discardAlerts) Flush(context.Context) error                         { return nil }
func (discardAlerts) Mark(context.Context, string) (json.RawMessage, error) {
	return nil, nil
}
func (discardAlerts) Since(context.Context, string, json.RawMessage) (map[string]bool, error) {
	return nil, nil
}
func (discardAlerts) Close(context.Context) error { return nil }

// WriterAlerts writes alerts as JSON lines to w (standard output, a
// device): it has no marks, so a restart may repeat alerts there.
func WriterAlerts(w io.Writer) AlertSink { return &writerAlerts{w: bufio.NewWriter(w)} }

type writerAlerts struct {
	discardAlerts
	w *bufio.Writer
}

func (s *writerAlerts) Send(_ context.Context, a *incident.Alert, _ string) error {
	b, err := a.MarshalLine()
	if err != nil {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.w.Flush() // an operator watches them come
}

func (s *writerAlerts) Flush(context.Context) error { return s.w.Flush() }
func (s *writerAlerts) Close(context.Context) error { return s.w.Flush() }

// FileAlerts appends alerts as JSON lines to a file. Its mark is the
// file's length: after a restart, the lines past it are the alerts sent
// since the checkpoint. A last line cut short by a crash is cut off when
// the file is opened (it was not sent whole, and is sent again). A path
// that is not a regular file (/dev/null, a terminal) is written as a
// stream, without marks.
func FileAlerts(path string) (AlertSink, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--alerts: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("--alerts: %w", err)
	}
	if !st.Mode().IsRegular() {
		return &streamAlerts{writerAlerts: writerAlerts{w: bufio.NewWriter(f)}, f: f}, nil
	}
	if err := cutTornLine(f, st.Size()); err != nil {
		f.Close()
		return nil, fmt.Errorf("--alerts %s: %w", path, err)
	}
	return &fileAlerts{path: path, f: f, w: bufio.NewWriter(f)}, nil
}

// cutTornLine cuts a file of JSON lines back to its last whole line.
func cutTornLine(f *os.File, size int64) error {
	if size == 0 {
		return nil
	}
	const tail = 1 << 16
	for end := size; end > 0; {
		from := max(0, end-tail)
		b := make([]byte, end-from)
		if _, err := f.ReadAt(b, from); err != nil {
			return err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			if keep := from + int64(i) + 1; keep < size {
				return f.Truncate(keep)
			}
			return nil
		}
		end = from
	}
	return f.Truncate(0)
}

// streamAlerts writes alerts to a file that is not a regular one.
type streamAlerts struct {
	writerAlerts
	f *os.File
}

func (s *streamAlerts) Close(context.Context) error { return errors.Join(s.w.Flush(), s.f.Close()) }

type fileAlerts struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

func (s *fileAlerts) Send(_ context.Context, a *incident.Alert, _ string) error {
	b, err := a.MarshalLine()
	if err != nil {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return nil
}

func (s *fileAlerts) Flush(context.Context) error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	return s.f.Sync()
}

func (s *fileAlerts) Mark(ctx context.Context, _ string) (json.RawMessage, error) {
	if err := s.Flush(ctx); err != nil {
		return nil, err
	}
	st, err := s.f.Stat()
	if err != nil {
		return nil, err
	}
	return json.RawMessage(strconv.FormatInt(st.Size(), 10)), nil
}

func (s *fileAlerts) Since(_ context.Context, _ string, mark json.RawMessage) (map[string]bool, error) {
	var off int64
	if len(mark) > 0 {
		if err := json.Unmarshal(mark, &off); err != nil {
			return nil, fmt.Errorf("alerts mark: %w", err)
		}
	}
	st, err := s.f.Stat()
	if err != nil {
		return nil, err
	}
	if off > st.Size() {
		return nil, fmt.Errorf("%s: shorter (%d bytes) than at the checkpoint (%d): replaced?", s.path, st.Size(), off)
	}
	sc := bufio.NewScanner(io.NewSectionReader(s.f, off, st.Size()-off))
	sc.Buffer(nil, 1<<26)
	out := map[string]bool{}
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var a incident.Alert
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, fmt.Errorf("%s: an alert after the checkpoint does not read: %w", s.path, err)
		}
		out[a.Identity()] = true
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	return out, nil
}

func (s *fileAlerts) Close(ctx context.Context) error {
	return errors.Join(s.Flush(ctx), s.f.Close())
}
