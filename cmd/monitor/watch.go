package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/netflow-monitor/monitor/incident"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/live"
	"github.com/netflow-monitor/monitor/stream"
	"github.com/netflow-monitor/monitor/triage"
	"github.com/spf13/cobra"
)

// watchFlags are watch's flags.
type watchFlags struct {
	cfg         live.Config
	services    []string
	source      string
	format      string
	follow      bool
	pattern     string
	alerts      string
	metricsAddr string
	deadLetter  string
	session     time.Duration
	quiet       bool
	maxLine     int
	skipBad     bool
	locks       folderLocks
}

func newWatchCmd() *cobra.Command {
	var wf watchFlags
	wf.cfg = live.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Monitor flows as they come: windows, incidents and alerts, live",
		Example: `  # one service's day from standard input, alerts on standard output
  monitor watch --train-data train_data --monitor-data /tmp/live --service 10.1.0.12 \
    --source - < monitor_data/10.1.0.12/10.1.0.12_monitor_data.csv
  # a collector's file, followed across rotation, alerts to a file, metrics
  monitor watch --train-data train_data --monitor-data /srv/live --source /var/log/flows/flows.csv \
    --follow --alerts incidents.jsonl --metrics-addr :9108
  # one of N watches sharing the units through Kafka
  monitor watch --train-data /srv/train_data --monitor-data /srv/live \
    --source 'kafka://kafka:9092/flows-by-unit?group=watch' --alerts kafka://kafka:9092/incidents`,
		Long: `watch reads flows as they come from --source: "-" (standard input), a file
(followed as it grows and across rotation with --follow, as tail -F does), a
folder of rotated files (read in name order; new ones as they appear with
--follow), or Kafka (kafka://host:port[,host:port]/topic?group=NAME) carrying
goflow2's protobuf or JSON, or any format run reads, one record a message, or
the records of "monitor route".

Each flow goes to the watched units whose host is its source or destination;
each unit puts its flows back in start-time order (waiting --max-lateness for
late ones), scores every window with its model as run does, and merges
anomalous windows that overlap or share a root-cause connection within
--incident-gap into incidents, written as JSON lines to --alerts (open,
update, close). Every --report-every, each unit's folder under --monitor-data
gets the files run writes, switched in as one set; at the end of the input
they are run's, byte for byte.

State is checkpointed (under --monitor-data/.watch, or in Kafka), so that a
restart goes on where it stopped without losing or repeating alerts; a model
that train replaces is reloaded without a gap in the windows.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runWatch(cmd, &wf) },
	}
	f := cmd.Flags()
	c := &wf.cfg
	f.StringVar(&c.TrainRoot, "train-data", c.TrainRoot, "train data folder: the units' models (reloaded when train replaces them)")
	f.StringVar(&c.MonitorRoot, "monitor-data", c.MonitorRoot, `monitor data folder whose unit folders are refreshed; "" for none (alerts only)`)
	f.StringArrayVar(&wf.services, "service", nil, "only this service IP (repeatable)")
	f.StringVar(&c.Model, "model", "", "judge every watched host with this unit's model (a group name or service IP); default: each host's own")
	f.StringVar(&wf.source, "source", "", `where flows come from: "-", a file, a folder, or kafka://host:port[,host:port]/topic?group=NAME`)
	f.StringVar(&wf.format, "format", "auto", "flow format (files: auto detects it from the header; Kafka: auto, goflow2-pb, or a file format)")
	f.BoolVar(&wf.follow, "follow", false, "follow the file as it grows and across rotation (tail -F), or the folder for new files")
	f.StringVar(&wf.pattern, "pattern", "", `folder source: only the files whose name matches this pattern (e.g. "nfcapd.2*")`)
	f.DurationVar(&c.MaxLateness, "max-lateness", c.MaxLateness, "how late (in event time) a flow may come and still be put in order; later ones are counted per unit and reported")
	f.IntVar(&c.MaxBuffered, "max-buffered", c.MaxBuffered, "flows a unit holds waiting for the watermark; past it the earliest go on at once")
	f.DurationVar(&c.IncidentGap, "incident-gap", c.IncidentGap, "anomalous windows whose root causes share a connection, peer or port within this much event time (or in overlapping windows) are one incident, as run --incident-gap")
	f.StringVar(&wf.alerts, "alerts", "-", `where incidents go, as JSON lines: a file, "-" (standard output), or kafka://host:port/topic`)
	f.DurationVar(&c.ReportEvery, "report-every", c.ReportEvery, "refresh the units' folders this often (0: at the end of the input only)")
	f.DurationVar(&c.CheckpointEvery, "checkpoint-every", c.CheckpointEvery, "save the state this often")
	f.DurationVar(&c.IdleTimeout, "idle-timeout", 0, "a source (file, partition) bringing no flow this long holds event time back no more, so that waiting flows are judged and incidents close (default 3 × --max-lateness, at least 10s)")
	f.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "on SIGINT or SIGTERM, give the last checkpoint and the broker this long, then exit")
	maxLineFlag(cmd, &wf.maxLine)
	f.BoolVar(&wf.skipBad, "skip-bad-rows", false, "skip and count bad rows of a file or standard input instead of stopping at the first (Kafka: malformed records are always skipped, or sent to --dead-letter)")
	f.DurationVar(&c.ModelPoll, "model-poll", c.ModelPoll, "look for models replaced by train this often")
	f.IntVar(&c.Top, "top", c.Top, "root-cause states reported per unit")
	f.StringVar(&c.StateDir, "state", "", "folder of the spools and checkpoints (default: .watch in the monitor data folder)")
	f.StringVar(&wf.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics (e.g. :9108)")
	f.StringVar(&wf.deadLetter, "dead-letter", "", "Kafka: send malformed messages to this topic (as they were, with the error in a header) instead of only counting and logging them")
	f.DurationVar(&wf.session, "session-timeout", 45*time.Second, "Kafka: how long the group waits for a watch that stopped answering before its partitions go to another")
	f.BoolVarP(&wf.quiet, "quiet", "q", false, "no status line")
	wf.locks.bind(f)
	return cmd
}

func runWatch(cmd *cobra.Command, wf *watchFlags) error {
	if wf.source == "" {
		return errors.New("--source: give -, a file, a folder or kafka://host:port/topic?group=NAME")
	}
	if err := checkMaxLine(wf.maxLine); err != nil {
		return err
	}
	for _, s := range wf.services {
		a, err := layout.ParseService(s)
		if err != nil {
			return fmt.Errorf("--service: %w", err)
		}
		wf.cfg.Services = append(wf.cfg.Services, a)
	}
	errOut := cmd.ErrOrStderr()
	status := newStatusLine(errOut, "watch", wf.quiet)
	wf.cfg.Log = status.log
	ctx := cmd.Context()
	stopGuard := shutdownGuard(ctx, wf.cfg.ShutdownTimeout, status.log)
	defer stopGuard()
	defer watchGC()()
	// The monitor folder and the state folder are watch's for as long as
	// it runs; the train folder only while the models are first read, so
	// that train can replace them meanwhile.
	var uses []layout.FolderUse
	if wf.cfg.MonitorRoot != "" {
		uses = append(uses, writes(wf.cfg.MonitorRoot))
	}
	if dir := wf.cfg.StateFolder(); dir != "" && (wf.cfg.MonitorRoot == "" || dir != filepath.Join(wf.cfg.MonitorRoot, ".watch")) {
		uses = append(uses, writes(dir))
	}
	if len(uses) > 0 {
		release, err := wf.locks.take(cmd, uses...)
		if err != nil {
			return err
		}
		defer release()
	}
	metrics := live.NewMetrics()
	if wf.metricsAddr != "" {
		addr, err := metrics.Serve(ctx, wf.metricsAddr)
		if err != nil {
			return err
		}
		status.log("metrics at http://%s/metrics", addr)
	}
	alerts, err := openAlerts(ctx, wf.alerts, cmd.OutOrStdout(), status.log)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while the broker was being reached
		}
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wf.cfg.ShutdownTimeout)
		defer cancel()
		if err := alerts.Close(cctx); err != nil {
			status.log("closing --alerts: %v", err)
		}
	}()
	if wf.cfg.MonitorRoot != "" {
		// Alerts carry the analyst's tags and silences as they are when
		// sent (serve and tag change them while watch runs); a file that
		// is not right stops nothing, and is said once per change.
		if _, err := triage.Load(wf.cfg.MonitorRoot); err != nil {
			status.log("tags and silences: %v (alerts go without them until it is fixed)", err)
		}
		tr := triage.Follow(wf.cfg.MonitorRoot, func(err error) { status.log("tags and silences: %v", err) })
		wf.cfg.Annotate = func(a *incident.Alert) { tr.Store().Annotate(a, time.Now()) }
	}
	trainLock, err := wf.locks.take(cmd, reads(wf.cfg.TrainRoot))
	if err != nil {
		return err
	}
	eng, err := live.New(wf.cfg, alerts, metrics)
	trainLock()
	if err != nil {
		return err
	}
	status.log("watching %s: %s", count(len(eng.Units()), "unit"), strings.Join(first(eng.Units(), 8), ", "))
	stop := status.run(ctx, eng)
	defer stop()
	src, err := watchSource(wf, cmd.InOrStdin(), status.log)
	if err != nil {
		return err
	}
	if err := src.Watch(ctx, eng); err != nil {
		return err
	}
	stop()
	st := eng.Status()
	how := "end of the input"
	if ctx.Err() != nil {
		how = "stopped" // a stopped service has not failed: exit 0
	}
	fmt.Fprintf(errOut, "watch: %s: %s, %s, %d anomalous, %s left out\n", how, count(int(st.Flows), "flow"), count(int(st.Windows), "window"), st.Anomalies, count(int(st.Late), "late flow"))
	return nil
}

// watchSource returns the driver of --source: a Kafka consumer group
// (kafka://), or standard input, a file or a folder.
func watchSource(wf *watchFlags, stdin io.Reader, log func(string, ...any)) (live.Source, error) {
	if stream.IsKafkaURL(wf.source) {
		u, err := stream.ParseKafkaURL(wf.source)
		if err != nil {
			return nil, fmt.Errorf("--source: %w", err)
		}
		return live.KafkaSource{URL: u, Format: wf.format, DeadLetter: wf.deadLetter, SessionTimeout: wf.session}, nil
	}
	if wf.deadLetter != "" {
		return nil, errors.New("--dead-letter is for Kafka sources")
	}
	return live.LocalSource{Local: &stream.Local{Path: wf.source, Follow: wf.follow, Format: wf.format, Pattern: wf.pattern, Log: log, Stdin: stdin,
		MaxLine: wf.maxLine, SkipBadRows: wf.skipBad}}, nil
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

// openAlerts opens the --alerts sink: standard output, a file, or a Kafka
// topic.
func openAlerts(ctx context.Context, to string, stdout io.Writer, log func(string, ...any)) (live.AlertSink, error) {
	switch {
	case to == "-":
		return live.WriterAlerts(stdout), nil
	case stream.IsKafkaURL(to):
		u, err := stream.ParseKafkaURL(to)
		if err != nil {
			return nil, fmt.Errorf("--alerts: %w", err)
		}
		return live.KafkaAlerts(ctx, u, log, nil)
	}
	return live.FileAlerts(to)
}

// statusLine is watch's one-line status on a terminal, redrawn every
// second, and the log lines printed above it, each after the command's
// name.
type statusLine struct {
	w    io.Writer
	name string
	tty  bool
	mu   chan struct{}
	last string
}

func newStatusLine(w io.Writer, name string, quiet bool) *statusLine {
	s := &statusLine{w: w, name: name, tty: !quiet && isTerminal(w), mu: make(chan struct{}, 1)}
	return s
}

func (s *statusLine) log(format string, args ...any) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	if s.tty && s.last != "" {
		fmt.Fprint(s.w, "\r\033[K")
	}
	fmt.Fprintf(s.w, s.name+": "+format+"\n", args...)
	if s.tty && s.last != "" {
		fmt.Fprint(s.w, s.last)
	}
}

// run redraws the status every second until the returned stop is called.
func (s *statusLine) run(ctx context.Context, eng *live.Engine) (stop func()) {
	if !s.tty {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var prev int64
		for {
			select {
			case <-ctx.Done():
				s.mu <- struct{}{}
				fmt.Fprint(s.w, "\r\033[K")
				s.last = ""
				<-s.mu
				return
			case <-t.C:
				st := eng.Status()
				wm := "-"
				if st.Watermark > 0 {
					wm = time.Unix(0, st.Watermark).UTC().Format("2006-01-02 15:04:05")
				}
				line := fmt.Sprintf("%d flows/s  %d flows  %d windows  %d anomalous  %d open incidents  %d late  event time %s", st.Flows-prev, st.Flows, st.Windows, st.Anomalies, st.Open, st.Late, wm)
				prev = st.Flows
				s.mu <- struct{}{}
				fmt.Fprint(s.w, "\r\033[K"+line)
				s.last = line
				<-s.mu
			}
		}
	}()
	return func() { cancel(); <-done }
}

// shutdownGuard ends the process (exit status 0) when a command stopped
// by a signal has not returned within timeout (plus a second for its own
// deadlines): a broker that neither answers nor refuses cannot hold it.
// The returned function disarms it.
func shutdownGuard(ctx context.Context, timeout time.Duration, log func(string, ...any)) (disarm func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(timeout + time.Second)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			log("shutdown took longer than --shutdown-timeout %v: exiting; a restart goes on from the last checkpoint", timeout)
			os.Exit(0)
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }) }
}
