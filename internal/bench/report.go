package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

// WriteSummary prints one table row per result (and, for the wait
// workload, memory per checkpoint).
func WriteSummary(out io.Writer, rs []*Result) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tconc\texecs\tfailed\texec/s\ttransitions/s\ttask steps/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\toverhead/step p50 ms\tstart→task p50 ms\ttask→end p50 ms\tcallback p50 ms\tCPU s/1k trans\tpg CPU s/1k trans\tpg commits/exec\tevents/exec\tDB bytes/exec\t")
	for _, r := range rs {
		if r.Workload == "wait" {
			continue
		}
		over, cb, toFirst, fromLast := "-", "-", "-", "-"
		if r.ToFirstTaskMs != nil {
			toFirst, fromLast = fmt.Sprintf("%.2f", r.ToFirstTaskMs.P50), fmt.Sprintf("%.2f", r.FromLastTaskMs.P50)
		}
		if r.OverheadPerStepMs != nil {
			over = fmt.Sprintf("%.2f", r.OverheadPerStepMs.P50)
		}
		if r.CallbackMs != nil {
			cb = fmt.Sprintf("%.2f", r.CallbackMs.P50)
		}
		commits := "-"
		if r.PgCommits >= 0 && r.Executions > 0 {
			commits = fmt.Sprintf("%.1f", r.PgCommitsPerExec)
		}
		events, bytes := "-", "-"
		if r.EventsPerExec > 0 {
			events, bytes = fmt.Sprintf("%.1f", r.EventsPerExec), fmt.Sprintf("%.0f", r.BytesPerExec)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%s\t%s\t%s\t\n",
			r.Workload, r.Concurrency, r.Executions, r.Failed+r.Errors, r.ExecutionsPerSec, r.TransitionsPerSec, r.TaskStepsPerSec,
			r.LatencyMs.P50, r.LatencyMs.P90, r.LatencyMs.P99, r.LatencyMs.Max, over, toFirst, fromLast, cb, r.CPUPer1kTrans, r.PgCPUPer1kTrans, commits, events, bytes)
	}
	tw.Flush()
	for _, r := range rs {
		if r.FirstError != "" {
			fmt.Fprintf(out, "%s (concurrency %d): first error: %s\n", r.Workload, r.Concurrency, r.FirstError)
		}
		if len(r.Wait) == 0 {
			continue
		}
		fmt.Fprintf(out, "\nwait: %d executions parked in %.1fs (%.0f starts/s)", r.Executions, r.Seconds, r.ExecutionsPerSec)
		if r.BytesPerExec > 0 {
			fmt.Fprintf(out, "; in Postgres %.1f history events and %.0f bytes each", r.EventsPerExec, r.BytesPerExec)
		}
		fmt.Fprintln(out)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "parked\tRSS MiB\theap MiB\tgoroutines\tRSS bytes/parked (vs 0)\tRSS bytes/parked (vs previous)\theap bytes/parked (vs previous)\t")
		base := r.Wait[0]
		for i, p := range r.Wait {
			per, marg, heap := "-", "-", "-"
			if p.Parked > base.Parked {
				per = fmt.Sprintf("%.0f", float64(p.RSSBytes-base.RSSBytes)/float64(p.Parked-base.Parked))
			}
			if i > 0 && p.Parked > r.Wait[i-1].Parked {
				prev := r.Wait[i-1]
				marg = fmt.Sprintf("%.0f", float64(p.RSSBytes-prev.RSSBytes)/float64(p.Parked-prev.Parked))
				heap = fmt.Sprintf("%.0f", float64(p.HeapBytes-prev.HeapBytes)/float64(p.Parked-prev.Parked))
			}
			fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%d\t%s\t%s\t%s\t\n", p.Parked, float64(p.RSSBytes)/(1<<20), float64(p.HeapBytes)/(1<<20), p.Goroutines, per, marg, heap)
		}
		tw.Flush()
	}
}

// WriteJSON writes the results to path as a JSON array.
func WriteJSON(path string, rs []*Result) error {
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
