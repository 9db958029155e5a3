package presales

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// DealFilter narrows the board and the reports, always within what the
// viewer may see.
type DealFilter struct {
	PipelineID string
	OwnerID    string
	TeamID     string // the team and its sub-teams
}

// Money is an amount per currency (minor units): amounts in different
// currencies are never added up, since no exchange rates are kept.
type Money map[string]int64

func (m Money) add(cur string, v int64) { m[cur] += v }

// StageTotal is one stage's open deals: how many, their amount and the
// amount weighted by probability.
type StageTotal struct {
	Stage    crm.Stage `json:"stage"`
	Count    int       `json:"count"`
	Amount   Money     `json:"amount"`
	Weighted Money     `json:"weighted"`
}

// check refuses ids that are not ids, naming the filter.
func (f DealFilter) check() error {
	for _, x := range []struct{ field, v, code string }{{"pipeline_id", f.PipelineID, "invalid_ref"}, {"owner_id", f.OwnerID, "invalid_user"}, {"team_id", f.TeamID, "invalid_ref"}} {
		if x.v != "" && !entity.LooksLikeID(x.v) {
			return errs.Field(x.field, x.code)
		}
	}
	return nil
}

// where builds the predicate of open deals of a filter, visible to p.
func (s *Service) where(ctx context.Context, p *access.Principal, f DealFilter, a *store.Args) (string, error) {
	oe := s.R.Schema().Entity("opportunity")
	conds := []string{"t.deleted_at IS NULL", "t.status = 'open'", s.R.ReadPred(oe, p)(a)}
	if f.PipelineID != "" {
		if !entity.LooksLikeID(f.PipelineID) {
			return "", errs.Field("pipeline_id", "invalid_ref")
		}
		conds = append(conds, "t.pipeline_id = "+a.Add(strings.ToLower(f.PipelineID)))
	}
	if f.OwnerID != "" {
		if !entity.LooksLikeID(f.OwnerID) {
			return "", errs.Field("owner_id", "invalid_user")
		}
		conds = append(conds, "t.owner_id = "+a.Add(strings.ToLower(f.OwnerID)))
	}
	if f.TeamID != "" {
		if !entity.LooksLikeID(f.TeamID) {
			return "", errs.Field("team_id", "invalid_ref")
		}
		teams, err := s.DB.TeamSubtree(ctx, strings.ToLower(f.TeamID))
		if err != nil {
			return "", err
		}
		if len(teams) == 0 {
			return "", errs.Field("team_id", "invalid_ref")
		}
		vals := make([]any, len(teams))
		for i, t := range teams {
			vals[i] = t
		}
		conds = append(conds, "t.team_id IN "+a.List(vals))
	}
	return strings.Join(conds, " AND "), nil
}

// Funnel is the open pipeline by stage: count, amount and weighted amount
// (the org-wide funnel for an admin, a team's or one rep's for others).
func (s *Service) Funnel(ctx context.Context, p *access.Principal, f DealFilter) ([]StageTotal, error) {
	if p.Perm("opportunity").Read == access.None {
		return nil, errs.Denied()
	}
	if f.PipelineID == "" {
		id, err := s.DefaultPipeline(ctx, s.DB.R())
		if err != nil {
			return nil, err
		}
		f.PipelineID = id
	}
	stages, err := s.Stages(ctx, s.DB.R(), f.PipelineID)
	if err != nil {
		return nil, err
	}
	if len(stages) == 0 {
		return nil, errs.Field("pipeline_id", "invalid_ref")
	}
	out := make([]StageTotal, len(stages))
	idx := map[string]int{}
	for i, st := range stages {
		out[i] = StageTotal{Stage: st, Amount: Money{}, Weighted: Money{}}
		idx[st.ID] = i
	}
	err = s.sums(ctx, p, f, sumQuery{table: "deal_stage_totals", totalsGroup: "stage_id", dealsGroup: "t.stage_id"}, func(g []string, cur string, n int, amount, weighted int64) {
		i, ok := idx[g[0]]
		if !ok {
			return
		}
		out[i].Count += n
		out[i].Amount.add(cur, amount)
		out[i].Weighted.add(cur, weighted)
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		for cur, w := range out[i].Weighted {
			out[i].Weighted[cur] = roundDiv(w, 100)
		}
	}
	return out, nil
}

// sumQuery says how sums are grouped: by columns of a totals table and by the
// same values computed on opportunities (for the deals seen through
// grants), with extra conditions on each.
type sumQuery struct {
	table                   string // deal_stage_totals or deal_month_totals
	totalsGroup, dealsGroup string // comma-separated, same arity
	totalsWhere, dealsWhere string
	totalsArgs, dealsArgs   []any // values of the $-placeholders of each where, numbered from $1
}

// sums adds up the open pipeline a viewer sees, grouped as q says: the
// totals rows within the viewer's owner/team scope, plus — for
// viewers with a narrower scope than all — the open deals they see only
// through a grant (an engineer assigned to a request), read from the
// opportunities themselves. emit receives the group values, the currency,
// count, amount and unrounded weighted amount (amount × probability).
func (s *Service) sums(ctx context.Context, p *access.Principal, f DealFilter, q sumQuery, emit func(g []string, cur string, n int, amount, weighted int64)) error {
	if err := f.check(); err != nil {
		return err
	}
	teams, err := s.filterTeams(ctx, f)
	if err != nil {
		return err
	}
	run := func(query string, args []any) error {
		rows, err := s.DB.R().QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("presales: sums: %w", err)
		}
		defer rows.Close()
		arity := strings.Count(q.totalsGroup, ",") + 1
		for rows.Next() {
			g := make([]string, arity)
			dst := make([]any, 0, arity+4)
			for i := range g {
				dst = append(dst, &g[i])
			}
			var cur string
			var n int
			var amount, weighted int64
			dst = append(dst, &cur, &n, &amount, &weighted)
			if err := rows.Scan(dst...); err != nil {
				return err
			}
			emit(g, cur, n, amount, weighted)
		}
		return rows.Err()
	}
	filters := func(prefix string, cast string, a *store.Args) []string {
		var conds []string
		if f.PipelineID != "" {
			conds = append(conds, prefix+"pipeline_id"+cast+" = "+a.Add(strings.ToLower(f.PipelineID)))
		}
		if f.OwnerID != "" {
			conds = append(conds, prefix+"owner_id"+cast+" = "+a.Add(strings.ToLower(f.OwnerID)))
		}
		if len(teams) > 0 {
			vals := make([]any, len(teams))
			for i, t := range teams {
				vals[i] = t
			}
			conds = append(conds, prefix+"team_id"+cast+" IN "+a.List(vals))
		}
		return conds
	}
	// The deals within the viewer's scope, from the totals.
	a := store.Args{V: append([]any(nil), q.totalsArgs...)}
	scope, ok := scopeSQL(p, "owner_id", "team_id", &a)
	if !ok {
		return nil
	}
	conds := append([]string{scope}, filters("", "", &a)...)
	if q.totalsWhere != "" {
		conds = append(conds, q.totalsWhere)
	}
	// Grouped by position: a group may be a constant ('' for no grouping),
	// which PostgreSQL refuses as a GROUP BY expression.
	arity := strings.Count(q.totalsGroup, ",") + 2
	groupBy := "1"
	for i := 2; i <= arity; i++ {
		groupBy += fmt.Sprintf(", %d", i)
	}
	if err := run(`SELECT `+q.totalsGroup+`, currency, coalesce(sum(n), 0), coalesce(sum(amount), 0), coalesce(sum(weighted), 0)
		FROM `+q.table+` WHERE `+strings.Join(conds, " AND ")+` GROUP BY `+groupBy+` HAVING sum(n) <> 0`, a.V); err != nil {
		return err
	}
	if scope == "TRUE" || p.UserID == "" {
		return nil
	}
	// The deals seen only through a grant, read from the viewer's grants
	// (most viewers have none: one probe of an index).
	var granted int
	if err := s.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM record_grants WHERE user_id = $1 AND entity = 'opportunity' LIMIT 1) x`, p.UserID).Scan(&granted); err != nil {
		return fmt.Errorf("presales: grants: %w", err)
	}
	if granted == 0 {
		return nil
	}
	cast := ""
	if s.DB.Dialect == store.Postgres {
		cast = "::text"
	}
	b := store.Args{V: append([]any(nil), q.dealsArgs...)}
	inner, _ := scopeSQL(p, "t.owner_id"+cast, "t.team_id"+cast, &b)
	conds = []string{"t.deleted_at IS NULL", "t.status = 'open'", "NOT coalesce(" + inner + ", FALSE)"}
	conds = append(conds, filters("t.", cast, &b)...)
	if q.dealsWhere != "" {
		conds = append(conds, q.dealsWhere)
	}
	// DISTINCT ids: a user may hold several grants on one deal (two requests).
	return run(`SELECT `+q.dealsGroup+`, t.currency, count(*), coalesce(sum(t.amount), 0), coalesce(sum(t.amount * t.probability), 0)
		FROM opportunities t WHERE t.id IN (SELECT g.record_id FROM record_grants g WHERE g.user_id = `+b.Add(p.UserID)+` AND g.entity = 'opportunity') AND `+
		strings.Join(conds, " AND ")+` GROUP BY `+groupBy, b.V)
}

// filterTeams is the team subtree of a filter, or nil.
func (s *Service) filterTeams(ctx context.Context, f DealFilter) ([]string, error) {
	if f.TeamID == "" {
		return nil, nil
	}
	teams, err := s.DB.TeamSubtree(ctx, strings.ToLower(f.TeamID))
	if err != nil {
		return nil, err
	}
	if len(teams) == 0 {
		return nil, errs.Field("team_id", "invalid_ref")
	}
	return teams, nil
}

// roundDiv divides rounding half up (amounts are not negative).
func roundDiv(v, d int64) int64 { return (v + d/2) / d }

// CardFields are what a board card shows of a deal: reading these and not
// the whole record keeps a board of 9 columns × 30 cards cheap.
var CardFields = []string{"version", "name", "customer_id", "amount", "currency", "expected_close_date", "stage_id", "stage",
	"probability", "status", "next_step", "next_step_due", "owner_id", "team_id", "updated_at"}

// Column is one stage of the board: its totals and the first cards (the
// CardFields of each deal).
type Column struct {
	StageTotal
	Cards []entity.Record `json:"cards"`
	More  bool            `json:"more"`
}

// Board is the kanban of one pipeline's open deals.
func (s *Service) Board(ctx context.Context, p *access.Principal, f DealFilter, perColumn int) ([]Column, error) {
	if perColumn <= 0 || perColumn > 200 {
		perColumn = 20
	}
	if f.PipelineID == "" {
		id, err := s.DefaultPipeline(ctx, s.DB.R())
		if err != nil {
			return nil, err
		}
		f.PipelineID = id
	}
	totals, err := s.Funnel(ctx, p, f)
	if err != nil {
		return nil, err
	}
	oe := s.R.Schema().Entity("opportunity").Subset(CardFields...)
	out := make([]Column, len(totals))
	var stages []string
	idx := map[string]int{}
	for i, st := range totals {
		out[i] = Column{StageTotal: st}
		idx[st.Stage.ID] = i
		if st.Count > 0 {
			stages = append(stages, st.Stage.ID)
		}
	}
	var a store.Args
	where, err := s.where(ctx, p, f, &a)
	if err != nil {
		return nil, err
	}
	// One statement for every column: an ordered, limited read per stage
	// from the (team|owner, stage, status, updated_at, id) index.
	recs, err := s.DB.ListPer(ctx, oe, where, a.V, "stage_id", stages, "updated_at DESC, id DESC", perColumn+1)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		i, ok := idx[rec.Str("stage_id")]
		if !ok {
			continue
		}
		if len(out[i].Cards) == perColumn {
			out[i].More = true
			continue
		}
		out[i].Cards = append(out[i].Cards, s.R.Present(p, oe, rec))
	}
	return out, nil
}

// ForecastRow is the open pipeline expected to close in one month, for one
// owner or team (or everyone).
type ForecastRow struct {
	Month    string `json:"month"` // 2026-12
	Group    string `json:"group,omitempty"`
	Count    int    `json:"count"`
	Amount   Money  `json:"amount"`
	Weighted Money  `json:"weighted"`
}

// Forecast groups the open pipeline by expected close month (from the
// month of from, for months months), raw and weighted, per owner, per team
// or in total (group "owner", "team" or ""). Deals without an expected
// close date are not forecast.
func (s *Service) Forecast(ctx context.Context, p *access.Principal, f DealFilter, from time.Time, months int, group string) ([]ForecastRow, error) {
	if p.Perm("opportunity").Read == access.None {
		return nil, errs.Denied()
	}
	if months <= 0 || months > 36 {
		return nil, errs.Field("months", "out_of_range")
	}
	var totalsG, dealsG string
	cast := ""
	if s.DB.Dialect == store.Postgres {
		cast = "::text"
	}
	switch group {
	case "":
		totalsG, dealsG = "''", "''"
	case "owner":
		totalsG, dealsG = "owner_id", "coalesce(t.owner_id"+cast+", '')"
	case "team":
		totalsG, dealsG = "team_id", "coalesce(t.team_id"+cast+", '')"
	default:
		return nil, errs.Field("group", "invalid_option")
	}
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, months, 0)
	month := "substr(t.expected_close_date, 1, 7)"
	if s.DB.Dialect == store.Postgres {
		month = "to_char(t.expected_close_date, 'YYYY-MM')"
	}
	q := sumQuery{
		table:       "deal_month_totals",
		totalsGroup: "close_month, " + totalsG, dealsGroup: month + ", " + dealsG,
		totalsWhere: "close_month >= $1 AND close_month < $2",
		dealsWhere:  "t.expected_close_date >= $1 AND t.expected_close_date < $2",
		totalsArgs:  []any{start.Format("2006-01"), end.Format("2006-01")},
		dealsArgs:   []any{start.Format(entity.DateLayout), end.Format(entity.DateLayout)},
	}
	byKey := map[[2]string]*ForecastRow{}
	err := s.sums(ctx, p, f, q, func(g []string, cur string, n int, amount, weighted int64) {
		k := [2]string{g[0], g[1]}
		r := byKey[k]
		if r == nil {
			r = &ForecastRow{Month: g[0], Group: g[1], Amount: Money{}, Weighted: Money{}}
			byKey[k] = r
		}
		r.Count += n
		r.Amount.add(cur, amount)
		r.Weighted.add(cur, weighted)
	})
	if err != nil {
		return nil, err
	}
	out := make([]ForecastRow, 0, len(byKey))
	for _, r := range byKey {
		if r.Count == 0 {
			continue
		}
		for cur, w := range r.Weighted {
			r.Weighted[cur] = roundDiv(w, 100)
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Month != out[j].Month {
			return out[i].Month < out[j].Month
		}
		return out[i].Group < out[j].Group
	})
	return out, nil
}

// Months lists the months of a forecast window, for tables and charts
// that must show empty months too.
func Months(from time.Time, months int) []string {
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]string, months)
	for i := range out {
		out[i] = start.AddDate(0, i, 0).Format("2006-01")
	}
	return slices.Clip(out)
}
