package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/presales"
)

// The sample page: the stepper, the next step's form, a refused step shown
// on the page with the input kept, the failure form behind a confirmation,
// and the customer report telling the story.
func TestSampleTrialPage(t *testing.T) {
	e := newEnv(t)
	cust := e.Customer(t, e.Rep1, "安徽晶华光电材料有限公司")
	sent := time.Now().In(e.App.Loc).AddDate(0, 0, -10).Format(entity.DateLayout)
	smp, err := e.App.Records.Create(ctx(), e.Rep1, "sample", entity.Record{"product": "光学级 PMMA 粒料", "customer_id": cust.ID(), "quantity": 10.0, "unit": "kg", "sent_on": sent})
	if err != nil {
		t.Fatal(err)
	}
	b := e.as(t, e.Rep1)
	page := b.mustGet("/samples/" + smp.ID()).body
	for _, want := range []string{`id="trial"`, "试样进度", "下一步：记录小试结果", `name="stage" value="small_trial"`, `action="/samples/` + smp.ID() + `/advance"`, "标记为未通过", `data-confirm="确定将送样「光学级 PMMA 粒料」标记为未通过？`} {
		if !strings.Contains(page, want) {
			t.Errorf("sample page lacks %q", want)
		}
	}
	// Without a result: the page again, 422, the date kept, the field marked.
	r := b.post("/samples/"+smp.ID()+"/advance", url.Values{"stage": {"small_trial"}, "on": {sent}, "result": {""}, "version": {"1"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "结果为必填项") || !strings.Contains(r.body, `value="`+sent+`"`) {
		t.Fatalf("missing result: %d\n%s", r.status, snippet(r.body))
	}
	// A skip (a forged form): the reason names the next step.
	r = b.post("/samples/"+smp.ID()+"/advance", url.Values{"stage": {"regular_purchase"}, "result": {"下单"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "下一步只能是“小试”") {
		t.Fatalf("skip: %d\n%s", r.status, snippet(r.body))
	}
	r = b.post("/samples/"+smp.ID()+"/advance", url.Values{"stage": {"small_trial"}, "on": {sent}, "result": {"透光率 92%，雾度合格"}, "version": {"1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("small trial: %d\n%s", r.status, snippet(r.body))
	}
	page = b.follow(r).body
	for _, want := range []string{"已记录「光学级 PMMA 粒料」的小试结果", "透光率 92%，雾度合格", "下一步：记录中试结果", `class="trial-step is-done"`} {
		if !strings.Contains(page, want) {
			t.Errorf("after the small trial the page lacks %q", want)
		}
	}
	// A stale form (version 1 again) is sent back with a message.
	r = b.post("/samples/"+smp.ID()+"/advance", url.Values{"stage": {"pilot"}, "result": {"x"}, "version": {"1"}})
	if r.status != http.StatusSeeOther || !strings.Contains(b.follow(r).body, "已被他人修改") {
		t.Fatalf("stale: %d", r.status)
	}
	r = b.post("/samples/"+smp.ID()+"/advance", url.Values{"stage": {"failed"}, "result": {"客户产线改用 PC 材料"}, "version": {"2"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("failed: %d\n%s", r.status, snippet(r.body))
	}
	page = b.follow(r).body
	if !strings.Contains(page, "中试未通过") || !strings.Contains(page, "试样未通过，已结束。") || strings.Contains(page, `/advance"`) {
		t.Errorf("closed trial page:\n%s", snippet(page))
	}
	// The customer report.
	tl := text(b.mustGet("/customers/" + cust.ID()).body)
	for _, want := range []string{"送样「光学级 PMMA 粒料」（10 kg，" + sent + "）", "送样「光学级 PMMA 粒料」小试完成", "送样「光学级 PMMA 粒料」试样未通过", "客户产线改用 PC 材料"} {
		if !strings.Contains(tl, want) {
			t.Errorf("customer report lacks %q", want)
		}
	}
	// Someone else's sample: not found.
	if r := e.as(t, e.Rep3).post("/samples/"+smp.ID()+"/advance", url.Values{"stage": {"pilot"}, "result": {"x"}}); r.status != http.StatusNotFound {
		t.Errorf("other rep: %d", r.status)
	}
	if r := b.post("/samples/nope/advance", url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("bad id: %d", r.status)
	}
}

func TestBidChecklistAndDeadlines(t *testing.T) {
	e := newEnv(t)
	cust := e.Customer(t, e.Rep1, "杭州市城市大脑运营中心")
	opp, err := e.App.Records.Create(ctx(), e.Rep1, "opportunity", entity.Record{"name": "城市大脑交通模块", "customer_id": cust.ID()})
	if err != nil {
		t.Fatal(err)
	}
	// Tomorrow noon on the company's calendar: one day left whatever the hour
	// the test runs at (30 hours ahead crosses two calendar days after 18:00).
	now := time.Now().In(e.App.Loc)
	deadline := time.Date(now.Year(), now.Month(), now.Day()+1, 12, 0, 0, 0, e.App.Loc)
	bid, err := e.App.Records.Create(ctx(), e.Rep1, "bid", entity.Record{"title": "城市大脑交通模块采购", "opportunity_id": opp.ID(), "deadline": deadline,
		"documents_required": []string{"license", "technical", "price"}, "documents_ready": []string{"price", "references"}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.as(t, e.Rep1)
	page := b.mustGet("/bids/" + bid.ID()).body
	for _, want := range []string{"投标文件清单", "已备齐 1/3", "还缺：营业执照、技术标书。", "文件备齐后才能通过内部评审。", "业绩证明", "（非必需）", "还剩 1 天"} {
		if !strings.Contains(page, want) {
			t.Errorf("bid page lacks %q", want)
		}
	}
	// The edit form refuses a passed review with documents missing, naming them.
	r := b.post("/bids/"+bid.ID()+"/edit", url.Values{"version": {strconv.FormatInt(bid.Version(), 10)}, "title": {"城市大脑交通模块采购"}, "opportunity_id": {opp.ID()},
		"deadline": {deadline.Format("2006-01-02T15:04")}, "review_status": {"passed"}, "result": {"pending"},
		"documents_required": {"license", "technical", "price"}, "documents_ready": {"price"}})
	if r.status == http.StatusSeeOther || !strings.Contains(text(r.body), "投标文件未备齐，不能通过评审：还缺 2 份（营业执照、技术标书）") {
		t.Fatalf("edit with documents missing: %d\n%s", r.status, snippet(r.body))
	}
	// The list marks deadlines within three days and links to them.
	later, err := e.App.Records.Create(ctx(), e.Rep1, "bid", entity.Record{"title": "城市大脑二期", "opportunity_id": opp.ID(), "deadline": time.Now().AddDate(0, 0, 10)})
	if err != nil {
		t.Fatal(err)
	}
	list := b.mustGet("/bids").body
	if !strings.Contains(list, "还剩 1 天") || !strings.Contains(list, "3 天内截止") || !strings.Contains(list, later.ID()) {
		t.Errorf("bid list:\n%s", snippet(list))
	}
	m := regexp.MustCompile(`<a class="btn" href="(/bids\?[^"]+)">3 天内截止</a>`).FindStringSubmatch(list)
	if m == nil {
		t.Fatal("no link to the bids due soon")
	}
	soon := b.mustGet(html.UnescapeString(m[1])).body
	if !strings.Contains(soon, bid.ID()) || strings.Contains(soon, later.ID()) {
		t.Errorf("bids due soon:\n%s", snippet(soon))
	}
}

func TestSampleReportPage(t *testing.T) {
	e := newEnv(t)
	cust := e.Customer(t, e.Rep1, "河北冀东水泥有限公司")
	for i, product := range []string{"减水剂 PC-40", "减水剂 PC-40", "早强剂 ES-2"} {
		smp, err := e.App.Records.Create(ctx(), e.Rep1, "sample", entity.Record{"product": product, "customer_id": cust.ID(), "quantity": 20.0, "sent_on": time.Now().AddDate(0, 0, -20).Format(entity.DateLayout)})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			for _, st := range []string{"small_trial", "pilot", "regular_purchase"} {
				if _, err := e.App.Presales.AdvanceSample(ctx(), e.Rep1, smp.ID(), samplesStep(st)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	m := e.as(t, e.Manager)
	page := m.mustGet("/reports/samples").body
	for _, want := range []string{"送样转化率", `data-chart=`, "减水剂 PC-40", "50.0%", "合计", "/api/v1/reports/samples/export?format=csv", `name="team_id"`, "vendor/echarts.min.js"} {
		if !strings.Contains(page, want) {
			t.Errorf("report page lacks %q", want)
		}
	}
	if !strings.Contains(m.mustGet("/reports/samples?group=owner").body, "张伟") {
		t.Error("grouped by owner: no owner")
	}
	// A product's row links to its samples.
	link := regexp.MustCompile(`<a class="title" href="(/samples\?[^"]+)">早强剂 ES-2</a>`).FindStringSubmatch(page)
	if link == nil {
		t.Fatal("no link from the report to the samples")
	}
	if list := m.mustGet(html.UnescapeString(link[1])).body; !strings.Contains(list, "早强剂 ES-2") || strings.Contains(list, "减水剂 PC-40") {
		t.Error("the report's link lists other samples")
	}
	if r := m.get("/reports/samples?from=2026-99-01"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "开始日期不是有效的日期") {
		t.Errorf("bad date: %d\n%s", r.status, snippet(r.body))
	}
	// A rep sees only their own and gets no owner/team filters; another region's rep sees nothing of it.
	if p := e.as(t, e.Rep3).mustGet("/reports/samples").body; strings.Contains(p, "减水剂") || strings.Contains(p, `name="team_id"`) {
		t.Error("rep3 sees rep1's samples or scope filters")
	}
	if !strings.Contains(m.mustGet("/samples").body, `href="/reports/samples"`) {
		t.Error("no link from the samples list")
	}
	// In English.
	en := e.browser(t)
	en.hdr.Set("Accept-Language", "en")
	if r := en.post("/login", url.Values{"email": {e.Rep1.Email}, "password": {apptest.Password}}); r.status != http.StatusSeeOther {
		t.Fatal("sign in")
	}
	if p := en.mustGet("/reports/samples").body; !strings.Contains(p, "Sample conversion") || !strings.Contains(p, "Regular purchase") {
		t.Error("report page in English")
	}
	var id string
	_ = e.App.DB.R().QueryRowContext(ctx(), `SELECT id FROM samples WHERE stage = 'sent' LIMIT 1`).Scan(&id)
	if p := en.mustGet("/samples/" + id).body; !strings.Contains(p, "Trial progress") || !strings.Contains(p, "Next: record the small trial") {
		t.Error("sample page in English")
	}
}

func samplesStep(stage string) presales.SampleStep {
	return presales.SampleStep{Stage: stage, Result: "通过"}
}
