#!/bin/sh
# Regenerates the README's pictures with the tool itself: docs/plot.png
# (10.1.0.12's monitor plot, the beaconing host of the shipped example),
# and the report's first screen in headless Chromium at 1366x768 and
# 1920x1080 of the shipped example (docs/report-example-WxH.png) and of
# CTU-13 scenario 6, protocol B of the README's Results section
# (docs/report-ctu13-WxH.png; skipped when the capture is not in
# ../shared/data/ctu13). Needs Go and Debian's chromium (or $CHROMIUM).
set -eu
cd "$(dirname "$0")/.."
chromium=${CHROMIUM:-chromium}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/monitor" ./cmd/monitor
shot() { # page name
	for size in 1366x768 1920x1080; do
		"$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
			--disable-background-networking --disable-component-update --disable-sync \
			--no-first-run --user-data-dir="$tmp/profile" --hide-scrollbars \
			--force-device-scale-factor=1 --window-size="$(echo "$size" | tr x ,)" \
			--screenshot="$PWD/docs/report-$2-$size.png" "file://$1" 2>/dev/null
	done
}

# The shipped example: its flow files only, as a fresh clone has them.
mkdir -p "$tmp/example"
for f in train_data/*/*_train_data.csv monitor_data/*/*_monitor_data.csv monitor_data/injected_anomalies.csv; do
	mkdir -p "$tmp/example/$(dirname "$f")"
	cp "$f" "$tmp/example/$f"
done
"$tmp/monitor" all --train-data "$tmp/example/train_data" --monitor-data "$tmp/example/monitor_data" -q >/dev/null
cp "$tmp/example/monitor_data/10.1.0.12/probability_plot_monitor.png" docs/plot.png
shot "$tmp/example/monitor_data/report.html" example

capture=../shared/data/ctu13/capture20110816.binetflow.gz
if [ -f "$capture" ]; then
	mkdir -p "$tmp/ctu"
	"$tmp/monitor" split --format argus "$capture" --train-until 2011-08-16T11:01:00Z \
		--group workstations=147.32.84.170,147.32.84.164,147.32.84.134 \
		--monitor-hosts 147.32.84.165,147.32.84.170,147.32.84.164,147.32.84.134 \
		--train-data "$tmp/ctu/T" --monitor-data "$tmp/ctu/M" >/dev/null
	"$tmp/monitor" train --train-data "$tmp/ctu/T" -q >/dev/null 2>&1
	"$tmp/monitor" run --train-data "$tmp/ctu/T" --monitor-data "$tmp/ctu/M" --model workstations -q >/dev/null
	shot "$tmp/ctu/M/report.html" ctu13
else
	echo "no CTU-13 capture at $capture: its screenshots are left as they are" >&2
fi
