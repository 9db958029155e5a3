package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"strings"
	"testing"

	"closeloop/internal/apptest"
	clmail "closeloop/internal/mail"
	"closeloop/internal/store"
)

// The settings endpoints of documents and mail: admins only, the
// letterhead with its logo and PDF preview, the SMTP settings with a
// write-only password, the outbox and its resend.
func TestDocsMailSettingsAPI(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	admin := &client{t: t, base: base, token: tokenFor(t, f, f.Admin, "write"), name: "admin"}
	rep := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep"}
	reader := &client{t: t, base: base, token: tokenFor(t, f, f.Admin, "read"), name: "admin-read"}

	for _, c := range []struct{ method, path string }{{"GET", "/api/v1/settings/company"}, {"PUT", "/api/v1/settings/company"},
		{"GET", "/api/v1/settings/smtp"}, {"PUT", "/api/v1/settings/smtp"}, {"GET", "/api/v1/outbox"}, {"GET", "/api/v1/settings/company/preview"},
		{"POST", "/api/v1/settings/smtp/test"}, {"DELETE", "/api/v1/settings/company/logo"}} {
		var body any
		if c.method != "GET" && c.method != "DELETE" {
			body = map[string]any{}
		}
		if st, b := rep.do(c.method, c.path, body); st != 403 {
			t.Errorf("rep %s %s: %d %s", c.method, c.path, st, b)
		}
	}
	if st, _ := reader.do("PUT", "/api/v1/settings/company", map[string]any{"name": "x"}); st != 403 {
		t.Errorf("read-only token wrote: %d", st)
	}

	// The letterhead.
	st, b := admin.do("PUT", "/api/v1/settings/company", map[string]any{"name": "闭环软件（杭州）有限公司", "name_en": "Closeloop Software Ltd.", "email": "bad"})
	var prob struct {
		Code   string `json:"code"`
		Errors []struct {
			Field, Code, Detail string
		} `json:"errors"`
	}
	json.Unmarshal(b, &prob)
	if st != 400 && st != 422 || len(prob.Errors) != 1 || prob.Errors[0].Field != "email" || prob.Errors[0].Code != "invalid_email" || !strings.Contains(prob.Errors[0].Detail, "邮箱") {
		t.Errorf("bad e-mail: %d %s", st, b)
	}
	if st, b := admin.do("PUT", "/api/v1/settings/company", map[string]any{"name": "x", "logo": "data"}); st != 400 || !strings.Contains(string(b), "bad_json") {
		t.Errorf("unknown field: %d %s", st, b)
	}
	st, b = admin.do("PUT", "/api/v1/settings/company", map[string]any{"name": "闭环软件（杭州）有限公司", "name_en": "Closeloop Software Ltd.", "tax_number": "91330106MA2H00001X"})
	if st != 200 || !strings.Contains(string(b), `"tax_number":"91330106MA2H00001X"`) || !strings.Contains(string(b), `"logo":null`) {
		t.Fatalf("save company: %d %s", st, b)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 120, 40))
	var logo bytes.Buffer
	png.Encode(&logo, img)
	if st, m := admin.upload("/api/v1/settings/company/logo", nil, "logo.gif", []byte("GIF89a not really")); st != 422 || fieldCode(m) != "logo_type" {
		t.Errorf("gif logo: %d %v", st, m)
	}
	if st, m := admin.upload("/api/v1/settings/company/logo", nil, "logo.png", logo.Bytes()); st != 200 || m["content_type"] != "image/png" || m["width"] != float64(120) {
		t.Fatalf("upload logo: %d %v", st, m)
	}
	resp, data := admin.download("/api/v1/settings/company/logo")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("X-Content-Type-Options") != "nosniff" || !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Errorf("logo download: %d %v", resp.StatusCode, resp.Header)
	}
	resp, data = admin.download("/api/v1/settings/company/preview?lang=en")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(data, []byte("%PDF-")) || !bytes.Contains(data, []byte("/Subtype /Image")) {
		t.Errorf("preview: %d %v %d bytes", resp.StatusCode, resp.Header, len(data))
	}

	// SMTP: the password goes in and never comes out.
	if st, b := admin.do("POST", "/api/v1/settings/smtp/test", map[string]any{"to": "a@b.test"}); st != 422 || !strings.Contains(string(b), "smtp_not_configured") {
		t.Errorf("test without settings: %d %s", st, b)
	}
	st, b = admin.do("PUT", "/api/v1/settings/smtp", map[string]any{"host": "smtp.example.test", "security": "tls", "username": "sales", "password": "p@ss 密码", "from_address": "sales@closeloop.test", "from_name": "销售部"})
	if st != 200 || strings.Contains(string(b), "p@ss") || !strings.Contains(string(b), `"password_set":true`) || !strings.Contains(string(b), `"port":465`) {
		t.Fatalf("save smtp: %d %s", st, b)
	}
	st, b = admin.do("PUT", "/api/v1/settings/smtp", map[string]any{"host": "smtp.example.test", "security": "starttls", "username": "sales", "from_address": "sales@closeloop.test"})
	if st != 200 || !strings.Contains(string(b), `"password_set":true`) {
		t.Errorf("saving without a password dropped it: %s", b)
	}
	st, b = admin.do("GET", "/api/v1/settings/smtp", nil)
	if st != 200 || strings.Contains(string(b), "p@ss") || strings.Contains(string(b), `"password":`) {
		t.Errorf("GET smtp shows the password: %s", b)
	}
	if st, b := admin.do("PUT", "/api/v1/settings/smtp", map[string]any{"host": "smtp.example.test", "port": 0.5, "from_address": "a@b.test"}); st != 400 {
		t.Errorf("fractional port: %d %s", st, b)
	}
	if st, b := admin.do("PUT", "/api/v1/settings/smtp", map[string]any{"host": "a b", "from_address": "a@b.test", "security": "ssl"}); st != 400 && st != 422 || !strings.Contains(string(b), "smtp_bad_host") || !strings.Contains(string(b), "SMTP 服务器") {
		t.Errorf("bad host: %d %s", st, b)
	}

	// The outbox.
	var id string
	err := f.App.DB.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = f.App.Mail.Enqueue(context.Background(), tx, clmail.Message{To: []string{"张伟 <zhang@yunqi.test>"}, Subject: "报价单 Q-202611-0001", Text: "您好"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st, b = admin.do("GET", "/api/v1/outbox?status=queued", nil)
	var page struct {
		Items []clmail.Item `json:"items"`
	}
	json.Unmarshal(b, &page)
	if st != 200 || len(page.Items) != 1 || page.Items[0].ID != id || page.Items[0].To[0] != "张伟 <zhang@yunqi.test>" {
		t.Errorf("outbox: %d %s", st, b)
	}
	if st, b := admin.do("GET", "/api/v1/outbox?status=nope", nil); st != 400 && st != 422 {
		t.Errorf("bad status filter: %d %s", st, b)
	}
	if st, b := admin.do("GET", "/api/v1/outbox?limit=0", nil); st != 400 && st != 422 {
		t.Errorf("bad limit: %d %s", st, b)
	}
	if st, b := admin.do("GET", "/api/v1/outbox/"+id, nil); st != 200 || !strings.Contains(string(b), `"text":"您好"`) {
		t.Errorf("outbox item: %d %s", st, b)
	}
	if st, _ := admin.do("GET", "/api/v1/outbox/"+store.NewID(), nil); st != 404 {
		t.Errorf("unknown message: %d", st)
	}
	if st, _ := admin.do("GET", "/api/v1/outbox/not-an-id", nil); st != 404 {
		t.Errorf("bad id: %d", st)
	}
	if st, b := admin.do("POST", "/api/v1/outbox/"+id+"/resend", nil); st != 422 || !strings.Contains(string(b), "mail_not_failed") {
		t.Errorf("resend a queued message: %d %s", st, b)
	}
	if st, _ := rep.do("POST", "/api/v1/outbox/"+id+"/resend", nil); st != 403 {
		t.Errorf("rep resend: %d", st)
	}
}
