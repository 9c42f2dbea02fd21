package orch

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// WriteFiles writes results.csv and chart.svg into dir.
func WriteFiles(dir string, rs Results, systems []System, p Plan, info *Info) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(dir, "results.csv"), rs, systems); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "chart.svg"), []byte(Chart(rs, systems, info)), 0o644)
}

func writeCSV(path string, rs Results, systems []System) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Write([]string{"system", "family", "transport", "scenario", "payload_bytes", "metric", "median", "runs", "values", "samples", "dropped", "error"})
	bySystem := map[string]System{}
	for _, s := range systems {
		bySystem[s.Name] = s
	}
	for _, r := range rs {
		s := bySystem[r.System]
		vals := make([]string, len(r.Values))
		for i, v := range r.Values {
			vals[i] = strconv.FormatFloat(v, 'g', 6, 64)
		}
		samples := make([]string, len(r.Samples))
		for i, n := range r.Samples {
			samples[i] = strconv.Itoa(n)
		}
		med := ""
		if len(r.Values) > 0 {
			med = strconv.FormatFloat(r.Median(), 'g', 6, 64)
		}
		w.Write([]string{r.System, s.Family, s.Transport, r.Scenario, strconv.Itoa(r.Payload), r.Metric, med,
			strconv.Itoa(len(r.Values)), strings.Join(vals, ";"), strings.Join(samples, ";"),
			strconv.FormatUint(r.Dropped, 10), r.Err})
	}
	w.Flush()
	return w.Error()
}

// Doc markers: WriteDoc replaces what is between them and keeps the rest
// of the file (the analysis written by hand).
const (
	docBegin = "<!-- bench:begin (written by `cd bench && go run ./cmd/bench`; edits here are lost) -->"
	docEnd   = "<!-- bench:end -->"
)

// WriteDoc rewrites the bench section of a Markdown file, creating the
// file if needed.
func WriteDoc(path string, rs Results, systems []System, p Plan, info *Info) error {
	section := docBegin + "\n" + DocSection(rs, systems, p, info) + docEnd
	old, err := os.ReadFile(path)
	var doc string
	switch {
	case os.IsNotExist(err):
		doc = "# Performance\n\n" + section + "\n"
	case err != nil:
		return err
	default:
		s := string(old)
		i, j := strings.Index(s, docBegin), strings.Index(s, docEnd)
		if i < 0 || j < i {
			return fmt.Errorf("%s has no bench markers; add %q and %q where the results go", path, docBegin, docEnd)
		}
		doc = s[:i] + section + s[j+len(docEnd):]
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
