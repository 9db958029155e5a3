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

// where builds the predicate of open deals of a filter, visible to p.
func (s *Service) where(ctx context.Context, p *access.Principal, f DealFilter, a *store.Args) (string, error) {
	oe := s.R.Schema().Entity("opportunity")
	conds := []string{"t.deleted_at IS NULL", "t.status = 'open'", s.R.ReadPred(oe, p)(a)}
	if f.PipelineID != "" {
		if !entity.LooksLikeID(f.PipelineID) {
			return "", fieldErr("pipeline_id", "invalid_ref")
		}
		conds = append(conds, "t.pipeline_id = "+a.Add(strings.ToLower(f.PipelineID)))
	}
	if f.OwnerID != "" {
		if !entity.LooksLikeID(f.OwnerID) {
			return "", fieldErr("owner_id", "invalid_user")
		}
		conds = append(conds, "t.owner_id = "+a.Add(strings.ToLower(f.OwnerID)))
	}
	if f.TeamID != "" {
		if !entity.LooksLikeID(f.TeamID) {
			return "", fieldErr("team_id", "invalid_ref")
		}
		teams, err := s.DB.TeamSubtree(ctx, strings.ToLower(f.TeamID))
		if err != nil {
			return "", err
		}
		if len(teams) == 0 {
			return "", fieldErr("team_id", "invalid_ref")
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
		return nil, fieldErr("pipeline_id", "invalid_ref")
	}
	var a store.Args
	w, err := s.where(ctx, p, f, &a)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT t.stage_id, t.currency, count(*), coalesce(sum(t.amount), 0), coalesce(sum(t.amount * t.probability), 0)
		FROM opportunities t WHERE `+w+` GROUP BY t.stage_id, t.currency`, a.V...)
	if err != nil {
		return nil, fmt.Errorf("presales: funnel: %w", err)
	}
	defer rows.Close()
	out := make([]StageTotal, len(stages))
	idx := map[string]int{}
	for i, st := range stages {
		out[i] = StageTotal{Stage: st, Amount: Money{}, Weighted: Money{}}
		idx[st.ID] = i
	}
	for rows.Next() {
		var stageID, cur string
		var n int
		var amount, weighted int64
		if err := rows.Scan(&stageID, &cur, &n, &amount, &weighted); err != nil {
			return nil, err
		}
		i, ok := idx[stageID]
		if !ok {
			continue
		}
		out[i].Count += n
		out[i].Amount.add(cur, amount)
		out[i].Weighted.add(cur, roundDiv(weighted, 100))
	}
	return out, rows.Err()
}

// roundDiv divides rounding half up (amounts are not negative).
func roundDiv(v, d int64) int64 { return (v + d/2) / d }

// Column is one stage of the board: its totals and the first cards.
type Column struct {
	StageTotal
	Cards []entity.Record `json:"cards"`
	More  bool            `json:"more"`
}

// Board is the kanban of one pipeline's open deals.
func (s *Service) Board(ctx context.Context, p *access.Principal, f DealFilter, perColumn int) ([]Column, error) {
	if perColumn <= 0 || perColumn > 200 {
		perColumn = 30
	}
	totals, err := s.Funnel(ctx, p, f)
	if err != nil {
		return nil, err
	}
	oe := s.R.Schema().Entity("opportunity")
	out := make([]Column, len(totals))
	for i, st := range totals {
		out[i] = Column{StageTotal: st}
		if st.Count == 0 {
			continue
		}
		var a store.Args
		w, err := s.where(ctx, p, f, &a)
		if err != nil {
			return nil, err
		}
		w += " AND t.stage_id = " + a.Add(st.Stage.ID)
		page, err := s.DB.ListWhere(ctx, oe, w, a.V, "t.updated_at DESC, t.id DESC", perColumn+1)
		if err != nil {
			return nil, err
		}
		if len(page) > perColumn {
			page, out[i].More = page[:perColumn], true
		}
		for j := range page {
			page[j] = s.R.Present(p, oe, page[j])
		}
		out[i].Cards = page
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
		return nil, fieldErr("months", "out_of_range")
	}
	var groupCol string
	switch group {
	case "":
		groupCol = "''"
	case "owner":
		groupCol = "coalesce(t.owner_id || '', '')"
	case "team":
		groupCol = "coalesce(t.team_id || '', '')"
	default:
		return nil, fieldErr("group", "invalid_option")
	}
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, months, 0)
	var a store.Args
	w, err := s.where(ctx, p, f, &a)
	if err != nil {
		return nil, err
	}
	w += " AND t.expected_close_date >= " + a.Add(start.Format(entity.DateLayout)) + " AND t.expected_close_date < " + a.Add(end.Format(entity.DateLayout))
	month := "substr(t.expected_close_date, 1, 7)"
	if s.DB.Dialect == store.Postgres {
		month = "to_char(t.expected_close_date, 'YYYY-MM')"
		groupCol = strings.ReplaceAll(groupCol, " || ''", "::text")
	}
	rows, err := s.DB.R().QueryContext(ctx, fmt.Sprintf(`SELECT %s, %s, t.currency, count(*), coalesce(sum(t.amount), 0), coalesce(sum(t.amount * t.probability), 0)
		FROM opportunities t WHERE %s GROUP BY 1, 2, 3`, month, groupCol, w), a.V...)
	if err != nil {
		return nil, fmt.Errorf("presales: forecast: %w", err)
	}
	defer rows.Close()
	byKey := map[[2]string]*ForecastRow{}
	for rows.Next() {
		var m, g, cur string
		var n int
		var amount, weighted int64
		if err := rows.Scan(&m, &g, &cur, &n, &amount, &weighted); err != nil {
			return nil, err
		}
		k := [2]string{m, g}
		r := byKey[k]
		if r == nil {
			r = &ForecastRow{Month: m, Group: g, Amount: Money{}, Weighted: Money{}}
			byKey[k] = r
		}
		r.Count += n
		r.Amount.add(cur, amount)
		r.Weighted.add(cur, roundDiv(weighted, 100))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ForecastRow, 0, len(byKey))
	for _, r := range byKey {
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
