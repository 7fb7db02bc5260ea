package incident

// connection is what is left: a connection seen before, unlikely where
// it came. It recognises every incident, so it comes last.
func connection() Kind {
	return Kind{Name: "connection", Next: func(s Subject) string {
		return "Look at " + s.Host + "'s flows with " + s.Peer + ":" + s.Port + " around the first alarm; tag the incident expected if it is normal traffic."
	}, Describe: func(c *Incident) (Description, bool) {
		conn, fs := subject(c)
		d := connDescription(conn)
		d.Summary = connWords(conn)
		d.Detail = "unlikely where it came" + novelty(fs[0]) + others(c, fs)
		return d, true
	}}
}
