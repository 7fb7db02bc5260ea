package flows

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/input"
)

const (
	projectHeader = "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"
	projectRow    = "2024-01-01T00:00:00Z,10.0.0.1,10.0.0.2,40000,443,tcp,100,2,0.5\n"
	goflow2Row    = `{"src_addr":"1.2.3.4","dst_addr":"5.6.7.8","time_flow_start_ns":1,"proto":6,"src_port":1,"dst_port":2,"bytes":1,"packets":1}`
)

// hostileCase is an input that must end in a quick, clear error read in
// bounded memory.
type hostileCase struct {
	name   string
	file   func(t *testing.T, dir string) string // writes the input, returns its path
	format string
	opts   DecodeOptions
	line   int    // the line the error names (0: none)
	text   string // what the message says
	is     error  // what it wraps
}

// checkHostile reads the input of tc, checks the error, the time it took
// (well under a second) and the memory the decoder allocated (TotalAlloc:
// whatever the heap's peak, it is at most that), bounded by the line
// limit. ReadAll must fail the same way.
func checkHostile(t *testing.T, tc hostileCase) {
	t.Helper()
	path := tc.file(t, t.TempDir())
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	err := decodeAll(t.Context(), path, tc.format, tc.opts)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("no error")
	}
	var fe *input.Error
	if !errors.As(err, &fe) || fe.File != path || fe.Line != tc.line || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.text) {
		t.Errorf("error %v; want an *input.Error naming %s, line %d, saying %q and wrapping %v", err, path, tc.line, tc.text, tc.is)
	}
	if len(err.Error()) > 400 {
		t.Errorf("a message of %d bytes: %.300s…", len(err.Error()), err)
	}
	if took > timeBound() {
		t.Errorf("took %v", took)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if limit := uint64(12*input.MaxLine(tc.opts.MaxLine) + 4<<20); alloc > limit {
		t.Errorf("allocated %d KB, more than %d KB", alloc>>10, limit>>10)
	}
	t.Logf("%v in %v, %d KB allocated", err, took, alloc>>10)
	if _, _, rerr := ReadAll(t.Context(), path, tc.format, tc.opts); rerr == nil || rerr.Error() != err.Error() {
		t.Errorf("ReadAll: %v, want %v", rerr, err)
	}
}

// timeBound is the time a hostile input may take to be refused: well under
// a second, wider with the race detector.
func timeBound() time.Duration {
	if raceDetector {
		return 5 * time.Second
	}
	return 500 * time.Millisecond
}

// decodeAll decodes every flow of path and returns the error that ends
// decoding (nil at the end of the file).
func decodeAll(ctx context.Context, path, format string, opts DecodeOptions) error {
	dec, closer, err := Open(ctx, path, format, opts)
	if err != nil {
		return err
	}
	defer closer.Close()
	var f Flow
	for {
		if err := dec.Next(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// writeFile returns a file function that writes the parts given.
func writeFile(name string, parts ...string) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Join(parts, "")), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
}

// gzipZeros returns a file function that writes a gzip of head followed
// by n zero bytes, streamed: the file is small, its content is not.
func gzipZeros(head string, n int64) func(t *testing.T, dir string) string {
	return func(t *testing.T, dir string) string {
		path := filepath.Join(dir, "zeros.csv.gz")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
		zw.Write([]byte(head))
		if _, err := io.CopyN(zw, zeros{}, n); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		t.Logf("%s: %d bytes holding %d", path, st.Size(), int64(len(head))+n)
		return path
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestHostileInputs: a line or record beyond the limit, a huge value and
// a gzip of zeros after a header are errors naming file and line, quick
// and in bounded memory, in every reader.
func TestHostileInputs(t *testing.T) {
	const mib = 1 << 20
	long := strings.Repeat("a", 2*mib)
	commas := strings.Repeat(",", 2*mib)
	tests := []hostileCase{
		{name: "csv long line without newline", file: writeFile("f.csv", projectHeader, long),
			format: "auto", line: 2, text: "line too long: more than 1048576 bytes", is: input.ErrLineTooLong},
		{name: "csv line of commas", file: writeFile("f.csv", projectHeader, commas, "\n"),
			format: "csv", line: 2, text: "line too long", is: input.ErrLineTooLong},
		{name: "csv long header", file: writeFile("f.csv", "timestamp,src_ip,dst_ip,", long, "\n"),
			format: "csv", line: 1, text: "line too long", is: input.ErrLineTooLong},
		{name: "csv long quoted record over many lines", file: writeFile("f.csv", projectHeader, "2024-01-01T00:00:00Z,\"", strings.Repeat("10.0.0.1,x\n", mib/5)),
			format: "auto", line: 2, text: "the quoted record that starts here runs on for more than 1048576 bytes", is: input.ErrLineTooLong},
		{name: "csv long quoted record with SkipBadRows", file: writeFile("f.csv", projectHeader, "x,\"", strings.Repeat("y\n", mib)),
			format: "auto", opts: DecodeOptions{SkipBadRows: true}, line: 2, text: "quoted record", is: input.ErrLineTooLong},
		{name: "csv lower limit", file: writeFile("f.csv", projectHeader, "2024-01-01T00:00:00Z,10.0.0.1,10.0.0.2,1,2,tcp,3,4,5\n", strings.Repeat("9", 200), "\n"),
			format: "auto", opts: DecodeOptions{MaxLine: 100}, line: 3, text: "more than 100 bytes", is: input.ErrLineTooLong},
		{name: "csv 5 MB value, default limit", file: writeFile("f.csv", projectHeader, "2024-01-01T00:00:00Z,", strings.Repeat("1", 5_000_000), ",10.0.0.2,1,2,tcp,3,4,5\n"),
			format: "auto", line: 2, text: "line too long", is: input.ErrLineTooLong},
		{name: "csv 5 MB value, limit raised", file: writeFile("f.csv", projectHeader, "2024-01-01T00:00:00Z,", strings.Repeat("1", 5_000_000), ",10.0.0.2,1,2,tcp,3,4,5\n"),
			format: "auto", opts: DecodeOptions{MaxLine: 8 * mib}, line: 2, text: `field "src_ip": bad value: "` + strings.Repeat("1", 64) + `…" (5000000 bytes) is not an IP address`, is: ErrBadValue},
		{name: "argus long line", file: writeFile("f.binetflow", "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n", long),
			format: "auto", line: 2, text: "line too long", is: input.ErrLineTooLong},
		{name: "goflow2 long line", file: writeFile("f.json", goflow2Row, "\n{", long),
			format: "auto", line: 2, text: "line too long: more than 1048576 bytes", is: input.ErrLineTooLong},
		{name: "zeek tsv long line", file: writeFile("conn.log", "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n", long, "\n"),
			format: "auto", line: 3, text: "line too long", is: input.ErrLineTooLong},
		{name: "zeek 5 MB value, limit raised", file: writeFile("conn.log", "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n1700000000\tC1\t", strings.Repeat("x", 5_000_000), "\t1\t5.6.7.8\t2\ttcp\n"),
			format: "zeek", opts: DecodeOptions{MaxLine: 8 * mib}, line: 3, text: `…" (5000000 bytes) is not an IP address`, is: ErrBadValue},
		{name: "goflow2 5 MB value, limit raised", file: writeFile("f.json", goflow2Row, "\n", strings.Replace(goflow2Row, `"packets":1`, `"packets":"`+strings.Repeat("1,", 2_500_000)+`"`, 1), "\n"),
			format: "goflow2", opts: DecodeOptions{MaxLine: 8 * mib}, line: 2, text: `field "packets": bad value: "\"1,1,1,`, is: ErrBadValue},
		{name: "gzip of a header and 100 MB of zeros", file: gzipZeros(projectHeader, 100*mib),
			format: "auto", line: 2, text: "line too long", is: input.ErrLineTooLong},
		{name: "gzip of 100 MB of zeros", file: gzipZeros("", 100*mib),
			format: "csv", line: 1, text: "line too long", is: input.ErrLineTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkHostile(t, tc) })
	}
}

// rows is a flow file that never ends: a header, then the same row
// forever, each read after a pause.
type rows struct {
	started bool // the header is read
	off     int  // in the text being read
	delay   time.Duration
}

func (r *rows) Read(p []byte) (int, error) {
	time.Sleep(r.delay)
	n := 0
	for n < len(p) {
		text := projectRow
		if !r.started {
			text = projectHeader + projectRow
		}
		c := copy(p[n:], text[r.off:])
		n += c
		if r.off += c; r.off == len(text) {
			r.off, r.started = 0, true
		}
	}
	return n, nil
}

// TestDecoderCancelled: decoding a source that never ends stops promptly,
// with the context's error, once the context is cancelled; and a
// cancelled context stops ReadAll before it reads.
func TestDecoderCancelled(t *testing.T) {
	for _, gz := range []bool{false, true} {
		ctx, cancel := context.WithCancel(t.Context())
		endless := &rows{delay: time.Millisecond}
		var src io.Reader = endless
		if gz {
			// The gzip stream of the endless rows, made as it is read.
			pr, pw := io.Pipe()
			go func() {
				zw := gzip.NewWriter(pw)
				_, err := io.Copy(zw, endless)
				pw.CloseWithError(err)
			}()
			defer pr.Close()
			src = pr
		}
		dec, closer, err := NewDecoder(ctx, src, "endless.csv", "auto", DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		n := 0
		go func() {
			var f Flow
			for {
				if err := dec.Next(&f); err != nil {
					done <- err
					return
				}
				n++
			}
		}()
		time.Sleep(50 * time.Millisecond)
		cancel()
		start := time.Now()
		select {
		case err := <-done:
			var fe *input.Error
			if !errors.Is(err, context.Canceled) || !errors.As(err, &fe) || fe.File != "endless.csv" {
				t.Errorf("gzip %v: error %v, want the file's context.Canceled", gz, err)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("gzip %v: stopped %v after the cancel", gz, d)
			}
			if n == 0 {
				t.Errorf("gzip %v: no flow read before the cancel", gz)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("gzip %v: still decoding 5 s after the cancel", gz)
		}
		closer.Close()
	}
	path := filepath.Join(t.TempDir(), "f.csv")
	os.WriteFile(path, []byte(projectHeader+projectRow), 0o644)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := ReadAll(ctx, path, "auto", DecodeOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadAll with a cancelled context: %v", err)
	}
}
