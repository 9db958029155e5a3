package presales

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// totalKey is one row of a totals table: the open deals of one pipeline
// in one currency for one owner and team, and either one stage
// (deal_stage_totals) or one expected close month (deal_month_totals).
type totalKey struct {
	Table, Group, Pipeline, Currency, Owner, Team string
}

func (k totalKey) less(o totalKey) bool {
	a := [6]string{k.Table, k.Group, k.Pipeline, k.Currency, k.Owner, k.Team}
	b := [6]string{o.Table, o.Group, o.Pipeline, o.Currency, o.Owner, o.Team}
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

type totalDelta struct {
	key                 totalKey
	n, amount, weighted int64
}

// contributions are what an opportunity adds to the two totals tables:
// nothing unless it is open and not deleted.
func contributions(rec entity.Record) []totalDelta {
	if rec == nil || rec["deleted_at"] != nil || rec.Str("status") != crm.OppOpen {
		return nil
	}
	month := rec.Str("expected_close_date")
	if len(month) >= 7 {
		month = month[:7]
	}
	amount, _ := rec["amount"].(int64)
	k := totalKey{Pipeline: rec.Str("pipeline_id"), Currency: rec.Str("currency"), Owner: rec.Str("owner_id"), Team: rec.Str("team_id")}
	stage, byMonth := k, k
	stage.Table, stage.Group = "deal_stage_totals", rec.Str("stage_id")
	byMonth.Table, byMonth.Group = "deal_month_totals", month
	d := totalDelta{n: 1, amount: amount, weighted: amount * rec.Int("probability")}
	out := []totalDelta{d, d}
	out[0].key, out[1].key = stage, byMonth
	return out
}

// applyTotals moves an opportunity's contribution from its old state to
// its new one, in the writing transaction. Rows are touched in key order
// so that two transactions moving deals between the same stages in
// opposite directions cannot deadlock.
func (s *Service) applyTotals(ctx context.Context, tx *store.Tx, old, rec entity.Record) error {
	sum := map[totalKey]*totalDelta{}
	for sign, r := range map[int64]entity.Record{-1: old, 1: rec} {
		for _, d := range contributions(r) {
			t := sum[d.key]
			if t == nil {
				t = &totalDelta{key: d.key}
				sum[d.key] = t
			}
			t.n += sign * d.n
			t.amount += sign * d.amount
			t.weighted += sign * d.weighted
		}
	}
	deltas := make([]totalDelta, 0, len(sum))
	for _, d := range sum {
		if d.n != 0 || d.amount != 0 || d.weighted != 0 {
			deltas = append(deltas, *d)
		}
	}
	sort.Slice(deltas, func(i, j int) bool { return deltas[i].key.less(deltas[j].key) })
	for _, d := range deltas {
		k := d.key
		group := "stage_id"
		if k.Table == "deal_month_totals" {
			group = "close_month"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+k.Table+` (`+group+`, pipeline_id, currency, owner_id, team_id, n, amount, weighted)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (`+primaryKey(k.Table)+`) DO UPDATE
			SET n = `+k.Table+`.n + excluded.n, amount = `+k.Table+`.amount + excluded.amount, weighted = `+k.Table+`.weighted + excluded.weighted`,
			k.Group, k.Pipeline, k.Currency, k.Owner, k.Team, d.n, d.amount, d.weighted); err != nil {
			return fmt.Errorf("presales: deal totals: %w", err)
		}
	}
	return nil
}

func primaryKey(table string) string {
	if table == "deal_month_totals" {
		return "close_month, pipeline_id, currency, owner_id, team_id"
	}
	return "pipeline_id, stage_id, currency, owner_id, team_id"
}

// RebuildTotals recomputes both totals tables from the opportunities
// (after a bulk load, or to repair), in one transaction.
func (s *Service) RebuildTotals(ctx context.Context) error {
	month := "coalesce(substr(expected_close_date, 1, 7), '')"
	id := func(col string) string { return "coalesce(" + col + ", '')" }
	if s.DB.Dialect == store.Postgres {
		month = "coalesce(to_char(expected_close_date, 'YYYY-MM'), '')"
		id = func(col string) string { return "coalesce(" + col + "::text, '')" }
	}
	rest := id("pipeline_id") + ", currency, " + id("owner_id") + ", " + id("team_id") + `,
		count(*), coalesce(sum(amount), 0), coalesce(sum(amount * probability), 0)
		FROM opportunities WHERE deleted_at IS NULL AND status = 'open' GROUP BY 1, 2, 3, 4, 5`
	return s.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`DELETE FROM deal_stage_totals`,
			`DELETE FROM deal_month_totals`,
			`INSERT INTO deal_stage_totals (stage_id, pipeline_id, currency, owner_id, team_id, n, amount, weighted) SELECT ` + id("stage_id") + `, ` + rest,
			`INSERT INTO deal_month_totals (close_month, pipeline_id, currency, owner_id, team_id, n, amount, weighted) SELECT ` + month + `, ` + rest,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("presales: rebuild deal totals: %w", err)
			}
		}
		return nil
	})
}

// afterTotals is the opportunity hook keeping the totals.
func (s *Service) afterTotals(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	old := ch.Old
	if ch.Action == records.Create {
		old = nil
	}
	return s.applyTotals(ctx, tx, old, ch.New)
}

// scopeSQL is the visibility of opportunities for p expressed on owner and
// team columns (col names the column of either), without grants; ok is
// false when p sees nothing.
func scopeSQL(p *access.Principal, owner, team string, a *store.Args) (string, bool) {
	if p == nil || p.System {
		return "TRUE", true
	}
	switch p.Perm("opportunity").Read {
	case access.All:
		return "TRUE", true
	case access.Team:
		ors := []string{}
		if p.UserID != "" {
			ors = append(ors, owner+" = "+a.Add(p.UserID))
		}
		if len(p.Teams) > 0 {
			vals := make([]any, len(p.Teams))
			for i, t := range p.Teams {
				vals[i] = t
			}
			ors = append(ors, team+" IN "+a.List(vals))
		}
		if len(ors) == 0 {
			return "FALSE", true
		}
		return "(" + strings.Join(ors, " OR ") + ")", true
	case access.Own:
		if p.UserID == "" {
			return "FALSE", true
		}
		return owner + " = " + a.Add(p.UserID), true
	}
	return "", false
}
