package incident

import "fmt"

// newPeer is a connection to (or from) a peer training never saw.
func newPeer() Kind {
	return Kind{Name: "new peer", Next: func(s Subject) string {
		return "Check whether " + s.Peer + " is a new legitimate " + s.role() + " of " + s.Host + " (a deploy, a new pod, a new client); if so, tag it expected so that the next training learns it."
	}, Describe: func(c *Incident) (Description, bool) {
		conn, fs := subject(c)
		if !fs[0].NewPeer {
			return Description{}, false
		}
		d := connDescription(conn)
		d.Summary = fmt.Sprintf("new peer: %s", connWords(conn))
		d.Detail = "its peer never seen in training" + others(c, fs)
		return d, true
	}}
}
