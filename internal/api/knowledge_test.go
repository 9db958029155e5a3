package api_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"closeloop/internal/apptest"
)

// The knowledge base through the generic machinery: Chinese search on
// articles (search API with type=, and a list's q=), the public articles
// a customer portal will show (audience=public), and links from an
// opportunity.
func TestKnowledgeBase(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	pre := &client{t: t, base: base, token: tokenFor(t, f, f.Presales, "write"), name: "presales"}
	rep := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}
	rep3 := &client{t: t, base: base, token: tokenFor(t, f, f.Rep3, "write"), name: "rep3"}
	admin := &client{t: t, base: base, token: tokenFor(t, f, f.Admin, "write"), name: "admin"}

	articles := []map[string]any{
		{"title": "数据中心机房改造解决方案", "category": "solution", "tags": []string{"数据中心", "节能"}, "audience": "public",
			"summary": "模块化机房，PUE 降到 1.3 以下", "body": "适用于政府和大型企业的老旧机房改造。采用模块化冷通道，运维成本降低20%。"},
		{"title": "某省电网智能巡检成功案例", "category": "case", "tags": []string{"电力", "巡检"}, "audience": "internal",
			"summary": "无人机加AI识别", "body": "项目周期六个月，覆盖三千公里输电线路，缺陷识别准确率百分之九十五。"},
		{"title": "常见问题：私有化部署需要哪些服务器", "category": "faq", "audience": "public",
			"body": "最低配置三台服务器：两台应用服务器，一台数据库服务器。支持麒麟和统信操作系统。"},
	}
	var ids []string
	for _, a := range articles {
		st, b := pre.do("POST", "/api/v1/knowledge-articles", a)
		if st != 201 {
			t.Fatalf("create article: %d %s", st, b)
		}
		ids = append(ids, decode(t, b)["id"].(string))
	}
	// Sales reps read the knowledge base but do not write it.
	if st, b := rep.do("POST", "/api/v1/knowledge-articles", articles[0]); st != 403 {
		t.Errorf("rep creates an article: %d %s", st, b)
	}

	hits := func(c *client, path string) []string {
		t.Helper()
		st, b := c.do("GET", path, nil)
		if st != 200 {
			t.Fatalf("%s: %d %s", path, st, b)
		}
		var r struct {
			Items []struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"items"`
		}
		json.Unmarshal(b, &r)
		var out []string
		for _, it := range r.Items {
			if it.Type != "" && it.Type != "knowledge_article" {
				t.Errorf("%s: a %s among articles", path, it.Type)
			}
			out = append(out, it.ID)
		}
		slices.Sort(out)
		return out
	}
	one := func(i ...int) []string {
		var out []string
		for _, x := range i {
			out = append(out, ids[x])
		}
		slices.Sort(out)
		return out
	}
	search := func(q string) string { return "/api/v1/search?type=knowledge_article&q=" + url.QueryEscape(q) }
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"机房", one(0)},    // a word of a title
		{"运维成本", one(0)},  // inside the body
		{"巡检", one(1)},    // a tag and a title word
		{"服务器", one(2)},   // three characters
		{"电", one(1)},     // one character: 电网, 电力
		{"数据", one(0, 2)}, // 数据中心, 数据库
		{"pue", one(0)},   // Latin, any case
		{"麒麟 统信", one(2)}, // every word must match
		{"区块链", nil},      // nothing
	} {
		for _, who := range []*client{rep, rep3, pre} { // every role reads the whole knowledge base
			if got := hits(who, search(c.q)); !slices.Equal(got, c.want) {
				t.Errorf("%s searches %q: %v, want %v", who.name, c.q, got, c.want)
			}
		}
	}
	// The same search inside the list, combined with a filter.
	if got := hits(rep, "/api/v1/knowledge-articles?q="+url.QueryEscape("数据")+"&audience=public"); !slices.Equal(got, one(0, 2)) {
		t.Errorf("list q=数据: %v", got)
	}
	if got := hits(rep, "/api/v1/knowledge-articles?q="+url.QueryEscape("数据")+"&category=faq"); !slices.Equal(got, one(2)) {
		t.Errorf("list q=数据&category=faq: %v", got)
	}
	// Public articles only: what a customer portal will use.
	if got := hits(rep, "/api/v1/knowledge-articles?audience=public"); !slices.Equal(got, one(0, 2)) {
		t.Errorf("audience=public: %v", got)
	}
	if got := hits(rep, "/api/v1/knowledge-articles?audience=internal"); !slices.Equal(got, one(1)) {
		t.Errorf("audience=internal: %v", got)
	}
	// The default search box (customers, contacts, leads) stays as it was.
	if got := hits(rep, "/api/v1/search?q="+url.QueryEscape("机房")); len(got) != 0 {
		t.Errorf("default search finds articles: %v", got)
	}
	// Edits and deletes keep the index right.
	st, b := pre.do("PATCH", "/api/v1/knowledge-articles/"+ids[1], map[string]any{"version": 1, "title": "某省电网无人机巡检案例", "body": "改为区块链存证"})
	if st != 200 {
		t.Fatalf("edit: %d %s", st, b)
	}
	if got := hits(rep, search("区块链")); !slices.Equal(got, one(1)) {
		t.Errorf("after edit: %v", got)
	}
	if st, b := admin.do("DELETE", "/api/v1/knowledge-articles/"+ids[1], nil); st != 204 {
		t.Fatalf("delete: %d %s", st, b)
	}
	if got := hits(rep, search("区块链")); len(got) != 0 {
		t.Errorf("after delete: %v", got)
	}
	if st, b := admin.do("POST", "/api/v1/knowledge-articles/"+ids[1]+"/restore", nil); st != 200 {
		t.Fatalf("restore: %d %s", st, b)
	}
	if got := hits(rep, search("区块链")); !slices.Equal(got, one(1)) {
		t.Errorf("after restore: %v", got)
	}

	// Linked from an opportunity (its knowledge_articles field).
	cust := f.Customer(t, f.Rep1, "浙江省数据管理中心")
	st, b = rep.do("POST", "/api/v1/opportunities", map[string]any{"name": "省数据中心扩容", "customer_id": cust.ID(), "knowledge_articles": []string{ids[0], ids[2]}})
	if st != 201 {
		t.Fatalf("opportunity: %d %s", st, b)
	}
	opp := decode(t, b)
	if got, _ := json.Marshal(opp["knowledge_articles"]); string(got) != `["`+ids[0]+`","`+ids[2]+`"]` {
		t.Errorf("linked articles %s", got)
	}
	if st, b := rep.do("PATCH", "/api/v1/opportunities/"+opp["id"].(string), map[string]any{"version": 1, "knowledge_articles": []string{"01900000-0000-7000-8000-000000000001"}}); st != 422 {
		t.Errorf("link to a missing article: %d %s", st, b)
	}
}
