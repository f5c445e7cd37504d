package plot

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"sort"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/snnc/snnc/emulator"
)

// Options size a figure.
type Options struct {
	Width       vg.Length // whole figure; default 8 inches
	PanelHeight vg.Length // per stream or probe; default 2.5 inches
	MaxLines    int       // probe series drawn per probe (first flat indices); default 8
	DPI         int       // default 96
}

func (o Options) withDefaults() Options {
	if o.Width <= 0 {
		o.Width = 8 * vg.Inch
	}
	if o.PanelHeight <= 0 {
		o.PanelHeight = 2.5 * vg.Inch
	}
	if o.MaxLines <= 0 {
		o.MaxLines = 8
	}
	if o.DPI <= 0 {
		o.DPI = 96
	}
	return o
}

// palette is a fixed colour cycle (Okabe–Ito, readable by colour-blind viewers).
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255}, color.RGBA{213, 94, 0, 255}, color.RGBA{0, 158, 115, 255},
	color.RGBA{204, 121, 167, 255}, color.RGBA{230, 159, 0, 255}, color.RGBA{86, 180, 233, 255},
	color.RGBA{240, 228, 66, 255}, color.RGBA{0, 0, 0, 255},
}

// Trace writes a PNG with one spike raster per stream (x: step, y: flat neuron index)
// and one line panel per probe (up to MaxLines neurons each), stacked vertically.
func Trace(w io.Writer, tr *emulator.Trace, opt Options) error {
	opt = opt.withDefaults()
	var plots []*gplot.Plot
	names := make([]string, 0, len(tr.Streams))
	for n := range tr.Streams {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		p, err := raster(n, tr.Streams[n], tr.Steps, palette[i%len(palette)])
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}
	for _, pd := range tr.Probes {
		p, err := probe(pd, opt.MaxLines)
		if err != nil {
			return err
		}
		plots = append(plots, p)
	}
	if len(plots) == 0 {
		return fmt.Errorf("%w: the trace has no streams and no probes", ErrEmpty)
	}
	rows := make([][]*gplot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*gplot.Plot{p}
	}
	img := vgimg.NewWith(vgimg.UseWH(opt.Width, opt.PanelHeight*vg.Length(len(plots))), vgimg.UseDPI(opt.DPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadX: vg.Millimeter, PadY: 2 * vg.Millimeter,
		PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: 2 * vg.Millimeter}
	cs := gplot.Align(rows, tiles, dc)
	for i, p := range plots {
		p.Draw(cs[i][0])
	}
	_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}

func raster(name string, s *emulator.Stream, steps int, c color.Color) (*gplot.Plot, error) {
	p := gplot.New()
	n := 1
	for _, d := range s.Shape {
		n *= d
	}
	p.Title.Text = fmt.Sprintf("stream %s: %d spikes, %d neurons", name, s.Len(), n)
	p.X.Label.Text = "step"
	p.Y.Label.Text = "neuron"
	p.X.Min, p.X.Max = -0.5, float64(max(steps, 1))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(max(n, 1))-0.5
	if s.Len() == 0 {
		return p, nil
	}
	xy := make(plotter.XYs, 0, s.Len())
	for k, t := range s.Times {
		if k < len(s.Indices) {
			xy = append(xy, plotter.XY{X: float64(t), Y: float64(s.Indices[k])})
		}
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	sc.GlyphStyle.Shape = draw.BoxGlyph{}
	sc.GlyphStyle.Color = c
	sc.GlyphStyle.Radius = rasterRadius(steps, n)
	p.Add(sc)
	return p, nil
}

// rasterRadius makes a spike mark about one step wide on a typical figure.
func rasterRadius(steps, n int) vg.Length {
	r := vg.Length(250.0 / math.Max(float64(steps), float64(n)))
	return vg.Length(math.Max(0.6, math.Min(float64(r), 3)))
}

func probe(pd *emulator.ProbeData, maxLines int) (*gplot.Plot, error) {
	p := gplot.New()
	n := 1
	for _, d := range pd.Shape {
		n *= d
	}
	lines := min(n, maxLines)
	p.Title.Text = fmt.Sprintf("probe %s (%s)", pd.Name, pd.DType)
	if lines < n {
		p.Title.Text += fmt.Sprintf(": neurons 0..%d of %d", lines-1, n)
	}
	p.X.Label.Text = "step"
	p.Legend.Top = true
	for i := 0; i < lines; i++ {
		xy := make(plotter.XYs, 0, len(pd.Data))
		for t, row := range pd.Data {
			if i < len(row) && !math.IsNaN(row[i]) && !math.IsInf(row[i], 0) {
				xy = append(xy, plotter.XY{X: float64(t), Y: row[i]})
			}
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("probe %s: %w", pd.Name, err)
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1)
		p.Add(l)
		if lines <= 8 {
			p.Legend.Add(fmt.Sprint(i), l)
		}
	}
	return p, nil
}

// Bar is one core's or tile's use of a resource.
type Bar struct {
	Name  string
	Used  float64
	Limit float64 // > 0
}

// Bars writes a PNG bar chart of Used/Limit in percent, one bar per entry, with bars over
// 100 % in a warning colour and a dashed line at 100 %.
func Bars(w io.Writer, title string, bars []Bar, opt Options) error {
	opt = opt.withDefaults()
	if len(bars) == 0 {
		return fmt.Errorf("%w: no cores or tiles", ErrEmpty)
	}
	ok := make(plotter.Values, len(bars))
	over := make(plotter.Values, len(bars))
	names := make([]string, len(bars))
	top := 100.0
	for i, b := range bars {
		if !(b.Limit > 0) || math.IsNaN(b.Used) || math.IsInf(b.Used, 0) {
			return fmt.Errorf("bar %q: used %v of limit %v", b.Name, b.Used, b.Limit)
		}
		pct := 100 * b.Used / b.Limit
		if pct > 100 {
			over[i] = pct
		} else {
			ok[i] = pct
		}
		top = math.Max(top, pct)
		names[i] = b.Name
	}
	p := gplot.New()
	p.Title.Text = title
	p.Y.Label.Text = "utilization (%)"
	p.Y.Min, p.Y.Max = 0, top*1.08
	width := vg.Length(math.Max(2, math.Min(40, float64(opt.Width)*0.7/float64(len(bars)))))
	for _, v := range []struct {
		vals plotter.Values
		c    color.Color
	}{{ok, palette[0]}, {over, palette[1]}} {
		bc, err := plotter.NewBarChart(v.vals, width)
		if err != nil {
			return err
		}
		bc.Color = v.c
		bc.LineStyle.Width = 0
		p.Add(bc)
	}
	if len(bars) <= 32 {
		lab := plotter.XYLabels{}
		for i, b := range bars {
			pct := 100 * b.Used / b.Limit
			lab.XYs = append(lab.XYs, plotter.XY{X: float64(i), Y: pct + top*0.01})
			lab.Labels = append(lab.Labels, fmt.Sprintf("%.3g%%", pct))
		}
		labels, err := plotter.NewLabels(lab)
		if err != nil {
			return err
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].XAlign = draw.XCenter
		}
		p.Add(labels)
	}
	limit, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 100}, {X: float64(len(bars)) - 0.5, Y: 100}})
	if err != nil {
		return err
	}
	limit.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	limit.Color = color.Gray{Y: 90}
	p.Add(limit)
	if len(bars) <= 64 {
		p.NominalX(names...)
		if len(bars) > 12 {
			p.X.Tick.Label.Rotation = math.Pi / 2
			p.X.Tick.Label.XAlign = draw.XRight
			p.X.Tick.Label.YAlign = draw.YCenter
		}
	} else {
		p.X.Label.Text = fmt.Sprintf("%d cores/tiles in order", len(bars))
	}
	img := vgimg.NewWith(vgimg.UseWH(opt.Width, 4*vg.Inch), vgimg.UseDPI(opt.DPI), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(img))
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
}
