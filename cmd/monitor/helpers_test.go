package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/netflow-monitor/monitor/flows"
)

// goflow2JSON is a flow as goflow2 -format=json writes it.
func goflow2JSON(f *flows.Flow) []byte {
	b, _ := json.Marshal(map[string]any{
		"time_flow_start_ns": f.Start, "time_flow_end_ns": f.Start + int64(math.Round(f.Duration*1e9)),
		"src_addr": f.Src.String(), "dst_addr": f.Dst.String(), "src_port": f.SrcPort, "dst_port": f.DstPort,
		"proto": strings.ToUpper(f.Proto.String()), "bytes": f.Bytes, "packets": f.Packets,
	})
	return b
}

// syncBuffer is a buffer written and read by several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runIn runs the command line in-process until ctx is done, in the
// background; wait returns its error and stderr, said its stderr so far.
func runIn(ctx context.Context, args ...string) (wait func() (error, string), said func() string) {
	var errOut syncBuffer
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(strings.NewReader(""))
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&errOut)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	return func() (error, string) { err := <-done; return err, errOut.String() }, errOut.String
}

// trainedExample trains one service of the shipped example into dir/T.
func trainedExample(t *testing.T, dir, ip string) string {
	t.Helper()
	T := filepath.Join(dir, "T")
	copyTree(t, filepath.Join("..", ".."), dir, "train_data/"+ip+"/*_train_data.csv")
	os.Rename(filepath.Join(dir, "train_data"), T)
	monitor(t, "train", "--train-data", T, "-q")
	return T
}
