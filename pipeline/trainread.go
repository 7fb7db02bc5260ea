package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"sort"
	"unsafe"

	"github.com/netflow-monitor/monitor/evaluation"
	"github.com/netflow-monitor/monitor/flows"
)

// flowBytes is what training keeps per flow while it reads, for
// --max-memory: what the encoder reads, the start to sort by, and the
// peer (interned).
const flowBytes = int64(unsafe.Sizeof(flows.Features{}) + unsafe.Sizeof(int64(0)) + unsafe.Sizeof(int32(0)))

// hostFlows is one host's training flows, in time order once sorted: what
// the encoder reads of each flow (feats), when it started (for the order,
// and the plot in time), and its peer (an index into the training's
// peers, for the model's novelty).
type hostFlows struct {
	host   netip.Addr
	starts []int64
	feats  []flows.Features
	peers  []int32
}

// Len, Less and Swap sort the flows by start (sort.Interface).
func (h *hostFlows) Len() int           { return len(h.starts) }
func (h *hostFlows) Less(i, j int) bool { return h.starts[i] < h.starts[j] }
func (h *hostFlows) Swap(i, j int) {
	h.starts[i], h.starts[j] = h.starts[j], h.starts[i]
	h.feats[i], h.feats[j] = h.feats[j], h.feats[i]
	h.peers[i], h.peers[j] = h.peers[j], h.peers[i]
}

// trainingData is a unit's training flows as read: per host, and what was
// left out.
type trainingData struct {
	hosts []hostFlows
	// tagged are monitored flows of incidents tagged expected or
	// false-positive, per host, each a sequence of its own (see
	// addTagged).
	tagged      []hostFlows
	skipped     int   // bad rows skipped (with SkipBadRows)
	foreign     int   // rows involving none of the unit's hosts
	first, last int64 // earliest and latest start

	// peers are the flows' peers, each once; peerIDs indexes them.
	peers   []netip.Addr
	peerIDs map[netip.Addr]int32
	labels  labelCounts
}

// labelCounts counts the training flows by what their labels say.
type labelCounts struct {
	malicious, labelled int // labelled: benign or malicious
}

// count returns the number of flows kept, over all hosts.
func (d *trainingData) count() int {
	n := 0
	for _, h := range d.hosts {
		n += len(h.feats)
	}
	for _, h := range d.tagged {
		n += len(h.feats)
	}
	return n
}

// readTraining streams a unit's training file and keeps, per host of the
// unit, the features of the flows it sent or received (a flow between two
// of them is both hosts'), sorted by start time, stably. It fails with a
// clear error once more than c.MaxMemory bytes would be kept (0: no
// limit).
func readTraining(ctx context.Context, path string, c *Config, hosts []netip.Addr) (*trainingData, error) {
	d := &trainingData{first: math.MaxInt64, last: math.MinInt64, peerIDs: map[netip.Addr]int32{}}
	for _, h := range hosts {
		d.hosts = append(d.hosts, hostFlows{host: h})
	}
	if len(hosts) == 1 {
		// Nearly every row of a service's own file is its flow.
		n := flows.RowCapacity(ctx, path)
		d.hosts[0].starts, d.hosts[0].feats, d.hosts[0].peers = make([]int64, 0, n), make([]flows.Features, 0, n), make([]int32, 0, n)
	}
	dec, closer, err := flows.Open(ctx, path, c.Format, c.decodeOptions())
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	var f flows.Flow
	kept := int64(0)
	for n := 0; ; n++ {
		if n&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		err := dec.Next(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		mine := false
		for i := range d.hosts {
			dir, ok := f.DirectionFrom(d.hosts[i].host)
			if !ok {
				continue
			}
			mine = true
			h := &d.hosts[i]
			h.starts, h.feats, h.peers = append(h.starts, f.Start), append(h.feats, f.Features(dir)), append(h.peers, d.peerID(f.Peer(dir)))
			switch evaluation.Classify(f.Label) {
			case evaluation.Malicious:
				d.labels.malicious++
				d.labels.labelled++
			case evaluation.Benign:
				d.labels.labelled++
			}
			kept++
		}
		if !mine {
			d.foreign++
			continue
		}
		if c.MaxMemory > 0 && kept*flowBytes > c.MaxMemory {
			return nil, fmt.Errorf("%s: %d flows read so far need more than --max-memory %s (%d bytes a flow); raise it, or train on a shorter period", path, kept, formatBytes(c.MaxMemory), flowBytes)
		}
		d.first, d.last = min(d.first, f.Start), max(d.last, f.Start)
	}
	d.skipped = dec.Skipped()
	for i := range d.hosts {
		h := &d.hosts[i]
		if !slices.IsSorted(h.starts) {
			sort.Stable(h)
		}
	}
	return d, nil
}

// peerID returns the index of a peer in d.peers, adding it if new.
func (d *trainingData) peerID(p netip.Addr) int32 {
	id, ok := d.peerIDs[p]
	if !ok {
		id = int32(len(d.peers))
		d.peers = append(d.peers, p)
		d.peerIDs[p] = id
	}
	return id
}

// formatBytes prints a byte count in the largest binary unit that keeps it
// whole or one decimal.
func formatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
