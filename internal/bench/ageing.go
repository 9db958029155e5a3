package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/crm"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/finance"
	"closeloop/internal/records"
	"closeloop/internal/search"
	"closeloop/internal/store"
)

// contractWords name generated contracts after what companies buy.
var contractWords = []string{"设备采购合同", "系统集成合同", "软件实施合同", "年度服务合同", "产线改造合同", "备件供货合同", "技术开发合同", "运维外包合同"}

// planShapes are the payment plans of generated contracts: the share of
// the amount (percent) and the days after signing each instalment falls
// due. Most contracts have three or four instalments.
var planShapes = []struct {
	kinds []string
	pct   []int64
	days  [][2]int // earliest and latest day after signing
}{
	{[]string{"advance", "on_delivery", "on_acceptance", "retention"}, []int64{30, 40, 20, 10}, [][2]int{{5, 15}, {45, 120}, {100, 240}, {365, 400}}},
	{[]string{"advance", "on_delivery", "on_acceptance"}, []int64{30, 60, 10}, [][2]int{{5, 15}, {30, 90}, {90, 180}}},
	{[]string{"advance", "on_acceptance"}, []int64{50, 50}, [][2]int{{5, 20}, {60, 150}}},
	{[]string{"advance", "progress", "progress", "on_acceptance", "retention"}, []int64{20, 25, 25, 20, 10}, [][2]int{{5, 15}, {60, 90}, {120, 180}, {200, 300}, {365, 420}}},
}

// GenInstalments adds total payment instalments to a generated set, with
// the signed contracts they belong to: contracts spread over the
// customers (owner and team from the customer) and signed over the last
// three years, plans of two to five instalments, and what has been paid
// by now — the older an instalment, the likelier it is paid; some partly
// paid, some overdue in every age band. Instalments carry what the
// finance hooks keep (the contract's owner, team and currency; paid
// amount and status), the receivables kept by month are rebuilt, and
// contracts have their search documents. Payments and their allocations
// are not generated: the ageing reads the instalments.
func GenInstalments(ctx context.Context, a *app.App, total int, seed uint64, log io.Writer) (int, error) {
	if total <= 0 {
		return 0, nil
	}
	st, err := readState(ctx, a.DB)
	if err != nil {
		return 0, err
	}
	if st == nil {
		return 0, fmt.Errorf("bench: no generated set here (run gen first)")
	}
	var have int
	if err := a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM payment_instalments`).Scan(&have); err != nil {
		return 0, err
	}
	if have >= total {
		return 0, nil
	}
	sink, err := newSink(ctx, a)
	if err != nil {
		return 0, err
	}
	defer sink.close()
	ce, ie := a.DB.Schema().Entity("contract"), a.DB.Schema().Entity("payment_instalment")
	f := zhdata.New(seed, uint64(have)+11)
	now := time.Now().UTC()
	today := now.In(a.Loc).Format(entity.DateLayout)
	const first = "00000000-0000-0000-0000-000000000000"
	var contracts int
	if err := a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM contracts`).Scan(&contracts); err != nil {
		return 0, err
	}
	written, after := 0, first
	start := time.Now()
	for written < total-have {
		custs, err := store.Strings(ctx, a.DB.R(), `SELECT id FROM customers WHERE id > $1 AND deleted_at IS NULL AND owner_id IS NOT NULL ORDER BY id LIMIT 2000`, after)
		if err != nil {
			return written, err
		}
		if len(custs) == 0 {
			if after == first {
				return written, fmt.Errorf("bench: no owned customers to give contracts to")
			}
			after = first // wrap around: several contracts per customer
			continue
		}
		after = custs[len(custs)-1]
		recs, err := a.DB.GetMany(ctx, a.DB.R(), a.DB.Schema().Entity("customer"), custs, nil)
		if err != nil {
			return written, err
		}
		b := &batch{}
		ct, it := entityTable(ce), entityTable(ie)
		for _, cid := range custs {
			c := recs[cid]
			if c == nil || written+len(it.rows) >= total-have {
				continue
			}
			signed := between(f, now.AddDate(-3, 0, 0), now.AddDate(0, 0, -3))
			amount := int64(math.Exp(f.R.NormFloat64()*0.9+math.Log(400_000))) * 100
			cur := "CNY"
			if f.Chance(0.02) {
				cur = "USD"
			}
			contracts++
			crec := entity.Record{
				"id": idAt(signed, f), "version": int64(1), "created_at": signed, "updated_at": signed,
				"created_by": c["owner_id"], "updated_by": c["owner_id"], "owner_id": c["owner_id"], "team_id": c["team_id"],
				"number": fmt.Sprintf("HT-%s-%07d", signed.In(a.Loc).Format("200601"), contracts), "title": shortName(c.Str("name")) + zhdata.One(f, contractWords),
				"customer_id": cid, "status": crm.ContractInExecution, "amount": amount, "currency": cur, "party_a": c["name"],
				"signed_on": signed.In(a.Loc).Format(entity.DateLayout), "payment_method": "bank_transfer",
			}
			shape := planShapes[pickWeighted(f, []float64{0.45, 0.3, 0.15, 0.1})]
			var sum int64
			for n, kind := range shape.kinds {
				amt := amount * shape.pct[n] / 100
				if n == len(shape.kinds)-1 {
					amt = amount - sum
				}
				sum += amt
				d := shape.days[n]
				due := signed.In(a.Loc).AddDate(0, 0, d[0]+f.R.IntN(d[1]-d[0]+1)).Format(entity.DateLayout)
				paid := paidBy(f, due, today, amt)
				label := ""
				for _, o := range crm.InstalmentKinds {
					if o.Code == kind {
						label = o.Label.Zh
					}
				}
				irec := entity.Record{
					"id": idAt(signed, f), "version": int64(1), "created_at": signed, "updated_at": signed,
					"created_by": c["owner_id"], "updated_by": c["owner_id"], "contract_id": crec.ID(), "customer_id": cid,
					"position": int64(n + 1), "kind": kind, "label": label, "due_date": due, "amount": amt,
					"invoiced_amount": min(amt, paid+amt*f.R.Int64N(2)), "paid_amount": paid, "status": crm.InstalmentStatus(amt, paid),
					"owner_id": c["owner_id"], "team_id": c["team_id"], "currency": cur, "receivable": true,
				}
				it.add(encodeRow(ie, irec))
			}
			ct.add(encodeRow(ce, crec))
			toks := search.Tokens(records.SearchParts(ce, crec))
			toks = append(toks, store.VisTokens("contract", []string{crec.Str("owner_id")}, []string{crec.Str("team_id")}, false)...)
			b.docs = append(b.docs, doc{entity: "contract", id: crec.ID(), tokens: strings.Join(toks, " ")})
		}
		b.tables = []*table{ct, it}
		if err := sink.write(ctx, b, *st); err != nil {
			return written, err
		}
		written += len(it.rows)
		if log != nil && written%100_000 < len(it.rows) {
			fmt.Fprintf(log, "instalments: %d written, %.0f rows/s\n", written, float64(written)/time.Since(start).Seconds())
		}
	}
	if err := sink.finish(ctx); err != nil {
		return written, err
	}
	// The receivables kept by month and the customers' arrears up to this
	// month, as the finance hooks and the finance.arrears job keep them.
	if err := a.Finance.RebuildReceivables(ctx); err != nil {
		return written, err
	}
	if _, err := a.Finance.RollArrears(ctx); err != nil {
		return written, err
	}
	if a.DB.Dialect == store.SQLite {
		// Statistics for the planner, as `PRAGMA optimize` would gather.
		for _, t := range []string{"payment_instalments", "receivable_months", "receivable_arrears", "contracts"} {
			if _, err := a.DB.W().ExecContext(ctx, `ANALYZE `+t); err != nil {
				return written, err
			}
		}
	} else if _, err := a.DB.W().ExecContext(ctx, `ANALYZE receivable_months, receivable_arrears`); err != nil {
		return written, err
	}
	return written, nil
}

// paidBy is what a customer has paid of an instalment due on due by
// today: the older, the likelier in full; some part-payments; little of
// what is not due yet.
func paidBy(f *zhdata.Faker, due, today string, amt int64) int64 {
	days, _ := crm.DaysPastDue(due, today)
	var full, part float64
	switch {
	case days < 0:
		full, part = 0.03, 0.04
	case days <= 30:
		full, part = 0.45, 0.15
	case days <= 90:
		full, part = 0.7, 0.12
	case days <= 180:
		full, part = 0.85, 0.06
	default:
		full, part = 0.94, 0.03
	}
	switch r := f.R.Float64(); {
	case r < full:
		return amt
	case r < full+part:
		return amt * int64(20+f.R.IntN(60)) / 100
	}
	return 0
}

// AgeingReport holds the receivables ageing cases, each through the API
// and as the service call in process.
type AgeingReport struct {
	Team, Owner, Customer, Rep, Manager, Past                   Result
	RawTeam, RawOwner, RawCustomer, RawRep, RawManager, RawPast Result
}

// BenchAgeing measures the receivables ageing: org-wide by team, by rep
// and by customer (the 100 most overdue), a rep's own by customer, a
// department manager's team by rep, and org-wide by team as of a date
// three months ago (which adds back the payments received since).
//
// The cost depends on the day of the month (the months cut at the band
// edges are read in part). A non-empty today (YYYY-MM-DD) measures as if it
// were that day: the service cases run with the finance clock at its noon,
// after the kept arrears are rolled forward to it as the nightly job would
// (a write: use a copy of the set), and the API cases, whose server keeps
// the real clock, are skipped.
func (e *Env) BenchAgeing(ctx context.Context, l Load, today string) (AgeingReport, error) {
	var rep AgeingReport
	org := e.Info.Org
	now := time.Now()
	if today != "" {
		day, err := time.ParseInLocation(entity.DateLayout, today, e.App.Loc)
		if err != nil {
			return rep, fmt.Errorf("bench: today: %w", err)
		}
		now = day.Add(12 * time.Hour)
		e.App.Finance.SetClock(func() time.Time { return now })
		defer e.App.Finance.SetClock(store.Now)
		if _, err := e.App.Finance.RollArrears(ctx); err != nil {
			return rep, err
		}
	}
	adminTok, err := e.Token(ctx, org.Admin)
	if err != nil {
		return rep, err
	}
	adminP, err := e.Principal(ctx, org.Admin)
	if err != nil {
		return rep, err
	}
	type viewer struct {
		tok string
		p   *access.Principal
	}
	var reps, mgrs []viewer
	for i := 0; i < len(org.Reps) && i < 20; i++ {
		u := org.Reps[(i*7)%len(org.Reps)]
		tok, err := e.Token(ctx, u)
		if err != nil {
			return rep, err
		}
		p, err := e.Principal(ctx, u)
		if err != nil {
			return rep, err
		}
		reps = append(reps, viewer{tok, p})
	}
	for _, u := range org.DeptManagers {
		tok, err := e.Token(ctx, u)
		if err != nil {
			return rep, err
		}
		p, err := e.Principal(ctx, u)
		if err != nil {
			return rep, err
		}
		mgrs = append(mgrs, viewer{tok, p})
	}
	fs := e.App.Finance
	past := now.In(e.App.Loc).AddDate(0, -3, 0).Format(entity.DateLayout)
	api := func(name string, f func(ctx context.Context, w, i int) error) Result {
		if today != "" {
			return Result{}
		}
		return Run(ctx, name, l, f)
	}
	apiGet := func(tok, q string) error {
		_, err := e.do(ctx, "GET", "/api/v1/reports/receivables?"+q, cred{token: tok}, nil, 200, false)
		return err
	}
	service := func(p *access.Principal, f finance.AgeingFilter) error {
		_, err := fs.Ageing(ctx, p, f)
		return err
	}
	pick := func(vs []viewer, w, i int) viewer { return vs[(w+i*l.Conns)%len(vs)] }
	rep.Team = api("ageing org-wide by team (API)", func(ctx context.Context, w, i int) error { return apiGet(adminTok, "group=team") })
	rep.RawTeam = Run(ctx, "ageing org-wide by team (service)", l, func(ctx context.Context, w, i int) error {
		return service(adminP, finance.AgeingFilter{Group: finance.GroupTeam})
	})
	rep.Owner = api("ageing org-wide by rep (API)", func(ctx context.Context, w, i int) error { return apiGet(adminTok, "group=owner") })
	rep.RawOwner = Run(ctx, "ageing org-wide by rep (service)", l, func(ctx context.Context, w, i int) error {
		return service(adminP, finance.AgeingFilter{Group: finance.GroupOwner})
	})
	rep.Customer = api("ageing org-wide top 100 customers (API)", func(ctx context.Context, w, i int) error { return apiGet(adminTok, "group=customer") })
	rep.RawCustomer = Run(ctx, "ageing org-wide top 100 customers (service)", l, func(ctx context.Context, w, i int) error {
		return service(adminP, finance.AgeingFilter{Group: finance.GroupCustomer})
	})
	rep.Rep = api("ageing of a rep by customer (API)", func(ctx context.Context, w, i int) error { return apiGet(pick(reps, w, i).tok, "group=customer") })
	rep.RawRep = Run(ctx, "ageing of a rep by customer (service)", l, func(ctx context.Context, w, i int) error {
		return service(pick(reps, w, i).p, finance.AgeingFilter{Group: finance.GroupCustomer})
	})
	rep.Manager = api("ageing of a department by rep (API)", func(ctx context.Context, w, i int) error { return apiGet(pick(mgrs, w, i).tok, "group=owner") })
	rep.RawManager = Run(ctx, "ageing of a department by rep (service)", l, func(ctx context.Context, w, i int) error {
		return service(pick(mgrs, w, i).p, finance.AgeingFilter{Group: finance.GroupOwner})
	})
	q := url.Values{"group": {"team"}, "as_of": {past}}.Encode()
	rep.Past = api("ageing org-wide by team, 3 months ago (API)", func(ctx context.Context, w, i int) error { return apiGet(adminTok, q) })
	rep.RawPast = Run(ctx, "ageing org-wide by team, 3 months ago (service)", l, func(ctx context.Context, w, i int) error {
		return service(adminP, finance.AgeingFilter{Group: finance.GroupTeam, AsOf: past})
	})
	return rep, nil
}
