package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"slices"
	"sort"

	"github.com/netflow-monitor/monitor/flows"
	"github.com/netflow-monitor/monitor/layout"
	"github.com/netflow-monitor/monitor/triage"
)

// learnedTags returns the tags of c.MonitorRoot that training learns as
// normal (expected, false-positive); none when the folder has no tags or
// is not there.
func learnedTags(c *Config) ([]triage.Tag, error) {
	if c.MonitorRoot == "" {
		return nil, nil
	}
	if _, err := os.Stat(c.MonitorRoot); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	st, err := triage.Load(c.MonitorRoot)
	if err != nil {
		return nil, err
	}
	var out []triage.Tag
	for _, t := range st.Tags {
		if t.Label.Learned() {
			out = append(out, t)
		}
	}
	return out, nil
}

// addTagged adds to a unit's training the monitored flows of the incidents
// an analyst tagged expected or false-positive: for each such tag whose
// host is one of the unit's, the host's flows (every one, not only the
// root causes, so that the automaton learns them among the host's usual
// traffic) that started from the incident's first to its last root-cause
// flow, read from the host's monitor file. They are a sequence of their
// own per host (d.tagged), which the encoder, the automaton and the
// novelty counts learn, as if the training had seen that period; the
// held-out thresholds learn from them in every fold but do not score them
// (see heldOutFold): the thresholds say how the model scores the host's
// usual traffic, not an incident it was told to accept. It returns how
// many tags and flows it added.
func addTagged(ctx context.Context, c *Config, d *trainingData, tags []triage.Tag) (nTags, nFlows int, err error) {
	for i := range d.hosts {
		host := d.hosts[i].host
		var mine []triage.Tag
		for _, t := range tags {
			if a, err := netip.ParseAddr(t.Unit); err == nil && a == host {
				mine = append(mine, t)
			}
		}
		if len(mine) == 0 {
			continue
		}
		h := hostFlows{host: host}
		path := layout.MonitorFile(c.MonitorRoot, layout.Unit{Name: host.String(), Addr: host})
		n, err := readTagged(ctx, c, d, &h, path, mine)
		if err != nil {
			return nTags, nFlows, fmt.Errorf("learning tagged incidents of %s: %w", host, err)
		}
		if !slices.IsSorted(h.starts) {
			sort.Stable(&h)
		}
		if n > 0 {
			d.tagged = append(d.tagged, h)
		}
		nTags += len(mine)
		nFlows += n
	}
	return nTags, nFlows, nil
}

// readTagged appends to h the flows of its monitor file at path within the
// tags' spans; a flow in two spans is added once.
func readTagged(ctx context.Context, c *Config, d *trainingData, h *hostFlows, path string, tags []triage.Tag) (int, error) {
	dec, closer, err := flows.Open(ctx, path, c.Format, c.decodeOptions())
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	var f flows.Flow
	added := 0
	for n := 0; ; n++ {
		if n&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return added, err
			}
		}
		err := dec.Next(&f)
		if errors.Is(err, io.EOF) {
			return added, nil
		}
		if err != nil {
			return added, err
		}
		dir, ok := f.DirectionFrom(h.host)
		if !ok {
			continue
		}
		in := false
		for _, t := range tags {
			if f.Start >= t.FirstSeen.UnixNano() && f.Start <= t.LastSeen.UnixNano() {
				in = true
				break
			}
		}
		if !in {
			continue
		}
		h.starts, h.feats, h.peers = append(h.starts, f.Start), append(h.feats, f.Features(dir)), append(h.peers, d.peerID(f.Peer(dir)))
		added++
	}
}
