package main

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// TestMain runs the command itself when MONITOR_TEST_MAIN is set, so that
// tests can start it as a process of its own and kill it (kill -9); with
// MONITOR_TEST_BROKER set it runs an in-process Kafka broker (kfake) and
// prints its address, so that tests can pause it (SIGSTOP) or kill it.
func TestMain(m *testing.M) {
	if os.Getenv("MONITOR_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	if os.Getenv("MONITOR_TEST_BROKER") == "1" {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(100*time.Millisecond), kfake.SeedTopics(1, "flows"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(c.ListenAddrs()[0])
		select {}
	}
	code := m.Run()
	for _, dir := range []string{trainedExampleOnce.dir, fullExampleOnce.dir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}
