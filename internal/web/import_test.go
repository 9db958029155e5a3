package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Import through the pages: upload with a dry run, watch the progress,
// read the report (column mapping, rejected rows), download it, then
// import for real.
func TestImportDryRunThenReal(t *testing.T) {
	e := newEnv(t)
	b := e.as(t, e.Admin)
	form := b.mustGet("/customers/import").body
	if !strings.Contains(form, `name="dry_run" value="1" checked`) || !strings.Contains(form, `<option value="name">客户名称</option>`) {
		t.Fatalf("import form:\n%s", snippet(form))
	}
	csv := "客户名称,客户级别,总机电话,备注,奇怪的列\n" +
		"宁波舟山港股份有限公司,A,057412345678,老客户,x\n" +
		"温州正泰电器有限公司,Z,,级别错误,y\n" +
		",B,,没有名称,z\n" +
		"绍兴黄酒集团有限公司,C,,,\n"
	r := b.upload("/customers/import", "客户.csv", []byte(csv), url.Values{"dry_run": {"1"}, "mode": {"valid"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/imports/") {
		t.Fatalf("upload: %d %q\n%s", r.status, r.loc, snippet(r.body))
	}
	run := r.loc
	page := b.mustGet(run).body
	if !strings.Contains(page, `hx-get="`+run+`/progress"`) || !strings.Contains(page, "<progress") {
		t.Fatalf("no polled progress:\n%s", snippet(page))
	}
	if _, err := e.App.Jobs.RunOne(ctx()); err != nil {
		t.Fatal(err)
	}
	b.hdr.Set("HX-Request", "true")
	if r := b.mustGet(run + "/progress"); r.hdr.Get("HX-Refresh") != "true" || strings.Contains(r.body, "hx-trigger") {
		t.Errorf("finished progress keeps polling")
	}
	b.hdr.Del("HX-Request")
	page = b.mustGet(run).body
	for _, want := range []string{"试运行完成", "2 行可以导入", "2 行会被拒绝", "奇怪的列", "未识别，已忽略", "客户级别", "正式导入", run + "/report.csv", run + "/report.xlsx", "客户名称为必填项"} {
		if !strings.Contains(text(page), want) && !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(b.mustGet("/customers").body, "宁波舟山港") {
		t.Fatal("dry run wrote data")
	}
	rep := b.mustGet(run + "/report.csv")
	if !strings.HasPrefix(rep.hdr.Get("Content-Type"), "text/csv") || !strings.Contains(rep.body, "客户级别") {
		t.Errorf("report download: %q %s", rep.hdr.Get("Content-Type"), rep.body)
	}
	if r := b.get(run + "/report.xlsx"); r.status != 200 {
		t.Errorf("xlsx report: %d", r.status)
	}
	// Import for real.
	r = b.post(run+"/rerun", nil)
	if r.status != http.StatusSeeOther || r.loc == run {
		t.Fatalf("rerun: %d %q", r.status, r.loc)
	}
	if _, err := e.App.Jobs.RunOne(ctx()); err != nil {
		t.Fatal(err)
	}
	page = b.mustGet(r.loc).body
	if !strings.Contains(page, "导入完成：新建 2 条") || strings.Contains(page, "/rerun") {
		t.Errorf("real run:\n%s", snippet(page))
	}
	list := b.mustGet("/customers").body
	if !strings.Contains(list, "宁波舟山港股份有限公司") || !strings.Contains(list, "绍兴黄酒集团有限公司") {
		t.Error("imported rows not listed")
	}
	// Another user cannot see the run.
	if r := e.as(t, e.Rep1).get(run); r.status != http.StatusNotFound {
		t.Errorf("someone else's import: %d", r.status)
	}
	// No file: a message, not a 500.
	r = b.upload("/customers/import", "", nil, url.Values{"dry_run": {"1"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "alert-error") {
		t.Errorf("empty upload: %d", r.status)
	}
	// Sales may not import.
	if r := e.as(t, e.Rep1).get("/customers/import"); r.status != http.StatusForbidden {
		t.Errorf("rep import page: %d", r.status)
	}
}
