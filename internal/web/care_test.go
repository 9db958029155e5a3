package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
)

// Care in the browser's HTTP: the 今日关怀 card and my list show the
// rep's reminders (not another rep's), "send greeting" queues one mail and
// refuses a second, a ticket's page offers "create opportunity" and then
// links the one raised, the opportunity links back, the customer's
// timeline shows the after-sales group, the signals page and the admin's
// care settings render and refuse bad input in place.
func TestCarePages(t *testing.T) {
	e := newEnv(t)
	cust := e.Customer(t, e.Rep1, "苏州汇川精工有限公司")
	tomorrow := time.Now().In(e.App.Loc).AddDate(0, 0, 1)
	if _, err := e.App.Records.Create(ctx(), e.Rep1, "contact", entity.Record{"customer_id": cust.ID(), "name": "王建国", "email": "wangjg@example.com",
		"birthday": "1975-" + tomorrow.Format("01-02"), "birthday_calendar": "solar"}); err != nil {
		t.Fatal(err)
	}
	agentP := e.AddUser(t, "周工", "zhougong@example.com", e.South, access.RoleService)
	tk, err := e.App.Tickets.Create(ctx(), agentP, entity.Record{"subject": "设备频繁报警", "description": "希望升级到新型号", "customer_id": cust.ID()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Care.Plan(ctx(), time.Now()); err != nil {
		t.Fatal(err)
	}
	var remID string
	if err := e.DB().R().QueryRowContext(ctx(), `SELECT id FROM care_reminders`).Scan(&remID); err != nil {
		t.Fatal(err)
	}
	rep, rep2, agent, admin := e.as(t, e.Rep1), e.as(t, e.Rep2), e.as(t, agentP), e.as(t, e.Admin)

	home := rep.mustGet("/")
	if !strings.Contains(home.body, `id="home-care"`) || !strings.Contains(home.body, "王建国 生日") {
		t.Fatalf("no care card on the home page:\n%s", snippet(home.body))
	}
	if strings.Contains(rep2.mustGet("/").body, `id="home-care"`) {
		t.Fatal("another rep sees the care card")
	}
	mine := rep.mustGet("/care")
	if !strings.Contains(mine.body, "/care-reminders/"+remID+"/greeting") {
		t.Fatalf("my list has no greeting button:\n%s", snippet(mine.body))
	}
	r := rep.post("/care-reminders/"+remID+"/greeting", url.Values{"back": {"/care"}})
	if r.status != http.StatusSeeOther || r.loc != "/care" {
		t.Fatalf("greeting: %d %s", r.status, r.loc)
	}
	r = rep.follow(rep.post("/care-reminders/"+remID+"/greeting", url.Values{"back": {"/care"}}))
	var n int
	if err := e.DB().R().QueryRowContext(ctx(), `SELECT count(*) FROM mail_outbox WHERE entity = 'care_reminder'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("outbox %d %v", n, err)
	}
	if r2 := rep2.post("/care-reminders/"+remID+"/done", url.Values{}); r2.status != http.StatusNotFound {
		t.Fatalf("another rep marks it done: %d", r2.status)
	}

	// A ticket raises an opportunity; both pages link.
	page := agent.mustGet("/tickets/" + tk.ID())
	if !strings.Contains(page.body, `action="/tickets/`+tk.ID()+`/opportunity"`) {
		t.Fatalf("no create-opportunity button:\n%s", snippet(page.body))
	}
	r = agent.post("/tickets/"+tk.ID()+"/opportunity", url.Values{})
	if r.status != http.StatusSeeOther {
		t.Fatalf("raise: %d\n%s", r.status, snippet(r.body))
	}
	var oppID string
	if err := e.DB().R().QueryRowContext(ctx(), `SELECT opportunity_id FROM tickets WHERE id = $1`, tk.ID()).Scan(&oppID); err != nil || oppID == "" {
		t.Fatalf("ticket not linked: %v", err)
	}
	if page := agent.mustGet("/tickets/" + tk.ID()); !strings.Contains(page.body, `href="/opportunities/`+oppID+`"`) || strings.Contains(page.body, `/opportunity"`) {
		t.Fatalf("the ticket does not link the opportunity:\n%s", snippet(page.body))
	}
	if r := agent.post("/tickets/"+tk.ID()+"/opportunity", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("raise twice: %d", r.status)
	}
	if page := rep.mustGet("/opportunities/" + oppID); !strings.Contains(page.body, `id="care-raised-from"`) || !strings.Contains(page.body, `href="/tickets/`+tk.ID()+`"`) {
		t.Fatalf("the opportunity does not link back:\n%s", snippet(page.body))
	}
	if page := rep.mustGet("/customers/" + cust.ID()); !strings.Contains(page.body, "tl-service") {
		t.Fatalf("no after-sales group on the timeline:\n%s", snippet(page.body))
	}

	// Signals, settings.
	rep.mustGet("/service/signals")
	rep.mustGet("/service/signals?kind=nonsense")
	if r := rep.get("/settings/care"); r.status != http.StatusForbidden {
		t.Fatalf("settings for a rep: %d", r.status)
	}
	admin.mustGet("/settings/care")
	r = admin.post("/settings/care", url.Values{"days": {"abc"}, "consumable_days": {"90"}, "greeting_lang": {"zh-CN"},
		"subject_zh-CN": {"祝福"}, "body_zh-CN": {"正文"}, "subject_en": {"Hi"}, "body_en": {"Text"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "提前提醒天数") {
		t.Fatalf("bad days: %d\n%s", r.status, snippet(r.body))
	}
	r = admin.post("/settings/care", url.Values{"days": {"10"}, "consumable_days": {"60"}, "greeting_lang": {"en"},
		"subject_zh-CN": {"祝福"}, "body_zh-CN": {"正文 {name}"}, "subject_en": {"Hi {name}"}, "body_en": {"Text"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save settings: %d\n%s", r.status, snippet(r.body))
	}
	if st, err := e.App.Care.LoadSettings(ctx(), e.DB().R()); err != nil || st.Days != 10 || st.GreetingLang != "en" || st.Greetings["en"].Subject != "Hi {name}" {
		t.Fatalf("settings %+v %v", st, err)
	}
}
