package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"closeloop/internal/apptest"
	"closeloop/internal/store"
)

// upload posts a multipart body with fields (in order) and a file.
func (c *client) upload(path string, fields [][2]string, fileName string, data []byte) (int, map[string]any) {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, kv := range fields {
		w.WriteField(kv[0], kv[1])
	}
	if fileName != "" {
		fw, _ := w.CreateFormFile("file", fileName)
		fw.Write(data)
	}
	w.Close()
	return c.raw("POST", path, w.FormDataContentType(), &body)
}

func (c *client) raw(method, path, ctype string, body io.Reader) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, body)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		c.t.Errorf("%s %s %s: %d %s", c.name, method, path, resp.StatusCode, b)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// download fetches a file with its response headers.
func (c *client) download(path string) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func fieldCode(m map[string]any) string {
	if es, ok := m["errors"].([]any); ok && len(es) > 0 {
		if e, ok := es[0].(map[string]any); ok {
			return fmt.Sprint(e["code"])
		}
	}
	return fmt.Sprint(m["code"])
}

var pdfBytes = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n")

func count(t *testing.T, f *apptest.Fixture, table string) int {
	t.Helper()
	var n int
	if err := f.App.DB.R().QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Attachments over HTTP on both engines: a round trip with a Chinese
// name, safe download headers, visibility through the record (404 for
// those who may not see it, 403 for those who may not change it), the
// size limit, broken uploads, refused types, delete, restore and audit.
func TestAttachments(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	rep1 := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}
	rep2 := &client{t: t, base: base, token: tokenFor(t, f, f.Rep2, "write"), name: "rep2"}
	rep3 := &client{t: t, base: base, token: tokenFor(t, f, f.Rep3, "write"), name: "rep3"}
	mgr := &client{t: t, base: base, token: tokenFor(t, f, f.Manager, "write"), name: "manager"}
	pre := &client{t: t, base: base, token: tokenFor(t, f, f.Presales, "write"), name: "presales"}
	rep1ro := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "read"), name: "rep1-read"}
	cust := f.Customer(t, f.Rep1, "杭州西湖电子科技有限公司")
	cid := cust.ID()

	// Upload with a Chinese name; the type comes from the bytes.
	name := "华东区 2026 年报价单（终版）.pdf"
	st, a := rep1.upload("/api/v1/attachments", [][2]string{{"entity", "customer"}, {"record_id", cid}}, name, pdfBytes)
	if st != 201 {
		t.Fatalf("upload: %d %v", st, a)
	}
	sum := sha256.Sum256(pdfBytes)
	if a["name"] != name || a["content_type"] != "application/pdf" || a["size"] != float64(len(pdfBytes)) || a["sha256"] != hex.EncodeToString(sum[:]) ||
		a["entity"] != "customer" || a["record_id"] != cid || a["created_by"] != f.Rep1.UserID {
		t.Fatalf("uploaded %v", a)
	}
	aid := a["id"].(string)
	dl := a["download_url"].(string)

	// The per-record route and the resource name work alike.
	if st, b := rep1.upload("/api/v1/customers/"+cid+"/attachments", nil, "照片.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")); st != 201 || b["content_type"] != "image/png" {
		t.Fatalf("per-record upload: %d %v", st, b)
	}
	if st, b := rep1.upload("/api/v1/attachments", [][2]string{{"entity", "customers"}, {"record_id", cid}}, "说明.txt", []byte("客户要求周五前回复")); st != 201 {
		t.Fatalf("upload by resource name: %d %v", st, b)
	}
	var png string
	for _, path := range []string{"/api/v1/attachments?entity=customer&record_id=" + cid, "/api/v1/customers/" + cid + "/attachments"} {
		st, b := rep1.raw("GET", path, "", nil)
		items, _ := b["items"].([]any)
		if st != 200 || len(items) != 3 || items[2].(map[string]any)["id"] != aid { // newest first
			t.Fatalf("list %s: %d %v", path, st, b)
		}
		png = items[1].(map[string]any)["id"].(string)
	}
	if st, b := rep1.raw("GET", "/api/v1/attachments/"+aid, "", nil); st != 200 || b["name"] != name {
		t.Fatalf("metadata: %d %v", st, b)
	}

	// Download: the bytes, the exact name, and headers that keep the file
	// from running as part of the site.
	resp, body := rep1.download(dl)
	if resp.StatusCode != 200 || !bytes.Equal(body, pdfBytes) {
		t.Fatalf("download: %d %q", resp.StatusCode, body)
	}
	h := resp.Header
	disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != name || !strings.Contains(h.Get("Content-Disposition"), "filename*=UTF-8''") {
		t.Errorf("Content-Disposition %q (%v)", h.Get("Content-Disposition"), err)
	}
	for k, want := range map[string]string{"Content-Type": "application/pdf", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
		"Content-Length": fmt.Sprint(len(pdfBytes)), "Cache-Control": "private, no-store"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	// Inline only for raster images.
	if resp, _ := rep1.download(dl + "?inline=1"); !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("a PDF inline: %s", resp.Header.Get("Content-Disposition"))
	}
	if resp, _ := rep1.download("/api/v1/attachments/" + png + "/download?inline=1"); !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline;") {
		t.Errorf("a PNG inline: %s", resp.Header.Get("Content-Disposition"))
	}
	// A range (PDF viewers, videos).
	req, _ := http.NewRequest("GET", base+dl, nil)
	req.Header.Set("Authorization", "Bearer "+rep1.token)
	req.Header.Set("Range", "bytes=0-7")
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 206 {
		t.Errorf("range: %v %v", r, err)
	} else {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if string(b) != "%PDF-1.7" {
			t.Errorf("range gave %q", b)
		}
	}

	// Visibility is the record's. A rep of another team, and a colleague
	// of the same team without team scope, see nothing: 404 everywhere.
	for _, c := range []*client{rep3, rep2} {
		for _, path := range []string{"/api/v1/attachments?entity=customer&record_id=" + cid, "/api/v1/customers/" + cid + "/attachments", "/api/v1/attachments/" + aid} {
			if st, b := c.raw("GET", path, "", nil); st != 404 {
				t.Errorf("%s GET %s: %d %v", c.name, path, st, b)
			}
		}
		if resp, b := c.download(dl); resp.StatusCode != 404 || bytes.Contains(b, pdfBytes[:8]) {
			t.Errorf("%s download: %d", c.name, resp.StatusCode)
		}
		if st, b := c.upload("/api/v1/attachments", [][2]string{{"entity", "customer"}, {"record_id", cid}}, "x.pdf", pdfBytes); st != 404 {
			t.Errorf("%s upload: %d %v", c.name, st, b)
		}
		if st, b := c.raw("DELETE", "/api/v1/attachments/"+aid, "", nil); st != 404 {
			t.Errorf("%s delete: %d %v", c.name, st, b)
		}
	}
	// The manager of the team sees it; the pre-sales engineer reads every
	// customer but changes none: download yes, upload and delete 403.
	if resp, b := mgr.download(dl); resp.StatusCode != 200 || !bytes.Equal(b, pdfBytes) {
		t.Errorf("manager download: %d", resp.StatusCode)
	}
	if resp, _ := pre.download(dl); resp.StatusCode != 200 {
		t.Errorf("presales download: %d", resp.StatusCode)
	}
	if st, b := pre.upload("/api/v1/customers/"+cid+"/attachments", nil, "x.pdf", pdfBytes); st != 403 {
		t.Errorf("presales upload: %d %v", st, b)
	}
	if st, b := pre.raw("DELETE", "/api/v1/attachments/"+aid, "", nil); st != 403 {
		t.Errorf("presales delete: %d %v", st, b)
	}
	if st, b := rep1ro.raw("DELETE", "/api/v1/attachments/"+aid, "", nil); st != 403 || b["code"] != "token_read_only" {
		t.Errorf("read-only token delete: %d %v", st, b)
	}
	// Unknown ids and resources.
	for _, path := range []string{"/api/v1/attachments/nonsense", "/api/v1/attachments/01900000-0000-7000-8000-000000000001", "/api/v1/attachments/nonsense/download",
		"/api/v1/attachments?entity=nosuch&record_id=" + cid, "/api/v1/tokens/" + cid + "/attachments", "/api/v1/customers/nonsense/attachments"} {
		if st, b := rep1.raw("GET", path, "", nil); st != 404 {
			t.Errorf("GET %s: %d %v", path, st, b)
		}
	}

	// Broken and refused uploads: a clear code, nothing written.
	files, atts := count(t, f, "files"), count(t, f, "attachments")
	fields := [][2]string{{"entity", "customer"}, {"record_id", cid}}
	cases := []struct {
		what string
		st   int
		code string
		do   func() (int, map[string]any)
	}{
		{"JSON instead of multipart", 400, "bad_multipart", func() (int, map[string]any) {
			return rep1.raw("POST", "/api/v1/attachments", "application/json", strings.NewReader(`{"entity":"customer"}`))
		}},
		{"no boundary", 400, "bad_multipart", func() (int, map[string]any) {
			return rep1.raw("POST", "/api/v1/attachments", "multipart/form-data", strings.NewReader("x"))
		}},
		{"truncated body", 400, "bad_multipart", func() (int, map[string]any) {
			return rep1.raw("POST", "/api/v1/attachments", "multipart/form-data; boundary=XYZ",
				strings.NewReader("--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.7 and then nothing"))
		}},
		{"no file", 422, "file_required", func() (int, map[string]any) { return rep1.upload("/api/v1/attachments", fields, "", nil) }},
		{"no record", 422, "required", func() (int, map[string]any) {
			return rep1.upload("/api/v1/attachments", [][2]string{{"entity", "customer"}}, "a.pdf", pdfBytes)
		}},
		{"empty file", 422, "file_empty", func() (int, map[string]any) { return rep1.upload("/api/v1/attachments", fields, "a.pdf", nil) }},
		{"a program", 422, "file_type_refused", func() (int, map[string]any) {
			return rep1.upload("/api/v1/attachments", fields, "报价单.exe", pdfBytes)
		}},
		{"a program named as a PDF", 422, "file_type_refused", func() (int, map[string]any) {
			return rep1.upload("/api/v1/attachments", fields, "报价单.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00"))
		}},
		{"a web page named as a PDF", 422, "file_type_refused", func() (int, map[string]any) {
			return rep1.upload("/api/v1/attachments", fields, "报价单.pdf", []byte("<!DOCTYPE html><script>alert(document.cookie)</script>"))
		}},
		{"two files", 400, "bad_multipart", func() (int, map[string]any) {
			var body bytes.Buffer
			w := multipart.NewWriter(&body)
			for _, n := range []string{"a.pdf", "b.pdf"} {
				fw, _ := w.CreateFormFile("file", n)
				fw.Write(pdfBytes)
			}
			w.Close()
			return rep1.raw("POST", "/api/v1/customers/"+cid+"/attachments", w.FormDataContentType(), &body)
		}},
	}
	for _, c := range cases {
		st, b := c.do()
		if st != c.st || fieldCode(b) != c.code || b["detail"] == "" {
			t.Errorf("%s: %d %v", c.what, st, b)
		}
	}
	// The size limit: at the limit is fine, one byte over is refused.
	f.App.Files.MaxSize = 1024
	big := append(append([]byte{}, pdfBytes...), bytes.Repeat([]byte("0"), 1024-len(pdfBytes))...)
	if st, b := rep1.upload("/api/v1/attachments", fields, "恰好.pdf", big); st != 201 {
		t.Errorf("at the limit: %d %v", st, b)
	}
	files, atts = files+1, atts+1
	st, b := rep1.upload("/api/v1/attachments", fields, "太大.pdf", append(big, '0'))
	if st != 422 || fieldCode(b) != "file_too_large" || b["detail"] == "" {
		t.Errorf("over the limit: %d %v", st, b)
	}
	// A body announced far over the limit is refused before it is read.
	if st, b := rep1.upload("/api/v1/attachments", fields, "巨大.pdf", append(big, bytes.Repeat([]byte("0"), 200<<10)...)); st != 422 || fieldCode(b) != "file_too_large" {
		t.Errorf("far over the limit: %d %v", st, b)
	}
	f.App.Files.MaxSize = 20 << 20
	if count(t, f, "files") != files || count(t, f, "attachments") != atts {
		t.Errorf("refused uploads wrote something: files %d→%d, attachments %d→%d", files, count(t, f, "files"), atts, count(t, f, "attachments"))
	}

	// Delete, see it in the trash, restore; each step audited against the
	// customer.
	if st, b := rep1.raw("DELETE", "/api/v1/attachments/"+aid, "", nil); st != 204 {
		t.Fatalf("delete: %d %v", st, b)
	}
	if st, b := rep1.raw("DELETE", "/api/v1/attachments/"+aid, "", nil); st != 404 {
		t.Errorf("delete twice: %d %v", st, b)
	}
	if resp, _ := rep1.download(dl); resp.StatusCode != 404 {
		t.Errorf("download of a deleted attachment: %d", resp.StatusCode)
	}
	if st, b := mgr.raw("GET", "/api/v1/attachments/"+aid, "", nil); st != 200 || b["deleted_at"] == nil || b["deleted_by"] != f.Rep1.UserID {
		t.Errorf("deleted metadata for one who may restore: %d %v", st, b)
	}
	if st, b := pre.raw("GET", "/api/v1/attachments/"+aid, "", nil); st != 404 {
		t.Errorf("deleted metadata for a reader: %d %v", st, b)
	}
	st, b = rep1.raw("GET", "/api/v1/customers/"+cid+"/attachments?deleted=true", "", nil)
	if items, _ := b["items"].([]any); st != 200 || len(items) != 1 {
		t.Errorf("trash: %d %v", st, b)
	}
	if st, b := pre.raw("GET", "/api/v1/customers/"+cid+"/attachments?deleted=true", "", nil); st != 403 {
		t.Errorf("trash for a reader: %d %v", st, b)
	}
	if st, b := rep1.raw("POST", "/api/v1/attachments/"+aid+"/restore", "", nil); st != 200 || b["deleted_at"] != nil {
		t.Fatalf("restore: %d %v", st, b)
	}
	if st, b := rep1.raw("POST", "/api/v1/attachments/"+aid+"/restore", "", nil); st != 422 || b["code"] != "not_deleted" {
		t.Errorf("restore twice: %d %v", st, b)
	}
	if resp, body := rep1.download(dl); resp.StatusCode != 200 || !bytes.Equal(body, pdfBytes) {
		t.Errorf("download after restore: %d", resp.StatusCode)
	}
	log, err := f.App.DB.AuditLog(context.Background(), store.AuditFilter{Entity: "customer", RecordID: cid, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range log {
		if ch, ok := e.Changes["attachment_id"]; ok && ch.New == aid {
			seen[e.Action]++
			if e.ActorID == "" || e.RequestID == "" || e.Changes["sha256"].New != hex.EncodeToString(sum[:]) {
				t.Errorf("audit entry %+v", e)
			}
		}
	}
	if seen["attachment_add"] != 1 || seen["attachment_delete"] != 1 || seen["attachment_restore"] != 1 || seen["attachment_download"] < 4 {
		t.Errorf("audit: %v", seen)
	}

	// A deleted record takes its attachments out of sight.
	if st, b := mgr.raw("DELETE", "/api/v1/customers/"+cid, "", nil); st != 204 {
		t.Fatalf("delete customer: %d %v", st, b)
	}
	if resp, _ := rep1.download(dl); resp.StatusCode != 404 {
		t.Errorf("download from a deleted record: %d", resp.StatusCode)
	}
}
