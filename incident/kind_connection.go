package incident

// connection is what is left: a connection seen before, unlikely where
// it came. It recognises every incident, so it comes last.
func connection() Kind {
	return Kind{Name: "connection", Describe: func(c *Incident) (Description, bool) {
		conn, fs := subject(c)
		d := connDescription(conn)
		d.Summary = connWords(conn)
		d.Detail = "unlikely where it came" + novelty(fs[0]) + others(c, fs)
		return d, true
	}}
}
