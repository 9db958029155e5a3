package web_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/entity"
)

// Every list renders for every role, and shows exactly what the role may
// see: a rep sees their own customers, not a colleague's; the manager
// sees the team's; the admin and the pre-sales engineer see all.
func TestListVisibility(t *testing.T) {
	e := newEnv(t)
	a := e.Customer(t, e.Rep1, "张伟的客户有限公司")
	bb := e.Customer(t, e.Rep2, "李娜的客户有限公司")
	c := e.Customer(t, e.Rep3, "陈静的南方客户有限公司")
	for _, cust := range []entity.Record{a, bb, c} {
		if _, err := e.App.Records.Create(ctx(), e.Admin, "contact", entity.Record{"customer_id": cust.ID(), "name": "联系人" + cust.Str("name")[:6]}); err != nil {
			t.Fatal(err)
		}
	}
	type want struct{ a, b, c bool }
	cases := []struct {
		who  *access.Principal
		want want
	}{
		{e.Rep1, want{true, false, false}},
		{e.Rep2, want{false, true, false}},
		{e.Rep3, want{false, false, true}},
		{e.Manager, want{true, true, false}},
		{e.Admin, want{true, true, true}},
		{e.Presales, want{true, true, true}},
		{e.Service, want{true, true, true}},
	}
	for _, tc := range cases {
		b := e.as(t, tc.who)
		for _, p := range []string{"/customers", "/contacts", "/leads", "/activities", "/pool", "/"} {
			b.mustGet(p)
		}
		body := b.mustGet("/customers").body
		got := want{strings.Contains(body, a.Str("name")), strings.Contains(body, bb.Str("name")), strings.Contains(body, c.Str("name"))}
		if got != tc.want {
			t.Errorf("%s sees %+v, want %+v", tc.who.Name, got, tc.want)
		}
		// A record the user may not see is a 404, never a leak.
		for _, cust := range []entity.Record{a, bb, c} {
			r := b.get("/customers/" + cust.ID())
			visible := strings.Contains(body, cust.Str("name"))
			if visible && r.status != 200 || !visible && tc.want == (want{true, true, true}) && r.status != 200 {
				t.Errorf("%s: detail of %s: %d", tc.who.Name, cust.Str("name"), r.status)
			}
			if !visible && r.status != 404 && tc.who.Perm("customer").Read != access.All {
				t.Errorf("%s: detail of invisible %s: %d", tc.who.Name, cust.Str("name"), r.status)
			}
		}
	}
	// The manager's "mine" tab narrows to their own records.
	m := e.as(t, e.Manager)
	if body := m.mustGet("/customers?owner_id=" + e.Manager.UserID).body; strings.Contains(body, a.Str("name")) {
		t.Error("manager's own tab shows a rep's customer")
	}
}

var nextRE = regexp.MustCompile(`<a class="btn btn-sm" rel="next" href="([^"]+)"`)

func TestListFiltersSortPaging(t *testing.T) {
	e := newEnv(t)
	names := []string{"甲公司", "乙公司", "丙公司", "丁公司"}
	levels := []string{"A", "B", "A", "C"}
	for i, n := range names {
		e.Customer(t, e.Rep1, n, "level", levels[i], "region", "北京市")
	}
	b := e.as(t, e.Rep1)

	// Equality filter with the API's parameter syntax.
	body := b.mustGet("/customers?level=A").body
	if !strings.Contains(body, "甲公司") || !strings.Contains(body, "丙公司") || strings.Contains(body, "乙公司") {
		t.Errorf("level=A filter wrong:\n%s", snippet(body))
	}
	// In-list and contains.
	body = b.mustGet("/customers?level=B&level=C&name[contains]=公司").body
	if strings.Contains(body, "甲公司") || !strings.Contains(body, "乙公司") || !strings.Contains(body, "丁公司") {
		t.Errorf("in-list filter wrong")
	}
	// Sort by name ascending, then the header toggles to descending.
	body = b.mustGet("/customers?sort=name").body
	order := []int{strings.Index(body, "丁公司"), strings.Index(body, "丙公司"), strings.Index(body, "乙公司"), strings.Index(body, "甲公司")}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			t.Errorf("not sorted by name: %v", order)
		}
	}
	if !strings.Contains(body, `aria-sort="ascending"`) || !strings.Contains(body, "sort=-name") {
		t.Error("sorted header does not offer the other direction")
	}
	// Keyset paging: two per page, next pages carry a cursor; total on demand.
	seen := map[string]bool{}
	path := "/customers?sort=name&limit=2&total=1"
	for page := 0; page < 5 && path != ""; page++ {
		r := b.mustGet(path)
		if page == 0 && !strings.Contains(r.body, "共 4 条") {
			t.Errorf("no total:\n%s", snippet(r.body))
		}
		for _, n := range names {
			if strings.Contains(r.body, `">`+n+`</a>`) {
				if seen[n] {
					t.Errorf("%s on two pages", n)
				}
				seen[n] = true
			}
		}
		m := nextRE.FindStringSubmatch(r.body)
		path = ""
		if m != nil {
			path = html.UnescapeString(m[1])
			if !strings.Contains(path, "cursor=") {
				t.Errorf("next link without cursor: %s", path)
			}
		}
	}
	if len(seen) != 4 {
		t.Errorf("paging saw %d of 4", len(seen))
	}
	// Export links carry the filters to the API (for roles that export).
	if strings.Contains(body, "/export?") {
		t.Error("a rep without the export right gets export links")
	}
	body = e.as(t, e.Manager).mustGet("/customers?level=A").body
	if !strings.Contains(body, "/api/v1/customers/export?format=csv&amp;level=A") {
		t.Errorf("export link without filters:\n%s", snippet(body))
	}

	// Bad filters answer 4xx with a message naming the problem, never 500.
	for _, tc := range []struct{ q, msg string }{
		{"nosuch=1", "筛选条件“nosuch”无效"},
		{"level=Z", "客户级别"},
		{"sort=notes", "不能按"},
		{"created_at[gte]=yesterday", "创建时间"},
		{"cursor=abc", "分页"},
		{"limit=-3", ""},
	} {
		r := b.get("/customers?" + tc.q)
		if r.status < 400 || r.status >= 500 {
			t.Errorf("%s: status %d", tc.q, r.status)
		}
		if !strings.Contains(r.body, "alert-error") || !strings.Contains(text(r.body), tc.msg) {
			t.Errorf("%s: no clear message:\n%s", tc.q, snippet(r.body))
		}
	}
}

// Contact details are masked for roles without the right, on every page.
func TestMaskedForPresales(t *testing.T) {
	e := newEnv(t)
	c := e.Customer(t, e.Rep1, "上海浦东发展银行股份有限公司", "phone", "13812345678")
	ct, err := e.App.Records.Create(ctx(), e.Rep1, "contact", entity.Record{"customer_id": c.ID(), "name": "王芳", "phone": "13987654321", "email": "wang.fang@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	p := e.as(t, e.Presales)
	for _, path := range []string{"/customers", "/customers/" + c.ID(), "/contacts", "/contacts/" + ct.ID(), "/search?q=浦东", "/search?q=王芳", "/search?q=4321"} {
		body := p.mustGet(path).body
		for _, clear := range []string{"13812345678", "13987654321", "wang.fang@example.com"} {
			if strings.Contains(body, clear) {
				t.Errorf("%s shows %s to pre-sales", path, clear)
			}
		}
		if path != "/customers" && !strings.Contains(body, `class="masked"`) {
			t.Errorf("%s: no masked value", path)
		}
	}
	// The owner sees them in clear.
	r := e.as(t, e.Rep1).mustGet("/contacts/" + ct.ID())
	if !strings.Contains(r.body, "13987654321") {
		t.Error("owner does not see the phone")
	}
	// Editing with the masked value sent back keeps the real one.
	r = p.get("/contacts/" + ct.ID() + "/edit")
	if r.status != http.StatusForbidden {
		t.Errorf("pre-sales may edit a contact: %d", r.status)
	}
}

func TestSearchAndLookup(t *testing.T) {
	e := newEnv(t)
	e.Customer(t, e.Rep1, "北京华为技术有限公司", "phone", "01088886666")
	lead, err := e.App.Records.Create(ctx(), e.Rep1, "lead", entity.Record{"name": "华小明", "company": "华能集团", "source": "web"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.as(t, e.Rep1)
	body := b.mustGet("/search?q=华为").body
	if !strings.Contains(body, "<mark>华为</mark>") || !strings.Contains(body, `badge badge-accent">客户`) {
		t.Errorf("search result not highlighted/badged:\n%s", snippet(body))
	}
	if !strings.Contains(b.mustGet("/search?q=华小明").body, "/leads/"+lead.ID()) {
		t.Error("lead not found")
	}
	if !strings.Contains(b.mustGet("/search?q=6666").body, "北京华为技术有限公司") {
		t.Error("phone suffix not found")
	}
	// Another rep does not find it; pooled records say so.
	if strings.Contains(e.as(t, e.Rep3).mustGet("/search?q=华为").body, "北京华为技术有限公司") {
		t.Error("search leaks another rep's customer")
	}
	r := b.mustGet("/ui/lookup/customers?q=华为")
	if !strings.HasPrefix(r.hdr.Get("Content-Type"), "application/json") || !strings.Contains(r.body, `"title":"北京华为技术有限公司"`) {
		t.Errorf("lookup: %s", r.body)
	}
	if r := b.mustGet("/ui/lookup/users?q=李"); !strings.Contains(r.body, "李娜") {
		t.Errorf("user lookup: %s", r.body)
	}
	if r := b.mustGet("/ui/lookup/teams?q=北京"); !strings.Contains(r.body, "北京销售部") {
		t.Errorf("team lookup: %s", r.body)
	}
	if r := b.get("/ui/lookup/nothing?q=x"); r.status != 404 {
		t.Errorf("unknown lookup: %d", r.status)
	}
	if r := e.as(t, e.Rep3).mustGet("/ui/lookup/customers?q=华为"); strings.Contains(r.body, "华为") {
		t.Errorf("lookup leaks: %s", r.body)
	}
}

// The filter form shows the filters in use: open with their count, the
// chosen option selected, typed values and both ends of a range kept, and
// the parameters that are not its own (the sort) carried as hidden fields.
func TestListFilterFormKeepsTheFiltersInUse(t *testing.T) {
	e := newEnv(t)
	e.Customer(t, e.Rep1, "甲公司", "level", "A")
	b := e.as(t, e.Rep1)
	body := b.mustGet("/customers?level=A&q=甲&created_at[gte]=2026-01-01&created_at[lte]=2026-12-31&sort=name").body
	for _, want := range []string{
		`<details class="filters" open>`,
		`<span class="count">`,
		`<option value="A" selected>`,
		`name="q" value="甲"`,
		`name="created_at[gte]" value="2026-01-01"`,
		`name="created_at[lte]" value="2026-12-31"`,
		`<input type="hidden" name="sort" value="name">`,
		`<form method="get" action="/customers" data-autosubmit>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("filter form lacks %s:\n%s", want, snippet(body))
		}
	}
	if body := b.mustGet("/customers").body; strings.Contains(body, `<details class="filters" open>`) {
		t.Error("the filter form is open with no filter in use")
	}
}
