package finance

import (
	"context"
	"fmt"
	"sort"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// Receivables kept by month: what is unpaid of the instalments is summed,
// as it is written, into receivable_months rows (owner, team, currency,
// due month → unpaid amount and count). The ageing of an owner or team
// reads those rows for every month that lies wholly inside one age band
// and the instalments themselves only for the few months around the
// band edges (the as-of date, 30, 60 and 90 days before), so it reads a
// few thousand rows instead of every unpaid instalment. Like the deal
// totals, the rows are moved in the writing transaction, in key order
// (no deadlocks between two writers on PostgreSQL), and RebuildReceivables
// recomputes them (after a bulk load, or to repair).

type recvKey struct {
	Owner, Team, Currency, Month string
}

func (k recvKey) less(o recvKey) bool {
	a := [4]string{k.Owner, k.Team, k.Currency, k.Month}
	b := [4]string{o.Owner, o.Team, o.Currency, o.Month}
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// recvPart is what one instalment adds to its month's row.
type recvPart struct {
	key       recvKey
	n, amount int64
}

// instState is what decides an instalment's part of the kept receivables.
type instState struct {
	Owner, Team, Currency, Due, Status string
	Amount, Paid                       int64
	Deleted, Receivable                bool
}

// part is the instalment's contribution: nothing before its contract is
// signed, nor once it is paid or deleted.
func (st instState) part() (recvPart, bool) {
	if st.Deleted || !st.Receivable || st.Status == crm.InstalmentPaid || len(st.Due) < 7 {
		return recvPart{}, false
	}
	cur := st.Currency
	if cur == "" {
		cur = "CNY"
	}
	return recvPart{key: recvKey{Owner: st.Owner, Team: st.Team, Currency: cur, Month: st.Due[:7]}, n: 1, amount: st.Amount - st.Paid}, true
}

func stateOf(rec entity.Record) instState {
	if rec == nil {
		return instState{Deleted: true}
	}
	return instState{Owner: rec.Str("owner_id"), Team: rec.Str("team_id"), Currency: rec.Str("currency"), Due: rec.Str("due_date"),
		Status: rec.Str("status"), Amount: rec.Int("amount"), Paid: rec.Int("paid_amount"), Deleted: rec["deleted_at"] != nil, Receivable: rec.Bool("receivable")}
}

// recvMoves gathers moves of instalments from one state to another.
type recvMoves map[recvKey]*recvPart

func (m recvMoves) move(from, to instState) {
	for sign, st := range map[int64]instState{-1: from, 1: to} {
		p, ok := st.part()
		if !ok {
			continue
		}
		t := m[p.key]
		if t == nil {
			t = &recvPart{key: p.key}
			m[p.key] = t
		}
		t.n += sign * p.n
		t.amount += sign * p.amount
	}
}

// apply writes the moves, rows in key order.
func (s *Service) applyMoves(ctx context.Context, tx *store.Tx, m recvMoves) error {
	parts := make([]recvPart, 0, len(m))
	for _, p := range m {
		if p.n != 0 || p.amount != 0 {
			parts = append(parts, *p)
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].key.less(parts[j].key) })
	for _, p := range parts {
		k := p.key
		if _, err := tx.ExecContext(ctx, `INSERT INTO receivable_months (owner_id, team_id, currency, due_month, n, amount) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (owner_id, team_id, currency, due_month) DO UPDATE
			SET n = receivable_months.n + excluded.n, amount = receivable_months.amount + excluded.amount`,
			k.Owner, k.Team, k.Currency, k.Month, p.n, p.amount); err != nil {
			return fmt.Errorf("finance: receivable months: %w", err)
		}
	}
	return nil
}

// instStates reads the kept state of instalments (for writes that change
// them with a statement of their own).
func (s *Service) instStates(ctx context.Context, tx *store.Tx, where string, args ...any) (map[string]instState, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, owner_id, team_id, currency, due_date, status, amount, paid_amount, deleted_at IS NOT NULL, receivable
		FROM payment_instalments WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("finance: instalment states: %w", err)
	}
	defer rows.Close()
	out := map[string]instState{}
	for rows.Next() {
		var id string
		var owner, team, cur nullString
		var due any
		var st instState
		if err := rows.Scan(&id, &owner, &team, &cur, &due, &st.Status, &st.Amount, &st.Paid, &st.Deleted, &st.Receivable); err != nil {
			return nil, err
		}
		st.Owner, st.Team, st.Currency, st.Due = owner.s, team.s, cur.s, dateText(due)
		out[id] = st
	}
	return out, rows.Err()
}

// nullString scans a nullable text (uuid on PostgreSQL) as "".
type nullString struct{ s string }

func (n *nullString) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		n.s = ""
	case string:
		n.s = x
	case []byte:
		n.s = string(x)
	default:
		n.s = fmt.Sprint(x)
	}
	return nil
}

// RebuildReceivables recomputes receivable_months from the instalments,
// in one transaction.
func (s *Service) RebuildReceivables(ctx context.Context) error {
	month := "substr(due_date, 1, 7)"
	id := func(col string) string { return "coalesce(" + col + ", '')" }
	if s.DB.Dialect == store.Postgres {
		month = "to_char(due_date, 'YYYY-MM')"
		id = func(col string) string { return "coalesce(" + col + "::text, '')" }
	}
	return s.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		for _, q := range []string{
			`DELETE FROM receivable_months`,
			`INSERT INTO receivable_months (owner_id, team_id, currency, due_month, n, amount)
				SELECT ` + id("owner_id") + `, ` + id("team_id") + `, coalesce(currency, 'CNY'), ` + month + `, count(*), coalesce(sum(amount - paid_amount), 0)
				FROM payment_instalments WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE GROUP BY 1, 2, 3, 4`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("finance: rebuild receivable months: %w", err)
			}
		}
		return nil
	})
}
