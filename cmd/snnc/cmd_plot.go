package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot/vg"

	"github.com/snnc/snnc/emulator"
	"github.com/snnc/snnc/plot"
	"github.com/snnc/snnc/targets"
)

func init() {
	addCommand(newPlotCmd)
	plotUtilization = func(r *targets.Report, path string) error {
		bars, err := utilizationBars(r)
		if err != nil {
			return fmt.Errorf("--plot: %w", err)
		}
		return atomicWrite(path, nil, func(w io.Writer) error {
			return plot.Bars(w, r.Target+": utilization per core/tile", bars, plot.Options{})
		})
	}
}

func newPlotCmd() *cobra.Command {
	var out string
	var lines int
	var width float64
	cmd := &cobra.Command{
		Use:   "plot TRACE -o raster.png",
		Short: "Draw a trace as a PNG: a spike raster per output stream, probes as lines",
		Example: `  snnc run net.img --input stim.json --probe lif1.v -o trace.json
  snnc plot trace.json -o raster.png
  snnc plot trace.json -o raster.png --lines 16 --width 12`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" || out == "-" {
				return usagef("plot needs -o FILE.png")
			}
			b, err := readCapped(args[0])
			if err != nil {
				return err
			}
			tr, err := emulator.ReadTrace(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			opt := plot.Options{MaxLines: lines}
			if width > 0 {
				opt.Width = vg.Length(width) * vg.Inch
			}
			if err := atomicWrite(out, nil, func(w io.Writer) error { return plot.Trace(w, tr, opt) }); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d streams, %d probes, %d steps)\n", out, len(tr.Streams), len(tr.Probes), tr.Steps)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "PNG file to write")
	cmd.Flags().IntVar(&lines, "lines", 8, "neurons drawn per probe (the first flat indices)")
	cmd.Flags().Float64Var(&width, "width", 0, "figure width in inches (default 8)")
	return cmd
}

// utilizationBars finds per-core/tile utilization in a report: Data["utilization"] as a
// list of {name, used, limit} objects if the target provides it, otherwise every table
// with a column whose header contains "util" and cells like "12.5%" or "3/128" (one bar
// per row, named by the row's first cells).
func utilizationBars(r *targets.Report) ([]plot.Bar, error) {
	if r == nil {
		return nil, fmt.Errorf("image has no report")
	}
	if raw, ok := r.Data["utilization"]; ok {
		b, err := json.Marshal(raw)
		if err == nil {
			var items []struct {
				Name  string  `json:"name"`
				Used  float64 `json:"used"`
				Limit float64 `json:"limit"`
			}
			if json.Unmarshal(b, &items) == nil && len(items) > 0 {
				bars := make([]plot.Bar, len(items))
				for i, it := range items {
					bars[i] = plot.Bar{Name: it.Name, Used: it.Used, Limit: it.Limit}
				}
				return bars, nil
			}
		}
	}
	var bars []plot.Bar
	for _, t := range r.Tables {
		col := -1
		for i, h := range t.Header {
			if strings.Contains(strings.ToLower(h), "util") {
				col = i
				break
			}
		}
		if col < 0 {
			continue
		}
		for _, row := range t.Rows {
			if col >= len(row) {
				continue
			}
			used, limit, ok := parseShare(row[col])
			if !ok {
				continue
			}
			name := ""
			for i := 0; i < len(row) && i < 2 && i < col; i++ {
				if i > 0 {
					name += " "
				}
				name += t.Header[i] + " " + row[i]
			}
			if len(row) > 3 && col > 3 && strings.Contains(strings.ToLower(strings.Join(t.Header, " ")), "population") {
				for i, h := range t.Header {
					if h == "population" && i < len(row) {
						name += " (" + row[i] + ")"
					}
				}
			}
			bars = append(bars, plot.Bar{Name: strings.TrimSpace(name), Used: used, Limit: limit})
		}
	}
	if len(bars) == 0 {
		return nil, fmt.Errorf("the %s report has no utilization figures (no Data[\"utilization\"], no table column named *util*)", r.Target)
	}
	return bars, nil
}

// parseShare reads "12.5%", "3/128" or a bare fraction "0.4".
func parseShare(s string) (used, limit float64, ok bool) {
	s = strings.TrimSpace(s)
	if p, found := strings.CutSuffix(s, "%"); found {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		return v, 100, err == nil
	}
	if a, b, found := strings.Cut(s, "/"); found {
		u, e1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		l, e2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		return u, l, e1 == nil && e2 == nil && l > 0
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, 1, err == nil && v >= 0 && v <= 10
}
