package incident

// Why says what training never saw of the incident's most surprising
// root-cause flow (see Cause.Why); nil when the scoring says nothing.
func (c *Incident) Why() []string {
	var why []string
	most := -1.0
	for _, k := range c.Causes {
		if k.Surprise > most {
			most, why = k.Surprise, k.Why
		}
	}
	return why
}
