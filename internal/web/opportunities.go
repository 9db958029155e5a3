package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/api"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/presales"
	"closeloop/internal/sheet"
)

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /opportunities/board", s.page(s.board))
		m.HandleFunc("POST /opportunities/{id}/stage", s.page(s.moveStage))
		m.HandleFunc("POST /opportunities/board/move", s.page(s.boardMove))
		m.HandleFunc("POST /opportunities/{id}/win", s.page(s.winOpportunity))
		m.HandleFunc("POST /opportunities/{id}/lose", s.page(s.loseOpportunity))
		m.HandleFunc("POST /opportunities/{id}/reopen", s.page(s.reopenOpportunity))
		m.HandleFunc("GET /reports/forecast", s.page(s.forecast))
	})
	onDetail("opportunity", (*Server).extendOpportunity)
	onDetail("opportunity", (*Server).buyingUnit)
	onDetail("customer", (*Server).customerDeals)
}

// sideRow is one line of a side card: a linked title, a tag, a note.
type sideRow struct {
	Href, Title, Tag, Note string
	Accent                 bool
}

// sideCard is a titled list in a record page's aside.
type sideCard struct {
	T          func(string, ...any) string
	ID, Title  string
	AddHref    string
	AddText    string
	Rows       []sideRow
	Empty      string
	ViewAll    string
	ViewAllTxt string
}

// buyingUnit shows who decides (the opportunity's contacts with their
// roles, the primary one marked) and the competitors met in the deal.
func (s *Server) buyingUnit(c *rc, rec entity.Record, dp *detailPage) error {
	open := rec.Str("status") == crm.OppOpen && c.p.Perm("opportunity").Write != access.None
	for _, part := range []struct {
		entity, titleKey, emptyKey, tagField string
	}{
		{"opportunity_contact", "opp.buying_unit", "opp.no_contacts", "role"},
		{"opportunity_competitor", "opp.competitors", "opp.no_competitors", "threat"},
	} {
		e := c.schema.Entity(part.entity)
		if e == nil || c.p.Perm(part.entity).Read == access.None {
			continue
		}
		page, err := s.app.Records.List(c.ctx(), c.p, part.entity, entity.Query{Sort: e.Field("updated_at"), Desc: true, Limit: 50,
			Conds: []entity.Cond{{Field: e.Field("opportunity_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
		if err != nil {
			return err
		}
		card := sideCard{T: c.T, ID: part.entity, Title: c.T(part.titleKey), Empty: c.T(part.emptyKey)}
		if open && c.p.Perm(part.entity).Create {
			card.AddHref, card.AddText = basePath(e)+"/new?opportunity_id="+rec.ID(), c.T("ui.add")
		}
		for _, r := range page.Items {
			row := sideRow{Href: basePath(e) + "/" + r.ID(), Title: r.Str(e.Title), Tag: c.schema.OptionLabel(e.Field(part.tagField), r.Str(part.tagField), c.L)}
			if part.entity == "opportunity_contact" {
				row.Accent = r.Bool("is_primary")
				if row.Accent {
					row.Note = c.T("detail.primary")
				}
			} else {
				row.Note = c.schema.OptionLabel(e.Field("price_position"), r.Str("price_position"), c.L)
			}
			card.Rows = append(card.Rows, row)
		}
		html, err := c.partial("side_card", card)
		if err != nil {
			return err
		}
		dp.Side = append(dp.Side, html)
	}
	return nil
}

// customerDeals lists a customer's open opportunities and offers a new one.
func (s *Server) customerDeals(c *rc, rec entity.Record, dp *detailPage) error {
	oe := c.schema.Entity("opportunity")
	if oe == nil || c.p.Perm("opportunity").Read == access.None {
		return nil
	}
	page, err := s.app.Records.List(c.ctx(), c.p, "opportunity", entity.Query{Sort: oe.Field("updated_at"), Desc: true, Limit: 10,
		Conds: []entity.Cond{{Field: oe.Field("customer_id"), Op: entity.Eq, Values: []any{rec.ID()}}, {Field: oe.Field("status"), Op: entity.Eq, Values: []any{crm.OppOpen}}}})
	if err != nil {
		return err
	}
	card := sideCard{T: c.T, ID: "opportunities", Title: c.T("opp.open_deals"), Empty: c.T("opp.no_open_deals"),
		ViewAll: "/opportunities?customer_id=" + rec.ID(), ViewAllTxt: c.T("opp.all_deals")}
	if c.p.Perm("opportunity").Create {
		card.AddHref, card.AddText = "/opportunities/new?customer_id="+rec.ID(), c.T("opp.new")
	}
	var stageIDs []string
	for _, r := range page.Items {
		stageIDs = append(stageIDs, r.Str("stage_id"))
	}
	stageNames, err := s.app.Records.Titles(c.ctx(), access.SystemPrincipal(), "pipeline_stage", stageIDs)
	if err != nil {
		return err
	}
	for _, r := range page.Items {
		row := sideRow{Href: "/opportunities/" + r.ID(), Title: r.Str("name"), Tag: stageNames[r.Str("stage_id")]}
		if a, ok := r["amount"].(int64); ok {
			row.Note = moneyText(r.Str("currency"), a)
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

// moneyText shows minor units with the currency's sign.
func moneyText(cur string, minor int64) string {
	sign := map[string]string{"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}[cur]
	if sign == "" {
		sign = cur + " "
	}
	return sign + strings.TrimSuffix(entity.FormatMoney(minor), ".00")
}

// moneyTexts shows an amount per currency, CNY first.
func moneyTexts(m presales.Money) string {
	if len(m) == 0 {
		return moneyText("CNY", 0)
	}
	curs := make([]string, 0, len(m))
	for c := range m {
		curs = append(curs, c)
	}
	sort.Slice(curs, func(i, j int) bool {
		if (curs[i] == "CNY") != (curs[j] == "CNY") {
			return curs[i] == "CNY"
		}
		return curs[i] < curs[j]
	})
	parts := make([]string, len(curs))
	for i, c := range curs {
		parts[i] = moneyText(c, m[c])
	}
	return strings.Join(parts, " + ")
}

func stageLabel(st crm.Stage, l i18n.Lang) string {
	if l == i18n.EN && st.NameEn != "" {
		return st.NameEn
	}
	return st.Name
}

// pipelineChoice is one pipeline in the board's picker.
type pipelineChoice struct {
	ID, Name string
	Selected bool
}

func (s *Server) pipelines(c *rc, current string) ([]pipelineChoice, string, error) {
	pe := c.schema.Entity("pipeline")
	q := entity.Query{Sort: pe.Field("position"), Limit: 100, Conds: []entity.Cond{{Field: pe.Field("active"), Op: entity.Eq, Values: []any{true}}}}
	page, err := s.app.DB.List(c.ctx(), pe, q, nil)
	if err != nil {
		return nil, "", err
	}
	if current == "" {
		for _, p := range page.Items {
			if p.Bool("is_default") {
				current = p.ID()
			}
		}
		if current == "" && len(page.Items) > 0 {
			current = page.Items[0].ID()
		}
	}
	out := make([]pipelineChoice, 0, len(page.Items))
	for _, p := range page.Items {
		name := p.Str("name")
		if c.L == i18n.EN && p.Str("name_en") != "" {
			name = p.Str("name_en")
		}
		out = append(out, pipelineChoice{ID: p.ID(), Name: name, Selected: p.ID() == current})
	}
	return out, current, nil
}

// dealFilters reads the pipeline, owner and team of a deals page and
// prepares its pickers.
func (s *Server) dealFilters(c *rc) (presales.DealFilter, []pipelineChoice, []option, []option, error) {
	if c.p.Perm("opportunity").Read == access.None {
		return presales.DealFilter{}, nil, nil, nil, errs.Denied()
	}
	q := c.r.URL.Query()
	pls, current, err := s.pipelines(c, q.Get("pipeline_id"))
	if err != nil {
		return presales.DealFilter{}, nil, nil, nil, err
	}
	f := presales.DealFilter{PipelineID: current, OwnerID: q.Get("owner_id"), TeamID: q.Get("team_id")}
	owners := c.activeUsers()
	for i := range owners {
		owners[i].Selected = owners[i].Value == f.OwnerID
	}
	teams, err := s.teamOptions(c, f.TeamID)
	return f, pls, owners, teams, err
}

// teamOptions lists the teams for a filter, indented by depth.
func (s *Server) teamOptions(c *rc, current string) ([]option, error) {
	te := c.schema.Entity("team")
	page, err := s.app.DB.List(c.ctx(), te, entity.Query{Sort: te.Field("path"), Limit: entity.MaxLimit}, nil)
	if err != nil {
		return nil, err
	}
	out := make([]option, 0, len(page.Items))
	for _, t := range page.Items {
		depth := strings.Count(t.Str("path"), "/") - 2
		out = append(out, option{Value: t.ID(), Label: strings.Repeat("　", max(depth, 0)) + t.Str("name"), Selected: t.ID() == current})
	}
	return out, nil
}

type boardCard struct {
	ID, Name, Href, Customer, Amount, Owner, Close, NextStep string
	Version                                                  int64
	Overdue                                                  bool
}

type boardColumn struct {
	Code, Name, Count, Amount, Weighted string
	Probability                         int
	Cards                               []boardCard
	More                                string
}

type boardPage struct {
	*base
	Pipelines []pipelineChoice
	Pipeline  string
	Owners    []option
	Teams     []option
	Owner     string
	Team      string
	Columns   []boardColumn
	Stages    []option
	Total     string
	Weighted  string
	Count     int
	NewHref   string
	ListHref  string
	Fragment  string
}

// board is the kanban of one pipeline's open deals: drag a card to move it
// (app.js posts the drop to boardMove; a refused gate says why), or use the
// card's stage menu without a pointer.
func (s *Server) board(c *rc) error {
	f, pls, owners, teams, err := s.dealFilters(c)
	if err != nil {
		return err
	}
	current := f.PipelineID
	cols, err := s.app.Presales.Board(c.ctx(), c.p, f, 50)
	if err != nil {
		return err
	}
	bp := &boardPage{base: c.newBase(c.T("nav.board"), "board"), Pipelines: pls, Pipeline: current, Owner: f.OwnerID, Team: f.TeamID, Owners: owners, Teams: teams}
	oe := c.schema.Entity("opportunity")
	var cards []entity.Record
	for _, col := range cols {
		cards = append(cards, col.Cards...)
	}
	rf := c.collectRefs([]*entity.Field{oe.Field("customer_id"), oe.Field("owner_id")}, cards...)
	today := time.Now().In(s.app.Loc).Format(entity.DateLayout)
	total, weighted := presales.Money{}, presales.Money{}
	for _, col := range cols {
		bc := boardColumn{Code: col.Stage.Code, Name: stageLabel(col.Stage, c.L), Probability: col.Stage.Probability,
			Count: strconv.Itoa(col.Count), Amount: moneyTexts(col.Amount), Weighted: moneyTexts(col.Weighted)}
		bp.Stages = append(bp.Stages, option{Value: col.Stage.Code, Label: bc.Name})
		bp.Count += col.Count
		for k, v := range col.Amount {
			total[k] += v
		}
		for k, v := range col.Weighted {
			weighted[k] += v
		}
		for _, rec := range col.Cards {
			card := boardCard{ID: rec.ID(), Version: rec.Version(), Name: rec.Str("name"), Href: "/opportunities/" + rec.ID(),
				Close: rec.Str("expected_close_date"), NextStep: rec.Str("next_step")}
			if n, ok := rf.title("customer", rec.Str("customer_id")); ok {
				card.Customer = n
			}
			if n, ok := rf.title("user", rec.Str("owner_id")); ok {
				card.Owner = n
			}
			if a, ok := rec["amount"].(int64); ok {
				card.Amount = moneyText(rec.Str("currency"), a)
			}
			card.Overdue = card.Close != "" && card.Close < today
			bc.Cards = append(bc.Cards, card)
		}
		if col.More {
			v := url.Values{"pipeline_id": {current}, "stage_id": {col.Stage.ID}, "status": {crm.OppOpen}}
			if f.OwnerID != "" {
				v.Set("owner_id", f.OwnerID)
			}
			bc.More = "/opportunities?" + v.Encode()
		}
		bp.Columns = append(bp.Columns, bc)
	}
	bp.Total, bp.Weighted = moneyTexts(total), moneyTexts(weighted)
	if c.p.Perm("opportunity").Create {
		bp.NewHref = "/opportunities/new"
	}
	bp.ListHref = "/opportunities?pipeline_id=" + url.QueryEscape(current)
	v := url.Values{"pipeline_id": {current}}
	if f.OwnerID != "" {
		v.Set("owner_id", f.OwnerID)
	}
	if f.TeamID != "" {
		v.Set("team_id", f.TeamID)
	}
	bp.Fragment = "/opportunities/board?" + v.Encode()
	if c.r.URL.Query().Get("fragment") == "1" {
		return c.fragment(http.StatusOK, "board", "board_columns", bp)
	}
	return c.render(http.StatusOK, "board", bp)
}

// wantsJSON is a script's request (board.js): answers are JSON, not pages.
func (c *rc) wantsJSON() bool { return strings.Contains(c.r.Header.Get("Accept"), "application/json") }

// processJSON answers a script (the kanban drop protocol of app.js):
// {ok, detail} or the problem with its localized detail, which names the
// missing fields of a refused gate.
func (c *rc) processJSON(err error, okMessage string) error {
	if err == nil {
		httpx.JSON(c.w, http.StatusOK, map[string]any{"ok": true, "detail": okMessage})
		return nil
	}
	if errs.KindOf(err) == errs.Internal {
		return err
	}
	oe := c.schema.Entity("opportunity")
	body := map[string]any{"ok": false, "code": errs.CodeOf(err), "detail": c.errText(err)}
	if e := errs.As(err); e != nil {
		var fields []string
		for _, fe := range e.Fields {
			fields = append(fields, c.fieldLabel(oe, fe.Field))
		}
		if e.Code != "validation" && len(fields) > 0 {
			body["detail"] = body["detail"].(string) + c.T("opp.missing", "fields", strings.Join(fields, c.T("ui.sep")))
		}
		body["fields"] = fields
	}
	httpx.JSON(c.w, httpx.Status(err), body)
	return nil
}

func (s *Server) moveStage(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	back := "/opportunities/" + id
	var version int64
	if v := c.r.PostFormValue("version"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return c.processFailed(errs.Validation([]errs.FieldError{{Field: "version", Code: "invalid_number"}}), back)
		}
		version = n
	}
	code := c.r.PostFormValue("stage")
	if code == "" {
		err := errs.Validation([]errs.FieldError{{Field: "stage", Code: "required"}})
		if c.wantsJSON() {
			return c.processJSON(err, "")
		}
		return c.processFailed(err, back)
	}
	rec, err := s.app.Presales.MoveStage(c.ctx(), c.p, id, code, version)
	if c.wantsJSON() {
		msg := ""
		if err == nil {
			msg = c.T("opp.moved", "title", rec.Str("name"))
		}
		return c.processJSON(err, msg)
	}
	if err != nil {
		return c.processFailed(err, back)
	}
	c.flash("success", c.T("opp.moved", "title", rec.Str("name")))
	return c.back(back)
}

// boardMove is a card dropped on a column: id and to (a stage code).
func (s *Server) boardMove(c *rc) error {
	id, code := strings.ToLower(c.r.PostFormValue("id")), c.r.PostFormValue("to")
	rec, err := s.app.Presales.MoveStage(c.ctx(), c.p, id, code, 0)
	msg := ""
	if err == nil {
		msg = c.T("opp.moved", "title", rec.Str("name"))
	}
	return c.processJSON(err, msg)
}

func (s *Server) winOpportunity(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	rec, err := s.app.Presales.Win(c.ctx(), c.p, id, c.r.PostFormValue("note"))
	if err != nil {
		return c.processFailed(err, "/opportunities/"+id)
	}
	c.flash("success", c.T("opp.won_done", "title", rec.Str("name")))
	return c.redirect("/opportunities/" + id)
}

func (s *Server) loseOpportunity(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	in := presales.LoseInput{Reason: c.r.PostFormValue("reason"), CompetitorID: c.r.PostFormValue("competitor_id"), Note: c.r.PostFormValue("note")}
	rec, err := s.app.Presales.Lose(c.ctx(), c.p, id, in)
	if err != nil {
		return c.processFailed(err, "/opportunities/"+id)
	}
	c.flash("success", c.T("opp.lost_done", "title", rec.Str("name")))
	return c.redirect("/opportunities/" + id)
}

func (s *Server) reopenOpportunity(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	rec, err := s.app.Presales.Reopen(c.ctx(), c.p, id)
	if err != nil {
		return c.processFailed(err, "/opportunities/"+id)
	}
	c.flash("success", c.T("opp.reopened", "title", rec.Str("name")))
	return c.redirect("/opportunities/" + id)
}

type stageStep struct {
	Code, Name  string
	Probability int
	Done        bool
	Current     bool
	Gated       bool
}

type stageRow struct {
	From, To, By, At, Days string
	Skipped                bool
}

type oppPanel struct {
	T          func(string, ...any) string
	ID         string
	Version    int64
	Open       bool
	Steps      []stageStep
	Next       *stageStep
	Stages     []option
	CanMove    bool
	CanWin     bool
	CanReopen  bool
	Reasons    []option
	Rivals     []option
	History    []stageRow
	StatusText string
}

// extendOpportunity adds the stage stepper, the stage menu, win and lose,
// and the stage history to an opportunity's page.
func (s *Server) extendOpportunity(c *rc, rec entity.Record, dp *detailPage) error {
	stages, err := s.app.Presales.Stages(c.ctx(), s.app.DB.R(), rec.Str("pipeline_id"))
	if err != nil {
		return err
	}
	perm := c.p.Perm("opportunity")
	open := rec.Str("status") == crm.OppOpen
	pp := &oppPanel{T: c.T, ID: rec.ID(), Version: rec.Version(), Open: open, CanMove: open && perm.Write != access.None}
	pp.CanWin = pp.CanMove
	pp.CanReopen = !open && perm.Write != access.None && c.p.CanAssign()
	cur := -1
	for i, st := range stages {
		if st.ID == rec.Str("stage_id") {
			cur = i
		}
	}
	for i, st := range stages {
		step := stageStep{Code: st.Code, Name: stageLabel(st, c.L), Probability: st.Probability, Done: i < cur, Current: i == cur,
			Gated: len(st.EntryGates)+len(st.EntryFields) > 0 || (i == cur && len(st.ExitGates) > 0)}
		pp.Steps = append(pp.Steps, step)
		if i != cur {
			pp.Stages = append(pp.Stages, option{Value: st.Code, Label: step.Name})
		}
	}
	if cur >= 0 && cur+1 < len(pp.Steps) {
		pp.Next = &pp.Steps[cur+1]
	}
	oe := c.schema.Entity("opportunity")
	if pp.CanWin {
		pp.Reasons = c.selectOptions(oe.Field("lost_reason"))
		ce := c.schema.Entity("competitor")
		comps, err := s.app.DB.List(c.ctx(), ce, entity.Query{Sort: ce.Field("name"), Limit: 200}, s.app.Records.ReadPred(ce, c.p))
		if err != nil {
			return err
		}
		for _, r := range comps.Items {
			pp.Rivals = append(pp.Rivals, option{Value: r.ID(), Label: r.Str("name")})
		}
	}
	// The stage history, newest first.
	se := c.schema.Entity("stage_change")
	hist, err := s.app.DB.List(c.ctx(), se, entity.Query{Sort: se.Field("changed_at"), Desc: true, Limit: 20,
		Conds: []entity.Cond{{Field: se.Field("opportunity_id"), Op: entity.Eq, Values: []any{rec.ID()}}}}, nil)
	if err != nil {
		return err
	}
	rf := c.collectRefs([]*entity.Field{se.Field("changed_by")}, hist.Items...)
	byCode := map[string]string{}
	for _, st := range stages {
		byCode[st.Code] = stageLabel(st, c.L)
	}
	label := func(code string) string {
		if n, ok := byCode[code]; ok {
			return n
		}
		return code
	}
	for _, h := range hist.Items {
		row := stageRow{To: label(h.Str("to_stage")), At: c.fmtTime(h.Time("changed_at")), Skipped: h.Bool("skipped")}
		if f := h.Str("from_stage"); f != "" {
			row.From = label(f)
		}
		if n, ok := rf.title("user", h.Str("changed_by")); ok {
			row.By = n
		}
		if secs, ok := h["seconds_in_stage"].(int64); ok {
			row.Days = c.T("opp.days", "n", fmt.Sprintf("%.1f", float64(secs)/86400))
		}
		pp.History = append(pp.History, row)
	}
	pp.StatusText = c.schema.OptionLabel(oe.Field("status"), rec.Str("status"), c.L)
	panel, err := c.partial("opp_panel", pp)
	if err != nil {
		return err
	}
	dp.Top = append(dp.Top, panel)
	actions, err := c.partial("opp_actions", pp)
	if err != nil {
		return err
	}
	dp.Actions = append(dp.Actions, actions)
	return nil
}

type forecastRow struct {
	Month, Group, Count, Amount, Weighted string
}

type forecastPage struct {
	*base
	Pipelines []pipelineChoice
	Owners    []option
	Teams     []option
	Owner     string
	Team      string
	From      string
	Months    int
	Group     string
	Rows      []forecastRow
	Chart     string
	Funnel    string
	Export    string
}

// forecast is the open pipeline by expected close month, raw and weighted,
// with the funnel of the same deals; ?format=csv|xlsx downloads the table.
func (s *Server) forecast(c *rc) error {
	f, pls, owners, teams, err := s.dealFilters(c)
	if err != nil {
		return err
	}
	q := c.r.URL.Query()
	from := time.Now().In(s.app.Loc)
	if v := q.Get("from"); v != "" {
		t, err := time.Parse("2006-01", v)
		if err != nil {
			return errs.Validation([]errs.FieldError{{Field: "from", Code: "invalid_month"}})
		}
		from = t
	}
	months := 6
	if v := q.Get("months"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 36 {
			return errs.Validation([]errs.FieldError{{Field: "months", Code: "out_of_range", Args: map[string]any{"min": 1, "max": 36}}})
		}
		months = n
	}
	group := q.Get("group")
	rows, err := s.app.Presales.Forecast(c.ctx(), c.p, f, from, months, group)
	if err != nil {
		return err
	}
	funnel, err := s.app.Presales.Funnel(c.ctx(), c.p, f)
	if err != nil {
		return err
	}
	fp := &forecastPage{base: c.newBase(c.T("nav.forecast"), "forecast"), Pipelines: pls, Owner: f.OwnerID, Team: f.TeamID,
		From: from.Format("2006-01"), Months: months, Group: group, Owners: owners, Teams: teams}
	fp.Charts = true
	names := map[string]string{}
	if group != "" {
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.Group)
		}
		ent := "user"
		if group == "team" {
			ent = "team"
		}
		if names, err = s.app.Records.Titles(c.ctx(), c.p, ent, ids); err != nil {
			return err
		}
	}
	monthList := presales.Months(from, months)
	raw := make([]float64, len(monthList))
	wtd := make([]float64, len(monthList))
	idx := map[string]int{}
	for i, m := range monthList {
		idx[m] = i
	}
	for _, r := range rows {
		name := names[r.Group]
		if group != "" && name == "" {
			name = c.T("opp.unassigned")
		}
		fp.Rows = append(fp.Rows, forecastRow{Month: r.Month, Group: name, Count: strconv.Itoa(r.Count), Amount: moneyTexts(r.Amount), Weighted: moneyTexts(r.Weighted)})
		if i, ok := idx[r.Month]; ok {
			raw[i] += float64(r.Amount["CNY"]) / 100
			wtd[i] += float64(r.Weighted["CNY"]) / 100
		}
	}
	if format := q.Get("format"); format != "" {
		return s.forecastExport(c, format, fp)
	}
	fp.Chart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 8, "right": 12, "top": 16, "bottom": 32, "containLabel": true},
		"xAxis":   map[string]any{"type": "category", "data": monthList},
		"yAxis":   map[string]any{"type": "value", "name": "CNY"},
		"series": []any{
			map[string]any{"name": c.T("opp.raw"), "type": "bar", "data": raw},
			map[string]any{"name": c.T("opp.weighted"), "type": "bar", "data": wtd},
		},
	})
	var names2 []string
	var counts []int
	var amounts []float64
	for _, st := range funnel {
		names2 = append(names2, stageLabel(st.Stage, c.L))
		counts = append(counts, st.Count)
		amounts = append(amounts, float64(st.Amount["CNY"])/100)
	}
	fp.Funnel = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 8, "right": 16, "top": 8, "bottom": 32, "containLabel": true},
		"yAxis":   map[string]any{"type": "category", "data": names2, "inverse": true, "axisTick": map[string]any{"show": false}},
		"xAxis":   []any{map[string]any{"type": "value", "name": c.T("opp.count"), "minInterval": 1}, map[string]any{"type": "value", "name": "CNY", "splitLine": map[string]any{"show": false}}},
		"series": []any{
			map[string]any{"name": c.T("opp.count"), "type": "bar", "data": counts, "label": map[string]any{"show": true, "position": "right"}},
			map[string]any{"name": c.T("opp.raw"), "type": "bar", "xAxisIndex": 1, "data": amounts},
		},
	})
	v := c.r.URL.Query()
	v.Set("format", "csv")
	fp.Export = "/reports/forecast?" + v.Encode()
	return c.render(http.StatusOK, "forecast", fp)
}

func (s *Server) forecastExport(c *rc, format string, fp *forecastPage) error {
	header := []string{c.T("opp.month"), c.T("opp.group"), c.T("opp.count"), c.T("opp.raw"), c.T("opp.weighted")}
	var rows [][]string
	for _, r := range fp.Rows {
		rows = append(rows, []string{r.Month, r.Group, r.Count, r.Amount, r.Weighted})
	}
	return c.table(format, "forecast-"+fp.From, header, rows)
}

// table sends a report's table as a CSV (UTF-8 with BOM) or XLSX download,
// guarded against formula injection by the sheet writers.
func (c *rc) table(format, name string, header []string, rows [][]string) error {
	f := sheet.Format(format)
	if f != sheet.CSV && f != sheet.XLSX {
		return errs.Validation([]errs.FieldError{{Field: "format", Code: "invalid_option", Args: map[string]any{"value": format}}})
	}
	var buf bytes.Buffer
	w, err := sheet.NewWriter(f, &buf, name)
	if err != nil {
		return err
	}
	for _, r := range append([][]string{header}, rows...) {
		if err := w.Row(r); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	api.WriteDownload(c.w, name+"."+format, f, buf.Bytes())
	return nil
}
