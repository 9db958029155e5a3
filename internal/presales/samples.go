package presales

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

// Samples and trials (送样、试样, seed 003 第五阶段): a sample is sent with
// its documents, then followed through small trial → pilot (中试) →
// regular purchase, each step with its date and result, or marked failed
// with a reason. The stage moves only through AdvanceSample; every step is
// a line in the customer report.

func (s *Service) registerSamples() {
	s.R.On("sample", records.Hooks{Prepare: s.prepareSample, After: s.afterSample})
}

// opportunityCustomer keeps a record's customer equal to its
// opportunity's: it fills customer_id from the opportunity when empty (or
// always, when force is set: the field is the system's), and refuses a
// customer that differs. An opportunity the user cannot see is left to
// the reference check, which refuses it without telling more.
func (s *Service) opportunityCustomer(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, force bool) error {
	oppID := rec.Str("opportunity_id")
	if oppID == "" || !entity.LooksLikeID(oppID) {
		return nil
	}
	oe := s.R.Schema().Entity("opportunity")
	opp, err := s.DB.Get(ctx, tx, oe, oppID, s.R.ReadPred(oe, p), false)
	if errs.KindOf(err) == errs.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	cust := opp.Str("customer_id")
	switch {
	case force || rec.Str("customer_id") == "":
		rec["customer_id"] = entity.NilIfEmpty(cust)
	case rec.Str("customer_id") != cust:
		return errs.Field("customer_id", "customer_not_of_opportunity")
	}
	return nil
}

func (s *Service) prepareSample(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec["deleted_at"] != nil {
		return nil
	}
	rec["product"] = strings.TrimSpace(rec.Str("product"))
	if old == nil && !records.IsProcess(ctx) {
		rec["stage"] = crm.SampleSent // a new sample starts its trial
	}
	if err := s.opportunityCustomer(ctx, tx, p, rec, false); err != nil {
		return err
	}
	// The send date cannot move after a step that followed it.
	if old != nil && rec.Str("sent_on") != old.Str("sent_on") {
		first := ""
		for _, st := range crm.SampleTrialPath()[1:] {
			on, _ := crm.SampleStepFields(st)
			if d := rec.Str(on); d != "" && (first == "" || d < first) {
				first = d
			}
		}
		if d := rec.Str("failed_on"); d != "" && (first == "" || d < first) {
			first = d
		}
		if first != "" && rec.Str("sent_on") > first {
			return errs.Validation([]errs.FieldError{{Field: "sent_on", Code: "sample_sent_after_step", Args: map[string]any{"date": first}}})
		}
	}
	return nil
}

// afterSample writes the customer report: the sending, then each step.
func (s *Service) afterSample(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	ev := store.Event{CustomerID: rec.Str("customer_id"), ActorID: p.UserID, Entity: "sample", RecordID: rec.ID(),
		Data: map[string]any{"title": rec.Str("product")}}
	switch {
	case ch.Action == records.Create:
		ev.Kind = "sample_sent"
		ev.Data["on"] = rec.Str("sent_on")
		ev.Data["quantity"] = sampleQuantity(rec)
	case ch.Action == records.Update && ch.Has("stage"):
		stage := rec.Str("stage")
		on, res := crm.SampleStepFields(stage)
		ev.Kind = "sample_" + stage
		ev.Data["on"] = rec.Str(on)
		ev.Data["note"] = rec.Str(res)
	default:
		return nil
	}
	if ev.CustomerID == "" {
		return nil
	}
	return s.DB.AddEvent(ctx, tx, ev)
}

// sampleQuantity writes "25 kg".
func sampleQuantity(rec entity.Record) string {
	q, _ := rec["quantity"].(float64)
	out := strconv.FormatFloat(q, 'f', -1, 64)
	if u := rec.Str("unit"); u != "" {
		out += " " + u
	}
	return out
}

// SampleStep is one step of a sample's trial: the stage it reaches, the
// day it happened (today when empty; any common date form), and what came
// of it (required; for failed, why). Version, when given, is the version
// the caller read: a stale one is refused.
type SampleStep struct {
	Stage   string `json:"stage"`
	On      string `json:"on"`
	Result  string `json:"result"`
	Version int64  `json:"version,omitempty"`
}

// AdvanceSample moves a sample one step forward in its trial (or marks it
// failed), recording the step's date and result. Only the next step is
// allowed: a skip, a step back or a move of a closed trial is refused with
// a code naming the allowed next step (sample_stage_order, sample_closed).
func (s *Service) AdvanceSample(ctx context.Context, p *access.Principal, id string, in SampleStep) (entity.Record, error) {
	e, err := s.R.Entity("sample")
	if err != nil {
		return nil, err
	}
	id = strings.ToLower(strings.TrimSpace(id))
	if !entity.LooksLikeID(id) {
		return nil, errs.NotFoundf("sample")
	}
	var out entity.Record
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.R.LoadForWrite(ctx, tx, p, e, id, p.Perm(e.Name).Write, false)
		if err != nil {
			return err
		}
		if in.Version != 0 && old.Version() != in.Version {
			return errs.Stale()
		}
		stage := strings.TrimSpace(in.Stage)
		if err := crm.CheckSampleAdvance(old.Str("stage"), stage); err != nil {
			return err
		}
		onCol, resCol := crm.SampleStepFields(stage)
		result, err := s.stepResult(e.Field(resCol), in.Result)
		if err != nil {
			return err
		}
		today := s.now().In(s.R.Loc).Format(entity.DateLayout)
		on := today
		if strings.TrimSpace(in.On) != "" {
			d, ok := entity.ParseDate(in.On)
			if !ok {
				return errs.Validation([]errs.FieldError{{Field: "on", Code: "invalid_date"}})
			}
			on = d
		}
		dates := map[string]string{}
		for _, st := range crm.SampleTrialPath() {
			c, _ := crm.SampleStepFields(st)
			dates[c] = old.Str(c)
		}
		if err := crm.CheckSampleStepDate(crm.SampleLastDate(dates), on, today); err != nil {
			return err
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, e, old, entity.Record{"stage": stage, onCol: on, resCol: result})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, e, out), nil
}

// stepResult validates a step's result text against the column it goes to.
func (s *Service) stepResult(f *entity.Field, text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", errs.Validation([]errs.FieldError{{Field: "result", Code: "required"}})
	}
	v, fe := s.R.Schema().ParseText(f, text)
	if fe != nil {
		fe.Field = "result"
		return "", errs.Validation([]errs.FieldError{*fe})
	}
	out, _ := v.(string)
	return out, nil
}

// Sample report groupings.
const (
	GroupProduct = "product"
	GroupOwner   = "owner"
	GroupTeam    = "team"
)

// SampleReportQuery selects the samples of the report: sent between From
// and To (dates, inclusive; either may be empty), of one owner or team
// (with its sub-teams), grouped by product, owner or team.
type SampleReportQuery struct {
	From, To string
	Group    string
	OwnerID  string
	TeamID   string
}

// SampleReportRow is the trial funnel of one group: how many samples were
// sent, how many reached each step (a sample that failed at the pilot
// reached the small trial), how many failed or are still in trial, and
// the conversion (regular purchase / sent, in percent, one decimal).
type SampleReportRow struct {
	Key        string  `json:"key"`
	Label      string  `json:"label"`
	Sent       int     `json:"sent"`
	SmallTrial int     `json:"small_trial"`
	Pilot      int     `json:"pilot"`
	Purchase   int     `json:"regular_purchase"`
	Failed     int     `json:"failed"`
	Open       int     `json:"in_trial"`
	Conversion float64 `json:"conversion"`
}

// SampleReport is the conversion report of samples for a manager.
type SampleReport struct {
	From  string            `json:"from,omitempty"`
	To    string            `json:"to,omitempty"`
	Group string            `json:"group"`
	Rows  []SampleReportRow `json:"rows"`
	Total SampleReportRow   `json:"total"`
}

func (r *SampleReportRow) finish() {
	r.Open = r.Sent - r.Purchase - r.Failed
	if r.Sent > 0 {
		r.Conversion = float64(int64(float64(r.Purchase)*1000/float64(r.Sent)+0.5)) / 10
	}
}

// ParseSampleReportQuery checks the report's parameters (URL values by
// name): dates in any common form, a known grouping, ids that look like ids.
func ParseSampleReportQuery(get func(string) string) (SampleReportQuery, error) {
	q := SampleReportQuery{Group: strings.TrimSpace(get("group"))}
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
	switch q.Group {
	case "":
		q.Group = GroupProduct
	case GroupProduct, GroupOwner, GroupTeam:
	default:
		bad = append(bad, errs.FieldError{Field: "group", Code: "invalid_option", Args: map[string]any{"value": q.Group}})
	}
	for _, r := range []struct {
		name string
		dst  *string
	}{{"owner_id", &q.OwnerID}, {"team_id", &q.TeamID}} {
		v := strings.ToLower(strings.TrimSpace(get(r.name)))
		if v == "" {
			continue
		}
		if !entity.LooksLikeID(v) {
			bad = append(bad, errs.FieldError{Field: r.name, Code: "invalid_ref"})
			continue
		}
		*r.dst = v
	}
	return q, errs.Validation(bad)
}

// SampleConversion counts, per group, how far the samples p may see got
// in their trial. It reads through the samples' one visibility predicate:
// nothing the viewer cannot open is counted.
func (s *Service) SampleConversion(ctx context.Context, p *access.Principal, q SampleReportQuery) (SampleReport, error) {
	e, err := s.R.Entity("sample")
	if err != nil {
		return SampleReport{}, err
	}
	if p.Perm(e.Name).Read == access.None {
		return SampleReport{}, errs.Denied()
	}
	if q.Group == "" {
		q.Group = GroupProduct
	}
	rep := SampleReport{From: q.From, To: q.To, Group: q.Group, Rows: []SampleReportRow{}}
	var conds []entity.Cond
	if q.From != "" {
		conds = append(conds, entity.Cond{Field: e.Field("sent_on"), Op: entity.Gte, Values: []any{q.From}})
	}
	if q.To != "" {
		conds = append(conds, entity.Cond{Field: e.Field("sent_on"), Op: entity.Lte, Values: []any{q.To}})
	}
	if q.OwnerID != "" {
		conds = append(conds, entity.Cond{Field: e.Field("owner_id"), Op: entity.Eq, Values: []any{q.OwnerID}})
	}
	if q.TeamID != "" {
		teams, err := s.DB.TeamSubtree(ctx, q.TeamID)
		if err != nil {
			return rep, err
		}
		vals := []any{q.TeamID}
		for _, t := range teams {
			if t != q.TeamID {
				vals = append(vals, t)
			}
		}
		conds = append(conds, entity.Cond{Field: e.Field("team_id"), Op: entity.In, Values: vals})
	}
	col := map[string]string{GroupProduct: "t.product", GroupOwner: "t.owner_id", GroupTeam: "t.team_id"}[q.Group]
	if col == "" {
		return rep, errs.Validation([]errs.FieldError{{Field: "group", Code: "invalid_option", Args: map[string]any{"value": q.Group}}})
	}
	var a store.Args
	where, err := s.DB.ListSQL(e, entity.Query{Conds: conds}, s.R.ReadPred(e, p), &a)
	if err != nil {
		return rep, err
	}
	query := fmt.Sprintf(`SELECT %[1]s, count(*),
		sum(CASE WHEN t.small_trial_on IS NOT NULL THEN 1 ELSE 0 END),
		sum(CASE WHEN t.pilot_on IS NOT NULL THEN 1 ELSE 0 END),
		sum(CASE WHEN t.purchase_on IS NOT NULL THEN 1 ELSE 0 END),
		sum(CASE WHEN t.stage = 'failed' THEN 1 ELSE 0 END)
		FROM samples t WHERE %[2]s GROUP BY %[1]s`, col, where)
	rows, err := s.DB.R().QueryContext(ctx, query, a.V...)
	if err != nil {
		return rep, fmt.Errorf("presales: sample report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key sql.NullString
		var r SampleReportRow
		var sent, small, pilot, purchase, failed int64
		if err := rows.Scan(&key, &sent, &small, &pilot, &purchase, &failed); err != nil {
			return rep, err
		}
		r.Key, r.Sent, r.SmallTrial, r.Pilot, r.Purchase, r.Failed = key.String, int(sent), int(small), int(pilot), int(purchase), int(failed)
		rep.Rows = append(rep.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	if err := s.reportLabels(ctx, q.Group, rep.Rows); err != nil {
		return rep, err
	}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		r.finish()
		t := &rep.Total
		t.Sent, t.SmallTrial, t.Pilot, t.Purchase, t.Failed = t.Sent+r.Sent, t.SmallTrial+r.SmallTrial, t.Pilot+r.Pilot, t.Purchase+r.Purchase, t.Failed+r.Failed
	}
	rep.Total.finish()
	sortReport(rep.Rows)
	return rep, nil
}

// reportLabels names the groups: products are their own name; owners and
// teams by name (not confidential: everyone may see who owns what).
func (s *Service) reportLabels(ctx context.Context, group string, rows []SampleReportRow) error {
	if group == GroupProduct {
		for i := range rows {
			rows[i].Label = rows[i].Key
		}
		return nil
	}
	ent, field := "user", "name"
	if group == GroupTeam {
		ent = "team"
	}
	var ids []string
	for _, r := range rows {
		if r.Key != "" {
			ids = append(ids, r.Key)
		}
	}
	recs, err := s.DB.GetMany(ctx, s.DB.R(), s.R.Schema().Entity(ent), ids, nil)
	if err != nil {
		return err
	}
	for i := range rows {
		if r, ok := recs[rows[i].Key]; ok {
			rows[i].Label = r.Str(field)
		}
	}
	return nil
}

// sortReport puts the groups with most samples first, then by name.
func sortReport(rows []SampleReportRow) {
	slices.SortStableFunc(rows, func(a, b SampleReportRow) int {
		if a.Sent != b.Sent {
			return b.Sent - a.Sent
		}
		if a.Purchase != b.Purchase {
			return b.Purchase - a.Purchase
		}
		return strings.Compare(a.Label, b.Label)
	})
}

// WriteSampleReport writes the report as CSV or XLSX with headers in lang
// (the group, then the funnel's counts and the conversion; a total row
// last) and audits that p took it out.
func (s *Service) WriteSampleReport(ctx context.Context, p *access.Principal, rep SampleReport, format sheet.Format, lang i18n.Lang, w io.Writer) error {
	if !p.Perm("sample").Export {
		return errs.Denied()
	}
	sw, err := sheet.NewWriter(format, w, i18n.Msg(lang, "srep.sheet"))
	if err != nil {
		return err
	}
	header := []string{i18n.Msg(lang, "srep.group."+rep.Group)}
	for _, k := range []string{"sent", "small", "pilot", "purchase", "failed", "open", "conversion"} {
		header = append(header, i18n.Msg(lang, "srep.col."+k))
	}
	if err := sw.Row(header); err != nil {
		return err
	}
	line := func(label string, r SampleReportRow) []string {
		out := []string{label}
		for _, n := range []int{r.Sent, r.SmallTrial, r.Pilot, r.Purchase, r.Failed, r.Open} {
			out = append(out, strconv.Itoa(n))
		}
		return append(out, strconv.FormatFloat(r.Conversion, 'f', 1, 64)+"%")
	}
	for _, r := range rep.Rows {
		label := r.Label
		if label == "" {
			label = i18n.Msg(lang, "srep.none")
		}
		if err := sw.Row(line(label, r)); err != nil {
			return err
		}
	}
	if err := sw.Row(line(i18n.Msg(lang, "srep.total"), rep.Total)); err != nil {
		return err
	}
	if err := sw.Close(); err != nil {
		return err
	}
	return s.DB.Audit(context.WithoutCancel(ctx), s.DB.W(), store.AuditEntry{ActorID: p.UserID, Entity: "sample", RecordID: "-", Action: "export",
		Changes: map[string]store.Change{"report": {New: "sample_conversion"}, "rows": {New: len(rep.Rows)}, "format": {New: string(format)},
			"from": {New: rep.From}, "to": {New: rep.To}, "group": {New: rep.Group}}, RequestID: records.RequestID(ctx)})
}
