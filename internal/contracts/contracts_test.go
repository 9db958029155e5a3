package contracts_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/contracts"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

var ctx = context.Background()

// world is the fixture organisation with a delivery coordinator, a
// second after-sales agent and a finance clerk, and a deal of Rep1's with
// everything a hand-over draws on.
type world struct {
	*apptest.Fixture
	Delivery, Delivery2, Finance *access.Principal
	Cust, Opp, Quote             entity.Record
	Contact1, Contact2, Other    entity.Record
	Request                      entity.Record
	cs                           *contracts.Service
}

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

// mustFor makes a helper failing t when a write fails: must(r.Create(…)).
func mustFor(t *testing.T) func(entity.Record, error) entity.Record {
	return func(r entity.Record, err error) entity.Record {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	must := mustFor(t)
	f := apptest.NewFixture(t)
	w := &world{Fixture: f, cs: f.App.Contracts}
	w.Delivery = f.AddUser(t, "孙交付", "sun@example.com", f.Company, access.RoleDelivery)
	w.Delivery2 = f.AddUser(t, "钱交付", "qian@example.com", f.Company, access.RoleDelivery)
	w.Finance = f.AddUser(t, "冯会计", "feng@example.com", f.Company, access.RoleFinance)
	r := f.App.Records
	w.Cust = f.Customer(t, f.Rep1, "苏州精密机械有限公司")
	w.Contact1 = must(r.Create(ctx, f.Rep1, "contact", entity.Record{"name": "周建国", "customer_id": w.Cust.ID(), "title": "总经理", "decision_role": "decision_maker", "phone": "13800001111"}))
	w.Contact2 = must(r.Create(ctx, f.Rep1, "contact", entity.Record{"name": "吴敏", "customer_id": w.Cust.ID(), "title": "设备部长", "decision_role": "technical_lead"}))
	w.sql(t, `UPDATE contacts SET do_not_contact = TRUE WHERE id = $1`, w.Contact2.ID())
	other := f.Customer(t, f.Rep1, "无锡另一家公司")
	w.Other = must(r.Create(ctx, f.Rep1, "contact", entity.Record{"name": "郑外人", "customer_id": other.ID()}))
	w.Opp = must(r.Create(ctx, f.Rep1, "opportunity", entity.Record{"name": "MES 生产执行系统一期", "customer_id": w.Cust.ID(), "amount": int64(120000000),
		"business_scenario": "多品种小批量离散制造", "pain_points": "换线时间长，质量追溯靠纸质记录", "budget_range": "100-150 万",
		"decision_process": "设备部评估，总经理办公会决策", "decision_timeline": "12 月底前定标", "explicit_needs": "生产报工、质量追溯", "latent_needs": "设备联网与 OEE"}))
	must(r.Create(ctx, f.Rep1, "opportunity_contact", entity.Record{"opportunity_id": w.Opp.ID(), "contact_id": w.Contact1.ID(), "role": "decision_maker", "is_primary": true, "attitude": "supporter"}))
	must(r.Create(ctx, f.Rep1, "opportunity_contact", entity.Record{"opportunity_id": w.Opp.ID(), "contact_id": w.Contact2.ID(), "role": "technical_lead", "attitude": "opponent"}))
	comp := must(r.Create(ctx, f.Rep1, "competitor", entity.Record{"name": "西门子（中国）有限公司"}))
	must(r.Create(ctx, f.Rep1, "opportunity_competitor", entity.Record{"opportunity_id": w.Opp.ID(), "competitor_id": comp.ID(), "threat": "high", "strengths": "品牌"}))
	sol := must(r.Create(ctx, f.Rep1, "solution", entity.Record{"title": "MES 总体方案", "opportunity_id": w.Opp.ID(), "technical_part": "三层架构，边缘采集", "value_statements": "换线时间缩短 40%"}))
	w.sql(t, `UPDATE solutions SET status = 'sent' WHERE id = $1`, sol.ID())
	w.Request = must(r.Create(ctx, f.Rep1, "presales_request", entity.Record{"opportunity_id": w.Opp.ID(), "name": "二期设备联网调研", "work_needed": []string{"demo"},
		"description": "二期设备联网调研", "needed_by": "2026-12-31", "estimated_value": int64(30000000)}))
	w.Quote = w.quote(t, f.Rep1, w.Opp, 116000000)
	return w
}

func (w *world) sql(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := w.App.DB.W().ExecContext(ctx, q, args...); err != nil {
		t.Fatal(err)
	}
}

// quote writes a sent quote of p's for a deal, with its promises (the
// quotes part's processes are not needed to read one).
func (w *world) quote(t *testing.T, p *access.Principal, opp entity.Record, total int64) entity.Record {
	t.Helper()
	var q entity.Record
	err := w.App.DB.Write(ctx, func(tx *store.Tx) (err error) {
		q, err = w.App.Records.InsertTx(records.AsProcess(ctx), tx, p, "quote", entity.Record{"number": "Q-202611-" + opp.ID()[30:], "title": "MES 一期报价",
			"customer_id": opp.Str("customer_id"), "opportunity_id": opp.ID(), "contact_id": w.Contact1.ID(), "valid_until": "2026-12-31",
			"delivery_period": "合同签订后 60 天", "payment_terms": "预付 30%，到货 60%，验收 10%", "service_content": "驻场实施 3 个月，培训 20 人次",
			"after_sales_terms": "质保两年，4 小时响应", "notes": "免费提供二期调研"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w.sql(t, `UPDATE quotes SET status = 'sent', total = $1 WHERE id = $2`, total, q.ID())
	return q
}

func (w *world) accept(t *testing.T, q entity.Record) {
	t.Helper()
	w.sql(t, `UPDATE quotes SET status = 'accepted' WHERE id = $1`, q.ID())
}

func (w *world) get(t *testing.T, p *access.Principal, ent, id string) entity.Record {
	t.Helper()
	r, err := w.App.Records.Get(ctx, p, ent, id)
	if err != nil {
		t.Fatalf("get %s as %s: %v", ent, p.Name, err)
	}
	return r
}

// ready makes a draft signable: recipients, every term confirmed, a plan
// adding up.
func (w *world) ready(t *testing.T, p *access.Principal, c entity.Record, delivery, service string) entity.Record {
	t.Helper()
	must := mustFor(t)
	c = must(w.App.Records.Update(ctx, p, "contract", c.ID(), 0, entity.Record{"delivery_owner_id": delivery, "service_owner_id": service}))
	amount := c.Int("amount")
	a := amount * 3 / 10
	if _, err := w.cs.ReplacePlan(ctx, p, c.ID(), 0, []crm.PlanRow{{Kind: "advance", DueDate: "2026-12-01", Amount: a},
		{Kind: "on_delivery", DueDate: "2027-02-01", Amount: amount - a, Condition: "到货验收后 15 日内"}}); err != nil {
		t.Fatal(err)
	}
	for _, o := range crm.ContractTermItems {
		c = must(w.cs.ConfirmTerm(ctx, p, c.ID(), 0, o.Code, true))
	}
	return c
}

func (w *world) events(t *testing.T, customerID string) []string {
	t.Helper()
	evs, err := w.App.DB.Events(ctx, "customer_id", customerID, time.Time{}, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

var numberRE = regexp.MustCompile(`^HT-\d{6}-\d{4}$`)

func TestContractFromQuote(t *testing.T) {
	w := newWorld(t)
	_, err := w.cs.CreateFromQuote(ctx, w.Rep1, w.Quote.ID(), contracts.FromQuote{})
	if code(err) != "quote_not_accepted" || errs.KindOf(err) != errs.Unprocessable {
		t.Fatalf("a sent quote: %v", err)
	}
	w.accept(t, w.Quote)
	if _, err := w.cs.CreateFromQuote(ctx, w.Rep3, w.Quote.ID(), contracts.FromQuote{}); errs.KindOf(err) != errs.NotFound {
		t.Errorf("a rep of another team makes a contract of a quote they cannot see: %v", err)
	}
	if _, err := w.cs.CreateFromQuote(ctx, w.Delivery, w.Quote.ID(), contracts.FromQuote{}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("delivery reads quotes but makes no contracts: %v", err)
	}
	c, err := w.cs.CreateFromQuote(ctx, w.Rep1, w.Quote.ID(), contracts.FromQuote{DeliveryOwnerID: w.Delivery.UserID})
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]any{"status": crm.ContractDraft, "customer_id": w.Cust.ID(), "opportunity_id": w.Opp.ID(), "quote_id": w.Quote.ID(),
		"amount": int64(116000000), "currency": "CNY", "title": "MES 一期报价", "delivery_terms": "合同签订后 60 天",
		"scope": "驻场实施 3 个月，培训 20 人次", "signer_contact_id": w.Contact1.ID(), "party_a": "苏州精密机械有限公司",
		"delivery_owner_id": w.Delivery.UserID, "owner_id": w.Rep1.UserID}
	for k, v := range checks {
		if !entity.Equal(c[k], v) {
			t.Errorf("%s: %v, want %v", k, c[k], v)
		}
	}
	if !strings.Contains(c.Str("terms"), "预付 30%，到货 60%，验收 10%") || !strings.Contains(c.Str("terms"), "质保两年，4 小时响应") {
		t.Errorf("payment and after-sales terms into the terms: %q", c.Str("terms"))
	}
	if !numberRE.MatchString(c.Str("number")) {
		t.Errorf("number %q", c.Str("number"))
	}
	if _, err := w.cs.CreateFromQuote(ctx, w.Rep1, w.Quote.ID(), contracts.FromQuote{}); code(err) != "quote_has_contract" || errs.KindOf(err) != errs.Conflict {
		t.Errorf("a second contract of one quote: %v", err)
	}
	if ev := w.events(t, w.Cust.ID()); !slices.Contains(ev, "contract_created_from_quote") {
		t.Errorf("timeline %v", ev)
	}
	// Typed directly: numbered in sequence, status and number the system's.
	d, err := w.App.Records.Create(ctx, w.Rep1, "contract", entity.Record{"title": "备件框架合同", "customer_id": w.Cust.ID(), "amount": int64(500000)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Str("status") != crm.ContractDraft || !numberRE.MatchString(d.Str("number")) || d.Str("number") <= c.Str("number") {
		t.Errorf("direct contract %s %s after %s", d.Str("status"), d.Str("number"), c.Str("number"))
	}
	for _, field := range []string{"number", "status", "quote_id", "signed_on"} {
		if _, err := w.App.Records.Create(ctx, w.Rep1, "contract", entity.Record{"title": "x", "customer_id": w.Cust.ID(), "amount": int64(1), field: "x"}); code(err) != field+":read_only" {
			t.Errorf("%s set by a person: %v", field, err)
		}
	}
	// The opportunity decides the customer.
	if _, err := w.App.Records.Create(ctx, w.Rep1, "contract", entity.Record{"title": "x", "customer_id": w.Other["customer_id"], "opportunity_id": w.Opp.ID(), "amount": int64(1)}); code(err) != "customer_id:customer_not_of_opportunity" {
		t.Errorf("customer of another deal: %v", err)
	}
	e, err := w.App.Records.Create(ctx, w.Rep1, "contract", entity.Record{"title": "从商机", "opportunity_id": w.Opp.ID(), "amount": int64(1)})
	if err != nil || e.Str("customer_id") != w.Cust.ID() {
		t.Errorf("customer from the deal: %v %v", err, e)
	}
}

type fakeApprovals struct{ over int64 }

func (f fakeApprovals) Needed(_ context.Context, _ store.Querier, _ *access.Principal, rec entity.Record) (bool, error) {
	return rec.Int("amount") > f.over, nil
}

func (f fakeApprovals) Withdraw(context.Context, *store.Tx, *access.Principal, string) error {
	return nil
}

func (f fakeApprovals) Submit(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, _ string) (bool, error) {
	return f.Needed(ctx, tx, p, rec)
}

func TestSigningIsRefusedForEachReason(t *testing.T) {
	must := mustFor(t)
	w := newWorld(t)
	r := w.App.Records
	c := must(r.Create(ctx, w.Rep1, "contract", entity.Record{"title": "设备联网", "customer_id": w.Cust.ID(), "opportunity_id": w.Opp.ID(), "amount": int64(1000000)}))
	sign := func(on, signer string) error {
		_, err := w.cs.Sign(ctx, w.Rep1, c.ID(), contracts.SignInput{SignedOn: on, SignerContactID: signer})
		return err
	}
	today := time.Now().In(w.App.Loc).Format("2006-01-02")
	if err := sign("", w.Contact1.ID()); code(err) != "signed_on:required" {
		t.Errorf("no date: %v", err)
	}
	if err := sign(time.Now().In(w.App.Loc).AddDate(0, 0, 2).Format("2006-01-02"), w.Contact1.ID()); code(err) != "signed_on:contract_signed_in_future" {
		t.Errorf("signed the day after tomorrow: %v", err)
	}
	if err := sign(today, ""); code(err) != "signer_contact_id:required" {
		t.Errorf("no signatory: %v", err)
	}
	if err := sign(today, w.Other.ID()); code(err) != "signer_contact_id:contract_signer_not_of_customer" {
		t.Errorf("signatory of another customer: %v", err)
	}
	err := sign(today, w.Contact1.ID())
	if code(err) != "contract_terms_unconfirmed" || errs.KindOf(err) != errs.Unprocessable {
		t.Fatalf("nothing confirmed: %v", err)
	}
	if e := errs.As(err); !strings.Contains(e.Args["missing"].(string), "验收标准") {
		t.Errorf("missing terms named: %v", e.Args)
	}
	for _, o := range crm.ContractTermItems[:5] {
		c = must(w.cs.ConfirmTerm(ctx, w.Rep1, c.ID(), c.Version(), o.Code, true))
	}
	if _, err := w.cs.ConfirmTerm(ctx, w.Rep1, c.ID(), c.Version()-1, "after_sales", true); code(err) != "stale_version" {
		t.Errorf("confirm on a stale page: %v", err)
	}
	if _, err := w.cs.ConfirmTerm(ctx, w.Rep1, c.ID(), 0, "colour", true); code(err) != "item:invalid_option" {
		t.Errorf("unknown item: %v", err)
	}
	if err := sign(today, w.Contact1.ID()); code(err) != "contract_terms_unconfirmed" || !strings.Contains(errs.As(err).Args["missing_en"].(string), "After-sales") {
		t.Errorf("one term left: %v", err)
	}
	c = must(w.cs.ConfirmTerm(ctx, w.Rep1, c.ID(), 0, "after_sales", true))
	// A change of a term reopens its confirmation.
	c = must(r.Update(ctx, w.Rep1, "contract", c.ID(), c.Version(), entity.Record{"delivery_terms": "分两批交付"}))
	if slices.Contains(c.List("terms_confirmed"), "delivery") || len(c.List("terms_confirmed")) != 5 {
		t.Errorf("delivery still confirmed after its change: %v", c.List("terms_confirmed"))
	}
	c = must(w.cs.ConfirmTerm(ctx, w.Rep1, c.ID(), 0, "delivery", true))
	err = sign(today, w.Contact1.ID())
	if code(err) != "payment_plan_mismatch" {
		t.Fatalf("no plan: %v", err)
	}
	if _, err := w.cs.ReplacePlan(ctx, w.Rep1, c.ID(), 0, []crm.PlanRow{{Kind: "advance", DueDate: "2026-12-01", Amount: 300000}, {Kind: "on_delivery", DueDate: "2027-01-01", Amount: 600000}}); code(err) != "payment_plan_mismatch" {
		t.Errorf("a plan short of the amount is not saved: %v", err)
	}
	// Rows written one by one (generic pages, imports) are checked at signing.
	for i, amt := range []int64{300000, 600000} {
		if _, err := r.Create(ctx, w.Rep1, "payment_instalment", entity.Record{"contract_id": c.ID(), "position": int64(i + 1), "kind": "advance", "due_date": "2026-12-01", "amount": amt}); err != nil {
			t.Fatal(err)
		}
	}
	c = w.get(t, w.Rep1, "contract", c.ID())
	if slices.Contains(c.List("terms_confirmed"), "payment") {
		t.Errorf("a plan change keeps the payment term confirmed")
	}
	c = must(w.cs.ConfirmTerm(ctx, w.Rep1, c.ID(), 0, "payment", true))
	err = sign(today, w.Contact1.ID())
	if d, _ := errs.As(err).Data.(map[string]any); code(err) != "payment_plan_mismatch" || errs.As(err).Args["plan_sum"] != "9,000.00" || errs.As(err).Args["amount"] != "10,000.00" || d == nil {
		t.Fatalf("plan short by 1,000: %v %v", err, errs.As(err).Args)
	}
	c = w.get(t, w.Rep1, "contract", c.ID())
	pl, err := w.cs.ReplacePlan(ctx, w.Rep1, c.ID(), c.Version(), []crm.PlanRow{{Kind: "advance", DueDate: "2026-12-01", Amount: 300000}, {Kind: "on_delivery", DueDate: "2027-01-01", Amount: 600000}, {Kind: "retention", DueDate: "2028-01-01", Amount: 100000, Condition: "质保期满"}})
	if err != nil {
		t.Fatal(err)
	}
	c = must(w.cs.ConfirmTerm(ctx, w.Rep1, c.ID(), pl.Contract.Version(), "payment", true))
	err = sign(today, w.Contact1.ID())
	if code(err) != "handover_recipients_missing" || !strings.Contains(errs.As(err).Args["missing"].(string), "交付负责人") {
		t.Fatalf("no recipients: %v", err)
	}
	c = must(r.Update(ctx, w.Rep1, "contract", c.ID(), 0, entity.Record{"delivery_owner_id": w.Delivery.UserID}))
	if err := sign(today, w.Contact1.ID()); code(err) != "handover_recipients_missing" || errs.As(err).Args["missing"] != "售后负责人" {
		t.Fatalf("no after-sales owner: %v", err)
	}
	c = must(r.Update(ctx, w.Rep1, "contract", c.ID(), 0, entity.Record{"service_owner_id": w.Service.UserID}))

	// An approval rule: above 5,000.00 the contract is approved first.
	w.cs.SetApprovals(fakeApprovals{over: 500000})
	if err := sign(today, w.Contact1.ID()); code(err) != "contract_needs_approval" {
		t.Fatalf("approval needed: %v", err)
	}
	cl, err := w.cs.Checklist(ctx, w.Rep1, c.ID())
	if err != nil || cl.CanSign || len(cl.Refusals) != 1 || cl.Refusals[0].Code != "contract_needs_approval" || !cl.NeedsApproval || len(cl.Missing) != 0 || cl.PlanSum != cl.Amount {
		t.Errorf("checklist %+v %v", cl, err)
	}
	c = must(w.cs.Submit(ctx, w.Rep1, c.ID(), 0, "金额超过权限"))
	if c.Str("status") != crm.ContractInApproval {
		t.Fatalf("submitted: %s", c.Str("status"))
	}
	if _, err := r.Update(ctx, w.Rep1, "contract", c.ID(), 0, entity.Record{"amount": int64(1)}); code(err) != "contract_locked" {
		t.Errorf("edit in approval: %v", err)
	}
	if err := sign(today, w.Contact1.ID()); code(err) != "contract_not_signable" {
		t.Errorf("sign in approval: %v", err)
	}
	if err := w.App.DB.Write(ctx, func(tx *store.Tx) error {
		return w.cs.ApprovalDecided(ctx, tx, w.Manager, c.ID(), "approved", "同意")
	}); err != nil {
		t.Fatal(err)
	}
	c = w.get(t, w.Rep1, "contract", c.ID())
	if c.Str("status") != crm.ContractDraft || c["approved_at"] == nil {
		t.Fatalf("after approval: %s %v", c.Str("status"), c["approved_at"])
	}
	// A change after approval goes back through approval.
	c = must(r.Update(ctx, w.Rep1, "contract", c.ID(), 0, entity.Record{"special_requirements": "夜间施工"}))
	if c["approved_at"] != nil || slices.Contains(c.List("terms_confirmed"), "acceptance") {
		t.Errorf("changed after approval: approved_at %v, terms %v", c["approved_at"], c.List("terms_confirmed"))
	}
	c = must(w.cs.ConfirmTerm(ctx, w.Rep1, c.ID(), 0, "acceptance", true))
	if err := sign(today, w.Contact1.ID()); code(err) != "contract_needs_approval" {
		t.Errorf("sign after a change: %v", err)
	}
	c = must(w.cs.Submit(ctx, w.Rep1, c.ID(), 0, ""))
	if err := w.App.DB.Write(ctx, func(tx *store.Tx) error {
		return w.cs.ApprovalDecided(ctx, tx, w.Manager, c.ID(), "approved", "")
	}); err != nil {
		t.Fatal(err)
	}
	// Delivery reads the contract but does not sign it; the stale page loses.
	if _, err := w.cs.Sign(ctx, w.Delivery, c.ID(), contracts.SignInput{SignedOn: today, SignerContactID: w.Contact1.ID()}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("delivery signs: %v", err)
	}
	c = w.get(t, w.Rep1, "contract", c.ID())
	if _, err := w.cs.Sign(ctx, w.Rep1, c.ID(), contracts.SignInput{SignedOn: today, SignerContactID: w.Contact1.ID(), Version: c.Version() - 1}); code(err) != "stale_version" {
		t.Errorf("stale sign: %v", err)
	}
	signed, err := w.cs.Sign(ctx, w.Rep1, c.ID(), contracts.SignInput{SignedOn: today, SignerContactID: w.Contact1.ID(), Version: c.Version()})
	if err != nil {
		t.Fatal(err)
	}
	if signed.Str("status") != crm.ContractSigned || signed.Str("signed_on") != today {
		t.Errorf("signed %v", signed)
	}
	if _, err := w.cs.Submit(ctx, w.Rep1, c.ID(), 0, ""); code(err) != "contract_not_submittable" {
		t.Errorf("submit a signed contract: %v", err)
	}
}

func TestSignedContractIsLockedAndMoves(t *testing.T) {
	must := mustFor(t)
	w := newWorld(t)
	r := w.App.Records
	w.accept(t, w.Quote)
	c := must(w.cs.CreateFromQuote(ctx, w.Rep1, w.Quote.ID(), contracts.FromQuote{}))
	c = w.ready(t, w.Rep1, c, w.Delivery.UserID, w.Service.UserID)
	plan, err := w.cs.Plan(ctx, w.Rep1, c.ID())
	if err != nil || len(plan.Instalments) != 2 {
		t.Fatal(err)
	}
	inst := plan.Instalments[0]
	if inst.Str("label") != "第1期 预付款" || inst.Str("customer_id") != w.Cust.ID() || inst.Int("position") != 1 {
		t.Errorf("instalment kept by the hook: %v", inst)
	}
	c = must(w.cs.Sign(ctx, w.Rep1, c.ID(), contracts.SignInput{SignedOn: "2026-11-20"}))
	for field, v := range map[string]any{"amount": int64(1), "terms": "改", "scope": "改", "title": "改", "payment_method": "cash"} {
		if _, err := r.Update(ctx, w.Rep1, "contract", c.ID(), 0, entity.Record{field: v}); code(err) != "contract_locked" {
			t.Errorf("%s of a signed contract: %v", field, err)
		}
	}
	if _, err := r.Update(ctx, w.Rep1, "contract", c.ID(), 0, entity.Record{"service_owner_id": nil}); code(err) != "service_owner_id:required" {
		t.Errorf("a signed contract's recipient removed: %v", err)
	}
	c = must(r.Update(ctx, w.Rep1, "contract", c.ID(), 0, entity.Record{"renewal_date": "2027-10-01"}))
	if _, err := w.cs.ReplacePlan(ctx, w.Rep1, c.ID(), 0, []crm.PlanRow{{Kind: "advance", DueDate: "2026-12-01", Amount: c.Int("amount")}}); code(err) != "contract_locked" {
		t.Errorf("replace a signed plan: %v", err)
	}
	if _, err := r.Update(ctx, w.Finance, "payment_instalment", inst.ID(), 0, entity.Record{"amount": int64(1)}); code(err) != "contract_locked" {
		t.Errorf("finance changes a signed plan's amount: %v", err)
	}
	if _, err := r.Create(ctx, w.Rep1, "payment_instalment", entity.Record{"contract_id": c.ID(), "position": int64(3), "kind": "other", "due_date": "2027-01-01", "amount": int64(5)}); code(err) != "contract_locked" {
		t.Errorf("add to a signed plan: %v", err)
	}
	if err := r.Delete(ctx, w.Rep1, "payment_instalment", inst.ID(), 0); code(err) != "contract_locked" {
		t.Errorf("remove from a signed plan: %v", err)
	}
	// What invoices and payments keep is theirs to write.
	if err := w.App.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := r.SetTx(ctx, tx, w.Finance, w.App.DB.Schema().Entity("payment_instalment"), inst, entity.Record{"invoiced_amount": int64(100), "status": crm.InstalmentPartly})
		return err
	}); err != nil {
		t.Errorf("finance keeps invoiced amounts: %v", err)
	}
	if err := r.Delete(ctx, w.Rep1, "contract", c.ID(), 0); code(err) != "contract_signed_kept" {
		t.Errorf("delete a signed contract: %v", err)
	}
	if _, err := w.cs.Complete(ctx, w.Rep1, c.ID(), 0); code(err) != "contract_not_in_execution" {
		t.Errorf("complete before execution: %v", err)
	}
	c = must(w.cs.Start(ctx, w.Rep1, c.ID(), c.Version()))
	if c.Str("status") != crm.ContractInExecution {
		t.Errorf("started: %s", c.Str("status"))
	}
	if _, err := w.cs.Terminate(ctx, w.Rep1, c.ID(), 0, "  "); code(err) != "reason:required" {
		t.Errorf("terminate without a reason: %v", err)
	}
	if _, err := w.cs.Terminate(ctx, w.Delivery, c.ID(), 0, "客户破产"); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("delivery terminates: %v", err)
	}
	c = must(w.cs.Terminate(ctx, w.Manager, c.ID(), 0, "客户资金链断裂，双方协商终止"))
	if c.Str("status") != crm.ContractTerminated || c.Str("terminated_reason") != "客户资金链断裂，双方协商终止" || c["terminated_at"] == nil {
		t.Errorf("terminated %v", c)
	}
	if _, err := w.cs.Start(ctx, w.Rep1, c.ID(), 0); code(err) != "contract_not_signed" {
		t.Errorf("start a terminated contract: %v", err)
	}
	if _, err := w.cs.Terminate(ctx, w.Rep1, c.ID(), 0, "再次"); code(err) != "contract_not_terminable" {
		t.Errorf("terminate twice: %v", err)
	}
	ev := w.events(t, w.Cust.ID())
	for _, k := range []string{"contract_created_from_quote", "contract_signed", "handover_written", "contract_started", "contract_terminated"} {
		if !slices.Contains(ev, k) {
			t.Errorf("timeline lacks %s: %v", k, ev)
		}
	}
	// An audited termination: who and why.
	log, err := w.App.DB.AuditLog(ctx, store.AuditFilter{Entity: "contract", RecordID: c.ID()})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range log {
		if ch, ok := e.Changes["terminated_reason"]; ok && e.ActorID == w.Manager.UserID && ch.New == "客户资金链断裂，双方协商终止" {
			found = true
		}
	}
	if !found {
		t.Errorf("termination not audited")
	}
	// A second contract completes.
	d := must(r.Create(ctx, w.Rep1, "contract", entity.Record{"title": "备件", "customer_id": w.Cust.ID(), "amount": int64(10000)}))
	d = w.ready(t, w.Rep1, d, w.Delivery.UserID, w.Delivery.UserID)
	d = must(w.cs.Sign(ctx, w.Rep1, d.ID(), contracts.SignInput{SignedOn: "2026-11-20", SignerContactID: w.Contact1.ID()}))
	d = must(w.cs.Start(ctx, w.Rep1, d.ID(), 0))
	if d = must(w.cs.Complete(ctx, w.Rep1, d.ID(), 0)); d.Str("status") != crm.ContractCompleted {
		t.Errorf("completed: %s", d.Str("status"))
	}
}

func TestPaymentPlanReplacedAsAWhole(t *testing.T) {
	must := mustFor(t)
	w := newWorld(t)
	c := must(w.App.Records.Create(ctx, w.Rep1, "contract", entity.Record{"title": "MES", "customer_id": w.Cust.ID(), "amount": int64(10000001)}))
	rows, err := w.cs.ProposePlan(ctx, w.Rep1, c.ID(), "2026-12-01", []crm.PlanPart{{PercentBP: 3000}, {PercentBP: 6000, Days: 90}, {PercentBP: 1000, Days: 365}})
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Amount != 3000000 || rows[1].Amount != 6000001 || rows[2].Amount != 1000000 || rows[2].DueDate != "2027-12-01" {
		t.Errorf("proposal %+v", rows)
	}
	bad := []crm.PlanRow{{Kind: "advance", DueDate: "2026-12-01", Amount: 3000000}, {Kind: "nonsense", DueDate: "2026-11-01", Amount: 0}}
	err = func() error { _, err := w.cs.ReplacePlan(ctx, w.Rep1, c.ID(), 0, bad); return err }()
	e := errs.As(err)
	if e == nil || len(e.Fields) != 3 || e.Fields[0].Field != "instalments[1].kind" {
		t.Fatalf("every row problem named: %v", err)
	}
	pl, err := w.cs.ReplacePlan(ctx, w.Rep1, c.ID(), c.Version(), rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Instalments) != 3 || pl.Sum != 10000001 || pl.Instalments[1].Str("label") != "第2期 验收款" || pl.Instalments[2].Str("label") != "第3期 质保金" {
		t.Errorf("plan %v", pl.Instalments)
	}
	if pl.Contract.Version() == c.Version() {
		t.Errorf("a new plan moves the contract's version")
	}
	if _, err := w.cs.ReplacePlan(ctx, w.Rep1, c.ID(), c.Version(), rows); code(err) != "stale_version" {
		t.Errorf("a second editor on an old page: %v", err)
	}
	// Fewer rows: the surplus goes (soft-deleted, audited), ids reused.
	first := pl.Instalments[0].ID()
	pl, err = w.cs.ReplacePlan(ctx, w.Finance, c.ID(), pl.Contract.Version(), []crm.PlanRow{{Kind: "advance", DueDate: "2026-12-01", Amount: 5000001}, {Kind: "on_acceptance", DueDate: "2027-03-01", Amount: 5000000, Condition: "终验合格"}})
	if err != nil {
		t.Fatalf("finance keeps plans: %v", err)
	}
	if len(pl.Instalments) != 2 || pl.Instalments[0].ID() != first || pl.Instalments[1].Str("condition") != "终验合格" {
		t.Errorf("replaced %v", pl.Instalments)
	}
	var n int
	if err := w.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM payment_instalments WHERE contract_id = $1 AND deleted_at IS NOT NULL`, c.ID()).Scan(&n); err != nil || n != 1 {
		t.Errorf("removed rows %d %v", n, err)
	}
	// Unchanged: nothing written, the version stays.
	v := pl.Contract.Version()
	pl, err = w.cs.ReplacePlan(ctx, w.Rep1, c.ID(), v, []crm.PlanRow{{Kind: "advance", DueDate: "2026-12-01", Amount: 5000001}, {Kind: "on_acceptance", DueDate: "2027-03-01", Amount: 5000000, Condition: "终验合格"}})
	if err != nil || pl.Contract.Version() != v {
		t.Errorf("same plan again: %v, version %d → %d", err, v, pl.Contract.Version())
	}
	if _, err := w.cs.ReplacePlan(ctx, w.Rep2, c.ID(), 0, rows); errs.KindOf(err) != errs.NotFound {
		t.Errorf("another rep's contract: %v", err)
	}
	if _, err := w.cs.ReplacePlan(ctx, w.Delivery, c.ID(), 0, rows); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("delivery reads but keeps no plans: %v", err)
	}
}

func TestHandoverAtSigning(t *testing.T) {
	must := mustFor(t)
	w := newWorld(t)
	w.accept(t, w.Quote)
	c := must(w.cs.CreateFromQuote(ctx, w.Rep1, w.Quote.ID(), contracts.FromQuote{}))
	c = must(w.App.Records.Update(ctx, w.Rep1, "contract", c.ID(), 0, entity.Record{"special_requirements": "产线不停产施工，夜间作业", "payment_method": "bank_transfer"}))
	// The after-sales owner here is a sales colleague: the hand-over gives
	// them access to the report and the contract.
	c = w.ready(t, w.Rep1, c, w.Delivery.UserID, w.Rep2.UserID)
	if _, err := w.App.Records.Get(ctx, w.Rep2, "contract", c.ID()); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("a colleague sees the draft: %v", err)
	}
	c = must(w.cs.Sign(ctx, w.Rep1, c.ID(), contracts.SignInput{SignedOn: "2026-11-20"}))
	// Signing wins the deal: the opportunity closes as won, the customer is 成交.
	opp := must(w.App.Records.Get(ctx, w.Rep1, "opportunity", c.Str("opportunity_id")))
	cust := must(w.App.Records.Get(ctx, w.Rep1, "customer", c.Str("customer_id")))
	if opp.Str("status") != crm.OppWon || opp.Int("probability") != 100 || cust.Str("status") != crm.StatusWon {
		t.Errorf("after signing: opportunity %s (%d %%), customer %s", opp.Str("status"), opp.Int("probability"), cust.Str("status"))
	}
	h, err := w.cs.HandoverOf(ctx, w.Rep1, c.ID())
	if err != nil {
		t.Fatal(err)
	}
	rp, err := w.cs.Report(ctx, w.Delivery, h.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if h.Str("pain_points") != "换线时间长，质量追溯靠纸质记录" || h.Str("latent_needs") != "设备联网与 OEE" || h.Str("budget_range") != "100-150 万" {
		t.Errorf("needs analysis: %v", h)
	}
	if !strings.Contains(h.Str("solution_highlights"), "换线时间缩短 40%") || rp.Sections.Solution == nil || rp.Sections.Solution.Title != "MES 总体方案" {
		t.Errorf("solution: %q %+v", h.Str("solution_highlights"), rp.Sections.Solution)
	}
	if h.Str("special_requirements") != "产线不停产施工，夜间作业" {
		t.Errorf("special requirements: %q", h.Str("special_requirements"))
	}
	var promised []string
	for _, p := range rp.Sections.Promises {
		promised = append(promised, p.Text)
	}
	for _, want := range []string{"预付 30%，到货 60%，验收 10%", "合同签订后 60 天", "驻场实施 3 个月，培训 20 人次", "质保两年，4 小时响应", "免费提供二期调研"} {
		if !slices.Contains(promised, want) {
			t.Errorf("promise %q missing: %v", want, promised)
		}
	}
	var names []string
	for _, ct := range rp.Sections.Contacts {
		names = append(names, ct.Name+"/"+ct.Role)
	}
	if !slices.Equal(names, []string{"周建国/decision_maker", "吴敏/technical_lead"}) || !rp.Sections.Contacts[0].Signer || rp.Sections.Contacts[0].Title != "总经理" {
		t.Errorf("contacts %v %+v", names, rp.Sections.Contacts)
	}
	if len(rp.Sections.Competitors) != 1 || rp.Sections.Competitors[0].Name != "西门子（中国）有限公司" || rp.Sections.Competitors[0].Threat != "high" {
		t.Errorf("competitors %+v", rp.Sections.Competitors)
	}
	var risks []string
	for _, r := range rp.Sections.Risks {
		risks = append(risks, r.Kind)
	}
	for _, want := range []string{"presales_open", "contact_do_not_contact", "competitor_threat", "contact_opponent"} {
		if !slices.Contains(risks, want) {
			t.Errorf("risk %s missing: %v", want, risks)
		}
	}
	if len(rp.Sections.Contract.Plan) != 2 || rp.Sections.Contract.Plan[1].Label != "第2期 到货款" {
		t.Errorf("plan in the report %+v", rp.Sections.Contract.Plan)
	}
	for _, want := range []string{"换线时间长", "免费提供二期调研", "周建国", "西门子", "二期设备联网调研"} {
		if !strings.Contains(rp.Body, want) {
			t.Errorf("report text lacks %q", want)
		}
	}
	if len(rp.Recipients) != 2 || rp.Recipients[0].Acknowledged || rp.Recipients[1].Acknowledged {
		t.Errorf("recipients %+v", rp.Recipients)
	}
	// Readers: recipients (through the grant), delivery, service, finance;
	// not a rep of another team, not before signing.
	for _, p := range []*access.Principal{w.Rep2, w.Delivery, w.Delivery2, w.Service, w.Finance, w.Manager, w.Admin} {
		if _, err := w.App.Records.Get(ctx, p, "handover", h.ID()); err != nil {
			t.Errorf("%s reads the hand-over: %v", p.Name, err)
		}
	}
	if _, err := w.App.Records.Get(ctx, w.Rep2, "contract", c.ID()); err != nil {
		t.Errorf("the recipient reads the contract: %v", err)
	}
	hits, err := w.App.Records.Search(ctx, w.Rep2, "客户需求总结报告", []string{"handover"}, 10)
	if err != nil || len(hits) != 1 {
		t.Errorf("the recipient finds it: %v %v", hits, err)
	}
	if _, err := w.App.Records.Get(ctx, w.Rep3, "handover", h.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("another team's rep: %v", err)
	}
	// Notified in the signing transaction.
	var n int
	if err := w.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE kind = 'handover_pending' AND record_id = $1 AND user_id IN ($2, $3)`, h.ID(), w.Delivery.UserID, w.Rep2.UserID).Scan(&n); err != nil || n != 2 {
		t.Errorf("notifications %d %v", n, err)
	}
	// Nobody makes one by hand.
	if _, err := w.App.Records.Create(ctx, w.Admin, "handover", entity.Record{}); code(err) != "handover_by_signing" && errs.KindOf(err) != errs.Forbidden {
		t.Errorf("hand-over by hand: %v", err)
	}
	if latest, err := w.cs.LatestHandover(ctx, w.App.DB.R(), w.Cust.ID()); err != nil || latest == nil || latest.ID() != h.ID() {
		t.Errorf("latest hand-over of the customer: %v %v", latest, err)
	}
	if none, err := w.cs.LatestHandover(ctx, w.App.DB.R(), w.Other.Str("customer_id")); err != nil || none != nil {
		t.Errorf("a customer without: %v %v", none, err)
	}
	evs, err := w.cs.OpportunityEvents(ctx, w.Rep1, w.Opp.ID(), 50)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	for _, k := range []string{"handover_written", "contract_signed", "contract_created_from_quote"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("opportunity's story lacks %s: %v", k, kinds)
		}
	}
}

func TestAcknowledgementIsOfAVersion(t *testing.T) {
	must := mustFor(t)
	w := newWorld(t)
	c := must(w.App.Records.Create(ctx, w.Rep1, "contract", entity.Record{"title": "MES", "customer_id": w.Cust.ID(), "opportunity_id": w.Opp.ID(), "amount": int64(100000)}))
	c = w.ready(t, w.Rep1, c, w.Delivery.UserID, w.Service.UserID)
	c = must(w.cs.Sign(ctx, w.Rep1, c.ID(), contracts.SignInput{SignedOn: "2026-11-20", SignerContactID: w.Contact1.ID()}))
	h := must(w.cs.HandoverOf(ctx, w.Rep1, c.ID()))
	pending := func(p *access.Principal) []string {
		t.Helper()
		rs, err := w.cs.Pending(ctx, p, 20)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID())
		}
		return ids
	}
	if got := pending(w.Delivery); !slices.Equal(got, []string{h.ID()}) {
		t.Errorf("delivery's pending %v", got)
	}
	for _, p := range []*access.Principal{w.Delivery2, w.Rep1, w.Manager, w.Finance} {
		if got := pending(p); len(got) != 0 {
			t.Errorf("%s is no recipient but has %v pending", p.Name, got)
		}
	}
	if _, err := w.cs.Acknowledge(ctx, w.Delivery2, h.ID(), 0, ""); code(err) != "handover_not_recipient" {
		t.Errorf("another coordinator acknowledges: %v", err)
	}
	if _, err := w.cs.Acknowledge(ctx, w.Rep3, h.ID(), 0, ""); errs.KindOf(err) != errs.NotFound {
		t.Errorf("someone who cannot read it: %v", err)
	}
	h1, err := w.cs.Acknowledge(ctx, w.Delivery, h.ID(), h.Version(), "已阅，排产中")
	if err != nil {
		t.Fatal(err)
	}
	if h1.Str("ack_status") != crm.AckPartly || h1.Version() != h.Version() {
		t.Errorf("after one of two: %s, version %d → %d", h1.Str("ack_status"), h.Version(), h1.Version())
	}
	if _, err := w.cs.Acknowledge(ctx, w.Delivery, h.ID(), 0, ""); code(err) != "handover_already_acknowledged" || errs.KindOf(err) != errs.Conflict {
		t.Errorf("twice: %v", err)
	}
	if got := pending(w.Delivery); len(got) != 0 {
		t.Errorf("acknowledged but pending: %v", got)
	}
	// The other recipient's open page (same version) still acknowledges.
	if h2, err := w.cs.Acknowledge(ctx, w.Service, h.ID(), h.Version(), ""); err != nil || h2.Str("ack_status") != crm.AckAcknowledged {
		t.Fatalf("second recipient: %v %v", err, h2)
	}
	// Only the owner (and managers) edit; an edit is a new version, asked again.
	if _, err := w.App.Records.Update(ctx, w.Delivery, "handover", h.ID(), 0, entity.Record{"pain_points": "改"}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("delivery edits the report: %v", err)
	}
	if _, err := w.App.Records.Update(ctx, w.Rep1, "handover", h.ID(), 0, entity.Record{"version_no": int64(9)}); code(err) != "version_no:read_only" {
		t.Errorf("version typed in: %v", err)
	}
	h = w.get(t, w.Rep1, "handover", h.ID())
	v2, err := w.App.Records.Update(ctx, w.Rep1, "handover", h.ID(), h.Version(), entity.Record{"pain_points": "换线时间长；追溯靠纸质记录；夜班人手不足", "other_promises": "口头承诺：首年两次免费巡检"})
	if err != nil {
		t.Fatal(err)
	}
	if v2.Int("version_no") != 2 || v2.Str("ack_status") != crm.AckPending || !strings.Contains(v2.Str("body"), "首年两次免费巡检") {
		t.Errorf("edited: version %d, %s", v2.Int("version_no"), v2.Str("ack_status"))
	}
	for _, p := range []*access.Principal{w.Delivery, w.Service} {
		if got := pending(p); !slices.Equal(got, []string{h.ID()}) {
			t.Errorf("%s asked again: %v", p.Name, got)
		}
	}
	if _, err := w.cs.Acknowledge(ctx, w.Service, h.ID(), h.Version(), ""); code(err) != "stale_version" {
		t.Errorf("acknowledging the version read before the edit: %v", err)
	}
	if _, err := w.cs.Acknowledge(ctx, w.Service, h.ID(), v2.Version(), ""); err != nil {
		t.Fatal(err)
	}
	rp, err := w.cs.Report(ctx, w.Finance, h.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rp.Versions) != 2 || rp.VersionNo != 2 {
		t.Errorf("versions %+v", rp.Versions)
	}
	byUser := map[string]contracts.Recipient{}
	for _, r := range rp.Recipients {
		byUser[r.UserID] = r
	}
	if d, s := byUser[w.Delivery.UserID], byUser[w.Service.UserID]; d.Acknowledged || d.LastVersion != 1 || !s.Acknowledged || s.LastVersion != 2 || d.Comment != "已阅，排产中" {
		t.Errorf("recipients %+v", rp.Recipients)
	}
	if rp.Handover.Str("ack_status") != crm.AckPartly {
		t.Errorf("state %s", rp.Handover.Str("ack_status"))
	}
	old, err := w.cs.Report(ctx, w.Delivery, h.ID(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if old.Current || old.VersionNo != 1 || old.Content.Str("pain_points") != "换线时间长，质量追溯靠纸质记录" || strings.Contains(old.Body, "首年两次免费巡检") {
		t.Errorf("version 1 as it was: %+v", old.Content)
	}
	if _, err := w.cs.Report(ctx, w.Delivery, h.ID(), 7); errs.KindOf(err) != errs.NotFound {
		t.Errorf("a version that never was: %v", err)
	}
	// Reassigning the contract hands the report over with it.
	if _, err := w.App.Customers.Assign(ctx, w.Manager, "contract", []string{c.ID()}, w.Rep2.UserID); err != nil {
		t.Fatal(err)
	}
	if hh := w.get(t, w.Rep2, "handover", h.ID()); hh.Str("owner_id") != w.Rep2.UserID {
		t.Errorf("hand-over owner after reassigning the contract: %s", hh.Str("owner_id"))
	}
	// A new delivery owner receives it; the old one loses the grant.
	if _, err := w.App.Records.Update(ctx, w.Rep2, "contract", c.ID(), 0, entity.Record{"delivery_owner_id": w.Delivery2.UserID}); err != nil {
		t.Fatal(err)
	}
	if got := pending(w.Delivery2); !slices.Equal(got, []string{h.ID()}) {
		t.Errorf("new delivery owner's pending %v", got)
	}
	if got := pending(w.Delivery); len(got) != 0 {
		t.Errorf("former delivery owner still asked: %v", got)
	}
	if _, err := w.cs.Acknowledge(ctx, w.Delivery2, h.ID(), 0, ""); err != nil {
		t.Fatal(err)
	}
	if hh := w.get(t, w.Finance, "handover", h.ID()); hh.Str("ack_status") != crm.AckAcknowledged || hh.Str("delivery_owner_id") != w.Delivery2.UserID {
		t.Errorf("after the new owner: %s %s", hh.Str("ack_status"), hh.Str("delivery_owner_id"))
	}
	ev := w.events(t, w.Cust.ID())
	if n := countOf(ev, "handover_acknowledged"); n != 4 || !slices.Contains(ev, "handover_revised") {
		t.Errorf("timeline %v", ev)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// With the approvals mechanism: an admin's rule on contracts over 5,000.00
// sends a rep's contract to the manager before it may be signed; the
// manager's approval makes it signable; a change afterwards withdraws it.
func TestContractApprovalThroughApprovals(t *testing.T) {
	w := newWorld(t)
	must := mustFor(t)
	r := w.App.Records
	rule := must(r.Create(ctx, w.Admin, "approval_rule", entity.Record{"name": "大额合同需经理审批", "doc_type": "contract",
		"fact": "amount_fen", "op": crm.OpGt, "value": "500000", "level": int64(1)}))
	must(r.Create(ctx, w.Admin, "approval_rule_step", entity.Record{"rule_id": rule.ID(), "position": int64(1), "role": access.RoleManager}))
	c := must(r.Create(ctx, w.Rep1, "contract", entity.Record{"title": "产线改造", "customer_id": w.Cust.ID(), "amount": int64(800000), "signer_contact_id": w.Contact1.ID()}))
	c = w.ready(t, w.Rep1, c, w.Delivery.UserID, w.Service.UserID)
	today := time.Now().In(w.App.Loc).Format("2006-01-02")
	if _, err := w.cs.Sign(ctx, w.Rep1, c.ID(), contracts.SignInput{SignedOn: today}); code(err) != "contract_needs_approval" {
		t.Fatalf("sign before approval: %v", err)
	}
	// A manager signs within their own authority.
	if cl, err := w.cs.Checklist(ctx, w.Manager, c.ID()); err != nil || cl.NeedsApproval {
		t.Errorf("the manager's own authority: %+v %v", cl, err)
	}
	if _, err := w.cs.Submit(ctx, w.Rep1, c.ID(), 0, ""); code(err) != "reason:approval_reason_required" {
		t.Errorf("submit without a reason: %v", err)
	}
	c = must(w.cs.Submit(ctx, w.Rep1, c.ID(), 0, "首次合作客户，金额较大"))
	if c.Str("status") != crm.ContractInApproval {
		t.Fatalf("status %s", c.Str("status"))
	}
	ap, err := w.App.Approvals.Current(ctx, w.App.DB.R(), "contract", c.ID())
	if err != nil || ap == nil || ap.Facts["amount_fen"] == nil {
		t.Fatalf("approval %+v %v", ap, err)
	}
	if _, err := w.App.Approvals.Approve(ctx, w.Manager, ap.ID, 0, "同意签订"); err != nil {
		t.Fatal(err)
	}
	c = w.get(t, w.Rep1, "contract", c.ID())
	if c.Str("status") != crm.ContractDraft || c["approved_at"] == nil {
		t.Fatalf("after the manager's approval: %s %v", c.Str("status"), c["approved_at"])
	}
	if cl, err := w.cs.Checklist(ctx, w.Rep1, c.ID()); err != nil || !cl.CanSign || !cl.Approved {
		t.Errorf("approved checklist: %+v %v", cl, err)
	}
	// A change after approval withdraws it.
	c = must(r.Update(ctx, w.Rep1, "contract", c.ID(), 0, entity.Record{"scope": "增加一条产线"}))
	if c["approved_at"] != nil {
		t.Error("still approved after a change")
	}
	if ap, _ = w.App.Approvals.Current(ctx, w.App.DB.R(), "contract", c.ID()); ap == nil || ap.Status != crm.ApprovalCancelled {
		t.Errorf("approval after the change: %+v", ap)
	}
	c = must(w.cs.ConfirmTerm(ctx, w.Rep1, c.ID(), 0, "scope", true))
	c = must(w.cs.Submit(ctx, w.Rep1, c.ID(), 0, "范围调整后重新审批"))
	ap, _ = w.App.Approvals.Current(ctx, w.App.DB.R(), "contract", c.ID())
	if _, err := w.App.Approvals.Reject(ctx, w.Manager, ap.ID, 0, "价格偏低"); err != nil {
		t.Fatal(err)
	}
	if c = w.get(t, w.Rep1, "contract", c.ID()); c.Str("status") != crm.ContractDraft || c["approved_at"] != nil {
		t.Errorf("after a rejection: %s %v", c.Str("status"), c["approved_at"])
	}
	ev := w.events(t, w.Cust.ID())
	for _, k := range []string{"contract_submitted", "contract_approval_approved", "contract_approval_rejected"} {
		if !slices.Contains(ev, k) {
			t.Errorf("timeline lacks %s", k)
		}
	}
}
