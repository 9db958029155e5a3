package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"closeloop/internal/channels"
	"closeloop/internal/entity"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

var stampRE = regexp.MustCompile(`name="stamp" value="([^"]+)"`)
var gdRE = regexp.MustCompile(`GD-\d{6}-\d{5}`)

func formStamp(t *testing.T, body string) string {
	t.Helper()
	m := stampRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no stamp on the form:\n%s", snippet(body))
	}
	return m[1]
}

func TestServiceRequestPage(t *testing.T) {
	e := newEnv(t)
	public := e.browser(t)
	page := public.mustGet("/service/request")
	for _, want := range []string{"服务请求", "English", `name="website"`, `enctype="multipart/form-data"`, "问题描述", "报修"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	for _, leak := range []string{`class="nav"`, "logout", "global-q"} {
		if strings.Contains(page.body, leak) {
			t.Errorf("public form shows %q", leak)
		}
	}
	if en := public.get("/service/request?lang=en"); !strings.Contains(en.body, "Service request") {
		t.Error("no English form")
	}
	public.get("/service/request?lang=zh-CN")
	stamp := formStamp(t, page.body)
	form := url.Values{"name": {"李工"}, "email": {"li@example.com"}, "kind": {"repair"}, "description": {"设备无法开机"}, "stamp": {stamp}}
	// At once: a bot's speed. Neutral thanks, nothing stored.
	if r := public.post("/service/request", form); r.status != http.StatusOK || gdRE.MatchString(r.body) || !strings.Contains(r.body, "感谢") {
		t.Fatalf("a post within a second: %d\n%s", r.status, snippet(r.body))
	}
	e.App.Channels.SetClock(func() time.Time { return time.Now().Add(10 * time.Second) })
	// The honeypot filled: the same.
	bot := url.Values{"website": {"http://spam"}}
	for k, v := range form {
		bot[k] = v
	}
	if r := public.post("/service/request", bot); gdRE.MatchString(r.body) {
		t.Error("a filled honeypot got a ticket")
	}
	// Refused input: 422, each problem shown, what was typed kept.
	bad := url.Values{"name": {"李工"}, "description": {"<b>保留</b>"}, "stamp": {stamp}}
	r := public.post("/service/request", bad)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请填写电话或邮箱") || !strings.Contains(r.body, "&lt;b&gt;保留&lt;/b&gt;") {
		t.Errorf("refused post: %d\n%s", r.status, snippet(r.body))
	}
	var n int
	if err := e.App.DB.R().QueryRowContext(ctx(), `SELECT count(*) FROM tickets`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("tickets before a good post: %d %v", n, err)
	}
	r = public.upload("/service/request", "x.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 16)...), form)
	if r.status != http.StatusOK || !gdRE.MatchString(r.body) || !strings.Contains(r.body, "li@example.com") {
		t.Fatalf("good post: %d\n%s", r.status, snippet(r.body))
	}
}

func TestPortalPagesMatrix(t *testing.T) {
	e := newEnv(t)
	a := e.Customer(t, e.Rep1, "甲方精密机械有限公司")
	b := e.Customer(t, e.Rep2, "乙方保密客户有限公司")
	ca, err := e.App.Records.Create(ctx(), e.Rep1, "contact", entity.Record{"customer_id": a.ID(), "name": "甲联系人", "email": "a@a.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Records.Create(ctx(), e.Rep2, "contact", entity.Record{"customer_id": b.ID(), "name": "乙联系人", "email": "b@b.example"}); err != nil {
		t.Fatal(err)
	}
	ra, err := e.App.Channels.Submit(ctx(), channels.Request{Name: "甲", Email: "a@a.example", Description: "甲方的问题", IP: "1"})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := e.App.Channels.Submit(ctx(), channels.Request{Name: "乙", Email: "b@b.example", Description: "乙方的机密问题", IP: "2"})
	if err != nil {
		t.Fatal(err)
	}
	err = e.App.DB.Write(ctx(), func(tx *store.Tx) error {
		if _, err := e.App.Tickets.AddMessage(ctx(), tx, e.Service, ra.TicketID(), tickets.Message{Kind: "note", Body: "内部备注：客户难缠"}); err != nil {
			return err
		}
		_, err := e.App.Tickets.AddMessage(ctx(), tx, e.Service, ra.TicketID(), tickets.Message{Kind: "reply", Body: "请提供序列号"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	link, err := e.App.Channels.LinkFor(ctx(), e.Rep1, ca.ID())
	if err != nil {
		t.Fatal(err)
	}
	public := e.browser(t)
	home := public.mustGet(link.Path)
	for _, want := range []string{"甲方精密机械有限公司", ra.Number, "我的工单", "提交新的服务请求"} {
		if !strings.Contains(home.body, want) {
			t.Errorf("portal lacks %q", want)
		}
	}
	for _, leak := range []string{rb.Number, "乙方", rb.TicketID(), `class="nav"`} {
		if strings.Contains(home.body, leak) {
			t.Errorf("portal shows %q", leak)
		}
	}
	tp := public.mustGet(link.Path + "/tickets/" + ra.TicketID())
	if !strings.Contains(tp.body, "请提供序列号") || strings.Contains(tp.body, "内部备注") {
		t.Errorf("ticket page: public reply shown, note hidden?\n%s", snippet(tp.body))
	}
	// Another customer's ticket through this link: 404, like any unknown.
	for _, path := range []string{link.Path + "/tickets/" + rb.TicketID(), link.Path + "/tickets/nope"} {
		if r := public.get(path); r.status != http.StatusNotFound || strings.Contains(r.body, "机密") {
			t.Errorf("GET %s: %d", path, r.status)
		}
		if r := public.post(path, url.Values{"body": {"hi"}}); r.status != http.StatusNotFound {
			t.Errorf("POST %s: %d", path, r.status)
		}
	}
	// The customer writes: threaded on their ticket.
	r := public.post(link.Path+"/tickets/"+ra.TicketID(), url.Values{"body": {"序列号 SN-778899"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("portal message: %d\n%s", r.status, snippet(r.body))
	}
	if got := public.follow(r); !strings.Contains(got.body, "SN-778899") {
		t.Error("the customer's message is not shown")
	}
	if r := public.post(link.Path+"/tickets/"+ra.TicketID(), url.Values{"body": {"  "}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("empty message: %d", r.status)
	}
	// No token: the ask page, the same answer for every address.
	known := public.post("/portal", url.Values{"email": {"a@a.example"}})
	unknown := public.post("/portal", url.Values{"email": {"nobody@x.example"}})
	if known.status != http.StatusOK || text(known.body) != text(unknown.body) {
		t.Errorf("ask answers differ: %d / %d", known.status, unknown.status)
	}
	// Wrong, expired and revoked tokens (each wrong one counts against the address).
	other := e.browser(t)
	other.hdr.Set("X-Test", "1")
	if r := other.get("/portal/" + strings.Repeat("Z", 22)); r.status != http.StatusNotFound || !strings.Contains(r.body, "链接无效") {
		t.Errorf("wrong token: %d", r.status)
	}
	e.App.Channels.SetClock(func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	if r := other.get(link.Path); r.status != http.StatusGone {
		t.Errorf("expired token: %d", r.status)
	}
	e.App.Channels.SetClock(time.Now)
	if _, err := e.App.Channels.Revoke(ctx(), e.Rep1, a.ID()); err != nil {
		t.Fatal(err)
	}
	if r := other.get(link.Path); r.status != http.StatusNotFound {
		t.Errorf("revoked token: %d", r.status)
	}
}

func TestMailInSettingsPage(t *testing.T) {
	e := newEnv(t)
	adm := e.as(t, e.Admin)
	if p := adm.mustGet("/settings"); !strings.Contains(p.body, "/settings/mail-in") {
		t.Error("the settings index has no mailbox entry")
	}
	adm.mustGet("/settings/mail-in")
	r := adm.post("/settings/mail-in", url.Values{"enabled": {"1"}, "host": {"imap.example.com"}, "security": {"tls"}, "port": {"993"}, "username": {"svc"}, "password": {"pw"}, "folder": {"INBOX"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.status, snippet(r.body))
	}
	if p := adm.mustGet("/settings/mail-in"); strings.Contains(p.body, `value="pw"`) || !strings.Contains(p.body, "imap.example.com") {
		t.Error("the password is shown back, or the host is not")
	}
	if r := adm.post("/settings/mail-in", url.Values{"enabled": {"1"}, "host": {"bad host"}, "port": {"x"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad input: %d", r.status)
	}
	if r := e.as(t, e.Rep1).get("/settings/mail-in"); r.status != http.StatusForbidden {
		t.Errorf("a rep: %d", r.status)
	}
}

func TestAgentPortalLinkAndRevoke(t *testing.T) {
	e := newEnv(t)
	cust := e.Customer(t, e.Rep1, "丁方自动化有限公司")
	ct, err := e.App.Records.Create(ctx(), e.Rep1, "contact", entity.Record{"customer_id": cust.ID(), "name": "丁工", "email": "ding@ding.example"})
	if err != nil {
		t.Fatal(err)
	}
	rep := e.as(t, e.Rep1)
	if p := rep.mustGet("/contacts/" + ct.ID()); !strings.Contains(p.body, "/contacts/"+ct.ID()+"/portal-link") {
		t.Fatal("no portal link button on the contact's page")
	}
	r := rep.post("/contacts/"+ct.ID()+"/portal-link", url.Values{})
	m := regexp.MustCompile(`value="[^"]*(/portal/[A-Za-z0-9_-]{22})"`).FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil || r.hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("link made: %d\n%s", r.status, snippet(r.body))
	}
	public := e.browser(t)
	if p := public.get(m[1]); p.status != http.StatusOK || !strings.Contains(p.body, "丁方自动化有限公司") {
		t.Fatalf("the link: %d", p.status)
	}
	if r := e.as(t, e.Rep3).post("/contacts/"+ct.ID()+"/portal-link", url.Values{}); r.status == http.StatusOK && strings.Contains(r.body, "/portal/") {
		t.Error("a rep who cannot see the contact made a link")
	}
	// A new request from the portal: the customer's, channel portal.
	form := public.mustGet(m[1] + "/request")
	e.App.Channels.SetClock(func() time.Time { return time.Now().Add(10 * time.Second) })
	done := public.post(m[1]+"/request", url.Values{"stamp": {formStamp(t, form.body)}, "kind": {"consultation"}, "description": {"门户里提交的新问题"}})
	num := gdRE.FindString(done.body)
	if done.status != http.StatusOK || num == "" {
		t.Fatalf("portal request: %d\n%s", done.status, snippet(done.body))
	}
	var ch, cid, who string
	if err := e.App.DB.R().QueryRowContext(ctx(), `SELECT channel, customer_id, requester_name FROM tickets WHERE number = $1`, num).Scan(&ch, &cid, &who); err != nil ||
		ch != "portal" || cid != cust.ID() || who != "丁工" {
		t.Errorf("portal ticket: %s %s %s %v", ch, cid, who, err)
	}
	e.App.Channels.SetClock(time.Now)
	page := rep.mustGet("/customers/" + cust.ID())
	if !strings.Contains(page.body, "/portal-links/revoke") {
		t.Fatal("no revoke card on the customer's page")
	}
	if r := rep.post("/customers/"+cust.ID()+"/portal-links/revoke", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.status)
	}
	if p := public.get(m[1]); p.status != http.StatusNotFound {
		t.Errorf("a revoked link: %d", p.status)
	}
}
