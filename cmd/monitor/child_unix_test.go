//go:build unix

package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// nobody is the user (and group) that tests run monitor as when they run
// as root, so that file modes apply: root's CAP_DAC_OVERRIDE ignores them.
const nobody = 65534

// monitorProc is monitor run as a process of its own (the test binary,
// see TestMain): exe, as the user of cred when it is not nil.
type monitorProc struct {
	exe  string
	cred *syscall.Credential
}

// run runs the command line and returns stdout, stderr and the exit
// status.
func (p monitorProc) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := p.command(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errOut.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("monitor %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), 0
}

// command returns the command line as an *exec.Cmd, not started.
func (p monitorProc) command(args ...string) *exec.Cmd {
	cmd := exec.Command(p.exe, args...)
	cmd.Env = append(os.Environ(), "MONITOR_TEST_MAIN=1")
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// ownProcess returns monitor as a process of the test's own user.
func ownProcess() monitorProc { return monitorProc{exe: os.Args[0]} }

// unprivileged returns monitor as a process that file modes apply to, and
// gives it the trees (folders under the test's temporary folder): run as
// any user but root, it is that user; run as root (as CI and the
// development machines run the tests), it is user nobody (65534), the
// trees are chowned to it, and the test binary is linked (or copied)
// where nobody can run it. Where root cannot switch users (a container
// without CAP_SETUID), the test is skipped, saying so.
func unprivileged(t *testing.T, trees ...string) monitorProc {
	t.Helper()
	if os.Geteuid() != 0 {
		return ownProcess()
	}
	// t.TempDir's folders are made for their owner only: open the way.
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(dir, "monitor.test")
	if err := os.Link(os.Args[0], exe); err != nil {
		b, err := os.ReadFile(os.Args[0])
		if err == nil {
			err = os.WriteFile(exe, b, 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(exe, 0o755); err != nil {
		t.Fatal(err)
	}
	p := monitorProc{exe: exe, cred: &syscall.Credential{Uid: nobody, Gid: nobody}}
	for _, tree := range trees {
		for d := filepath.Dir(tree); d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		err := filepath.WalkDir(tree, func(path string, _ fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, nobody, nobody)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if out, err := p.command("--version").CombinedOutput(); err != nil {
		t.Skipf("cannot run monitor as user %d here, so file modes cannot be tested as root: %v %s", nobody, err, out)
	}
	return p
}
