package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/netflow-monitor/monitor/console"
	"github.com/spf13/cobra"
)

func newServeCmd() *cobra.Command {
	monitorRoot := "monitor_data"
	addr := "127.0.0.1:8080"
	var tokenFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the report live, with forms to tag incidents, and a JSON API of incidents, tags and silences",
		Long: `serve serves the monitor folder's report at http://ADDR/, made afresh at
each request (so that it shows what the last run, or watch as it refreshes
the folder, wrote; the open page reloads itself when the folder changes),
with a form per incident to tag it; and an HTTP JSON API:

  GET  /api/incidents              every host's incidents, with tags, silences and lifecycle state
  GET  /api/tags, POST /api/tags   {"id", "tag", "comment", "by"}
  DELETE /api/tags/ID
  GET  /api/silences, POST /api/silences   {"matchers": ["kind=port scan"], "expires": "24h", "comment", "by"}
  POST /api/silences/ID/expire

It writes only the folder's tags.csv and silences.csv, through those
requests, checked. It listens on loopback by default and then answers only
requests addressed to loopback; to listen elsewhere give --token-file: every
request must then carry the file's token (Authorization: Bearer TOKEN; open
the page as http://HOST:PORT/?token=TOKEN). Ctrl-C or SIGTERM stop it.`,
		Example: `  monitor serve --monitor-data monitor_data          # then open http://127.0.0.1:8080/
  monitor serve --monitor-data /srv/live --addr 127.0.0.1:9090 &
  monitor watch --train-data train_data --monitor-data /srv/live --source /var/log/flows/flows.csv --follow
  curl -s http://127.0.0.1:8080/api/incidents
  curl -s -H 'Content-Type: application/json' -d '{"id":"17970a50-964f-5fd8-afca-a3c2a401cdf8","tag":"expected","by":"alice"}' http://127.0.0.1:8080/api/tags
  # reachable from other machines, with a token
  head -c 24 /dev/urandom | base64 > token && monitor serve --addr :8443 --token-file token`,
		Args: noArgs("give the monitor data folder with --monitor-data DIR"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := existingFolder("--monitor-data", monitorRoot); err != nil {
				return err
			}
			var token string
			if tokenFile != "" {
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return fmt.Errorf("--token-file %s: %w", tokenFile, pathCause(err))
				}
				if token = strings.TrimSpace(string(b)); len(token) < 16 {
					return fmt.Errorf("--token-file %s: a token of %d characters; give at least 16 (head -c 24 /dev/urandom | base64)", tokenFile, len(token))
				}
			}
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return fmt.Errorf("--addr %q: not HOST:PORT (127.0.0.1:8080)", addr)
			}
			if ip := net.ParseIP(host); token == "" && (ip == nil || !ip.IsLoopback()) && host != "localhost" {
				return fmt.Errorf("--addr %s is not a loopback address: give --token-file, so that only those with the token reach the folder", addr)
			}
			h, err := console.Handler(console.Config{Root: monitorRoot, Token: token,
				Log: func(format string, args ...any) { fmt.Fprintf(cmd.ErrOrStderr(), format+"\n", args...) }})
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cmd, addr, h)
		},
	}
	f := cmd.Flags()
	f.StringVar(&monitorRoot, "monitor-data", monitorRoot, "monitor data folder to serve")
	f.StringVar(&addr, "addr", addr, "address to listen on (HOST:PORT); not loopback needs --token-file")
	f.StringVar(&tokenFile, "token-file", "", "file holding the bearer token every request must carry")
	return cmd
}

// serve listens on addr and serves h until ctx is done, then shuts down,
// letting requests in flight finish for a few seconds.
func serve(ctx context.Context, cmd *cobra.Command, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(cmd.OutOrStdout(), "serving %s at http://%s/\n", cmd.Flag("monitor-data").Value, ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
