package customers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/customers"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
)

var ctx = context.Background()

func code(err error) string {
	if err == nil {
		return ""
	}
	e := errs.As(err)
	if e == nil {
		return "internal: " + err.Error()
	}
	if len(e.Fields) > 0 {
		return e.Fields[0].Code
	}
	return e.Code
}

func mustCreate(t *testing.T, f *apptest.Fixture, p *access.Principal, ent string, rec entity.Record) entity.Record {
	t.Helper()
	r, err := f.App.Records.Create(records.AllowDuplicates(ctx), p, ent, rec)
	if err != nil {
		t.Fatalf("create %s: %v", ent, err)
	}
	return r
}

func TestLeadConversionCarriesHistory(t *testing.T) {
	f := apptest.NewFixture(t)
	r := f.App.Records
	lead := mustCreate(t, f, f.Rep1, "lead", entity.Record{"name": "张伟", "company": "苏州恒瑞精密机械有限公司", "phone": "13912345678", "source": "exhibition", "title": "技术总监"})
	if lead.Str("status") != crm.LeadNew {
		t.Fatalf("status %q", lead.Str("status"))
	}
	act := mustCreate(t, f, f.Rep1, "activity", entity.Record{"kind": "call", "subject": "展会后电话回访", "lead_id": lead.ID(),
		"occurred_at": time.Now().Add(-2 * time.Hour), "next_step": "发送方案", "next_step_due": time.Now().Format("2006-01-02")})

	// People may not mark a lead converted by editing it.
	if _, err := r.Update(ctx, f.Rep1, "lead", lead.ID(), 1, entity.Record{"status": crm.LeadConverted}); code(err) != "lead_status_move" {
		t.Fatalf("direct conversion: %v", err)
	}
	// Disqualifying needs a reason.
	if _, err := r.Update(ctx, f.Rep1, "lead", lead.ID(), 1, entity.Record{"status": crm.LeadDisqualified}); code(err) != "required" {
		t.Fatalf("disqualify without reason: %v", err)
	}
	q, err := r.Update(ctx, f.Rep1, "lead", lead.ID(), 1, entity.Record{"status": crm.LeadQualified})
	if err != nil {
		t.Fatal(err)
	}
	if q.Version() != 2 {
		t.Fatalf("version %d", q.Version())
	}

	res, err := f.App.Customers.Convert(ctx, f.Rep1, lead.ID(), customers.ConvertInput{Contact: entity.Record{"decision_role": "technical_lead"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.CustomerID == "" || res.ContactID == "" {
		t.Fatalf("result %+v", res)
	}
	cust, err := r.Get(ctx, f.Rep1, "customer", res.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if cust.Str("name") != "苏州恒瑞精密机械有限公司" || cust.Str("source") != "exhibition" || cust.Str("owner_id") != f.Rep1.UserID {
		t.Errorf("customer %v", cust)
	}
	if cust.Time("last_followup_at").IsZero() {
		t.Error("the lead's call should count as the customer's last follow-up")
	}
	contact, err := r.Get(ctx, f.Rep1, "contact", res.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	if contact.Str("name") != "张伟" || contact.Str("phone") != "13912345678" || contact.Str("decision_role") != "technical_lead" || !contact.Bool("is_primary") {
		t.Errorf("contact %v", contact)
	}
	moved, err := r.Get(ctx, f.Rep1, "activity", act.ID())
	if err != nil {
		t.Fatal(err)
	}
	if moved.Str("customer_id") != res.CustomerID || moved.Str("contact_id") != res.ContactID {
		t.Errorf("activity not moved: %v", moved)
	}
	tl, err := f.App.Customers.Timeline(ctx, f.Rep1, "customer", res.CustomerID, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, it := range tl {
		kinds[it.Kind] = true
	}
	for _, k := range []string{"activity", "converted", "lead_created", "created", "contact_added"} {
		if !kinds[k] {
			t.Errorf("timeline lacks %q: %v", k, kinds)
		}
	}
	l2, _ := r.Get(ctx, f.Rep1, "lead", lead.ID())
	if l2.Str("status") != crm.LeadConverted || l2.Str("converted_customer_id") != res.CustomerID {
		t.Errorf("lead after conversion %v", l2)
	}
	if _, err := f.App.Customers.Convert(ctx, f.Rep1, lead.ID(), customers.ConvertInput{}); code(err) != "lead_not_convertible" {
		t.Errorf("second conversion: %v", err)
	}
	// Another rep cannot convert (or even see) the lead.
	lead2 := mustCreate(t, f, f.Rep1, "lead", entity.Record{"name": "刘强", "source": "web"})
	if _, err := f.App.Customers.Convert(ctx, f.Rep2, lead2.ID(), customers.ConvertInput{}); errs.KindOf(err) != errs.NotFound {
		t.Errorf("rep2 converting rep1's lead: %v", err)
	}
	// Converting a person without a company links to an existing customer.
	res2, err := f.App.Customers.Convert(ctx, f.Rep1, lead2.ID(), customers.ConvertInput{CustomerID: res.CustomerID})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Created || res2.CustomerID != res.CustomerID {
		t.Errorf("link result %+v", res2)
	}
	c2, _ := r.Get(ctx, f.Rep1, "contact", res2.ContactID)
	if c2.Bool("is_primary") {
		t.Error("a second contact must not become primary automatically")
	}
}

func TestDuplicatesAreShownBeforeSaving(t *testing.T) {
	f := apptest.NewFixture(t)
	r := f.App.Records
	orig := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "北京华为技术有限公司", "phone": "01088886666"})
	cases := []struct {
		name string
		rec  entity.Record
	}{
		{"legal form dropped", entity.Record{"name": "北京华为技术"}},
		{"parenthesised part", entity.Record{"name": "北京华为技术（有限公司）"}},
		{"spaces and case", entity.Record{"name": " 北京 华为技术 股份有限公司 "}},
		{"same phone", entity.Record{"name": "别的名字", "phone": "010-8888-6666"}},
	}
	for _, c := range cases {
		parsed := entity.Record{}
		for k, v := range c.rec {
			val, fe := r.Schema().ParseText(r.Schema().Entity("customer").Field(k), v.(string))
			if fe != nil {
				t.Fatal(fe)
			}
			parsed[k] = val
		}
		_, err := r.Create(ctx, f.Rep2, "customer", parsed)
		e := errs.As(err)
		if e == nil || e.Code != "possible_duplicate" {
			t.Errorf("%s: want possible_duplicate, got %v", c.name, err)
			continue
		}
		ds, _ := e.Data.([]customers.Duplicate)
		if len(ds) == 0 || ds[0].ID != orig.ID() || ds[0].Owner != "张伟" {
			t.Errorf("%s: candidates %+v", c.name, ds)
		}
	}
	// Confirmed: saved anyway.
	if _, err := r.Create(records.AllowDuplicates(ctx), f.Rep2, "customer", entity.Record{"name": "北京华为技术"}); err != nil {
		t.Errorf("allow duplicate: %v", err)
	}
	// Contacts by phone and e-mail; leads against customers.
	mustCreate(t, f, f.Rep1, "contact", entity.Record{"customer_id": orig.ID(), "name": "李强", "phone": "13800001111", "email": "li@huawei.example"})
	if _, err := r.Create(ctx, f.Rep1, "contact", entity.Record{"customer_id": orig.ID(), "name": "李强2", "email": "li@huawei.example"}); code(err) != "possible_duplicate" {
		t.Errorf("contact e-mail duplicate: %v", err)
	}
	ds, err := f.App.Customers.Duplicates(ctx, f.Rep3, "lead", entity.Record{"name": "王五", "company": "北京华为技术有限公司", "phone": "13800001111"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) < 2 {
		t.Errorf("lead duplicates: %+v", ds)
	}
}

func TestPoolClaimReleaseCapCooldown(t *testing.T) {
	f := apptest.NewFixture(t)
	cs := f.App.Customers
	c := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "杭州海康威视数字技术股份有限公司", "level": "B"})
	if c.Time("pool_due_at").IsZero() {
		t.Fatal("an owned customer must have a pool deadline")
	}
	if _, err := cs.Release(ctx, f.Rep2, "customer", c.ID(), "no_progress"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("rep2 releasing rep1's customer: %v", err)
	}
	if _, err := cs.Release(ctx, f.Rep1, "customer", c.ID(), ""); code(err) != "required" {
		t.Errorf("release without reason: %v", err)
	}
	rel, err := cs.Release(ctx, f.Rep1, "customer", c.ID(), "no_progress")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Str("owner_id") != "" || rel.Str("released_by") != f.Rep1.UserID || rel.Str("release_reason") != "no_progress" || rel["pool_due_at"] != nil {
		t.Fatalf("released %v", rel)
	}
	// The previous owner waits out the cool-down; another rep may claim.
	if _, err := cs.Claim(ctx, f.Rep1, "customer", c.ID()); code(err) != "pool_cooldown" {
		t.Errorf("claim during cool-down: %v", err)
	}
	got, err := cs.Claim(ctx, f.Rep2, "customer", c.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Str("owner_id") != f.Rep2.UserID || got.Str("team_id") != f.NorthSales || got.Time("pool_due_at").IsZero() {
		t.Errorf("claimed %v", got)
	}
	if _, err := cs.Claim(ctx, f.Rep3, "customer", c.ID()); errs.KindOf(err) != errs.NotFound && code(err) != "pool_already_owned" {
		t.Errorf("claiming an owned record: %v", err)
	}
	// The cap: with a cap of 1, a rep who holds one open customer cannot claim another.
	rules, st, _ := cs.PoolRules(ctx, f.DB().R())
	st.ClaimCap = 1
	if err := cs.SavePoolConfig(ctx, f.Rep1, customers.PoolConfig{Rules: rules, Settings: st}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep changing pool rules: %v", err)
	}
	if err := cs.SavePoolConfig(ctx, f.Admin, customers.PoolConfig{Rules: rules, Settings: st}); err != nil {
		t.Fatal(err)
	}
	other := mustCreate(t, f, f.Admin, "customer", entity.Record{"name": "无主客户", "owner_id": nil})
	if other.Str("owner_id") != "" {
		t.Fatalf("admin created into the pool: %v", other)
	}
	if _, err := cs.Claim(ctx, f.Rep2, "customer", other.ID()); code(err) != "pool_cap" {
		t.Errorf("claim over cap: %v", err)
	}
	// Presales has no pool right.
	if _, err := cs.Claim(ctx, f.Presales, "customer", other.ID()); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("presales claim: %v", err)
	}
	// A manager hands it out within the team, not outside.
	if _, err := cs.Assign(ctx, f.Manager, "customer", []string{other.ID()}, f.Rep3.UserID); code(err) != "owner_outside_team" {
		t.Errorf("assign outside team: %v", err)
	}
	if n, err := cs.Assign(ctx, f.Manager, "customer", []string{other.ID()}, f.Rep1.UserID); err != nil || n != 1 {
		t.Errorf("assign: %d %v", n, err)
	}
}

func TestPoolSweepReturnsOverdueOnce(t *testing.T) {
	f := apptest.NewFixture(t)
	cs := f.App.Customers
	d := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "逾期客户", "level": "D"})
	fresh := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "新客户", "level": "A"})
	won := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "成交客户", "level": "D", "status": "won"})
	if won["pool_due_at"] != nil {
		t.Error("a won customer must not return to the pool")
	}
	// D customers return after 15 days, with a reminder 3 days before.
	cs.SetClock(func() time.Time { return time.Now().Add(13 * 24 * time.Hour) })
	res, err := cs.SweepPool(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if res.Released != 0 || res.Reminded != 1 {
		t.Fatalf("day 13: %+v", res)
	}
	warn, err := cs.PoolWarnings(ctx, f.Rep1, 3, 50)
	if err != nil || len(warn) == 0 || warn[0].ID != d.ID() {
		t.Errorf("warnings %+v %v", warn, err)
	}
	cs.SetClock(func() time.Time { return time.Now().Add(16 * 24 * time.Hour) })
	res, err = cs.SweepPool(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if res.Released != 1 {
		t.Fatalf("day 16: %+v", res)
	}
	res, _ = cs.SweepPool(ctx, 100)
	if res.Released != 0 || res.Reminded != 0 {
		t.Errorf("a second sweep must do nothing: %+v", res)
	}
	got, _ := f.App.Records.Get(ctx, f.Admin, "customer", d.ID())
	if got.Str("owner_id") != "" || got.Str("release_reason") != "auto" || got.Str("released_by") != f.Rep1.UserID {
		t.Errorf("swept %v", got)
	}
	still, _ := f.App.Records.Get(ctx, f.Admin, "customer", fresh.ID())
	if still.Str("owner_id") != f.Rep1.UserID {
		t.Error("an A customer (90 days) must not be swept on day 16")
	}
	var notes int
	f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1`, f.Rep1.UserID).Scan(&notes)
	if notes != 2 {
		t.Errorf("%d notifications, want a warning and a return notice", notes)
	}
}

func TestFollowupResetsPoolClock(t *testing.T) {
	f := apptest.NewFixture(t)
	c := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "跟进客户", "level": "C"})
	due := c.Time("pool_due_at")
	when := time.Now().Add(time.Hour).Add(-time.Minute) // recent, in the past relative to the clock below
	f.App.Customers.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	mustCreate(t, f, f.Rep1, "activity", entity.Record{"kind": "visit", "subject": "上门拜访", "customer_id": c.ID(), "occurred_at": when})
	got, _ := f.App.Records.Get(ctx, f.Rep1, "customer", c.ID())
	if !got.Time("pool_due_at").After(due) {
		t.Errorf("pool deadline %v not moved past %v", got.Time("pool_due_at"), due)
	}
	if got.Version() != c.Version() {
		t.Error("derived follow-up fields must not bump the version")
	}
}

func TestMergeMovesEveryLink(t *testing.T) {
	f := apptest.NewFixture(t)
	keep := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "广州白云山医药集团股份有限公司"})
	other := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "白云山医药", "region": "广州", "tags": []string{"医药"}})
	ct := mustCreate(t, f, f.Rep1, "contact", entity.Record{"customer_id": other.ID(), "name": "黄敏"})
	act := mustCreate(t, f, f.Rep1, "activity", entity.Record{"kind": "meeting", "subject": "需求交流", "customer_id": other.ID(), "occurred_at": time.Now().Add(-time.Hour)})
	if _, err := f.App.Customers.Merge(ctx, f.Rep1, keep.ID(), keep.ID()); code(err) != "merge_same" {
		t.Errorf("self merge: %v", err)
	}
	if _, err := f.App.Customers.Merge(ctx, f.Rep1, keep.ID(), other.ID()); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep without delete right merging: %v", err)
	}
	att, err := f.App.Files.Upload(ctx, f.Rep1, "customer", other.ID(), "营业执照.pdf", []byte("%PDF-1.4\n%test\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.App.Customers.Merge(ctx, f.Manager, keep.ID(), other.ID())
	if err != nil {
		t.Fatal(err)
	}
	if files, err := f.App.Files.List(ctx, f.Manager, "customer", keep.ID(), false); err != nil || len(files) != 1 || files[0].ID != att.ID {
		t.Errorf("the other customer's file did not follow: %v %v", files, err)
	}
	if res.Moved["contact"] != 1 || res.Moved["activity"] != 1 || res.Moved["attachment"] != 1 {
		t.Errorf("moved %+v", res.Moved)
	}
	r := f.App.Records
	if c, _ := r.Get(ctx, f.Manager, "contact", ct.ID()); c.Str("customer_id") != keep.ID() {
		t.Errorf("contact not moved: %v", c)
	}
	if a, _ := r.Get(ctx, f.Manager, "activity", act.ID()); a.Str("customer_id") != keep.ID() {
		t.Errorf("activity not moved: %v", a)
	}
	k, _ := r.Get(ctx, f.Manager, "customer", keep.ID())
	if k.Str("region") != "广州" || len(k.List("tags")) != 1 {
		t.Errorf("empty fields not filled: %v", k)
	}
	if _, err := r.Get(ctx, f.Manager, "customer", other.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("merged customer still visible: %v", err)
	}
	o, err := r.GetDeleted(ctx, f.Manager, "customer", other.ID())
	if err != nil || o.Str("merged_into") != keep.ID() {
		t.Errorf("merged record %v %v", o, err)
	}
	tl, _ := f.App.Customers.Timeline(ctx, f.Manager, "customer", keep.ID(), "", 50)
	found := false
	for _, it := range tl {
		found = found || it.Kind == "merged"
	}
	if !found {
		t.Error("timeline has no merge event")
	}
	hits, _ := r.Search(ctx, f.Manager, "白云山", nil, 10)
	for _, h := range hits {
		if h.ID == other.ID() {
			t.Error("a merged customer must leave the search index")
		}
	}
}

func TestConsentIsRecordedWithHistory(t *testing.T) {
	f := apptest.NewFixture(t)
	c := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "成都天府软件园有限公司"})
	ct := mustCreate(t, f, f.Rep1, "contact", entity.Record{"customer_id": c.ID(), "name": "吴芳", "phone": "13655556666"})
	if ct.Str("marketing_consent") != crm.ConsentUnknown || ct.Bool("do_not_contact") {
		t.Fatalf("defaults %v", ct)
	}
	if _, err := f.App.Records.Update(ctx, f.Rep1, "contact", ct.ID(), ct.Version(), entity.Record{"do_not_contact": true}); code(err) != "read_only" {
		t.Errorf("consent by plain edit: %v", err)
	}
	yes := true
	if _, err := f.App.Customers.RecordConsent(ctx, f.Rep1, ct.ID(), customers.ConsentInput{DoNotContact: &yes, Method: "carrier pigeon"}); code(err) != "invalid_option" {
		t.Errorf("bad method: %v", err)
	}
	got, err := f.App.Customers.RecordConsent(ctx, f.Rep1, ct.ID(), customers.ConsentInput{Consent: crm.ConsentWithdrawn, DoNotContact: &yes, Method: "phone", Note: "客户明确表示不要再打电话"})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Bool("do_not_contact") || got.Str("marketing_consent") != crm.ConsentWithdrawn {
		t.Errorf("contact %v", got)
	}
	h, err := f.App.Customers.ConsentHistory(ctx, f.Rep1, ct.ID())
	if err != nil || len(h) != 2 || h[0].Actor != "张伟" || h[0].Method != "phone" {
		t.Errorf("history %+v %v", h, err)
	}
	if _, err := f.App.Customers.ConsentHistory(ctx, f.Rep2, ct.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("rep2 reading consent history: %v", err)
	}
}

func TestFollowUpsDueTodayAndOverdue(t *testing.T) {
	f := apptest.NewFixture(t)
	c := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "武汉光谷科技有限公司"})
	loc := f.App.Loc
	today := time.Now().In(loc).Format("2006-01-02")
	yesterday := time.Now().In(loc).AddDate(0, 0, -1).Format("2006-01-02")
	tomorrow := time.Now().In(loc).AddDate(0, 0, 1).Format("2006-01-02")
	for _, d := range []string{today, yesterday, tomorrow} {
		mustCreate(t, f, f.Rep1, "activity", entity.Record{"kind": "call", "subject": "电话 " + d, "customer_id": c.ID(), "next_step": "回电", "next_step_due": d})
	}
	done := mustCreate(t, f, f.Rep1, "activity", entity.Record{"kind": "call", "subject": "已完成", "customer_id": c.ID(), "next_step": "x", "next_step_due": yesterday, "next_step_done": true})
	_ = done
	fu, err := f.App.Customers.DueFollowUps(ctx, f.Rep1, time.Now(), 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(fu.Today) != 1 || len(fu.Overdue) != 1 || fu.Overdue[0].Str("next_step_due") != yesterday {
		t.Errorf("follow-ups: today %d, overdue %d", len(fu.Today), len(fu.Overdue))
	}
	if fu2, _ := f.App.Customers.DueFollowUps(ctx, f.Rep2, time.Now(), 50); len(fu2.Today)+len(fu2.Overdue) != 0 {
		t.Error("rep2 sees rep1's follow-ups")
	}
	// A next step due date needs a next step.
	if _, err := f.App.Records.Create(ctx, f.Rep1, "activity", entity.Record{"kind": "note", "subject": "x", "customer_id": c.ID(), "next_step_due": today}); code(err) != "required" {
		t.Errorf("due date without step: %v", err)
	}
	if _, err := f.App.Records.Create(ctx, f.Rep1, "activity", entity.Record{"kind": "note", "subject": "x"}); code(err) != "customer_or_lead_required" {
		t.Errorf("activity without parent: %v", err)
	}
}

func TestVisibilityFollowsTeamsAndParents(t *testing.T) {
	f := apptest.NewFixture(t)
	r := f.App.Records
	c1 := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "北方客户", "phone": "13700001234"})
	ct := mustCreate(t, f, f.Rep1, "contact", entity.Record{"customer_id": c1.ID(), "name": "联系人甲", "phone": "13711112222"})
	c3 := mustCreate(t, f, f.Rep3, "customer", entity.Record{"name": "南方客户"})
	cases := []struct {
		who     *access.Principal
		ent, id string
		see     bool
	}{
		{f.Rep1, "customer", c1.ID(), true},
		{f.Rep2, "customer", c1.ID(), false},
		{f.Manager, "customer", c1.ID(), true},
		{f.Manager, "customer", c3.ID(), false},
		{f.Admin, "customer", c3.ID(), true},
		{f.Presales, "customer", c3.ID(), true},
		{f.Rep1, "contact", ct.ID(), true},
		{f.Rep2, "contact", ct.ID(), false},
		{f.Manager, "contact", ct.ID(), true},
		{f.Rep3, "contact", ct.ID(), false},
	}
	for _, c := range cases {
		_, err := r.Get(ctx, c.who, c.ent, c.id)
		if (err == nil) != c.see {
			t.Errorf("%s reading %s: err %v, want visible=%v", c.who.Name, c.ent, err, c.see)
		}
	}
	// Presales reads contacts masked; writing them is forbidden.
	got, _ := r.Get(ctx, f.Presales, "contact", ct.ID())
	if got.Str("phone") != "137****2222" {
		t.Errorf("masked phone %q", got.Str("phone"))
	}
	if _, err := r.Update(ctx, f.Presales, "contact", ct.ID(), ct.Version(), entity.Record{"title": "x"}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("presales edit: %v", err)
	}
	// A manager sending back the masked value changes nothing.
	upd, err := r.Update(ctx, f.Rep1, "contact", ct.ID(), ct.Version(), entity.Record{"title": "采购经理"})
	if err != nil || upd.Str("phone") != "13711112222" {
		t.Fatalf("update %v %v", upd, err)
	}
	// Moving a rep to another team moves their records with them: the old
	// team's manager no longer sees them.
	u, err := r.Get(ctx, f.Admin, "user", f.Rep1.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, f.Admin, "user", u.ID(), u.Version(), entity.Record{"team_id": f.South}); err != nil {
		t.Fatal(err)
	}
	moved, _ := r.Get(ctx, f.Admin, "customer", c1.ID())
	if moved.Str("team_id") != f.South {
		t.Errorf("customer team %q, want the rep's new team", moved.Str("team_id"))
	}
	if _, err := r.Get(ctx, f.Manager, "customer", c1.ID()); errs.KindOf(err) != errs.NotFound {
		t.Errorf("old manager still sees the moved rep's customer: %v", err)
	}
	// A team with members cannot be deleted.
	team, _ := r.Get(ctx, f.Admin, "team", f.South)
	if err := r.Delete(ctx, f.Admin, "team", f.South, team.Version()); code(err) != "team_not_empty" {
		t.Errorf("deleting a team with members: %v", err)
	}
}

// Timeline pages continue exactly where the previous page ended, even when
// many events share one timestamp.
func TestTimelinePagingIsExact(t *testing.T) {
	f := apptest.NewFixture(t)
	c := mustCreate(t, f, f.Rep1, "customer", entity.Record{"name": "同一时刻公司"})
	when := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range 25 {
		mustCreate(t, f, f.Rep1, "activity", entity.Record{"kind": "note", "subject": fmt.Sprintf("备注%d", i), "customer_id": c.ID(), "occurred_at": when})
	}
	seen := map[string]bool{}
	cursor := ""
	for range 20 {
		items, err := f.App.Customers.Timeline(ctx, f.Rep1, "customer", c.ID(), cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if seen[it.ID] {
				t.Fatalf("event %s repeated", it.ID)
			}
			seen[it.ID] = true
		}
		if len(items) < 7 {
			break
		}
		cursor = customers.TimelineCursor(items[len(items)-1])
	}
	if len(seen) != 26 { // 25 notes and the creation
		t.Errorf("saw %d events, want 26", len(seen))
	}
	if _, err := f.App.Customers.Release(ctx, f.Rep1, "customer", c.ID(), "auto"); code(err) != "invalid_option" {
		t.Errorf("a person releasing with the sweep's reason: %v", err)
	}
}
