package main

import (
	"fmt"
	"os"

	"github.com/netflow-monitor/monitor/atomicfile"
	"github.com/netflow-monitor/monitor/learner"
	"github.com/spf13/cobra"
)

func newPredictCmd() *cobra.Command {
	var modelPath, format, out string
	var read learner.ReadOptions
	cmd := &cobra.Command{
		Use:   "predict --model MODEL.json TESTFILE -o OUT.csv",
		Short: "Score every trace of a trace file with a learned model",
		Example: `  monitor predict --model model.json 1.pautomac.test -o predictions.csv
  monitor perplexity 1.pautomac_solution.txt predictions.csv`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if modelPath == "" || out == "" {
				return fmt.Errorf("predict: --model and -o are required")
			}
			if err := checkMaxLine(read.MaxLine); err != nil {
				return err
			}
			m, err := learner.LoadModel(modelPath)
			if err != nil {
				return err
			}
			d, err := learner.ReadTraces(cmd.Context(), args[0], format, m.Alphabet(), read)
			if err != nil {
				return err
			}
			name := func(s int32) string { return m.Alphabet().Name(s) }
			return atomicfile.Write(out, func(f *os.File) error {
				pw, err := learner.NewPredictionWriter(f)
				if err != nil {
					return err
				}
				var p learner.Prediction
				for i := 0; i < d.Len(); i++ {
					m.ScoreInto(d.Trace(i), &p)
					label := ""
					if d.Labels != nil {
						label = d.Labels[i]
					}
					if err := pw.Write(label, d.Trace(i), name, &p); err != nil {
						return err
					}
				}
				return pw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&modelPath, "model", "", "model file (JSON) written by learn")
	cmd.Flags().StringVar(&format, "format", learner.FormatAbbadingo, "trace file format: abbadingo or pautomac")
	cmd.Flags().StringVarP(&out, "output", "o", "", "predictions CSV to write")
	maxLineFlag(cmd, &read.MaxLine)
	return cmd
}
