package feedback

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

// Reports: the monthly cause review of resolved tickets (by cause, product
// or customer, with the trend per month) and the survey results (by agent,
// team, product or month: average satisfaction, NPS, response rate). Both
// read only what the caller may: tickets through the ticket's visibility;
// surveys through the survey's, narrowed to the caller's team unless they
// keep every survey (service managers, admins) — agents see their team's
// scores, managers all.

// ReportQuery is the parameters of both reports.
type ReportQuery struct {
	From, To string // dates (resolved on / answered on), inclusive
	Group    string
	Kind     string // ticket kind
	TeamID   string
}

// ParseReportQuery checks a report's parameters: dates in any common
// form, a grouping of groups (the first is the default), a known kind, a
// team id.
func ParseReportQuery(get func(string) string, groups []string) (ReportQuery, error) {
	q := ReportQuery{Group: strings.TrimSpace(get("group")), Kind: strings.TrimSpace(get("kind"))}
	var bad []errs.FieldError
	for _, d := range []struct {
		name string
		dst  *string
	}{{"from", &q.From}, {"to", &q.To}} {
		v := strings.TrimSpace(get(d.name))
		if v == "" {
			continue
		}
		day, ok := entity.ParseDate(v)
		if !ok {
			bad = append(bad, errs.FieldError{Field: d.name, Code: "invalid_date"})
			continue
		}
		*d.dst = day
	}
	if q.From != "" && q.To != "" && q.From > q.To {
		bad = append(bad, errs.FieldError{Field: "to", Code: "date_range_reversed"})
	}
	if q.Group == "" {
		q.Group = groups[0]
	} else if !crm.ValidGroup(q.Group, groups) {
		bad = append(bad, errs.FieldError{Field: "group", Code: "invalid_option", Args: map[string]any{"value": q.Group}})
	}
	if q.Kind != "" && !slices.ContainsFunc(crm.TicketKinds, func(o entity.Option) bool { return o.Code == q.Kind }) {
		bad = append(bad, errs.FieldError{Field: "kind", Code: "invalid_option", Args: map[string]any{"value": q.Kind}})
	}
	if v := strings.ToLower(strings.TrimSpace(get("team_id"))); v != "" {
		if !entity.LooksLikeID(v) {
			bad = append(bad, errs.FieldError{Field: "team_id", Code: "invalid_ref"})
		} else {
			q.TeamID = v
		}
	}
	return q, errs.Validation(bad)
}

// CauseRow is one group of the cause review.
type CauseRow struct {
	Key     string         `json:"key"`
	Label   string         `json:"label"`
	Count   int            `json:"count"`
	Share   float64        `json:"share"`
	Months  map[string]int `json:"months"`
	Cause   string         `json:"cause,omitempty"`
	Product string         `json:"product_id,omitempty"`
}

// reportConds are a report's filters: the period on dateField (days in
// the company's time zone, to exclusive of the day after), the ticket kind
// on kindField, and the team.
func (s *Service) reportConds(ctx context.Context, e *entity.Entity, dateField, kindField, fromDay, toDay, kind, teamID string) ([]entity.Cond, error) {
	var conds []entity.Cond
	from, to := s.dayBounds(fromDay, toDay)
	if !from.IsZero() {
		conds = append(conds, entity.Cond{Field: e.Field(dateField), Op: entity.Gte, Values: []any{from}})
	}
	if !to.IsZero() {
		conds = append(conds, entity.Cond{Field: e.Field(dateField), Op: entity.Lt, Values: []any{to}})
	}
	if kind != "" {
		conds = append(conds, entity.Cond{Field: e.Field(kindField), Op: entity.Eq, Values: []any{kind}})
	}
	tc, err := s.teamConds(ctx, e, teamID)
	if err != nil {
		return nil, err
	}
	return append(conds, tc...), nil
}

// CauseReport is the cause review.
type CauseReport struct {
	From   string     `json:"from,omitempty"`
	To     string     `json:"to,omitempty"`
	Group  string     `json:"group"`
	Months []string   `json:"months"`
	Rows   []CauseRow `json:"rows"`
	Total  int        `json:"total"`
	// PerMonth is the total per month (the trend).
	PerMonth map[string]int `json:"per_month"`
}

func (s *Service) teamConds(ctx context.Context, e *entity.Entity, teamID string) ([]entity.Cond, error) {
	if teamID == "" {
		return nil, nil
	}
	teams, err := s.DB.TeamSubtree(ctx, teamID)
	if err != nil {
		return nil, err
	}
	vals := []any{teamID}
	for _, t := range teams {
		if t != teamID {
			vals = append(vals, t)
		}
	}
	return []entity.Cond{{Field: e.Field("team_id"), Op: entity.In, Values: vals}}, nil
}

// dayBounds turns inclusive dates into UTC instants [from, to+1).
func (s *Service) dayBounds(from, to string) (time.Time, time.Time) {
	var a, b time.Time
	if from != "" {
		a, _ = time.ParseInLocation(entity.DateLayout, from, s.R.Loc)
	}
	if to != "" {
		b, _ = time.ParseInLocation(entity.DateLayout, to, s.R.Loc)
		b = b.AddDate(0, 0, 1)
	}
	return a.UTC(), b.UTC()
}

func (s *Service) monthOf(v any) string {
	t := store.ScanTime(v)
	if t.IsZero() {
		return ""
	}
	return t.In(s.R.Loc).Format("2006-01")
}

// CauseReview counts the resolved tickets p may see per cause, product or
// customer and per month of resolution.
func (s *Service) CauseReview(ctx context.Context, p *access.Principal, q ReportQuery) (CauseReport, error) {
	e := s.entity("ticket")
	if p.Perm(e.Name).Read == access.None {
		return CauseReport{}, errs.Denied()
	}
	if q.Group == "" {
		q.Group = "cause"
	}
	rep := CauseReport{From: q.From, To: q.To, Group: q.Group, Rows: []CauseRow{}, Months: []string{}, PerMonth: map[string]int{}}
	col := map[string]string{"cause": "t.cause", "product": "t.product_id", "customer": "t.customer_id"}[q.Group]
	if col == "" {
		return rep, errs.Field("group", "invalid_option")
	}
	conds, err := s.reportConds(ctx, e, "resolved_at", "kind", q.From, q.To, q.Kind, q.TeamID)
	if err != nil {
		return rep, err
	}
	conds = append(conds, entity.Cond{Field: e.Field("resolved_at"), Op: entity.Empty, Values: []any{false}})
	var a store.Args
	where, err := s.DB.ListSQL(e, entity.Query{Conds: conds}, s.R.ReadPred(e, p), &a)
	if err != nil {
		return rep, err
	}
	rows, err := s.DB.R().QueryContext(ctx, fmt.Sprintf(`SELECT %s, t.resolved_at FROM tickets t WHERE %s`, col, where), a.V...)
	if err != nil {
		return rep, fmt.Errorf("feedback: cause review: %w", err)
	}
	defer rows.Close()
	byKey := map[string]*CauseRow{}
	months := map[string]bool{}
	for rows.Next() {
		var key sql.NullString
		var at any
		if err := rows.Scan(&key, &at); err != nil {
			return rep, err
		}
		m := s.monthOf(at)
		r := byKey[key.String]
		if r == nil {
			r = &CauseRow{Key: key.String, Months: map[string]int{}}
			byKey[key.String] = r
		}
		r.Count++
		r.Months[m]++
		rep.PerMonth[m]++
		months[m] = true
		rep.Total++
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	for m := range months {
		rep.Months = append(rep.Months, m)
	}
	slices.Sort(rep.Months)
	for _, r := range byKey {
		r.Share = crm.Percent(r.Count, rep.Total)
		switch q.Group {
		case "cause":
			r.Cause = r.Key
		case "product":
			r.Product = r.Key
		}
		rep.Rows = append(rep.Rows, *r)
	}
	if err := s.labels(ctx, q.Group, func(i int) *string { return &rep.Rows[i].Key }, func(i int) *string { return &rep.Rows[i].Label }, len(rep.Rows)); err != nil {
		return rep, err
	}
	slices.SortStableFunc(rep.Rows, func(a, b CauseRow) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Label, b.Label)
	})
	return rep, nil
}

// labels names report groups: causes by their picklist label, products,
// customers, users and teams by name.
func (s *Service) labels(ctx context.Context, group string, key func(int) *string, label func(int) *string, n int) error {
	ent, field := map[string]string{"product": "product", "customer": "customer", "agent": "user", "team": "team"}[group], "name"
	if group == "cause" || group == "month" {
		for i := 0; i < n; i++ {
			*label(i) = *key(i)
		}
		return nil
	}
	var ids []string
	for i := 0; i < n; i++ {
		if k := *key(i); k != "" {
			ids = append(ids, k)
		}
	}
	recs, err := s.DB.GetMany(ctx, s.DB.R(), s.entity(ent), ids, nil)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if r, ok := recs[*key(i)]; ok {
			*label(i) = r.Str(field)
		}
	}
	return nil
}

// CauseTickets are the ids of the resolved tickets p may see behind one
// row of the cause review (to link them to an improvement item), at most
// MaxLinkedTickets.
func (s *Service) CauseTickets(ctx context.Context, p *access.Principal, q ReportQuery, cause, productID, customerID string) ([]string, error) {
	e := s.entity("ticket")
	conds, err := s.reportConds(ctx, e, "resolved_at", "kind", q.From, q.To, q.Kind, q.TeamID)
	if err != nil {
		return nil, err
	}
	conds = append(conds, entity.Cond{Field: e.Field("resolved_at"), Op: entity.Empty, Values: []any{false}})
	for f, v := range map[string]string{"cause": cause, "product_id": productID, "customer_id": customerID} {
		if v != "" {
			conds = append(conds, entity.Cond{Field: e.Field(f), Op: entity.Eq, Values: []any{v}})
		}
	}
	var a store.Args
	where, err := s.DB.ListSQL(e, entity.Query{Conds: conds}, s.R.ReadPred(e, p), &a)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.R().QueryContext(ctx, fmt.Sprintf(`SELECT t.id FROM tickets t WHERE %s ORDER BY t.resolved_at DESC LIMIT %d`, where, MaxLinkedTickets), a.V...)
	if err != nil {
		return nil, fmt.Errorf("feedback: cause tickets: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SurveyRow is one group of the survey results.
type SurveyRow struct {
	Key             string  `json:"key"`
	Label           string  `json:"label"`
	Surveys         int     `json:"surveys"`
	Sent            int     `json:"sent"`
	Answered        int     `json:"answered"`
	ResponseRate    float64 `json:"response_rate"`
	AvgSatisfaction float64 `json:"avg_satisfaction"`
	Promoters       int     `json:"promoters"`
	Passives        int     `json:"passives"`
	Detractors      int     `json:"detractors"`
	NPS             float64 `json:"nps"`
	Low             int     `json:"low_scores"`
	sum             int
}

// SurveyReport is the survey results.
type SurveyReport struct {
	From  string      `json:"from,omitempty"`
	To    string      `json:"to,omitempty"`
	Group string      `json:"group"`
	Scope string      `json:"scope"` // all, team, own: what the caller's rows cover
	Rows  []SurveyRow `json:"rows"`
	Total SurveyRow   `json:"total"`
}

// SurveyScope is how far p sees survey results: all for who keeps every
// survey (service managers, admins), else no more than their team.
func SurveyScope(p *access.Principal) access.Scope {
	perm := p.Perm("survey")
	if perm.Write == access.All || perm.Read <= access.Team {
		return perm.Read
	}
	return access.Team
}

func (r *SurveyRow) add(status string, sat, nps sql.NullInt64) {
	r.Surveys++
	if status != crm.SurveyPending {
		r.Sent++
	}
	if status == crm.SurveyAnswered && sat.Valid {
		r.Answered++
		r.sum += int(sat.Int64)
		if crm.NeedsRecovery(int(sat.Int64)) {
			r.Low++
		}
		switch crm.NPSBucket(int(nps.Int64)) {
		case "promoter":
			r.Promoters++
		case "passive":
			r.Passives++
		default:
			r.Detractors++
		}
	}
}

func (r *SurveyRow) finish() {
	r.ResponseRate = crm.Percent(r.Answered, r.Sent)
	if r.Answered > 0 {
		r.AvgSatisfaction = float64(int64(float64(r.sum)*100/float64(r.Answered)+0.5)) / 100
	}
	r.NPS = crm.NPS(r.Promoters, r.Detractors, r.Answered)
}

// SurveyResults sums the surveys created in the period (by the date the
// ticket was resolved) per agent, team, product or month.
func (s *Service) SurveyResults(ctx context.Context, p *access.Principal, q ReportQuery) (SurveyReport, error) {
	e := s.entity("survey")
	scope := SurveyScope(p)
	if scope == access.None {
		return SurveyReport{}, errs.Denied()
	}
	if q.Group == "" {
		q.Group = "agent"
	}
	rep := SurveyReport{From: q.From, To: q.To, Group: q.Group, Rows: []SurveyRow{}, Scope: map[access.Scope]string{access.Own: "own", access.Team: "team", access.All: "all"}[scope]}
	col := map[string]string{"agent": "t.owner_id", "team": "t.team_id", "product": "t.product_id", "month": "t.created_at"}[q.Group]
	if col == "" {
		return rep, errs.Field("group", "invalid_option")
	}
	conds, err := s.reportConds(ctx, e, "created_at", "ticket_kind", q.From, q.To, q.Kind, q.TeamID)
	if err != nil {
		return rep, err
	}
	var a store.Args
	where, err := s.DB.ListSQL(e, entity.Query{Conds: conds}, s.DB.Visible(e, p, scope), &a)
	if err != nil {
		return rep, err
	}
	rows, err := s.DB.R().QueryContext(ctx, fmt.Sprintf(`SELECT %s, t.status, t.satisfaction, t.nps FROM surveys t WHERE %s`, col, where), a.V...)
	if err != nil {
		return rep, fmt.Errorf("feedback: survey results: %w", err)
	}
	defer rows.Close()
	byKey := map[string]*SurveyRow{}
	for rows.Next() {
		var key sql.NullString
		var month any
		var status string
		var sat, nps sql.NullInt64
		dst := any(&key)
		if q.Group == "month" {
			dst = &month
		}
		if err := rows.Scan(dst, &status, &sat, &nps); err != nil {
			return rep, err
		}
		k := key.String
		if q.Group == "month" {
			k = s.monthOf(month)
		}
		r := byKey[k]
		if r == nil {
			r = &SurveyRow{Key: k}
			byKey[k] = r
		}
		r.add(status, sat, nps)
		rep.Total.add(status, sat, nps)
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	for _, r := range byKey {
		r.finish()
		rep.Rows = append(rep.Rows, *r)
	}
	rep.Total.finish()
	if err := s.labels(ctx, q.Group, func(i int) *string { return &rep.Rows[i].Key }, func(i int) *string { return &rep.Rows[i].Label }, len(rep.Rows)); err != nil {
		return rep, err
	}
	slices.SortStableFunc(rep.Rows, func(a, b SurveyRow) int {
		if q.Group == "month" {
			return strings.Compare(a.Key, b.Key)
		}
		if a.Answered != b.Answered {
			return b.Answered - a.Answered
		}
		return strings.Compare(a.Label, b.Label)
	})
	return rep, nil
}

// WriteCauseReview writes the cause review as CSV or XLSX (group, count,
// share, then one column per month) and audits the export.
func (s *Service) WriteCauseReview(ctx context.Context, p *access.Principal, rep CauseReport, label func(CauseRow) string, format sheet.Format, lang i18n.Lang, w io.Writer) error {
	if !p.Perm("ticket").Export {
		return errs.Denied()
	}
	sw, err := sheet.NewWriter(format, w, i18n.Msg(lang, "fb.cause.sheet"))
	if err != nil {
		return err
	}
	header := []string{i18n.Msg(lang, "fb.group."+rep.Group), i18n.Msg(lang, "fb.cause.col.count"), i18n.Msg(lang, "fb.cause.col.share")}
	header = append(header, rep.Months...)
	if err := sw.Row(header); err != nil {
		return err
	}
	for _, r := range rep.Rows {
		line := []string{label(r), strconv.Itoa(r.Count), strconv.FormatFloat(r.Share, 'f', 1, 64) + "%"}
		for _, m := range rep.Months {
			line = append(line, strconv.Itoa(r.Months[m]))
		}
		if err := sw.Row(line); err != nil {
			return err
		}
	}
	total := []string{i18n.Msg(lang, "fb.total"), strconv.Itoa(rep.Total), "100%"}
	for _, m := range rep.Months {
		total = append(total, strconv.Itoa(rep.PerMonth[m]))
	}
	if err := sw.Row(total); err != nil {
		return err
	}
	if err := sw.Close(); err != nil {
		return err
	}
	return s.DB.Audit(context.WithoutCancel(ctx), s.DB.W(), store.AuditEntry{ActorID: p.UserID, Entity: "ticket", RecordID: "-", Action: "export",
		Changes: map[string]store.Change{"report": {New: "ticket_causes"}, "rows": {New: len(rep.Rows)}, "format": {New: string(format)},
			"from": {New: rep.From}, "to": {New: rep.To}, "group": {New: rep.Group}}, RequestID: records.RequestID(ctx)})
}

// WriteSurveyResults writes the survey results as CSV or XLSX and audits
// the export.
func (s *Service) WriteSurveyResults(ctx context.Context, p *access.Principal, rep SurveyReport, label func(SurveyRow) string, format sheet.Format, lang i18n.Lang, w io.Writer) error {
	if !p.Perm("survey").Export {
		return errs.Denied()
	}
	sw, err := sheet.NewWriter(format, w, i18n.Msg(lang, "fb.survey.sheet"))
	if err != nil {
		return err
	}
	header := []string{i18n.Msg(lang, "fb.group."+rep.Group)}
	for _, k := range SurveyColumns {
		header = append(header, i18n.Msg(lang, "fb.survey.col."+k))
	}
	if err := sw.Row(header); err != nil {
		return err
	}
	for _, r := range rep.Rows {
		if err := sw.Row(append([]string{label(r)}, SurveyCells(r)...)); err != nil {
			return err
		}
	}
	if err := sw.Row(append([]string{i18n.Msg(lang, "fb.total")}, SurveyCells(rep.Total)...)); err != nil {
		return err
	}
	if err := sw.Close(); err != nil {
		return err
	}
	return s.DB.Audit(context.WithoutCancel(ctx), s.DB.W(), store.AuditEntry{ActorID: p.UserID, Entity: "survey", RecordID: "-", Action: "export",
		Changes: map[string]store.Change{"report": {New: "survey_results"}, "rows": {New: len(rep.Rows)}, "format": {New: string(format)},
			"from": {New: rep.From}, "to": {New: rep.To}, "group": {New: rep.Group}}, RequestID: records.RequestID(ctx)})
}

// SurveyColumns name the columns of the survey results (catalogue keys
// fb.survey.col.<name>).
var SurveyColumns = []string{"surveys", "sent", "answered", "response_rate", "avg", "nps", "promoters", "detractors", "low"}

// SurveyCells are a row's values in SurveyColumns order.
func SurveyCells(r SurveyRow) []string {
	f1 := func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
	return []string{strconv.Itoa(r.Surveys), strconv.Itoa(r.Sent), strconv.Itoa(r.Answered), f1(r.ResponseRate) + "%",
		strconv.FormatFloat(r.AvgSatisfaction, 'f', 2, 64), f1(r.NPS), strconv.Itoa(r.Promoters), strconv.Itoa(r.Detractors), strconv.Itoa(r.Low)}
}
