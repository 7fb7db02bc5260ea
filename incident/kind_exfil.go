package incident

import (
	"fmt"

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
	return Kind{Name: "exfiltration", Describe: func(c *Incident) (Description, bool) {
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
		d.Detail = fmt.Sprintf("largest transfer %s; 99 %% of the host's transfers in training were below %s", bytesWords(largest), bytesWords(p99)) +
			novelty(fs[0]) + others(c, fs)
		return d, true
	}}
}
