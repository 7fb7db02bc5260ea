#!/bin/sh
# Regenerates the README's pictures from the shipped example, with the
# tool itself: docs/plot.png (10.1.0.12's monitor plot, the beaconing host)
# and docs/report.png (the top of monitor_data/report.html in headless
# Chromium). Needs Go and Debian's chromium (or $CHROMIUM).
set -eu
cd "$(dirname "$0")/.."
chromium=${CHROMIUM:-chromium}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r train_data monitor_data "$tmp"/
go run ./cmd/monitor all --train-data "$tmp/train_data" --monitor-data "$tmp/monitor_data" >/dev/null 2>&1
cp "$tmp/monitor_data/10.1.0.12/probability_plot_monitor.png" docs/plot.png
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
	--disable-background-networking --disable-component-update --disable-sync \
	--no-first-run --user-data-dir="$tmp/profile" --hide-scrollbars \
	--force-device-scale-factor=1 --window-size=1280,1400 \
	--screenshot="$PWD/docs/report.png" "file://$tmp/monitor_data/report.html" 2>/dev/null
