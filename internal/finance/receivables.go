package finance

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
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
			return errs.Field(x.field, x.code)
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
			return nil, errs.Field("team_id", "invalid_ref")
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
// receivables, ranked on the unpaid instalments due by the as-of date only
// (far fewer than all: most unpaid instalments are not yet due) and on
// the two sums the order needs, then reads every band of the listed
// customers from their own instalments. done is false when fewer
// customers have amounts due than the page holds: then customers with
// only amounts not yet due belong on it too, and the caller sums
// everything.
func (s *Service) customersDueFirst(ctx context.Context, p *access.Principal, f AgeingFilter) ([]AgeingRow, int, bool, error) {
	asOf := f.AsOf
	// Ranked on the two sums the order needs only (the bands of the
	// listed customers come after, from their own instalments): summing
	// every band of every customer cost several times the ranking.
	due := narrow{later: true, rank: true, cond: func(prefix string, a *store.Args) string { return prefix + "due_date <= " + a.Add(asOf) }}
	order, groups, ok, err := s.rankByArrears(ctx, p, f)
	if err != nil {
		return nil, 0, false, err
	}
	if !ok {
		query, args, ok, err := s.ageingSQL(ctx, p, f, true, nil, due)
		if err != nil || !ok {
			return nil, 0, ok, err
		}
		if order, groups, err = s.rank(ctx, `SELECT k, cur, due_amt, overdue_amt, COUNT(*) OVER () FROM (`+query+`) g`+
			fmt.Sprintf(" ORDER BY overdue_amt DESC, due_amt DESC, k LIMIT %d", f.Limit), args, true); err != nil {
			return nil, 0, false, err
		}
	}
	if int(groups) < f.Limit {
		return nil, 0, false, nil
	}
	ids := make([]any, 0, len(order))
	seen := map[string]bool{}
	for _, g := range order {
		if !seen[g.key] {
			seen[g.key] = true
			ids = append(ids, g.key)
		}
	}
	listed := narrow{later: true, cond: func(prefix string, a *store.Args) string { return prefix + "customer_id IN " + a.List(ids) }}
	query, args, _, err := s.ageingSQL(ctx, p, f, true, nil, listed)
	if err != nil {
		return nil, 0, false, err
	}
	all, err := s.scanAgeing(ctx, query, args)
	if err != nil {
		return nil, 0, false, err
	}
	// A currency of a customer with nothing due in it ranks after every
	// row with amounts due: not on this page.
	by := map[gk]AgeingRow{}
	for _, r := range all {
		by[gk{r.Key, r.Currency}] = r
	}
	rows := make([]AgeingRow, 0, len(order))
	for _, g := range order {
		r, ok := by[g]
		if !ok {
			r = AgeingRow{Key: g.key, Currency: g.cur}
		}
		rows = append(rows, r)
	}
	return rows, int(groups) - len(rows), true, nil
}

// where returns the conditions of one ageing statement: extra, then the
// filter's, then what the viewer may see; ok is false when they see none.
func (s *Service) where(ctx context.Context, p *access.Principal, f AgeingFilter, prefix string, grants []string, a *store.Args, extra []string) ([]string, bool, error) {
	vis, ok := scope(p, prefix, grants, a)
	if !ok {
		return nil, false, nil
	}
	conds, err := s.filters(ctx, f, prefix, a)
	if err != nil {
		return nil, false, err
	}
	conds = append(slices.Clip(extra), conds...)
	if vis != "" {
		conds = append(conds, vis)
	}
	return conds, true, nil
}

// gk is a customer and currency of the ageing.
type gk struct{ key, cur string }

// rank reads ranked (customer, currency) rows: key, currency, due and
// overdue amounts and, when counted, the number of groups.
func (s *Service) rank(ctx context.Context, query string, args []any, counted bool) ([]gk, int64, error) {
	res, err := s.DB.R().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, errs.Wrap(err, "finance: ageing")
	}
	defer res.Close()
	var order []gk
	var groups int64
	for res.Next() {
		var key, cur sql.NullString
		var d, o int64
		dst := []any{&key, &cur, &d, &o}
		if counted {
			dst = append(dst, &groups)
		}
		if err := res.Scan(dst...); err != nil {
			return nil, 0, errs.Wrap(err, "finance: ageing")
		}
		if cur.String == "" {
			cur.String = "CNY"
		}
		order = append(order, gk{key.String, cur.String})
	}
	return order, groups, errs.Wrap(res.Err(), "finance: ageing")
}

// rankByArrears ranks the customers on their kept arrears (every one
// overdue) and the unpaid instalments due since the day they are kept up
// to — a day's worth when the finance.arrears job keeps up — instead of
// every unpaid instalment due by the as-of date. Only for as-of dates from
// today on that are not before that day (ok false otherwise: a past as-of
// date adds back later payments the arrears no longer hold). Both are read
// in one statement, which reads the day inside it, so a roll while it
// runs cannot count an instalment twice or not at all; a roll only moves
// the day forward to today, so the check before it holds. The statement
// streams its rows and they are summed and ranked here: grouping and
// sorting ten thousand customers in SQLite took its sorter, whose memory
// allocations serialise concurrent readers on one lock (a call cost 4× as
// much at four connections as at one).
func (s *Service) rankByArrears(ctx context.Context, p *access.Principal, f AgeingFilter) ([]gk, int64, bool, error) {
	if f.AsOf < s.today() {
		return nil, 0, false, nil
	}
	var before string
	if err := s.DB.R().QueryRowContext(ctx, `SELECT kept_before FROM receivable_arrears_upto WHERE id = 1`).Scan(&before); err != nil {
		return nil, 0, false, errs.Wrap(err, "finance: arrears day")
	}
	if f.AsOf < before {
		return nil, 0, false, nil
	}
	var a store.Args
	asOf := a.Add(f.AsOf)
	keptDay := `(SELECT kept_before FROM receivable_arrears_upto WHERE id = 1)`
	custKey, recentCur := "i.customer_id", "coalesce(i.currency, 'CNY')"
	due := "+i.due_date" // SQLite: compared as the stored text (see ageingSQL)
	if s.DB.Dialect == store.Postgres {
		keptDay = "CAST(" + keptDay + " AS DATE)"
		asOf = "CAST(" + asOf + " AS DATE)"
		custKey, due = "coalesce(i.customer_id::text, '')", "i.due_date"
	} else {
		custKey = "coalesce(i.customer_id, '')"
	}
	where := func(prefix string, conds ...string) (string, bool, error) {
		all, ok, err := s.where(ctx, p, f, prefix, nil, &a, conds)
		return strings.Join(all, " AND "), ok, err
	}
	arrearsWhere, ok, err := where("r.", "r.n > 0")
	if err != nil || !ok {
		return nil, 0, ok, err
	}
	recentWhere, _, err := where("i.", "i.status <> 'paid'", "i.deleted_at IS NULL", "i.receivable = TRUE",
		"i.due_date >= "+keptDay, "i.due_date <= "+asOf)
	if err != nil {
		return nil, 0, false, err
	}
	left := "i.amount - i.paid_amount"
	// The arrears rows are read as they are kept (one per customer,
	// currency, owner and team; no sort); the recent instalments grouped,
	// which costs little while the job keeps the day current.
	query := `SELECT r.customer_id, r.currency, r.amount, r.amount FROM receivable_arrears r WHERE ` + arrearsWhere + `
		UNION ALL SELECT ` + custKey + `, ` + recentCur + `, CAST(SUM(` + left + `) AS BIGINT), CAST(SUM(CASE WHEN ` + due + ` < ` + asOf + ` THEN ` + left + ` ELSE 0 END) AS BIGINT)
		FROM payment_instalments i WHERE ` + recentWhere + ` GROUP BY 1, 2`
	res, err := s.DB.R().QueryContext(ctx, query, a.V...)
	if err != nil {
		return nil, 0, false, errs.Wrap(err, "finance: ageing ranking")
	}
	defer res.Close()
	type ranked struct {
		g            gk
		due, overdue int64
	}
	var all []ranked
	at := make(map[gk]int, 1024) // index in all
	for res.Next() {
		var key, cur string
		var d, o int64
		if err := res.Scan(&key, &cur, &d, &o); err != nil {
			return nil, 0, false, errs.Wrap(err, "finance: ageing ranking")
		}
		if cur == "" {
			cur = "CNY"
		}
		g := gk{key, cur}
		i, ok := at[g]
		if !ok {
			i = len(all)
			at[g] = i
			all = append(all, ranked{g: g})
		}
		all[i].due += d
		all[i].overdue += o
	}
	if err := res.Err(); err != nil {
		return nil, 0, false, errs.Wrap(err, "finance: ageing ranking")
	}
	// Most overdue first, then most due, then by customer and currency:
	// the order the statement without kept arrears gives.
	slices.SortFunc(all, func(x, y ranked) int {
		if c := cmp.Compare(y.overdue, x.overdue); c != 0 {
			return c
		}
		if c := cmp.Compare(y.due, x.due); c != 0 {
			return c
		}
		if c := strings.Compare(x.g.key, y.g.key); c != 0 {
			return c
		}
		return strings.Compare(x.g.cur, y.g.cur)
	})
	order := make([]gk, 0, min(len(all), f.Limit))
	for _, r := range all[:min(len(all), f.Limit)] {
		order = append(order, r.g)
	}
	return order, int64(len(all)), true, nil
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

// ageingByMonths ages the receivables of owners or teams from the kept
// months, reading the instalments themselves only for the parts of the
// months where the band edges fall (from 90 days before the as-of date to
// the end of its month; the edges are 30 days apart, so at most five
// consecutive months). Each such month is cut at the edges; the largest
// piece is the kept month less the other pieces, which are read from the
// instalments (in the as-of month, the piece not yet due is the one
// derived, so every piece read is due and its count is known). Around the
// 2nd of a month that reads a few days per month instead of whole months.
func (s *Service) ageingByMonths(ctx context.Context, p *access.Principal, f AgeingFilter) ([]AgeingRow, error) {
	edges, err := crm.EdgesAt(f.AsOf)
	if err != nil {
		return nil, err
	}
	first, last := edges.From61[:7], f.AsOf[:7]
	m, err := time.Parse("2006-01", first)
	if err != nil {
		return nil, err
	}
	asOf, err := time.Parse(entity.DateLayout, f.AsOf)
	if err != nil {
		return nil, err
	}
	next := asOf.AddDate(0, 0, 1).Format(entity.DateLayout)
	cuts := []string{edges.From61, edges.From31, edges.From0, f.AsOf, next}
	band := func(day string) int { // bandNotDue … bandOver90; bandToday for the as-of day
		switch {
		case day < edges.From61:
			return bandOver90
		case day < edges.From31:
			return band61
		case day < edges.From0:
			return band31
		case day < f.AsOf:
			return band0
		case day == f.AsOf:
			return bandToday
		}
		return bandNotDue
	}
	days := func(from, to string) int {
		a, _ := time.Parse(entity.DateLayout, from)
		b, _ := time.Parse(entity.DateLayout, to)
		return int(b.Sub(a).Hours() / 24)
	}
	derived := map[string]int{} // month → band of its derived piece
	var segs [][2]string        // pieces read
	var segMonth []string
	for ; m.Format("2006-01") <= last; m = m.AddDate(0, 1, 0) {
		ms, me := m.Format(entity.DateLayout), m.AddDate(0, 1, 0).Format(entity.DateLayout)
		pts := []string{ms}
		for _, c := range cuts {
			if c > ms && c < me {
				pts = append(pts, c)
			}
		}
		pts = append(pts, me)
		keep := 0
		for i := 0; i+1 < len(pts); i++ {
			if ms[:7] == last && band(pts[i]) == bandNotDue {
				keep = i // the as-of month: derive what is not yet due
				break
			}
			if days(pts[i], pts[i+1]) > days(pts[keep], pts[keep+1]) {
				keep = i
			}
		}
		derived[ms[:7]] = band(pts[keep])
		for i := 0; i+1 < len(pts); i++ {
			if i != keep {
				segs = append(segs, [2]string{pts[i], pts[i+1]})
				segMonth = append(segMonth, ms[:7])
			}
		}
	}
	if len(segs) == 0 {
		segs = [][2]string{{f.AsOf, f.AsOf}} // reads nothing (payments after a past as-of date still come)
		segMonth = []string{""}
	}
	// SQLite: the pieces' rows are summed here (raw); PostgreSQL sums
	// them faster itself (hash aggregate) than it sends them.
	sqlite := s.DB.Dialect == store.SQLite
	query, args, ok, err := s.ageingSQL(ctx, p, f, true, nil, narrow{segs: segs, raw: sqlite})
	if err != nil || !ok {
		return nil, err
	}
	var read []AgeingRow
	if sqlite {
		read, err = s.scanRaw(ctx, query, args, edges)
	} else {
		read, err = s.scanAgeing(ctx, query, args)
	}
	if err != nil {
		return nil, err
	}
	type gk struct{ key, cur string }
	at := map[gk]int{}
	var rows []AgeingRow
	row := func(key, cur string) *AgeingRow {
		i, ok := at[gk{key, cur}]
		if !ok {
			i = len(rows)
			at[gk{key, cur}] = i
			rows = append(rows, AgeingRow{Key: key, Currency: cur})
		}
		return &rows[i]
	}
	for _, x := range read {
		key, seg, _ := strings.Cut(x.Key, "|")
		r := row(key, x.Currency)
		x.Key = key
		r.add(x)
		if n, err := strconv.Atoi(seg); err == nil && n >= 0 && n < len(segMonth) && segMonth[n] != "" {
			// The piece is in its kept month too: taken off the derived piece.
			addBand(r, derived[segMonth[n]], -x.Outstanding, -x.DueCount)
		}
	}
	var a store.Args
	var conds []string
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
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	// Months wholly over 90 days ("<") or not yet due (">") go into one
	// band each, those in between by the band of their derived piece.
	// SQLite: the kept rows are read as they are and summed here (its
	// sorter serialises concurrent readers); PostgreSQL groups them.
	q := `SELECT ` + groupCol(f.Group) + `, currency, due_month, amount, n FROM receivable_months` + where
	if !sqlite {
		before, after := a.Add(first), a.Add(last)
		q = `SELECT ` + groupCol(f.Group) + `, currency, CASE WHEN due_month < ` + before + ` THEN '<' WHEN due_month > ` + after + ` THEN '>' ELSE due_month END, SUM(amount), SUM(n) FROM receivable_months` +
			where + ` GROUP BY 1, 2, 3`
	}
	mrows, err := s.DB.R().QueryContext(ctx, q, a.V...)
	if err != nil {
		return nil, errs.Wrap(err, "finance: ageing by month")
	}
	defer mrows.Close()
	for mrows.Next() {
		var key, cur sql.NullString
		var month string
		var amount, n int64
		if err := mrows.Scan(&key, &cur, &month, &amount, &n); err != nil {
			return nil, errs.Wrap(err, "finance: ageing by month")
		}
		if n == 0 && amount == 0 {
			continue
		}
		b := bandOver90
		switch {
		case month == "<" || month < first:
		case month == ">" || month > last:
			b = bandNotDue
		default:
			b = derived[month]
		}
		addBand(row(key.String, cur.String), b, amount, n)
	}
	if err := mrows.Err(); err != nil {
		return nil, err
	}
	rows = slices.DeleteFunc(rows, func(r AgeingRow) bool { return r == AgeingRow{Key: r.Key, Currency: r.Currency} })
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

// Bands of a piece of a month (bandToday: due on the as-of date, due but
// not overdue; never a derived piece).
const (
	bandNotDue = iota
	band0
	band31
	band61
	bandOver90
	bandToday
)

// addBand adds amount and n instalments to band b of r.
func addBand(r *AgeingRow, b int, amount, n int64) {
	r.Outstanding += amount
	switch b {
	case bandNotDue:
		r.NotDue += amount
		return
	case bandToday:
		r.D0To30 += amount
		r.Due += amount
		r.DueCount += n
		return
	case band0:
		r.D0To30 += amount
	case band31:
		r.D31To60 += amount
	case band61:
		r.D61To90 += amount
	case bandOver90:
		r.Over90 += amount
	}
	r.Due += amount
	r.Overdue += amount
	r.DueCount += n
	r.OverdueCount += n
}

// narrow adds a condition on the instalments to the ageing statement:
// to the unpaid ones, and with later also to those paid after a past
// as-of date.
type narrow struct {
	cond  func(prefix string, a *store.Args) string
	later bool
	// segs, when set, read the unpaid instalments due in these ranges
	// (from, to exclusive) only, one index range each, and group by key
	// and range: keys come back as "key|n" (n the range's index; "key|-"
	// for the payments after a past as-of date, from any due date).
	segs [][2]string
	rank bool // only the key, currency, due_amt and overdue_amt
	// raw returns the rows ungrouped (k, cur, due, amt), for scanRaw: a
	// GROUP BY over a UNION ALL takes SQLite's sorter, whose allocations
	// serialise concurrent readers on one lock in the pure-Go build.
	raw bool
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
	// Parameters are added when a part uses them: PostgreSQL cannot type
	// a parameter no statement uses.
	var asOf, e0, e31, e61 string
	asOfP := func() string {
		if asOf == "" {
			asOf = a.Add(edges.NotDueAfter)
		}
		return asOf
	}
	if !only.raw {
		asOfP()
	}
	if !only.rank && !only.raw {
		e0, e31, e61 = a.Add(edges.From0), a.Add(edges.From31), a.Add(edges.From61)
	}
	part := func(prefix, from, left string, extra []string, suffix string) (string, bool, error) {
		conds, ok, err := s.where(ctx, p, f, prefix, grants, &a, extra)
		if err != nil || !ok {
			return "", ok, err
		}
		key := "''"
		if byKey {
			key = prefix + groupCol(f.Group)
			if suffix != "" {
				key += " || '" + suffix + "'"
			}
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
	var src string
	if len(only.segs) == 0 {
		var ok bool
		if src, ok, err = part("", "payment_instalments", "amount - paid_amount", base, ""); err != nil || !ok {
			return "", nil, ok, err
		}
	} else {
		srcs := make([]string, 0, len(only.segs))
		for n, sg := range only.segs {
			conds := append(slices.Clip(base), "due_date >= "+a.Add(sg[0])+" AND due_date < "+a.Add(sg[1]))
			one, ok, err := part("", "payment_instalments", "amount - paid_amount", conds, fmt.Sprintf("|%d", n))
			if err != nil || !ok {
				return "", nil, ok, err
			}
			srcs = append(srcs, one)
		}
		src = strings.Join(srcs, " UNION ALL ")
	}
	if edges.NotDueAfter < s.today() {
		conds := []string{"pm.received_on > " + asOfP(), "pm.status = 'received'", "i.deleted_at IS NULL", "i.receivable = TRUE"}
		if only.cond != nil && only.later {
			conds = append(conds, only.cond("i.", &a))
		}
		suffix := ""
		if len(only.segs) > 0 {
			suffix = "|-"
		}
		later, _, err := part("i.", "payments pm JOIN payment_allocations a ON a.payment_id = pm.id JOIN payment_instalments i ON i.id = a.instalment_id", "a.amount", conds, suffix)
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
	if only.rank {
		cols = []string{"k", "cur", sum("due <= "+asOf) + " AS due_amt", sum("due < "+asOf) + " AS overdue_amt"}
	}
	if only.raw {
		return "SELECT k, cur, due, amt FROM (" + src + ") x", a.V, true, nil
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM (" + src + ") x GROUP BY k, cur"
	return q, a.V, true, nil
}

func (s *Service) scanAgeing(ctx context.Context, query string, args []any) ([]AgeingRow, error) {
	rows, _, _, err := s.scan(ctx, query, args, false)
	return rows, err
}

// scanRaw sums ungrouped rows (key, currency, due date, amount; see
// narrow.raw) into one row per key and currency, banded by edges as the
// grouped statement does.
func (s *Service) scanRaw(ctx context.Context, query string, args []any, edges crm.BandEdges) ([]AgeingRow, error) {
	res, err := s.DB.R().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, errs.Wrap(err, "finance: ageing")
	}
	defer res.Close()
	var out []AgeingRow
	at := map[gk]int{}
	for res.Next() {
		var key, cur sql.NullString
		var due any
		var amt int64
		if err := res.Scan(&key, &cur, &due, &amt); err != nil {
			return nil, errs.Wrap(err, "finance: ageing")
		}
		if cur.String == "" {
			cur.String = "CNY"
		}
		g := gk{key.String, cur.String}
		i, ok := at[g]
		if !ok {
			i = len(out)
			at[g] = i
			out = append(out, AgeingRow{Key: g.key, Currency: g.cur})
		}
		day := dayText(due)
		b := bandNotDue
		switch {
		case day > edges.NotDueAfter:
		case day == edges.NotDueAfter:
			b = bandToday
		default:
			b = []int{bandNotDue, band0, band31, band61, bandOver90}[edges.BandOf(day)]
		}
		addBand(&out[i], b, amt, 1)
	}
	return out, errs.Wrap(res.Err(), "finance: ageing")
}

// dayText is a date as the drivers give it (SQLite: the stored text;
// PostgreSQL: a time) in the form YYYY-MM-DD.
func dayText(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.Format(entity.DateLayout)
	case string:
		return x[:min(len(x), 10)]
	case []byte:
		return string(x[:min(len(x), 10)])
	}
	return ""
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
