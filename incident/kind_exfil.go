package incident

import (
	"fmt"
	"strconv"

	"github.com/netflow-monitor/monitor/flows"
)

// A transfer is exfiltration when it is beyond exfilTimes the 99th
// percentile of what the host sends, and at least exfilBytes.
const (
	exfilTimes = 10
	exfilBytes = 1 << 20
)

// exfiltration is a large transfer out of the network: far beyond what
// the host sends, or to a peer it never talked to.
func exfiltration() Kind {
	return Kind{Name: "exfiltration", Next: func(s Subject) string {
		return "Ask the owner of " + s.Host + " what it sent to " + s.Peer + ":" + s.Port + " (proxy, DLP or TLS logs); if it is not a known backup or upload, block " + s.Peer + " and preserve " + s.Host + "'s disk."
	}, Describe: func(c *Incident) (Description, bool) {
		conn, fs := subject(c)
		var total, largest uint64
		for _, f := range fs {
			total += f.Bytes
			largest = max(largest, f.Bytes)
		}
		p99 := c.Model.BytesOutP99
		if conn.Direction != flows.Outbound || largest < exfilBytes || !isOutside(conn.Peer) ||
			!(p99 > 0 && largest > exfilTimes*p99 || fs[0].NewPeer) {
			return Description{}, false
		}
		d := connDescription(conn)
		d.Summary = fmt.Sprintf("exfiltration: %s %s in %d transfers", bytesWords(total), connWords(conn), len(fs))
		// The evidence says why it is exfiltration: the size beyond the
		// host's usual, or a peer it never talked to; a usual size is not
		// quoted against its own label.
		if p99 > 0 && largest > exfilTimes*p99 {
			d.Detail = fmt.Sprintf("largest transfer %s, %s times the host's usual (99 %% of its outbound transfers in training were below %s)",
				bytesWords(largest), strconv.FormatFloat(float64(largest)/float64(p99), 'f', 0, 64), bytesWords(p99))
		} else {
			d.Detail = fmt.Sprintf("largest transfer %s, to a peer outside the network never seen in training", bytesWords(largest))
		}
		d.Detail += novelty(fs[0]) + others(c, fs)
		return d, true
	}}
}
