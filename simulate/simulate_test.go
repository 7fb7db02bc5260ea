package simulate

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
)

// testConfig is a small configuration writing under dir.
func testConfig(dir string) Config {
	c := DefaultConfig()
	c.Flows = 20000
	c.TrainRoot = filepath.Join(dir, "train_data")
	c.MonitorRoot = filepath.Join(dir, "monitor_data")
	return c
}

func generate(t testing.TB, c Config) Summary {
	t.Helper()
	s, err := Generate(context.Background(), c)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

// readTree returns every regular file under dir by path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterminism(t *testing.T) {
	base := func(dir string) Config { return testConfig(dir) }
	tests := []struct {
		name string
		a, b func(dir string) Config
		same bool
	}{
		{"same seed", base, base, true},
		{"kind order does not matter", func(d string) Config {
			c := base(d)
			c.Anomalies = []Kind{Beaconing, PortScan}
			return c
		}, func(d string) Config {
			c := base(d)
			c.Anomalies = []Kind{PortScan, Beaconing, PortScan}
			return c
		}, true},
		{"other seed", base, func(d string) Config {
			c := base(d)
			c.Seed = 2
			return c
		}, false},
		{"other flows", base, func(d string) Config {
			c := base(d)
			c.Flows = 20001
			return c
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			da, db := t.TempDir(), t.TempDir()
			generate(t, tt.a(da))
			generate(t, tt.b(db))
			fa, fb := readTree(t, da), readTree(t, db)
			if len(fa) != 13 || len(fb) != 13 {
				t.Fatalf("got %d and %d files, want 13 (6 services x 2 + ground truth)", len(fa), len(fb))
			}
			identical := len(fa) == len(fb)
			for name, b := range fa {
				if !bytes.Equal(b, fb[name]) {
					identical = false
					if tt.same {
						t.Errorf("%s differs", name)
					}
				}
			}
			if identical != tt.same {
				t.Errorf("identical = %v, want %v", identical, tt.same)
			}
		})
	}
}

// row is a parsed flow row.
type row struct {
	start     time.Time
	src, dst  string
	dport     uint16
	id, label string
	line      string // the whole row, to compare copies
}

func readFlows(t *testing.T, path string) []row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], flows.CSVColumns()) {
		t.Fatalf("%s: header %v, want %v", path, recs[:min(1, len(recs))], flows.CSVColumns())
	}
	var out []row
	for i, r := range recs[1:] {
		ts, err := time.Parse(time.RFC3339Nano, r[0])
		if err != nil {
			t.Fatalf("%s row %d: %v", path, i+2, err)
		}
		for _, col := range []int{3, 4, 6, 7} {
			if _, err := strconv.ParseUint(r[col], 10, 64); err != nil {
				t.Fatalf("%s row %d column %s: %v", path, i+2, flows.CSVColumns()[col], err)
			}
		}
		if d, err := strconv.ParseFloat(r[8], 64); err != nil || d < 0 {
			t.Fatalf("%s row %d: duration %q", path, i+2, r[8])
		}
		if _, ok := flows.ParseProtocol(r[5]); !ok {
			t.Fatalf("%s row %d: protocol %q", path, i+2, r[5])
		}
		port, _ := strconv.ParseUint(r[4], 10, 16)
		out = append(out, row{start: ts, src: r[1], dst: r[2], dport: uint16(port), id: r[9], label: r[10],
			line: fmt.Sprint(r)})
	}
	return out
}

func readTruth(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"service", "kind", "direction", "peer", "port", "first_time", "last_time", "flows", "instance"}
	if !slices.Equal(recs[0], want) {
		t.Fatalf("ground truth header %v, want %v", recs[0], want)
	}
	return recs[1:]
}

func TestGenerateContent(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"defaults", func(*Config) {}},
		{"one service", func(c *Config) { c.Services = 1 }},
		{"one cell, three of each", func(c *Config) { c.Services = cellSize; c.PerKind = 3; c.Flows = 30000 }},
		{"20 services in three cells", func(c *Config) { c.Services = 20; c.Flows = 60000 }},
		{"no anomalies", func(c *Config) { c.Anomalies = nil }},
		{"port scans only, short periods", func(c *Config) {
			c.Anomalies = []Kind{PortScan}
			c.Train, c.Monitor = 30*time.Hour, 7*time.Hour
			c.Start = time.Date(2023, 6, 1, 17, 30, 0, 0, time.UTC)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig(t.TempDir())
			tt.edit(&c)
			sum := generate(t, c)
			checkOutput(t, c, sum)
		})
	}
}

// checkOutput checks the files against each other, the ground truth and the
// summary.
func checkOutput(t *testing.T, c Config, sum Summary) {
	t.Helper()
	trainEnd := c.Start.Add(c.Train)
	if !sum.TrainEnd.Equal(trainEnd) || sum.Flows != c.Flows || sum.TrainFlows+sum.MonitorFlows != c.Flows {
		t.Errorf("summary %d flows (%d + %d), train end %v; want %d flows, train end %v",
			sum.Flows, sum.TrainFlows, sum.MonitorFlows, sum.TrainEnd, c.Flows, trainEnd)
	}
	if len(sum.Services) != c.Services {
		t.Fatalf("%d services in the summary, want %d", len(sum.Services), c.Services)
	}
	labels := map[string]bool{NormalLabel: true}
	for _, k := range c.Anomalies {
		labels[k.Label()] = true
	}
	byID := map[string]string{} // flow id -> row, across files
	trainIDs, monitorIDs := map[string]bool{}, map[string]bool{}
	anomalous := map[string]bool{}
	monitorRows := map[string][]row{}
	trainPeers := map[string]bool{}
	trainConns := map[string]bool{}
	for i, s := range sum.Services {
		ip := Services(c.Services)[i].Addr.String()
		u := layout.ServiceUnit(Services(c.Services)[i].Addr)
		if s.TrainFile != layout.TrainFile(c.TrainRoot, u) || s.MonitorFile != layout.MonitorFile(c.MonitorRoot, u) {
			t.Errorf("%s: files %s, %s not in the layout", ip, s.TrainFile, s.MonitorFile)
		}
		for _, phase := range []struct {
			path    string
			monitor bool
			rows    int
		}{{s.TrainFile, false, s.TrainRows}, {s.MonitorFile, true, s.MonitorRows}} {
			rows := readFlows(t, phase.path)
			if len(rows) != phase.rows {
				t.Errorf("%s: %d rows, summary says %d", phase.path, len(rows), phase.rows)
			}
			if len(rows) == 0 {
				t.Errorf("%s: no flows", phase.path)
			}
			bad := 0
			for j, r := range rows {
				if j > 0 && r.start.Before(rows[j-1].start) {
					t.Fatalf("%s row %d: %v before the previous row's %v", phase.path, j+2, r.start, rows[j-1].start)
				}
				if r.src != ip && r.dst != ip {
					t.Fatalf("%s row %d: %s -> %s does not involve %s", phase.path, j+2, r.src, r.dst, ip)
				}
				if r.start.Before(trainEnd) == phase.monitor {
					t.Fatalf("%s row %d: %v on the wrong side of %v", phase.path, j+2, r.start, trainEnd)
				}
				if !labels[r.label] {
					t.Fatalf("%s row %d: label %q", phase.path, j+2, r.label)
				}
				if !phase.monitor && r.label != NormalLabel {
					t.Fatalf("%s row %d: %q in training data", phase.path, j+2, r.label)
				}
				if prev, ok := byID[r.id]; ok && prev != r.line {
					t.Fatalf("flow %s differs between files:\n%s\n%s", r.id, prev, r.line)
				}
				byID[r.id] = r.line
				if phase.monitor {
					monitorIDs[r.id] = true
				} else {
					trainIDs[r.id] = true
					trainPeers[r.src], trainPeers[r.dst] = true, true
					trainConns[fmt.Sprint(r.src, r.dst, r.dport)] = true
				}
				if r.label != NormalLabel {
					anomalous[r.id] = true
					bad++
				}
			}
			if phase.monitor {
				monitorRows[ip] = rows
				if bad != s.AnomalousRows {
					t.Errorf("%s: %d anomalous rows, summary says %d", phase.path, bad, s.AnomalousRows)
				}
			}
		}
	}
	// Every flow touches a simulated service, so the files hold them all.
	if len(byID) != c.Flows || len(trainIDs) != sum.TrainFlows || len(monitorIDs) != sum.MonitorFlows || len(anomalous) != sum.AnomalousFlows {
		t.Errorf("files hold %d flows (%d train, %d monitor, %d anomalous), summary %d (%d, %d, %d)",
			len(byID), len(trainIDs), len(monitorIDs), len(anomalous), sum.Flows, sum.TrainFlows, sum.MonitorFlows, sum.AnomalousFlows)
	}

	// The ground truth matches the labelled rows exactly.
	truth := readTruth(t, filepath.Join(c.MonitorRoot, GroundTruthFile))
	if len(truth) != len(sum.Injections) {
		t.Fatalf("%d ground-truth rows, summary has %d", len(truth), len(sum.Injections))
	}
	matched := map[string]int{} // service -> labelled rows claimed by the truth
	instances := map[Kind]map[string]bool{}
	for i, g := range truth {
		svc, kind, dir, peer, port := g[0], Kind(g[1]), g[2], g[3], g[4]
		first, err1 := time.Parse(time.RFC3339Nano, g[5])
		last, err2 := time.Parse(time.RFC3339Nano, g[6])
		n, err3 := strconv.Atoi(g[7])
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatalf("ground truth row %d: %v", i+2, err)
		}
		if !slices.Contains(c.Anomalies, kind) {
			t.Errorf("ground truth row %d: kind %q not injected", i+2, kind)
		}
		if instances[kind] == nil {
			instances[kind] = map[string]bool{}
		}
		instances[kind][g[8]] = true
		inj := sum.Injections[i]
		if inj.Service.String() != svc || inj.Kind != kind || inj.Flows != n || !inj.First.Equal(first) {
			t.Errorf("ground truth row %d %v does not match the summary %+v", i+2, g, inj)
		}
		if first.Before(trainEnd) || last.Before(first) {
			t.Errorf("ground truth row %d: %v to %v, monitoring starts %v", i+2, first, last, trainEnd)
		}
		var got []row
		for _, r := range monitorRows[svc] {
			if r.label != kind.Label() || r.start.Before(first) || r.start.After(last) {
				continue
			}
			other, d := r.dst, "outbound"
			if r.dst == svc {
				other, d = r.src, "inbound"
			}
			if other == peer && d == dir && (port == "*" || port == strconv.Itoa(int(r.dport))) {
				got = append(got, r)
			}
		}
		if len(got) != n || len(got) == 0 || !got[0].start.Equal(first) || !got[len(got)-1].start.Equal(last) {
			t.Errorf("ground truth row %d %v: %d matching labelled rows", i+2, g, len(got))
		}
		matched[svc] += len(got)
		// The anomalies are new: unknown peers, unusual connections.
		switch kind {
		case Exfiltration, Beaconing:
			if trainPeers[peer] {
				t.Errorf("ground truth row %d: peer %s seen in training", i+2, peer)
			}
		case UnusualPort:
			src, dst := svc, peer
			if dir == "inbound" {
				src, dst = peer, svc
			}
			if trainConns[fmt.Sprint(src, dst, port)] {
				t.Errorf("ground truth row %d: %s -> %s port %s seen in training", i+2, src, dst, port)
			}
		case PortScan:
			if n < 150 {
				t.Errorf("ground truth row %d: a scan of %d ports", i+2, n)
			}
		}
	}
	for _, s := range sum.Services {
		if matched[s.Addr.String()] != s.AnomalousRows {
			t.Errorf("%s: %d labelled rows, the ground truth accounts for %d", s.Addr, s.AnomalousRows, matched[s.Addr.String()])
		}
	}
	for _, k := range c.Anomalies {
		if len(instances[k]) != c.PerKind {
			t.Errorf("%s: %d injections, want %d", k, len(instances[k]), c.PerKind)
		}
	}
	if len(c.Anomalies) == 0 && (len(truth) != 0 || sum.AnomalousFlows != 0) {
		t.Errorf("no anomalies asked, got %d ground-truth rows and %d flows", len(truth), sum.AnomalousFlows)
	}
}

func TestExistingData(t *testing.T) {
	dir := t.TempDir()
	c := testConfig(dir)
	c.Services = cellSize
	generate(t, c)

	// Without Force nothing is touched.
	before := readTree(t, dir)
	c.Services = 2
	_, err := Generate(context.Background(), c)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second run without Force: err %v, want ErrExists", err)
	}
	if after := readTree(t, dir); len(after) != len(before) {
		t.Fatalf("refused run changed the folders: %d files, had %d", len(after), len(before))
	}

	// With Force the old unit folders go, with what the pipeline put in them,
	// and files that are not units stay.
	model := filepath.Join(c.TrainRoot, "10.1.0.10", "model.json")
	stale := filepath.Join(c.MonitorRoot, "notes.txt")
	group := filepath.Join(c.TrainRoot, "web")
	for _, p := range []string{model, stale} {
		if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(group, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(group, layout.GroupFile), []byte(`{"name":"web","members":["10.1.0.10"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c.Force = true
	sum := generate(t, c)
	checkOutput(t, c, sum)
	for _, root := range []string{c.TrainRoot, c.MonitorRoot} {
		units, _, err := layout.Discover(root)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range units {
			names = append(names, u.Name)
		}
		if !slices.Equal(names, []string{"10.1.0.10", "10.1.0.11"}) {
			t.Errorf("%s: units %v after a forced run with 2 services", root, names)
		}
	}
	if _, err := os.Stat(model); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old model survived: %v", err)
	}
	if _, err := os.Stat(stale); err != nil {
		t.Errorf("a file that is not a unit was removed: %v", err)
	}
	entries, err := os.ReadDir(filepath.Join(c.TrainRoot, "10.1.0.10"))
	if err != nil || len(entries) != 1 {
		t.Errorf("service folder holds %d entries (%v), want the flow file only", len(entries), err)
	}
}

// countdown is a context whose Err turns to Canceled after n calls, so that
// a test can cancel deterministically in the middle of the work.
type countdown struct {
	context.Context
	n atomic.Int64
}

func (c *countdown) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestCancel(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   func() context.Context
		force bool // over existing data
	}{
		{"before the start", func() context.Context { return cancelled }, false},
		{"in the middle", func() context.Context {
			c := &countdown{Context: context.Background()}
			c.n.Store(3)
			return c
		}, false},
		{"in the middle, over old data", func() context.Context {
			c := &countdown{Context: context.Background()}
			c.n.Store(3)
			return c
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := testConfig(dir)
			c.Flows = 200000
			var before map[string][]byte
			if tt.force {
				old := c
				old.Flows = 20000
				generate(t, old)
				before = readTree(t, dir)
				c.Force = true
			}
			var progress []int
			c.Progress = func(done, _ int) { progress = append(progress, done) }
			_, err := Generate(tt.ctx(), c)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want context.Canceled", err)
			}
			if len(progress) > 3 {
				t.Errorf("went on after cancellation: progress %v", progress)
			}
			after := readTree(t, dir)
			if len(after) != len(before) {
				t.Errorf("%d files after cancelling, want %d", len(after), len(before))
			}
			for name, b := range before {
				if !bytes.Equal(after[name], b) {
					t.Errorf("%s changed", name)
				}
			}
			if !tt.force {
				entries, _ := os.ReadDir(dir)
				if len(entries) != 0 {
					t.Errorf("folders left behind: %v", entries)
				}
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"too many services", func(c *Config) { c.Services = MaxServices + 1 }},
		{"negative flows", func(c *Config) { c.Flows = -1 }},
		{"too few flows for the anomalies", func(c *Config) { c.Flows = 1500 }},
		{"short monitoring", func(c *Config) { c.Monitor = time.Minute }},
		{"unknown kind", func(c *Config) { c.Anomalies = []Kind{"ddos"} }},
		{"no train folder", func(c *Config) { c.TrainRoot = "" }},
		{"too many per kind", func(c *Config) { c.PerKind = 1000 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c := testConfig(dir)
			tt.edit(&c)
			if _, err := Generate(context.Background(), c); err == nil {
				t.Fatal("no error")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a refused config left %v", entries)
			}
		})
	}
}

func TestParseKinds(t *testing.T) {
	tests := []struct {
		in   string
		want []Kind
		err  bool
	}{
		{"all", Kinds(), false},
		{"ALL", Kinds(), false},
		{"", []Kind{}, false},
		{"none", []Kind{}, false},
		{"beaconing", []Kind{Beaconing}, false},
		{" unusual-port , exfiltration,unusual-port", []Kind{Exfiltration, UnusualPort}, false},
		{"port-scan,ddos", nil, true},
		{"all,port-scan", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseKinds(tt.in)
		if (err != nil) != tt.err || !slices.Equal(got, tt.want) {
			t.Errorf("ParseKinds(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestOrderStats(t *testing.T) {
	const day = 86400.0
	tests := []struct {
		name    string
		kind    curveKind
		tod     float64
		span    float64
		n       int
		inside  func(t float64) bool // where events may fall
		nightly float64              // expected share of events between 00:00 and 06:00
	}{
		{"flat", curveFlat, 0, 3 * day, 30000, func(float64) bool { return true }, 0.25},
		{"day", curveDay, 0, 3 * day, 30000, func(float64) bool { return true }, 0.0},
		{"backup, odd start", curveBackup, 5 * 3600, 4 * day, 5000, func(t float64) bool {
			s := math.Mod(5*3600+t, day)
			return s >= backupFrom && s < backupTo
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCurve(tt.kind, tt.tod, tt.span)
			o := orderStats{rest: 1, left: tt.n}
			r := newRand(1, tt.name)
			prev, night := -1.0, 0
			for i := range tt.n {
				x := o.next(c, 1-r.Float64())
				if x < prev || x < 0 || x > tt.span || !tt.inside(x) {
					t.Fatalf("event %d at %v (previous %v)", i, x, prev)
				}
				if math.Mod(tt.tod+x, day) < 6*3600 {
					night++
				}
				prev = x
			}
			share := float64(night) / float64(tt.n)
			want := tt.nightly
			if tt.kind == curveDay {
				// The day curve's share of its mass before 06:00.
				sh, tot, early := dayShape(), 0.0, 0.0
				for h := range 24 {
					v := (sh[h] + sh[(h+1)%24]) / 2
					tot += v
					if h < 6 {
						early += v
					}
				}
				want = early / tot
			}
			if math.Abs(share-want) > 0.02 {
				t.Errorf("%.3f of the events fall before 06:00, want %.3f", share, want)
			}
		})
	}
}

// TestManyServices: a network of 100 services is twelve cells and a half
// of the eight roles, each cell in its own /24 and less busy than the one
// before, every service with flows of its own, and the injections spread
// over the cells.
func TestManyServices(t *testing.T) {
	c := testConfig(t.TempDir())
	c.Services, c.Flows = 100, 200_000
	sum := generate(t, c)
	checkOutput(t, c, sum)
	if len(sum.Services) != 100 {
		t.Fatalf("%d services, want 100", len(sum.Services))
	}
	addrs := map[string]bool{}
	for i, s := range sum.Services {
		want := service(i/cellSize, i%cellSize)
		if s.Addr != want.Addr || s.Role != want.Name || addrs[s.Addr.String()] {
			t.Errorf("service %d: %s %s, want %s %s, once", i, s.Role, s.Addr, want.Name, want.Addr)
		}
		addrs[s.Addr.String()] = true
		if s.TrainRows == 0 || s.MonitorRows == 0 {
			t.Errorf("%s: %d train and %d monitor rows", s.Addr, s.TrainRows, s.MonitorRows)
		}
	}
	if first, last := sum.Services[0], sum.Services[96]; first.TrainRows < 3*last.TrainRows {
		t.Errorf("frontend of the first cell %d train rows, of the 13th %d: want cells of different load", first.TrainRows, last.TrainRows)
	}
	cells := map[int]bool{}
	for _, in := range sum.Injections {
		a := in.Service.As4()
		cells[int(a[2])] = true
	}
	if len(cells) < 4 {
		t.Errorf("injections in %d cells, want them spread", len(cells))
	}
}
