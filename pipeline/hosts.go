package pipeline

import (
	"github.com/netflow-monitor/monitor/flows"
)

// readFlows reads a flow file with the configured format.
func readFlows(path string, c *Config) ([]flows.Flow, int, error) {
	return flows.ReadAll(path, c.Format, flows.DecodeOptions{SkipBadRows: c.SkipBadRows})
}
