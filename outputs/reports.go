package outputs

import (
	"context"

	"github.com/netflow-monitor/monitor/detector"
	"github.com/netflow-monitor/monitor/rootcause"
)

// reports are the root-cause reports of a run (see rootcause.WriteReports),
// written from the run's report at the end.
func reports() Output {
	return Output{Name: "root-cause reports", Owns: rootcause.IsReportFile, Open: func(u Unit) (Sink, error) {
		return reportSink{u: u}, nil
	}}
}

type reportSink struct{ u Unit }

func (reportSink) Window(*detector.Window) error { return nil }

func (s reportSink) Close(ctx context.Context, end End) error {
	var rep rootcause.Report
	if end.Report != nil {
		rep = *end.Report
	}
	return rootcause.WriteReports(ctx, s.u.Dir, rep)
}

func (reportSink) Abort() {}
