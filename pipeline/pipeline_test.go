package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/netflow-monitor/monitor/evaluation"
	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/input"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/model"
	"github.com/netflow-monitor/monitor/outputs"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// exampleConfig copies the shipped example's flow files (not outputs of an
// earlier run) into a fresh folder.
func exampleConfig(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	c := DefaultConfig()
	c.TrainRoot, c.MonitorRoot = filepath.Join(dir, "train_data"), filepath.Join(dir, "monitor_data")
	for _, p := range []struct{ src, dst, suffix string }{
		{"../train_data", c.TrainRoot, "_train_data.csv"},
		{"../monitor_data", c.MonitorRoot, "_monitor_data.csv"},
	} {
		files, err := filepath.Glob(filepath.Join(p.src, "*", "*"+p.suffix))
		if err != nil || len(files) == 0 {
			t.Fatalf("no shipped example in %s (%v)", p.src, err)
		}
		for _, f := range files {
			host := filepath.Base(filepath.Dir(f))
			copyTree(t, filepath.Dir(f), filepath.Join(p.dst, host))
			// keep only the flow file
			entries, _ := os.ReadDir(filepath.Join(p.dst, host))
			for _, e := range entries {
				if e.Name() != filepath.Base(f) {
					os.Remove(filepath.Join(p.dst, host, e.Name()))
				}
			}
		}
	}
	b, err := os.ReadFile("../monitor_data/injected_anomalies.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.MonitorRoot, "injected_anomalies.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	c.Workers = 2
	return c
}

type injection struct {
	service, kind, direction, peer, port, instance string
}

func readInjections(t *testing.T, path string) []injection {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []injection
	for _, row := range rows[1:] {
		out = append(out, injection{row[0], row[1], row[2], row[3], row[4], row[8]})
	}
	return out
}

func (in injection) matches(direction, peer string, port uint16) bool {
	return in.direction == direction && in.peer == peer && (in.port == "*" || in.port == strconv.Itoa(int(port)))
}

// TestShippedExample is the quick start's promise: on the shipped example,
// every injected anomaly is flagged (on at least one of the services it
// touches, a reported root-cause connection is its own), on every service
// the top connection of the top root-cause state is an injected one, and
// normal traffic is rarely flagged.
func TestShippedExample(t *testing.T) {
	if testing.Short() {
		t.Skip("trains six services")
	}
	c := exampleConfig(t)
	ctx := context.Background()
	tr, _, err := Train(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tr {
		if r.Err != nil {
			t.Fatalf("train %s: %v", r.Unit, r.Err)
		}
	}
	res, _, err := Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	inj := readInjections(t, filepath.Join(c.MonitorRoot, "injected_anomalies.csv"))
	byService := map[string][]injection{}
	for _, in := range inj {
		byService[in.service] = append(byService[in.service], in)
	}
	flagged := map[injection]bool{}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("run %s: %v", r.Host, r.Err)
		}
		mine := byService[r.Host]
		if len(mine) == 0 {
			continue
		}
		if len(r.Report.States) == 0 || len(r.Report.States[0].Connections) == 0 {
			t.Errorf("%s: no root cause, want one of %v", r.Host, mine)
			continue
		}
		top := r.Report.States[0].Connections[0]
		ok := false
		for _, in := range mine {
			ok = ok || in.matches(top.Direction.String(), top.Peer.String(), top.Port)
		}
		if !ok {
			t.Errorf("%s: top connection %s %s %d is not injected (%v)", r.Host, top.Direction, top.Peer, top.Port, mine)
		}
		for _, s := range r.Report.States {
			for _, cs := range s.Connections {
				for _, in := range mine {
					if in.matches(cs.Direction.String(), cs.Peer.String(), cs.Port) {
						flagged[in] = true
					}
				}
			}
		}
	}
	instances := map[string]bool{}
	for _, in := range inj {
		instances[in.instance] = instances[in.instance] || flagged[in]
	}
	for _, in := range inj {
		if !instances[in.instance] {
			t.Errorf("injected %s %s on %s (%s %s port %s) is not a root cause in the reports", in.instance, in.kind, in.service, in.direction, in.peer, in.port)
		}
	}
	ev, err := evaluation.Evaluate(ctx, evaluation.Config{TrainRoot: c.TrainRoot, MonitorRoot: c.MonitorRoot})
	if err != nil {
		t.Fatal(err)
	}
	o := ev.Overall
	t.Logf("overall: %d traces, TP %d FP %d TN %d FN %d, precision %.3f recall %.3f FPR %.4f", o.Traces, o.TP, o.FP, o.TN, o.FN, o.Precision, o.Recall, o.FPR)
	if o.FPR > 0.002 || o.Precision < 0.95 || o.Recall < 0.8 {
		t.Errorf("overall precision %.3f, recall %.3f, FPR %.4f: want >= 0.95, >= 0.8, <= 0.002", o.Precision, o.Recall, o.FPR)
	}
}

// readTree reads every file under root, for comparing two runs.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// smallFixture writes two services with hand-made periodic traffic; the
// second service's monitor file has a burst to a new peer.
func smallFixture(t *testing.T, dir string) Config {
	t.Helper()
	c := DefaultConfig()
	c.TrainRoot, c.MonitorRoot = filepath.Join(dir, "train_data"), filepath.Join(dir, "monitor_data")
	c.Workers = 2
	write := func(path string, fl []flows.Flow) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		w := flows.NewCSVWriter(&buf)
		for i := range fl {
			if err := w.Write(&fl[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gen := func(svc string, n int, t0 int64, anomalyAt int) []flows.Flow {
		s := netip.MustParseAddr(svc)
		var fl []flows.Flow
		for i := range n {
			f := flows.Flow{Start: t0 + int64(i)*1e9, Proto: flows.ProtoTCP, Duration: 0.01 * float64(1+i%3), Label: "normal"}
			switch i % 4 {
			case 0, 1: // clients call the service
				f.Src, f.Dst, f.SrcPort, f.DstPort = netip.MustParseAddr("10.9.0."+strconv.Itoa(1+i%5)), s, uint16(40000+i%1000), 443
				f.Bytes, f.Packets = uint64(900+i%7), 8
			case 2: // it asks the database
				f.Src, f.Dst, f.SrcPort, f.DstPort = s, netip.MustParseAddr("10.9.1.1"), uint16(50000+i%1000), 5432
				f.Bytes, f.Packets = uint64(300+i%5), 4
			case 3: // and DNS
				f.Proto = flows.ProtoUDP
				f.Src, f.Dst, f.SrcPort, f.DstPort = s, netip.MustParseAddr("10.9.2.53"), uint16(50000+i%1000), 53
				f.Bytes, f.Packets = 120, 2
			}
			if anomalyAt >= 0 && i >= anomalyAt && i < anomalyAt+3 {
				f.Src, f.Dst, f.SrcPort, f.DstPort = s, netip.MustParseAddr("203.0.113.66"), uint16(60000+i), 4444
				f.Bytes, f.Packets, f.Duration, f.Label = 5_000_000, 4000, 30, "anomaly"
			}
			fl = append(fl, f)
		}
		return fl
	}
	t0 := int64(1_700_000_000) * 1e9
	for _, svc := range []string{"10.0.0.1", "10.0.0.2"} {
		write(filepath.Join(c.TrainRoot, svc, svc+"_train_data.csv"), gen(svc, 400, t0, -1))
	}
	write(filepath.Join(c.MonitorRoot, "10.0.0.1", "10.0.0.1_monitor_data.csv"), gen("10.0.0.1", 60, t0+1e12, -1))
	write(filepath.Join(c.MonitorRoot, "10.0.0.2", "10.0.0.2_monitor_data.csv"), gen("10.0.0.2", 60, t0+1e12, 30))
	return c
}

// TestFixtureGolden runs train and run on the small fixture and compares
// the report CSVs with testdata/golden (-update rewrites them); a second
// run in another folder gives byte-identical files, models and plots
// included.
func TestFixtureGolden(t *testing.T) {
	ctx := context.Background()
	var trees []map[string][]byte
	for range 2 {
		dir := t.TempDir()
		c := smallFixture(t, dir)
		tr, _, err := Train(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range tr {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		res, _, err := Run(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		if res[0].Report.Anomalies != 0 {
			t.Errorf("10.0.0.1 (normal): %d anomalies", res[0].Report.Anomalies)
		}
		rep := res[1].Report
		if rep.Anomalies == 0 {
			t.Fatal("10.0.0.2: the burst is not flagged")
		}
		top := rep.States[0].Connections[0]
		if top.Peer.String() != "203.0.113.66" || top.Port != 4444 || top.Direction != flows.Outbound {
			t.Errorf("10.0.0.2: top connection %s %s %d, want outbound 203.0.113.66 4444", top.Direction, top.Peer, top.Port)
		}
		trees = append(trees, readTree(t, dir))
	}
	a, b := trees[0], trees[1]
	if len(a) != len(b) {
		t.Fatalf("runs wrote %d and %d files", len(a), len(b))
	}
	for name, x := range a {
		if !bytes.Equal(x, b[name]) {
			t.Errorf("%s differs between two runs on the same input", name)
		}
	}
	golden := filepath.Join("testdata", "golden")
	reports := map[string][]byte{}
	for name, x := range a {
		if strings.HasPrefix(filepath.Base(name), "root_cause_") || filepath.Base(name) == outputs.SummaryFile {
			reports[strings.ReplaceAll(filepath.ToSlash(name), "/", "__")] = x
		}
	}
	if len(reports) < 3 {
		t.Fatalf("only %d report files", len(reports))
	}
	if *update {
		os.RemoveAll(golden)
		if err := os.MkdirAll(golden, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, x := range reports {
			if err := os.WriteFile(filepath.Join(golden, name), x, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(golden)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(reports) {
		t.Errorf("%d report files, %d golden files", len(reports), len(entries))
	}
	for _, e := range entries {
		want, _ := os.ReadFile(filepath.Join(golden, e.Name()))
		if !bytes.Equal(reports[e.Name()], want) {
			t.Errorf("%s differs from its golden file\n got:\n%s\nwant:\n%s", e.Name(), reports[e.Name()], want)
		}
	}
}

// TestBadInput: each problem is reported for its service, names the file
// and what is wrong, and leaves no half-written output.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	header := "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"
	row := func(i int) string {
		return "2024-01-01T00:00:" + strconv.Itoa(10+i) + "Z,10.0.0.1,10.9.9.9,40000,443,tcp,100,2,0.5\n"
	}
	rows := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(row(i % 40))
		}
		return b.String()
	}
	tests := []struct {
		name string
		file string // train file content for 10.0.0.1
		want []string
	}{
		{"missing column", "timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,duration\n", []string{"10.0.0.1_train_data.csv", "packets"}},
		{"bad value", header + rows(5) + "2024-01-01T00:01:00Z,10.0.0.1,10.9.9.9,40000,443,tcp,lots,2,0.5\n", []string{"10.0.0.1_train_data.csv:7:", "bytes", "lots"}},
		{"bad address", header + "2024-01-01T00:01:00Z,10.0.0.300,10.9.9.9,40000,443,tcp,1,2,0.5\n", []string{"10.0.0.1_train_data.csv:2:", "src_ip", "10.0.0.300"}},
		{"one trace", header + rows(10), []string{"10 flows make 1 training traces (window 10, stride 1)", "need at least 2"}},
		{"fewer flows than the window", header + rows(4), []string{"4 flows make 1 training traces", "need at least 2"}},
		{"empty", "", []string{"10.0.0.1_train_data.csv"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := DefaultConfig()
			c.TrainRoot, c.MonitorRoot = filepath.Join(dir, "t"), filepath.Join(dir, "m")
			svc := filepath.Join(c.TrainRoot, "10.0.0.1")
			if err := os.MkdirAll(svc, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(svc, "10.0.0.1_train_data.csv"), []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			// A good service beside it still trains.
			good := filepath.Join(c.TrainRoot, "10.0.0.2")
			os.MkdirAll(good, 0o755)
			os.WriteFile(filepath.Join(good, "10.0.0.2_train_data.csv"), []byte(strings.ReplaceAll(header+rows(40), "10.0.0.1", "10.0.0.2")), 0o644)
			res, _, err := Train(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != 2 || res[1].Err != nil {
				t.Fatalf("the good service: %+v", res)
			}
			if res[0].Err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(res[0].Err.Error(), w) {
					t.Errorf("error %q does not mention %q", res[0].Err, w)
				}
			}
			entries, _ := os.ReadDir(svc)
			if len(entries) != 1 {
				t.Errorf("outputs left for the failed service: %v", entries)
			}
		})
	}
}

// TestConfigErrors: settings no unit could run with are refused before any
// data is read, with the setting named.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		set  func(*Config)
		want string // "" when the config is fine
	}{
		{"defaults", func(*Config) {}, ""},
		{"sigma 0", func(c *Config) { c.Sigma = 0 }, ""},
		{"quantile", func(c *Config) { c.Encoder = "quantile" }, ""},
		{"window 0", func(c *Config) { c.Window = 0 }, "window 0"},
		{"stride -1", func(c *Config) { c.Stride = -1 }, "stride -1"},
		{"sigma -1", func(c *Config) { c.Sigma = -1 }, "sigma -1"},
		{"sigma NaN", func(c *Config) { c.Sigma = math.NaN() }, "sigma NaN"},
		{"sigma Inf", func(c *Config) { c.Sigma = math.Inf(1) }, "sigma +Inf"},
		{"top 0", func(c *Config) { c.Top = 0 }, "top 0"},
		{"encoder", func(c *Config) { c.Encoder = "bogus" }, `encoder "bogus": want one of encode, quantile`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.set(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			// Train refuses it before reading the (absent) data.
			c.TrainRoot = filepath.Join(t.TempDir(), "none")
			if _, _, terr := Train(context.Background(), c); terr == nil || terr.Error() != err.Error() {
				t.Errorf("Train: %v, want %v", terr, err)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := smallFixture(t, dir)
	if _, _, err := Train(ctx, c); err != nil {
		t.Fatal(err)
	}
	// No monitor data for 10.0.0.1; a model of another version for 10.0.0.2.
	os.WriteFile(filepath.Join(c.MonitorRoot, "10.0.0.1", "10.0.0.1_monitor_data.csv"),
		[]byte("timestamp,src_ip,dst_ip,src_port,dst_port,protocol,bytes,packets,duration\n"), 0o644)
	mp := filepath.Join(c.TrainRoot, "10.0.0.2", layout.ModelFile)
	b, _ := os.ReadFile(mp)
	os.WriteFile(mp, bytes.Replace(b, fmt.Appendf(nil, `"version": %d`, model.Version), []byte(`"version": 99`), 1), 0o644)
	res, _, err := Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "no monitor data") {
		t.Errorf("empty monitor file: %v", res[0].Err)
	}
	if res[1].Err == nil || !errors.Is(res[1].Err, input.ErrVersion) || !strings.Contains(res[1].Err.Error(), "version 99") {
		t.Errorf("model of another version: %v", res[1].Err)
	}
	sum, err := os.ReadFile(filepath.Join(c.MonitorRoot, outputs.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sum), "no monitor data") || !strings.Contains(string(sum), "version 99") {
		t.Errorf("summary does not report the failures:\n%s", sum)
	}
}

// TestCancelled: a cancelled context stops Train and Run with an error,
// every unit says it did not start, and nothing is written.
func TestCancelled(t *testing.T) {
	dir := t.TempDir()
	c := smallFixture(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := readTree(t, dir)
	for name, call := range map[string]func() (int, []error, error){
		"train": func() (int, []error, error) {
			res, _, err := Train(ctx, c)
			var errs []error
			for _, r := range res {
				errs = append(errs, r.Err)
			}
			return len(res), errs, err
		},
		"run": func() (int, []error, error) {
			res, _, err := Run(ctx, c)
			var errs []error
			for _, r := range res {
				errs = append(errs, r.Err)
			}
			return len(res), errs, err
		},
	} {
		n, errs, err := call()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", name, err)
		}
		if n != 2 {
			t.Errorf("%s: %d results, want 2", name, n)
		}
		for _, e := range errs {
			if !errors.Is(e, ErrNotStarted) {
				t.Errorf("%s: unit error %v, want not started", name, e)
			}
		}
	}
	after := readTree(t, dir)
	if len(after) != len(before) {
		t.Errorf("cancelled runs wrote files: %d before, %d after", len(before), len(after))
	}
}

// TestRunRefusesAnotherServicesModel: a model.json copied into another
// service's folder does not judge that service unasked; --model names the
// unit whose model it must be.
func TestRunRefusesAnotherServicesModel(t *testing.T) {
	ctx := context.Background()
	c := smallFixture(t, t.TempDir())
	if _, _, err := Train(ctx, c); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(c.TrainRoot, "10.0.0.1", layout.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.TrainRoot, "10.0.0.2", layout.ModelFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	res, _, err := Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		switch {
		case r.Host == "10.0.0.1" && r.Err != nil:
			t.Errorf("10.0.0.1: %v", r.Err)
		case r.Host == "10.0.0.2" && (r.Err == nil || !strings.Contains(r.Err.Error(), `is the model of "10.0.0.1", not of 10.0.0.2`)):
			t.Errorf("10.0.0.2: %v, want the model refused as 10.0.0.1's", r.Err)
		}
	}
	c.Model = "10.0.0.2"
	if _, _, err := Run(ctx, c); err == nil || !strings.Contains(err.Error(), `is the model of "10.0.0.1"`) {
		t.Errorf("--model 10.0.0.2: %v, want it refused as 10.0.0.1's", err)
	}
	c.Model = "10.0.0.1"
	res, _, err = Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.Model != "10.0.0.1" {
			t.Errorf("--model 10.0.0.1, %s: model %s, %v", r.Host, r.Model, r.Err)
		}
	}
}

// TestTrainOutputsChangeAsOneSet: a unit's training outputs are replaced
// as one set. A training that fails keeps the earlier model, predictions
// and plot, byte for byte; one whose output path is blocked by a folder
// replaces it; either way the folder is one complete generation
// (layout.Verify).
func TestTrainOutputsChangeAsOneSet(t *testing.T) {
	ctx := context.Background()
	c := smallFixture(t, t.TempDir())
	if _, _, err := Train(ctx, c); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.TrainRoot, "10.0.0.1")
	owns := outputs.Owns(outputs.Train(outputs.Options{}))
	if err := layout.Verify(dir, owns); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir)

	tf := filepath.Join(dir, "10.0.0.1_train_data.csv")
	good, err := os.ReadFile(tf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tf, append(slices.Clone(good), "2024-01-09T00:00:00Z,10.0.0.1,10.9.9.9,1,2,tcp,lots,1,0.1,f,normal\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	res, _, err := Train(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err == nil || res[1].Err != nil {
		t.Fatalf("results %v / %v, want 10.0.0.1's bad row only", res[0].Err, res[1].Err)
	}
	after := readTree(t, dir)
	for name, b := range before {
		if !strings.HasSuffix(name, "_train_data.csv") && !bytes.Equal(after[name], b) {
			t.Errorf("%s changed by a failed training", name)
		}
	}
	if err := layout.Verify(dir, owns); err != nil {
		t.Error(err)
	}

	if err := os.WriteFile(tf, good, 0o644); err != nil {
		t.Fatal(err)
	}
	plot := filepath.Join(dir, outputs.TrainPlotBase+".png")
	if err := os.Remove(plot); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(plot, "in the way"), 0o755); err != nil {
		t.Fatal(err)
	}
	if res, _, err := Train(ctx, c); err != nil || res[0].Err != nil {
		t.Fatalf("training with a folder in the plot's place: %v %+v", err, res)
	}
	if st, err := os.Stat(plot); err != nil || !st.Mode().IsRegular() {
		t.Errorf("plot: %v, want the folder in its way replaced by the plot", err)
	}
	if err := layout.Verify(dir, owns); err != nil {
		t.Error(err)
	}
}

// TestRunFailureRemovesOutputs: a host whose run fails keeps none of an
// earlier run's outputs (which would read as this run's), while the other
// host's are rewritten; a service with a model but no monitor folder is
// reported as having no monitor data; a unit whose training just failed
// (Config.Untrained) is not judged by the older model in its folder.
func TestRunFailureRemovesOutputs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := smallFixture(t, dir)
	if _, _, err := Train(ctx, c); err != nil {
		t.Fatal(err)
	}
	if res, _, err := Run(ctx, c); err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("first run: %v %+v", err, res)
	}
	runOutputs := func(host string) []string {
		entries, err := os.ReadDir(filepath.Join(c.MonitorRoot, host))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			if e.Name() != host+"_monitor_data.csv" && e.Name() != layout.ManifestFile {
				names = append(names, e.Name())
			}
		}
		return names
	}
	if got := runOutputs("10.0.0.2"); len(got) < 4 {
		t.Fatalf("10.0.0.2 has outputs %v, want predictions, plot and reports", got)
	}

	t.Run("bad monitor file", func(t *testing.T) {
		mf := filepath.Join(c.MonitorRoot, "10.0.0.2", "10.0.0.2_monitor_data.csv")
		good, _ := os.ReadFile(mf)
		defer os.WriteFile(mf, good, 0o644)
		os.WriteFile(mf, append(slices.Clone(good), "2024-01-09T00:00:00Z,10.0.0.2,10.9.9.9,1,2,tcp,lots,1,0.1,f,normal\n"...), 0o644)
		res, _, err := Run(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err != nil || res[1].Err == nil || !strings.Contains(res[1].Err.Error(), "lots") {
			t.Fatalf("results %v / %v, want 10.0.0.1 fine and 10.0.0.2's bad row", res[0].Err, res[1].Err)
		}
		if got := runOutputs("10.0.0.2"); len(got) != 0 {
			t.Errorf("the failed host keeps the earlier run's %v", got)
		}
		if got := runOutputs("10.0.0.1"); len(got) < 2 {
			t.Errorf("the good host has %v", got)
		}
	})

	t.Run("trained, no monitor folder", func(t *testing.T) {
		d := filepath.Join(c.MonitorRoot, "10.0.0.1")
		moved := filepath.Join(dir, "moved")
		if err := os.Rename(d, moved); err != nil {
			t.Fatal(err)
		}
		defer os.Rename(moved, d)
		res, _, err := Run(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2 || res[0].Host != "10.0.0.1" || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "no monitor data for 10.0.0.1") {
			t.Fatalf("results %+v, want 10.0.0.1 reported first with no monitor data", res)
		}
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the run created %s: %v", d, err)
		}
		sum, _ := os.ReadFile(filepath.Join(c.MonitorRoot, outputs.SummaryFile))
		if !strings.Contains(string(sum), "10.0.0.1;0;0;;;;;;;;;no monitor data") {
			t.Errorf("summary:\n%s", sum)
		}
	})

	t.Run("training just failed", func(t *testing.T) {
		u := c
		u.Untrained = map[string]error{"10.0.0.1": errors.New("bad row")}
		res, _, err := Run(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "training failed: bad row") || res[1].Err != nil {
			t.Fatalf("results %v / %v", res[0].Err, res[1].Err)
		}
		if got := runOutputs("10.0.0.1"); len(got) != 0 {
			t.Errorf("the untrained host keeps %v", got)
		}
		u.Model = "10.0.0.1"
		if _, _, err := Run(ctx, u); err == nil || !strings.Contains(err.Error(), "--model 10.0.0.1: its training failed") {
			t.Errorf("--model of a unit whose training failed: %v", err)
		}
	})
}

// TestTrainBrokenGroup: a group folder whose group.json cannot be used is
// a unit that fails when everything is trained (not a folder skipped with
// exit 0), a plain skip when other units are selected, and the error when
// it is the group asked for.
func TestTrainBrokenGroup(t *testing.T) {
	tests := []struct {
		name     string
		services []netip.Addr
		groups   []string
		failed   bool   // web is a failed result
		errText  string // Train's error, "" for none
	}{
		{"all units", nil, nil, true, ""},
		{"another service selected", []netip.Addr{netip.MustParseAddr("10.0.0.1")}, nil, false, ""},
		{"the group selected", nil, []string{"web"}, false, "group.json:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := smallFixture(t, t.TempDir())
			web := filepath.Join(c.TrainRoot, "web")
			if err := os.MkdirAll(web, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(web, "group.json"), []byte("{\"name\": \"web\",\n \"members\": [10.0.0.1]}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			c.Services, c.Groups = tt.services, tt.groups
			res, skipped, err := Train(context.Background(), c)
			if tt.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errText) || !errors.Is(err, layout.ErrBadGroup) {
					t.Fatalf("error %v, want one saying %q", err, tt.errText)
				}
				if len(skipped) != 0 {
					t.Errorf("skipped %v besides the error", skipped)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, r := range res {
				if r.Err != nil {
					failed = append(failed, r.Unit)
					if !errors.Is(r.Err, layout.ErrBadGroup) || !strings.Contains(r.Err.Error(), "group.json:2") {
						t.Errorf("%s: %v, want a broken group.json at line 2", r.Unit, r.Err)
					}
				}
			}
			skippedWeb := slices.ContainsFunc(skipped, func(s layout.Skipped) bool { return s.Name == "web" })
			if tt.failed != slices.Equal(failed, []string{"web"}) || tt.failed == skippedWeb {
				t.Errorf("failed %v, web skipped %v; want web failed %v", failed, skippedWeb, tt.failed)
			}
			wantOK := 2 // the fixture's services
			if tt.services != nil {
				wantOK = len(tt.services)
			}
			if len(res)-len(failed) != wantOK {
				t.Errorf("%d units trained, want %d", len(res)-len(failed), wantOK)
			}
		})
	}
}

// TestRunByGroupModel: without --model, a monitored host with no train
// folder of its own is judged by the model of the group it is a member
// of; a host in two groups must be given one.
func TestRunByGroupModel(t *testing.T) {
	ctx := context.Background()
	c := smallFixture(t, t.TempDir())
	// One group of both services instead of a model each.
	var rows []byte
	for _, svc := range []string{"10.0.0.1", "10.0.0.2"} {
		b, err := os.ReadFile(filepath.Join(c.TrainRoot, svc, svc+"_train_data.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if rows == nil {
			rows = b
		} else {
			rows = append(rows, b[bytes.IndexByte(b, '\n')+1:]...)
		}
		if err := os.RemoveAll(filepath.Join(c.TrainRoot, svc)); err != nil {
			t.Fatal(err)
		}
	}
	addGroup := func(name string) {
		u := layout.Unit{Name: name, Members: []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}}
		g, err := layout.GroupJSON(u)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(layout.Dir(c.TrainRoot, u), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(layout.Dir(c.TrainRoot, u), layout.GroupFile), g, 0o644)
		os.WriteFile(layout.TrainFile(c.TrainRoot, u), rows, 0o644)
	}
	addGroup("web")
	if _, _, err := Train(ctx, c); err != nil {
		t.Fatal(err)
	}
	res, _, err := Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || r.Model != "web" {
			t.Errorf("%s: model %q, %v; want the group's", r.Host, r.Model, r.Err)
		}
	}
	addGroup("api")
	if _, _, err := Train(ctx, c); err != nil {
		t.Fatal(err)
	}
	res, _, err = Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "member of the groups api, web: pick one with --model") {
			t.Errorf("%s in two groups: %v", r.Host, r.Err)
		}
	}
}
