package bench

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WritePlot draws, for the results, a latency histogram (log10 of ms) and
// executions finished per second over time, one above the other, into
// path; the format follows the extension (.png or .svg).
func WritePlot(path string, rs []*Result) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format != "png" && format != "svg" {
		return fmt.Errorf("plot %s: the file must end in .png or .svg", path)
	}
	var runs []*Result
	for _, r := range rs {
		if len(r.Latencies) > 0 {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return fmt.Errorf("plot %s: no latencies to plot", path)
	}

	hist := plot.New()
	hist.Title.Text = "start → finish latency"
	hist.X.Label.Text = "latency (ms, log scale)"
	hist.Y.Label.Text = "executions"
	hist.X.Scale = plot.LogScale{}
	hist.X.Tick.Marker = plot.LogTicks{Prec: -1}
	hist.Legend.Top = true
	tput := plot.New()
	tput.Title.Text = "throughput over time"
	tput.X.Label.Text = "seconds"
	tput.Y.Label.Text = "executions finished per second"
	tput.Legend.Top = true

	for i, r := range runs {
		label := fmt.Sprintf("%s c=%d", r.Workload, r.Concurrency)
		// Log-spaced bins: a histogram of log10(latency), drawn as a
		// step line on a log axis.
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, x := range r.Latencies {
			x = math.Max(x, 0.01)
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
		const bins = 60
		a, b := math.Log10(lo), math.Log10(hi)+1e-9
		if b-a < 0.1 {
			a, b = a-0.05, b+0.05
		}
		counts := make([]float64, bins)
		for _, x := range r.Latencies {
			k := int((math.Log10(math.Max(x, 0.01)) - a) / (b - a) * bins)
			counts[min(max(k, 0), bins-1)]++
		}
		pts := make(plotter.XYs, 0, 2*bins)
		for k, c := range counts {
			x0 := math.Pow(10, a+(b-a)*float64(k)/bins)
			x1 := math.Pow(10, a+(b-a)*float64(k+1)/bins)
			pts = append(pts, plotter.XY{X: x0, Y: c}, plotter.XY{X: x1, Y: c})
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color, l.Dashes = plotutil.Color(i), plotutil.Dashes(i/len(plotutil.DefaultColors))
		hist.Add(l)
		hist.Legend.Add(label, l)

		tl := make(plotter.XYs, len(r.Timeline))
		for s, n := range r.Timeline {
			tl[s] = plotter.XY{X: float64(s) + 0.5, Y: float64(n)}
		}
		if len(tl) > 1 { // the last second is partial
			tl = tl[:len(tl)-1]
		}
		tl2, err := plotter.NewLine(tl)
		if err != nil {
			return err
		}
		tl2.Color, tl2.Dashes = plotutil.Color(i), plotutil.Dashes(i/len(plotutil.DefaultColors))
		tput.Add(tl2)
		tput.Legend.Add(label, tl2)
	}
	tput.Y.Min = 0

	c, err := draw.NewFormattedCanvas(9*vg.Inch, 9*vg.Inch, format)
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: 4 * vg.Millimeter, PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{{hist}, {tput}}, tiles, draw.New(c))
	hist.Draw(canvases[0][0])
	tput.Draw(canvases[1][0])
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
