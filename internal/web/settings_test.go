package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"closeloop/internal/apptest"
	"closeloop/internal/entity"
)

func TestSettingsForbiddenForSales(t *testing.T) {
	e := newEnv(t)
	b := e.as(t, e.Rep1)
	for _, p := range []string{"/settings", "/settings/users", "/settings/users/new", "/settings/teams", "/settings/roles", "/settings/roles/sales",
		"/settings/picklists", "/settings/picklists/source", "/settings/fields", "/settings/pool", "/settings/audit", "/settings/users/" + e.Rep2.UserID} {
		r := b.get(p)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "没有权限") {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	for _, p := range []string{"/settings/fields", "/settings/roles/sales", "/settings/pool", "/settings/users/" + e.Rep2.UserID + "/password"} {
		if r := b.post(p, url.Values{"x": {"1"}}); r.status != http.StatusForbidden {
			t.Errorf("POST %s: %d", p, r.status)
		}
	}
	if strings.Contains(b.mustGet("/").body, `href="/settings"`) {
		t.Error("settings in a rep's menu")
	}
}

// A custom field added in settings appears in the customer form, list,
// detail and filters at once.
func TestCustomFieldFromSettings(t *testing.T) {
	e := newEnv(t)
	a := e.as(t, e.Admin)
	r := a.post("/settings/fields", url.Values{"entity": {"customer"}, "name": {"budget"}, "label_zh": {"年度预算"}, "label_en": {"Annual budget"}, "kind": {"money"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add field: %d\n%s", r.status, snippet(r.body))
	}
	if page := a.follow(r).body; !strings.Contains(page, "cf_budget") || !strings.Contains(page, "年度预算") {
		t.Fatal("field not listed in settings")
	}
	// Bad input is a message.
	if r := a.post("/settings/fields", url.Values{"entity": {"customer"}, "name": {"9bad"}, "label_zh": {"x"}, "kind": {"text"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "alert-error") {
		t.Errorf("bad field name: %d", r.status)
	}
	b := e.as(t, e.Rep1)
	if form := b.mustGet("/customers/new").body; !strings.Contains(form, `name="cf_budget"`) || !strings.Contains(form, "年度预算") {
		t.Fatal("custom field not in the form")
	}
	r = b.post("/customers/new", url.Values{"name": {"苏州工业园区发展有限公司"}, "kind": {"company"}, "status": {"prospect"}, "cf_budget": {"1,250,000.50"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.status, snippet(r.body))
	}
	if page := b.follow(r).body; !strings.Contains(page, "1,250,000.50") {
		t.Error("custom value not on the detail page")
	}
	list := b.mustGet("/customers").body
	if !strings.Contains(list, "年度预算") || !strings.Contains(list, "1,250,000.50") || !strings.Contains(list, `name="cf_budget[gte]"`) {
		t.Error("custom field not in the list or its filters")
	}
	if !strings.Contains(b.mustGet("/customers?cf_budget[gte]=1000000").body, "苏州工业园区发展有限公司") {
		t.Error("custom field filter")
	}
	// Deleting needs the typed name.
	r = a.post("/settings/fields/customer/cf_budget/delete", url.Values{"confirm": {"budget"}})
	if page := a.follow(r).body; !strings.Contains(page, "alert-error") {
		t.Error("delete without the exact name accepted")
	}
	r = a.post("/settings/fields/customer/cf_budget/delete", url.Values{"confirm": {"cf_budget"}})
	if page := a.follow(r).body; !strings.Contains(page, "已删除") {
		t.Error("delete failed")
	}
	if strings.Contains(b.mustGet("/customers/new").body, "cf_budget") {
		t.Error("deleted field still in the form")
	}
}

func TestSettingsAdmin(t *testing.T) {
	e := newEnv(t)
	a := e.as(t, e.Admin)

	// Users: create with an initial password; the user signs in.
	r := a.post("/settings/users/new", url.Values{"name": {"吴婷"}, "email": {"wuting@example.com"}, "roles": {"sales"}, "team_id": {e.NorthSales}, "lang": {"zh-CN"}, "active": {"1"}, "password": {"short"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "8") {
		t.Errorf("short password: %d", r.status)
	}
	r = a.post("/settings/users/new", url.Values{"name": {"吴婷"}, "email": {"wuting@example.com"}, "roles": {"sales"}, "team_id": {e.NorthSales}, "lang": {"zh-CN"}, "active": {"1"}, "password": {"a-good-password"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create user: %d\n%s", r.status, snippet(r.body))
	}
	userPage := r.loc
	nb := e.browser(t)
	if r := nb.post("/login", url.Values{"email": {"wuting@example.com"}, "password": {"a-good-password"}}); r.status != http.StatusSeeOther {
		t.Fatalf("new user sign in: %d", r.status)
	}
	if page := a.mustGet(userPage).body; !strings.Contains(page, "北京销售部") || !strings.Contains(page, "/password") {
		t.Error("user page")
	}
	r = a.post(userPage+"/password", url.Values{"password": {"another-password"}, "password2": {"another-password"}})
	if page := a.follow(r).body; !strings.Contains(page, "密码已重置") {
		t.Error("reset password")
	}
	if r := nb.get("/"); r.status != http.StatusSeeOther {
		t.Error("sessions survive a password reset")
	}

	// Teams: a tree; a team with members cannot be deleted.
	list := a.mustGet("/settings/teams").body
	if !strings.Contains(list, "depth-1") || !strings.Contains(list, "depth-2") {
		t.Error("teams not shown as a tree")
	}
	r = a.post("/settings/teams/new", url.Values{"name": {"华西大区"}, "parent_id": {e.Company}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("new team: %d\n%s", r.status, snippet(r.body))
	}
	r = a.post("/settings/teams/"+e.NorthSales+"/delete", nil)
	if page := a.follow(r).body; !strings.Contains(page, "alert-error") {
		t.Error("non-empty team deleted")
	}

	// Roles: the matrix; a custom role; delete one nobody holds.
	page := a.mustGet("/settings/roles/sales").body
	if !strings.Contains(page, `name="customer.read"`) || !strings.Contains(page, `name="see_contacts"`) {
		t.Fatal("no matrix")
	}
	form := url.Values{"code": {"intern"}, "label_zh": {"实习生"}, "label_en": {"Intern"}, "customer.read": {"own"}, "customer.write": {"own"}, "customer.create": {"1"}, "pool": {"1"}}
	r = a.post("/settings/roles/new", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("new role: %d\n%s", r.status, snippet(r.body))
	}
	if !strings.Contains(a.follow(r).body, "实习生") {
		t.Error("role not listed")
	}
	if r := a.post("/settings/roles/new", form); r.status != http.StatusUnprocessableEntity {
		t.Errorf("duplicate role code: %d", r.status)
	}
	roles, _ := e.App.DB.Roles(ctx())
	for _, ro := range roles {
		if ro.Code == "intern" && (ro.Perms["customer"].Read.String() != "own" || !ro.Pool || !ro.Perms["customer"].Create) {
			t.Errorf("role saved wrong: %+v", ro)
		}
	}
	if r := a.post("/settings/roles/sales/delete", nil); !strings.Contains(a.follow(r).body, "alert-error") {
		t.Error("built-in role deleted")
	}
	if r := a.post("/settings/roles/intern/delete", nil); !strings.Contains(a.follow(r).body, "已删除") {
		t.Error("custom role not deleted")
	}

	// Pick-lists: add an option, move it up.
	page = a.mustGet("/settings/picklists/source").body
	if !strings.Contains(page, "exhibition") {
		t.Fatal("pick-list page")
	}
	items, _ := e.App.Admin.Picklist(ctx(), "source")
	v := url.Values{"count": {itoa(len(items))}}
	for i, it := range items {
		v.Set("code."+itoa(i), it.Code)
		v.Set("zh."+itoa(i), it.Zh)
		v.Set("en."+itoa(i), it.En)
		if it.Active {
			v.Set("active."+itoa(i), "1")
		}
	}
	n := len(items)
	v.Set("code."+itoa(n), "wechat")
	v.Set("zh."+itoa(n), "微信")
	v.Set("en."+itoa(n), "WeChat")
	v.Set("active."+itoa(n), "1")
	if r := a.post("/settings/picklists/source", v); r.status != http.StatusSeeOther {
		t.Fatalf("save pick-list: %d\n%s", r.status, snippet(r.body))
	}
	items2, _ := e.App.Admin.Picklist(ctx(), "source")
	if len(items2) != n+1 || items2[n].Code != "wechat" {
		t.Fatalf("option not added: %v", items2)
	}
	v.Set("count", itoa(n+1))
	v.Set("move", "up:"+itoa(n))
	for _, k := range []string{"code.", "zh.", "en.", "active."} {
		v.Del(k + itoa(n+1))
	}
	a.post("/settings/picklists/source", v)
	items3, _ := e.App.Admin.Picklist(ctx(), "source")
	if items3[n-1].Code != "wechat" {
		t.Errorf("not moved up: %v", items3)
	}
	if !strings.Contains(e.as(t, e.Rep1).mustGet("/leads/new").body, ">微信</option>") {
		t.Error("new option not offered in forms")
	}

	// Pool rules.
	if page := a.mustGet("/settings/pool").body; !strings.Contains(page, `name="days.customer.A"`) {
		t.Fatal("pool rules page")
	}
	r = a.post("/settings/pool", url.Values{"days.customer.A": {"120"}, "remind.customer.A": {"10"}, "days.lead.": {"20"}, "remind.lead.": {"2"}, "claim_cap": {"50"}, "cooldown_days": {"3"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("pool rules: %d\n%s", r.status, snippet(r.body))
	}
	_, st, _ := e.App.Customers.PoolRules(ctx(), e.App.DB.R())
	if st.ClaimCap != 50 || st.CooldownDays != 3 {
		t.Errorf("settings %+v", st)
	}
	if r := a.post("/settings/pool", url.Values{"claim_cap": {"many"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad number: %d", r.status)
	}

	// The audit log shows who changed what.
	c := e.Customer(t, e.Rep1, "审计测试有限公司")
	if _, err := e.App.Records.Update(ctx(), e.Rep1, "customer", c.ID(), c.Version(), entity.Record{"region": "上海市"}); err != nil {
		t.Fatal(err)
	}
	page = a.mustGet("/settings/audit?entity=customer&record_id=" + c.ID()).body
	if !strings.Contains(page, "地区") || !strings.Contains(page, "上海市") || !strings.Contains(page, "张伟") {
		t.Errorf("audit page:\n%s", snippet(page))
	}
}

func TestAccount(t *testing.T) {
	e := newEnv(t)
	b := e.as(t, e.Rep1)
	page := b.mustGet("/account").body
	if !strings.Contains(page, "/account/password") || !strings.Contains(page, "/account/tokens") {
		t.Fatal("account page")
	}
	// Password: wrong current one is said next to it.
	r := b.post("/account/password", url.Values{"current_password": {"nope"}, "password": {"new-password-1"}, "password2": {"new-password-1"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("wrong current password: %d", r.status)
	}
	r = b.post("/account/password", url.Values{"current_password": {apptest.Password}, "password": {"new-password-1"}, "password2": {"new-password-1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("change password: %d\n%s", r.status, snippet(r.body))
	}
	b.mustGet("/account") // this browser stays signed in
	// Tokens: shown once, then revocable; the API accepts it.
	r = b.post("/account/tokens", url.Values{"name": {"同步脚本"}, "scope": {"read"}, "expires": {"30d"}})
	if r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	page = b.follow(r).body
	i := strings.Index(page, "clt_")
	if i < 0 {
		t.Fatal("token not shown")
	}
	tok := page[i : i+strings.IndexAny(page[i:], "<\" ")]
	if strings.Contains(b.mustGet("/account").body, tok) {
		t.Error("token shown twice")
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/customers", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("token does not work: %v %v", err, res)
	}
	res.Body.Close()
	j := strings.Index(page, "/account/tokens/")
	revoke := page[j : j+strings.Index(page[j:], `"`)]
	if r := b.post(revoke, nil); r.status != http.StatusSeeOther {
		t.Errorf("revoke: %d", r.status)
	}
	// Two-factor: begin shows a QR code as a data: image.
	r = b.post("/account/totp", nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, `src="data:image/png;base64,`) {
		t.Errorf("TOTP begin: %d", r.status)
	}
	if r := b.post("/account/totp/confirm", url.Values{"code": {"000000"}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("wrong TOTP code: %d", r.status)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
