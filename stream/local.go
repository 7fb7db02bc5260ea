package stream

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
)

// Position is where a local source is: the file it reads, a fingerprint of
// the file's start (so that a file rotated away since is not mistaken for
// the one at the same path), and the flows of it already given. Standard
// input has no position to resume from.
type Position struct {
	File        string `json:"file,omitempty"`
	Fingerprint uint32 `json:"fingerprint,omitempty"`
	Flows       int64  `json:"flows"`
}

// Local is a source of flow files on this machine: standard input ("-"),
// one file (followed as it grows and across rotation with Follow, as
// tail -F does), or a folder of rotated files, read whole one after the
// other in name order (with Follow, new ones as they appear).
type Local struct {
	Path   string
	Follow bool
	// Format is a format of package flows, or "auto" to detect it from
	// each file's header.
	Format string
	// Pattern picks the files of a folder (filepath.Match; "" is all).
	// Hidden files and the temporary files of atomic writes never count.
	Pattern string
	// Poll is how often a followed file or folder is looked at for more.
	Poll time.Duration
	// Log says what a source does on its own: rotations, skipped rows.
	Log func(format string, args ...any)
	// Stdin is what "-" reads (default os.Stdin).
	Stdin io.Reader
	// MaxLine is the longest line of the input, in bytes (0:
	// input.DefaultMaxLine); SkipBadRows skips and counts bad rows
	// instead of stopping at the first, as run's flags do.
	MaxLine     int
	SkipBadRows bool

	stdin *bufio.Reader // standard input, once Head has looked at it
	head  uint32        // the fingerprint of its first KiB
}

// Head returns the fingerprint of standard input's first KiB (the
// CRC-32 of what there is, at its end), which tells a stream replayed
// from its start from another: a checkpoint of the one goes on in the
// other only when they are the same. It waits for that KiB, or the end,
// or ctx. Other sources return 0.
func (s *Local) Head(ctx context.Context) (uint32, error) {
	if s.Path != "-" {
		return 0, nil
	}
	if s.stdin == nil {
		in := s.Stdin
		if in == nil {
			in = os.Stdin
		}
		s.stdin = bufio.NewReaderSize(&ctxReader{ctx: ctx, r: in}, 1<<16)
		b, err := s.stdin.Peek(1024)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return 0, err
		}
		s.head = crc32.ChecksumIEEE(b)
	}
	return s.head, nil
}

// Kind names the source for messages: "stdin", "file" or "folder".
func (s *Local) Kind() string {
	if s.Path == "-" {
		return "stdin"
	}
	if st, err := os.Stat(s.Path); err == nil && st.IsDir() {
		return "folder"
	}
	return "file"
}

// Run gives every flow of the source, in the order read, to fn with the
// position after it, starting after from (the zero Position: from the
// start). It returns nil at the end of the input (never with Follow), or
// ctx's error, or the first error of fn or of reading. Bad rows are
// skipped and counted, never fatal: a live monitor goes on past them.
func (s *Local) Run(ctx context.Context, from Position, fn func(f *flows.Flow, at *Position) error) error {
	if s.Poll <= 0 {
		s.Poll = 250 * time.Millisecond
	}
	if s.Log == nil {
		s.Log = func(string, ...any) {}
	}
	switch s.Kind() {
	case "stdin":
		fp, err := s.Head(ctx)
		if err != nil {
			return &input.Error{File: "-", Err: fmt.Errorf("reading: %w", err)}
		}
		at := Position{File: "-", Fingerprint: fp}
		if from.File == "-" && from.Fingerprint == fp {
			at.Flows = from.Flows // the same stream, replayed from its start
		}
		var r io.Reader = s.stdin
		if b, _ := s.stdin.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
			// A gzip stream is decompressed before it is cut into lines.
			zr, err := gzip.NewReader(s.stdin)
			if err != nil {
				return &input.Error{File: "-", Err: fmt.Errorf("gzip: %w", err)}
			}
			defer zr.Close()
			r = zr
		}
		return s.read(ctx, r, "-", &at, false, fn)
	case "folder":
		return s.folder(ctx, from, fn)
	}
	return s.file(ctx, from, fn)
}

// read decodes r (named name) and gives its flows to fn, skipping the
// first at.Flows of them (already given before a restart). A stream that
// grows (standard input, a followed file) is decoded as it comes, in
// chunks of the whole lines there are (see chunks); a file that is whole
// is decoded in one go.
func (s *Local) read(ctx context.Context, r io.Reader, name string, at *Position, whole bool, fn func(*flows.Flow, *Position) error) error {
	skip := at.Flows
	at.Flows = 0
	skipped := 0
	var f flows.Flow
	decode := func(dec flows.Decoder) error {
		for n := 0; ; n++ {
			if n&0x3ff == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			err := dec.Next(&f)
			if errors.Is(err, io.EOF) {
				if k := dec.Skipped(); k > 0 {
					skipped += k
					s.Log("%s: %d bad rows skipped (%d in all)", name, k, skipped)
				}
				return nil
			}
			if err != nil {
				return err
			}
			at.Flows++
			if at.Flows <= skip {
				continue
			}
			if err := fn(&f, at); err != nil {
				return err
			}
		}
	}
	var err error
	opts := flows.DecodeOptions{SkipBadRows: s.SkipBadRows, MaxLine: s.MaxLine}
	if whole {
		err = decodeWith(ctx, r, name, s.Format, opts, decode)
	} else {
		err = chunks(ctx, r, name, s.Format, opts, decode)
	}
	if err == nil && at.Flows < skip {
		s.Log("%s: has %d flows, fewer than the %d read before the restart: it was replaced", name, at.Flows, skip)
	}
	return err
}

// decodeWith decodes r in format with a decoder of opts (bad rows skipped
// and counted, or an error) and gives it to decode.
func decodeWith(ctx context.Context, r io.Reader, name, format string, opts flows.DecodeOptions, decode func(flows.Decoder) error) error {
	dec, closer, err := flows.NewDecoder(ctx, r, name, format, opts)
	if err != nil {
		return err
	}
	defer closer.Close()
	return decode(dec)
}

// chunks decodes a stream that grows as it is read. The readers of
// package flows read ahead by a large buffer, which a slow stream fills
// only after a long wait, so each chunk of whole lines read is decoded as
// a stream of its own, behind the stream's header lines: its first line
// (comma-separated formats), or its leading "#" lines (Zeek TSV); JSON
// lines have none. Packetbeat exports carry running totals from row to
// row and are read whole only.
func chunks(ctx context.Context, r io.Reader, name, format string, opts flows.DecodeOptions, decode func(flows.Decoder) error) error {
	maxLine := input.MaxLine(opts.MaxLine)
	buf := make([]byte, 0, min(1<<20, maxLine+1))
	var header []byte
	lines := 0 // lines of the stream before the chunk being decoded
	for {
		if len(buf) == cap(buf) {
			if cap(buf) > maxLine {
				return &input.Error{File: name, Line: lines + 1, Err: fmt.Errorf("%w: a line longer than %d bytes (raise --max-line)", flows.ErrBadValue, maxLine)}
			}
			buf = append(buf, make([]byte, min(cap(buf), maxLine+1-cap(buf)+1))...)[:len(buf)]
		}
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err := ctx.Err(); err != nil {
			return err
		}
		end := bytes.LastIndexByte(buf, '\n') + 1
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				return &input.Error{File: name, Err: fmt.Errorf("reading: %w", rerr)}
			}
			end = len(buf) // the last line may lack its newline
		}
		body := buf[:end]
		if header == nil && end > 0 {
			var err error
			if header, body, format, err = splitHeader(body, name, format); err != nil {
				return err
			}
			if header == nil {
				end = 0 // the header is not whole yet
			} else {
				lines += bytes.Count(header, []byte{'\n'})
			}
		}
		if len(body) > 0 {
			err := decodeWith(ctx, io.MultiReader(bytes.NewReader(header), bytes.NewReader(body)), name, format, opts, decode)
			// The chunk was decoded behind the header, as a stream of
			// its own: its line numbers are the stream's from here.
			var ie *input.Error
			if errors.As(err, &ie) && ie.Line > 0 {
				ie.Line += lines - bytes.Count(header, []byte{'\n'})
			}
			if err != nil {
				return err
			}
			lines += bytes.Count(body, []byte{'\n'})
		}
		if rerr != nil {
			return nil
		}
		buf = append(buf[:0], buf[end:]...)
	}
}

// ctxReader reads r in a goroutine of its own, so that a read that blocks
// (a pipe nobody writes to) ends when ctx does: standard input cannot be
// interrupted otherwise. What a read abandoned that way brings is lost,
// as the source stops.
type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	buf     []byte
	results chan ctxRead
	pending bool
}

type ctxRead struct {
	n   int
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if !c.pending {
		if c.results == nil {
			c.results, c.buf = make(chan ctxRead, 1), make([]byte, 1<<16)
		}
		c.pending = true
		buf := c.buf[:min(len(p), len(c.buf))]
		go func() {
			n, err := c.r.Read(buf)
			c.results <- ctxRead{n, err}
		}()
	}
	select {
	case res := <-c.results:
		c.pending = false
		return copy(p, c.buf[:res.n]), res.err
	case <-c.ctx.Done():
		return 0, c.ctx.Err()
	}
}

// splitHeader takes a stream's header lines off its first chunk and names
// its format (when auto). A header that is not whole yet comes back nil
// with no body: a later chunk holds more. A stream without header lines
// has an empty, non-nil header.
func splitHeader(b []byte, name, format string) (header, body []byte, _ string, _ error) {
	first, _, _ := bytes.Cut(b, []byte{'\n'})
	first = bytes.TrimRight(first, "\r")
	if format == "" || format == "auto" {
		ft, ok := flows.Detect(string(first))
		if !ok {
			_, _, err := flows.NewDecoder(context.Background(), bytes.NewReader(b), name, "auto", flows.DecodeOptions{})
			return nil, nil, "", err // it says which formats were tried
		}
		format = ft.Name()
	}
	switch {
	case format == "packetbeat":
		return nil, nil, "", &input.Error{File: name, Err: errors.New("a Packetbeat export carries running totals from row to row and cannot be read as it grows: give it as a file, without --follow")}
	case bytes.HasPrefix(bytes.TrimSpace(first), []byte("{")):
		return []byte{}, b, format, nil
	case bytes.HasPrefix(first, []byte("#")):
		i := 0
		for i < len(b) && b[i] == '#' {
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				return nil, nil, format, nil
			}
			i += j + 1
		}
		if i == len(b) {
			return nil, nil, format, nil // only header lines so far
		}
		return bytes.Clone(b[:i]), b[i:], format, nil
	}
	i := bytes.IndexByte(b, '\n') + 1
	if i == 0 {
		return nil, nil, format, nil
	}
	return bytes.Clone(b[:i]), b[i:], format, nil // buf is reused
}

// fingerprint returns the CRC-32 of the first KiB of path, which tells a
// file from the one that replaced it at the same path.
func fingerprint(path string) (uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b := make([]byte, 1024)
	n, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, err
	}
	return crc32.ChecksumIEEE(b[:n]), nil
}

// file reads one file; with Follow, as it grows and then each file that
// takes its path.
func (s *Local) file(ctx context.Context, from Position, fn func(*flows.Flow, *Position) error) error {
	for first := true; ; first = false {
		f, err := s.open(ctx, s.Path)
		if err != nil {
			return err
		}
		at := Position{File: s.Path}
		if first && from.File == s.Path {
			// Resume only in the same file: one that replaced it is read
			// from its start. The fingerprint is of the first KiB, which
			// a file being written may not have had yet: then the flows
			// already read tell.
			if fp, _ := fingerprint(s.Path); fp == from.Fingerprint || from.Fingerprint == 0 || from.Flows > 0 && fpPrefix(s.Path, from) {
				at.Flows = from.Flows
			} else {
				s.Log("%s was replaced since the checkpoint: reading the new file from its start", s.Path)
			}
		}
		var r io.Reader = f
		var fr *followReader
		if s.Follow {
			fr = &followReader{ctx: ctx, f: f, path: s.Path, poll: s.Poll, fp: &at.Fingerprint}
			r = fr
		} else {
			at.Fingerprint, _ = fingerprint(s.Path)
		}
		err = s.read(ctx, r, s.Path, &at, !s.Follow, fn)
		f.Close()
		if err != nil || !s.Follow {
			return err
		}
		s.Log("%s: rotated, reading the new file", s.Path)
	}
}

// fpPrefix reports whether the checkpoint's fingerprint is that of the
// file's start as it was when the checkpoint was written (shorter than a
// KiB then): the same file, grown since.
func fpPrefix(path string, from Position) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for n := min(len(b), 1024); n >= 0; n-- {
		if crc32.ChecksumIEEE(b[:n]) == from.Fingerprint {
			return true
		}
	}
	return false
}

// open opens path; a followed file that is not there yet is waited for.
// Only a regular file (or a link to one) is opened: a named pipe would
// block in open until a writer comes, beyond the reach of a signal, and a
// device may never end; standard input ("-") reads a pipe.
func (s *Local) open(ctx context.Context, path string) (*os.File, error) {
	for {
		f, err := input.Open(path)
		if err == nil || !s.Follow || !errors.Is(err, os.ErrNotExist) {
			if err != nil {
				if errors.Is(err, input.ErrNotRegular) {
					return nil, fmt.Errorf("source: %w (give a pipe as standard input: --source - < %s)", err, path)
				}
				return nil, fmt.Errorf("source: %w", err)
			}
			return f, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(s.Poll):
		}
	}
}

// folder reads the folder's files in name order, each once; with Follow it
// then waits for new ones.
func (s *Local) folder(ctx context.Context, from Position, fn func(*flows.Flow, *Position) error) error {
	last := ""
	if from.File != "" {
		last = from.File
		// The file being read at the checkpoint is read again, resuming
		// after the flows already given.
		p := filepath.Join(s.Path, from.File)
		if _, err := os.Stat(p); err == nil {
			if err := s.folderFile(ctx, from.File, from, fn); err != nil {
				return err
			}
		}
	}
	for {
		names, err := s.pending(last)
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := s.folderFile(ctx, name, Position{}, fn); err != nil {
				return err
			}
			last = name
		}
		if len(names) > 0 {
			continue
		}
		if !s.Follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.Poll):
		}
	}
}

func (s *Local) folderFile(ctx context.Context, name string, from Position, fn func(*flows.Flow, *Position) error) error {
	p := filepath.Join(s.Path, name)
	f, err := input.Open(p)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer f.Close()
	fp, _ := fingerprint(p)
	at := Position{File: name, Fingerprint: fp}
	if from.File == name && from.Fingerprint == fp {
		at.Flows = from.Flows
	}
	// Positions name the file within the folder, so that a folder moved
	// as a whole resumes.
	return s.read(ctx, f, p, &at, true, fn)
}

// pending returns the folder's files after last in name order that the
// pattern picks.
func (s *Local) pending(last string) ([]string, error) {
	entries, err := os.ReadDir(s.Path)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if name <= last || strings.HasPrefix(name, ".") || atomicfile.IsTemp(name) || !e.Type().IsRegular() {
			continue
		}
		if s.Pattern != "" {
			if ok, err := filepath.Match(s.Pattern, name); err != nil {
				return nil, fmt.Errorf("source pattern %q: %w", s.Pattern, err)
			} else if !ok {
				continue
			}
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}
