package main

import (
	"os"
	"testing"
)

// TestMain runs the command itself when MONITOR_TEST_MAIN is set, so that
// tests can start it as a process of its own and kill it (kill -9).
func TestMain(m *testing.M) {
	if os.Getenv("MONITOR_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	if trainedExampleOnce.dir != "" {
		os.RemoveAll(trainedExampleOnce.dir)
	}
	os.Exit(code)
}
