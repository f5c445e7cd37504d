package targets

import (
	"fmt"
	"io"
	"strings"
)

// Report is a compile or inspect report: tables for people, Data for --json.
type Report struct {
	Target   string
	Warnings []string
	Tables   []Table
	// Data holds machine-readable figures (encoded under "data" by --json).
	Data map[string]any
}

// Table is a titled table of strings.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
}

// Warnf adds a warning.
func (r *Report) Warnf(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// Set stores a machine-readable figure.
func (r *Report) Set(key string, v any) {
	if r.Data == nil {
		r.Data = map[string]any{}
	}
	r.Data[key] = v
}

// Write prints the report as aligned text tables.
func (r *Report) Write(w io.Writer) {
	if r == nil {
		return
	}
	for _, t := range r.Tables {
		WriteTable(w, t)
		fmt.Fprintln(w)
	}
	for _, s := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
}

// WriteTable prints one table with aligned columns.
func WriteTable(w io.Writer, t Table) {
	if t.Title != "" {
		fmt.Fprintf(w, "%s\n", t.Title)
	}
	width := make([]int, len(t.Header))
	for i, h := range t.Header {
		width[i] = len(h)
	}
	for _, row := range t.Rows {
		for i, c := range row {
			if i < len(width) {
				width[i] = max(width[i], len(c))
			}
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			if i < len(width) {
				fmt.Fprintf(&b, "%-*s", width[i], c)
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.Header)
	for _, row := range t.Rows {
		line(row)
	}
}
