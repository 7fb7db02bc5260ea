package layout

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLockFolder: writers exclude everyone, readers only writers; the
// refusal names the holder; --wait waits; a cancelled wait stops.
func TestLockFolder(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "data")
	tests := []struct {
		first, second LockMode
		conflict      bool
	}{
		{Exclusive, Exclusive, true},
		{Exclusive, Shared, true},
		{Shared, Exclusive, true},
		{Shared, Shared, false},
	}
	for _, tc := range tests {
		a, err := LockFolder(ctx, root, tc.first, 0, "monitor first")
		if err != nil {
			t.Fatal(err)
		}
		b, err := LockFolder(ctx, root, tc.second, 0, "monitor second")
		if tc.conflict {
			if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "monitor first") || !strings.Contains(err.Error(), "--wait") {
				t.Errorf("%v then %v: %v, want ErrLocked naming the holder", tc.first, tc.second, err)
			}
		} else if err != nil {
			t.Errorf("%v then %v: %v", tc.first, tc.second, err)
		}
		b.Unlock()
		a.Unlock()
	}

	a, err := LockFolder(ctx, root, Exclusive, 0, "monitor train")
	if err != nil {
		t.Fatal(err)
	}
	h, err := ReadHolder(root)
	if err != nil || h.PID != os.Getpid() || h.Command != "monitor train" || time.Since(h.Since) > time.Minute {
		t.Errorf("holder %+v, %v", h, err)
	}
	go func() { time.Sleep(150 * time.Millisecond); a.Unlock() }()
	start := time.Now()
	b, err := LockFolder(ctx, root, Exclusive, 5*time.Second, "monitor run")
	if err != nil || time.Since(start) > 3*time.Second {
		t.Fatalf("waiting for a lock released after 150 ms: %v after %v", err, time.Since(start))
	}
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if _, err := LockFolder(cctx, root, Shared, time.Hour, "monitor run"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}
	b.Unlock()

	if l, err := LockFolder(ctx, filepath.Join(root, "missing"), Shared, 0, "x"); l != nil || err != nil {
		t.Errorf("reading a folder that does not exist: %v, %v; want no lock and no error", l, err)
	}
}

// TestLockFoldersOnce: a folder named twice is locked once, in the
// stronger mode, and the locks go together.
func TestLockFoldersOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ls, err := LockFolders(ctx, []FolderUse{{dir, Shared}, {dir + "/.", Exclusive}}, 0, "all", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 {
		t.Fatalf("%d locks, want 1", len(ls))
	}
	if _, err := LockFolder(ctx, dir, Shared, 0, "run"); !errors.Is(err, ErrLocked) {
		t.Errorf("the folder is not held exclusively: %v", err)
	}
	if err := ls.Unlock(); err != nil {
		t.Fatal(err)
	}
	l, err := LockFolder(ctx, dir, Exclusive, 0, "run")
	if err != nil {
		t.Errorf("after Unlock: %v", err)
	}
	l.Unlock()
}

// TestLockEndsWithItsProcess: a lock held by a process killed with
// SIGKILL is free at once.
func TestLockEndsWithItsProcess(t *testing.T) {
	if os.Getenv("LAYOUT_LOCK_HOLDER") != "" {
		if _, err := LockFolder(context.Background(), os.Getenv("LAYOUT_LOCK_HOLDER"), Exclusive, 0, "holder"); err != nil {
			os.Exit(2)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockEndsWithItsProcess$")
	cmd.Env = append(os.Environ(), "LAYOUT_LOCK_HOLDER="+root)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("holder: %q %v", buf, err)
	}
	if _, err := LockFolder(context.Background(), root, Shared, 0, "reader"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "holder") {
		t.Fatalf("while the holder lives: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := LockFolder(context.Background(), root, Exclusive, 0, "next")
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Unlock()
}
