package pipeline

import (
	"context"

	"github.com/netflow-monitor/monitor/flows"
)

// readFlows reads a flow file with the configured format and limits; ctx
// being done stops the reading.
func readFlows(ctx context.Context, path string, c *Config) ([]flows.Flow, int, error) {
	return flows.ReadAll(ctx, path, c.Format, c.decodeOptions())
}

// decodeOptions are the flow readers' options.
func (c *Config) decodeOptions() flows.DecodeOptions {
	return flows.DecodeOptions{SkipBadRows: c.SkipBadRows, MaxLine: c.MaxLine}
}
