package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

func TestFeedbackPagesAndPublicSurvey(t *testing.T) {
	e := newEnv(t)
	ctx := ctx()
	mgr := e.AddUser(t, "钱主管", "qian@example.com", e.South, access.RoleServiceManager)
	cust := e.Customer(t, e.Rep1, "合肥京东方光电科技有限公司")
	tk, err := e.App.Tickets.Create(ctx, e.Service, entity.Record{"subject": "相机掉线<script>x</script>", "kind": crm.TicketComplaint, "description": "间歇性掉线", "customer_id": cust.ID()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	te := e.App.DB.Schema().Entity("ticket")
	if err := e.App.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := e.App.DB.Get(ctx, tx, te, tk.ID(), store.True, false)
		if err != nil {
			return err
		}
		_, err = e.App.Records.SetTx(records.AsProcess(ctx), tx, e.Service, te, old, entity.Record{"status": crm.TicketResolved, "cause": "product_defect", "resolution": "换线", "resolved_at": store.Now()})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	m := e.as(t, mgr)
	for path, want := range map[string]string{
		"/reports/ticket-causes":                              "原因复盘",
		"/reports/ticket-causes?group=customer":               "合肥京东方",
		"/reports/surveys?group=month":                        "满意度结果",
		"/reports/ticket-causes/improve?cause=product_defect": "将关联这一行的 1 张已解决工单",
		"/tickets/" + tk.ID():                                 "复制调查链接",
	} {
		if r := m.mustGet(path); !strings.Contains(r.body, want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}
	home := m.mustGet("/")
	for _, want := range []string{"原因复盘", "逾期改进项", "我的回访", "逾期回访", "满意度结果"} {
		if !strings.Contains(home.body, want) {
			t.Errorf("menu lacks %q", want)
		}
	}
	for _, path := range []string{"/return-visits?owner_id=" + mgr.UserID + "&status=planned&sort=due_date", "/return-visits?status=planned&due_date%5Blt%5D=2026-12-01&sort=due_date",
		"/improvement-items?status=open&status=in_progress&due_date%5Blt%5D=2026-12-01&sort=due_date"} {
		m.mustGet(path)
	}
	if r := m.get("/reports/ticket-causes?from=2026-99-99"); r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
		t.Errorf("bad date: %d", r.status)
	}
	// Create an item from the review row.
	r := m.post("/reports/ticket-causes/improve", url.Values{"title": {"相机线缆加固"}, "cause": {"product_defect"}, "owner_id": {e.Presales.UserID}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/improvement-items/") {
		t.Fatalf("improve: %d %s", r.status, snippet(r.body))
	}
	if r := m.post("/reports/ticket-causes/improve", url.Values{"title": {""}}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("no title: %d", r.status)
	}
	// Copy the survey link from the survey, and answer it as the customer.
	var sid string
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT id FROM surveys WHERE ticket_id = $1`, tk.ID()).Scan(&sid); err != nil {
		t.Fatal(err)
	}
	l, err := e.App.Feedback.CopyLink(ctx, e.Service, sid)
	if err != nil {
		t.Fatal(err)
	}
	pub := e.browser(t)
	page := pub.get(l.Path)
	if page.status != http.StatusOK || !strings.Contains(page.body, "服务满意度调查") || strings.Contains(page.body, "<script>x") || strings.Contains(page.body, "logout") {
		t.Fatalf("public page %d %s", page.status, snippet(page.body))
	}
	if r := pub.get(l.Path + "?lang=en"); !strings.Contains(r.body, "How satisfied") {
		t.Error("no English page")
	}
	pub.get(l.Path + "?lang=zh-CN")
	for _, bad := range []url.Values{{}, {"satisfaction": {"9"}, "nps": {"5"}}, {"satisfaction": {"3"}, "nps": {"x"}}, {"satisfaction": {"3"}, "nps": {"5"}, "comment": {strings.Repeat("长", 2001)}}} {
		if r := pub.post(l.Path, bad); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "请检查") {
			t.Errorf("%v: %d", bad, r.status)
		}
	}
	var st string
	_ = e.App.DB.R().QueryRowContext(ctx, `SELECT status FROM surveys WHERE id = $1`, sid).Scan(&st)
	if st == crm.SurveyAnswered {
		t.Fatal("a bad answer was stored")
	}
	if r := pub.get("/survey/" + strings.Repeat("A", 43)); r.status != http.StatusNotFound || !strings.Contains(r.body, "链接无效") {
		t.Errorf("unknown token: %d", r.status)
	}
	if r := pub.post(l.Path, url.Values{"satisfaction": {"1"}, "nps": {"2"}, "comment": {"太慢"}}); r.status != http.StatusOK || !strings.Contains(r.body, "感谢您的评价") {
		t.Fatalf("answer: %d %s", r.status, snippet(r.body))
	}
	if r := pub.post(l.Path, url.Values{"satisfaction": {"5"}, "nps": {"10"}}); r.status != http.StatusConflict || !strings.Contains(r.body, "已经提交过") {
		t.Errorf("second answer: %d", r.status)
	}
	var n int
	_ = e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM recovery_tasks WHERE survey_id = $1 AND owner_id = $2 AND complaint = TRUE`, sid, mgr.UserID).Scan(&n)
	if n != 1 {
		t.Errorf("recovery tasks for the manager: %d", n)
	}
	if r := m.mustGet("/recovery-tasks"); !strings.Contains(r.body, "投诉低分挽回") {
		t.Error("recovery task not listed")
	}
}
