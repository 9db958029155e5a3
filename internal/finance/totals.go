package finance

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
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

// recvKey is where one instalment's unpaid amount is kept: its month's
// row (without the customer) and, once its due date is rolled into the
// arrears, its customer's arrears row (without the month).
type recvKey struct {
	Customer, Owner, Team, Currency, Month, Due string
}

// monthKey and arrearsKey are the keys of the two kept rows, in the
// order of their primary keys.
func (k recvKey) monthKey() [4]string   { return [4]string{k.Owner, k.Team, k.Currency, k.Month} }
func (k recvKey) arrearsKey() [4]string { return [4]string{k.Customer, k.Currency, k.Owner, k.Team} }

// recvPart is what one instalment adds to its month's row.
type recvPart struct {
	key       recvKey
	n, amount int64
}

// instState is what decides an instalment's part of the kept receivables.
type instState struct {
	Customer, Owner, Team, Currency, Due, Status string
	Amount, Paid                                 int64
	Deleted, Receivable                          bool
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
	return recvPart{key: recvKey{Customer: st.Customer, Owner: st.Owner, Team: st.Team, Currency: cur, Month: st.Due[:7], Due: st.Due[:min(10, len(st.Due))]}, n: 1, amount: st.Amount - st.Paid}, true
}

func stateOf(rec entity.Record) instState {
	if rec == nil {
		return instState{Deleted: true}
	}
	return instState{Customer: rec.Str("customer_id"), Owner: rec.Str("owner_id"), Team: rec.Str("team_id"), Currency: rec.Str("currency"), Due: rec.Str("due_date"),
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

// applyMoves writes the moves: the months' rows, then (for instalments
// due before the arrears' day) the customers' arrears rows, each in key
// order. On PostgreSQL the arrears' day is read FOR SHARE: a roll
// (RollArrears, FOR UPDATE) waits for this transaction, or this one for
// the roll, so an instalment is never counted in both or neither.
func (s *Service) applyMoves(ctx context.Context, tx *store.Tx, m recvMoves) error {
	months := map[[4]string]*recvPart{}
	var dated []recvPart
	for _, p := range m {
		if p.n == 0 && p.amount == 0 {
			continue
		}
		dated = append(dated, *p)
		add(months, p.key.monthKey(), *p)
	}
	if len(dated) == 0 {
		return nil
	}
	for _, k := range sortedKeys(months) {
		p := months[k]
		if _, err := tx.ExecContext(ctx, `INSERT INTO receivable_months (owner_id, team_id, currency, due_month, n, amount) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (owner_id, team_id, currency, due_month) DO UPDATE
			SET n = receivable_months.n + excluded.n, amount = receivable_months.amount + excluded.amount`,
			k[0], k[1], k[2], k[3], p.n, p.amount); err != nil {
			return fmt.Errorf("finance: receivable months: %w", err)
		}
	}
	before, err := s.arrearsBefore(ctx, tx, false)
	if err != nil {
		return err
	}
	arrears := map[[4]string]*recvPart{}
	for _, p := range dated {
		if p.key.Due < before {
			add(arrears, p.key.arrearsKey(), p)
		}
	}
	for _, k := range sortedKeys(arrears) {
		p := arrears[k]
		if p.n == 0 && p.amount == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO receivable_arrears (customer_id, currency, owner_id, team_id, n, amount) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (customer_id, currency, owner_id, team_id) DO UPDATE
			SET n = receivable_arrears.n + excluded.n, amount = receivable_arrears.amount + excluded.amount`,
			k[0], k[1], k[2], k[3], p.n, p.amount); err != nil {
			return fmt.Errorf("finance: receivable arrears: %w", err)
		}
	}
	return nil
}

// add sums a part into the row of key k.
func add(rows map[[4]string]*recvPart, k [4]string, p recvPart) {
	t := rows[k]
	if t == nil {
		t = &recvPart{}
		rows[k] = t
	}
	t.n += p.n
	t.amount += p.amount
}

func sortedKeys(rows map[[4]string]*recvPart) [][4]string {
	keys := make([][4]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		for n := range keys[i] {
			if keys[i][n] != keys[j][n] {
				return keys[i][n] < keys[j][n]
			}
		}
		return false
	})
	return keys
}

// arrearsBefore reads the day the arrears are kept up to (exclusive),
// locked against a roll until tx ends on PostgreSQL: shared by the hooks,
// exclusively by the roll (SQLite has one writer at a time anyway).
func (s *Service) arrearsBefore(ctx context.Context, tx *store.Tx, roll bool) (string, error) {
	q := `SELECT kept_before FROM receivable_arrears_upto WHERE id = 1`
	if s.DB.Dialect == store.Postgres {
		if roll {
			q += ` FOR UPDATE`
		} else {
			q += ` FOR SHARE`
		}
	}
	var before string
	if err := tx.QueryRowContext(ctx, q).Scan(&before); err != nil {
		return "", fmt.Errorf("finance: arrears day: %w", err)
	}
	return before, nil
}

// RollArrears moves the customers' kept arrears up to today (company
// time): the unpaid instalments due from the last kept day to yesterday
// are added to their customers' rows. Nothing happens when they are kept
// up to today already (the finance.arrears job asks every hour). It
// returns the rows added to or changed.
func (s *Service) RollArrears(ctx context.Context) (int64, error) {
	target := s.today()
	var added int64
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		before, err := s.arrearsBefore(ctx, tx, true)
		if err != nil || before >= target {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO receivable_arrears (customer_id, currency, owner_id, team_id, n, amount)
			SELECT `+s.keptCols()+`, count(*), coalesce(sum(amount - paid_amount), 0)
			FROM payment_instalments WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE AND due_date >= $1 AND due_date < $2
			GROUP BY 1, 2, 3, 4
			ON CONFLICT (customer_id, currency, owner_id, team_id) DO UPDATE
			SET n = receivable_arrears.n + excluded.n, amount = receivable_arrears.amount + excluded.amount`, before, target)
		if err != nil {
			return fmt.Errorf("finance: roll arrears: %w", err)
		}
		added, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `UPDATE receivable_arrears_upto SET kept_before = $1 WHERE id = 1`, target)
		return errs.Wrap(err, "finance: roll arrears")
	})
	return added, err
}

// keptCols are the customer, currency, owner and team of an instalment
// as the arrears rows hold them (empty for none).
func (s *Service) keptCols() string {
	return s.idText("customer_id") + ", coalesce(currency, 'CNY'), " + s.idText("owner_id") + ", " + s.idText("team_id")
}

// idText is an id column as the kept rows hold it: text, empty for none.
func (s *Service) idText(col string) string {
	if s.DB.Dialect == store.Postgres {
		return "coalesce(" + col + "::text, '')"
	}
	return "coalesce(" + col + ", '')"
}

// instStates reads the kept state of instalments (for writes that change
// them with a statement of their own).
func (s *Service) instStates(ctx context.Context, tx *store.Tx, where string, args ...any) (map[string]instState, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, customer_id, owner_id, team_id, currency, due_date, status, amount, paid_amount, deleted_at IS NOT NULL, receivable
		FROM payment_instalments WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("finance: instalment states: %w", err)
	}
	defer rows.Close()
	out := map[string]instState{}
	for rows.Next() {
		var id string
		var customer, owner, team, cur nullString
		var due any
		var st instState
		if err := rows.Scan(&id, &customer, &owner, &team, &cur, &due, &st.Status, &st.Amount, &st.Paid, &st.Deleted, &st.Receivable); err != nil {
			return nil, err
		}
		st.Customer, st.Owner, st.Team, st.Currency, st.Due = customer.s, owner.s, team.s, cur.s, dateText(due)
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

// RebuildReceivables recomputes receivable_months and the customers'
// arrears (up to the day they are kept to) from the instalments, in one
// transaction.
func (s *Service) RebuildReceivables(ctx context.Context) error {
	month := "substr(due_date, 1, 7)"
	if s.DB.Dialect == store.Postgres {
		month = "to_char(due_date, 'YYYY-MM')"
	}
	return s.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		before, err := s.arrearsBefore(ctx, tx, true)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM receivable_months`,
			`INSERT INTO receivable_months (owner_id, team_id, currency, due_month, n, amount)
				SELECT ` + s.idText("owner_id") + `, ` + s.idText("team_id") + `, coalesce(currency, 'CNY'), ` + month + `, count(*), coalesce(sum(amount - paid_amount), 0)
				FROM payment_instalments WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE GROUP BY 1, 2, 3, 4`,
			`DELETE FROM receivable_arrears`,
			`INSERT INTO receivable_arrears (customer_id, currency, owner_id, team_id, n, amount)
				SELECT ` + s.keptCols() + `, count(*), coalesce(sum(amount - paid_amount), 0)
				FROM payment_instalments WHERE status <> 'paid' AND deleted_at IS NULL AND receivable = TRUE AND due_date < $1 GROUP BY 1, 2, 3, 4`,
		} {
			var args []any
			if strings.Contains(q, "$1") {
				args = []any{before}
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("finance: rebuild receivables: %w", err)
			}
		}
		return nil
	})
}
