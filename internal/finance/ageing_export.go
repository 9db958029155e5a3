package finance

import (
	"context"
	"fmt"
	"io"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

// AgeingHeader is the header of the receivables table in lang.
func AgeingHeader(group string, lang i18n.Lang) []string {
	first := map[string]string{GroupCustomer: "fin.col.customer", GroupOwner: "fin.col.owner", GroupTeam: "fin.col.team"}[group]
	out := []string{i18n.Msg(lang, first), i18n.Msg(lang, "fin.col.currency")}
	for _, b := range crm.AgeBands {
		out = append(out, b.Label.In(lang))
	}
	for _, k := range []string{"fin.col.due", "fin.col.overdue", "fin.col.outstanding", "fin.col.overdue_count"} {
		out = append(out, i18n.Msg(lang, k))
	}
	return out
}

// AgeingCells is one row of the table as text: money in yuan with two
// decimals and no separators, so spreadsheets read numbers.
func AgeingCells(r AgeingRow, lang i18n.Lang) []string {
	name := r.Name
	if name == "" {
		name = i18n.Msg(lang, "fin.unassigned")
	}
	out := []string{name, r.Currency}
	for _, v := range r.Bands() {
		out = append(out, Yuan(v))
	}
	return append(out, Yuan(r.Due), Yuan(r.Overdue), Yuan(r.Outstanding), fmt.Sprint(r.OverdueCount))
}

// Yuan writes minor units as a plain decimal (1234.50).
func Yuan(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

// ExportAgeing writes the whole receivables table (every row, then a
// total per currency) as CSV or XLSX for p, who needs the export right on
// instalments; the export is audited.
func (s *Service) ExportAgeing(ctx context.Context, p *access.Principal, f AgeingFilter, format sheet.Format, lang i18n.Lang, w io.Writer) error {
	perm := p.Perm("payment_instalment")
	if perm.Read == access.None || !perm.Export {
		return errs.Denied()
	}
	if format != sheet.CSV && format != sheet.XLSX {
		return errs.Validation([]errs.FieldError{{Field: "format", Code: "invalid_option", Args: map[string]any{"value": string(format)}}})
	}
	f.Limit = -1
	a, err := s.Ageing(ctx, p, f)
	if err != nil {
		return err
	}
	sw, err := sheet.NewWriter(format, w, i18n.Msg(lang, "fin.sheet", "date", a.AsOf))
	if err != nil {
		return err
	}
	rows := [][]string{AgeingHeader(a.Group, lang)}
	for _, r := range a.Rows {
		rows = append(rows, AgeingCells(r, lang))
	}
	for _, t := range a.Totals {
		t.Name = i18n.Msg(lang, "fin.total")
		rows = append(rows, AgeingCells(t, lang))
	}
	for _, r := range rows {
		if err := sw.Row(r); err != nil {
			return err
		}
	}
	if err := sw.Close(); err != nil {
		return err
	}
	return s.DB.Audit(context.WithoutCancel(ctx), s.DB.W(), store.AuditEntry{ActorID: p.UserID, Entity: "payment_instalment", RecordID: "-", Action: "export",
		Changes: map[string]store.Change{"report": {New: "receivables_ageing"}, "rows": {New: len(a.Rows)}, "format": {New: string(format)},
			"as_of": {New: a.AsOf}, "group": {New: a.Group}}, RequestID: records.RequestID(ctx)})
}
