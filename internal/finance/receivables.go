package finance

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// Receivables (应收账款) and their ageing (账龄): what is not yet paid of
// the instalments a viewer can see, per customer, rep (the contract's
// owner) or team, in bands of days past due at an as-of date. One grouped
// statement over the unpaid instalments, on the owner, team and currency
// columns the instalments carry (kept from their contract), through
// partial covering indexes of the unpaid rows — so no contract is joined
// and no table row is read. Amounts in different currencies are never
// added up: every row and total is per currency.

// Ageing groupings.
const (
	GroupCustomer = "customer"
	GroupOwner    = "owner"
	GroupTeam     = "team"
)

// AgeingFilter narrows the receivables, always within what the viewer
// may see.
type AgeingFilter struct {
	AsOf       string // 2006-01-02; today (company time zone) when empty
	Group      string // customer (default), owner or team
	CustomerID string
	OwnerID    string
	TeamID     string // the team and its sub-teams
	Limit      int    // rows listed (default 100, at most 5000; -1 all); the totals cover all

	exact bool // tests: sum every instalment, never the kept months
}

// AgeingRow is the receivables of one customer, rep or team in one
// currency (minor units).
type AgeingRow struct {
	Key          string `json:"key"`
	Name         string `json:"name"`
	Currency     string `json:"currency"`
	NotDue       int64  `json:"not_due"`
	D0To30       int64  `json:"d0_30"`
	D31To60      int64  `json:"d31_60"`
	D61To90      int64  `json:"d61_90"`
	Over90       int64  `json:"d90_plus"`
	Due          int64  `json:"due"`         // due and unpaid: 0 days past due or more
	Overdue      int64  `json:"overdue"`     // a day or more past due
	Outstanding  int64  `json:"outstanding"` // everything unpaid, due or not
	DueCount     int64  `json:"due_instalments"`
	OverdueCount int64  `json:"overdue_instalments"`
}

// Bands are the row's amounts in the order of crm.AgeBands.
func (r AgeingRow) Bands() []int64 {
	return []int64{r.NotDue, r.D0To30, r.D31To60, r.D61To90, r.Over90}
}

func (r *AgeingRow) add(o AgeingRow) {
	r.NotDue += o.NotDue
	r.D0To30 += o.D0To30
	r.D31To60 += o.D31To60
	r.D61To90 += o.D61To90
	r.Over90 += o.Over90
	r.Due += o.Due
	r.Overdue += o.Overdue
	r.Outstanding += o.Outstanding
	r.DueCount += o.DueCount
	r.OverdueCount += o.OverdueCount
}

// Ageing is the receivables report.
type Ageing struct {
	AsOf   string      `json:"as_of"`
	Group  string      `json:"group"`
	Rows   []AgeingRow `json:"rows"`   // most overdue first
	Totals []AgeingRow `json:"totals"` // one per currency, over every row
	More   int         `json:"more"`   // rows with amounts due beyond the limit, not listed
}

func fieldErr(field, code string) error {
	return errs.Validation([]errs.FieldError{{Field: field, Code: code}})
}

// normalise checks a filter and fills its defaults.
func (s *Service) normalise(f *AgeingFilter) error {
	if f.AsOf == "" {
		f.AsOf = s.today()
	} else if _, err := time.Parse(entity.DateLayout, f.AsOf); err != nil {
		return errs.Validation([]errs.FieldError{{Field: "as_of", Code: "invalid_date", Args: map[string]any{"value": f.AsOf}}})
	}
	switch f.Group {
	case "":
		f.Group = GroupCustomer
	case GroupCustomer, GroupOwner, GroupTeam:
	default:
		return errs.Validation([]errs.FieldError{{Field: "group", Code: "invalid_option", Args: map[string]any{"value": f.Group}}})
	}
	for _, x := range []struct {
		field string
		v     *string
		code  string
	}{{"customer_id", &f.CustomerID, "invalid_ref"}, {"owner_id", &f.OwnerID, "invalid_user"}, {"team_id", &f.TeamID, "invalid_ref"}} {
		*x.v = strings.ToLower(strings.TrimSpace(*x.v))
		if *x.v != "" && !entity.LooksLikeID(*x.v) {
			return fieldErr(x.field, x.code)
		}
	}
	switch {
	case f.Limit == 0:
		f.Limit = 100
	case f.Limit < 0: // every row (exports)
		f.Limit = 1_000_000
	case f.Limit > 5000:
		f.Limit = 5000
	}
	return nil
}

// scope is the instalments p may see, on the columns they carry (prefix
// names the table's alias with its dot): the contract's owner, team and
// p's grants on contracts — the same rows as the declared visibility
// through the contract. ok is false when p sees none. The same columns
// (owner_id, team_id) scope receivable_months, which has no grants.
func scope(p *access.Principal, prefix string, grants []string, a *store.Args) (string, bool) {
	sc := p.Perm("payment_instalment").Read
	if p.System || sc == access.All {
		return "", true
	}
	if sc == access.None || p.UserID == "" {
		return "", false
	}
	ors := []string{prefix + "owner_id = " + a.Add(p.UserID)}
	if sc == access.Team && len(p.Teams) > 0 {
		ors = append(ors, prefix+"team_id IN "+a.List(anys(p.Teams)))
	}
	if len(grants) > 0 {
		ors = append(ors, prefix+"contract_id IN "+a.List(anys(grants)))
	}
	return "(" + strings.Join(ors, " OR ") + ")", true
}

// contractGrants are the contracts p reads through a grant (only asked
// when p's scope does not reach every instalment anyway).
func (s *Service) contractGrants(ctx context.Context, p *access.Principal) ([]string, error) {
	sc := p.Perm("payment_instalment").Read
	if p.System || sc == access.All || sc == access.None || p.UserID == "" {
		return nil, nil
	}
	g, err := store.Strings(ctx, s.DB.R(), `SELECT record_id FROM record_grants WHERE user_id = $1 AND entity = 'contract' ORDER BY record_id`, p.UserID)
	return g, errs.Wrap(err, "finance: contract grants")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, v := range ss {
		out[i] = v
	}
	return out
}

// filters are the filter's conditions on the instalments (prefix as in scope).
func (s *Service) filters(ctx context.Context, f AgeingFilter, prefix string, a *store.Args) ([]string, error) {
	var conds []string
	if f.CustomerID != "" {
		conds = append(conds, prefix+"customer_id = "+a.Add(f.CustomerID))
	}
	if f.OwnerID != "" {
		conds = append(conds, prefix+"owner_id = "+a.Add(f.OwnerID))
	}
	if f.TeamID != "" {
		teams, err := s.DB.TeamSubtree(ctx, f.TeamID)
		if err != nil {
			return nil, err
		}
		if len(teams) == 0 {
			return nil, fieldErr("team_id", "invalid_ref")
		}
		conds = append(conds, prefix+"team_id IN "+a.List(anys(teams)))
	}
	return conds, nil
}

// groupCol is the instalment column a grouping sums by.
func groupCol(group string) string {
	switch group {
	case GroupOwner:
		return "owner_id"
	case GroupTeam:
		return "team_id"
	}
	return "customer_id"
}

// Ageing sums the receivables p can see by the filter's grouping and age
// band at its as-of date, most overdue first. An as-of date in the past
// ages what was open then: amounts of payments received after it are
// counted as still owed (the plan itself is today's).
func (s *Service) Ageing(ctx context.Context, p *access.Principal, f AgeingFilter) (Ageing, error) {
	if err := s.normalise(&f); err != nil {
		return Ageing{}, err
	}
	out := Ageing{AsOf: f.AsOf, Group: f.Group, Rows: []AgeingRow{}, Totals: []AgeingRow{}}
	if p.Perm("payment_instalment").Read == access.None {
		return out, errs.Denied()
	}
	grants, err := s.contractGrants(ctx, p)
	if err != nil {
		return out, err
	}
	kept := f.CustomerID == "" && len(grants) == 0 && !f.exact // the kept months answer for p
	var rows []AgeingRow
	done := false
	switch {
	case kept && (f.Group == GroupOwner || f.Group == GroupTeam):
		// Few groups, kept by month: every row comes back, sorted here.
		if rows, err = s.ageingByMonths(ctx, p, f); err != nil {
			return out, err
		}
		out.Totals = totalsOf(rows)
		due := 0
		for _, r := range rows {
			if r.Due > 0 {
				due++
			}
		}
		if len(rows) > f.Limit {
			rows = rows[:f.Limit]
		}
		out.More = max(0, due-dueRows(rows))
		done = true
	case kept && f.Group == GroupCustomer:
		// Many customers: those with amounts due are ranked first, and
		// when they fill the page nothing else is read.
		var more int
		if rows, more, done, err = s.customersDueFirst(ctx, p, f); err != nil {
			return out, err
		}
		if done {
			out.More = more
			if out.Totals, err = s.totalsByMonths(ctx, p, f); err != nil {
				return out, err
			}
		}
	}
	if !done {
		query, args, ok, err := s.ageingSQL(ctx, p, f, true, grants, narrow{})
		if err != nil || !ok {
			return out, err
		}
		// The numbers of groups come with the rows (windows over the
		// grouped result), so the instalments are read once.
		var groups, due int64
		if rows, groups, due, err = s.scanCounted(ctx, `SELECT g.*, COUNT(*) OVER (), SUM(CASE WHEN due_amt > 0 THEN 1 ELSE 0 END) OVER () FROM (`+query+`) g`+
			fmt.Sprintf(" ORDER BY overdue_amt DESC, due_amt DESC, k LIMIT %d", f.Limit), args); err != nil {
			return out, err
		}
		out.More = max(0, int(due)-dueRows(rows))
		switch {
		case int(groups) <= len(rows):
			out.Totals = totalsOf(rows)
		case kept:
			if out.Totals, err = s.totalsByMonths(ctx, p, f); err != nil {
				return out, err
			}
		default:
			tq, targs, _, err := s.ageingSQL(ctx, p, f, false, grants, narrow{})
			if err != nil {
				return out, err
			}
			if out.Totals, err = s.scanAgeing(ctx, tq, targs); err != nil {
				return out, err
			}
		}
	}
	for i := range out.Totals {
		out.Totals[i].Key = ""
	}
	slices.SortFunc(out.Totals, func(a, b AgeingRow) int { return strings.Compare(a.Currency, b.Currency) })
	if err := s.nameRows(ctx, p, f.Group, rows); err != nil {
		return out, err
	}
	if rows != nil {
		out.Rows = rows
	}
	return out, nil
}

// dueRows counts the rows with amounts due.
func dueRows(rows []AgeingRow) int {
	n := 0
	for _, r := range rows {
		if r.Due > 0 {
			n++
		}
	}
	return n
}

// totalsByMonths are everyone's totals of the filter (per currency), from
// the kept months.
func (s *Service) totalsByMonths(ctx context.Context, p *access.Principal, f AgeingFilter) ([]AgeingRow, error) {
	all := f
	all.Group = GroupTeam
	rows, err := s.ageingByMonths(ctx, p, all)
	return totalsOf(rows), err
}

// customersDueFirst lists the customers with the most overdue and due
// receivables reading only the unpaid instalments due by the as-of date
// (far fewer than all: most unpaid instalments are not yet due), then
// adds what the listed customers have not yet due. done is false when
// fewer customers have amounts due than the page holds: then customers
// with only amounts not yet due belong on it too, and the caller sums
// everything.
func (s *Service) customersDueFirst(ctx context.Context, p *access.Principal, f AgeingFilter) ([]AgeingRow, int, bool, error) {
	asOf := f.AsOf
	due := narrow{later: true, cond: func(prefix string, a *store.Args) string { return prefix + "due_date <= " + a.Add(asOf) }}
	query, args, ok, err := s.ageingSQL(ctx, p, f, true, nil, due)
	if err != nil || !ok {
		return nil, 0, ok, err
	}
	rows, groups, _, err := s.scanCounted(ctx, `SELECT g.*, COUNT(*) OVER (), 0 FROM (`+query+`) g`+
		fmt.Sprintf(" ORDER BY overdue_amt DESC, due_amt DESC, k LIMIT %d", f.Limit), args)
	if err != nil || int(groups) < f.Limit {
		return nil, 0, false, err
	}
	ids := make([]any, 0, len(rows))
	at := map[[2]string]int{}
	for i, r := range rows {
		ids = append(ids, r.Key)
		at[[2]string{r.Key, r.Currency}] = i
	}
	notDue := narrow{later: true, cond: func(prefix string, a *store.Args) string {
		return prefix + "due_date > " + a.Add(asOf) + " AND " + prefix + "customer_id IN " + a.List(ids)
	}}
	query, args, _, err = s.ageingSQL(ctx, p, f, true, nil, notDue)
	if err != nil {
		return nil, 0, false, err
	}
	later, err := s.scanAgeing(ctx, query, args)
	if err != nil {
		return nil, 0, false, err
	}
	for _, r := range later {
		// A currency of a customer with nothing due in it ranks after
		// every row with amounts due: not on this page.
		if i, ok := at[[2]string{r.Key, r.Currency}]; ok {
			rows[i].NotDue += r.NotDue
			rows[i].Outstanding += r.Outstanding
		}
	}
	return rows, int(groups) - len(rows), true, nil
}

// totalsOf sums rows per currency.
func totalsOf(rows []AgeingRow) []AgeingRow {
	byCur := map[string]*AgeingRow{}
	for _, r := range rows {
		t := byCur[r.Currency]
		if t == nil {
			t = &AgeingRow{Currency: r.Currency}
			byCur[r.Currency] = t
		}
		t.add(r)
	}
	out := []AgeingRow{}
	for _, t := range byCur {
		out = append(out, *t)
	}
	return out
}

// ageingByMonths ages the receivables of owners or teams: the kept month
// rows for the months wholly before the 90-day edge (over 90) or after
// the as-of month (not yet due), the instalments themselves for the
// months in between, where the band edges fall (the edges are 30 days
// apart, so those months are consecutive: at most five).
func (s *Service) ageingByMonths(ctx context.Context, p *access.Principal, f AgeingFilter) ([]AgeingRow, error) {
	edges, err := crm.EdgesAt(f.AsOf)
	if err != nil {
		return nil, err
	}
	first, last := edges.From61[:7], f.AsOf[:7]
	until, err := time.Parse("2006-01", last)
	if err != nil {
		return nil, err
	}
	from, to := first+"-01", until.AddDate(0, 1, 0).Format(entity.DateLayout)
	byDay := narrow{cond: func(prefix string, a *store.Args) string {
		return prefix + "due_date >= " + a.Add(from) + " AND " + prefix + "due_date < " + a.Add(to)
	}}
	query, args, ok, err := s.ageingSQL(ctx, p, f, true, nil, byDay)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := s.scanAgeing(ctx, query, args)
	if err != nil {
		return nil, err
	}
	type gk struct{ key, cur string }
	at := map[gk]int{}
	for i, r := range rows {
		at[gk{r.Key, r.Currency}] = i
	}
	var a store.Args
	conds := []string{"(due_month < " + a.Add(first) + " OR due_month > " + a.Add(last) + ")"}
	if vis, ok := scope(p, "", nil, &a); !ok {
		return nil, nil
	} else if vis != "" {
		conds = append(conds, vis)
	}
	fc, err := s.filters(ctx, f, "", &a)
	if err != nil {
		return nil, err
	}
	conds = append(conds, fc...)
	mrows, err := s.DB.R().QueryContext(ctx, `SELECT `+groupCol(f.Group)+`, currency, due_month, SUM(amount), SUM(n) FROM receivable_months
		WHERE `+strings.Join(conds, " AND ")+` GROUP BY 1, 2, 3`, a.V...)
	if err != nil {
		return nil, errs.Wrap(err, "finance: ageing by month")
	}
	defer mrows.Close()
	for mrows.Next() {
		var key, cur, month string
		var amount, n int64
		if err := mrows.Scan(&key, &cur, &month, &amount, &n); err != nil {
			return nil, errs.Wrap(err, "finance: ageing by month")
		}
		if n == 0 && amount == 0 {
			continue
		}
		i, ok := at[gk{key, cur}]
		if !ok {
			i = len(rows)
			at[gk{key, cur}] = i
			rows = append(rows, AgeingRow{Key: key, Currency: cur})
		}
		r := &rows[i]
		r.Outstanding += amount
		if month > last {
			r.NotDue += amount
			continue
		}
		r.Over90 += amount
		r.Due += amount
		r.Overdue += amount
		r.DueCount += n
		r.OverdueCount += n
	}
	if err := mrows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b AgeingRow) int {
		switch {
		case a.Overdue != b.Overdue:
			return cmp.Compare(b.Overdue, a.Overdue)
		case a.Due != b.Due:
			return cmp.Compare(b.Due, a.Due)
		}
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.Currency, b.Currency))
	})
	return rows, nil
}

// narrow adds a condition on the instalments to the ageing statement:
// to the unpaid ones, and with later also to those paid after a past
// as-of date.
type narrow struct {
	cond  func(prefix string, a *store.Args) string
	later bool
}

// ageingSQL builds the grouped statement (byKey) or the totals per
// currency, over the unpaid instalments and the payments received after
// a past as-of date (only narrows them). ok is false when p sees nothing.
func (s *Service) ageingSQL(ctx context.Context, p *access.Principal, f AgeingFilter, byKey bool, grants []string, only narrow) (string, []any, bool, error) {
	edges, err := crm.EdgesAt(f.AsOf)
	if err != nil {
		return "", nil, false, err
	}
	var a store.Args
	asOf, e0, e31, e61 := a.Add(edges.NotDueAfter), a.Add(edges.From0), a.Add(edges.From31), a.Add(edges.From61)
	part := func(prefix, from, left string, extra []string) (string, bool, error) {
		vis, ok := scope(p, prefix, grants, &a)
		if !ok {
			return "", false, nil
		}
		conds, err := s.filters(ctx, f, prefix, &a)
		if err != nil {
			return "", false, err
		}
		conds = append(extra, conds...)
		if vis != "" {
			conds = append(conds, vis)
		}
		key := "''"
		if byKey {
			key = prefix + groupCol(f.Group)
		}
		// SQLite: a DATE column has numeric affinity, so comparing it with
		// a bound text converts the text to a number on every row (a fifth
		// of the statement's time); "+col" has no affinity and compares the
		// stored text as text. PostgreSQL compares dates.
		due := prefix + "due_date"
		if s.DB.Dialect == store.SQLite {
			due = "+" + due
		}
		return "SELECT " + key + " AS k, " + prefix + "currency AS cur, " + due + " AS due, " + left + " AS amt FROM " + from +
			" WHERE " + strings.Join(conds, " AND "), true, nil
	}
	// The literal conditions are those of the partial indexes.
	base := []string{"status <> 'paid'", "deleted_at IS NULL", "receivable = TRUE"}
	if only.cond != nil {
		base = append(base, only.cond("", &a))
	}
	src, ok, err := part("", "payment_instalments", "amount - paid_amount", base)
	if err != nil || !ok {
		return "", nil, ok, err
	}
	if edges.NotDueAfter < s.today() {
		conds := []string{"pm.received_on > " + asOf, "pm.status = 'received'", "i.deleted_at IS NULL", "i.receivable = TRUE"}
		if only.cond != nil && only.later {
			conds = append(conds, only.cond("i.", &a))
		}
		later, _, err := part("i.", "payments pm JOIN payment_allocations a ON a.payment_id = pm.id JOIN payment_instalments i ON i.id = a.instalment_id", "a.amount", conds)
		if err != nil {
			return "", nil, false, err
		}
		src += " UNION ALL " + later
	}
	sum := func(cond string) string {
		return "CAST(COALESCE(SUM(CASE WHEN " + cond + " THEN amt ELSE 0 END), 0) AS BIGINT)"
	}
	count := func(cond string) string {
		return "CAST(COALESCE(SUM(CASE WHEN " + cond + " THEN 1 ELSE 0 END), 0) AS BIGINT)"
	}
	cols := []string{
		"k", "cur",
		sum("due > "+asOf) + " AS not_due",
		sum("due <= "+asOf+" AND due >= "+e0) + " AS d0",
		sum("due < "+e0+" AND due >= "+e31) + " AS d31",
		sum("due < "+e31+" AND due >= "+e61) + " AS d61",
		sum("due < "+e61) + " AS d91",
		sum("due <= "+asOf) + " AS due_amt",
		sum("due < "+asOf) + " AS overdue_amt",
		"CAST(COALESCE(SUM(amt), 0) AS BIGINT) AS outstanding",
		count("due <= "+asOf) + " AS due_n",
		count("due < "+asOf) + " AS overdue_n",
	}
	// Grouped by the raw columns, in the order of the partial indexes
	// (key, currency, …), so SQLite aggregates while walking the index
	// instead of sorting every row first. The currency is always set (the
	// finance hooks copy it from the contract, which requires one).
	q := "SELECT " + strings.Join(cols, ", ") + " FROM (" + src + ") x GROUP BY k, cur"
	return q, a.V, true, nil
}

func (s *Service) scanAgeing(ctx context.Context, query string, args []any) ([]AgeingRow, error) {
	rows, _, _, err := s.scan(ctx, query, args, false)
	return rows, err
}

// scanCounted reads rows that carry, last, the number of groups and of
// groups with amounts due.
func (s *Service) scanCounted(ctx context.Context, query string, args []any) ([]AgeingRow, int64, int64, error) {
	return s.scan(ctx, query, args, true)
}

func (s *Service) scan(ctx context.Context, query string, args []any, counted bool) ([]AgeingRow, int64, int64, error) {
	rows, err := s.DB.R().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, 0, errs.Wrap(err, "finance: ageing")
	}
	defer rows.Close()
	var out []AgeingRow
	var groups, due int64
	for rows.Next() {
		var r AgeingRow
		var key, cur sql.NullString
		dst := []any{&key, &cur, &r.NotDue, &r.D0To30, &r.D31To60, &r.D61To90, &r.Over90, &r.Due, &r.Overdue, &r.Outstanding, &r.DueCount, &r.OverdueCount}
		if counted {
			dst = append(dst, &groups, &due)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, 0, 0, errs.Wrap(err, "finance: ageing")
		}
		r.Key, r.Currency = key.String, cur.String
		if r.Currency == "" {
			r.Currency = "CNY"
		}
		out = append(out, r)
	}
	return out, groups, due, rows.Err()
}

// nameRows fills the names of the customers, users or teams of the rows
// (those p may see; others stay empty).
func (s *Service) nameRows(ctx context.Context, p *access.Principal, group string, rows []AgeingRow) error {
	ent := map[string]string{GroupCustomer: "customer", GroupOwner: "user", GroupTeam: "team"}[group]
	var ids []string
	for _, r := range rows {
		if r.Key != "" {
			ids = append(ids, r.Key)
		}
	}
	names, err := s.R.Titles(ctx, p, ent, ids)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].Name = names[rows[i].Key]
	}
	return nil
}
