package simulate

import (
	"context"
	"fmt"
	"math"
	"time"
)

// world is one simulation, ready to run.
type world struct {
	cfg     Config
	net     *network
	svcOf   []int16 // host -> simulated service (index in Services), or -1
	streams []*stream
	inst    []*instance

	startNs, trainEndNs int64
	span                float64 // seconds
}

// newWorld builds the network, plans the anomalies and gives every stream
// its number of events, so that the flows add up to cfg.Flows.
func newWorld(cfg Config) (*world, error) {
	w := &world{cfg: cfg, net: newNetwork((cfg.Services + cellSize - 1) / cellSize), startNs: cfg.Start.UnixNano()}
	w.trainEndNs = w.startNs + cfg.Train.Nanoseconds()
	w.span = (cfg.Train + cfg.Monitor).Seconds()
	w.inst = planAnomalies(cfg, w.net, w.startNs, cfg.Train.Seconds(), cfg.Monitor.Seconds())
	if len(w.net.hosts) > math.MaxUint16 {
		return nil, fmt.Errorf("%d hosts: too many", len(w.net.hosts))
	}
	w.svcOf = make([]int16, len(w.net.hosts))
	for i, h := range w.net.hosts {
		w.svcOf[i] = -1
		if h.service >= 0 && h.service < cfg.Services {
			w.svcOf[i] = int16(h.service)
		}
	}

	// How many flows each stream would give before scaling.
	tod := float64(cfg.Start.Sub(cfg.Start.Truncate(24*time.Hour))) / 1e9
	var curves [numCurves]*curve
	type plan struct {
		spec   *streamSpec
		emit   []bool
		flows  int     // flows per event that touch a simulated service
		expect float64 // events before scaling
		count  int
	}
	var plans []plan
	fixed, anomalous := 0, 0
	for i := range w.net.specs {
		sp := &w.net.specs[i]
		p := plan{spec: sp, emit: make([]bool, len(sp.hops))}
		for j, hp := range sp.hops {
			p.emit[j] = w.touches(hp.src) || w.touches(hp.dst)
			if p.emit[j] {
				p.flows++
			}
		}
		if p.flows == 0 {
			continue
		}
		if sp.law == lawPoisson && curves[sp.curve] == nil {
			curves[sp.curve] = newCurve(sp.curve, tod, w.span)
		}
		switch {
		case sp.law == lawPeriodic:
			p.expect = sp.rate * w.span
		case sp.perNight > 0:
			window := float64(backupTo - backupFrom)
			if sp.curve == curveReport {
				window = reportTo - reportFrom
			}
			p.expect = float64(sp.perNight) * curves[sp.curve].mass / window
			p.count = int(math.Round(p.expect))
			fixed += p.count * p.flows
		default:
			p.expect = sp.rate * curves[sp.curve].mass
		}
		plans = append(plans, p)
	}
	for _, in := range w.inst {
		anomalous += len(in.flows)
	}

	// Scale the other streams to the flows left, rounding down, and give
	// the rest to the single-flow streams, largest remainder first.
	left := cfg.Flows - fixed - anomalous
	if left < fixed+anomalous {
		return nil, fmt.Errorf("%d flows are too few: the nightly batch jobs and the injected anomalies alone take %d; use at least %d",
			cfg.Flows, fixed+anomalous, 2*(fixed+anomalous))
	}
	base := 0.0
	for _, p := range plans {
		if p.spec.perNight == 0 {
			base += p.expect * float64(p.flows)
		}
	}
	scale := float64(left) / base
	rest, singles := left, 0.0
	for i := range plans {
		p := &plans[i]
		if p.spec.perNight > 0 {
			continue
		}
		p.count = int(p.expect * scale)
		rest -= p.count * p.flows
		if p.flows == 1 {
			singles += p.expect
		}
	}
	if rest > 0 {
		if singles == 0 {
			return nil, fmt.Errorf("cannot place %d flows: no single-flow stream", rest)
		}
		type share struct {
			i    int
			frac float64
		}
		var shares []share
		given := 0
		for i := range plans {
			p := &plans[i]
			if p.spec.perNight > 0 || p.flows != 1 {
				continue
			}
			q := float64(rest) * p.expect / singles
			p.count += int(q)
			given += int(q)
			shares = append(shares, share{i, q - math.Floor(q)})
		}
		// Stable: equal remainders keep the streams' order.
		for k := 1; k < len(shares); k++ {
			for j := k; j > 0 && shares[j].frac > shares[j-1].frac; j-- {
				shares[j], shares[j-1] = shares[j-1], shares[j]
			}
		}
		for k := 0; given < rest; k = (k + 1) % len(shares) {
			plans[shares[k].i].count++
			given++
		}
	}

	for _, p := range plans {
		if p.count == 0 {
			continue
		}
		w.streams = append(w.streams, newChainStream(cfg.Seed, p.spec, p.emit, p.count, curves[p.spec.curve], w.span))
	}
	for i, in := range w.inst {
		w.streams = append(w.streams, &stream{name: fmt.Sprintf("anomaly/%d", i), law: lawList, count: len(in.flows), list: in.flows})
	}
	return w, nil
}

// touches reports whether an endpoint is a simulated service (pools never
// are).
func (w *world) touches(e endpoint) bool { return e >= 0 && w.svcOf[e] >= 0 }

// flowHeap is a binary min-heap of flows and stream wake-ups ordered by
// start time, then by the order in which they were pushed.
type flowHeap struct {
	items []rec
	seq   uint64
}

func (h *flowHeap) less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	return a.start < b.start || (a.start == b.start && a.seq < b.seq)
}

func (h *flowHeap) push(r rec) {
	r.seq = h.seq
	h.seq++
	h.items = append(h.items, r)
	for i := len(h.items) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *flowHeap) pop() rec {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	for i := 0; ; {
		l, s := 2*i+1, i
		if l < last && h.less(l, s) {
			s = l
		}
		if r := l + 1; r < last && h.less(r, s) {
			s = r
		}
		if s == i {
			break
		}
		h.items[i], h.items[s] = h.items[s], h.items[i]
		i = s
	}
	return top
}

// progressEvery is how many flows pass between cancellation checks and
// progress calls.
const progressEvery = 1 << 14

// run merges the streams in time order and writes every flow.
func (w *world) run(ctx context.Context, out *outputs, sum *Summary) error {
	h := &flowHeap{items: make([]rec, 0, 2*len(w.streams)+64)}
	for i, s := range w.streams {
		h.push(rec{start: s.due(w.startNs), stream: int32(i)})
	}
	push := h.push
	var id uint64
	for len(h.items) > 0 {
		r := h.pop()
		if r.stream >= 0 {
			s := w.streams[r.stream]
			if s.law == lawList {
				h.push(s.list[s.done])
			} else {
				s.expand(s.next, w.net, w.startNs, push)
			}
			s.done++
			if s.done < s.count {
				s.advance(w.span)
				h.push(rec{start: s.due(w.startNs), stream: r.stream})
			}
			continue
		}
		id++
		if id%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("simulate cancelled: %w", err)
			}
			if w.cfg.Progress != nil {
				w.cfg.Progress(int(id), w.cfg.Flows)
			}
		}
		monitor := r.start >= w.trainEndNs
		if monitor {
			sum.MonitorFlows++
		} else {
			sum.TrainFlows++
		}
		if r.label != 0 {
			sum.AnomalousFlows++
		}
		if err := out.write(&r, id, w.net.hosts, w.svcOf, monitor); err != nil {
			return err
		}
	}
	sum.Flows = int(id)
	if sum.Flows != w.cfg.Flows {
		return fmt.Errorf("internal error: generated %d flows, planned %d", sum.Flows, w.cfg.Flows)
	}
	if w.cfg.Progress != nil {
		w.cfg.Progress(sum.Flows, w.cfg.Flows)
	}
	return nil
}

// Generate simulates the network described by cfg and writes, for every
// simulated service, its train and monitor flow files and, at the top of
// the monitor folder, the ground truth of the injected anomalies. Files
// appear only when all of them are complete: on error or cancellation
// nothing is left behind (folders it created are removed again).
func Generate(ctx context.Context, cfg Config) (Summary, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return Summary{}, fmt.Errorf("simulate: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, fmt.Errorf("simulate cancelled: %w", err)
	}
	w, err := newWorld(cfg)
	if err != nil {
		return Summary{}, fmt.Errorf("simulate: %w", err)
	}
	services := Services(cfg.Services)
	out, err := openOutputs(cfg, services)
	if err != nil {
		return Summary{}, fmt.Errorf("simulate: %w", err)
	}
	defer out.cleanup()
	sum := Summary{
		Start: cfg.Start, TrainEnd: cfg.Start.Add(cfg.Train), End: cfg.Start.Add(cfg.Train + cfg.Monitor),
		GroundTruth: out.groundTruthPath(),
	}
	if err := w.run(ctx, out, &sum); err != nil {
		return Summary{}, err
	}
	sum.Injections = w.injections()
	truth, err := groundTruth(sum.Injections)
	if err != nil {
		return Summary{}, err
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, fmt.Errorf("simulate cancelled: %w", err)
	}
	if err := out.commit(truth); err != nil {
		return Summary{}, fmt.Errorf("simulate: %w", err)
	}
	for i, r := range services {
		sum.Services = append(sum.Services, ServiceSummary{
			Role: r.Name, Addr: r.Addr,
			TrainFile: out.train[i].path, MonitorFile: out.monitor[i].path,
			TrainRows: out.train[i].rows, MonitorRows: out.monitor[i].rows, AnomalousRows: out.monitor[i].anomalous,
		})
	}
	return sum, nil
}

// injections returns the ground-truth rows: per injection, one row for
// each simulated end.
func (w *world) injections() []Injection {
	var rows []Injection
	for i, in := range w.inst {
		first := time.Unix(0, in.flows[0].start).UTC()
		last := time.Unix(0, in.flows[len(in.flows)-1].start).UTC()
		for _, end := range []endpoint{in.src, in.dst} {
			if !w.touches(end) {
				continue
			}
			peer := in.dst
			if end == in.dst {
				peer = in.src
			}
			rows = append(rows, Injection{
				Instance: i + 1, Kind: in.kind, Service: w.net.hosts[end].addr, Outbound: end == in.src,
				Peer: w.net.hosts[peer].addr, Port: in.port, First: first, Last: last, Flows: len(in.flows),
			})
		}
	}
	return rows
}
