package web

import (
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

// The pre-sales reports: open requests by age (账龄) and the monthly
// summary per engineer or team (评分汇总), with a chart and downloads.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /reports/presales-ageing", s.page(s.presalesAgeing))
		m.HandleFunc("GET /reports/presales-summary", s.page(s.presalesSummary))
	})
}

type ageingRow struct {
	Name, Href, Owner, Opened, NeededBy, Days string
	Status                                    cell
	Overdue                                   bool
	Engineers                                 string
}

type ageingGroup struct {
	Label string
	Count int
	Rows  []ageingRow
	Old   bool
}

type ageingPage struct {
	*base
	Open   int
	Groups []ageingGroup
	Chart  string
	List   string
}

// bucketLabel names an age band in the user's language.
func (c *rc) bucketLabel(b crm.AgeBucket) string {
	if b.Max < 0 {
		return c.T("psr.bucket_over", "min", b.Min)
	}
	return c.T("psr.bucket", "min", b.Min, "max", b.Max)
}

// presalesAgeing lists the open requests the user can see by how long they
// have waited, oldest band first.
func (s *Server) presalesAgeing(c *rc) error {
	now := time.Now()
	a, err := s.app.Presales.Ageing(c.ctx(), c.p, now)
	if err != nil {
		return err
	}
	re := c.schema.Entity("presales_request")
	ap := &ageingPage{base: c.newBase(c.T("nav.presales_ageing"), "presales-ageing"), Open: a.Open,
		List: "/presales-requests?status=submitted&status=accepted&status=assigned&sort=created_at"}
	ap.Charts = true
	var recs []entity.Record
	for _, g := range a.Groups {
		for _, o := range g.Requests {
			recs = append(recs, o.Record)
		}
	}
	rf := c.collectRefs([]*entity.Field{re.Field("owner_id"), re.Field("engineers")}, recs...)
	var names []string
	var counts []int
	for i := len(a.Groups) - 1; i >= 0; i-- {
		g := a.Groups[i]
		if g.Count == 0 {
			continue // the chart shows the empty bands
		}
		ag := ageingGroup{Label: c.bucketLabel(crm.AgeBuckets[i]), Count: g.Count, Old: crm.AgeBuckets[i].Min > 30}
		for j := len(g.Requests) - 1; j >= 0; j-- {
			o := g.Requests[j]
			row := ageingRow{Name: o.Name, Href: "/presales-requests/" + o.ID, Opened: c.fmtTime(o.Opened), NeededBy: o.NeededBy,
				Days: strconv.Itoa(o.DaysOpen), Status: c.cell(re.Field("status"), o.Status, rf), Overdue: o.Overdue}
			row.Owner, _ = rf.title("user", o.OwnerID)
			var engs []string
			for _, id := range o.Record.List("engineers") {
				if n, ok := rf.title("user", id); ok {
					engs = append(engs, n)
				}
			}
			row.Engineers = strings.Join(engs, c.T("ui.sep"))
			ag.Rows = append(ag.Rows, row)
		}
		ap.Groups = append(ap.Groups, ag)
	}
	for i, b := range crm.AgeBuckets {
		names = append(names, c.bucketLabel(b))
		counts = append(counts, a.Groups[i].Count)
	}
	ap.Chart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"grid":    map[string]any{"left": 8, "right": 12, "top": 16, "bottom": 8, "containLabel": true},
		"xAxis":   map[string]any{"type": "category", "data": names, "axisTick": map[string]any{"show": false}},
		"yAxis":   map[string]any{"type": "value", "minInterval": 1},
		"series": []any{map[string]any{"name": c.T("psr.open_requests"), "type": "bar", "barMaxWidth": 40, "data": counts,
			"label": map[string]any{"show": true, "position": "top"}}},
	})
	return c.render(http.StatusOK, "presales_ageing", ap)
}

type summaryRowView struct {
	Name                                                                           string
	Requests, Hours, Closed, Won, Lost, Stopped, Merged, Scores, Average, WonValue string
}

type summaryPage struct {
	*base
	Month   string
	Group   string
	Rows    []summaryRowView
	Total   summaryRowView
	Chart   string
	CSV     string
	XLSX    string
	Prev    string
	Next    string
	Errors  []string
	Header  []string
	ByTeam  bool
	HasRows bool
}

// presalesSummary is the monthly summary page; ?format=csv|xlsx downloads
// the table.
func (s *Server) presalesSummary(c *rc) error {
	if c.p.Perm("presales_request").Read == access.None {
		return errs.Denied()
	}
	q := c.r.URL.Query()
	month := q.Get("month")
	if month == "" {
		month = time.Now().In(s.app.Loc).Format("2006-01")
	}
	group := q.Get("group")
	if group == "" {
		group = presales.GroupEngineer
	}
	sp := &summaryPage{base: c.newBase(c.T("nav.presales_summary"), "presales-summary"), Month: month, Group: group, ByTeam: group == presales.GroupTeam}
	sp.Charts = true
	sp.Header = presales.SummaryHeader(group, c.L)
	sum, err := s.app.Presales.Summary(c.ctx(), c.p, month, group)
	if err != nil {
		if errs.KindOf(err) != errs.Invalid {
			return err
		}
		for _, fe := range fieldErrors(err) {
			sp.Errors = append(sp.Errors, c.fieldText(nil, fe))
		}
		sp.Month = time.Now().In(s.app.Loc).Format("2006-01")
		return c.render(httpStatus(err), "presales_summary", sp)
	}
	if format := q.Get("format"); format != "" {
		rows := make([][]string, 0, len(sum.Rows)+1)
		for _, r := range sum.Rows {
			rows = append(rows, presales.SummaryCells(r, group, c.L))
		}
		total := presales.SummaryCells(sum.Total, group, c.L)
		total[0] = c.T("psum.total")
		return c.table(format, fmt.Sprintf("presales-summary-%s-%s", sum.Month, sum.Group), sp.Header, append(rows, total))
	}
	view := func(r presales.SummaryRow) summaryRowView {
		cells := presales.SummaryCells(r, group, c.L)
		return summaryRowView{Name: cells[0], Requests: cells[1], Hours: cells[2], Closed: cells[3], Won: cells[4], Lost: cells[5],
			Stopped: cells[6], Merged: cells[7], Scores: cells[8], Average: cells[9], WonValue: moneyText("CNY", r.WonValue)}
	}
	var names []string
	var hours []float64
	var avg []any
	for _, r := range sum.Rows {
		v := view(r)
		sp.Rows = append(sp.Rows, v)
		names = append(names, v.Name)
		hours = append(hours, r.Hours)
		if r.Scores > 0 {
			avg = append(avg, r.AvgScore)
		} else {
			avg = append(avg, nil) // nothing scored: no point, not a zero
		}
	}
	sp.HasRows = len(sp.Rows) > 0
	sp.Total = view(sum.Total)
	sp.Total.Name = c.T("psum.total")
	sp.Chart = chartJSON(map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 16, "right": 40, "top": 32, "bottom": 32, "containLabel": true},
		"xAxis":   map[string]any{"type": "category", "data": names, "axisTick": map[string]any{"show": false}, "axisLabel": map[string]any{"interval": 0}},
		"yAxis": []any{map[string]any{"type": "value", "name": c.T("psum.col.hours")},
			map[string]any{"type": "value", "name": c.T("psum.col.avg_score"), "min": 0, "max": 5, "splitLine": map[string]any{"show": false}}},
		"series": []any{
			map[string]any{"name": c.T("psum.col.hours"), "type": "bar", "barMaxWidth": 36, "data": hours},
			map[string]any{"name": c.T("psum.col.avg_score"), "type": "scatter", "yAxisIndex": 1, "data": avg, "symbolSize": 12,
				"label": map[string]any{"show": true, "position": "top"}},
		},
	})
	v := url.Values{"month": {sum.Month}, "group": {group}}
	v.Set("format", "csv")
	sp.CSV = "/reports/presales-summary?" + v.Encode()
	v.Set("format", "xlsx")
	sp.XLSX = "/reports/presales-summary?" + v.Encode()
	from, _, _ := presales.ParseMonth(sum.Month, s.app.Loc)
	sp.Prev = "/reports/presales-summary?" + url.Values{"month": {from.AddDate(0, -1, 0).Format("2006-01")}, "group": {group}}.Encode()
	sp.Next = "/reports/presales-summary?" + url.Values{"month": {from.AddDate(0, 1, 0).Format("2006-01")}, "group": {group}}.Encode()
	return c.render(http.StatusOK, "presales_summary", sp)
}
