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

// totalKey is one row of deal_totals: the open deals of a pipeline stage
// in one currency, for one owner and team, expected in one month.
type totalKey struct {
	Pipeline, Stage, Currency, Owner, Team, Month string
}

func (k totalKey) less(o totalKey) bool {
	a := [6]string{k.Pipeline, k.Stage, k.Currency, k.Owner, k.Team, k.Month}
	b := [6]string{o.Pipeline, o.Stage, o.Currency, o.Owner, o.Team, o.Month}
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

// contribution is what an opportunity adds to the totals: nothing unless
// it is open and not deleted.
func contribution(rec entity.Record) (totalDelta, bool) {
	if rec == nil || rec["deleted_at"] != nil || rec.Str("status") != crm.OppOpen {
		return totalDelta{}, false
	}
	month := rec.Str("expected_close_date")
	if len(month) >= 7 {
		month = month[:7]
	}
	amount, _ := rec["amount"].(int64)
	return totalDelta{
		key: totalKey{Pipeline: rec.Str("pipeline_id"), Stage: rec.Str("stage_id"), Currency: rec.Str("currency"),
			Owner: rec.Str("owner_id"), Team: rec.Str("team_id"), Month: month},
		n: 1, amount: amount, weighted: amount * rec.Int("probability"),
	}, true
}

// applyTotals moves an opportunity's contribution from its old state to
// its new one, in the writing transaction. Rows are touched in key order
// so that two transactions moving deals between the same stages in
// opposite directions cannot deadlock.
func (s *Service) applyTotals(ctx context.Context, tx *store.Tx, old, rec entity.Record) error {
	var deltas []totalDelta
	o, hadOld := contribution(old)
	n, hasNew := contribution(rec)
	if hadOld && hasNew && o == n {
		return nil
	}
	if hadOld {
		deltas = append(deltas, totalDelta{key: o.key, n: -o.n, amount: -o.amount, weighted: -o.weighted})
	}
	if hasNew {
		if len(deltas) == 1 && deltas[0].key == n.key {
			deltas[0].n += n.n
			deltas[0].amount += n.amount
			deltas[0].weighted += n.weighted
		} else {
			deltas = append(deltas, n)
		}
	}
	sort.Slice(deltas, func(i, j int) bool { return deltas[i].key.less(deltas[j].key) })
	for _, d := range deltas {
		k := d.key
		if _, err := tx.ExecContext(ctx, `INSERT INTO deal_totals (pipeline_id, stage_id, currency, owner_id, team_id, close_month, n, amount, weighted)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (pipeline_id, stage_id, currency, owner_id, team_id, close_month) DO UPDATE
			SET n = deal_totals.n + excluded.n, amount = deal_totals.amount + excluded.amount, weighted = deal_totals.weighted + excluded.weighted`,
			k.Pipeline, k.Stage, k.Currency, k.Owner, k.Team, k.Month, d.n, d.amount, d.weighted); err != nil {
			return fmt.Errorf("presales: deal totals: %w", err)
		}
	}
	return nil
}

// RebuildTotals recomputes deal_totals from the opportunities (after a
// bulk load, or to repair): one statement, in one transaction.
func (s *Service) RebuildTotals(ctx context.Context) error {
	month := "coalesce(substr(expected_close_date, 1, 7), '')"
	id := func(col string) string { return "coalesce(" + col + ", '')" }
	if s.DB.Dialect == store.Postgres {
		month = "coalesce(to_char(expected_close_date, 'YYYY-MM'), '')"
		id = func(col string) string { return "coalesce(" + col + "::text, '')" }
	}
	return s.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM deal_totals`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO deal_totals (pipeline_id, stage_id, currency, owner_id, team_id, close_month, n, amount, weighted)
			SELECT `+id("pipeline_id")+`, `+id("stage_id")+`, currency, `+id("owner_id")+`, `+id("team_id")+`, `+month+`,
				count(*), coalesce(sum(amount), 0), coalesce(sum(amount * probability), 0)
			FROM opportunities WHERE deleted_at IS NULL AND status = 'open'
			GROUP BY 1, 2, 3, 4, 5, 6`)
		if err != nil {
			return fmt.Errorf("presales: rebuild deal totals: %w", err)
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
