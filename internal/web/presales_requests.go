package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/presales"
)

// The pre-sales request's page: evaluation, assignment, work records,
// closing and scores, each a dialog posting to the same service the API
// calls; and the "request pre-sales support" action on an opportunity.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("POST /presales-requests/{id}/evaluation", s.page(s.evaluateRequest))
		m.HandleFunc("POST /presales-requests/{id}/engineers", s.page(s.assignEngineers))
		m.HandleFunc("POST /presales-requests/{id}/work", s.page(s.logWork))
		m.HandleFunc("POST /presales-requests/{id}/work/{wid}/delete", s.page(s.deleteWork))
		m.HandleFunc("POST /presales-requests/{id}/close", s.page(s.closeRequest))
		m.HandleFunc("POST /presales-requests/{id}/score", s.page(s.scoreRequest))
	})
	onDetail("opportunity", (*Server).opportunityRequests)
	onDetail("presales_request", (*Server).extendRequest)
	onList("presales_request", (*Server).requestListAges)
	for code, tone := range map[string]string{"submitted": "badge-info", "accepted": "badge-accent", "assigned": "badge-accent",
		"closed": "badge-muted", "stopped": "badge-muted", "merged": "badge-muted"} {
		tones[code] = tone
	}
}

// The dialogs of a request's page.
const (
	dlgEvaluate = "dlg-psr-evaluate"
	dlgAssign   = "dlg-psr-assign"
	dlgWork     = "dlg-psr-work"
	dlgClose    = "dlg-psr-close"
	dlgScore    = "dlg-psr-score"
)

// opportunityRequests offers to raise a request from an open opportunity
// (the generic form, prefilled) and lists the opportunity's requests.
func (s *Server) opportunityRequests(c *rc, rec entity.Record, dp *detailPage) error {
	re := c.schema.Entity("presales_request")
	if re == nil || c.p.Perm(re.Name).Read == access.None {
		return nil
	}
	if rec.Str("status") == crm.OppOpen && c.p.Perm(re.Name).Create {
		v := url.Values{"opportunity_id": {rec.ID()}, "name": {rec.Str("name")}}
		if a, ok := rec["amount"].(int64); ok {
			v.Set("estimated_value", strings.ReplaceAll(entity.FormatMoney(a), ",", ""))
		}
		dp.Actions = append(dp.Actions, template.HTML(`<a class="btn" href="`+template.HTMLEscapeString("/presales-requests/new?"+v.Encode())+`">`+
			template.HTMLEscapeString(c.T("psr.raise"))+`</a>`))
	}
	page, err := s.app.Records.List(c.ctx(), c.p, re.Name, entity.Query{Sort: re.Field("created_at"), Desc: true, Limit: 20,
		Conds: []entity.Cond{{Field: re.Field("opportunity_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
	if err != nil {
		return err
	}
	card := sideCard{T: c.T, ID: "presales-requests", Title: re.Plural.In(c.L), Empty: c.T("psr.none_for_deal"),
		ViewAll: "/presales-requests?opportunity_id=" + rec.ID(), ViewAllTxt: c.T("psr.all_for_deal")}
	now := time.Now()
	for _, r := range page.Items {
		row := sideRow{Href: "/presales-requests/" + r.ID(), Title: r.Str("name"), Tag: c.schema.OptionLabel(re.Field("status"), r.Str("status"), c.L)}
		if r.Str("status") == crm.ReqClosed {
			row.Note = c.schema.OptionLabel(re.Field("outcome"), r.Str("outcome"), c.L)
		} else {
			row.Note = c.T("psr.days_open", "n", crm.DaysOpen(r.Time("created_at"), time.Time{}, now, s.app.Loc))
		}
		card.Rows = append(card.Rows, row)
	}
	html, err := c.partial("side_card", card)
	if err != nil {
		return err
	}
	dp.Side = append(dp.Side, html)
	return nil
}

// requestListAges shows on the request list how long each open request
// has waited (next to its status) and marks needed-by dates passed, with
// links to the ageing and summary reports.
func (s *Server) requestListAges(c *rc, lp *listPage, items []entity.Record) {
	lp.Quick = append(lp.Quick, link{Text: c.T("nav.presales_ageing"), Href: "/reports/presales-ageing"},
		link{Text: c.T("nav.presales_summary"), Href: "/reports/presales-summary"})
	status, needed := -1, -1
	for i, f := range lp.columns(c.schema.Entity("presales_request")) {
		switch f.Name {
		case "status":
			status = i
		case "needed_by":
			needed = i
		}
	}
	now := time.Now()
	today := now.In(s.app.Loc).Format(entity.DateLayout)
	for i, r := range items {
		if i >= len(lp.Rows) || r.Str("status") == crm.ReqClosed {
			continue
		}
		cells := lp.Rows[i].Cells
		if status >= 0 && status < len(cells) && cells[status].Text != "" {
			cells[status].Text += c.T("psr.list_days", "n", crm.DaysOpen(r.Time("created_at"), time.Time{}, now, s.app.Loc))
		}
		if d := r.Str("needed_by"); needed >= 0 && needed < len(cells) && d != "" && d < today {
			cells[needed].Badge = "badge-danger"
		}
	}
}

// requestView is what the request's partials show.
type requestView struct {
	T         func(string, ...any) string
	ID        string
	Status    cell
	Days      string
	NeededBy  string
	Overdue   bool
	Engineers []string
	Hours     string
	Outcome   cell
	Dialogs   []*dialogForm
	Work      []workRow
	WorkForm  *dialogForm
	Scores    []scoreRow
	CanScore  bool
	ShowWork  bool
	Ageing    string
}

type workRow struct {
	Date, Engineer, Kind, Hours, Summary, Outputs string
	Delete                                        string
	Version                                       int64
}

type scoreRow struct {
	Role, Scorer, Quality, Timeliness, Contribution, Average, Comment, At string
}

// extendRequest builds the request page's panels and dialogs.
func (s *Server) extendRequest(c *rc, rec entity.Record, dp *detailPage) error {
	e := c.schema.Entity("presales_request")
	status := rec.Str("status")
	mgr := presales.IsManager(c.p)
	owner := rec.Str("owner_id") == c.p.UserID && c.p.UserID != ""
	engineers := rec.List("engineers")
	rf := c.collectRefs([]*entity.Field{e.Field("engineers")}, rec)
	v := &requestView{T: c.T, ID: rec.ID(), Status: c.cell(e.Field("status"), status, rf), NeededBy: rec.Str("needed_by"),
		Hours: c.schema.Format(e.Field("hours_total"), rec["hours_total"], c.L, s.app.Loc), Ageing: "/reports/presales-ageing"}
	now := time.Now()
	days := crm.DaysOpen(rec.Time("created_at"), rec.Time("closed_at"), now, s.app.Loc)
	if status == crm.ReqClosed {
		v.Days = c.T("psr.days_took", "n", days)
		v.Outcome = c.cell(e.Field("outcome"), rec["outcome"], rf)
	} else {
		v.Days = c.T("psr.days_open", "n", days)
		v.Overdue = v.NeededBy != "" && v.NeededBy < now.In(s.app.Loc).Format(entity.DateLayout)
	}
	for _, id := range engineers {
		if n, ok := rf.title("user", id); ok {
			v.Engineers = append(v.Engineers, n)
		}
	}
	if status == crm.ReqClosed {
		dp.EditHref = "" // a closed request takes no edits
		if !c.p.IsAdmin() {
			dp.Delete = "" // and is kept
		}
	}
	writable := c.p.Perm(e.Name).Write != access.None && !c.p.ReadOnly
	if writable && mgr && crm.CanRequest(status, crm.StepEvaluate) {
		v.Dialogs = append(v.Dialogs, s.evaluationDialog(c, e, rec))
	}
	if writable && mgr && crm.CanRequest(status, crm.StepAssign) {
		d, err := s.assignDialog(c, rec)
		if err != nil {
			return err
		}
		v.Dialogs = append(v.Dialogs, d)
	}
	if writable && (mgr || owner) && crm.CanRequest(status, crm.StepClose) {
		v.Dialogs = append(v.Dialogs, s.closeDialog(c, rec))
	}
	if status == crm.ReqClosed && len(engineers) > 0 && (mgr || owner) {
		scores, err := s.app.Presales.Scores(c.ctx(), c.p, rec.ID())
		if err != nil {
			return err
		}
		role := crm.ScorerManager
		if owner {
			role = crm.ScorerSales
		}
		if !slices.ContainsFunc(scores, func(r entity.Record) bool { return r.Str("scorer_role") == role }) {
			v.Dialogs = append(v.Dialogs, s.scoreDialog(c, rec))
		}
	}
	if err := s.requestWork(c, rec, v, mgr); err != nil {
		return err
	}
	if err := s.requestScores(c, rec, v); err != nil {
		return err
	}
	for _, name := range []string{"psr_actions", "psr_panels"} {
		html, err := c.partial(name, v)
		if err != nil {
			return err
		}
		if name == "psr_actions" {
			dp.Actions = append(dp.Actions, html)
		} else {
			dp.Panels = append(dp.Panels, html)
		}
	}
	side, err := c.partial("psr_side", v)
	if err != nil {
		return err
	}
	dp.Side = append([]template.HTML{side}, dp.Side...)
	return nil
}

// evalField is a request field shown in the evaluation dialog, named by
// its field (eval_products …).
func (c *rc) evalField(e *entity.Entity, name string, values url.Values, required bool) formField {
	f := e.Field(name)
	ff := c.widget(e, f, values, "", &refs{})
	ff.ID, ff.Required = "ev-"+name, required
	return ff
}

func (s *Server) evaluationDialog(c *rc, e *entity.Entity, rec entity.Record) *dialogForm {
	values := c.recordValues(e, rec)
	// The evaluation's fields are read-only to generic forms: fill them here.
	for _, key := range []string{"eval_products", "eval_directions", "eval_difficulty", "eval_key_points", "eval_key_dates", "importance", "eval_conclusion", "eval_stop_reason"} {
		if s := rec.Str(key); s != "" {
			values.Set(key, s)
		}
	}
	if n, ok := rec["eval_people"].(int64); ok {
		values.Set("eval_people", strconv.FormatInt(n, 10))
	}
	values["eval_work"] = rec.List("eval_work")
	if len(values["eval_work"]) == 0 {
		values["eval_work"] = rec.List("work_needed")
	}
	if values.Get("eval_conclusion") == "" {
		values.Set("eval_conclusion", crm.ConclusionAccept)
	}
	d := &dialogForm{ID: dlgEvaluate, Title: c.T("psr.evaluate"), Button: c.T("psr.evaluate"), Action: "/presales-requests/" + rec.ID() + "/evaluation",
		Submit: c.T("psr.evaluate_submit"), Hint: c.T("psr.evaluate_hint"), Version: rec.Version(), Large: true}
	for _, name := range []string{"eval_products", "eval_directions", "eval_work", "eval_people", "eval_difficulty", "importance", "eval_key_points", "eval_key_dates", "eval_conclusion", "eval_stop_reason"} {
		ff := c.evalField(e, name, values, name == "eval_conclusion")
		if name == "eval_conclusion" && len(ff.Options) > 0 {
			ff.Options = ff.Options[1:] // a conclusion is required: no empty choice
		}
		if name == "eval_stop_reason" {
			ff.Hint = c.T("psr.stop_reason_hint")
		}
		d.Fields = append(d.Fields, ff)
	}
	d.apply(c.formStateOf(dlgEvaluate))
	return d
}

func (s *Server) assignDialog(c *rc, rec entity.Record) (*dialogForm, error) {
	engs, err := s.app.Presales.Engineers(c.ctx())
	if err != nil {
		return nil, err
	}
	current := rec.List("engineers")
	ff := formField{ID: "as-engineers", Name: "engineer_ids", Label: c.T("psr.engineers"), Kind: "checks", Wide: true, Hint: c.T("psr.assign_hint")}
	for _, u := range engs {
		ff.Options = append(ff.Options, option{Value: u.ID, Label: u.Name, Selected: slices.Contains(current, u.ID)})
	}
	d := &dialogForm{ID: dlgAssign, Title: c.T("psr.assign"), Button: c.T("psr.assign"), Action: "/presales-requests/" + rec.ID() + "/engineers",
		Submit: c.T("psr.assign_submit"), Version: rec.Version(), Fields: []formField{ff}}
	if len(ff.Options) == 0 {
		d.Hint = c.T("psr.no_engineers")
	}
	if len(current) > 0 {
		d.Confirm = c.T("psr.assign_confirm")
	}
	d.apply(c.formStateOf(dlgAssign))
	return d, nil
}

// scoreFields are the marks of a score, 1 to 5, and a comment.
func (c *rc) scoreFields(prefix string) []formField {
	se := c.schema.Entity("presales_score")
	var out []formField
	for _, name := range []string{"quality", "timeliness", "contribution"} {
		ff := formField{ID: "sc-" + prefix + name, Name: prefix + name, Label: se.Field(name).Label.In(c.L), Kind: "select", Required: true,
			Options: []option{{Value: "", Label: c.T("form.choose")}}}
		for i := 5; i >= 1; i-- {
			ff.Options = append(ff.Options, option{Value: strconv.Itoa(i), Label: c.T("psr.mark", "n", i)})
		}
		out = append(out, ff)
	}
	out = append(out, formField{ID: "sc-" + prefix + "comment", Name: prefix + "comment", Label: se.Field("comment").Label.In(c.L), Kind: "textarea", Wide: true, MaxLen: 20000})
	return out
}

func (s *Server) closeDialog(c *rc, rec entity.Record) *dialogForm {
	e := c.schema.Entity("presales_request")
	outcome := formField{ID: "cl-outcome", Name: "outcome", Label: e.Field("outcome").Label.In(c.L), Kind: "select", Required: true,
		Options: append([]option{{Value: "", Label: c.T("form.choose")}}, c.selectOptions(e.Field("outcome"))...)}
	merged := formField{ID: "cl-merged_into", Name: "merged_into", Label: e.Field("merged_into").Label.In(c.L), Kind: "lookup",
		LookupURL: "/ui/lookup/presales-requests", Hint: c.T("psr.merged_hint")}
	note := formField{ID: "cl-note", Name: "note", Label: e.Field("close_note").Label.In(c.L), Kind: "textarea", Wide: true, MaxLen: 20000, Hint: c.T("psr.note_hint")}
	d := &dialogForm{ID: dlgClose, Title: c.T("psr.close"), Button: c.T("psr.close"), Action: "/presales-requests/" + rec.ID() + "/close",
		Submit: c.T("psr.close_submit"), Hint: c.T("psr.close_hint"), Confirm: c.T("psr.close_confirm"), Danger: true, Version: rec.Version(), Large: true,
		Fields: []formField{outcome, merged, note}}
	if len(rec.List("engineers")) > 0 {
		d.Fields = append(d.Fields, c.scoreFields("score_")...)
	}
	d.apply(c.formStateOf(dlgClose))
	return d
}

func (s *Server) scoreDialog(c *rc, rec entity.Record) *dialogForm {
	d := &dialogForm{ID: dlgScore, Title: c.T("psr.score"), Button: c.T("psr.score"), Action: "/presales-requests/" + rec.ID() + "/score",
		Submit: c.T("psr.score_submit"), Hint: c.T("psr.score_hint"), Fields: c.scoreFields("")}
	d.apply(c.formStateOf(dlgScore))
	return d
}

// requestWork lists the work on the request and, for its engineers and
// the manager while it takes work, the form to log more.
func (s *Server) requestWork(c *rc, rec entity.Record, v *requestView, mgr bool) error {
	we := c.schema.Entity("presales_work_record")
	if c.p.Perm(we.Name).Read == access.None {
		return nil
	}
	v.ShowWork = true
	items, err := s.app.Presales.Work(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	rf := c.collectRefs([]*entity.Field{we.Field("engineer_id")}, items...)
	open := crm.CanRequest(rec.Str("status"), crm.StepWork)
	engineers := rec.List("engineers")
	mine := slices.Contains(engineers, c.p.UserID)
	for _, w := range items {
		row := workRow{Date: w.Str("work_date"), Kind: c.schema.OptionLabel(we.Field("kind"), w.Str("kind"), c.L),
			Hours: c.schema.Format(we.Field("hours"), w["hours"], c.L, s.app.Loc), Summary: w.Str("summary"), Outputs: w.Str("outputs"), Version: w.Version()}
		row.Engineer, _ = rf.title("user", w.Str("engineer_id"))
		if open && mine && w.Str("engineer_id") == c.p.UserID && c.p.Perm(we.Name).Delete != access.None {
			row.Delete = "/presales-requests/" + rec.ID() + "/work/" + w.ID() + "/delete"
		}
		v.Work = append(v.Work, row)
	}
	if !open || c.p.ReadOnly || !c.p.Perm(we.Name).Create || !(mine || mgr) {
		return nil
	}
	values := url.Values{"work_date": {time.Now().In(s.app.Loc).Format(entity.DateLayout)}}
	if w := rec.List("work_needed"); len(w) > 0 {
		values.Set("kind", w[0])
	}
	d := &dialogForm{ID: dlgWork, Title: c.T("psr.log_work"), Action: "/presales-requests/" + rec.ID() + "/work", Submit: c.T("psr.log_submit"), Large: true}
	if mgr {
		ff := formField{ID: "wr-engineer_id", Name: "engineer_id", Label: we.Field("engineer_id").Label.In(c.L), Kind: "select", Required: true}
		erf := c.collectRefs([]*entity.Field{c.schema.Entity("presales_request").Field("engineers")}, rec)
		for _, id := range engineers {
			n, _ := erf.title("user", id)
			ff.Options = append(ff.Options, option{Value: id, Label: n, Selected: id == c.p.UserID})
		}
		d.Fields = append(d.Fields, ff)
	}
	for _, name := range []string{"kind", "work_date", "hours", "summary", "outputs"} {
		ff := c.widget(we, we.Field(name), values, "", &refs{})
		ff.ID = "wr-" + name
		if name == "kind" && len(ff.Options) > 0 {
			ff.Options = ff.Options[1:]
		}
		d.Fields = append(d.Fields, ff)
	}
	d.apply(c.formStateOf(dlgWork))
	v.WorkForm = d
	return nil
}

// requestScores lists the scores given.
func (s *Server) requestScores(c *rc, rec entity.Record, v *requestView) error {
	if rec.Str("status") != crm.ReqClosed {
		return nil
	}
	scores, err := s.app.Presales.Scores(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	se := c.schema.Entity("presales_score")
	rf := c.collectRefs([]*entity.Field{se.Field("scorer_id")}, scores...)
	for _, r := range scores {
		sc := crm.Score{Quality: r.Int("quality"), Timeliness: r.Int("timeliness"), Contribution: r.Int("contribution")}
		row := scoreRow{Role: c.schema.OptionLabel(se.Field("scorer_role"), r.Str("scorer_role"), c.L),
			Quality: strconv.FormatInt(sc.Quality, 10), Timeliness: strconv.FormatInt(sc.Timeliness, 10), Contribution: strconv.FormatInt(sc.Contribution, 10),
			Average: strconv.FormatFloat(sc.Average(), 'f', 2, 64), Comment: r.Str("comment"), At: c.fmtTime(r.Time("scored_at"))}
		row.Scorer, _ = rf.title("user", r.Str("scorer_id"))
		v.Scores = append(v.Scores, row)
	}
	return nil
}

// processDone ends a successful process form: a message, back to the page.
func (c *rc) processDone(msg, back string) error {
	c.flash("success", msg)
	return c.redirect(back)
}

// requestFailed shows the request page again with the refused dialog open,
// or answers like any other failure.
func (s *Server) requestFailed(c *rc, err error, dialog string, shown []string, label func(string) string, rename map[string]string) error {
	id := strings.ToLower(c.r.PathValue("id"))
	st, ok := c.refusedForm(err, dialog, c.r.PostForm, shown, label, rename)
	if !ok {
		return c.processFailed(err, "/presales-requests/"+id)
	}
	c.withFormState(st)
	return s.showDetail(c, c.schema.Entity("presales_request"), id, httpStatus(err), nil)
}

func (s *Server) evaluateRequest(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	var bad []errs.FieldError
	ev := crm.Evaluation{Products: f.Get("eval_products"), Directions: f.Get("eval_directions"), Work: nonEmpty(f["eval_work"]),
		Difficulty: f.Get("eval_difficulty"), KeyPoints: f.Get("eval_key_points"), KeyDates: f.Get("eval_key_dates"),
		Importance: f.Get("importance"), Conclusion: f.Get("eval_conclusion"), StopReason: f.Get("eval_stop_reason")}
	if n := formInt(f, "eval_people", "people", &bad); n != 0 || strings.TrimSpace(f.Get("eval_people")) != "" {
		ev.People = &n
	}
	rename := map[string]string{}
	var shown []string
	for key, field := range crm.EvaluationFields {
		rename[key] = field
		shown = append(shown, field)
	}
	label := func(key string) string { return presales.EvaluationInputs.Label(key, c.L) }
	if len(bad) > 0 {
		// Say every problem at once, not the unreadable number first.
		ev.People = nil
		bad = append(bad, fieldErrors(ev.Check())...)
	}
	err := errs.Validation(bad)
	var out entity.Record
	if err == nil {
		out, err = s.app.Presales.Evaluate(c.ctx(), c.p, c.r.PathValue("id"), formVersion(f), ev)
	}
	if err != nil {
		return s.requestFailed(c, err, dlgEvaluate, shown, label, rename)
	}
	key := "psr.evaluated"
	if out.Str("status") == crm.ReqClosed {
		key = "psr.stopped"
	}
	return c.processDone(c.T(key, "title", out.Str("name")), "/presales-requests/"+out.ID())
}

func (s *Server) assignEngineers(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	out, err := s.app.Presales.Assign(c.ctx(), c.p, c.r.PathValue("id"), formVersion(f), nonEmpty(f["engineer_ids"]))
	if err != nil {
		return s.requestFailed(c, err, dlgAssign, []string{"engineer_ids"}, func(key string) string { return presales.AssignInputs.Label(key, c.L) }, nil)
	}
	key := "psr.assigned"
	if len(out.List("engineers")) == 0 {
		key = "psr.unassigned"
	}
	return c.processDone(c.T(key, "title", out.Str("name")), "/presales-requests/"+out.ID())
}

func (s *Server) logWork(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	we := c.schema.Entity("presales_work_record")
	f := c.r.PostForm
	rec := entity.Record{}
	var bad []errs.FieldError
	for _, name := range []string{"engineer_id", "kind", "work_date", "hours", "summary", "outputs"} {
		raw := strings.TrimSpace(f.Get(name))
		if raw == "" {
			continue
		}
		v, fe := c.schema.ParseText(we.Field(name), raw)
		if fe != nil {
			bad = append(bad, *fe)
			continue
		}
		rec[name] = v
	}
	label := func(key string) string {
		if fd := we.Field(key); fd != nil {
			return fd.Label.In(c.L)
		}
		return ""
	}
	shown := []string{"engineer_id", "kind", "work_date", "hours", "summary", "outputs"}
	err := errs.Validation(bad)
	if err == nil {
		_, err = s.app.Presales.LogWork(c.ctx(), c.p, c.r.PathValue("id"), rec)
	}
	if err != nil {
		return s.requestFailed(c, err, dlgWork, shown, label, nil)
	}
	return c.processDone(c.T("psr.work_logged"), "/presales-requests/"+strings.ToLower(c.r.PathValue("id"))+"#work")
}

func (s *Server) deleteWork(c *rc) error {
	id, wid := strings.ToLower(c.r.PathValue("id")), strings.ToLower(c.r.PathValue("wid"))
	back := "/presales-requests/" + id + "#work"
	if !entity.LooksLikeID(wid) {
		return errs.NotFoundf("presales_work_record")
	}
	w, err := s.app.Records.Get(c.ctx(), c.p, "presales_work_record", wid)
	if err != nil {
		return err
	}
	if w.Str("request_id") != id {
		return errs.NotFoundf("presales_work_record")
	}
	_ = c.r.ParseForm()
	if err := s.app.Records.Delete(c.ctx(), c.p, "presales_work_record", wid, formVersion(c.r.PostForm)); err != nil {
		return c.processFailed(err, back)
	}
	return c.processDone(c.T("psr.work_deleted"), back)
}

func (s *Server) closeRequest(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	var bad []errs.FieldError
	cl := crm.Closing{Outcome: f.Get("outcome"), MergedInto: f.Get("merged_into"), Note: f.Get("note")}
	sc := crm.Score{Quality: formInt(f, "score_quality", "score.quality", &bad), Timeliness: formInt(f, "score_timeliness", "score.timeliness", &bad),
		Contribution: formInt(f, "score_contribution", "score.contribution", &bad), Comment: f.Get("score_comment")}
	if _, given := f["score_quality"]; given {
		cl.Score = &sc
	}
	shown := []string{"outcome", "merged_into", "note", "score_quality", "score_timeliness", "score_contribution", "score_comment"}
	label := func(key string) string { return presales.CloseInputs.Label(key, c.L) }
	if len(bad) > 0 {
		check := cl
		check.Score = nil
		if e := errs.As(check.Check(c.r.PathValue("id"), false)); e != nil {
			bad = append(bad, e.Fields...)
		}
	}
	err := errs.Validation(bad)
	var out entity.Record
	if err == nil {
		out, err = s.app.Presales.Close(c.ctx(), c.p, c.r.PathValue("id"), formVersion(f), cl)
	}
	if err != nil {
		return s.requestFailed(c, err, dlgClose, shown, label, nil)
	}
	return c.processDone(c.T("psr.closed", "title", out.Str("name")), "/presales-requests/"+out.ID())
}

func (s *Server) scoreRequest(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	var bad []errs.FieldError
	sc := crm.Score{Quality: formInt(f, "quality", "quality", &bad), Timeliness: formInt(f, "timeliness", "timeliness", &bad),
		Contribution: formInt(f, "contribution", "contribution", &bad), Comment: f.Get("comment")}
	err := errs.Validation(bad)
	if err == nil {
		_, err = s.app.Presales.AddScore(c.ctx(), c.p, c.r.PathValue("id"), sc)
	}
	if err != nil {
		return s.requestFailed(c, err, dlgScore, []string{"quality", "timeliness", "contribution", "comment"}, func(key string) string { return presales.ScoreInputs.Label(key, c.L) }, nil)
	}
	return c.processDone(c.T("psr.scored"), "/presales-requests/"+strings.ToLower(c.r.PathValue("id")))
}
