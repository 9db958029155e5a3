package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
)

// must checks that a page answer has a status and shows every text.
func must(t *testing.T, what string, r resp, status int, texts ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.status, status, snippet(r.body))
	}
	body := html.UnescapeString(r.body)
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Errorf("%s: page lacks %q", what, s)
		}
	}
}

var raiseRE = regexp.MustCompile(`href="(/presales-requests/new\?[^"]+)"`)

// A request through the web UI: raised from the opportunity's page,
// evaluated, assigned, worked on, closed and scored — each refusal said
// next to its field with the dialog open again.
func TestPresalesRequestPages(t *testing.T) {
	e := newEnv(t)
	mgrP := e.AddUser(t, "周经理", "zhou@example.com", e.Company, access.RolePresalesManager)
	eng2P := e.AddUser(t, "吴工", "wu@example.com", e.Company, access.RolePresales)
	cust := e.Customer(t, e.Rep1, "厦门象屿物流集团有限公司")
	opp, err := e.App.Records.Create(ctx(), e.Rep1, "opportunity", entity.Record{"name": "象屿智慧物流平台", "customer_id": cust.ID(), "amount": int64(80000000)})
	if err != nil {
		t.Fatal(err)
	}
	rep, mgr, eng, eng2 := e.as(t, e.Rep1), e.as(t, mgrP), e.as(t, e.Presales), e.as(t, eng2P)

	// Raised from the opportunity, through the generic form, prefilled.
	page := rep.mustGet("/opportunities/" + opp.ID())
	m := raiseRE.FindStringSubmatch(page.body)
	if m == nil || !strings.Contains(page.body, "申请售前支持") {
		t.Fatalf("no raise action on the opportunity:\n%s", snippet(page.body))
	}
	link := html.UnescapeString(m[1])
	must(t, "prefilled form", rep.get(link), 200, "象屿智慧物流平台", "800000")
	r := rep.post("/presales-requests/new", url.Values{"opportunity_id": {opp.ID()}, "name": {"象屿智慧物流平台"}, "estimated_value": {"800000"},
		"work_needed": {"solution_writing", "demo"}, "description": {"需要整体方案和现场演示"}, "needed_by": {"2026-12-20"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/presales-requests/") {
		t.Fatalf("raise: %d %q\n%s", r.status, r.loc, snippet(r.body))
	}
	id := strings.TrimPrefix(r.loc, "/presales-requests/")
	base := "/presales-requests/" + id
	repPage := rep.follow(r)
	must(t, "rep's page", repPage, 200, "待评估", "关闭申请", "售前进度", "已等待 0 天")
	must(t, "request list with ages", rep.mustGet("/presales-requests"), 200, "待评估 · 0 天", `href="/reports/presales-ageing"`)
	if strings.Contains(repPage.body, "dlg-psr-evaluate") {
		t.Error("a rep is offered the evaluation")
	}

	// Evaluation: a missing importance is said next to it, the input kept.
	must(t, "manager's page", mgr.mustGet(base), 200, "dlg-psr-evaluate", "评估")
	ev := url.Values{"eval_products": {"WMS 仓储系统"}, "eval_work": {"solution_writing", "demo"}, "eval_difficulty": {"high"}, "eval_conclusion": {"accept"}, "eval_people": {"2"}}
	must(t, "evaluation without importance", mgr.post(base+"/evaluation", ev), 422, "重要程度为必填项", "WMS 仓储系统", "data-autoshow")
	ev.Set("eval_people", "两个")
	ev.Set("importance", "province")
	must(t, "people as words", mgr.post(base+"/evaluation", ev), 422, "需要人数必须是整数")
	ev.Set("eval_people", "2")
	r = mgr.post(base+"/evaluation", ev)
	must(t, "evaluated", mgr.follow(r), 200, "已评估受理", "省级推广", "WMS 仓储系统")

	// Assignment of pre-sales engineers only.
	assignPage := mgr.mustGet(base)
	must(t, "assign dialog", assignPage, 200, "刘洋", "吴工")
	if strings.Contains(assignPage.body, `value="`+e.Rep2.UserID+`"`) {
		t.Error("a sales rep is offered as engineer")
	}
	r = mgr.post(base+"/engineers", url.Values{"engineer_ids": {e.Presales.UserID}})
	must(t, "assigned", mgr.follow(r), 200, "已为「象屿智慧物流平台」分派工程师", "支持中")

	// The engineer sees the request and the deal; the other one does not.
	must(t, "engineer's page", eng.mustGet(base), 200, "登记工作", "象屿智慧物流平台")
	must(t, "engineer's deal", eng.mustGet("/opportunities/"+opp.ID()), 200, "象屿智慧物流平台")
	must(t, "engineer's request list", eng.mustGet("/presales-requests"), 200, "象屿智慧物流平台")
	must(t, "engineer's deal list", eng.mustGet("/opportunities"), 200, "象屿智慧物流平台")
	if r := eng2.get(base); r.status != http.StatusNotFound {
		t.Errorf("other engineer: %d", r.status)
	}
	if strings.Contains(eng2.mustGet("/opportunities").body, "象屿智慧物流平台") {
		t.Error("other engineer lists the deal")
	}

	// Work records.
	today := time.Now().In(e.App.Loc).Format("2006-01-02")
	work := url.Values{"kind": {"solution_writing"}, "work_date": {today}, "hours": {"三小时"}, "summary": {"方案初稿"}}
	must(t, "hours as words", eng.post(base+"/work", work), 422, "工时（小时）不是有效的数字", "方案初稿", "data-autoshow")
	work.Set("hours", "3.5")
	work.Set("outputs", "方案V1.docx")
	r = eng.post(base+"/work", work)
	if r.status != http.StatusSeeOther {
		t.Fatalf("log work: %d\n%s", r.status, snippet(r.body))
	}
	must(t, "work listed", eng.mustGet(base), 200, "工作记录已保存", "方案初稿", "方案V1.docx", "3.5")
	if r := rep.post(base+"/work", work); r.status != http.StatusSeeOther || !strings.Contains(rep.follow(r).body, "只有分派到该申请的工程师或售前经理可以登记工作") {
		t.Errorf("rep logs work: %d", r.status)
	}

	// Closing: an outcome is required; the closer scores.
	closing := url.Values{"outcome": {""}, "note": {"已签约"}, "score_quality": {"5"}, "score_timeliness": {"4"}, "score_contribution": {"5"}}
	must(t, "close without outcome", rep.post(base+"/close", closing), 422, "关闭申请必须选择结果", "已签约", "data-autoshow")
	closing.Set("outcome", "won")
	closing.Set("score_quality", "9")
	must(t, "score out of range", rep.post(base+"/close", closing), 422, "质量须为 1 到 5 分")
	closing.Set("score_quality", "5")
	r = rep.post(base+"/close", closing)
	closed := rep.follow(r)
	must(t, "closed", closed, 200, "「象屿智慧物流平台」已关闭", "赢单", "业务负责人", "4.67")
	if strings.Contains(closed.body, "dlg-psr-score") || strings.Contains(closed.body, "dlg-psr-close") {
		t.Error("the rep is offered to close or score again")
	}
	// The manager adds their score.
	must(t, "manager's score dialog", mgr.mustGet(base), 200, "dlg-psr-score")
	r = mgr.post(base+"/score", url.Values{"quality": {"4"}, "timeliness": {"4"}, "contribution": {"4"}, "comment": {"按期交付"}})
	must(t, "scored", mgr.follow(r), 200, "评分已保存", "售前经理", "按期交付")
	if r := eng.post(base+"/work", work); r.status != http.StatusUnprocessableEntity && r.status != http.StatusSeeOther {
		t.Errorf("work after close: %d", r.status)
	}

	// Reports.
	must(t, "ageing", mgr.mustGet("/reports/presales-ageing"), 200, "售前申请账龄", "0–7 天", "61 天以上")
	month := time.Now().In(e.App.Loc).Format("2006-01")
	sum := mgr.mustGet("/reports/presales-summary?month=" + month)
	must(t, "summary", sum, 200, "售前月度汇总", "刘洋", "3.5", "data-chart", "导出 Excel")
	csvResp := mgr.get("/reports/presales-summary?month=" + month + "&format=csv")
	if csvResp.status != 200 || !strings.HasPrefix(csvResp.hdr.Get("Content-Type"), "text/csv") || !strings.Contains(csvResp.body, "工程师") || !strings.Contains(csvResp.body, "合计") {
		t.Errorf("summary CSV: %d %s %q", csvResp.status, csvResp.hdr.Get("Content-Type"), csvResp.body)
	}
	must(t, "bad month", mgr.get("/reports/presales-summary?month=2026-99"), 422, "月份“2026-99”无效")
	must(t, "team summary", mgr.mustGet("/reports/presales-summary?month="+month+"&group=team"), 200, "华东科技集团")
	// The menu leads there.
	must(t, "menu", mgr.mustGet("/"), 200, `href="/reports/presales-summary"`, `href="/reports/presales-ageing"`)
	// The customer's story has the steps.
	must(t, "timeline", rep.mustGet("/customers/"+cust.ID()), 200, "申请售前支持「象屿智慧物流平台」", "分派售前工程师：刘洋", "售前申请「象屿智慧物流平台」关闭（赢单）")
}

// A solution's review through the web UI: locked while reviewed, a
// reviewer's dialog, sending once approved, and the next version.
func TestSolutionPages(t *testing.T) {
	e := newEnv(t)
	mgrP := e.AddUser(t, "周经理", "zhou@example.com", e.Company, access.RolePresalesManager)
	cust := e.Customer(t, e.Rep1, "宁德时代新能源科技股份有限公司")
	opp, err := e.App.Records.Create(ctx(), e.Rep1, "opportunity", entity.Record{"name": "电池工厂 MES", "customer_id": cust.ID()})
	if err != nil {
		t.Fatal(err)
	}
	sol, err := e.App.Records.Create(ctx(), e.Rep1, "solution", entity.Record{"title": "MES 实施方案", "opportunity_id": opp.ID(), "technical_part": "MES + 数据采集"})
	if err != nil {
		t.Fatal(err)
	}
	rep, mgr := e.as(t, e.Rep1), e.as(t, mgrP)
	base := "/solutions/" + sol.ID()
	must(t, "draft", rep.mustGet(base), 200, "提交评审", "/edit")
	r := rep.post(base+"/submit-review", url.Values{})
	must(t, "no reviewers", rep.follow(r), 200, "提交评审前请至少指定一位评审人")
	if _, err := e.App.Records.Update(ctx(), e.Rep1, "solution", sol.ID(), 0, entity.Record{"reviewers": []string{mgrP.UserID}}); err != nil {
		t.Fatal(err)
	}
	r = rep.post(base+"/submit-review", url.Values{})
	inReview := rep.follow(r)
	must(t, "submitted", inReview, 200, "「MES 实施方案」已提交评审", "方案正在评审中，内容不能修改", "待评审")
	if strings.Contains(inReview.body, base+"/edit") {
		t.Error("edit offered while in review")
	}
	if r := rep.post(base+"/edit", url.Values{"title": {"改"}, "version": {"3"}, "opportunity_id": {opp.ID()}}); r.status != http.StatusUnprocessableEntity && r.status != http.StatusConflict {
		t.Errorf("edit in review: %d", r.status)
	}
	must(t, "reviewer's page", mgr.mustGet(base), 200, "dlg-sol-review")
	must(t, "revise without comment", mgr.post(base+"/review", url.Values{"verdict": {"revise"}}), 422, "要求修改时请写明需要修改的内容", "data-autoshow")
	r = mgr.post(base+"/review", url.Values{"verdict": {"approve"}, "comment": {"同意发送"}})
	must(t, "approved", mgr.follow(r), 200, "已提交：通过", "同意发送", "第 1 轮评审")
	must(t, "owner's approved page", rep.mustGet(base), 200, "发送客户", "新建版本", "方案已评审通过")
	r = rep.post(base+"/send", url.Values{})
	must(t, "sent", rep.follow(r), 200, "已标记为发送客户", "已发送客户")
	r = rep.post(base+"/revise", url.Values{})
	if r.status != http.StatusSeeOther || r.loc == base {
		t.Fatalf("revise: %d %q", r.status, r.loc)
	}
	must(t, "version 2", rep.follow(r), 200, "已新建第 2 版", "第 1 版", "第 2 版", "提交评审")
	must(t, "newer link", rep.mustGet(base), 200, "查看新版本")
	if r := rep.post(base+"/send", url.Values{}); r.status != http.StatusSeeOther || !strings.Contains(rep.follow(r).body, "方案评审通过后才能发送给客户") {
		t.Errorf("send again: %d", r.status)
	}
}
