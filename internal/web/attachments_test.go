package web_test

import (
	"context"
	"html"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"closeloop/internal/entity"
	"closeloop/internal/store"
)

var pdf = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

// raw fetches without the page checks (downloads carry their own CSP).
func (b *browser) raw(path string) (*http.Response, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	for k, v := range b.hdr {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

var downloadRE = regexp.MustCompile(`href="(/attachments/[0-9a-f-]+/download)"`)

// The attachments card on a record's page: upload with a Chinese name,
// the list, the download with safe headers, refusals shown in the user's
// language, delete with confirmation and restore — and nothing for those
// who may not see the record.
func TestAttachmentsCard(t *testing.T) {
	e := newEnv(t)
	cust := e.Customer(t, e.Rep1, "苏州工业园区智能制造有限公司")
	page := "/customers/" + cust.ID()
	rep := e.as(t, e.Rep1)

	r := rep.mustGet(page)
	for _, want := range []string{`id="attachments"`, "附件", "暂无附件", `action="/attachments"`, `enctype="multipart/form-data"`, `name="record_id" value="` + cust.ID() + `"`, "单个文件不超过 20 MB"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("card: no %q", want)
		}
	}
	const name = "合同（盖章版）2026.pdf"
	fields := url.Values{"entity": {"customer"}, "record_id": {cust.ID()}}
	up := rep.upload("/attachments", name, pdf, fields)
	if up.status != http.StatusSeeOther || up.loc != page+"#attachments" {
		t.Fatalf("upload: %d %s\n%s", up.status, up.loc, snippet(up.body))
	}
	r = rep.follow(up)
	body := html.UnescapeString(r.body)
	for _, want := range []string{"已上传“" + name + "”", name, "张伟", "B</td>", `data-confirm="删除附件“` + name + `”？`} {
		if !strings.Contains(body, want) {
			t.Errorf("after upload: no %q", want)
		}
	}
	m := downloadRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no download link\n%s", snippet(r.body))
	}
	dl := m[1]
	res, data := rep.raw(dl)
	if res.StatusCode != 200 || string(data) != string(pdf) {
		t.Fatalf("download: %d %q", res.StatusCode, data)
	}
	_, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] != name || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("Content-Disposition %q", res.Header.Get("Content-Disposition"))
	}
	if res.Header.Get("Content-Security-Policy") != "sandbox" || res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("headers %v", res.Header)
	}

	// Someone who may not see the customer gets a 404 page for the file,
	// and cannot upload to it.
	other := e.as(t, e.Rep3)
	if res, data := other.raw(dl); res.StatusCode != 404 || strings.Contains(string(data), "%PDF") {
		t.Errorf("other rep's download: %d", res.StatusCode)
	}
	if r := other.upload("/attachments", "x.pdf", pdf, fields); r.status != 404 {
		t.Errorf("other rep's upload: %d", r.status)
	}
	// A reader sees the file, but neither the form nor delete.
	pre := e.as(t, e.Presales)
	r = pre.mustGet(page)
	if !strings.Contains(r.body, dl) || strings.Contains(r.body, `action="/attachments"`) || strings.Contains(r.body, `action="`+strings.TrimSuffix(dl, "/download")+`/delete"`) {
		t.Errorf("reader's card:\n%s", snippet(r.body))
	}

	// Refusals come back as a message in the user's language, on the page.
	for _, c := range []struct {
		file, lang string
		data       []byte
		want       string
	}{
		{"报价.exe", "zh-CN", pdf, "不接受此类文件（报价.exe）"},
		{"报价.pdf", "zh-CN", []byte("<html><script>alert(1)</script>"), "不接受此类文件"},
		{"空.pdf", "zh-CN", nil, "文件是空的"},
		{"setup.exe", "en", pdf, "This kind of file is not accepted (setup.exe)"},
	} {
		b := rep
		if c.lang == "en" {
			b = e.as(t, e.Rep1)
			b.post("/account/lang", url.Values{"lang": {"en"}})
		}
		r := b.upload("/attachments", c.file, c.data, fields)
		if r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d", c.file, r.status)
		}
		if got := html.UnescapeString(b.follow(r).body); !strings.Contains(got, c.want) {
			t.Errorf("%s: no %q on the page", c.file, c.want)
		}
		if c.lang == "en" {
			b.post("/account/lang", url.Values{"lang": {"zh-CN"}})
		}
	}
	e.App.Files.MaxSize = 1024
	r = rep.upload("/attachments", "大文件.pdf", append(pdf, make([]byte, 2048)...), fields)
	if got := html.UnescapeString(rep.follow(r).body); !strings.Contains(got, "文件过大") {
		t.Errorf("too large: no message")
	}
	e.App.Files.MaxSize = 20 << 20
	if r := rep.upload("/attachments", "x.pdf", pdf, url.Values{}); r.status != http.StatusNotFound {
		t.Errorf("no record: %d", r.status)
	}

	// Delete (the form asks first), then restore from the trash.
	del := strings.TrimSuffix(dl, "/download") + "/delete"
	if !strings.Contains(r.body+rep.mustGet(page).body, `action="`+del+`"`) {
		t.Fatal("no delete form")
	}
	if r := other.post(del, nil); r.status != 404 {
		t.Errorf("other rep's delete: %d", r.status)
	}
	if r := pre.post(del, nil); r.status != 403 {
		t.Errorf("reader's delete: %d", r.status)
	}
	r = rep.follow(rep.post(del, nil))
	body = html.UnescapeString(r.body)
	if !strings.Contains(body, "已删除附件“"+name+"”") || !strings.Contains(body, "已删除（1）") || !strings.Contains(body, "暂无附件") {
		t.Errorf("after delete:\n%s", snippet(r.body))
	}
	if res, _ := rep.raw(dl); res.StatusCode != 404 {
		t.Errorf("deleted download: %d", res.StatusCode)
	}
	r = rep.follow(rep.post(strings.TrimSuffix(dl, "/download")+"/restore", nil))
	if body := html.UnescapeString(r.body); !strings.Contains(body, "已恢复附件“"+name+"”") || !strings.Contains(r.body, dl) {
		t.Errorf("after restore:\n%s", snippet(r.body))
	}
	// The audit log names it in words.
	admin := e.as(t, e.Admin)
	if body := admin.mustGet("/settings/audit?entity=customer&record_id=" + cust.ID()).body; !strings.Contains(body, "上传附件") || !strings.Contains(body, "删除附件") || !strings.Contains(body, "恢复附件") || !strings.Contains(body, "下载附件") {
		t.Errorf("audit page:\n%s", snippet(body))
	}
}

// An opportunity's page lists the knowledge articles it links to.
func TestOpportunityKnowledgeCard(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var arts []string
	for _, a := range []entity.Record{
		{"title": "数据中心机房改造解决方案", "category": "solution", "audience": "public", "summary": "模块化机房", "body": "正文"},
		{"title": "智能巡检成功案例", "category": "case", "body": "正文"},
	} {
		r, err := e.App.Records.Create(ctx, e.Presales, "knowledge_article", a)
		if err != nil {
			t.Fatal(err)
		}
		arts = append(arts, r.ID())
	}
	cust := e.Customer(t, e.Rep1, "南京数据管理中心")
	var opp string
	err := e.App.DB.Write(ctx, func(tx *store.Tx) error {
		r, err := e.App.Records.InsertTx(ctx, tx, e.Rep1, "opportunity", entity.Record{"name": "数据中心扩容", "customer_id": cust.ID(), "stage": "acquired", "probability": int64(10), "knowledge_articles": arts})
		opp = r.ID()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := e.as(t, e.Rep1).mustGet("/opportunities/" + opp)
	for _, want := range []string{`id="knowledge"`, "参考知识", `href="/knowledge-articles/` + arts[0] + `"`, "数据中心机房改造解决方案", "解决方案 · 模块化机房", "公开",
		`href="/knowledge-articles/` + arts[1] + `"`, "成功案例", `id="attachments"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("opportunity page: no %q", want)
		}
	}
	// Every page has the card, knowledge articles' own included.
	if r := e.as(t, e.Rep1).mustGet("/knowledge-articles/" + arts[0]); !strings.Contains(r.body, `id="attachments"`) {
		t.Error("no attachments card on an article")
	}
}
