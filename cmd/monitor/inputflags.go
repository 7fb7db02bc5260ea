package main

import (
	"fmt"

	"github.com/netflow-monitor/monitor/input"
	"github.com/spf13/cobra"
)

// maxLineFlag binds --max-line, the longest line of an input file, to *n,
// with the default shown.
func maxLineFlag(cmd *cobra.Command, n *int) {
	cmd.Flags().IntVar(n, "max-line", input.DefaultMaxLine,
		"longest line (or quoted record over several lines) of an input file, in bytes; a longer one is an error")
}

// checkMaxLine refuses a --max-line below 1 (the libraries read 0 as the
// default; on the command line the default is shown, so 0 is a mistake).
func checkMaxLine(n int) error {
	if n < 1 {
		return fmt.Errorf("--max-line %d: must be >= 1", n)
	}
	return nil
}
