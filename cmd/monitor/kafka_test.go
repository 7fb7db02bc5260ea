package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/netflow-monitor/monitor/flows"
)

// kafkaCluster returns the brokers to test against: MONITOR_KAFKA_BROKERS
// (a real cluster, host:port[,host:port]) when set, else franz-go's
// in-process broker, and a prefix that makes the test's topics and groups
// its own.
func kafkaCluster(t *testing.T) (brokers, prefix string) {
	t.Helper()
	prefix = fmt.Sprintf("t%d-", time.Now().UnixNano())
	if b := os.Getenv("MONITOR_KAFKA_BROKERS"); b != "" {
		return b, prefix
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond), kfake.DefaultNumPartitions(4))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return strings.Join(c.ListenAddrs(), ","), prefix
}

func kafkaClient(t *testing.T, brokers string, opts ...kgo.Opt) (*kgo.Client, *kadm.Client) {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(brokers, ",")...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl, kadm.NewClient(cl)
}

func createTopic(t *testing.T, adm *kadm.Client, partitions int32, topic string) {
	t.Helper()
	if _, err := adm.CreateTopic(context.Background(), partitions, -1, nil, topic); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
}

// goflow2JSON is a flow as goflow2 -format=json writes it.
func goflow2JSON(f *flows.Flow) []byte {
	b, _ := json.Marshal(map[string]any{
		"time_flow_start_ns": f.Start, "time_flow_end_ns": f.Start + int64(f.Duration*1e9),
		"src_addr": f.Src.String(), "dst_addr": f.Dst.String(), "src_port": f.SrcPort, "dst_port": f.DstPort,
		"proto": strings.ToUpper(f.Proto.String()), "bytes": f.Bytes, "packets": f.Packets,
	})
	return b
}

// groupDone waits until group has committed the end offset of every
// partition of topic; on a timeout it fails with what says tells.
func groupDone(t *testing.T, ctx context.Context, adm *kadm.Client, group, topic string, says ...func() string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err == nil {
			committed, cerr := adm.FetchOffsets(ctx, group)
			if cerr == nil {
				done := true
				ends.Each(func(o kadm.ListedOffset) {
					c, ok := committed.Lookup(topic, o.Partition)
					if o.Offset > 0 && (!ok || c.At < o.Offset) {
						done = false
					}
				})
				if done {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			var said []string
			for _, f := range says {
				said = append(said, f())
			}
			t.Fatalf("group %s did not finish %s: %v\n%s", group, topic, ctx.Err(), strings.Join(said, "\n"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// committedSum returns the records group has committed over topic.
func committedSum(ctx context.Context, adm *kadm.Client, group, topic string) int64 {
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return 0
	}
	var n int64
	committed.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.At > 0 {
			n += o.At
		}
	})
	return n
}

// readAlerts reads every alert of topic, as JSON lines sorted.
func readAlerts(t *testing.T, brokers, topic string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, adm := kafkaClient(t, brokers)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
	cl, _ := kafkaClient(t, brokers, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var out []string
	for int64(len(out)) < total {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: %d of %d alerts", topic, len(out), total)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
	}
	sort.Strings(out)
	return out
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

// ctu13Flows returns the distinct flows of CTU-13's monitor files (the
// README's protocol), read from M.
func ctu13Flows(t *testing.T, M string) []flows.Flow {
	t.Helper()
	seen := map[flows.Flow]bool{}
	var out []flows.Flow
	files, _ := filepath.Glob(filepath.Join(M, "*", "*_monitor_data.csv"))
	for _, f := range files {
		all, _, err := flows.ReadAll(context.Background(), f, "auto", flows.DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, fl := range all {
			fl.Label, fl.ID = "", ""
			if !seen[fl] {
				seen[fl] = true
				out = append(out, fl)
			}
		}
	}
	return out
}

// TestKafkaTakeover is the scale-out acceptance: CTU-13's monitor
// flows, shuffled within 30 s and published as goflow2 JSON to a topic of
// 4 partitions, go through route and two watches in one consumer group;
// one is killed (SIGKILL, no clean shutdown) at a random point and the
// other takes its partitions over. The union of their alerts is what one
// watch over the whole stream sends: none lost, none twice.
func TestKafkaTakeover(t *testing.T) {
	capture := filepath.Join("..", "..", "..", "shared", "data", "ctu13", "capture20110816.binetflow.gz")
	if _, err := os.Stat(capture); err != nil {
		t.Skipf("CTU-13 capture absent (%v)", err)
	}
	if testing.Short() {
		t.Skip("routes and watches CTU-13's monitor flows through Kafka")
	}
	dir := t.TempDir()
	T, M := ctu13Split(t, capture, dir)
	fs := ctu13Flows(t, M)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 30))
	keys := make([]int64, len(fs))
	for i := range fs {
		keys[i] = fs[i].Start + rng.Int64N(int64(30*time.Second))
	}
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return keys[order[a]] < keys[order[b]] })

	brokers, p := kafkaCluster(t)
	raw, routed := p+"raw", p+"routed"
	cl, adm := kafkaClient(t, brokers, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	createTopic(t, adm, 4, raw)
	createTopic(t, adm, 4, routed)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	kafka := func(topic string, group string) string {
		u := "kafka://" + brokers + "/" + topic
		if group != "" {
			u += "?group=" + group
		}
		return u
	}
	units := []string{"--service", "147.32.84.165", "--service", "147.32.84.170", "--service", "147.32.84.164", "--service", "147.32.84.134"}
	watchArgs := func(group, alerts string) []string {
		return append([]string{"watch", "--train-data", T, "--model", "workstations", "--monitor-data", "", "--source", kafka(routed, group),
			"--alerts", kafka(alerts, ""), "--session-timeout", "1s", "--checkpoint-every", "100ms", "--incident-gap", "20s", "-q"}, units...)
	}

	// route, and two watches in one group, run while the flows come.
	rctx, stopRoute := context.WithCancel(ctx)
	waitRoute, routeSaid := runIn(rctx, append([]string{"route", "--train-data", T, "--model", "workstations",
		"--source", kafka(raw, p+"route"), "--to", kafka(routed, ""), "--session-timeout", "1s"}, units...)...)
	var procs []*exec.Cmd
	var outs []*syncBuffer
	for range 2 {
		cmd := exec.Command(os.Args[0], watchArgs(p+"pair", p+"alerts-pair")...)
		cmd.Env = append(os.Environ(), "MONITOR_TEST_MAIN=1")
		var out syncBuffer
		cmd.Stderr = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs, outs = append(procs, cmd), append(outs, &out)
	}
	var wg sync.WaitGroup
	exited := make([]error, 2)
	for i, c := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); exited[i] = c.Wait() }()
	}
	const chunks = 30
	victim, killAt := rng.IntN(2), 6+rng.IntN(chunks/2)
	for c := range chunks {
		var recs []*kgo.Record
		for i := c * len(order) / chunks; i < (c+1)*len(order)/chunks; i++ {
			recs = append(recs, &kgo.Record{Topic: raw, Partition: int32(i % 4), Value: goflow2JSON(&fs[order[i]])})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if c == killAt {
			procs[victim].Process.Signal(syscall.SIGKILL)
			t.Logf("watch %d killed after %d of %d chunks, %d records of %s committed", victim, c+1, chunks, committedSum(ctx, adm, p+"pair", routed), routed)
		}
		time.Sleep(100 * time.Millisecond)
	}
	groupDone(t, ctx, adm, p+"route", raw, routeSaid)
	stopRoute()
	if err, out := waitRoute(); err != nil {
		t.Fatalf("route: %v\n%s", err, out)
	}
	groupDone(t, ctx, adm, p+"pair", routed, outs[0].String, outs[1].String)
	time.Sleep(500 * time.Millisecond) // a sweep closes what the watermark allows
	procs[1-victim].Process.Signal(syscall.SIGTERM)
	wg.Wait()
	if exited[1-victim] != nil {
		t.Fatalf("the watch that took over: %v\n%s", exited[1-victim], outs[1-victim])
	}
	if !regexp.MustCompile(`assigned: [1-9][0-9]* units restored`).MatchString(outs[1-victim].String()) {
		t.Errorf("the survivor restored no unit of the killed watch:\n%s", outs[1-victim])
	}

	// One watch over the whole stream.
	wctx, stopRef := context.WithCancel(ctx)
	waitRef, refSaid := runIn(wctx, watchArgs(p+"ref", p+"alerts-ref")...)
	groupDone(t, ctx, adm, p+"ref", routed, refSaid)
	time.Sleep(500 * time.Millisecond)
	stopRef()
	if err, out := waitRef(); err != nil {
		t.Fatalf("watch: %v\n%s", err, out)
	}

	want := readAlerts(t, brokers, p+"alerts-ref")
	got := readAlerts(t, brokers, p+"alerts-pair")
	if len(want) == 0 {
		t.Fatal("no alerts at all")
	}
	if !slices.Equal(got, want) {
		missing, extra := diff(want, got), diff(got, want)
		t.Errorf("alerts of the pair differ from one watch's: %d, want %d; %d missing, %d extra (first: %.300v %.300v)", len(got), len(want), len(missing), len(extra), missing, extra)
	}
	t.Logf("%d flows, %d alerts, the same", len(fs), len(want))
}

// diff returns the lines of a not in b (as multisets).
func diff(a, b []string) []string {
	n := map[string]int{}
	for _, s := range b {
		n[s]++
	}
	var out []string
	for _, s := range a {
		if n[s] > 0 {
			n[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}
