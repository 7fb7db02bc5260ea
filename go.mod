module github.com/netflow-monitor/monitor

go 1.24
