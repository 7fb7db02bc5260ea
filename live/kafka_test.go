package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	flowpb "github.com/netsampler/goflow2/v2/pb"
	"google.golang.org/protobuf/proto"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/pipeline"
	"github.com/netflow-monitor/monitor/stream"
)

// hostTraffic is traffic (see traffic) of host h with its peer p: a
// request and its answer over and over, every odd-th flow (odd > 0) an
// outbound transfer to 192.0.2.14:443 instead.
func hostTraffic(h, p netip.Addr, start time.Time, n, odd int) []flows.Flow {
	fs := traffic(start, n, odd)
	for i := range fs {
		f := &fs[i]
		for _, a := range []*netip.Addr{&f.Src, &f.Dst} {
			switch *a {
			case host:
				*a = h
			case peer:
				*a = p
			}
		}
	}
	return fs
}

// network is a member's connections to the broker: kill closes them all
// and refuses new ones, as a crashed process's go, without leaving its
// consumer group.
type network struct {
	mu    sync.Mutex
	conns []net.Conn
	dead  bool
}

func (n *network) dial(ctx context.Context, nw, addr string) (net.Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dead {
		return nil, errors.New("killed")
	}
	c, err := (&net.Dialer{}).DialContext(ctx, nw, addr)
	if err == nil {
		n.conns = append(n.conns, c)
	}
	return c, err
}

func (n *network) kill() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dead = true
	for _, c := range n.conns {
		c.Close()
	}
}

// goflow2Line is a flow as goflow2 -format=json writes it.
func goflow2Line(f *flows.Flow) []byte {
	b, _ := json.Marshal(map[string]any{
		"time_flow_start_ns": f.Start, "time_flow_end_ns": f.Start + int64(f.Duration*1e9),
		"src_addr": f.Src.String(), "dst_addr": f.Dst.String(), "src_port": f.SrcPort, "dst_port": f.DstPort,
		"proto": strings.ToUpper(f.Proto.String()), "bytes": f.Bytes, "packets": f.Packets,
	})
	return b
}

// member is one watch of a consumer group, in-process.
type member struct {
	M    string // its monitor folder
	e    *Engine
	sink AlertSink
	net  *network
	stop context.CancelFunc
	done chan error
	log  *strings.Builder
	mu   sync.Mutex
}

func (m *member) said() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.log.String()
}

// TestKafkaTakeover: flows as goflow2 JSON on 4 partitions, route
// re-keys them by unit, two watches in one consumer group judge them,
// each with its own folders (two machines), and one dies (its connections
// cut, no leaving the group, no last checkpoint) either before it has
// written a checkpoint or once it has written some. The other takes its
// partitions over; the pair's alerts are those of one watch
// over the whole stream: none lost, no (id, revision) twice; and every
// unit's folder on the survivor is run's on the same flows, the windows
// the dead member judged included.
func TestKafkaTakeover(t *testing.T) {
	if testing.Short() {
		t.Skip("runs route and three watches on an in-process broker")
	}
	dir := t.TempDir()
	T := filepath.Join(dir, "T")
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []flows.Flow
	for i := range 4 {
		h, p := netip.AddrFrom4([4]byte{10, 1, 0, byte(20 + i)}), netip.AddrFrom4([4]byte{10, 1, 1, byte(20 + i)})
		trainModelOf(t, T, h, hostTraffic(h, p, day, 1500, 0))
		all = append(all, hostTraffic(h, p, day.Add(24*time.Hour+time.Duration(i)*time.Millisecond), 1500, 37+6*i)...)
	}
	slices.SortStableFunc(all, func(a, b flows.Flow) int { return int(a.Start - b.Start) })

	for _, tc := range []struct {
		name       string
		checkpoint time.Duration // --checkpoint-every of the pair
		killAt     int           // windows the victim judged
		alone      bool          // the victim is alone in the group until it dies
	}{
		{"before its first checkpoint", time.Hour, 200, true},
		{"after checkpoints and a rebalance", 100 * time.Millisecond, 1200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			takeover(t, T, all, tc.checkpoint, tc.killAt, tc.alone)
		})
	}
}

func takeover(t *testing.T, T string, all []flows.Flow, checkpoint time.Duration, killAt int, alone bool) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond), kfake.DefaultNumPartitions(4),
		kfake.SeedTopics(4, "raw", "routed"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()
	url := func(topic, group string) stream.KafkaURL {
		return stream.KafkaURL{Brokers: brokers, Topic: topic, Group: group}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	dir := t.TempDir()
	start := func(name, group, alerts string, checkpoint time.Duration) *member {
		m := &member{net: &network{}, done: make(chan error, 1), log: &strings.Builder{}, M: filepath.Join(dir, name, "M")}
		cfg := DefaultConfig()
		cfg.TrainRoot, cfg.MonitorRoot, cfg.MaxLateness, cfg.CheckpointEvery = T, m.M, 0, checkpoint
		cfg.IdleTimeout, cfg.ShutdownTimeout, cfg.ReportEvery = 300*time.Millisecond, 2*time.Second, 0
		cfg.Log = func(f string, a ...any) {
			m.mu.Lock()
			fmt.Fprintf(m.log, name+": "+f+"\n", a...)
			m.mu.Unlock()
		}
		sink, err := KafkaAlerts(ctx, url(alerts, ""), cfg.Log, m.net.dial)
		if err != nil {
			t.Fatal(err)
		}
		m.sink = sink
		if m.e, err = New(cfg, sink, nil); err != nil {
			t.Fatal(err)
		}
		mctx, stop := context.WithCancel(ctx)
		m.stop = stop
		go func() {
			err := m.e.RunKafka(mctx, KafkaSource{URL: url("routed", group), Format: "auto", SessionTimeout: time.Second, Dial: m.net.dial})
			cctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			m.done <- errors.Join(err, sink.Close(cctx))
		}()
		return m
	}
	waitFor := func(what string, ok func() bool, said ...func() string) {
		t.Helper()
		for !ok() {
			select {
			case <-ctx.Done():
				var s []string
				for _, f := range said {
					s = append(s, f())
				}
				t.Fatalf("%s: never\n%s", what, strings.Join(s, "\n"))
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	// settled waits until a member has read no flow and sent no alert
	// for long: it has read what it owns, and the sweeps have closed what
	// the event time lets them.
	settled := func(m *member, long time.Duration) {
		last, since := -1.0, time.Now()
		waitFor("the member settled", func() bool {
			if n := m.e.metrics.alertsSent() + m.e.metrics.flowsSeen(); n != last {
				last, since = n, time.Now()
			}
			return time.Since(since) > long
		}, m.said)
	}
	committed := func(group, topic string) bool {
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err != nil {
			return false
		}
		offs, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return false
		}
		done := true
		ends.Each(func(o kadm.ListedOffset) {
			if c, ok := offs.Lookup(topic, o.Partition); o.Offset > 0 && (!ok || c.At < o.Offset) {
				done = false
			}
		})
		return done
	}

	// The pair, in the group before the flows come (or a alone, never
	// checkpointing: b comes once a is dead).
	a := start("a", "pair", "alerts-pair", checkpoint)
	b := a
	if !alone {
		b = start("b", "pair", "alerts-pair", checkpoint)
	}
	// The flows come in two halves: the victim dies in the first, after
	// its checkpoints (when it makes them) hold every unit it judges, and
	// the second comes once it is dead, so that the survivor goes on with
	// units the victim judged.
	var recs []*kgo.Record
	for i := range all {
		recs = append(recs, &kgo.Record{Topic: "raw", Partition: int32(i % 4), Value: goflow2Line(&all[i])})
	}
	half := len(recs) / 2
	if err := cl.ProduceSync(ctx, recs[:half]...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	rcfg := DefaultConfig()
	rcfg.TrainRoot, rcfg.MonitorRoot = T, ""
	var rlog strings.Builder
	var rmu sync.Mutex
	rcfg.Log = func(f string, a ...any) {
		rmu.Lock()
		fmt.Fprintf(&rlog, "route: "+f+"\n", a...)
		rmu.Unlock()
	}
	routeSaid := func() string { rmu.Lock(); defer rmu.Unlock(); return rlog.String() }
	router, err := NewRouter(rcfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stopRoute := context.WithCancel(ctx)
	routed := make(chan error, 1)
	go func() {
		routed <- router.Route(rctx, KafkaSource{URL: url("raw", "route"), Format: "auto", SessionTimeout: time.Second}, url("routed", ""))
	}()

	// The first to judge killAt windows dies.
	var victim *member
	waitFor("a member judged windows", func() bool {
		for _, m := range []*member{a, b} {
			if m.e.Status().Windows >= int64(killAt) {
				victim = m
				return true
			}
		}
		return false
	}, a.said, b.said, routeSaid)
	if !alone {
		waitFor("the victim's checkpoints hold its units", func() bool {
			states := topicKeys(t, ctx, brokers, "pair-watch-state")
			victim.e.mu.Lock()
			defer victim.e.mu.Unlock()
			for _, u := range victim.e.units {
				if u.windows > 0 && !states["u/routed/"+u.spec.name] {
					return false
				}
			}
			return true
		}, victim.said)
	}
	// What it sent reached the broker (a crash loses what it had not
	// sent yet, which is no repeat), then it dies.
	if err := victim.sink.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	victim.net.kill()
	if err := cl.ProduceSync(ctx, recs[half:]...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if alone {
		b = start("b", "pair", "alerts-pair", checkpoint)
	} else if victim == b {
		a, b = b, a
	}
	assigned := strings.Count(b.said(), " assigned: ")
	t.Logf("victim killed after %d windows, %.0f alerts sent", a.e.Status().Windows, a.e.metrics.alertsSent())
	waitFor("route done", func() bool { return committed("route", "raw") }, routeSaid)
	stopRoute()
	if err := <-routed; err != nil {
		t.Fatalf("route: %v", err)
	}
	waitFor("the survivor was given the victim's partitions", func() bool { return strings.Count(b.said(), " assigned: ") > assigned }, b.said)
	settled(b, 2*time.Second) // past the takeover and the idle timeout
	if err := b.e.Refresh(ctx); err != nil {
		t.Errorf("survivor's folders: %v", err)
	}
	b.stop()
	if err := <-b.done; err != nil {
		t.Fatalf("survivor: %v\n%s", err, b.said())
	}
	a.stop()
	<-a.done // its close fails: its network is gone
	if !strings.Contains(b.said(), "units restored") {
		t.Errorf("the survivor restored no unit:\n%s", b.said())
	}

	ref := start("ref", "ref", "alerts-ref", 100*time.Millisecond)
	waitFor("one watch over the whole stream", func() bool { return ref.e.metrics.flowsSeen() >= float64(routedRecords(t, ctx, adm)) }, ref.said)
	settled(ref, time.Second)
	ref.stop()
	if err := <-ref.done; err != nil {
		t.Fatalf("ref: %v", err)
	}

	want, got := topicLines(t, ctx, brokers, "alerts-ref"), topicLines(t, ctx, brokers, "alerts-pair")
	if len(want) == 0 {
		t.Fatal("no alerts at all")
	}
	ids := map[string]int{}
	for _, l := range got {
		var al struct {
			ID       string `json:"id"`
			Revision int    `json:"revision"`
		}
		json.Unmarshal([]byte(l), &al)
		ids[fmt.Sprint(al.ID, "#", al.Revision)]++
	}
	twice := 0
	for _, n := range ids {
		twice += n - 1
	}
	if !slices.Equal(got, want) || twice > 0 {
		t.Errorf("the pair sent %d alerts, %d (id, revision) twice; one watch %d\n%s", len(got), twice, len(want), b.said())
	}
	t.Logf("%d flows, %d alerts, the same", len(all), len(want))

	// The survivor's unit folders are run's on the same flows.
	R := filepath.Join(dir, "run", "M")
	hosts := map[netip.Addr]bool{}
	for _, u := range b.e.Units() {
		hosts[netip.MustParseAddr(u)] = true
	}
	if len(hosts) != 4 {
		t.Fatalf("the survivor has %d units, want the 4 hosts", len(hosts))
	}
	for h := range hosts {
		var in bytes.Buffer
		cw := flows.NewCSVWriter(&in)
		for i := range all {
			if all[i].Src == h || all[i].Dst == h {
				cw.Write(&all[i])
			}
		}
		cw.Flush()
		os.MkdirAll(filepath.Join(R, h.String()), 0o755)
		if err := os.WriteFile(filepath.Join(R, h.String(), h.String()+"_monitor_data.csv"), in.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rc := pipeline.DefaultConfig()
	rc.TrainRoot, rc.MonitorRoot = T, R
	if _, _, err := pipeline.Run(ctx, rc); err != nil {
		t.Fatalf("run: %v", err)
	}
	for h := range hosts {
		want, got := filepath.Join(R, h.String()), filepath.Join(b.M, h.String())
		entries, _ := os.ReadDir(want)
		n := 0
		for _, e := range entries {
			if e.Name() == layout.ManifestFile || strings.HasSuffix(e.Name(), "_monitor_data.csv") {
				continue
			}
			n++
			w, _ := os.ReadFile(filepath.Join(want, e.Name()))
			g, err := os.ReadFile(filepath.Join(got, e.Name()))
			if err != nil || !bytes.Equal(w, g) {
				t.Errorf("%s: %s differs from run's (%d bytes, run's %d; %v)", h, e.Name(), len(g), len(w), err)
			}
		}
		if n < 4 {
			t.Errorf("%s: run wrote %d files", h, n)
		}
	}
}

// topicKeys returns the keys of the records of topic.
func topicKeys(t *testing.T, ctx context.Context, brokers []string, topic string) map[string]bool {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := map[string]bool{}
	if err := readRange(ctx, []kgo.Opt{kgo.SeedBrokers(brokers...)}, kadm.NewClient(cl), topic, nil, func(r *kgo.Record) { out[string(r.Key)] = true }); err != nil {
		return nil
	}
	return out
}

// routedRecords returns the records of the routed topic.
func routedRecords(t *testing.T, ctx context.Context, adm *kadm.Client) int64 {
	ends, err := adm.ListEndOffsets(ctx, "routed")
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}

// topicLines reads every record of topic, sorted.
func topicLines(t *testing.T, ctx context.Context, brokers []string, topic string) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	var out []string
	for int64(len(out)) < total {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: %d of %d", topic, len(out), total)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	sort.Strings(out)
	return out
}

// TestKafkaBadInput: goflow2 protobuf records are read; a malformed
// record is counted, logged with its topic, partition and offset, sent to
// the dead-letter topic as it was, and skipped; nothing stops.
func TestKafkaBadInput(t *testing.T) {
	dir := t.TempDir()
	T := filepath.Join(dir, "T")
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	trainModel(t, T, traffic(day, 1500, 0))
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "raw"), kfake.GroupMinSessionTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var recs []*kgo.Record
	for i, f := range traffic(day.Add(24*time.Hour), 300, 0) {
		b, _ := proto.Marshal(&flowpb.FlowMessage{TimeFlowStartNs: uint64(f.Start), TimeFlowEndNs: uint64(f.Start) + uint64(f.Duration*1e9),
			SrcAddr: f.Src.AsSlice(), DstAddr: f.Dst.AsSlice(), SrcPort: uint32(f.SrcPort), DstPort: uint32(f.DstPort), Proto: uint32(f.Proto),
			Bytes: f.Bytes, Packets: f.Packets})
		recs = append(recs, &kgo.Record{Topic: "raw", Value: b})
		if i == 100 || i == 200 {
			recs = append(recs, &kgo.Record{Topic: "raw", Value: []byte("\x0a\xff garbage")})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.TrainRoot, cfg.MonitorRoot, cfg.CheckpointEvery = T, "", 50*time.Millisecond
	var mu sync.Mutex
	var log strings.Builder
	cfg.Log = func(f string, a ...any) { mu.Lock(); fmt.Fprintf(&log, f+"\n", a...); mu.Unlock() }
	said := func() string { mu.Lock(); defer mu.Unlock(); return log.String() }
	e, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- e.RunKafka(wctx, KafkaSource{URL: stream.KafkaURL{Brokers: brokers, Topic: "raw", Group: "g"}, Format: "auto", DeadLetter: "dead", SessionTimeout: time.Second})
	}()
	for e.metrics.flowsSeen() < 300 && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("stopped watch: %v, want nil\n%s", err, said())
	}
	for _, want := range []string{"malformed record raw/0@101 skipped (1 so far)", "malformed record raw/0@202 skipped (2 so far)"} {
		if !strings.Contains(said(), want) {
			t.Errorf("the log does not say %q:\n%s", want, said())
		}
	}
	if dead := topicLines(t, ctx, brokers, "dead"); len(dead) != 2 || !strings.Contains(dead[0], "garbage") {
		t.Errorf("dead-letter topic: %q, want the 2 bad records\n%s", dead, said())
	}
}

// TestKafkaUnreachable: a broker that cannot be reached is retried with
// backoff and said clearly, and the watch stops cleanly (no error: a
// stopped service has not failed) when told to.
func TestKafkaUnreachable(t *testing.T) {
	dir := t.TempDir()
	T := filepath.Join(dir, "T")
	trainModel(t, T, traffic(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 1500, 0))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg := DefaultConfig()
	cfg.TrainRoot, cfg.MonitorRoot = T, ""
	var mu sync.Mutex
	var log strings.Builder
	cfg.Log = func(f string, a ...any) { mu.Lock(); fmt.Fprintf(&log, f+"\n", a...); mu.Unlock() }
	e, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	began := time.Now()
	err = e.RunKafka(ctx, KafkaSource{URL: stream.KafkaURL{Brokers: []string{addr}, Topic: "flows", Group: "g"}})
	mu.Lock()
	out := log.String()
	mu.Unlock()
	if err != nil || !strings.Contains(out, "Kafka at "+addr+" unreachable") || !strings.Contains(out, "retrying in") || strings.Count(out, "unreachable") < 2 {
		t.Errorf("error %v; log:\n%s\nwant it retried, said, and a clean stop", err, out)
	}
	if took := time.Since(began); took > 3*time.Second+cfg.shutdown() {
		t.Errorf("stopping took %v", took)
	}
}
