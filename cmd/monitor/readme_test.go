package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeMarker is the line before each of the README's examples that
// TestREADME runs: a ```console block whose "$ " lines are commands (a
// line ending in \ goes on on the next) and whose other lines are what
// they print, "..." standing for any text within a line, or alone on its
// line for any lines.
const readmeMarker = "<!-- checked by TestREADME -->"

// readmeStep is one command of the README and what it prints.
type readmeStep struct {
	line int // of the command in README.md
	cmd  string
	want []string
}

// readmeSteps reads the README's checked examples, in order.
func readmeSteps(t *testing.T, path string) []readmeStep {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []readmeStep
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != readmeMarker {
			continue
		}
		if i+1 >= len(lines) || lines[i+1] != "```console" {
			t.Fatalf("README.md:%d: %s is not followed by a ```console block", i+1, readmeMarker)
		}
		for i += 2; i < len(lines) && lines[i] != "```"; i++ {
			l := lines[i]
			if cmd, ok := strings.CutPrefix(l, "$ "); ok {
				s := readmeStep{line: i + 1, cmd: cmd}
				for strings.HasSuffix(s.cmd, `\`) && i+1 < len(lines) {
					i++
					s.cmd = strings.TrimSuffix(s.cmd, `\`) + " " + strings.TrimSpace(lines[i])
				}
				steps = append(steps, s)
				continue
			}
			if len(steps) == 0 {
				t.Fatalf("README.md:%d: output before any command", i+1)
			}
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, l)
		}
	}
	return steps
}

// matchLines reports whether got matches want, where "..." in a line
// stands for any text and a line "..." for any lines.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for k := 0; k <= len(got); k++ {
			if matchLines(want[1:], got[k:]) {
				return true
			}
		}
		return false
	}
	if len(got) == 0 {
		return false
	}
	parts := strings.Split(want[0], "...")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	if !regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got[0]) {
		return false
	}
	return matchLines(want[1:], got[1:])
}

// TestREADME runs the README's checked examples as a reader would, from
// a fresh clone (a folder holding only what the repository ships of the
// example) and with a HOME of their own, so that the examples that leave
// the source tree do, with monitor on the PATH (this test binary in its
// place; "go install" and "go build" lines stand for that, and "go run
// ./cmd/monitor" for monitor), in one shell
// in order, and checks that each prints what the README shows.
func TestREADME(t *testing.T) {
	for _, tool := range []string{"bash", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the README's examples need %s (apt-get install %s)", tool, tool)
		}
	}
	steps := readmeSteps(t, filepath.Join("..", "..", "README.md"))
	if len(steps) < 8 {
		t.Fatalf("%d checked commands in the README, want the Quick start, the live and the triage examples", len(steps))
	}
	dir := t.TempDir()
	clone, home := filepath.Join(dir, "clone"), filepath.Join(dir, "home")
	for _, sub := range []string{"train_data", "monitor_data"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", sub, "*", "*_"+sub+".csv"))
		if sub == "monitor_data" {
			files = append(files, filepath.Join("..", "..", sub, "injected_anomalies.csv"))
		}
		for _, src := range files {
			rel, _ := filepath.Rel(filepath.Join("..", ".."), src)
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(filepath.Join(clone, filepath.Dir(rel)), 0o755)
			if err := os.WriteFile(filepath.Join(clone, rel), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	bin := filepath.Join(home, "bin")
	os.MkdirAll(bin, 0o755)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wrapper := fmt.Sprintf("#!/bin/sh\nMONITOR_TEST_MAIN=1 exec %q \"$@\"\n", self)
	if err := os.WriteFile(filepath.Join(bin, "monitor"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	// One shell runs every command; a marker after each says where its
	// output ends and how it exited.
	var script strings.Builder
	script.WriteString("cd " + shellQuote(clone) + "\n")
	for i, s := range steps {
		cmd := s.cmd
		if strings.HasPrefix(cmd, "go install ") || strings.HasPrefix(cmd, "go build ") {
			cmd = "true # " + cmd
		}
		if rest, ok := strings.CutPrefix(cmd, "go run ./cmd/monitor "); ok {
			cmd = "monitor " + rest
		}
		fmt.Fprintf(&script, "{ %s\n} 2>&1\necho \"@@step %d $?\"\n", cmd, i)
	}
	sh := exec.Command("bash", "--noprofile", "--norc", "-c", script.String())
	sh.Env = append(os.Environ(), "HOME="+home, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "TERM=dumb")
	var out bytes.Buffer
	sh.Stdout, sh.Stderr = &out, &out
	if err := sh.Run(); err != nil {
		t.Fatalf("the README's commands: %v\n%s", err, out.String())
	}
	got := make([][]string, len(steps))
	status := make([]string, len(steps))
	cur := 0
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " ")
		var n int
		var rc string
		if _, err := fmt.Sscanf(line, "@@step %d %s", &n, &rc); err == nil {
			status[n], cur = rc, n+1
			continue
		}
		if cur < len(steps) {
			got[cur] = append(got[cur], line)
		}
	}
	for i, s := range steps {
		if status[i] != "0" {
			t.Errorf("README.md:%d: %s\nexited %s:\n%s", s.line, s.cmd, status[i], strings.Join(got[i], "\n"))
			continue
		}
		want := make([]string, len(s.want))
		for j, w := range s.want {
			want[j] = strings.TrimRight(w, " ")
		}
		if !matchLines(want, got[i]) {
			t.Errorf("README.md:%d: %s\nprints:\n%s\nthe README shows:\n%s", s.line, s.cmd, strings.Join(got[i], "\n"), strings.Join(want, "\n"))
		}
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestMatchLines: the README's wildcards.
func TestMatchLines(t *testing.T) {
	for _, tc := range []struct {
		want, got []string
		ok        bool
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, true},
		{[]string{"a"}, []string{"a", "b"}, false},
		{[]string{"...", "c"}, []string{"a", "b", "c"}, true},
		{[]string{"a ... c"}, []string{"a b+b c"}, true},
		{[]string{"a ... c"}, []string{"a b d"}, false},
		{[]string{"..."}, nil, true},
	} {
		if matchLines(tc.want, tc.got) != tc.ok {
			t.Errorf("%q against %q: %v", tc.want, tc.got, !tc.ok)
		}
	}
}
