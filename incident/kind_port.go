package incident

import "fmt"

// unusualPortOfKnownPeer is a peer seen in training on a port never seen:
// named so before anything else its size might say.
func unusualPortOfKnownPeer() Kind {
	return Kind{Name: "unusual port", Next: unusualPortNext, Describe: func(c *Incident) (Description, bool) {
		conn, fs := subject(c)
		if !fs[0].NewPort || fs[0].NewPeer {
			return Description{}, false
		}
		d := connDescription(conn)
		d.Summary = fmt.Sprintf("unusual port: %s", connWords(conn))
		d.Detail = "a peer seen in training, on a port never seen" + others(c, fs)
		return d, true
	}}
}

// unusualPort is a connection on a port training never saw.
func unusualPort() Kind {
	return Kind{Name: "unusual port", Next: unusualPortNext, Describe: func(c *Incident) (Description, bool) {
		conn, fs := subject(c)
		if !fs[0].NewPort {
			return Description{}, false
		}
		d := connDescription(conn)
		d.Summary = fmt.Sprintf("unusual port: %s", connWords(conn))
		d.Detail = "its port never seen in training" + others(c, fs)
		return d, true
	}}
}

// unusualPortNext is the next step for an unusual port.
func unusualPortNext(s Subject) string {
	return "Ask the owners of " + s.Host + " and " + s.Peer + " whether port " + s.Port + " is a new service between them; if not, look at who logged in and what ran on " + s.Host + " at the first alarm."
}
