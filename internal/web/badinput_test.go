package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Bad ids, bad values and odd requests answer 4xx (or a page with a
// message), never 500.
func TestNoServerErrorOnBadInput(t *testing.T) {
	e := newEnv(t)
	c := e.Customer(t, e.Admin, "输入测试有限公司")
	lead, _ := e.App.Records.Create(ctx(), e.Admin, "lead", map[string]any{"name": "测试", "source": "web"})
	missing := "0190e9a0-0000-7000-8000-000000000000"
	long := strings.Repeat("长", 5000)
	bad := "\xff\xfe\x00"
	b := e.as(t, e.Admin)
	posts := []struct {
		path string
		form url.Values
	}{
		{"/customers/new", url.Values{"name": {bad}, "kind": {"nope"}, "status": {long}, "tags": {long}, "cf_x": {"1"}}},
		{"/customers/new", url.Values{"name": {"x"}, "phone": {"+++"}, "last_followup_at": {"2026-01-01"}, "allow_duplicate": {"1"}}},
		{"/activities/new", url.Values{"kind": {"call"}, "subject": {"x"}, "occurred_at": {"31/31/2026"}, "duration_minutes": {"-5"}, "participant_users": {"not-an-id", missing}, "customer_id": {missing}}},
		{"/customers/" + c.ID() + "/edit", url.Values{"version": {"abc"}, "name": {"x"}}},
		{"/customers/" + c.ID() + "/edit", url.Values{"version": {"99"}, "name": {"x"}, "kind": {"company"}, "status": {"prospect"}}},
		{"/customers/not-an-id/edit", nil},
		{"/customers/" + missing + "/edit", url.Values{"version": {"1"}}},
		{"/customers/" + missing + "/delete", nil},
		{"/customers/" + c.ID() + "/delete", url.Values{"version": {"42"}}},
		{"/customers/" + missing + "/restore", nil},
		{"/customers/" + c.ID() + "/restore", nil},
		{"/customers/" + c.ID() + "/claim", nil},
		{"/customers/" + missing + "/claim", nil},
		{"/customers/" + c.ID() + "/release", url.Values{"reason": {"no-such-reason"}}},
		{"/customers/" + c.ID() + "/assign", url.Values{"owner_id": {missing}}},
		{"/customers/assign", url.Values{"ids": {"x", missing}, "owner_id": {e.Rep1.UserID}}},
		{"/customers/" + c.ID() + "/merge", url.Values{"other_id": {missing}}},
		{"/customers/" + c.ID() + "/activity", url.Values{"kind": {"teleport"}, "next_step_due": {"soon"}}},
		{"/customers/" + missing + "/activity", url.Values{"kind": {"call"}}},
		{"/leads/" + lead.ID() + "/convert", url.Values{"mode": {"existing"}, "customer_id": {missing}}},
		{"/leads/" + lead.ID() + "/convert", url.Values{"mode": {"new"}, "customer_name": {long}, "decision_role": {"ceo"}}},
		{"/leads/" + missing + "/convert", nil},
		{"/contacts/" + missing + "/consent", url.Values{"method": {"carrier-pigeon"}}},
		{"/activities/" + missing + "/done", url.Values{"version": {"1"}}},
		{"/activities/" + missing + "/done", nil},
		{"/imports/" + missing + "/rerun", nil},
		{"/settings/roles/new", url.Values{"code": {"Bad Code"}, "label_zh": {""}}},
		{"/settings/roles/nosuch/delete", nil},
		{"/settings/picklists/nosuch", nil},
		{"/settings/picklists/source", url.Values{"count": {"99999999"}, "code.0": {"bad code!"}}},
		{"/settings/fields", url.Values{"entity": {"nothing"}, "kind": {"blob"}}},
		{"/settings/fields/customer/cf_nope/delete", url.Values{"confirm": {"cf_nope"}}},
		{"/settings/pool", url.Values{"days.customer.A": {"-1"}, "claim_cap": {"-5"}}},
		{"/settings/users/" + missing + "/password", url.Values{"password": {"x"}, "password2": {"x"}}},
		{"/settings/users/" + missing + "/totp/disable", nil},
		{"/settings/users/new", url.Values{"name": {""}, "email": {"bad"}, "roles": {"nosuchrole"}, "password": {"x"}}},
		{"/account/tokens", url.Values{"scope": {"root"}, "expires": {"forever"}}},
		{"/account/tokens/" + missing + "/revoke", nil},
		{"/account/lang", url.Values{"lang": {"klingon"}}},
		{"/account/totp/confirm", url.Values{"code": {long}}},
		{"/lang", url.Values{"lang": {bad}, "next": {"//evil"}}},
		{"/login", url.Values{"email": {long}, "password": {long}}},
		{"/customers/import", nil},
	}
	for _, p := range posts {
		r := b.post(p.path, p.form)
		if r.status >= 500 {
			t.Errorf("POST %s: %d\n%s", p.path, r.status, snippet(r.body))
		}
	}
	gets := []string{
		"/customers/" + c.ID() + "/timeline?before=yesterday",
		"/customers/" + missing + "/timeline",
		"/imports/" + missing, "/imports/" + missing + "/progress", "/imports/" + missing + "/report.csv",
		"/settings/roles/nosuch", "/settings/picklists/nosuch", "/settings/audit?before=bad",
		"/pool?tab=nothing", "/customers?q=" + url.QueryEscape(long), "/customers?sort=-", "/customers?limit=abc",
		"/customers?owner_id=" + url.QueryEscape(bad), "/customers?tags[contains]=" + url.QueryEscape(long),
		"/ui/lookup/customers?q=" + url.QueryEscape(bad), "/ui/lookup/users?q=" + url.QueryEscape(long),
		"/customers/new?customer_id=" + url.QueryEscape(bad) + "&level=ZZ&tags=" + url.QueryEscape(long),
		"/contacts/new?customer_id=" + missing,
		"/search?q=" + url.QueryEscape(bad),
		"/lang?lang=xx&next=http://evil.example/",
	}
	for _, g := range gets {
		r := b.get(g)
		if r.status >= 500 {
			t.Errorf("GET %s: %d\n%s", g, r.status, snippet(r.body))
		}
	}
	// Methods that do not exist answer 405 with a page.
	req, _ := http.NewRequest(http.MethodDelete, e.srv.URL+"/customers/"+c.ID(), nil)
	if r := b.do(req); r.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE: %d", r.status)
	}
}
