package web_test

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	clmail "closeloop/internal/mail"
	"closeloop/internal/store"
)

// The admin pages of documents and mail, used as an admin would: fill in
// the letterhead, upload a logo, open the preview; set the SMTP server
// (the password never shown again); find a failed message in the outbox
// and resend it.
func TestDocsMailPages(t *testing.T) {
	e := newEnv(t)
	rep := e.as(t, e.Rep1)
	for _, p := range []string{"/settings/company", "/settings/mail", "/settings/mail/outbox", "/settings/company/preview.pdf"} {
		if r := rep.get(p); r.status != http.StatusForbidden {
			t.Errorf("rep GET %s: %d", p, r.status)
		}
	}
	if r := rep.post("/settings/mail", url.Values{"host": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("rep POST /settings/mail: %d", r.status)
	}
	a := e.as(t, e.Admin)
	idx := a.mustGet("/settings").body
	for _, href := range []string{`href="/settings/company"`, `href="/settings/mail"`, `href="/settings/mail/outbox"`} {
		if !strings.Contains(idx, href) {
			t.Errorf("settings index lacks %s", href)
		}
	}

	// The letterhead: a refusal is shown at the form, keeping what was typed.
	r := a.post("/settings/company", url.Values{"name": {""}, "name_en": {"Closeloop Software Ltd."}, "email": {"nope"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "公司名称为必填项") || !strings.Contains(text(r.body), "邮箱不是有效的邮箱地址") ||
		!strings.Contains(r.body, `value="Closeloop Software Ltd."`) {
		t.Errorf("refused form: %d\n%s", r.status, snippet(r.body))
	}
	r = a.post("/settings/company", url.Values{"name": {"闭环软件（杭州）有限公司"}, "name_en": {"Closeloop Software Ltd."}, "address": {"杭州市西湖区文三路 90 号"},
		"bank_name": {"招商银行杭州分行"}, "bank_account": {"5719 0000 0000 0001"}})
	page := a.follow(r).body
	if !strings.Contains(page, "公司信息已保存") || !strings.Contains(page, `value="招商银行杭州分行"`) || !strings.Contains(page, "尚未上传标志") {
		t.Errorf("after save:\n%s", snippet(page))
	}
	if !strings.Contains(page, `href="/settings/company/preview.pdf"`) || !strings.Contains(page, "预览信笺") {
		t.Error("no preview button")
	}
	var logo bytes.Buffer
	png.Encode(&logo, image.NewNRGBA(image.Rect(0, 0, 200, 60)))
	r = a.upload("/settings/company/logo", "logo.exe", []byte("MZ\x90\x00 not a picture"), nil)
	if page := a.follow(r).body; !strings.Contains(text(page), "标志必须是 PNG 或 JPEG 图片") {
		t.Errorf("refused logo:\n%s", snippet(page))
	}
	r = a.upload("/settings/company/logo", "logo.png", logo.Bytes(), nil)
	page = a.follow(r).body
	if !strings.Contains(page, "标志已更新") || !strings.Contains(page, `class="logo-preview" src="/settings/company/logo?v=`) {
		t.Fatalf("after logo upload:\n%s", snippet(page))
	}
	if r := a.mustGet("/settings/company/logo"); r.hdr.Get("Content-Type") != "image/png" || r.hdr.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("logo: %v", r.hdr)
	}
	pdf := a.mustGet("/settings/company/preview.pdf")
	if pdf.hdr.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.body, "%PDF-") || !strings.Contains(pdf.hdr.Get("Content-Disposition"), "inline") {
		t.Errorf("preview: %v", pdf.hdr)
	}
	r = a.post("/settings/company/logo/delete", nil)
	if page := a.follow(r).body; !strings.Contains(page, "标志已删除") || strings.Contains(page, "logo-preview") {
		t.Error("logo not removed")
	}

	// SMTP: saved, password not echoed; kept when the field is left empty.
	r = a.post("/settings/mail", url.Values{"host": {"smtp.example.test"}, "port": {"abc"}, "security": {"starttls"}, "from_address": {"sales@closeloop.test"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "端口必须是整数") {
		t.Errorf("bad port: %d", r.status)
	}
	r = a.post("/settings/mail", url.Values{"host": {"smtp.example.test"}, "security": {"tls"}, "username": {"sales"}, "password": {"s3cret-密码"},
		"from_address": {"sales@closeloop.test"}, "from_name": {"闭环软件 销售部"}})
	page = a.follow(r).body
	if !strings.Contains(page, "邮件设置已保存") || strings.Contains(page, "s3cret") || !strings.Contains(page, "密码已保存，不会显示") || !strings.Contains(page, `value="465"`) {
		t.Errorf("after saving smtp:\n%s", snippet(page))
	}
	a.post("/settings/mail", url.Values{"host": {"smtp.example.test"}, "security": {"tls"}, "username": {"sales"}, "password": {""}, "from_address": {"sales@closeloop.test"}})
	if st, _ := e.App.Mail.Settings(ctx(), e.Admin); !st.PasswordSet {
		t.Error("an empty password field dropped the stored password")
	}

	// The outbox: a failed message, its detail, resend after confirming.
	var id string
	err := e.App.DB.Write(ctx(), func(tx *store.Tx) error {
		var err error
		id, err = e.App.Mail.Enqueue(ctx(), tx, clmail.Message{To: []string{"wang@yunqi.test"}, Subject: "满意度调查邀请", Text: "请为我们的服务打分", Entity: "customer", RecordID: store.NewID()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.DB.W().ExecContext(ctx(), `UPDATE mail_outbox SET status = 'failed', attempts = 1, last_error = '550 5.1.1 Mailbox unavailable' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	list := a.mustGet("/settings/mail/outbox?status=failed").body
	for _, want := range []string{"满意度调查邀请", "wang@yunqi.test", "550 5.1.1 Mailbox unavailable", "发送失败", `action="/settings/mail/outbox/` + id + `/resend"`, "data-confirm="} {
		if !strings.Contains(list, want) {
			t.Errorf("outbox page lacks %q", want)
		}
	}
	if sent := a.mustGet("/settings/mail/outbox?status=sent").body; strings.Contains(sent, "满意度调查邀请") {
		t.Error("the sent tab lists a failed message")
	}
	if d := a.mustGet("/settings/mail/outbox/" + id).body; !strings.Contains(d, "请为我们的服务打分") || !strings.Contains(d, "Mailbox unavailable") {
		t.Errorf("message page:\n%s", snippet(d))
	}
	r = a.post("/settings/mail/outbox/"+id+"/resend", url.Values{"next": {"/settings/mail/outbox?status=failed"}})
	if r.loc != "/settings/mail/outbox?status=failed" {
		t.Errorf("resend went to %q", r.loc)
	}
	if page := a.follow(r).body; !strings.Contains(page, "已重新加入发送队列") {
		t.Error("no confirmation of the resend")
	}
	if d, _ := e.App.Mail.Get(ctx(), e.Admin, id); d.Status != clmail.Queued {
		t.Errorf("status after resend: %s", d.Status)
	}
	r = a.post("/settings/mail/outbox/"+id+"/resend", nil)
	if page := a.follow(r).body; !strings.Contains(page, "只有发送失败的邮件才能重新发送") {
		t.Error("resending a queued message was not refused")
	}
	if r := a.get("/settings/mail/outbox/" + store.NewID()); r.status != http.StatusNotFound {
		t.Errorf("unknown message: %d", r.status)
	}
	// The test button with nothing listening: the outcome is a message, not an error page.
	if _, err := e.App.Mail.SaveSettings(ctx(), e.Admin, clmail.SMTPUpdate{Host: "127.0.0.1", Port: 1, Security: clmail.SecurityNone, FromAddress: "sales@closeloop.test"}); err != nil {
		t.Fatal(err)
	}
	r = a.post("/settings/mail/test", url.Values{"to": {"it@closeloop.test"}})
	if page := a.follow(r).body; !strings.Contains(text(page), "测试邮件发送失败") || !strings.Contains(page, "refused") {
		t.Errorf("test mail outcome:\n%s", snippet(page))
	}
}
