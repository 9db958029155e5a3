package web_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/entity"
)

var hrefRE = regexp.MustCompile(`href="(/[^"#]*)`)

// Every role follows every link it is shown (breadth first, bounded):
// no page answers 5xx, and every page passes the CSP checks.
func TestCrawlEveryRole(t *testing.T) {
	e := newEnv(t)
	c := e.Customer(t, e.Rep1, "无锡小天鹅电器有限公司", "level", "A", "phone", "051088889999", "tags", []string{"重点", "展会"})
	ct, err := e.App.Records.Create(ctx(), e.Rep1, "contact", entity.Record{"customer_id": c.ID(), "name": "钱多多", "decision_role": "purchaser", "phone": "13500001111"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Records.Create(ctx(), e.Rep1, "activity", entity.Record{"kind": "visit", "subject": "上门拜访", "customer_id": c.ID(), "contact_id": ct.ID(),
		"participant_users": []string{e.Rep2.UserID}, "next_step": "报价", "next_step_due": "2026-01-01"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Records.Create(ctx(), e.Rep1, "lead", entity.Record{"name": "孔明", "company": "隆中咨询有限公司", "source": "referral"}); err != nil {
		t.Fatal(err)
	}
	e.Customer(t, e.Admin, "公海里的客户有限公司", "owner_id", "")
	for _, p := range []*access.Principal{e.Rep1, e.Manager, e.Admin, e.Presales} {
		b := e.as(t, p)
		seen := map[string]bool{}
		queue := []string{"/"}
		for len(queue) > 0 && len(seen) < 160 {
			path := queue[0]
			queue = queue[1:]
			if seen[path] {
				continue
			}
			seen[path] = true
			r := b.get(path)
			if r.status >= 500 {
				t.Errorf("%s: GET %s: %d\n%s", p.Name, path, r.status, snippet(r.body))
			}
			if !strings.HasPrefix(r.hdr.Get("Content-Type"), "text/html") {
				continue
			}
			for _, m := range hrefRE.FindAllStringSubmatch(r.body, -1) {
				u := html.UnescapeString(m[1])
				if strings.HasPrefix(u, "/static/") || strings.HasPrefix(u, "/api/") || strings.HasPrefix(u, "/logout") || strings.Contains(u, "report.") {
					continue
				}
				// Keep the crawl finite: one page per list parameter shape.
				if i := strings.Index(u, "cursor="); i >= 0 {
					u = u[:i] + "cursor=x"
				}
				if !seen[u] {
					queue = append(queue, u)
				}
			}
		}
		if len(seen) < 25 {
			t.Errorf("%s: crawl saw only %d pages", p.Name, len(seen))
		}
	}
}
