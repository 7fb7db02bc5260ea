package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestFullDisk: a run on a file system with no room for the new outputs
// fails the units it cannot write, each keeping its previous outputs
// whole (verify passes, the folder unchanged, nothing left beside it),
// and runs once there is room. It mounts a small tmpfs, which needs
// root; elsewhere it is skipped (scripts/chaos has the same case).
func TestFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	T, M := trainedPair(t)
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	// Room for the folder as it is (tmpfs counts whole pages), and 64 KiB:
	// far less than a unit's new predictions.
	used := int64(0)
	err := filepath.WalkDir(M, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		used += (info.Size()/4096 + 2) * 4096
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size="+strconv.FormatInt(used+64<<10, 10)); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(disk, syscall.MNT_DETACH) })
	full := filepath.Join(disk, "M")
	copyAll(t, M, full)
	units := []string{"10.1.0.12", "10.1.0.15"}
	before := map[string]snapshot{}
	for _, u := range units {
		before[u] = takeSnapshot(t, filepath.Join(full, u))
	}
	// --top 3: new outputs that differ from the old ones.
	out, errOut, err := execute("run", "--train-data", T, "--monitor-data", full, "--top", "3", "-q")
	if err == nil || !strings.Contains(errOut+err.Error(), "no space left on device") {
		t.Fatalf("run on a full disk: %v\n%s%s", err, out, errOut)
	}
	failed := 0
	for _, u := range units {
		if !strings.Contains(errOut, "FAILED "+u+":") {
			continue
		}
		failed++
		if !strings.Contains(errOut, "its folder keeps the outputs of its last complete run") {
			t.Errorf("%s: the failure does not say its outputs are kept:\n%s", u, errOut)
		}
		if d := diffSnapshots(before[u], takeSnapshot(t, filepath.Join(full, u))); len(d) > 0 {
			t.Errorf("%s failed and changed: %v", u, d)
		}
	}
	if failed == 0 {
		t.Errorf("no unit failed:\n%s%s", out, errOut)
	}
	if h := hidden(t, full); len(h) > 0 {
		t.Errorf("left on the full disk: %v", h)
	}
	if out, _, err := execute("verify", "--train-data", T, "--monitor-data", full); err != nil {
		t.Errorf("verify: %v\n%s", err, out)
	}
	if err := syscall.Mount("tmpfs", disk, "tmpfs", syscall.MS_REMOUNT, "size=256m"); err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := execute("run", "--train-data", T, "--monitor-data", full, "--top", "3", "-q"); err != nil {
		t.Errorf("run with room: %v\n%s%s", err, out, errOut)
	}
}
