package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"closeloop/internal/entity"
)

func TestPoolClaim(t *testing.T) {
	e := newEnv(t)
	// An unowned customer lies in the pool.
	c := e.Customer(t, e.Admin, "青岛海尔智家股份有限公司", "owner_id", "")
	b := e.as(t, e.Rep1)
	pool := b.mustGet("/pool")
	if !strings.Contains(pool.body, "青岛海尔智家股份有限公司") || !strings.Contains(pool.body, "/customers/"+c.ID()+"/claim") {
		t.Fatalf("pool page:\n%s", snippet(pool.body))
	}
	r := b.post("/customers/"+c.ID()+"/claim", url.Values{"next": {"/pool"}})
	if r.status != http.StatusSeeOther || r.loc != "/pool" {
		t.Fatalf("claim: %d %q", r.status, r.loc)
	}
	if !strings.Contains(b.follow(r).body, "已领取「青岛海尔智家股份有限公司」") {
		t.Error("no confirmation")
	}
	got, _ := e.App.Records.Get(ctx(), e.Admin, "customer", c.ID())
	if got.Str("owner_id") != e.Rep1.UserID {
		t.Fatalf("owner %q", got.Str("owner_id"))
	}
	// Already taken: the second rep is told so.
	b2 := e.as(t, e.Rep2)
	r = b2.post("/customers/"+c.ID()+"/claim", url.Values{"next": {"/pool"}})
	if r.status == http.StatusSeeOther {
		if msg := b2.follow(r).body; !strings.Contains(msg, "alert-error") {
			t.Errorf("second claim: no error")
		}
	} else if r.status != http.StatusNotFound {
		t.Errorf("second claim: %d", r.status)
	}
	// Release with a reason from the pick-list, then the cool-down.
	detail := b.mustGet("/customers/" + c.ID())
	if !strings.Contains(detail.body, `name="reason"`) || !strings.Contains(detail.body, "长期无进展") {
		t.Fatal("no release form with reasons")
	}
	if r := b.post("/customers/"+c.ID()+"/release", url.Values{}); r.status != http.StatusSeeOther || !strings.Contains(b.follow(r).body, "请选择退回原因") {
		t.Error("release without a reason accepted")
	}
	r = b.post("/customers/"+c.ID()+"/release", url.Values{"reason": {"no_progress"}})
	if r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	r = b.post("/customers/"+c.ID()+"/claim", url.Values{"next": {"/pool"}})
	msg := text(b.follow(r).body)
	if !strings.Contains(msg, time.Now().AddDate(0, 0, 7).In(e.App.Loc).Format("2006-01-02")) {
		t.Errorf("cool-down message without its date: %s", msg[strings.Index(msg, "公海"):][:200])
	}
	// A manager hands it out to a rep.
	m := e.as(t, e.Manager)
	if !strings.Contains(m.mustGet("/pool").body, `id="bulk-form"`) {
		t.Fatal("manager cannot hand out")
	}
	r = m.post("/customers/assign", url.Values{"ids": {c.ID()}, "owner_id": {e.Rep2.UserID}, "next": {"/pool"}})
	if r.status != http.StatusSeeOther || !strings.Contains(m.follow(r).body, "已将 1 条记录分配给 李娜") {
		t.Fatalf("hand out: %d", r.status)
	}
	got, _ = e.App.Records.Get(ctx(), e.Admin, "customer", c.ID())
	if got.Str("owner_id") != e.Rep2.UserID {
		t.Errorf("owner after hand-out: %q", got.Str("owner_id"))
	}
	// The timeline tells the story.
	tl := e.as(t, e.Rep2).mustGet("/customers/" + c.ID()).body
	for _, want := range []string{"从公海领取", "退回公海（原因：长期无进展）", "分配给 李娜"} {
		if !strings.Contains(tl, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
}

func TestLeadConversionMovesHistory(t *testing.T) {
	e := newEnv(t)
	lead, err := e.App.Records.Create(ctx(), e.Rep1, "lead", entity.Record{"name": "孙丽", "company": "南京熊猫电子股份有限公司", "source": "exhibition", "phone": "13711112222"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.as(t, e.Rep1)
	// Log a visit on the lead through its page.
	r := b.post("/leads/"+lead.ID()+"/activity", url.Values{"kind": {"visit"}, "subject": {"展会后上门拜访"}, "occurred_at": {"2026-03-01T10:00"}, "summary": {"了解需求"}, "next_step": {"发送方案"}, "next_step_due": {"2026-03-05"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("log: %d\n%s", r.status, snippet(r.body))
	}
	page := b.mustGet("/leads/" + lead.ID())
	if !strings.Contains(page.body, "展会后上门拜访") || !strings.Contains(page.body, `action="/leads/`+lead.ID()+`/convert"`) {
		t.Fatalf("lead page:\n%s", snippet(page.body))
	}
	// Validation: a missing subject is said next to the field, input kept.
	r = b.post("/leads/"+lead.ID()+"/activity", url.Values{"kind": {"call"}, "subject": {""}, "summary": {"保留的内容"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "主题为必填项") || !strings.Contains(r.body, "保留的内容") || !strings.Contains(r.body, "data-autoshow") {
		t.Errorf("activity validation: %d", r.status)
	}

	// A customer with the same name exists: the form lists it and offers to create anyway.
	e.Customer(t, e.Rep2, "南京熊猫电子有限公司")
	form := url.Values{"mode": {"new"}, "customer_name": {"南京熊猫电子股份有限公司"}, "decision_role": {"decision_maker"}}
	r = b.post("/leads/"+lead.ID()+"/convert", form)
	if r.status != http.StatusConflict || !strings.Contains(r.body, "南京熊猫电子有限公司") || !strings.Contains(r.body, "仍然新建客户") {
		t.Fatalf("duplicate on convert: %d\n%s", r.status, snippet(r.body))
	}
	form.Set("allow_duplicate", "1")
	r = b.post("/leads/"+lead.ID()+"/convert", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/customers/") {
		t.Fatalf("convert: %d %q\n%s", r.status, r.loc, snippet(r.body))
	}
	cust := b.follow(r)
	for _, want := range []string{"展会后上门拜访", "转化为新客户", "孙丽", "决策者", "线索已转化"} {
		if !strings.Contains(cust.body, want) {
			t.Errorf("customer page lacks %q", want)
		}
	}
	got, _ := e.App.Records.Get(ctx(), e.Rep1, "lead", lead.ID())
	if got.Str("status") != "converted" {
		t.Errorf("lead status %q", got.Str("status"))
	}
	// A converted lead offers no second conversion.
	if strings.Contains(b.mustGet("/leads/"+lead.ID()).body, "/convert\"") {
		t.Error("converted lead still offers conversion")
	}
}

func TestFollowUpsAndTimeline(t *testing.T) {
	e := newEnv(t)
	c := e.Customer(t, e.Rep1, "厦门金龙汽车集团股份有限公司")
	today := time.Now().In(e.App.Loc).Format("2006-01-02")
	past := time.Now().In(e.App.Loc).AddDate(0, 0, -3).Format("2006-01-02")
	var acts []entity.Record
	for i, due := range []string{today, past} {
		a, err := e.App.Records.Create(ctx(), e.Rep1, "activity", entity.Record{"kind": "call", "subject": "电话" + strconv.Itoa(i), "customer_id": c.ID(),
			"next_step": "下一步" + strconv.Itoa(i), "next_step_due": due})
		if err != nil {
			t.Fatal(err)
		}
		acts = append(acts, a)
	}
	b := e.as(t, e.Rep1)
	home := b.mustGet("/").body
	for _, want := range []string{"下一步0", "下一步1", "逾期", `hx-post="/activities/` + acts[0].ID() + `/done"`, "data-chart"} {
		if !strings.Contains(home, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	// Mark done inline (htmx): the row goes away, a toast says so.
	b.hdr.Set("HX-Request", "true")
	r := b.post("/activities/"+acts[0].ID()+"/done", url.Values{"version": {"1"}})
	if r.status != http.StatusOK || !strings.Contains(r.hdr.Get("HX-Trigger"), "toast") {
		t.Fatalf("done: %d %v", r.status, r.hdr)
	}
	// A stale version is refused with a message, not a 500.
	r = b.post("/activities/"+acts[0].ID()+"/done", url.Values{"version": {"1"}})
	if r.status != http.StatusConflict || !strings.Contains(r.hdr.Get("HX-Trigger"), "toast") {
		t.Errorf("stale done: %d", r.status)
	}
	b.hdr.Del("HX-Request")
	if strings.Contains(b.mustGet("/").body, "下一步0") {
		t.Error("done follow-up still listed")
	}
	// Timeline paging: many events, "load more" fetches the next ones.
	for i := 0; i < 25; i++ {
		if _, err := e.App.Records.Create(ctx(), e.Rep1, "activity", entity.Record{"kind": "note", "subject": "记录" + strconv.Itoa(i), "customer_id": c.ID(),
			"occurred_at": time.Now().Add(-time.Duration(i+10) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	page := b.mustGet("/customers/" + c.ID()).body
	i := strings.Index(page, `hx-get="/customers/`+c.ID()+`/timeline?before=`)
	if i < 0 {
		t.Fatal("no load more")
	}
	more := page[i+len(`hx-get="`):]
	more = strings.ReplaceAll(more[:strings.IndexByte(more, '"')], "&amp;", "&")
	b.hdr.Set("HX-Request", "true")
	frag := b.mustGet(more)
	b.hdr.Del("HX-Request")
	if strings.Contains(frag.body, "<html") || !strings.Contains(frag.body, "tl-item") || !strings.Contains(frag.body, "记录24") {
		t.Errorf("load more fragment:\n%s", frag.body)
	}
}

func TestMergeAndConsent(t *testing.T) {
	e := newEnv(t)
	keep := e.Customer(t, e.Manager, "大连万达集团股份有限公司")
	other := e.Customer(t, e.Manager, "大连万达集团", "region", "大连市")
	ct, err := e.App.Records.Create(ctx(), e.Manager, "contact", entity.Record{"customer_id": other.ID(), "name": "周杰", "decision_role": "technical_lead"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.as(t, e.Manager)
	if !strings.Contains(b.mustGet("/customers/"+keep.ID()).body, `id="dlg-merge"`) {
		t.Fatal("no merge dialog")
	}
	r := b.post("/customers/"+keep.ID()+"/merge", url.Values{"other_id": {other.ID()}})
	if r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	page := b.follow(r).body
	for _, want := range []string{"合并完成", "联系人 1", "地区", "周杰", "技术负责人"} {
		if !strings.Contains(page, want) {
			t.Errorf("after merge lacks %q", want)
		}
	}
	if r := b.post("/customers/"+keep.ID()+"/merge", url.Values{"other_id": {keep.ID()}}); !strings.Contains(b.follow(r).body, "alert-error") {
		t.Error("merge with itself accepted")
	}
	// Consent: record a withdrawal, see it in the history.
	r = b.post("/contacts/"+ct.ID()+"/consent", url.Values{"marketing_consent": {"withdrawn"}, "do_not_contact": {"true"}, "method": {"phone"}, "note": {"电话中明确拒绝"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("consent: %d\n%s", r.status, snippet(r.body))
	}
	page = b.follow(r).body
	for _, want := range []string{"已拒绝", "电话中明确拒绝", "勿扰", "王经理"} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	r = b.post("/contacts/"+ct.ID()+"/consent", url.Values{"method": {"phone"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "营销许可") {
		t.Errorf("empty consent: %d", r.status)
	}
}
