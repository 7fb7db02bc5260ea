//go:build unix

package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWatchStopsOnSignal: watch and route stopped by SIGTERM or SIGINT
// exit 0 (a stopped service has not failed) within --shutdown-timeout,
// whether they wait on a pipe nobody writes to or on a broker that is
// gone; a named pipe as a source is refused at once.
func TestWatchStopsOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a service")
	}
	dir := t.TempDir()
	T := trainedExample(t, dir, "10.1.0.12")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close()
	// A broker in a process of its own, paused (SIGSTOP) once watch and
	// route are connected to it: it neither answers nor refuses.
	broker := exec.Command(os.Args[0])
	broker.Env = append(os.Environ(), "MONITOR_TEST_BROKER=1")
	bout, err := broker.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { broker.Process.Signal(syscall.SIGCONT); broker.Process.Kill(); broker.Wait() }()
	line := make([]byte, 64)
	n, _ := bout.Read(line)
	paused := strings.TrimSpace(string(line[:n]))
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	for _, tc := range []struct {
		name  string
		sig   os.Signal
		args  []string
		pause bool // the broker, once the command is connected
	}{
		{"silent stdin, SIGTERM", syscall.SIGTERM, []string{"watch", "--train-data", T, "--monitor-data", filepath.Join(dir, "W1"), "--source", "-", "-q"}, false},
		{"silent stdin, SIGINT", os.Interrupt, []string{"watch", "--train-data", T, "--monitor-data", filepath.Join(dir, "W2"), "--source", "-", "-q"}, false},
		{"broker gone, SIGTERM", syscall.SIGTERM, []string{"watch", "--train-data", T, "--monitor-data", "", "--source", "kafka://" + gone + "/flows?group=g", "--shutdown-timeout", "2s", "-q"}, false},
		{"route, broker gone, SIGTERM", syscall.SIGTERM, []string{"route", "--train-data", T, "--source", "kafka://" + gone + "/flows?group=r", "--to", "kafka://" + gone + "/routed", "--shutdown-timeout", "2s"}, false},
		{"broker paused, SIGTERM", syscall.SIGTERM, []string{"watch", "--train-data", T, "--monitor-data", "", "--source", "kafka://" + paused + "/flows?group=w",
			"--alerts", "kafka://" + paused + "/alerts", "--session-timeout", "1s", "--shutdown-timeout", "2s", "-q"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], tc.args...)
			cmd.Env = append(os.Environ(), "MONITOR_TEST_MAIN=1")
			w, err := cmd.StdinPipe() // open, never written to
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			var out syncBuffer
			cmd.Stderr = &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(700 * time.Millisecond)
			if tc.pause {
				for i := 0; i < 100 && !strings.Contains(out.String(), "assigned"); i++ {
					time.Sleep(100 * time.Millisecond)
				}
				broker.Process.Signal(syscall.SIGSTOP)
				defer broker.Process.Signal(syscall.SIGCONT)
			}
			began := time.Now()
			cmd.Process.Signal(tc.sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit: %v, want 0\n%s", err, out.String())
				}
				if took := time.Since(began); took > 4*time.Second {
					t.Errorf("stopping took %v", took)
				}
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 15 s after the signal\n%s", out.String())
			}
		})
	}
	cmd := exec.Command(os.Args[0], "watch", "--train-data", T, "--monitor-data", "", "--source", fifo, "-q")
	cmd.Env = append(os.Environ(), "MONITOR_TEST_MAIN=1")
	done := make(chan []byte, 1)
	go func() { b, _ := cmd.CombinedOutput(); done <- b }()
	select {
	case b := <-done:
		if !strings.Contains(string(b), "named pipe") || cmd.ProcessState.ExitCode() == 0 {
			t.Errorf("a FIFO source: exit %d, %s", cmd.ProcessState.ExitCode(), b)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("a FIFO source blocked")
	}
}
