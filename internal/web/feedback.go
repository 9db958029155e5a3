package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/feedback"
)

// The feedback loop in the web UI: the cause review (chart, table, export,
// "create improvement item" from a row), the survey results, the steps of
// an improvement item, the ticket's panel (the items its cause led to, its
// survey and a link to copy, the knowledge article), and the menu entries
// for "my return visits" and the overdue lists. The customer's survey page
// is in feedback_public.go.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /reports/ticket-causes", s.page(s.fbCauses))
		m.HandleFunc("GET /reports/ticket-causes/improve", s.page(s.fbImproveForm))
		m.HandleFunc("POST /reports/ticket-causes/improve", s.page(s.fbImprove))
		m.HandleFunc("GET /reports/surveys", s.page(s.fbSurveys))
		m.HandleFunc("POST /improvement-items/{id}/step", s.page(s.fbItemStep))
		m.HandleFunc("POST /tickets/{id}/knowledge-article", s.page(s.fbArticle))
		m.HandleFunc("POST /surveys/{id}/link", s.page(s.fbSurveyLink))
		m.HandleFunc("GET /survey/{token}", s.public(s.fbPublic))
		m.HandleFunc("POST /survey/{token}", s.public(s.fbPublicPost))
	})
	onDetail("ticket", (*Server).fbTicketPanel)
	onDetail("improvement_item", (*Server).fbItemPanel)
	onDetail("survey", (*Server).fbSurveyPanel)
	navAfter["improvement_item"] = append(navAfter["improvement_item"], func(c *rc) []navItem {
		out := []navItem{{Key: "improvement-overdue", Text: c.T("fb.nav.items_overdue"), Href: "/improvement-items?" + overdueItems(c).Encode()}}
		if c.p.Perm("ticket").Read != access.None {
			out = append([]navItem{{Key: "ticket-causes", Text: c.T("fb.nav.causes"), Href: "/reports/ticket-causes"}}, out...)
		}
		return out
	})
	navAfter["return_visit"] = append(navAfter["return_visit"], func(c *rc) []navItem {
		mine := url.Values{"owner_id": {c.p.UserID}, "status": {crm.ReturnVisitPlanned}, "sort": {"due_date"}}
		over := url.Values{"status": {crm.ReturnVisitPlanned}, "due_date[lt]": {c.today()}, "sort": {"due_date"}}
		return []navItem{{Key: "my-return-visits", Text: c.T("fb.nav.my_visits"), Href: "/return-visits?" + mine.Encode()},
			{Key: "return-visits-overdue", Text: c.T("fb.nav.visits_overdue"), Href: "/return-visits?" + over.Encode()}}
	})
	navAfter["survey"] = append(navAfter["survey"], func(c *rc) []navItem {
		if feedback.SurveyScope(c.p) == access.None {
			return nil
		}
		return []navItem{{Key: "survey-results", Text: c.T("fb.nav.surveys"), Href: "/reports/surveys"}}
	})
	for code, tone := range map[string]string{
		crm.ImprovementInProgress: "badge-warning", crm.ImprovementVerified: "badge-success", crm.ImprovementDropped: "badge-muted",
		crm.SurveyAnswered: "badge-success", crm.SurveySent: "badge-info", crm.SurveyNotSent: "badge-warning", crm.SurveyExpired: "badge-muted",
	} {
		if _, set := tones[code]; !set {
			tones[code] = tone
		}
	}
}

func (c *rc) today() string { return c.s.app.Feedback.Today() }

func overdueItems(c *rc) url.Values {
	return url.Values{"status": {crm.ImprovementOpen, crm.ImprovementInProgress}, "due_date[lt]": {c.today()}, "sort": {"due_date"}}
}

// fbReport is the page of either report.
type fbReport struct {
	*base
	From, To    string
	Groups      []option
	Kinds       []option
	Teams       []option
	GroupLabel  string
	Errors      []string
	Empty       bool
	TrendChart  string
	BarChart    string
	ExportCSV   string
	ExportXLSX  string
	Months      []string
	Rows        []fbRow
	Total       fbRow
	Columns     []string
	Scope       string
	CanImprove  bool
	ImproveBase string
}

type fbRow struct {
	Label   string
	Href    string
	Improve string
	Count   string
	Share   string
	Months  []string
	Cells   []string
}

func (s *Server) fbFilters(c *rc, pg *fbReport, q feedback.ReportQuery, groups []string) {
	raw := c.r.URL.Query()
	pg.From, pg.To = strings.TrimSpace(raw.Get("from")), strings.TrimSpace(raw.Get("to"))
	for _, g := range groups {
		pg.Groups = append(pg.Groups, option{Value: g, Label: c.T("fb.group." + g), Selected: g == q.Group})
	}
	pg.Kinds = []option{{Value: "", Label: c.T("filter.any")}}
	for _, o := range crm.TicketKinds {
		pg.Kinds = append(pg.Kinds, option{Value: o.Code, Label: o.Label.In(c.L), Selected: o.Code == q.Kind})
	}
	pg.Teams = []option{{Value: "", Label: c.T("filter.any")}}
	te := c.schema.Entity("team")
	if page, err := s.app.Records.List(c.ctx(), c.p, "team", entity.Query{Sort: te.Field("path"), Limit: 500}); err == nil {
		for _, t := range page.Items {
			pg.Teams = append(pg.Teams, option{Value: t.ID(), Label: t.Str("name"), Selected: t.ID() == q.TeamID})
		}
	}
	pg.GroupLabel = c.T("fb.group." + q.Group)
}

func exportLinks(raw url.Values, path string) (string, string) {
	v := url.Values{}
	for _, k := range []string{"from", "to", "group", "kind", "team_id"} {
		if x := strings.TrimSpace(raw.Get(k)); x != "" {
			v.Set(k, x)
		}
	}
	v.Set("format", "csv")
	csv := path + "?" + v.Encode()
	v.Set("format", "xlsx")
	return csv, path + "?" + v.Encode()
}

func (s *Server) fbCauses(c *rc) error {
	if c.p.Perm("ticket").Read == access.None {
		return errs.Denied()
	}
	raw := c.r.URL.Query()
	pg := &fbReport{base: c.newBase(c.T("fb.cause.title"), "ticket-causes")}
	pg.Charts = true
	q, qerr := feedback.ParseReportQuery(raw.Get, crm.CauseGroups)
	s.fbFilters(c, pg, q, crm.CauseGroups)
	if qerr != nil {
		for _, fe := range fieldErrors(qerr) {
			pg.Errors = append(pg.Errors, c.stepFieldText(fe, "fb.field."+fe.Field))
		}
		return c.render(httpStatus(qerr), "fb_causes", pg)
	}
	rep, err := s.app.Feedback.CauseReview(c.ctx(), c.p, q)
	if err != nil {
		return err
	}
	pg.Empty, pg.Months = len(rep.Rows) == 0, rep.Months
	pg.CanImprove = c.p.Perm("improvement_item").Create && !c.p.ReadOnly
	causeField := c.schema.Entity("ticket").Field("cause")
	label := func(r feedback.CauseRow) string {
		switch {
		case r.Key == "":
			return c.T("fb.none")
		case q.Group == "cause":
			return c.schema.OptionLabel(causeField, r.Key, c.L)
		}
		return r.Label
	}
	var series []any
	for i, r := range rep.Rows {
		row := fbRow{Label: label(r), Count: formatInt(r.Count), Share: fmt.Sprintf("%.1f%%", r.Share)}
		lv := url.Values{"sort": {"-resolved_at"}, "resolved_at[empty]": {"false"}}
		iv := url.Values{}
		for k, v := range map[string]string{"from": q.From, "to": q.To, "kind": q.Kind, "team_id": q.TeamID} {
			if v != "" {
				iv.Set(k, v)
			}
		}
		if q.Kind != "" {
			lv.Set("kind", q.Kind)
		}
		if q.From != "" {
			lv.Set("resolved_at[gte]", q.From)
		}
		if q.To != "" {
			lv.Set("resolved_at[lte]", q.To)
		}
		col := map[string]string{"cause": "cause", "product": "product_id", "customer": "customer_id"}[q.Group]
		if r.Key == "" {
			lv.Set(col+"[empty]", "true")
		} else {
			lv.Set(col, r.Key)
			iv.Set(col, r.Key)
		}
		row.Href = "/tickets?" + lv.Encode()
		if pg.CanImprove && r.Key != "" {
			row.Improve = "/reports/ticket-causes/improve?" + iv.Encode()
		}
		var data []int
		for _, m := range rep.Months {
			row.Months = append(row.Months, formatInt(r.Months[m]))
			data = append(data, r.Months[m])
		}
		pg.Rows = append(pg.Rows, row)
		if i < 6 {
			series = append(series, map[string]any{"name": row.Label, "type": "line", "smooth": true, "data": data})
		}
	}
	pg.Total = fbRow{Label: c.T("fb.total"), Count: formatInt(rep.Total), Share: "100%"}
	var totals []int
	for _, m := range rep.Months {
		pg.Total.Months = append(pg.Total.Months, formatInt(rep.PerMonth[m]))
		totals = append(totals, rep.PerMonth[m])
	}
	series = append(series, map[string]any{"name": c.T("fb.total"), "type": "bar", "barMaxWidth": 24, "data": totals, "itemStyle": map[string]any{"opacity": 0.25}})
	pg.TrendChart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"}, "legend": map[string]any{"bottom": 0, "type": "scroll"},
		"grid":   map[string]any{"left": 40, "right": 12, "top": 16, "bottom": 40, "containLabel": true},
		"xAxis":  map[string]any{"type": "category", "data": rep.Months},
		"yAxis":  map[string]any{"type": "value", "minInterval": 1, "splitLine": map[string]any{"lineStyle": map[string]any{"type": "dashed"}}},
		"series": series,
	})
	var pie []any
	for i, r := range rep.Rows {
		if i == 10 {
			break
		}
		pie = append(pie, map[string]any{"name": pg.Rows[i].Label, "value": r.Count})
	}
	pg.BarChart = chartJSON(map[string]any{"tooltip": map[string]any{"trigger": "item"},
		"series": []any{map[string]any{"type": "pie", "radius": []string{"40%", "70%"}, "data": pie, "label": map[string]any{"formatter": "{b} {d}%"}}}})
	if c.p.Perm("ticket").Export {
		pg.ExportCSV, pg.ExportXLSX = exportLinks(raw, "/api/v1/reports/ticket-causes/export")
	}
	return c.render(http.StatusOK, "fb_causes", pg)
}

// fbImprovePage is the form of an improvement item from a review row.
type fbImprovePage struct {
	*base
	Action   string
	Hidden   []option
	Title    string
	Desc     string
	Due      string
	Owners   []option
	Products []option
	Causes   []option
	Tickets  int
	Errors   []string
}

func (s *Server) fbImproveForm(c *rc) error {
	return s.fbImproveRender(c, c.r.URL.Query(), nil, http.StatusOK)
}

func (s *Server) fbImproveRender(c *rc, v url.Values, ferr error, status int) error {
	if !c.p.Perm("improvement_item").Create {
		return errs.Denied()
	}
	pg := &fbImprovePage{base: c.newBase(c.T("fb.improve.title"), "ticket-causes"), Action: "/reports/ticket-causes/improve"}
	pg.Crumbs = []link{{Text: c.T("fb.cause.title"), Href: "/reports/ticket-causes"}, {Text: c.T("fb.improve.title")}}
	for _, k := range []string{"from", "to", "kind", "team_id", "customer_id"} {
		if x := v.Get(k); x != "" {
			pg.Hidden = append(pg.Hidden, option{Value: x, Label: k})
		}
	}
	cause, product := v.Get("cause"), v.Get("product_id")
	ie := c.schema.Entity("improvement_item")
	pg.Causes = append([]option{{Value: "", Label: c.T("filter.any")}}, c.selectOptions(ie.Field("cause"), cause)...)
	pg.Owners = []option{{Value: "", Label: c.T("fb.improve.owner_me")}}
	for _, u := range c.activeUsers() {
		pg.Owners = append(pg.Owners, option{Value: u.Value, Label: u.Label, Selected: u.Value == v.Get("owner_id")})
	}
	pg.Products = []option{{Value: "", Label: c.T("filter.any")}}
	if page, err := s.app.Records.List(c.ctx(), c.p, "product", entity.Query{Sort: c.schema.Entity("product").Field("name"), Limit: 500}); err == nil {
		for _, p := range page.Items {
			pg.Products = append(pg.Products, option{Value: p.ID(), Label: p.Str("name"), Selected: p.ID() == product})
		}
	}
	pg.Title, pg.Desc, pg.Due = v.Get("title"), v.Get("description"), v.Get("due_date")
	if pg.Title == "" {
		lbl := c.schema.OptionLabel(ie.Field("cause"), cause, c.L)
		if cause == "" {
			lbl = ""
		}
		if product != "" {
			if t, err := s.app.Records.Titles(c.ctx(), c.p, "product", []string{product}); err == nil && t[product] != "" {
				lbl = strings.TrimSpace(lbl + " " + t[product])
			}
		}
		pg.Title = c.T("fb.improve.default_title", "what", lbl)
	}
	q, _ := feedback.ParseReportQuery(v.Get, crm.CauseGroups)
	if ids, err := s.app.Feedback.CauseTickets(c.ctx(), c.p, q, cause, product, v.Get("customer_id")); err == nil && (cause != "" || product != "" || v.Get("customer_id") != "") {
		pg.Tickets = len(ids)
	}
	if ferr != nil {
		for _, fe := range fieldErrors(ferr) {
			pg.Errors = append(pg.Errors, c.stepFieldText(fe, "fb.field."+fe.Field))
		}
		if len(pg.Errors) == 0 {
			pg.Errors = append(pg.Errors, c.errText(ferr))
		}
	}
	return c.render(status, "fb_improve", pg)
}

func (s *Server) fbImprove(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	q, err := feedback.ParseReportQuery(f.Get, crm.CauseGroups)
	if err != nil {
		return s.fbImproveRender(c, f, err, httpStatus(err))
	}
	in := feedback.NewItem{Title: f.Get("title"), Description: f.Get("description"), Cause: f.Get("cause"), ProductID: f.Get("product_id"),
		OwnerID: f.Get("owner_id"), DueDate: f.Get("due_date")}
	if in.Cause != "" || in.ProductID != "" || f.Get("customer_id") != "" {
		ids, err := s.app.Feedback.CauseTickets(c.ctx(), c.p, q, in.Cause, in.ProductID, f.Get("customer_id"))
		if err != nil {
			return err
		}
		in.TicketIDs = ids
	}
	out, err := s.app.Feedback.CreateItem(c.ctx(), c.p, in)
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Unprocessable {
			return s.fbImproveRender(c, f, err, httpStatus(err))
		}
		return err
	}
	return c.processDone(c.T("fb.improve.done", "title", out.Str("title"), "n", out.Int("ticket_count")), "/improvement-items/"+out.ID())
}

func (s *Server) fbSurveys(c *rc) error {
	if feedback.SurveyScope(c.p) == access.None {
		return errs.Denied()
	}
	raw := c.r.URL.Query()
	pg := &fbReport{base: c.newBase(c.T("fb.survey.title"), "survey-results")}
	pg.Charts = true
	q, qerr := feedback.ParseReportQuery(raw.Get, crm.SurveyGroups)
	s.fbFilters(c, pg, q, crm.SurveyGroups)
	for _, k := range feedback.SurveyColumns {
		pg.Columns = append(pg.Columns, c.T("fb.survey.col."+k))
	}
	if qerr != nil {
		for _, fe := range fieldErrors(qerr) {
			pg.Errors = append(pg.Errors, c.stepFieldText(fe, "fb.field."+fe.Field))
		}
		return c.render(httpStatus(qerr), "fb_surveys", pg)
	}
	rep, err := s.app.Feedback.SurveyResults(c.ctx(), c.p, q)
	if err != nil {
		return err
	}
	pg.Scope = c.T("fb.scope." + rep.Scope)
	pg.Empty = len(rep.Rows) == 0
	var names []string
	var avg, nps, rate []float64
	for _, r := range rep.Rows {
		lbl := r.Label
		if lbl == "" {
			lbl = c.T("fb.none")
		}
		pg.Rows = append(pg.Rows, fbRow{Label: lbl, Cells: feedback.SurveyCells(r)})
		names = append(names, lbl)
		avg, nps, rate = append(avg, r.AvgSatisfaction), append(nps, r.NPS), append(rate, r.ResponseRate)
	}
	pg.Total = fbRow{Label: c.T("fb.total"), Cells: feedback.SurveyCells(rep.Total)}
	kind := "bar"
	if q.Group == "month" {
		kind = "line"
	}
	pg.TrendChart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"}, "legend": map[string]any{"bottom": 0},
		"grid":  map[string]any{"left": 40, "right": 40, "top": 16, "bottom": 40, "containLabel": true},
		"xAxis": map[string]any{"type": "category", "data": names, "axisLabel": map[string]any{"interval": 0, "rotate": 20}},
		"yAxis": []any{map[string]any{"type": "value", "min": 0, "max": 5, "name": c.T("fb.survey.col.avg")},
			map[string]any{"type": "value", "min": -100, "max": 100, "name": "NPS"}},
		"series": []any{
			map[string]any{"name": c.T("fb.survey.col.avg"), "type": kind, "barMaxWidth": 24, "data": avg},
			map[string]any{"name": c.T("fb.survey.col.nps"), "type": "line", "yAxisIndex": 1, "data": nps},
		},
	})
	t := rep.Total
	pg.BarChart = chartJSON(map[string]any{"tooltip": map[string]any{"trigger": "item"}, "legend": map[string]any{"bottom": 0},
		"series": []any{map[string]any{"type": "pie", "radius": []string{"40%", "70%"}, "label": map[string]any{"formatter": "{b} {c}"}, "data": []any{
			map[string]any{"name": c.T("fb.nps.promoters"), "value": t.Promoters, "itemStyle": map[string]any{"color": "#2e9d5b"}},
			map[string]any{"name": c.T("fb.nps.passives"), "value": t.Passives, "itemStyle": map[string]any{"color": "#c9a227"}},
			map[string]any{"name": c.T("fb.nps.detractors"), "value": t.Detractors, "itemStyle": map[string]any{"color": "#c8453b"}},
		}}}})
	_ = rate
	pg.Months = []string{fmt.Sprintf("%.2f", t.AvgSatisfaction), fmt.Sprintf("%.1f", t.NPS), fmt.Sprintf("%.1f%%", t.ResponseRate), strconv.Itoa(t.Answered), strconv.Itoa(t.Low)}
	if c.p.Perm("survey").Export {
		pg.ExportCSV, pg.ExportXLSX = exportLinks(raw, "/api/v1/reports/surveys/export")
	}
	return c.render(http.StatusOK, "fb_surveys", pg)
}

// fbPanel is the feedback panel on a ticket, an item or a survey.
type fbPanel struct {
	T         func(string, ...any) string
	Linked    []link
	SameCause []link
	NewItem   string
	Survey    *link
	Status    string
	Score     string
	LinkPost  string
	Article   string
	MakeKB    string
	Steps     []fbStep
	Version   int64
}

type fbStep struct {
	Step, Label, Action string
	Reason, Primary     bool
}

func (s *Server) fbTicketPanel(c *rc, rec entity.Record, dp *detailPage) error {
	v := &fbPanel{T: c.T}
	linked, same, err := s.app.Feedback.TicketItems(c.ctx(), c.p, rec, 5)
	if err != nil {
		return err
	}
	for _, r := range linked {
		v.Linked = append(v.Linked, link{Text: r.Str("title") + " · " + c.schema.OptionLabel(c.schema.Entity("improvement_item").Field("status"), r.Str("status"), c.L), Href: "/improvement-items/" + r.ID()})
	}
	for _, r := range same {
		v.SameCause = append(v.SameCause, link{Text: r.Str("title"), Href: "/improvement-items/" + r.ID()})
	}
	resolved := rec.Str("status") == crm.TicketResolved || rec.Str("status") == crm.TicketClosed
	if c.p.Perm("improvement_item").Create && !c.p.ReadOnly && rec.Str("cause") != "" {
		iv := url.Values{"cause": {rec.Str("cause")}}
		if p := rec.Str("product_id"); p != "" {
			iv.Set("product_id", p)
		}
		v.NewItem = "/reports/ticket-causes/improve?" + iv.Encode()
	}
	if sv, err := s.app.Feedback.TicketSurvey(c.ctx(), c.p, rec.ID()); err == nil && sv != nil {
		v.Survey = &link{Text: sv.Str("subject"), Href: "/surveys/" + sv.ID()}
		v.Status = c.schema.OptionLabel(c.schema.Entity("survey").Field("status"), sv.Str("status"), c.L)
		if sv.Str("status") == crm.SurveyAnswered {
			v.Score = c.T("fb.panel.score", "sat", sv.Int("satisfaction"), "nps", sv.Int("nps"))
		} else if c.writable("survey", sv.ID()) && sv.Str("status") != crm.SurveyExpired {
			v.LinkPost = "/surveys/" + sv.ID() + "/link"
		}
	}
	if id := s.app.Feedback.TicketArticle(c.ctx(), rec.ID()); id != "" {
		v.Article = "/knowledge-articles/" + id
	} else if resolved && c.p.Perm("knowledge_article").Create && !c.p.ReadOnly {
		v.MakeKB = "/tickets/" + rec.ID() + "/knowledge-article"
	}
	if len(v.Linked) == 0 && len(v.SameCause) == 0 && v.NewItem == "" && v.Survey == nil && v.Article == "" && v.MakeKB == "" {
		return nil
	}
	return s.partialOr(c, "fb_ticket_panel", v, &dp.Side)
}

func (s *Server) fbItemPanel(c *rc, rec entity.Record, dp *detailPage) error {
	if !c.writable("improvement_item", rec.ID()) {
		return nil
	}
	v := &fbPanel{T: c.T, Version: rec.Version()}
	for _, st := range crm.ImprovementSteps(rec.Str("status")) {
		v.Steps = append(v.Steps, fbStep{Step: st, Label: c.T("fb.step." + st), Action: "/improvement-items/" + rec.ID() + "/step",
			Reason: st == crm.ImprovementStepDrop, Primary: st != crm.ImprovementStepDrop && st != crm.ImprovementStepReopen})
	}
	if len(v.Steps) == 0 {
		return nil
	}
	return s.partialOr(c, "fb_item_steps", v, &dp.Panels)
}

func (s *Server) fbSurveyPanel(c *rc, rec entity.Record, dp *detailPage) error {
	if rec.Str("status") == crm.SurveyAnswered || rec.Str("status") == crm.SurveyExpired || !c.writable("survey", rec.ID()) {
		return nil
	}
	v := &fbPanel{T: c.T, LinkPost: "/surveys/" + rec.ID() + "/link"}
	return s.partialOr(c, "fb_survey_link", v, &dp.Side)
}

func (s *Server) fbItemStep(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	id := strings.ToLower(c.r.PathValue("id"))
	out, err := s.app.Feedback.StepItem(c.ctx(), c.p, id, feedback.ItemStep{Step: f.Get("step"), Reason: f.Get("reason"), Version: formVersion(f)})
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Unprocessable || k == errs.Conflict {
			c.flash("error", c.errText(err))
			return c.redirect("/improvement-items/" + id)
		}
		return err
	}
	return c.processDone(c.T("fb.step.ok", "title", out.Str("title"), "status", c.schema.OptionLabel(c.schema.Entity("improvement_item").Field("status"), out.Str("status"), c.L)), "/improvement-items/"+out.ID())
}

func (s *Server) fbArticle(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	out, _, err := s.app.Feedback.KnowledgeArticle(c.ctx(), c.p, id)
	if err != nil {
		if errs.KindOf(err) == errs.Unprocessable {
			c.flash("error", c.errText(err))
			return c.redirect("/tickets/" + id)
		}
		return err
	}
	return c.processDone(c.T("fb.kb.done", "title", out.Str("title")), "/knowledge-articles/"+out.ID())
}

// fbLinkPage shows a survey link just made, to copy.
type fbLinkPage struct {
	*base
	URL, Expires, Back string
}

func (s *Server) fbSurveyLink(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	l, err := s.app.Feedback.CopyLink(c.ctx(), c.p, id)
	if err != nil {
		if errs.KindOf(err) == errs.Unprocessable {
			c.flash("error", c.errText(err))
			return c.redirect("/surveys/" + id)
		}
		return err
	}
	pg := &fbLinkPage{base: c.newBase(c.T("fb.link.title"), "surveys"), URL: l.URL, Expires: c.fmtTime(l.ExpiresAt), Back: "/surveys/" + id}
	if pg.URL == "" {
		pg.URL = s.linkURL(c, l.Path)
	}
	return c.render(http.StatusOK, "fb_link", pg)
}
