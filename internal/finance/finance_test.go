package finance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/finance"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

var ctx = context.Background()

// code is what an error says: its first field's code, or its own.
func code(err error) string {
	if err == nil {
		return ""
	}
	e := errs.As(err)
	if e == nil {
		return "internal: " + err.Error()
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Field + ":" + e.Fields[0].Code
	}
	return e.Code
}

type world struct {
	*apptest.Fixture
	Fin *access.Principal
	F   *finance.Service
	seq int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f := apptest.NewFixture(t)
	w := &world{Fixture: f, F: f.App.Finance}
	w.Fin = f.AddUser(t, "钱会计", "qian@example.com", f.Company, access.RoleFinance)
	// Days are the company's: a fixed "now" keeps the bands and dates stable.
	w.F.SetClock(func() time.Time { return time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC) })
	return w
}

// inst is an instalment to create: due date and amount (fen).
type inst struct {
	due    string
	amount int64
}

// contract creates a signed contract owned by p with a plan, as the
// contract process would (test data; contracts are another area's), and
// returns it with its instalments in plan order.
func (w *world) contract(t *testing.T, p *access.Principal, customer entity.Record, plan ...inst) (entity.Record, []entity.Record) {
	t.Helper()
	w.seq++
	var c entity.Record
	var items []entity.Record
	var total int64
	for _, i := range plan {
		total += i.amount
	}
	err := w.App.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		c, err = w.App.Records.InsertTx(records.AsProcess(ctx), tx, p, "contract", entity.Record{"number": fmt.Sprintf("HT-202611-%04d", w.seq), "title": "数控系统采购合同",
			"customer_id": customer.ID(), "status": crm.ContractSigned, "amount": total, "signed_on": "2026-01-10", "party_a": customer.Str("name")})
		if err != nil {
			return err
		}
		items = nil
		kinds := []string{"advance", "on_delivery", "on_acceptance", "retention", "other", "other"}
		for n, i := range plan {
			k := kinds[min(n, len(kinds)-1)]
			r, err := w.App.Records.InsertTx(records.AsProcess(ctx), tx, p, "payment_instalment", entity.Record{"contract_id": c.ID(), "position": int64(n + 1),
				"kind": k, "label": crm.InstalmentKinds[n%4].Label.Zh, "due_date": i.due, "amount": i.amount})
			if err != nil {
				return err
			}
			items = append(items, r)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("contract: %v", err)
	}
	return c, items
}

// instalment reads an instalment as stored.
func (w *world) instalment(t *testing.T, id string) entity.Record {
	t.Helper()
	r, err := w.App.DB.Get(ctx, w.App.DB.R(), w.App.DB.Schema().Entity("payment_instalment"), id, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// amounts reads invoiced and paid amount and status of instalments.
func (w *world) amounts(t *testing.T, items []entity.Record) []string {
	t.Helper()
	var out []string
	for _, it := range items {
		r := w.instalment(t, it.ID())
		out = append(out, fmt.Sprintf("%d/%d/%s", r.Int("invoiced_amount"), r.Int("paid_amount"), r.Str("status")))
	}
	return out
}

func same(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// recomputed checks the kept amounts against the sums of the allocations
// of issued invoices and received payments.
func (w *world) recomputed(t *testing.T) {
	t.Helper()
	rows, err := w.App.DB.R().QueryContext(ctx, `SELECT i.id, i.amount, i.invoiced_amount, i.paid_amount, i.status,
		(SELECT COALESCE(SUM(a.amount), 0) FROM invoice_allocations a JOIN invoices v ON v.id = a.invoice_id WHERE a.instalment_id = i.id AND v.status = 'issued'),
		(SELECT COALESCE(SUM(a.amount), 0) FROM payment_allocations a JOIN payments p ON p.id = a.payment_id WHERE a.instalment_id = i.id AND p.status = 'received')
		FROM payment_instalments i`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var amount, inv, paid, sumInv, sumPaid int64
		if err := rows.Scan(&id, &amount, &inv, &paid, &status, &sumInv, &sumPaid); err != nil {
			t.Fatal(err)
		}
		if inv != sumInv || paid != sumPaid || status != crm.InstalmentStatus(amount, paid) {
			t.Errorf("instalment %s keeps %d invoiced / %d paid / %s, allocations say %d / %d", id, inv, paid, status, sumInv, sumPaid)
		}
	}
	w.keptMonths(t)
}

// keptMonths checks the receivables kept by month against the instalments.
func (w *world) keptMonths(t *testing.T) {
	t.Helper()
	read := func(q string) map[string]string {
		rows, err := w.App.DB.R().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var o, tm, cur, m string
			var n, amt int64
			if err := rows.Scan(&o, &tm, &cur, &m, &n, &amt); err != nil {
				t.Fatal(err)
			}
			if n != 0 || amt != 0 {
				out[o+"/"+tm+"/"+cur+"/"+m] = fmt.Sprintf("%d/%d", n, amt)
			}
		}
		return out
	}
	months := `SELECT owner_id, team_id, currency, due_month, n, amount FROM receivable_months`
	arrears := `SELECT customer_id || '/' || owner_id, team_id, currency, '', n, amount FROM receivable_arrears`
	keptMonths, keptArrears := read(months), read(arrears)
	if err := w.F.RebuildReceivables(ctx); err != nil {
		t.Fatal(err)
	}
	if rebuilt := read(months); fmt.Sprint(keptMonths) != fmt.Sprint(rebuilt) {
		t.Errorf("receivables kept by month\n%v\nrecomputed\n%v", keptMonths, rebuilt)
	}
	if rebuilt := read(arrears); fmt.Sprint(keptArrears) != fmt.Sprint(rebuilt) {
		t.Errorf("customers' arrears kept\n%v\nrecomputed\n%v", keptArrears, rebuilt)
	}
}

func TestInvoicesKeepTheInvoicedAmounts(t *testing.T) {
	w := newWorld(t)
	cust := w.Customer(t, w.Rep1, "苏州精密机械有限公司")
	c, items := w.contract(t, w.Rep1, cust, inst{"2026-03-01", 3_000_000}, inst{"2026-06-01", 5_000_000}, inst{"2027-06-01", 2_000_000})
	inv := func(p *access.Principal, number string, amount int64, extra entity.Record, allocs []crm.Allocation) (entity.Record, error) {
		rec := entity.Record{"number": number, "kind": "vat_special", "contract_id": c.ID(), "amount": amount, "tax_amount": amount * 13 / 113}
		for k, v := range extra {
			rec[k] = v
		}
		return w.F.IssueInvoice(ctx, p, rec, allocs)
	}

	// The rep reads but does not issue invoices.
	if _, err := inv(w.Rep1, "04400001", 100, nil, nil); code(err) != "forbidden" {
		t.Errorf("rep issues: %v", err)
	}
	// Spread over the plan earliest due first, numbered, customer derived.
	a, err := inv(w.Fin, "04400001", 3_500_000, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Str("internal_no") != "FP-202612-0001" || a.Str("customer_id") != cust.ID() || a.Str("status") != crm.InvoiceIssued ||
		a.Int("net_amount") != 3_500_000-3_500_000*13/113 || a.Str("issue_date") != "2026-12-01" || a.Str("buyer_name") != "苏州精密机械有限公司" {
		t.Fatalf("issued %v", a)
	}
	if got := a.List("instalment_ids"); len(got) != 2 || got[0] != items[0].ID() || got[1] != items[1].ID() {
		t.Errorf("covers %v", got)
	}
	if got := w.amounts(t, items); !same(got, []string{"3000000/0/open", "500000/0/open", "0/0/open"}) {
		t.Errorf("after the first invoice: %v", got)
	}
	// The tax invoice number is unique; an instalment is never invoiced
	// beyond its amount, and nothing is written when refused.
	if _, err := inv(w.Fin, "04400001", 100, nil, nil); code(err) != "number:invoice_number_taken" {
		t.Errorf("same number: %v", err)
	}
	if _, err := inv(w.Fin, "04400002", 4_500_001, entity.Record{"instalment_ids": []string{items[1].ID()}}, nil); code(err) != "invoice_exceeds_instalment" {
		t.Errorf("beyond the instalment: %v", err)
	}
	if _, err := inv(w.Fin, "04400002", 1_000, nil, []crm.Allocation{{InstalmentID: items[0].ID(), Amount: 1_000}}); code(err) != "invoice_exceeds_instalment" {
		t.Errorf("explicit beyond a fully invoiced instalment: %v", err)
	}
	if _, err := inv(w.Fin, "04400002", 100, entity.Record{"tax_amount": int64(101)}, nil); code(err) != "tax_amount:tax_above_amount" {
		t.Errorf("tax above the amount: %v", err)
	}
	if _, err := inv(w.Fin, "04400002", 100, entity.Record{"issue_date": "2026-12-02"}, nil); code(err) != "issue_date:finance_date_in_future" {
		t.Errorf("issued tomorrow: %v", err)
	}
	if got := w.amounts(t, items); !same(got, []string{"3000000/0/open", "500000/0/open", "0/0/open"}) {
		t.Errorf("a refusal wrote: %v", got)
	}
	// Explicit split.
	b, err := inv(w.Fin, "04400002", 2_500_000, nil, []crm.Allocation{{InstalmentID: items[2].ID(), Amount: 1_000_000}, {InstalmentID: items[1].ID(), Amount: 1_500_000}})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.amounts(t, items); !same(got, []string{"3000000/0/open", "2000000/0/open", "1000000/0/open"}) {
		t.Errorf("after the explicit split: %v", got)
	}
	// Issued money is fixed; the number and notes may be corrected.
	if _, err := w.App.Records.Update(ctx, w.Fin, "invoice", b.ID(), b.Version(), entity.Record{"amount": int64(2_400_000)}); code(err) != "amount:invoice_fixed" {
		t.Errorf("change the amount: %v", err)
	}
	b, err = w.App.Records.Update(ctx, w.Fin, "invoice", b.ID(), b.Version(), entity.Record{"notes": "随货寄出"})
	if err != nil {
		t.Fatal(err)
	}
	// Voiding needs a reason and the current version, and gives the amounts back.
	if _, err := w.F.VoidInvoice(ctx, w.Fin, b.ID(), b.Version(), " "); code(err) != "reason:required" {
		t.Errorf("void without reason: %v", err)
	}
	if _, err := w.F.VoidInvoice(ctx, w.Fin, b.ID(), b.Version()-1, "开错抬头"); code(err) != "stale_version" {
		t.Errorf("stale void: %v", err)
	}
	if _, err := w.F.VoidInvoice(ctx, w.Rep1, b.ID(), 0, "开错抬头"); code(err) != "forbidden" {
		t.Errorf("rep voids: %v", err)
	}
	b, err = w.F.VoidInvoice(ctx, w.Fin, b.ID(), b.Version(), "开错抬头")
	if err != nil {
		t.Fatal(err)
	}
	if b.Str("status") != crm.InvoiceVoided || b.Str("void_reason") != "开错抬头" || b.Str("voided_by") != w.Fin.UserID {
		t.Errorf("voided %v", b)
	}
	if got := w.amounts(t, items); !same(got, []string{"3000000/0/open", "500000/0/open", "0/0/open"}) {
		t.Errorf("after voiding: %v", got)
	}
	if _, err := w.F.VoidInvoice(ctx, w.Fin, b.ID(), 0, "再次"); code(err) != "invoice_voided" {
		t.Errorf("void twice: %v", err)
	}
	if _, err := w.App.Records.Update(ctx, w.Fin, "invoice", b.ID(), b.Version(), entity.Record{"notes": "x"}); code(err) != "invoice_voided" {
		t.Errorf("edit a voided invoice: %v", err)
	}
	// A voided number is not issued again; invoices are not deleted.
	if _, err := inv(w.Fin, "04400002", 100, nil, nil); code(err) != "number:invoice_number_taken" {
		t.Errorf("voided number again: %v", err)
	}
	if err := w.App.Records.Delete(ctx, w.Fin, "invoice", a.ID(), 0); code(err) != "delete_not_supported" {
		t.Errorf("delete an invoice: %v", err)
	}
	// Allocations are the process's.
	if _, err := w.App.Records.Create(ctx, w.Admin, "invoice_allocation", entity.Record{"invoice_id": a.ID()}); err == nil {
		t.Error("an allocation was created by hand")
	}
	// The audit log has the void with its reason.
	var n int
	w.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE record_id = $1 AND action = 'update' AND changes LIKE '%开错抬头%'`, b.ID()).Scan(&n)
	if n != 1 {
		t.Errorf("%d audit entries of the void", n)
	}
	// Visibility follows the contract: the rep sees their invoices, another rep does not.
	if _, err := w.App.Records.Get(ctx, w.Rep1, "invoice", a.ID()); err != nil {
		t.Errorf("owner reads the invoice: %v", err)
	}
	if _, err := w.App.Records.Get(ctx, w.Rep3, "invoice", a.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("other rep reads the invoice: %v", err)
	}
	// The customer's timeline tells it.
	items2, err := w.App.Customers.Timeline(ctx, w.Rep1, "customer", cust.ID(), "", 50)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range items2 {
		kinds[it.Kind]++
	}
	if kinds["invoice_issued"] != 2 || kinds["invoice_voided"] != 1 {
		t.Errorf("timeline %v", kinds)
	}
	w.recomputed(t)
}

func TestPaymentsKeepPaidAmountsAndStatus(t *testing.T) {
	w := newWorld(t)
	cust := w.Customer(t, w.Rep1, "无锡新材料科技有限公司")
	c, items := w.contract(t, w.Rep1, cust, inst{"2026-03-01", 3_000_000}, inst{"2026-06-01", 5_000_000})
	pay := func(amount int64, allocs []crm.Allocation) (entity.Record, error) {
		return w.F.RecordPayment(ctx, w.Fin, entity.Record{"contract_id": c.ID(), "amount": amount, "method": "bank_transfer", "bank_ref": "HX20261130001", "payer": cust.Str("name")}, allocs)
	}
	if _, err := w.F.RecordPayment(ctx, w.Rep1, entity.Record{"contract_id": c.ID(), "amount": int64(100)}, nil); code(err) != "forbidden" {
		t.Errorf("rep records a payment: %v", err)
	}
	// A partial payment: the earliest instalment, partly paid.
	p1, err := pay(1_000_000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Str("number") != "SK-202612-0001" || p1.Int("allocated_amount") != 1_000_000 || p1.Int("unallocated_amount") != 0 || p1.Str("received_on") != "2026-12-01" {
		t.Fatalf("recorded %v", p1)
	}
	if got := w.amounts(t, items); !same(got, []string{"0/1000000/partly_paid", "0/0/open"}) {
		t.Errorf("after a partial payment: %v", got)
	}
	// Over the rest of the plan: both paid, the excess kept as credit.
	p2, err := pay(7_500_000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Int("allocated_amount") != 7_000_000 || p2.Int("unallocated_amount") != 500_000 {
		t.Errorf("over-payment %v", p2)
	}
	if got := w.amounts(t, items); !same(got, []string{"0/3000000/paid", "0/5000000/paid"}) {
		t.Errorf("after paying everything: %v", got)
	}
	// Explicit allocations are checked against what is owed.
	if _, err := pay(100, []crm.Allocation{{InstalmentID: items[0].ID(), Amount: 100}}); code(err) != "payment_exceeds_instalment" {
		t.Errorf("explicit on a paid instalment: %v", err)
	}
	// Reversing the big payment restores what it paid.
	if _, err := w.F.ReversePayment(ctx, w.Fin, p2.ID(), p2.Version(), ""); code(err) != "reason:required" {
		t.Errorf("reverse without reason: %v", err)
	}
	p2, err = w.F.ReversePayment(ctx, w.Fin, p2.ID(), p2.Version(), "承兑汇票被退票")
	if err != nil {
		t.Fatal(err)
	}
	if p2.Str("status") != crm.PaymentReversed || p2.Str("reversed_reason") != "承兑汇票被退票" {
		t.Errorf("reversed %v", p2)
	}
	if got := w.amounts(t, items); !same(got, []string{"0/1000000/partly_paid", "0/0/open"}) {
		t.Errorf("after reversal: %v", got)
	}
	if _, err := w.F.ReversePayment(ctx, w.Fin, p2.ID(), 0, "再次"); code(err) != "payment_reversed" {
		t.Errorf("reverse twice: %v", err)
	}
	if _, err := w.App.Records.Update(ctx, w.Fin, "payment", p1.ID(), p1.Version(), entity.Record{"amount": int64(5)}); code(err) != "amount:payment_fixed" {
		t.Errorf("change a payment's amount: %v", err)
	}
	// Explicit: the later instalment, the rest as credit; then the credit
	// goes to the earliest unpaid instalment.
	p3, err := pay(2_500_000, []crm.Allocation{{InstalmentID: items[1].ID(), Amount: 1_000_000}})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.amounts(t, items); !same(got, []string{"0/1000000/partly_paid", "0/1000000/partly_paid"}) {
		t.Errorf("after an explicit allocation: %v", got)
	}
	p3, err = w.F.AllocateCredit(ctx, w.Fin, p3.ID(), p3.Version(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p3.Int("unallocated_amount") != 0 || p3.Int("allocated_amount") != 2_500_000 {
		t.Errorf("credit allocated %v", p3)
	}
	if got := w.amounts(t, items); !same(got, []string{"0/2500000/partly_paid", "0/1000000/partly_paid"}) {
		t.Errorf("after allocating the credit: %v", got)
	}
	if _, err := w.F.AllocateCredit(ctx, w.Fin, p3.ID(), 0, nil); code(err) != "payment_no_credit" {
		t.Errorf("allocate no credit: %v", err)
	}
	// Reversing the payment takes both its allocations off.
	if _, err := w.F.ReversePayment(ctx, w.Fin, p3.ID(), 0, "重复登记"); err != nil {
		t.Fatal(err)
	}
	if got := w.amounts(t, items); !same(got, []string{"0/1000000/partly_paid", "0/0/open"}) {
		t.Errorf("after reversing the credit's payment: %v", got)
	}
	// A payment in the future, or on a draft contract, is refused.
	if _, err := w.F.RecordPayment(ctx, w.Fin, entity.Record{"contract_id": c.ID(), "amount": int64(100), "received_on": "2026-12-02"}, nil); code(err) != "received_on:finance_date_in_future" {
		t.Errorf("received tomorrow: %v", err)
	}
	var draft entity.Record
	if err := w.App.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		draft, err = w.App.Records.InsertTx(records.AsProcess(ctx), tx, w.Rep1, "contract", entity.Record{"title": "草稿合同", "customer_id": cust.ID(), "amount": int64(100), "number": "HT-DRAFT"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.F.RecordPayment(ctx, w.Fin, entity.Record{"contract_id": draft.ID(), "amount": int64(100)}, nil); code(err) != "finance_contract_not_signed" {
		t.Errorf("payment on a draft: %v", err)
	}
	// A signed contract's plan is the contracts area's to keep (people may
	// not change it); whatever changes it — a process too — cannot shrink
	// an instalment below the money against it nor delete it, and a
	// contract with payments is not deleted.
	it := w.instalment(t, items[0].ID())
	if _, err := w.App.Records.Update(ctx, w.Fin, "payment_instalment", it.ID(), it.Version(), entity.Record{"amount": int64(999_999)}); err == nil {
		t.Error("a person changed a signed contract's plan")
	}
	pctx := records.AsProcess(ctx)
	if _, err := w.App.Records.Update(pctx, w.Fin, "payment_instalment", it.ID(), it.Version(), entity.Record{"amount": int64(999_999)}); code(err) != "amount:instalment_below_finance" {
		t.Errorf("shrink below paid: %v", err)
	}
	if err := w.App.Records.Delete(pctx, w.Admin, "payment_instalment", it.ID(), 0); code(err) != "instalment_has_finance" {
		t.Errorf("delete a paid instalment: %v", err)
	}
	if err := w.App.Records.Delete(pctx, w.Admin, "contract", c.ID(), 0); err == nil {
		t.Errorf("a contract with payments was deleted")
	}
	// Raising the amount of a paid instalment makes it partly paid again.
	it2 := w.instalment(t, items[1].ID())
	if _, err := w.F.RecordPayment(ctx, w.Fin, entity.Record{"contract_id": c.ID(), "amount": int64(5_000_000)}, []crm.Allocation{{InstalmentID: it2.ID(), Amount: 5_000_000}}); err != nil {
		t.Fatal(err)
	}
	it2 = w.instalment(t, items[1].ID())
	if it2.Str("status") != crm.InstalmentPaid {
		t.Fatalf("paid? %v", it2)
	}
	if _, err := w.App.Records.Update(pctx, w.Fin, "payment_instalment", it2.ID(), it2.Version(), entity.Record{"amount": int64(6_000_000)}); err != nil {
		t.Fatal(err)
	}
	if got := w.instalment(t, it2.ID()).Str("status"); got != crm.InstalmentPartly {
		t.Errorf("raised instalment is %s", got)
	}
	// Visibility: the owner and their manager read the payments, another rep does not.
	for _, c := range []struct {
		p    *access.Principal
		sees bool
	}{{w.Rep1, true}, {w.Manager, true}, {w.Rep2, false}, {w.Rep3, false}, {w.Fin, true}} {
		_, err := w.App.Records.Get(ctx, c.p, "payment", p1.ID())
		if (err == nil) != c.sees {
			t.Errorf("%s reads the payment: %v", c.p.Name, err)
		}
	}
	w.recomputed(t)
}

// Concurrent payments on one contract take turns on its plan: none is
// lost and no instalment is paid beyond its amount.
func TestConcurrentPaymentsOnOneContract(t *testing.T) {
	w := newWorld(t)
	cust := w.Customer(t, w.Rep1, "常州动力设备有限公司")
	c, items := w.contract(t, w.Rep1, cust, inst{"2026-03-01", 50_000}, inst{"2026-06-01", 50_000})
	var wg sync.WaitGroup
	errc := make(chan error, 12)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.F.RecordPayment(ctx, w.Fin, entity.Record{"contract_id": c.ID(), "amount": int64(10_000)}, nil)
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := w.amounts(t, items); !same(got, []string{"0/50000/paid", "0/50000/paid"}) {
		t.Errorf("after 12 concurrent payments: %v", got)
	}
	var credit int64
	w.App.DB.R().QueryRowContext(ctx, `SELECT SUM(unallocated_amount) FROM payments WHERE contract_id = $1`, c.ID()).Scan(&credit)
	if credit != 20_000 {
		t.Errorf("credit %d, want 20000", credit)
	}
	w.recomputed(t)
}

func TestAgeingBandsAndVisibility(t *testing.T) {
	w := newWorld(t)
	// As of 2026-12-01: not due, 0 (today), 30, 31, 60, 61, 90, 91 days past due.
	c1 := w.Customer(t, w.Rep1, "杭州海康精工有限公司")
	k1, items1 := w.contract(t, w.Rep1, c1,
		inst{"2026-12-02", 100}, inst{"2026-12-01", 200}, inst{"2026-11-01", 300}, inst{"2026-10-31", 400},
		inst{"2026-10-02", 500}, inst{"2026-10-01", 600}, inst{"2026-09-02", 700}, inst{"2026-09-01", 800})
	c2 := w.Customer(t, w.Rep2, "宁波港机械有限公司")
	_, _ = w.contract(t, w.Rep2, c2, inst{"2026-11-20", 10_000}, inst{"2027-02-01", 20_000})
	c3 := w.Customer(t, w.Rep3, "深圳电子制造有限公司")
	k3, _ := w.contract(t, w.Rep3, c3, inst{"2026-06-30", 50_000})

	// Part of one instalment is paid: what is left is what ages.
	if _, err := w.F.RecordPayment(ctx, w.Fin, entity.Record{"contract_id": k1.ID(), "amount": int64(300)}, []crm.Allocation{{InstalmentID: items1[7].ID(), Amount: 300}}); err != nil {
		t.Fatal(err)
	}
	get := func(p *access.Principal, f finance.AgeingFilter) finance.Ageing {
		t.Helper()
		a, err := w.F.Ageing(ctx, p, f)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		return a
	}
	row := func(a finance.Ageing, key string) finance.AgeingRow {
		for _, r := range a.Rows {
			if r.Key == key {
				return r
			}
		}
		return finance.AgeingRow{}
	}
	a := get(w.Fin, finance.AgeingFilter{AsOf: "2026-12-01"})
	r1 := row(a, c1.ID())
	if got := fmt.Sprint(r1.Bands()); got != "[100 500 900 1300 500]" {
		t.Errorf("bands of the rep's customer: %s", got)
	}
	if r1.Due != 3200 || r1.Overdue != 3000 || r1.Outstanding != 3300 || r1.DueCount != 7 || r1.OverdueCount != 6 || r1.Name != "杭州海康精工有限公司" {
		t.Errorf("row %+v", r1)
	}
	if len(a.Rows) != 3 || a.Rows[0].Key != c3.ID() || len(a.Totals) != 1 || a.Totals[0].Outstanding != 3300+30_000+50_000 {
		t.Errorf("finance sees %+v", a)
	}
	// Visibility: a rep sees their own contracts' receivables, the manager
	// the team's, exactly the instalments the declared visibility admits.
	for _, c := range []struct {
		p    *access.Principal
		want int64
	}{{w.Rep1, 3300}, {w.Rep2, 30_000}, {w.Rep3, 50_000}, {w.Manager, 33_300}, {w.Fin, 83_300}, {w.Admin, 83_300}, {w.Service, 83_300}} {
		a := get(c.p, finance.AgeingFilter{Group: finance.GroupOwner})
		var sum int64
		for _, t := range a.Totals {
			sum += t.Outstanding
		}
		if sum != c.want {
			t.Errorf("%s sees %d outstanding, want %d", c.p.Name, sum, c.want)
		}
		ie := w.App.DB.Schema().Entity("payment_instalment")
		page, err := w.App.Records.List(ctx, c.p, "payment_instalment", entity.Query{Sort: ie.Field("due_date"), Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var listed int64
		for _, r := range page.Items {
			listed += r.Int("amount") - r.Int("paid_amount")
		}
		if listed != sum {
			t.Errorf("%s: ageing %d but the instalments they can list leave %d", c.p.Name, sum, listed)
		}
	}
	// The owners' and teams' ageing from the kept months, and the
	// customers' ranked by what is due first, are the sums of every
	// instalment, on every side of the band edges.
	// So are they once the customers' arrears are kept (rolled to the
	// month of "now"), and after payments and a reassignment move them.
	compare := func(when string) {
		t.Helper()
		w.keptMonths(t)
		for _, asOf := range []string{"2026-12-01", "2026-12-31", "2026-11-30", "2026-10-31", "2026-10-01", "2026-09-15", "2027-01-31", "2027-03-05", "2026-06-30", "2025-12-31"} {
			for _, p := range []*access.Principal{w.Fin, w.Manager, w.Rep2} {
				for _, f := range []finance.AgeingFilter{{Group: finance.GroupOwner}, {Group: finance.GroupTeam}, {Group: finance.GroupOwner, TeamID: w.North},
					{Group: finance.GroupOwner, Limit: 1}, {Group: finance.GroupCustomer, Limit: 1}, {Group: finance.GroupCustomer, Limit: 2}, {Group: finance.GroupCustomer},
					{Group: finance.GroupCustomer, Limit: 2, OwnerID: w.Rep1.UserID}, {Group: finance.GroupCustomer, TeamID: w.North}} {
					f.AsOf = asOf
					got, want := get(p, f), get(p, finance.Exact(f))
					if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
						t.Errorf("%s: %s %+v: kept rows say\n%+v\nevery instalment says\n%+v", when, p.Name, f, got, want)
					}
				}
			}
		}
	}
	compare("arrears not kept yet")
	if n, err := w.F.RollArrears(ctx); err != nil || n == 0 {
		t.Fatalf("roll: %d rows, %v", n, err)
	}
	if n, err := w.F.RollArrears(ctx); err != nil || n != 0 {
		t.Errorf("a second roll in the same month added %d rows, %v", n, err)
	}
	var kept, keptN int64
	if err := w.App.DB.R().QueryRowContext(ctx, `SELECT COALESCE(SUM(amount), 0), COALESCE(SUM(n), 0) FROM receivable_arrears`).Scan(&kept, &keptN); err != nil {
		t.Fatal(err)
	}
	// Due before 2026-12-01: six of c1's (one part paid), c2's first, c3's.
	if kept != 300+400+500+600+700+500+10_000+50_000 || keptN != 8 {
		t.Errorf("arrears kept %d in %d instalments", kept, keptN)
	}
	compare("arrears kept")

	// Filters: another rep's numbers are zeros for a rep, not theirs.
	if a := get(w.Rep1, finance.AgeingFilter{OwnerID: w.Rep3.UserID}); len(a.Rows) != 0 {
		t.Errorf("rep filtered on another rep: %+v", a.Rows)
	}
	if a := get(w.Manager, finance.AgeingFilter{Group: finance.GroupTeam, TeamID: w.North}); len(a.Rows) != 1 || a.Rows[0].Key != w.NorthSales || a.Rows[0].Outstanding != 33_300 {
		t.Errorf("by team %+v", a.Rows)
	}
	if a := get(w.Fin, finance.AgeingFilter{CustomerID: c2.ID(), AsOf: "2027-03-05"}); len(a.Rows) != 1 || fmt.Sprint(a.Rows[0].Bands()) != "[0 0 20000 0 10000]" {
		t.Errorf("as of later %+v", a.Rows)
	}
	if _, err := w.F.Ageing(ctx, w.Fin, finance.AgeingFilter{AsOf: "12/01/2026"}); code(err) != "as_of:invalid_date" {
		t.Errorf("bad as-of: %v", err)
	}
	if _, err := w.F.Ageing(ctx, w.Fin, finance.AgeingFilter{Group: "city"}); code(err) != "group:invalid_option" {
		t.Errorf("bad group: %v", err)
	}
	// Limit: the totals still cover every row.
	if a := get(w.Fin, finance.AgeingFilter{Limit: 1}); len(a.Rows) != 1 || a.More != 2 || a.Totals[0].Outstanding != 83_300 {
		t.Errorf("limited %+v", a)
	}
	// As of a past date, a payment received since counts as owed then.
	if _, err := w.F.RecordPayment(ctx, w.Fin, entity.Record{"contract_id": k3.ID(), "amount": int64(50_000), "received_on": "2026-11-20"}, nil); err != nil {
		t.Fatal(err)
	}
	if a := get(w.Fin, finance.AgeingFilter{CustomerID: c3.ID()}); len(a.Rows) != 0 {
		t.Errorf("paid customer still owes %+v", a.Rows)
	}
	if a := get(w.Fin, finance.AgeingFilter{CustomerID: c3.ID(), AsOf: "2026-11-19"}); len(a.Rows) != 1 || a.Rows[0].D61To90 != 0 || a.Rows[0].Over90 != 50_000 {
		t.Errorf("as of before the payment %+v", a.Rows)
	}
	if a := get(w.Fin, finance.AgeingFilter{CustomerID: c3.ID(), AsOf: "2026-11-20"}); len(a.Rows) != 0 {
		t.Errorf("as of the day it was received %+v", a.Rows)
	}
	// Reassigning the contract moves its receivables with it.
	if _, err := w.App.Customers.Assign(ctx, w.Admin, "contract", []string{k1.ID()}, w.Rep2.UserID); err != nil {
		t.Fatal(err)
	}
	if a := get(w.Rep2, finance.AgeingFilter{}); a.Totals[0].Outstanding != 33_300 {
		t.Errorf("after reassignment rep2 sees %+v", a.Totals)
	}
	if a := get(w.Rep1, finance.AgeingFilter{}); len(a.Rows) != 0 {
		t.Errorf("after reassignment rep1 still sees %+v", a.Rows)
	}
	compare("after a payment and a reassignment")
	st := w.instalment(t, items1[0].ID())
	if st.Str("owner_id") != w.Rep2.UserID || st.Str("team_id") != w.NorthSales {
		t.Errorf("instalment kept %v/%v", st["owner_id"], st["team_id"])
	}
	w.recomputed(t)
}

// The customers ranked on their kept arrears: what falls due today (not
// in the arrears) breaks a tie of overdue amounts, a customer with only
// today's instalment ranks after every overdue one, and instalments that
// fall due after a roll, paid or not, move the ranking as the instalments
// say.
func TestAgeingRanksOnArrearsAndToday(t *testing.T) {
	w := newWorld(t) // today is 2026-12-01
	names := []string{"甲公司", "乙公司", "丙公司", "丁公司"}
	var cs []entity.Record
	var items [][]entity.Record
	for i, n := range names {
		c := w.Customer(t, w.Rep1, n)
		plan := []inst{{"2026-11-01", 700}}
		switch i {
		case 1:
			plan = append(plan, inst{"2026-12-01", 100}) // due today: ranks 乙 before 甲
		case 2:
			plan = []inst{{"2026-12-01", 5_000}} // only due today
		case 3:
			plan = []inst{{"2026-10-01", 400}, {"2026-12-05", 9_000}}
		}
		_, it := w.contract(t, w.Rep1, c, plan...)
		cs, items = append(cs, c), append(items, it)
	}
	if _, err := w.F.RollArrears(ctx); err != nil {
		t.Fatal(err)
	}
	keys := func(f finance.AgeingFilter) []string {
		t.Helper()
		a, err := w.F.Ageing(ctx, w.Fin, f)
		if err != nil {
			t.Fatal(err)
		}
		e, err := w.F.Ageing(ctx, w.Fin, finance.Exact(f))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", e) {
			t.Errorf("%+v: kept rows say\n%+v\nevery instalment says\n%+v", f, a, e)
		}
		var out []string
		for _, r := range a.Rows {
			out = append(out, r.Name)
		}
		return append(out, fmt.Sprint(a.More))
	}
	// Pages shorter than the customers with arrears: the page's worth of
	// arrears and today's customers decide, the rest are counted.
	for limit, want := range map[int]string{1: "[乙公司 3]", 2: "[乙公司 甲公司 2]", 3: "[乙公司 甲公司 丁公司 1]"} {
		if got := fmt.Sprint(keys(finance.AgeingFilter{Limit: limit})); got != want {
			t.Errorf("limit %d: ranked %s, want %s", limit, got, want)
		}
	}
	if got := fmt.Sprint(keys(finance.AgeingFilter{Limit: 4})); got != "[乙公司 甲公司 丁公司 丙公司 0]" {
		t.Errorf("ranked %s", got)
	}
	// Days later (no roll yet), then rolled: 丁's 9,000 is overdue.
	w.F.SetClock(func() time.Time { return time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC) })
	for _, roll := range []bool{false, true} {
		if roll {
			if _, err := w.F.RollArrears(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := fmt.Sprint(keys(finance.AgeingFilter{Limit: 3})); got != "[丁公司 丙公司 乙公司 1]" {
			t.Errorf("rolled %v: ranked %s", roll, got)
		}
	}
	// A payment of an instalment in the arrears moves its customer down.
	if _, err := w.F.RecordPayment(ctx, w.Fin, entity.Record{"contract_id": items[3][1].Str("contract_id"), "amount": int64(9_000)},
		[]crm.Allocation{{InstalmentID: items[3][1].ID(), Amount: 9_000}}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(keys(finance.AgeingFilter{Limit: 3})); got != "[丙公司 乙公司 甲公司 1]" {
		t.Errorf("after the payment: ranked %s", got)
	}
	w.keptMonths(t)
}

func TestRemindersOncePerInstalment(t *testing.T) {
	w := newWorld(t)
	cust := w.Customer(t, w.Rep1, "合肥智能装备有限公司")
	c, items := w.contract(t, w.Rep1, cust, inst{"2026-12-05", 1_000}, inst{"2026-12-20", 2_000}, inst{"2026-11-25", 3_000})
	notes := func() []string {
		t.Helper()
		rows, err := w.App.DB.R().QueryContext(ctx, `SELECT kind, entity, record_id, data FROM notifications WHERE user_id = $1 ORDER BY at, kind, record_id`, w.Rep1.UserID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k, ent, rid, data string
			rows.Scan(&k, &ent, &rid, &data)
			var d struct {
				ID string `json:"instalment_id"`
			}
			json.Unmarshal([]byte(data), &d)
			if ent != "contract" || rid != c.ID() {
				t.Errorf("notification about %s %s, not the contract", ent, rid)
			}
			id := d.ID
			for i, it := range items {
				if it.ID() == id {
					id = fmt.Sprint(i)
				}
			}
			out = append(out, k+":"+id)
		}
		sort.Strings(out)
		return out
	}
	at := func(day string) time.Time {
		d, _ := time.ParseInLocation(entity.DateLayout, day, w.App.Loc)
		return d.Add(9 * time.Hour)
	}
	res, err := w.F.SendReminders(ctx, at("2026-12-01"), 100)
	if err != nil {
		t.Fatal(err)
	}
	if res.DueSoon != 1 || res.Overdue != 1 {
		t.Errorf("first sweep %+v", res)
	}
	if got := notes(); !same(got, []string{"instalment_due_soon:0", "instalment_overdue:2"}) {
		t.Errorf("notes %v", got)
	}
	// Again the same day: nothing new.
	if res, _ := w.F.SendReminders(ctx, at("2026-12-01"), 100); res != (finance.RemindResult{}) {
		t.Errorf("second sweep %+v", res)
	}
	// The warning days are a setting.
	if err := w.F.SetRemindDays(ctx, w.Rep1, 20); code(err) != "forbidden" {
		t.Errorf("rep sets the days: %v", err)
	}
	if err := w.F.SetRemindDays(ctx, w.Admin, 20); err != nil {
		t.Fatal(err)
	}
	if res, _ := w.F.SendReminders(ctx, at("2026-12-01"), 100); res.DueSoon != 1 {
		t.Errorf("with 20 days %+v", res)
	}
	// Overdue once the day has passed; a paid instalment gets nothing.
	if _, err := w.F.RecordPayment(ctx, w.Fin, entity.Record{"contract_id": c.ID(), "amount": int64(2_000)}, []crm.Allocation{{InstalmentID: items[1].ID(), Amount: 2_000}}); err != nil {
		t.Fatal(err)
	}
	if res, _ := w.F.SendReminders(ctx, at("2026-12-21"), 100); res.Overdue != 1 || res.DueSoon != 0 {
		t.Errorf("after the due dates %+v", res)
	}
	if got := notes(); !same(got, []string{"instalment_due_soon:0", "instalment_due_soon:1", "instalment_overdue:0", "instalment_overdue:2"}) {
		t.Errorf("notes %v", got)
	}
	// Moving the due date (an amendment: a process) asks for the reminders again.
	it := w.instalment(t, items[0].ID())
	if _, err := w.App.Records.Update(records.AsProcess(ctx), w.Fin, "payment_instalment", it.ID(), it.Version(), entity.Record{"due_date": "2027-01-10"}); err != nil {
		t.Fatal(err)
	}
	if res, _ := w.F.SendReminders(ctx, at("2027-01-05"), 100); res.DueSoon != 1 {
		t.Errorf("after moving the due date %+v", res)
	}
	w.recomputed(t)
}

// A draft contract's plan is not owed yet: no ageing, no reminder; from
// signing on it is, and the kept months follow.
func TestDraftPlansAreNotReceivable(t *testing.T) {
	w := newWorld(t)
	cust := w.Customer(t, w.Rep1, "嘉兴光伏材料有限公司")
	var c entity.Record
	if err := w.App.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		pctx := records.AsProcess(ctx)
		if c, err = w.App.Records.InsertTx(pctx, tx, w.Rep1, "contract", entity.Record{"title": "草稿合同", "customer_id": cust.ID(), "amount": int64(9_000), "number": "HT-DRAFT-1"}); err != nil {
			return err
		}
		_, err = w.App.Records.InsertTx(pctx, tx, w.Rep1, "payment_instalment", entity.Record{"contract_id": c.ID(), "position": int64(1),
			"kind": "advance", "label": "预付款", "due_date": "2026-11-20", "amount": int64(9_000)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	owed := func() int64 {
		t.Helper()
		a, err := w.F.Ageing(ctx, w.Fin, finance.AgeingFilter{Group: finance.GroupOwner})
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, r := range a.Totals {
			n += r.Outstanding
		}
		return n
	}
	if n := owed(); n != 0 {
		t.Errorf("a draft's plan is owed: %d", n)
	}
	if res, _ := w.F.SendReminders(ctx, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), 100); res != (finance.RemindResult{}) {
		t.Errorf("a draft's instalment was reminded: %+v", res)
	}
	w.recomputed(t)
	// Signing (the contract's process sets the status).
	if err := w.App.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := w.App.DB.Get(ctx, tx, w.App.DB.Schema().Entity("contract"), c.ID(), nil, false)
		if err != nil {
			return err
		}
		_, err = w.App.Records.SetTx(records.AsProcess(ctx), tx, w.Rep1, w.App.DB.Schema().Entity("contract"), old, entity.Record{"status": crm.ContractSigned, "signed_on": "2026-11-01"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := owed(); n != 9_000 {
		t.Errorf("a signed contract's plan owes %d", n)
	}
	if res, _ := w.F.SendReminders(ctx, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), 100); res.Overdue != 1 {
		t.Errorf("overdue after signing: %+v", res)
	}
	w.recomputed(t)
}
