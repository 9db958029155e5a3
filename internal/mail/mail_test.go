package mail_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"closeloop/internal/apptest"
	"closeloop/internal/errs"
	"closeloop/internal/jobs"
	clmail "closeloop/internal/mail"
	"closeloop/internal/pdfdoc"
	"closeloop/internal/store"
)

func configure(t *testing.T, f *apptest.Fixture, port int, sec clmail.Security, user, pass string) {
	t.Helper()
	u := clmail.SMTPUpdate{Host: "127.0.0.1", Port: port, Security: sec, Username: user, FromAddress: "sales@closeloop.test", FromName: "闭环软件 销售部"}
	if pass != "" {
		u.Password = &pass
	}
	if _, err := f.App.Mail.SaveSettings(context.Background(), f.Admin, u); err != nil {
		t.Fatalf("save smtp settings: %v", err)
	}
}

// enqueue queues m in a transaction of its own and returns its id.
func enqueue(t *testing.T, f *apptest.Fixture, m clmail.Message) string {
	t.Helper()
	var id string
	err := f.App.DB.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = f.App.Mail.Enqueue(context.Background(), tx, m)
		return err
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return id
}

// runJobs runs the due jobs and returns how many ran.
func runJobs(t *testing.T, f *apptest.Fixture) int {
	t.Helper()
	n := 0
	for {
		ran, err := f.App.Jobs.RunOne(context.Background())
		if err != nil {
			t.Fatalf("run job: %v", err)
		}
		if !ran {
			return n
		}
		n++
	}
}

func outbox(t *testing.T, f *apptest.Fixture, id string) clmail.Detail {
	t.Helper()
	d, err := f.App.Mail.Get(context.Background(), f.Admin, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return d
}

func samplePDF(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	d := pdfdoc.Document{Company: pdfdoc.Company{Name: "闭环软件（杭州）有限公司"}, Title: "报价单", Number: "Q-202611-0001",
		Blocks: []pdfdoc.Block{{Title: "客户", Fields: []pdfdoc.Field{{Label: "名称", Value: "杭州云栖科技有限公司"}}}}}
	if err := pdfdoc.Render(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// part is one leaf of a parsed MIME message.
type part struct {
	contentType string
	params      map[string]string
	filename    string
	body        []byte
}

// parse reads a message as a mail client would: headers decoded, parts
// walked, transfer encodings undone.
func parse(t *testing.T, raw []byte) (*mail.Message, []part) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, raw)
	}
	var parts []part
	var walk func(h map[string][]string, body io.Reader)
	walk = func(h map[string][]string, body io.Reader) {
		get := func(k string) string {
			if v := h[k]; len(v) > 0 {
				return v[0]
			}
			return ""
		}
		ct, params, err := mime.ParseMediaType(get("Content-Type"))
		if err != nil {
			t.Fatalf("bad Content-Type %q: %v", get("Content-Type"), err)
		}
		if strings.HasPrefix(ct, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("multipart: %v", err)
				}
				walk(p.Header, p)
			}
		}
		var r io.Reader = body
		switch strings.ToLower(get("Content-Transfer-Encoding")) {
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			r = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("decode part %s: %v", ct, err)
		}
		pt := part{contentType: ct, params: params, body: b}
		if _, dp, err := mime.ParseMediaType(get("Content-Disposition")); err == nil {
			pt.filename = dp["filename"]
		}
		if pt.filename == "" {
			pt.filename = params["name"]
		}
		if dec, err := new(mime.WordDecoder).DecodeHeader(pt.filename); err == nil {
			pt.filename = dec
		}
		parts = append(parts, pt)
	}
	walk(msg.Header, msg.Body)
	return msg, parts
}

// A message with a Chinese subject, a Chinese body and a PDF attachment
// arrives intact: the subject RFC 2047-encoded and decoding back, the text
// and the PDF byte for byte, the attachment's Chinese name kept.
func TestChineseMessageWithPDFArrives(t *testing.T) {
	f := apptest.NewFixture(t)
	srv := startSMTP(t, "127.0.0.1:0", plain, nil)
	configure(t, f, srv.Port(), clmail.SecurityNone, "", "")
	pdf := samplePDF(t)
	subject := "报价单 Q-202611-0001：杭州云栖科技有限公司 — 闭环 CRM 企业版"
	text := "张经理您好：\n\n附件是贵司的报价单，合计 ¥1,395,060.71，有效期 30 天。\n如有疑问请随时联系。\n\n闭环软件 销售部"
	about := store.NewID()
	id := enqueue(t, f, clmail.Message{To: []string{"张伟 <zhang.wei@yunqi.test>"}, Cc: []string{"li.na@yunqi.test"}, ReplyTo: "rep@closeloop.test",
		Subject: subject, Text: text, HTML: "<p>张经理您好：</p><p>附件是贵司的报价单。</p>",
		Attachments: []clmail.Attachment{{Name: "报价单 Q-202611-0001.pdf", ContentType: "application/pdf", Data: pdf}},
		Entity:      "customer", RecordID: about, CreatedBy: f.Rep1.UserID})
	if got := outbox(t, f, id); got.Status != clmail.Queued || got.Attempts != 0 {
		t.Fatalf("before delivery: %s after %d attempts", got.Status, got.Attempts)
	}
	if n := runJobs(t, f); n != 1 {
		t.Fatalf("%d jobs ran", n)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("the server received %d messages", len(msgs))
	}
	m := msgs[0]
	if m.From != "sales@closeloop.test" || strings.Join(m.To, ",") != "zhang.wei@yunqi.test,li.na@yunqi.test" {
		t.Errorf("envelope from %q to %v", m.From, m.To)
	}
	msg, parts := parse(t, m.Data)
	rawSubject := msg.Header.Get("Subject")
	if !strings.Contains(rawSubject, "=?UTF-8?") || strings.ContainsFunc(rawSubject, func(r rune) bool { return r > 127 }) {
		t.Errorf("subject not RFC 2047-encoded: %q", rawSubject)
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(rawSubject); err != nil || dec != subject {
		t.Errorf("subject decodes to %q (%v), want %q", dec, err, subject)
	}
	from, err := mail.ParseAddress(msg.Header.Get("From"))
	if err != nil || from.Name != "闭环软件 销售部" || from.Address != "sales@closeloop.test" {
		t.Errorf("From %q → %v %v", msg.Header.Get("From"), from, err)
	}
	if to, err := mail.ParseAddress(msg.Header.Get("To")); err != nil || to.Name != "张伟" {
		t.Errorf("To %q → %v %v", msg.Header.Get("To"), to, err)
	}
	if msg.Header.Get("Reply-To") != "<rep@closeloop.test>" && msg.Header.Get("Reply-To") != "rep@closeloop.test" {
		t.Errorf("Reply-To %q", msg.Header.Get("Reply-To"))
	}
	if !strings.Contains(msg.Header.Get("Message-Id"), id) {
		t.Errorf("Message-ID %q does not name the outbox row", msg.Header.Get("Message-Id"))
	}
	if got, want := msg.Header.Get("References"), "<customer-"+about+"@closeloop.test>"; got != want {
		t.Errorf("References %q, want %q (the record's thread)", got, want)
	}
	if ct, _, _ := mime.ParseMediaType(msg.Header.Get("Content-Type")); ct != "multipart/mixed" {
		t.Errorf("top-level type %q", ct)
	}
	var gotText, gotHTML, gotPDF *part
	for i := range parts {
		p := &parts[i]
		switch p.contentType {
		case "text/plain":
			gotText = p
		case "text/html":
			gotHTML = p
		case "application/pdf":
			gotPDF = p
		}
	}
	if gotText == nil || strings.ReplaceAll(string(gotText.body), "\r\n", "\n") != text || strings.ToLower(gotText.params["charset"]) != "utf-8" {
		t.Errorf("text part: %+v", gotText)
	}
	if gotHTML == nil || !strings.Contains(string(gotHTML.body), "附件是贵司的报价单") {
		t.Errorf("html part: %+v", gotHTML)
	}
	if gotPDF == nil {
		t.Fatalf("no PDF part among %d parts", len(parts))
	}
	if !bytes.Equal(gotPDF.body, pdf) {
		t.Errorf("the PDF changed on the way: %d bytes sent, %d received", len(pdf), len(gotPDF.body))
	}
	if gotPDF.filename != "报价单 Q-202611-0001.pdf" {
		t.Errorf("attachment name %q", gotPDF.filename)
	}
	got := outbox(t, f, id)
	if got.Status != clmail.Sent || got.Attempts != 1 || got.SentAt == nil || got.LastError != "" || got.MessageID == "" {
		t.Errorf("after delivery: %+v", got.Item)
	}
	if strings.Join(got.To, ",") != "张伟 <zhang.wei@yunqi.test>" || strings.Join(got.Cc, ",") != "li.na@yunqi.test" {
		t.Errorf("the outbox shows to %q cc %q", got.To, got.Cc)
	}
	if len(got.Attachments) != 1 || got.Attachments[0].Size != int64(len(pdf)) {
		t.Errorf("attachments %+v", got.Attachments)
	}
	if runJobs(t, f) != 0 || len(srv.Messages()) != 1 {
		t.Errorf("sent more than once")
	}
}

// A recipient the server refuses (550) fails the message at once with the
// server's answer; it is not retried.
func TestRefusedRecipientFails(t *testing.T) {
	f := apptest.NewFixture(t)
	srv := startSMTP(t, "127.0.0.1:0", plain, nil)
	srv.refuse["nobody@yunqi.test"] = "No such user here"
	configure(t, f, srv.Port(), clmail.SecurityNone, "", "")
	id := enqueue(t, f, clmail.Message{To: []string{"nobody@yunqi.test"}, Subject: "回访提醒", Text: "您好"})
	runJobs(t, f)
	got := outbox(t, f, id)
	if got.Status != clmail.Failed || got.Attempts != 1 {
		t.Fatalf("status %s after %d attempts, want failed after 1", got.Status, got.Attempts)
	}
	for _, want := range []string{"550", "5.1.1", "No such user here", "nobody@yunqi.test"} {
		if !strings.Contains(got.LastError, want) {
			t.Errorf("last error %q lacks %q", got.LastError, want)
		}
	}
	if len(srv.Messages()) != 0 {
		t.Errorf("the server accepted a message")
	}
	var pending int
	if err := f.App.DB.R().QueryRowContext(context.Background(), `SELECT count(*) FROM jobs WHERE kind = $1 AND status <> 'done'`, clmail.JobKind).Scan(&pending); err != nil || pending != 0 {
		t.Errorf("%d delivery jobs left (%v): a refused recipient must not be retried", pending, err)
	}
	if !clmail.Permanent(fmt.Errorf("wrapped: %w", errs.New(errs.Invalid, "x"))) == false {
		t.Errorf("an unrelated error counted as permanent")
	}
}

// freePort finds a port nothing listens on (and forgets it).
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// While the server is down the message stays queued with the error and a
// retry planned later; once the server is back the retry sends it — once.
func TestRetryAfterServerComesBack(t *testing.T) {
	f := apptest.NewFixture(t)
	addr := freePort(t)
	_, port, _ := net.SplitHostPort(addr)
	var p int
	fmt.Sscan(port, &p)
	configure(t, f, p, clmail.SecurityNone, "", "")
	id := enqueue(t, f, clmail.Message{To: []string{"zhang.wei@yunqi.test"}, Subject: "交付通知", Text: "货物已发出"})
	if n := runJobs(t, f); n != 1 {
		t.Fatalf("%d jobs ran", n)
	}
	got := outbox(t, f, id)
	if got.Status != clmail.Queued || got.Attempts != 1 || !strings.Contains(got.LastError, "refused") {
		t.Fatalf("server down: %s, %d attempts, error %q", got.Status, got.Attempts, got.LastError)
	}
	var runAt any
	if err := f.App.DB.R().QueryRowContext(context.Background(), `SELECT run_at FROM jobs WHERE kind = $1 AND status = 'pending'`, clmail.JobKind).Scan(&runAt); err != nil {
		t.Fatalf("no retry planned: %v", err)
	}
	if at := store.ScanTime(runAt); !at.After(time.Now().Add(10 * time.Second)) {
		t.Errorf("retry planned at %v: no backoff", at)
	}
	if runJobs(t, f) != 0 {
		t.Errorf("retried before its time")
	}
	srv := startSMTP(t, addr, plain, nil)
	// Time passes: the retry is due.
	if _, err := f.App.DB.W().ExecContext(context.Background(), `UPDATE jobs SET run_at = $1 WHERE kind = $2 AND status = 'pending'`, store.Now().Add(-time.Second), clmail.JobKind); err != nil {
		t.Fatal(err)
	}
	if n := runJobs(t, f); n != 1 {
		t.Fatalf("%d jobs ran on retry", n)
	}
	got = outbox(t, f, id)
	if got.Status != clmail.Sent || got.Attempts != 2 || got.LastError != "" {
		t.Errorf("after the retry: %s, %d attempts, %q", got.Status, got.Attempts, got.LastError)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("the server received %d messages", n)
	}
	// Another retry of the same job (a second server's stale claim) sends nothing.
	if _, err := jobs.Enqueue(context.Background(), f.App.DB.W(), clmail.JobKind, "", map[string]string{"id": id}, time.Time{}, 3); err != nil {
		t.Fatal(err)
	}
	runJobs(t, f)
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("sent again: %d messages", n)
	}
}

// The message and its delivery are part of the caller's transaction: a
// rolled-back process mails nothing.
func TestEnqueueRollsBackWithTheTransaction(t *testing.T) {
	f := apptest.NewFixture(t)
	boom := fmt.Errorf("process failed")
	err := f.App.DB.Write(context.Background(), func(tx *store.Tx) error {
		if _, err := f.App.Mail.Enqueue(context.Background(), tx, clmail.Message{To: []string{"a@b.test"}, Subject: "s", Text: "t",
			Attachments: []clmail.Attachment{{Name: "a.pdf", Data: []byte("%PDF-1.4")}}}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("write: %v", err)
	}
	for _, table := range []string{"mail_outbox", "mail_attachments", "jobs"} {
		var n int
		if err := f.App.DB.R().QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s has %d rows after the rollback (%v)", table, n, err)
		}
	}
}

func TestEnqueueChecksAddresses(t *testing.T) {
	f := apptest.NewFixture(t)
	for _, c := range []struct {
		m     clmail.Message
		field string
		code  string
	}{
		{clmail.Message{Subject: "s", Text: "t"}, "to", "required"},
		{clmail.Message{To: []string{"not an address"}, Subject: "s", Text: "t"}, "to", "invalid_email"},
		{clmail.Message{To: []string{"a@b.test"}, Cc: []string{"x@"}, Subject: "s", Text: "t"}, "cc", "invalid_email"},
		{clmail.Message{To: []string{"a@b.test"}, Subject: " \r\n ", Text: "t"}, "subject", "required"},
		{clmail.Message{To: []string{"a@b.test"}, Subject: "s"}, "text", "required"},
		{clmail.Message{To: []string{"a@b.test"}, Subject: "s", Text: "t", Attachments: []clmail.Attachment{{Name: "x"}}}, "attachments", "file_empty"},
		{clmail.Message{To: []string{"a@b.test"}, Subject: "s", Text: "t", Attachments: []clmail.Attachment{{Name: "x", FileID: store.NewID()}}}, "attachments", "mail_attachment_missing"},
	} {
		err := f.App.DB.Write(context.Background(), func(tx *store.Tx) error {
			_, err := f.App.Mail.Enqueue(context.Background(), tx, c.m)
			return err
		})
		e := errs.As(err)
		if e == nil || e.Kind != errs.Invalid || len(e.Fields) == 0 || e.Fields[0].Field != c.field || e.Fields[0].Code != c.code {
			t.Errorf("%+v: got %v, want %s %s", c.m, err, c.field, c.code)
		}
	}
}

// Over STARTTLS and over TLS from the first byte, with a sign-in: the
// password is used, never shown, and kept when the settings are saved
// again without one.
func TestTLSAndSignIn(t *testing.T) {
	cert, pool := testCert(t)
	for _, c := range []struct {
		name string
		mode tlsMode
		sec  clmail.Security
	}{{"starttls", startTLS, clmail.SecuritySTARTTLS}, {"tls", implicitTLS, clmail.SecurityTLS}} {
		t.Run(c.name, func(t *testing.T) {
			f := apptest.NewFixture(t)
			f.App.Mail.TLSConfig = nil
			srv := startSMTP(t, "127.0.0.1:0", c.mode, cert)
			srv.user, srv.pass = "sales@closeloop.test", "s3cret 密码"
			configure(t, f, srv.Port(), c.sec, srv.user, srv.pass)
			// Without trusting the test CA the certificate is refused: retried, not sent.
			id := enqueue(t, f, clmail.Message{To: []string{"a@yunqi.test"}, Subject: "测试", Text: "内容"})
			runJobs(t, f)
			if got := outbox(t, f, id); got.Status != clmail.Queued || !strings.Contains(got.LastError, "certificate") {
				t.Errorf("untrusted certificate: %s %q", got.Status, got.LastError)
			}
			f.App.Mail.TLSConfig = &tls.Config{RootCAs: pool}
			// Saved again without a password: the stored one is kept.
			configure(t, f, srv.Port(), c.sec, srv.user, "")
			st, err := f.App.Mail.Settings(context.Background(), f.Admin)
			if err != nil || !st.PasswordSet || st.Password != "" {
				t.Errorf("settings: %+v %v", st, err)
			}
			b, _ := json.Marshal(st)
			if strings.Contains(string(b), "s3cret") || strings.Contains(string(b), `"password"`) {
				t.Errorf("the password shows: %s", b)
			}
			item, err := f.App.Mail.SendTest(context.Background(), f.Admin, "it@closeloop.test", "测试邮件 Test", "这是一封测试邮件。")
			if err != nil || item.Status != clmail.Sent {
				t.Fatalf("test mail: %+v %v", item, err)
			}
			if len(srv.authed) == 0 || srv.authed[0] != srv.user {
				t.Errorf("signed in as %v", srv.authed)
			}
			if ms := srv.Messages(); len(ms) != 1 || ms[0].To[0] != "it@closeloop.test" {
				t.Errorf("received %+v", ms)
			}
			// A wrong password: the server's refusal is shown and the message waits.
			wrong := "wrong"
			if _, err := f.App.Mail.SaveSettings(context.Background(), f.Admin, clmail.SMTPUpdate{Host: "127.0.0.1", Port: srv.Port(), Security: c.sec,
				Username: srv.user, Password: &wrong, FromAddress: "sales@closeloop.test"}); err != nil {
				t.Fatal(err)
			}
			item, err = f.App.Mail.SendTest(context.Background(), f.Admin, "it@closeloop.test", "测试", "x")
			if err != nil || item.Status != clmail.Failed || !strings.Contains(item.LastError, "535") {
				t.Errorf("wrong password: %+v %v", item, err)
			}
		})
	}
}

// A failed message can be resent by an admin — audited — and only a
// failed one.
func TestResend(t *testing.T) {
	f := apptest.NewFixture(t)
	srv := startSMTP(t, "127.0.0.1:0", plain, nil)
	srv.refuse["wang@yunqi.test"] = "Mailbox full"
	configure(t, f, srv.Port(), clmail.SecurityNone, "", "")
	id := enqueue(t, f, clmail.Message{To: []string{"wang@yunqi.test"}, Subject: "满意度调查", Text: "请为我们的服务打分"})
	runJobs(t, f)
	if got := outbox(t, f, id); got.Status != clmail.Failed {
		t.Fatalf("status %s", got.Status)
	}
	ctx := context.Background()
	if err := f.App.Mail.Resend(ctx, f.Rep1, id); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep resent: %v", err)
	}
	delete(srv.refuse, "wang@yunqi.test")
	if err := f.App.Mail.Resend(ctx, f.Admin, id); err != nil {
		t.Fatalf("resend: %v", err)
	}
	if got := outbox(t, f, id); got.Status != clmail.Queued {
		t.Errorf("after resend: %s", got.Status)
	}
	runJobs(t, f)
	got := outbox(t, f, id)
	if got.Status != clmail.Sent || got.Attempts != 2 || len(srv.Messages()) != 1 {
		t.Errorf("after the resend's delivery: %s, %d attempts, %d received", got.Status, got.Attempts, len(srv.Messages()))
	}
	if err := f.App.Mail.Resend(ctx, f.Admin, id); errs.CodeOf(err) != "mail_not_failed" {
		t.Errorf("resending a sent message: %v", err)
	}
	entries, err := f.App.Admin.Audit(ctx, f.Admin, store.AuditFilter{Entity: "mail", RecordID: id})
	if err != nil || len(entries) != 1 || entries[0].Action != "mail_resend" || entries[0].ActorID != f.Admin.UserID {
		t.Errorf("audit: %+v %v", entries, err)
	}
	page, err := f.App.Mail.List(ctx, f.Admin, clmail.Filter{Status: clmail.Sent})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != id {
		t.Errorf("sent list: %+v %v", page, err)
	}
	if _, err := f.App.Mail.List(ctx, f.Rep1, clmail.Filter{}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep listed the outbox: %v", err)
	}
}

// The outbox pages newest first by a cursor, and filters by status.
func TestOutboxPaging(t *testing.T) {
	f := apptest.NewFixture(t)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, enqueue(t, f, clmail.Message{To: []string{"a@b.test"}, Subject: fmt.Sprintf("第 %d 封", i), Text: "t"}))
	}
	var seen []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		page, err := f.App.Mail.List(context.Background(), f.Admin, clmail.Filter{Limit: 3, Cursor: cursor, Status: clmail.Queued})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			seen = append(seen, it.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 7 || seen[0] != ids[6] || seen[6] != ids[0] {
		t.Errorf("pages gave %v", seen)
	}
	if page, _ := f.App.Mail.List(context.Background(), f.Admin, clmail.Filter{Status: clmail.Failed}); len(page.Items) != 0 {
		t.Errorf("failed filter: %d", len(page.Items))
	}
	if _, err := f.App.Mail.List(context.Background(), f.Admin, clmail.Filter{Status: "bogus"}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("bad status: %v", err)
	}
	if _, err := f.App.Mail.List(context.Background(), f.Admin, clmail.Filter{Cursor: "!!"}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("bad cursor: %v", err)
	}
}

func TestSettingsValidation(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	_, err := f.App.Mail.SaveSettings(ctx, f.Admin, clmail.SMTPUpdate{Host: "smtp bad", Port: 70000, Security: "ssl", FromAddress: "nope"})
	e := errs.As(err)
	got := map[string]string{}
	if e != nil {
		for _, fe := range e.Fields {
			got[fe.Field] = fe.Code
		}
	}
	want := map[string]string{"host": "smtp_bad_host", "port": "out_of_range", "security": "invalid_option", "from_address": "invalid_email"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, err := f.App.Mail.SaveSettings(ctx, f.Rep1, clmail.SMTPUpdate{Host: "h", FromAddress: "a@b.test"}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep changed the settings: %v", err)
	}
	st, err := f.App.Mail.SaveSettings(ctx, f.Admin, clmail.SMTPUpdate{Host: "smtp.exmail.qq.com", Security: clmail.SecurityTLS, FromAddress: "a@b.test"})
	if err != nil || st.Port != 465 {
		t.Errorf("default port: %+v %v", st, err)
	}
	entries, _ := f.App.Admin.Audit(ctx, f.Admin, store.AuditFilter{Entity: "settings", RecordID: "smtp"})
	if len(entries) != 1 || entries[0].Changes["host"].New != "smtp.exmail.qq.com" {
		t.Errorf("audit %+v", entries)
	}
}

func TestThreadRecord(t *testing.T) {
	id := store.NewID()
	for _, c := range []struct{ ref, entity, want string }{
		{clmail.ThreadRoot("ticket", id, "closeloop.test"), "ticket", id},
		{" " + clmail.ThreadRoot("ticket", id, "other.example") + " ", "ticket", id},
		{clmail.ThreadRoot("quote", id, "closeloop.test"), "ticket", ""},
		{"<" + id + "@closeloop.test>", "ticket", ""},
		{"<ticket-" + id + ">", "ticket", ""},
		{"", "ticket", ""},
	} {
		if got := clmail.ThreadRecord(c.ref, c.entity); got != c.want {
			t.Errorf("ThreadRecord(%q, %q) = %q, want %q", c.ref, c.entity, got, c.want)
		}
	}
}
