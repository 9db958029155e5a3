package presales

import (
	"fmt"
	"io"
	"strconv"

	"closeloop/internal/i18n"
	"closeloop/internal/sheet"
)

// SummaryHeader is the header row of the summary table in lang.
func SummaryHeader(group string, lang i18n.Lang) []string {
	first := "psum.col.engineer"
	if group == GroupTeam {
		first = "psum.col.team"
	}
	keys := []string{first, "psum.col.requests", "psum.col.hours", "psum.col.closed", "psum.col.won", "psum.col.lost",
		"psum.col.stopped", "psum.col.merged", "psum.col.scores", "psum.col.avg_score", "psum.col.won_value"}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = i18n.Msg(lang, k)
	}
	return out
}

// SummaryCells is one row of the summary table as text (numbers plain, so
// spreadsheets read them as numbers; money in yuan with two decimals).
func SummaryCells(r SummaryRow, group string, lang i18n.Lang) []string {
	name := r.Name
	if name == "" {
		name = i18n.Msg(lang, "psum.no_team")
		if group == GroupEngineer {
			name = r.Key
		}
	}
	avg := ""
	if r.Scores > 0 {
		avg = strconv.FormatFloat(r.AvgScore, 'f', 2, 64)
	}
	return []string{name, strconv.Itoa(r.Requests), strconv.FormatFloat(r.Hours, 'f', -1, 64), strconv.Itoa(r.Closed),
		strconv.Itoa(r.Won), strconv.Itoa(r.Lost), strconv.Itoa(r.Stopped), strconv.Itoa(r.Merged), strconv.Itoa(r.Scores), avg, yuan(r.WonValue)}
}

func yuan(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

// WriteSummary writes the summary as CSV or XLSX: a row per engineer or
// team and the total.
func WriteSummary(w io.Writer, format sheet.Format, sum Summary, lang i18n.Lang) error {
	sw, err := sheet.NewWriter(format, w, i18n.Msg(lang, "psum.sheet", "month", sum.Month))
	if err != nil {
		return fmt.Errorf("presales: summary sheet: %w", err)
	}
	rows := [][]string{SummaryHeader(sum.Group, lang)}
	for _, r := range sum.Rows {
		rows = append(rows, SummaryCells(r, sum.Group, lang))
	}
	total := SummaryCells(sum.Total, sum.Group, lang)
	total[0] = i18n.Msg(lang, "psum.total")
	rows = append(rows, total)
	for _, r := range rows {
		if err := sw.Row(r); err != nil {
			return fmt.Errorf("presales: summary row: %w", err)
		}
	}
	if err := sw.Close(); err != nil {
		return fmt.Errorf("presales: summary sheet: %w", err)
	}
	return nil
}
