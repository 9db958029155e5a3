package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// homePage is the rep's day: follow-ups due today and overdue, records
// about to fall back to the pool, a few counts and charts.
type homePage struct {
	*base
	Tiles       []tile
	Overdue     []followRow
	Today       []followRow
	Warnings    []warnRow
	StatusChart string
	SourceChart string
	StatusLabel string
	SourceLabel string
	Capture     string
	// Cards of later areas (approvals awaiting me, hand-overs to
	// acknowledge …), rendered by their partials; see onHome.
	Cards []template.HTML
}

// homeExtender adds an area's card to the home page; it adds nothing when
// the user has nothing there to do.
type homeExtender func(s *Server, c *rc, hp *homePage) error

var homeExtenders []homeExtender

// onHome registers a home-page card; areas call it from init in their own
// file, like onDetail.
func onHome(fn homeExtender) { homeExtenders = append(homeExtenders, fn) }

type tile struct {
	Value, Label, Note, Href string
	Down                     bool
}

type followRow struct {
	ID, Subject, Step, Due, Href string
	Parent                       cell
	Version                      int64
	Overdue                      bool
}

type warnRow struct {
	Entity, Title, Href, Owner, Due string
}

func (s *Server) home(c *rc) error {
	hp := &homePage{base: c.newBase(c.T("nav.home"), "home")}
	hp.base.Charts = true
	now := time.Now()
	ae := c.schema.Entity("activity")
	if c.p.Perm("activity").Read != access.None {
		fu, err := s.app.Customers.DueFollowUps(c.ctx(), c.p, now, 100)
		if err != nil {
			return err
		}
		all := append(append([]entity.Record{}, fu.Overdue...), fu.Today...)
		rf := c.collectRefs([]*entity.Field{ae.Field("customer_id"), ae.Field("lead_id")}, all...)
		row := func(a entity.Record, overdue bool) followRow {
			fr := followRow{ID: a.ID(), Subject: a.Str("subject"), Step: a.Str("next_step"), Due: a.Str("next_step_due"),
				Href: "/activities/" + a.ID(), Version: a.Version(), Overdue: overdue}
			if a.Str("customer_id") != "" {
				fr.Parent = c.cell(ae.Field("customer_id"), a["customer_id"], rf)
			} else {
				fr.Parent = c.cell(ae.Field("lead_id"), a["lead_id"], rf)
			}
			return fr
		}
		for _, a := range fu.Overdue {
			hp.Overdue = append(hp.Overdue, row(a, true))
		}
		for _, a := range fu.Today {
			hp.Today = append(hp.Today, row(a, false))
		}
	}
	warns, err := s.app.Customers.PoolWarnings(c.ctx(), c.p, 7, 20)
	if err != nil {
		return err
	}
	var owners []string
	for _, w := range warns {
		owners = append(owners, w.OwnerID)
	}
	names, _ := s.app.Customers.UserNames(c.ctx(), uniqStrings(owners))
	for _, w := range warns {
		e := c.schema.Entity(w.Entity)
		hp.Warnings = append(hp.Warnings, warnRow{Entity: e.Label.In(c.L), Title: w.Title, Href: string(c.recordHref(w.Entity, w.ID)),
			Owner: names[w.OwnerID], Due: c.fmtTime(w.DueAt)})
	}
	s.homeTiles(c, hp)
	if err := s.homeCharts(c, hp, now); err != nil {
		return err
	}
	if c.p.Perm("lead").Create {
		hp.Capture = "/leads/new?source=exhibition"
	}
	for _, fn := range homeExtenders {
		if err := fn(s, c, hp); err != nil {
			return err
		}
	}
	return c.render(http.StatusOK, "home", hp)
}

// count is a capped count of what p sees matching conds.
func (s *Server) count(c *rc, entityName string, conds ...entity.Cond) (int, error) {
	e := c.schema.Entity(entityName)
	q := entity.Query{Sort: e.Field("id"), Limit: 1, Total: true, Conds: conds}
	page, err := s.app.Records.List(c.ctx(), c.p, entityName, q)
	if err != nil {
		return 0, err
	}
	return page.Total, nil
}

func (s *Server) homeTiles(c *rc, hp *homePage) {
	fmtCount := func(n int) string {
		if n > entity.TotalCap {
			return formatInt(entity.TotalCap) + "+"
		}
		return formatInt(n)
	}
	if ce := c.schema.Entity("customer"); ce != nil && c.p.Perm("customer").Read != access.None {
		if n, err := s.count(c, "customer", entity.Cond{Field: ce.Field("owner_id"), Op: entity.Eq, Values: []any{c.p.UserID}}); err == nil {
			hp.Tiles = append(hp.Tiles, tile{Value: fmtCount(n), Label: c.T("home.my_customers"), Href: "/customers?owner_id=" + c.p.UserID})
		}
		// Managers and admins see their wider scope too.
		if conds, key, href := c.scopeConds(ce); key != "" {
			if n, err := s.count(c, "customer", conds...); err == nil {
				hp.Tiles = append(hp.Tiles, tile{Value: fmtCount(n), Label: c.T(key), Href: href})
			}
		}
	}
	if le := c.schema.Entity("lead"); le != nil && c.p.Perm("lead").Read != access.None {
		open := []any{crm.LeadNew, crm.LeadContacted, crm.LeadQualified}
		if n, err := s.count(c, "lead", entity.Cond{Field: le.Field("owner_id"), Op: entity.Eq, Values: []any{c.p.UserID}},
			entity.Cond{Field: le.Field("status"), Op: entity.In, Values: open}); err == nil {
			hp.Tiles = append(hp.Tiles, tile{Value: fmtCount(n), Label: c.T("home.my_open_leads"),
				Href: "/leads?owner_id=" + c.p.UserID + "&status=new&status=contacted&status=qualified"})
		}
	}
	hp.Tiles = append(hp.Tiles, tile{Value: formatInt(len(hp.Today)), Label: c.T("home.due_today"), Href: "#followups"})
	t := tile{Value: formatInt(len(hp.Overdue)), Label: c.T("home.overdue"), Href: "#followups"}
	if len(hp.Overdue) > 0 {
		t.Note, t.Down = c.T("home.overdue_note"), true
	}
	hp.Tiles = append(hp.Tiles, t)
	if len(hp.Warnings) > 0 {
		hp.Tiles = append(hp.Tiles, tile{Value: formatInt(len(hp.Warnings)), Label: c.T("home.pool_warnings"), Href: "#pool-warnings", Down: true, Note: c.T("home.pool_warnings_note")})
	}
}

// scopeConds are the conditions of the user's widest customer scope
// beyond their own records (team or all), with its label key and list link.
func (c *rc) scopeConds(ce *entity.Entity) ([]entity.Cond, string, string) {
	switch c.p.Perm(ce.Name).Read {
	case access.All:
		return nil, "home.all_customers", "/customers"
	case access.Team:
		if len(c.p.Teams) == 0 {
			return nil, "", ""
		}
		vals := make([]any, len(c.p.Teams))
		q := url.Values{}
		for i, t := range c.p.Teams {
			vals[i] = t
			q.Add("team_id", t)
		}
		return []entity.Cond{{Field: ce.Field("team_id"), Op: entity.In, Values: vals}}, "home.team_customers", "/customers?" + q.Encode()
	}
	return nil, "", ""
}

// countBy groups the records p may see by a field's value. It uses the
// entity's one visibility predicate, like every other read path.
func (s *Server) countBy(c *rc, e *entity.Entity, field string, conds ...entity.Cond) (map[string]int, error) {
	return s.app.Records.CountBy(c.ctx(), c.p, e.Name, field, conds...)
}

// homeCharts: my customers by status; leads by source in the last 90 days.
func (s *Server) homeCharts(c *rc, hp *homePage, now time.Time) error {
	if ce := c.schema.Entity("customer"); ce != nil && c.p.Perm("customer").Read != access.None {
		conds := []entity.Cond{{Field: ce.Field("owner_id"), Op: entity.Eq, Values: []any{c.p.UserID}}}
		hp.StatusLabel = c.T("home.chart_status")
		if wide, key, _ := c.scopeConds(ce); key != "" {
			conds, hp.StatusLabel = wide, c.T(key+"_chart")
		}
		counts, err := s.countBy(c, ce, "status", conds...)
		if err != nil {
			return err
		}
		var data []map[string]any
		for _, o := range c.schema.Options(ce.Field("status")) {
			data = append(data, map[string]any{"name": o.Label.In(c.L), "value": counts[o.Code]})
		}
		hp.StatusChart = chartJSON(map[string]any{
			"tooltip": map[string]any{"trigger": "item"},
			"legend":  map[string]any{"bottom": 0, "type": "scroll"},
			"series": []any{map[string]any{"name": hp.StatusLabel, "type": "pie", "radius": []string{"45%", "70%"}, "center": []string{"50%", "45%"},
				"avoidLabelOverlap": true, "label": map[string]any{"formatter": "{b} {c}"}, "data": data}},
		})
	}
	if le := c.schema.Entity("lead"); le != nil && c.p.Perm("lead").Read != access.None {
		since := entity.CanonTime(now.AddDate(0, 0, -90))
		counts, err := s.countBy(c, le, "source", entity.Cond{Field: le.Field("created_at"), Op: entity.Gte, Values: []any{since}})
		if err != nil {
			return err
		}
		var names []string
		var vals []int
		for _, o := range c.schema.Options(le.Field("source")) {
			names = append(names, o.Label.In(c.L))
			vals = append(vals, counts[o.Code])
		}
		hp.SourceLabel = c.T("home.chart_source")
		hp.SourceChart = chartJSON(map[string]any{
			"tooltip": map[string]any{"trigger": "axis"},
			"grid":    map[string]any{"left": 8, "right": 12, "top": 16, "bottom": 4, "containLabel": true},
			"xAxis":   map[string]any{"type": "category", "data": names, "axisTick": map[string]any{"show": false}, "axisLabel": map[string]any{"interval": 0, "rotate": 30}},
			"yAxis":   map[string]any{"type": "value", "minInterval": 1, "splitLine": map[string]any{"lineStyle": map[string]any{"type": "dashed"}}},
			"series":  []any{map[string]any{"name": hp.SourceLabel, "type": "bar", "barMaxWidth": 28, "itemStyle": map[string]any{"borderRadius": []int{3, 3, 0, 0}}, "data": vals}},
		})
	}
	return nil
}

func chartJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// followupDone marks a follow-up's next step done, inline (htmx) or by a
// plain form post. It is an update of the activity at its version.
func (s *Server) followupDone(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("activity")
	}
	version, err := strconv.ParseInt(c.r.PostFormValue("version"), 10, 64)
	if err != nil || version <= 0 {
		return errs.Validation([]errs.FieldError{{Field: "version", Code: "required"}})
	}
	if _, err := s.app.Records.Update(c.ctx(), c.p, "activity", id, version, entity.Record{"next_step_done": true}); err != nil {
		if c.htmx() {
			return err
		}
		return c.processFailed(err, "/")
	}
	if c.htmx() {
		c.toast("success", c.T("home.done_toast"))
		c.writeHTML(http.StatusOK, nil)
		return nil
	}
	c.flash("success", c.T("home.done_toast"))
	return c.back("/")
}
