package flows

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/netflow-monitor/monitor/input"
)

// Formats returns the flow formats, in detection order.
func Formats() []Format {
	return []Format{projectCSV{}, packetbeat{}, argus{}, nfdump{}, zeek{}, goflow2{}}
}

// FormatNames returns the names --format accepts (plus "auto").
func FormatNames() []string {
	var out []string
	for _, f := range Formats() {
		out = append(out, f.Name())
	}
	return out
}

// FormatByName returns the named format.
func FormatByName(name string) (Format, bool) {
	for _, f := range Formats() {
		if f.Name() == name {
			return f, true
		}
	}
	return nil, false
}

// Detect returns the format whose header the first line is.
func Detect(firstLine string) (Format, bool) {
	for _, f := range Formats() {
		if f.Detect(firstLine) {
			return f, true
		}
	}
	return nil, false
}

// Open opens a flow file for streaming. Only a regular file (or a link to
// one) is read: a named pipe, a device or a socket is refused (see
// input.Open). A gzip file is decompressed transparently (recognised by
// its magic bytes, whatever its name). With format "" or "auto" the format
// is detected from the first line; otherwise it is the named one. Reading
// stops with ctx's error once ctx is done. Close the returned Closer when
// done.
func Open(ctx context.Context, path, format string, opts DecodeOptions) (Decoder, io.Closer, error) {
	f, err := input.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open flows: %w", err)
	}
	dec, closer, err := NewDecoder(ctx, f, path, format, opts)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return dec, multiCloser{closer, f}, nil
}

// NewDecoder is Open on a reader; name is used in errors. Reads of r (and
// of the data decompressed from it) fail with ctx's error once ctx is
// done, so that decoding stops.
func NewDecoder(ctx context.Context, r io.Reader, name, format string, opts DecodeOptions) (Decoder, io.Closer, error) {
	br := bufio.NewReaderSize(input.WithContext(ctx, r), 1<<16)
	var rd io.Reader = br
	var closer io.Closer = nopCloser{}
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, &input.Error{File: name, Err: fmt.Errorf("gzip: %w", err)}
		}
		// Checked after decompression too: a few reads of compressed data
		// can make gigabytes.
		rd, closer = bufio.NewReaderSize(input.WithContext(ctx, zr), 1<<16), zr
	}
	var ft Format
	if format == "" || format == "auto" {
		first, rest, err := firstLine(rd)
		if err != nil {
			return nil, nil, &input.Error{File: name, Line: 1, Err: err}
		}
		rd = rest
		var ok bool
		if ft, ok = Detect(first); !ok {
			return nil, nil, &input.Error{File: name, Line: 1, Err: fmt.Errorf("%w: the header %s matches none of %s (use --format)", ErrUnknownFormat, input.Quote(first), strings.Join(FormatNames(), ", "))}
		}
	} else {
		var ok bool
		if ft, ok = FormatByName(format); !ok {
			return nil, nil, &input.Error{File: name, Err: fmt.Errorf("%w %s: want auto or one of %s", ErrUnknownFormat, input.Quote(format), strings.Join(FormatNames(), ", "))}
		}
	}
	dec, err := ft.NewDecoder(rd, name, opts)
	if err != nil {
		return nil, nil, err
	}
	return dec, closer, nil
}

// firstLine reads the first line and returns it with a reader that still
// yields the whole stream.
func firstLine(r io.Reader) (string, io.Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<16)
	}
	b, err := br.Peek(br.Size())
	if len(b) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return "", nil, errors.New("empty file")
		}
		return "", nil, fmt.Errorf("reading: %w", err)
	}
	i := strings.IndexByte(string(b), '\n')
	if i < 0 && err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		// The stream broke inside the first line (a truncated gzip):
		// say so rather than fail to recognise a partial header.
		return "", nil, fmt.Errorf("reading (truncated or corrupt file?): %w", err)
	}
	if i >= 0 {
		b = b[:i]
	}
	return string(b), br, nil
}

// ReadAll reads every flow of a file (see Open) and returns them with the
// number of bad rows skipped (with SkipBadRows). Reading stops with ctx's
// error once ctx is done.
func ReadAll(ctx context.Context, path, format string, opts DecodeOptions) ([]Flow, int, error) {
	file, err := input.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open flows: %w", err)
	}
	defer file.Close()
	// Sized before the decoder reads: counting uses ReadAt, which leaves
	// the file's offset alone.
	out := make([]Flow, 0, rowCapacity(ctx, file))
	adviseHugePages(out)
	dec, closer, err := NewDecoder(ctx, file, path, format, opts)
	if err != nil {
		return nil, 0, err
	}
	defer closer.Close()
	var f Flow
	for {
		err := dec.Next(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, f)
	}
	return out, dec.Skipped(), nil
}

// rowCapacity returns room for the flows of file: its number of lines when
// it is plain text, which bounds its rows (the header, blank lines and rows
// a format drops only make it larger), so that the flows are neither copied
// as the slice grows nor given room that is never used (both cost the
// garbage collector as much as the flows themselves). Counting lines in the
// page cache costs little next to parsing them. A gzip file, or one too large to read
// twice, gets a guess from its size; anything but a regular file (which
// ReadAll does not open) gets none, and so does a count cut short by ctx
// being done.
func rowCapacity(ctx context.Context, file *os.File) int {
	st, err := file.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return 0
	}
	guess := func(bytesPerRow int64) int { return int(min(st.Size()/bytesPerRow+1, maxGuessedRows)) }
	if st.Size() > maxCountedBytes {
		return guess(plainBytesPerRowGuess)
	}
	buf := make([]byte, 1<<16)
	lines, last := 0, byte('\n')
	for off := int64(0); ; off += int64(len(buf)) {
		if ctx.Err() != nil {
			return 0 // the decoder reports it
		}
		n, err := file.ReadAt(buf, off)
		if off == 0 && n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b {
			return guess(gzipBytesPerRowGuess)
		}
		if n > 0 {
			lines += bytes.Count(buf[:n], []byte{'\n'})
			last = buf[n-1]
		}
		if err != nil {
			break
		}
	}
	if last != '\n' {
		lines++ // a last line without a newline
	}
	// Bounded as the guesses are: a file of empty lines is not millions
	// of flows.
	return min(lines, maxGuessedRows)
}

// Guesses of rows from a file's size err on the side of room: capacity
// never touched costs address space, not memory. Compressed flow rows take
// about 20-30 bytes (CTU-13's Argus capture, gzipped), plain ones 85-130
// (the project's CSV, Argus). Files above maxCountedBytes are not read
// twice, and a guess gives room for at most maxGuessedRows; the slice grows
// beyond it.
const (
	gzipBytesPerRowGuess  = 20
	plainBytesPerRowGuess = 64
	maxCountedBytes       = 1 << 30
	maxGuessedRows        = 1 << 22
)

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var errs []error
	for _, c := range m {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// RowCapacity returns room for the rows of the flow file path: its number
// of lines for plain text, a generous guess from its size for gzip (see
// ReadAll), 0 when it cannot tell.
func RowCapacity(ctx context.Context, path string) int {
	f, err := input.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	return rowCapacity(ctx, f)
}
