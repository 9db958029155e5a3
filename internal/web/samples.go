package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/presales"
)

// Samples, bids and demos in the web UI: the trial stepper on a sample's
// page with the form for its next step, the document checklist on a
// bid's page, deadline badges on the bid list, and the conversion report
// of samples by product.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("POST /samples/{id}/advance", s.page(s.sampleAdvance))
		m.HandleFunc("GET /reports/samples", s.page(s.sampleReport))
	})
	onDetail("sample", (*Server).samplePanel)
	onDetail("bid", (*Server).bidPanel)
	onList("bid", (*Server).bidListBadges)
	onList("sample", (*Server).sampleListLinks)
}

// trialView is the stepper of a sample's trial and its forms.
type trialView struct {
	*base
	Steps   []trialStep
	Action  string
	Version int64
	Next    *trialForm // the next step, when the user may record it
	Fail    *trialForm // marking the sample failed
	Closed  string     // why no form is offered
	Errors  []string
}

type trialStep struct {
	N              int
	Label, On, Res string
	State          string // done, failed, next, todo
}

type trialForm struct {
	Stage, Title, Submit  string
	DateLabel, ResLabel   string
	On, Result            string
	DateErr, ResErr       string
	Confirm               string
	Open                  bool
	DateID, ResID, Prefix string
}

// trialInput is what a refused step's form keeps (passed to the page
// through the request context).
type trialInput struct {
	stage, on, result string
	errors            []string
	fields            map[string]string
}

type trialInputKey struct{}

func (s *Server) samplePanel(c *rc, rec entity.Record, dp *detailPage) error {
	stage := rec.Str("stage")
	e := c.schema.Entity("sample")
	if cl := c.cell(e.Field("stage"), stage, nil); !cl.Empty() {
		cl.Badge = stageTone(stage)
		dp.Badges = append(dp.Badges, cl)
	}
	in, _ := c.ctx().Value(trialInputKey{}).(*trialInput)
	tv := &trialView{base: dp.base, Action: "/samples/" + rec.ID() + "/advance", Version: rec.Version()}
	// The path: sent → small trial → pilot → regular purchase; a failure
	// shows at the step that was not passed.
	failed := stage == crm.SampleFailed
	reached := 0
	path := crm.SampleTrialPath()
	for i, st := range path {
		on, _ := crm.SampleStepFields(st)
		if rec.Str(on) != "" {
			reached = i
		}
	}
	for i, st := range path {
		on, res := crm.SampleStepFields(st)
		step := trialStep{N: i + 1, Label: crm.SampleStageLabel(st).In(c.L), On: rec.Str(on), State: "todo"}
		if res != "" {
			step.Res = rec.Str(res)
		}
		switch {
		case i <= reached:
			step.State = "done"
		case failed && i == reached+1:
			step.State, step.On, step.Res = "failed", rec.Str("failed_on"), rec.Str("failed_reason")
			step.Label = c.T("smp.failed_at", "step", step.Label)
		case !failed && i == reached+1:
			step.State = "next"
		}
		tv.Steps = append(tv.Steps, step)
	}
	switch {
	case crm.SampleClosed(stage):
		tv.Closed = c.T("smp.closed." + stage)
	case c.p.Perm("sample").Write == access.None:
		tv.Closed = c.T("smp.read_only")
	default:
		today := time.Now().In(c.s.app.Loc).Format(entity.DateLayout)
		next := crm.SampleNextStep(stage)
		tv.Next = &trialForm{Stage: next, Prefix: "tn", Title: c.T("smp.record." + next), Submit: c.T("smp.submit." + next),
			DateLabel: c.T("smp.date." + next), ResLabel: c.T("smp.result." + next), On: today}
		tv.Fail = &trialForm{Stage: crm.SampleFailed, Prefix: "tf", Title: c.T("smp.record.failed"), Submit: c.T("smp.submit.failed"),
			DateLabel: c.T("smp.date.failed"), ResLabel: c.T("smp.result.failed"), On: today,
			Confirm: c.T("smp.confirm_failed", "title", rec.Str("product"))}
		for _, f := range []*trialForm{tv.Next, tv.Fail} {
			f.DateID, f.ResID = f.Prefix+"-on", f.Prefix+"-result"
			if in != nil && in.stage == f.Stage {
				f.On, f.Result, f.Open = in.on, in.result, true
				f.DateErr, f.ResErr = in.fields["on"], in.fields["result"]
			}
		}
	}
	if in != nil {
		tv.Errors = in.errors
	}
	h, err := c.partial("sample_trial", tv)
	if err != nil {
		return err
	}
	dp.Panels = append(dp.Panels, h)
	return nil
}

// stageTone colours a sample stage's badge.
func stageTone(stage string) string {
	switch stage {
	case crm.SampleSmall:
		return "badge-info"
	case crm.SamplePilot:
		return "badge-accent"
	case crm.SamplePurchase:
		return "badge-success"
	case crm.SampleFailed:
		return "badge-danger"
	}
	return "badge-muted"
}

// sampleAdvance records the next step of a sample's trial (or its
// failure). A refused step shows the page again with the form's input and
// the reason; a stale page is sent back to reload.
func (s *Server) sampleAdvance(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("sample")
	}
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	back := "/samples/" + id
	in := presales.SampleStep{Stage: c.r.PostFormValue("stage"), On: c.r.PostFormValue("on"), Result: c.r.PostFormValue("result")}
	if v, err := strconv.ParseInt(c.r.PostFormValue("version"), 10, 64); err == nil && v > 0 {
		in.Version = v
	}
	rec, err := s.app.Presales.AdvanceSample(c.ctx(), c.p, id, in)
	if err == nil {
		c.flash("success", c.T("smp.done."+rec.Str("stage"), "title", rec.Str("product")))
		return c.redirect(back + "#trial")
	}
	ee := errs.As(err)
	if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.NotFound || ee.Kind == errs.Forbidden {
		return err
	}
	if ee.Kind == errs.Conflict {
		c.flash("error", c.errText(err))
		return c.redirect(back)
	}
	ti := &trialInput{stage: in.Stage, on: in.On, result: in.Result, fields: map[string]string{}}
	e := c.schema.Entity("sample")
	for _, fe := range ee.Fields {
		switch fe.Field {
		case "on":
			ti.fields["on"] = c.stepFieldText(fe, "smp.field.on")
		case "result":
			ti.fields["result"] = c.stepFieldText(fe, "smp.field.result")
		default:
			ti.errors = append(ti.errors, c.fieldText(e, fe))
		}
	}
	if len(ee.Fields) == 0 {
		ti.errors = append(ti.errors, c.errText(err))
	}
	c.r = c.r.WithContext(context.WithValue(c.ctx(), trialInputKey{}, ti))
	return s.showDetail(c, e, id, httpStatus(err), nil)
}

// stepFieldText renders an error of the step form's own fields.
func (c *rc) stepFieldText(fe errs.FieldError, labelKey string) string {
	fe.Args = c.localArgs(fe.Args)
	label := c.T(labelKey)
	if !hasKey(c.L, "err."+fe.Code) {
		return c.T("error.field", "field", label)
	}
	args := map[string]any{"field": label}
	for k, v := range fe.Args {
		args[k] = v
	}
	return c.msgMap("err."+fe.Code, args)
}

// bidView is a bid's document checklist and deadline.
type bidView struct {
	*base
	Docs     []bidDoc
	Ready    int
	Required int
	Missing  string
	Deadline string
	DaysLeft string
	Soon     bool
	Passed   bool
	Review   string
	EditHref string
}

type bidDoc struct {
	Label    string
	Ready    bool
	Required bool
}

func (s *Server) bidPanel(c *rc, rec entity.Record, dp *detailPage) error {
	e := c.schema.Entity("bid")
	f := e.Field("documents_required")
	required, ready := rec.List("documents_required"), rec.List("documents_ready")
	isReady := map[string]bool{}
	for _, d := range ready {
		isReady[d] = true
	}
	isRequired := map[string]bool{}
	bv := &bidView{base: dp.base, Review: rec.Str("review_status"), Required: len(required)}
	if c.p.Perm("bid").Write != access.None {
		bv.EditHref = "/bids/" + rec.ID() + "/edit"
	}
	for _, d := range required {
		if isRequired[d] {
			continue
		}
		isRequired[d] = true
		bv.Docs = append(bv.Docs, bidDoc{Label: c.schema.OptionLabel(f, d, c.L), Ready: isReady[d], Required: true})
		if isReady[d] {
			bv.Ready++
		}
	}
	for _, d := range ready {
		if !isRequired[d] {
			bv.Docs = append(bv.Docs, bidDoc{Label: c.schema.OptionLabel(f, d, c.L), Ready: true})
		}
	}
	var missing []string
	for _, d := range crm.MissingBidDocuments(required, ready) {
		missing = append(missing, c.schema.OptionLabel(f, d, c.L))
	}
	bv.Missing = strings.Join(missing, c.T("ui.sep"))
	now := time.Now()
	if dl := rec.Time("deadline"); !dl.IsZero() {
		bv.Deadline = c.fmtTime(dl)
		bv.Passed = dl.Before(now)
		if rec.Str("result") == crm.BidPending {
			bv.DaysLeft = c.daysLeft(dl, now)
			bv.Soon = crm.BidDeadlineSoon(crm.BidPending, dl, now)
			if bv.Soon || bv.Passed {
				tone := "badge-warning"
				if bv.Passed {
					tone = "badge-danger"
				}
				dp.Badges = append(dp.Badges, cell{Text: bv.DaysLeft, Badge: tone})
			}
		}
	}
	h, err := c.partial("bid_checklist", bv)
	if err != nil {
		return err
	}
	dp.Panels = append(dp.Panels, h)
	return nil
}

// daysLeft says how far a deadline is: "今天截止", "还剩 2 天", "已截止".
func (c *rc) daysLeft(deadline, now time.Time) string {
	if deadline.Before(now) {
		return c.T("bid.deadline_passed")
	}
	switch n := crm.BidDaysLeft(deadline, now, c.s.app.Loc); n {
	case 0:
		return c.T("bid.deadline_today")
	default:
		return c.T("bid.deadline_in", "n", n)
	}
}

// bidListBadges marks the deadlines of open bids due within three days,
// and offers the list of exactly those.
func (s *Server) bidListBadges(c *rc, lp *listPage, items []entity.Record) {
	now := time.Now()
	soon := url.Values{}
	soon.Set("result", crm.BidPending)
	soon.Set("deadline[gte]", now.In(c.s.app.Loc).Format("2006-01-02T15:04"))
	soon.Set("deadline[lte]", now.Add(crm.BidSoonDays*24*time.Hour).In(c.s.app.Loc).Format("2006-01-02T15:04"))
	soon.Set("sort", "deadline")
	lp.Quick = append(lp.Quick, link{Text: c.T("bid.due_soon", "n", crm.BidSoonDays), Href: "/bids?" + soon.Encode()})
	col := -1
	for i, f := range lp.columns(c.schema.Entity("bid")) {
		if f.Name == "deadline" {
			col = i
		}
	}
	if col < 0 || lp.Trash {
		return
	}
	for i, r := range items {
		if i >= len(lp.Rows) || col >= len(lp.Rows[i].Cells) || r.Str("result") != crm.BidPending {
			continue
		}
		dl := r.Time("deadline")
		if !crm.BidDeadlineSoon(crm.BidPending, dl, now) {
			continue
		}
		orig := lp.Rows[i].Cells[col]
		lp.Rows[i].Cells[col] = cell{Items: []cell{{Text: orig.Text}, {Text: c.daysLeft(dl, now), Badge: "badge-warning"}}, Sep: " "}
	}
}

// sampleListLinks links the samples list to its conversion report and
// colours the stages.
func (s *Server) sampleListLinks(c *rc, lp *listPage, items []entity.Record) {
	lp.Quick = append(lp.Quick, link{Text: c.T("srep.title"), Href: "/reports/samples"})
	col := -1
	for i, f := range lp.columns(c.schema.Entity("sample")) {
		if f.Name == "stage" {
			col = i
		}
	}
	if col < 0 {
		return
	}
	for i, r := range items {
		if i < len(lp.Rows) && col < len(lp.Rows[i].Cells) && lp.Rows[i].Cells[col].Text != "" {
			lp.Rows[i].Cells[col].Badge = stageTone(r.Str("stage"))
		}
	}
}

// sampleReportPage is the conversion report of samples.
type sampleReportPage struct {
	*base
	Rep         presales.SampleReport
	Rows        []srepRow
	Total       srepRow
	GroupLabel  string
	From, To    string
	Group       string
	Groups      []option
	Owners      []option
	Teams       []option
	ShowScope   bool
	Errors      []string
	FunnelChart string
	BarChart    string
	ExportCSV   string
	ExportXLSX  string
	Empty       bool
}

type srepRow struct {
	Label                                string
	Href                                 string
	Sent, Small, Pilot, Purchase, Failed string
	Open, Conversion                     string
}

func (s *Server) sampleReport(c *rc) error {
	if c.p.Perm("sample").Read == access.None {
		return errs.Denied()
	}
	raw := c.r.URL.Query()
	pg := &sampleReportPage{base: c.newBase(c.T("srep.title"), "sample_report")}
	pg.Crumbs = []link{{Text: c.schema.Entity("sample").Plural.In(c.L), Href: "/samples"}, {Text: c.T("srep.title")}}
	pg.Charts = true
	q, qerr := presales.ParseSampleReportQuery(raw.Get)
	pg.From, pg.To, pg.Group = strings.TrimSpace(raw.Get("from")), strings.TrimSpace(raw.Get("to")), q.Group
	for _, g := range []string{presales.GroupProduct, presales.GroupOwner, presales.GroupTeam} {
		pg.Groups = append(pg.Groups, option{Value: g, Label: c.T("srep.group." + g), Selected: g == q.Group})
	}
	// Owner and team filters for those who see beyond their own samples.
	if c.p.Perm("sample").Read != access.Own {
		pg.ShowScope = true
		pg.Owners = []option{{Value: "", Label: c.T("filter.any")}}
		for _, u := range c.activeUsers() {
			pg.Owners = append(pg.Owners, option{Value: u.Value, Label: u.Label, Selected: u.Value == q.OwnerID})
		}
		pg.Teams = []option{{Value: "", Label: c.T("filter.any")}}
		te := c.schema.Entity("team")
		page, err := s.app.Records.List(c.ctx(), c.p, "team", entity.Query{Sort: te.Field("path"), Limit: 500})
		if err == nil {
			for _, t := range page.Items {
				pg.Teams = append(pg.Teams, option{Value: t.ID(), Label: t.Str("name"), Selected: t.ID() == q.TeamID})
			}
		}
	}
	pg.GroupLabel = c.T("srep.group." + q.Group)
	if qerr != nil {
		for _, fe := range fieldErrors(qerr) {
			pg.Errors = append(pg.Errors, c.stepFieldText(fe, "srep.field."+fe.Field))
		}
		pg.Group = presales.GroupProduct
		return c.render(httpStatus(qerr), "report_samples", pg)
	}
	rep, err := s.app.Presales.SampleConversion(c.ctx(), c.p, q)
	if err != nil {
		return err
	}
	pg.Rep = rep
	pg.Empty = len(rep.Rows) == 0
	listParams := func(r presales.SampleReportRow) string {
		v := url.Values{}
		switch q.Group {
		case presales.GroupProduct:
			v.Set("product[contains]", r.Key)
		case presales.GroupOwner:
			if r.Key == "" {
				v.Set("owner_id[empty]", "true")
			} else {
				v.Set("owner_id", r.Key)
			}
		case presales.GroupTeam:
			if r.Key != "" {
				v.Set("team_id", r.Key)
			}
		}
		if q.From != "" {
			v.Set("sent_on[gte]", q.From)
		}
		if q.To != "" {
			v.Set("sent_on[lte]", q.To)
		}
		return "/samples?" + v.Encode()
	}
	row := func(r presales.SampleReportRow) srepRow {
		label := r.Label
		if label == "" {
			label = c.T("srep.none")
		}
		return srepRow{Label: label, Sent: formatInt(r.Sent), Small: formatInt(r.SmallTrial), Pilot: formatInt(r.Pilot),
			Purchase: formatInt(r.Purchase), Failed: formatInt(r.Failed), Open: formatInt(r.Open), Conversion: fmt.Sprintf("%.1f%%", r.Conversion)}
	}
	for _, r := range rep.Rows {
		sr := row(r)
		sr.Href = listParams(r)
		pg.Rows = append(pg.Rows, sr)
	}
	pg.Total = row(rep.Total)
	pg.Total.Label = c.T("srep.total")
	steps := []string{c.T("srep.col.sent"), c.T("srep.col.small"), c.T("srep.col.pilot"), c.T("srep.col.purchase")}
	t := rep.Total
	pg.FunnelChart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "item"},
		"series": []any{map[string]any{"name": c.T("srep.funnel"), "type": "funnel", "sort": "none", "left": "10%", "width": "80%", "top": 8, "bottom": 8, "minSize": "8%", "gap": 2,
			"label": map[string]any{"show": true, "position": "inside", "formatter": "{b} {c}"},
			"data": []any{
				map[string]any{"name": steps[0], "value": t.Sent}, map[string]any{"name": steps[1], "value": t.SmallTrial},
				map[string]any{"name": steps[2], "value": t.Pilot}, map[string]any{"name": steps[3], "value": t.Purchase},
			}}},
	})
	var names []string
	series := make([][]int, 4)
	for i, r := range rep.Rows {
		if i == 12 {
			break
		}
		label := r.Label
		if label == "" {
			label = c.T("srep.none")
		}
		names = append(names, label)
		for j, v := range []int{r.Sent, r.SmallTrial, r.Pilot, r.Purchase} {
			series[j] = append(series[j], v)
		}
	}
	var bars []any
	for j, name := range steps {
		bars = append(bars, map[string]any{"name": name, "type": "bar", "barMaxWidth": 18, "data": series[j]})
	}
	pg.BarChart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 48, "right": 12, "top": 16, "bottom": 36, "containLabel": true},
		"xAxis": map[string]any{"type": "category", "data": names, "axisTick": map[string]any{"show": false},
			"axisLabel": map[string]any{"interval": 0, "rotate": 20, "width": 110, "overflow": "truncate"}},
		"yAxis":  map[string]any{"type": "value", "minInterval": 1, "splitLine": map[string]any{"lineStyle": map[string]any{"type": "dashed"}}},
		"series": bars,
	})
	if c.p.Perm("sample").Export {
		v := url.Values{}
		for _, k := range []string{"from", "to", "group", "owner_id", "team_id"} {
			if x := strings.TrimSpace(raw.Get(k)); x != "" {
				v.Set(k, x)
			}
		}
		v.Set("format", "csv")
		pg.ExportCSV = "/api/v1/reports/samples/export?" + v.Encode()
		v.Set("format", "xlsx")
		pg.ExportXLSX = "/api/v1/reports/samples/export?" + v.Encode()
	}
	return c.render(http.StatusOK, "report_samples", pg)
}

// msgMap translates with a map of arguments.
func (c *rc) msgMap(key string, args map[string]any) string {
	flat := make([]any, 0, 2*len(args))
	for k, v := range args {
		flat = append(flat, k, v)
	}
	return c.T(key, flat...)
}
