// Command monitor is a NetFlow root-cause monitor built around a passive
// automaton learner. Run "monitor --help" for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit statuses.
const (
	exitFailed = 1
	// exitInterrupted is the status of a command stopped by Ctrl-C or
	// SIGTERM before it finished: 128 + SIGINT, as shells report a
	// process that Ctrl-C ended.
	exitInterrupted = 130
)

// signalStops is the annotation of a command for which a stop by signal
// is its normal end (a service: watch, route): stopped by Ctrl-C or
// SIGTERM, it exits 0 (see stopsBySignal).
const signalStops = "monitor/signal-stops"

// stopsBySignal marks cmd as a command that runs until it is stopped by
// Ctrl-C or SIGTERM, for which that stop is success: it exits 0 when its
// error is nil or only the cancellation. Batch commands (train, run,
// split, ...) exit 130 when a signal stopped them before they finished.
func stopsBySignal(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[signalStops] = "true"
	return cmd
}

// signalCause is the cause of the command's context when a signal
// stopped it.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return "stopped by " + c.sig.String() }

func main() {
	// The first Ctrl-C or SIGTERM cancels the command's context: it stops
	// at its next step and leaves every folder complete. Handling then
	// goes back to the system's, so that a second one ends it at once.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		if s, ok := <-sigs; ok {
			signal.Stop(sigs)
			cancel(signalCause{s})
		}
	}()
	cmd, err := newRootCmd().ExecuteContextC(ctx)
	signal.Stop(sigs)
	var sig signalCause
	stopped := errors.As(context.Cause(ctx), &sig)
	cancel(nil)
	code := exitStatus(cmd, err, stopped)
	report(os.Stderr, cmd, err, code)
	if code != 0 {
		os.Exit(code)
	}
}

// exitStatus is the exit status of cmd, which returned err, interrupted
// or not by a signal: 0 when it did all its work (or, for a command that
// stopsBySignal, was stopped by one), 130 when a signal stopped it first,
// 1 when it failed.
func exitStatus(cmd *cobra.Command, err error, interrupted bool) int {
	switch {
	case err == nil:
		return 0
	case interrupted && errors.Is(err, context.Canceled) && cmd != nil && cmd.Annotations[signalStops] == "true":
		return 0
	case interrupted:
		return exitInterrupted
	}
	return exitFailed
}

// report prints the command's error: in full when it failed; when a
// signal stopped it, what is worth knowing (which units it stopped and
// what their folders hold, see interrupted), never "context canceled".
func report(w io.Writer, cmd *cobra.Command, err error, code int) {
	var in *interrupted
	switch {
	case err == nil || code == 0:
	case code == exitInterrupted && errors.As(err, &in):
		fmt.Fprintln(w, "monitor:", in.msg)
	case code == exitInterrupted && errors.Is(err, context.Canceled):
		name := "monitor"
		if cmd != nil {
			name = cmd.CommandPath()
		}
		fmt.Fprintf(w, "%s: interrupted\n", name)
	default:
		fmt.Fprintln(w, "monitor:", err)
	}
}

// interrupted is the error of a command that a signal stopped, saying
// what it had done; it is a cancellation (errors.Is context.Canceled).
type interrupted struct{ msg string }

func (e *interrupted) Error() string { return e.msg }
func (e *interrupted) Unwrap() error { return context.Canceled }
