package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/netflow-monitor/monitor/flows"
	flowpb "github.com/netsampler/goflow2/v2/pb"
)

// trainedExample trains one service of the shipped example into dir/T.
func trainedExample(t *testing.T, dir, ip string) string {
	t.Helper()
	T := filepath.Join(dir, "T")
	copyTree(t, filepath.Join("..", ".."), dir, "train_data/"+ip+"/*_train_data.csv")
	os.Rename(filepath.Join(dir, "train_data"), T)
	monitor(t, "train", "--train-data", T, "-q")
	return T
}

// TestKafkaBadInput: goflow2 protobuf records are read; a malformed
// record is counted, logged with its topic, partition and offset, sent to
// the dead-letter topic, and skipped; nothing stops.
func TestKafkaBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a service")
	}
	dir := t.TempDir()
	T := trainedExample(t, dir, "10.1.0.12")
	brokers, p := kafkaCluster(t)
	cl, adm := kafkaClient(t, brokers)
	createTopic(t, adm, 1, p+"raw")
	all, _, err := flows.ReadAll(context.Background(), filepath.Join("..", "..", "monitor_data", "10.1.0.12", "10.1.0.12_monitor_data.csv"), "auto", flows.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*kgo.Record
	for i, f := range all[:300] {
		b, _ := proto.Marshal(&flowpb.FlowMessage{TimeFlowStartNs: uint64(f.Start), TimeFlowEndNs: uint64(f.Start) + uint64(f.Duration*1e9),
			SrcAddr: f.Src.AsSlice(), DstAddr: f.Dst.AsSlice(), SrcPort: uint32(f.SrcPort), DstPort: uint32(f.DstPort), Proto: uint32(f.Proto),
			Bytes: f.Bytes, Packets: f.Packets})
		recs = append(recs, &kgo.Record{Topic: p + "raw", Value: b})
		if i == 100 || i == 200 {
			recs = append(recs, &kgo.Record{Topic: p + "raw", Value: []byte("\x0a\xff garbage")})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	wait, said := runIn(wctx, "watch", "--train-data", T, "--monitor-data", filepath.Join(dir, "W"), "--source", "kafka://"+brokers+"/"+p+"raw?group="+p+"g",
		"--dead-letter", p+"dead", "--alerts", filepath.Join(dir, "alerts.jsonl"), "--checkpoint-every", "100ms", "-q")
	groupDone(t, ctx, adm, p+"g", p+"raw", said)
	stop()
	if err, out := wait(); err != nil {
		t.Fatalf("watch: %v\n%s", err, out)
	}
	out := said()
	for _, want := range []string{"malformed record " + p + "raw/0@101 skipped (1 so far)", "malformed record " + p + "raw/0@202 skipped (2 so far)"} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr does not say %q:\n%s", want, out)
		}
	}
	dead := readAlerts(t, brokers, p+"dead")
	if len(dead) != 2 || !strings.Contains(dead[0], "garbage") {
		t.Errorf("dead-letter topic: %q, want the 2 bad records", dead)
	}
}

// TestKafkaUnreachable: a broker that cannot be reached is retried with
// backoff, said clearly, and the command stops cleanly when told to.
func TestKafkaUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a service")
	}
	dir := t.TempDir()
	T := trainedExample(t, dir, "10.1.0.12")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	wait, _ := runIn(ctx, "watch", "--train-data", T, "--monitor-data", "", "--source", "kafka://"+addr+"/flows?group=g", "-q")
	err, out := wait()
	if err == nil || !strings.Contains(out, "Kafka at "+addr+" unreachable") || !strings.Contains(out, "retrying in") || strings.Count(out, "unreachable") < 2 {
		t.Errorf("error %v; stderr:\n%s\nwant it retried and said", err, out)
	}
}
