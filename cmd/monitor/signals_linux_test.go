package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netflow-monitor/monitor/layout"
)

// holdsOpen reports whether process pid has the file path open (it reads
// /proc/pid/fd, Linux's).
func holdsOpen(pid int, path string) bool {
	fds := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	entries, _ := os.ReadDir(fds)
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && target == path {
			return true
		}
	}
	return false
}

// TestInterruptExitStatus: a batch command stopped by Ctrl-C (SIGINT) or
// SIGTERM exits 130 and says it was interrupted, in one line, without
// "context canceled" (before: exit 1, "cancelled: context canceled").
// Each command is stopped while it waits for a folder another holds
// (--wait), a point every command passes and the test can see (it has
// the folder's lock file open).
func TestInterruptExitStatus(t *testing.T) {
	T, M := trainedPair(t)
	flowFile := filepath.Join(M, "10.1.0.15", "10.1.0.15_monitor_data.csv")
	dir := t.TempDir()
	tests := []struct {
		args []string
		held string // the folder it waits for
	}{
		{[]string{"train", "--train-data", T, "-q"}, T},
		{[]string{"run", "--train-data", T, "--monitor-data", M, "-q"}, M},
		{[]string{"all", "--train-data", T, "--monitor-data", M, "-q"}, M},
		{[]string{"evaluate", "--train-data", T, "--monitor-data", M}, M},
		{[]string{"split", flowFile, "--train-fraction", "0.5", "--services", "10.1.0.15", "--train-data", filepath.Join(dir, "T"), "--monitor-data", M, "--force"}, M},
		{[]string{"report", "--monitor-data", M}, M},
	}
	p := ownProcess()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		for _, tc := range tests {
			t.Run(sig.String()+"/"+tc.args[0], func(t *testing.T) {
				l, err := layout.LockFolder(context.Background(), tc.held, layout.Exclusive, 0, "holder")
				if err != nil {
					t.Fatal(err)
				}
				defer l.Unlock()
				cmd := p.command(append(tc.args, "--wait", "1m")...)
				var errOut bytes.Buffer
				cmd.Stderr = &errOut
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				lock, _ := filepath.Abs(filepath.Join(tc.held, layout.LockFile))
				for deadline := time.Now().Add(30 * time.Second); !holdsOpen(cmd.Process.Pid, lock); time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						cmd.Process.Kill()
						t.Fatalf("it never waited for %s: %s", tc.held, errOut.String())
					}
				}
				time.Sleep(50 * time.Millisecond) // into its wait
				cmd.Process.Signal(sig)
				err = cmd.Wait()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 130 {
					t.Errorf("exit %v, want 130; stderr %q", err, errOut.String())
				}
				if want := "monitor " + tc.args[0] + ": interrupted\n"; errOut.String() != want {
					t.Errorf("stderr %q, want %q", errOut.String(), want)
				}
			})
		}
	}
}

// TestServiceStopsBySignal: watch, a service, stopped by SIGTERM or
// Ctrl-C while it follows a file ends normally: exit 0, nothing said of
// an interruption.
func TestServiceStopsBySignal(t *testing.T) {
	T, M := trainedPair(t)
	source := filepath.Join(M, "10.1.0.12", "10.1.0.12_monitor_data.csv")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := ownProcess().command("watch", "--train-data", T, "--monitor-data", filepath.Join(t.TempDir(), "W"), "--service", "10.1.0.12", "--source", source, "--follow", "-q")
			var errOut syncBuffer
			cmd.Stderr = &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(30 * time.Second); !strings.Contains(errOut.String(), "watching 1 unit"); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("watch did not start: %s", errOut.String())
				}
			}
			time.Sleep(200 * time.Millisecond) // into the file
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit %v, want 0; stderr %q", err, errOut.String())
				}
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				t.Fatalf("still running a minute after %v: %s", sig, errOut.String())
			}
			if strings.Contains(errOut.String(), "interrupted") {
				t.Errorf("stderr %q", errOut.String())
			}
		})
	}
}
