package channels_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/channels"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	clmail "closeloop/internal/mail"
	"closeloop/internal/records"
	"closeloop/internal/store"
	"closeloop/internal/tickets"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var ctx = context.Background()

// setup is a fixture whose outgoing mail goes to a real SMTP server.
func setup(t *testing.T) (*apptest.Fixture, *smtpServer) {
	t.Helper()
	f := apptest.NewFixture(t)
	srv := startSMTP(t)
	if _, err := f.App.Mail.SaveSettings(ctx, f.Admin, clmail.SMTPUpdate{Host: "127.0.0.1", Port: srv.Port(), Security: clmail.SecurityNone,
		FromAddress: "service@closeloop.test", FromName: "华东科技 客服"}); err != nil {
		t.Fatal(err)
	}
	return f, srv
}

func runJobs(t *testing.T, f *apptest.Fixture) {
	t.Helper()
	for range 100 {
		ran, err := f.App.Jobs.RunOne(ctx)
		if err != nil {
			t.Fatalf("run job: %v", err)
		}
		if !ran {
			return
		}
	}
}

func subjects(srv *smtpServer) []string {
	var out []string
	dec := new(mime.WordDecoder)
	for _, m := range srv.Messages() {
		for _, line := range strings.Split(strings.ReplaceAll(string(m), "\r\n ", " "), "\r\n") {
			if s, ok := strings.CutPrefix(line, "Subject: "); ok {
				d, err := dec.DecodeHeader(s)
				if err != nil {
					d = s
				}
				out = append(out, d)
			}
		}
	}
	return out
}

func count(t *testing.T, f *apptest.Fixture, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.App.DB.R().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

var numberRE = regexp.MustCompile(`^GD-\d{6}-\d{5}$`)

func TestFormMakesATicketAndTheAcknowledgementArrives(t *testing.T) {
	f, srv := setup(t)
	cust := f.Customer(t, f.Rep1, "苏州华星光电技术有限公司")
	if _, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"customer_id": cust.ID(), "name": "李工", "email": "li.gong@huaxing.example", "phone": "13800000001"}); err != nil {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	rc, err := f.App.Channels.Submit(ctx, channels.Request{Name: "李工", Company: "华星光电", Email: "Li.Gong@huaxing.example", Kind: crm.TicketRepair,
		Description: "打印头报错 E-21\n昨晚开始无法打印。", OrderNo: "SO-NOPE", Photos: []channels.Photo{{Name: "fault.png", Data: png}}, IP: "203.0.113.7", Lang: i18n.ZH})
	if err != nil {
		t.Fatal(err)
	}
	if !numberRE.MatchString(rc.Number) || rc.Status != crm.TicketNew || !strings.Contains(rc.PortalHint, "li.gong@huaxing.example") {
		t.Fatalf("receipt %+v", rc)
	}
	tk, err := f.App.Records.Get(ctx, access.SystemPrincipal(), "ticket", rc.TicketID())
	if err != nil {
		t.Fatal(err)
	}
	if tk.Str("customer_id") != cust.ID() || tk.Str("channel") != crm.ChannelWebForm || tk.Str("subject") != "打印头报错 E-21" || tk.Str("order_id") != "" {
		t.Errorf("ticket %v", tk)
	}
	if n := count(t, f, `SELECT count(*) FROM attachments WHERE record_id = $1 AND content_type = 'image/png'`, tk.ID()); n != 1 {
		t.Errorf("attachments %d", n)
	}
	runJobs(t, f)
	subs := subjects(srv)
	if len(subs) != 1 || !strings.HasPrefix(subs[0], "["+rc.Number+"] ") {
		t.Fatalf("mails at the SMTP server: %q", subs)
	}
	if !strings.Contains(string(srv.Messages()[0]), "/portal/") {
		t.Error("the acknowledgement carries no portal link")
	}

	// A public reply is mailed; an internal note is not.
	err = f.App.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := f.App.Tickets.AddMessage(ctx, tx, f.Service, tk.ID(), tickets.Message{Kind: crm.MessageNote, Body: "内部：怀疑主板"}); err != nil {
			return err
		}
		_, err := f.App.Tickets.AddMessage(ctx, tx, f.Service, tk.ID(), tickets.Message{Kind: crm.MessageReply, Body: "请先清洁打印头后重试。"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	runJobs(t, f)
	subs = subjects(srv)
	if len(subs) != 2 || !strings.HasPrefix(subs[1], "["+rc.Number+"] ") {
		t.Fatalf("after a reply and a note: %q", subs)
	}
	for _, m := range srv.Messages() {
		if strings.Contains(string(m), "怀疑主板") || strings.Contains(string(m), "5Li75p2") {
			t.Error("an internal note was mailed")
		}
	}
	if n := count(t, f, `SELECT count(*) FROM ticket_messages WHERE ticket_id = $1 AND kind = 'reply' AND mail_message_id LIKE '<%@closeloop.test>'`, tk.ID()); n != 1 {
		t.Errorf("the reply keeps no Message-ID (%d)", n)
	}
}

func TestFormGuards(t *testing.T) {
	f, _ := setup(t)
	good := channels.Request{Name: "王先生", Phone: "139-0000-0002", Description: "设备异响", IP: "198.51.100.1"}
	// Validation: nothing stored, each problem named.
	for _, c := range []struct {
		name string
		r    channels.Request
		code string
	}{
		{"no contact", channels.Request{Name: "王", Description: "x", IP: "1"}, "email:service_contact_required"},
		{"bad e-mail", channels.Request{Name: "王", Email: "not-an-address", Description: "x", IP: "1"}, "email:invalid_email"},
		{"no description", channels.Request{Name: "王", Phone: "13900000002", IP: "1"}, "description:required"},
		{"bad kind", channels.Request{Name: "王", Phone: "13900000002", Description: "x", Kind: "hack", IP: "1"}, "kind:invalid_option"},
		{"exe photo", channels.Request{Name: "王", Phone: "13900000002", Description: "x", IP: "1", Photos: []channels.Photo{{Name: "a.png", Data: []byte("MZ\x90\x00rest")}}}, "photos:service_photo_type"},
		{"html photo", channels.Request{Name: "王", Phone: "13900000002", Description: "x", IP: "1", Photos: []channels.Photo{{Name: "a.jpg", Data: []byte("<html><script>alert(1)</script>")}}}, "photos:service_photo_type"},
		{"unknown product", channels.Request{Name: "王", Phone: "13900000002", Description: "x", IP: "1", ProductID: "00000000-0000-0000-0000-000000000000"}, "product_id:service_unknown_product"},
	} {
		_, err := f.App.Channels.Submit(ctx, c.r)
		e := errs.As(err)
		got := ""
		if e != nil && len(e.Fields) > 0 {
			got = e.Fields[0].Field + ":" + e.Fields[0].Code
		}
		if got != c.code {
			t.Errorf("%s: %v (%s), want %s", c.name, err, got, c.code)
		}
	}
	// The honeypot and the stamp: a bot gets a neutral receipt, nothing stored.
	stamp, err := f.App.Channels.Stamp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		pot, stmp string
	}{{"honeypot", "http://spam.example", stamp}, {"no stamp", "", ""}, {"forged stamp", "", "1700000000.AAAA"}, {"too fast", "", stamp}} {
		r := good
		r.Guarded, r.Honeypot, r.Stamp = true, c.pot, c.stmp
		rc, err := f.App.Channels.Submit(ctx, r)
		if err != nil || !rc.Bot() || rc.Number != "" {
			t.Errorf("%s: %+v %v", c.name, rc, err)
		}
	}
	if n := count(t, f, `SELECT count(*) FROM tickets`); n != 0 {
		t.Fatalf("tickets stored from bots or bad input: %d", n)
	}
	f.App.Channels.SetClock(func() time.Time { return time.Now().Add(10 * time.Second) })
	r := good
	r.Guarded, r.Stamp = true, stamp
	if rc, err := f.App.Channels.Submit(ctx, r); err != nil || rc.Bot() || rc.Number == "" {
		t.Fatalf("a person's post after 10 s: %+v %v", rc, err)
	}
	// Rate limit: 5 per address per 10 minutes, then 429 with the wait.
	for i := 2; i <= channels.RequestLimit; i++ {
		if _, err := f.App.Channels.Submit(ctx, good); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_, err = f.App.Channels.Submit(ctx, good)
	if e := errs.As(err); e == nil || e.Kind != errs.TooMany || e.Args["seconds"].(int) <= 0 {
		t.Fatalf("the 6th request: %v", err)
	}
	other := good
	other.IP = "198.51.100.2"
	if _, err := f.App.Channels.Submit(ctx, other); err != nil {
		t.Errorf("another address is limited too: %v", err)
	}
	if n := count(t, f, `SELECT count(*) FROM tickets`); n != channels.RequestLimit+1 {
		t.Errorf("tickets %d", n)
	}
}

func TestDoNotContactGetsNoMail(t *testing.T) {
	f, _ := setup(t)
	cust := f.Customer(t, f.Rep1, "勿扰客户")
	c, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"customer_id": cust.ID(), "name": "赵女士", "email": "zhao@dnc.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.DB.W().ExecContext(ctx, `UPDATE contacts SET do_not_contact = TRUE WHERE id = $1`, c.ID()); err != nil {
		t.Fatal(err)
	}
	rc, err := f.App.Channels.Submit(ctx, channels.Request{Name: "赵女士", Email: "zhao@dnc.example", Description: "咨询保修", IP: "1"})
	if err != nil || rc.Number == "" {
		t.Fatal(rc, err)
	}
	if n := count(t, f, `SELECT count(*) FROM mail_outbox`); n != 0 {
		t.Errorf("mails to a do-not-contact contact: %d", n)
	}
}

func TestMailInOverIMAP(t *testing.T) {
	f, srv := setup(t)
	box := startIMAP(t)
	cust := f.Customer(t, f.Rep1, "杭州海川机电有限公司")
	if _, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"customer_id": cust.ID(), "name": "陈工", "email": "chen@haichuan.example"}); err != nil {
		t.Fatal(err)
	}
	pw := box.Pass
	if _, err := f.App.Channels.SaveIMAPSettings(ctx, f.Admin, channels.IMAPUpdate{Enabled: true, Host: "127.0.0.1", Port: box.Port(), Security: "none",
		Username: box.User, Password: &pw, Folder: "INBOX"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Channels.SaveIMAPSettings(ctx, f.Admin, channels.IMAPUpdate{Enabled: true, Host: "127.0.0.1", Port: box.Port(), Security: "none",
		Username: box.User, Folder: strings.Repeat("收", 201)}); func() string {
		if e := errs.As(err); e != nil && len(e.Fields) == 1 {
			return e.Fields[0].Field + ":" + e.Fields[0].Code
		}
		return ""
	}() != "folder:too_long" {
		t.Errorf("a folder name too long: %v", err)
	}
	got, err := f.App.Channels.IMAPSettings(ctx, f.Admin)
	if err != nil || got.Password != "" || !got.PasswordSet {
		t.Fatalf("settings read back: %+v %v", got, err)
	}
	if _, err := f.App.Channels.IMAPSettings(ctx, f.Rep1); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a sales rep reads the mailbox settings: %v", err)
	}

	box.deliver(t, "From: =?UTF-8?B?6ZmI5bel?= <Chen@haichuan.example>\r\nTo: service@closeloop.test\r\nSubject: =?UTF-8?B?5Lyg6YCB5bim5byC5ZON?=\r\n"+
		"Message-ID: <first-1@haichuan.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n"+
		"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>传送带<b>异响</b></p><script>alert(1)</script>\r\n--b1--\r\n")
	n, err := f.App.Channels.Poll(ctx)
	if err != nil || n != 1 {
		t.Fatalf("poll: %d %v", n, err)
	}
	var id, number, channel, custID, desc string
	if err := f.App.DB.R().QueryRowContext(ctx, `SELECT id, number, channel, customer_id, description FROM tickets`).Scan(&id, &number, &channel, &custID, &desc); err != nil {
		t.Fatal(err)
	}
	if channel != crm.ChannelEmail || custID != cust.ID() || strings.Contains(desc, "<") || strings.Contains(desc, "alert") || !strings.Contains(desc, "传送带异响") {
		t.Errorf("ticket from mail: %s %s %q", channel, custID, desc)
	}
	if box.unseen(t) != 0 {
		t.Error("the filed mail is not flagged seen")
	}
	runJobs(t, f)
	if subs := subjects(srv); len(subs) != 1 || !strings.HasPrefix(subs[0], "["+number+"] ") {
		t.Fatalf("acknowledgement at the SMTP server: %q", subs)
	}

	// The customer answers with the number in the subject: it threads.
	box.deliver(t, "From: chen@haichuan.example\r\nTo: service@closeloop.test\r\nSubject: Re: ["+number+"] =?UTF-8?B?5Lyg6YCB5bim5byC5ZON?=\r\n"+
		"Message-ID: <second-2@haichuan.example>\r\nIn-Reply-To: <nothing@else>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n已更换皮带，仍有异响。\r\n")
	// And one answering only by In-Reply-To our acknowledgement.
	var ackID string
	if err := f.App.DB.R().QueryRowContext(ctx, `SELECT id FROM mail_outbox WHERE record_id = $1`, id).Scan(&ackID); err != nil {
		t.Fatal(err)
	}
	box.deliver(t, "From: chen@haichuan.example\r\nSubject: thanks\r\nMessage-ID: <third-3@haichuan.example>\r\nIn-Reply-To: <"+ackID+"@closeloop.test>\r\n\r\nthank you\r\n")
	// And one naming only the thread root our acknowledgement carried.
	var root string
	for _, m := range srv.Messages() {
		if msg, err := mail.ReadMessage(bytes.NewReader(m)); err == nil && msg.Header.Get("References") != "" {
			root = msg.Header.Get("References")
		}
	}
	if root != "<ticket-"+id+"@closeloop.test>" {
		t.Fatalf("the acknowledgement's References %q", root)
	}
	box.deliver(t, "From: chen@haichuan.example\r\nSubject: one more thing\r\nMessage-ID: <fourth-4@haichuan.example>\r\nReferences: <elsewhere@x> "+root+"\r\n\r\nalso the fan\r\n")
	if n, err := f.App.Channels.Poll(ctx); err != nil || n != 3 {
		t.Fatalf("second poll: %d %v", n, err)
	}
	if c := count(t, f, `SELECT count(*) FROM tickets`); c != 1 {
		t.Errorf("replies made new tickets: %d tickets", c)
	}
	if c := count(t, f, `SELECT count(*) FROM ticket_messages WHERE ticket_id = $1 AND kind = 'customer'`, id); c != 4 {
		t.Errorf("messages on the ticket: %d", c)
	}
	// Nothing new: nothing filed. The same mail again: filed once.
	if n, err := f.App.Channels.Poll(ctx); err != nil || n != 0 {
		t.Errorf("idle poll: %d %v", n, err)
	}
	raw := "From: chen@haichuan.example\r\nSubject: Re: [" + number + "]\r\nMessage-ID: <second-2@haichuan.example>\r\n\r\nagain\r\n"
	if fl, err := f.App.Channels.Ingest(ctx, []byte(raw), ""); err != nil || !fl.Duplicate {
		t.Errorf("the same Message-ID again: %+v %v", fl, err)
	}
	box.deliver(t, raw)
	if _, err := f.App.Channels.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if c := count(t, f, `SELECT count(*) FROM ticket_messages WHERE mail_message_id = '<second-2@haichuan.example>'`); c != 1 {
		t.Errorf("a mail filed %d times", c)
	}
	if box.unseen(t) != 0 {
		t.Error("a duplicate was left unseen (it would be read every minute)")
	}
}

func TestPortalShowsOnlyItsOwnCustomer(t *testing.T) {
	f, _ := setup(t)
	a := f.Customer(t, f.Rep1, "甲公司")
	b := f.Customer(t, f.Rep2, "乙公司")
	ca, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"customer_id": a.ID(), "name": "甲联系人", "email": "a@a.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Records.Create(ctx, f.Rep2, "contact", entity.Record{"customer_id": b.ID(), "name": "乙联系人", "email": "b@b.example"}); err != nil {
		t.Fatal(err)
	}
	ra, err := f.App.Channels.Submit(ctx, channels.Request{Name: "甲", Email: "a@a.example", Description: "甲的问题", IP: "1"})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := f.App.Channels.Submit(ctx, channels.Request{Name: "乙", Email: "b@b.example", Description: "乙的问题", IP: "2"})
	if err != nil {
		t.Fatal(err)
	}
	err = f.App.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := f.App.Tickets.AddMessage(ctx, tx, f.Service, ra.TicketID(), tickets.Message{Kind: crm.MessageNote, Body: "内部备注不可见"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	link, err := f.App.Channels.LinkFor(ctx, f.Rep1, ca.ID())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Channels.LinkFor(ctx, f.Rep3, ca.ID()); err == nil {
		t.Error("a rep of another region made a link for someone else's contact")
	}
	pt, err := f.App.Channels.Open(ctx, strings.TrimPrefix(link.Path, channels.PortalPath))
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.App.Channels.PortalTickets(ctx, pt)
	if err != nil || len(list) != 1 || list[0].Number != ra.Number {
		t.Fatalf("portal tickets: %+v %v", list, err)
	}
	v, err := f.App.Channels.PortalTicket(ctx, pt, ra.TicketID())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range v.Messages {
		if m.Kind == crm.MessageNote || strings.Contains(m.Body, "内部") {
			t.Error("an internal note shows on the portal")
		}
	}
	for _, id := range []string{rb.TicketID(), "not-an-id", "00000000-0000-0000-0000-000000000000"} {
		if _, err := f.App.Channels.PortalTicket(ctx, pt, id); errs.KindOf(err) != errs.NotFound {
			t.Errorf("ticket %s through customer A's link: %v", id, err)
		}
		if err := f.App.Channels.Write(ctx, pt, id, "hello", "1"); errs.KindOf(err) != errs.NotFound {
			t.Errorf("writing on %s through customer A's link: %v", id, err)
		}
	}
	if err := f.App.Channels.Write(ctx, pt, ra.TicketID(), "补充：型号 X200", "1"); err != nil {
		t.Fatal(err)
	}
	if c := count(t, f, `SELECT count(*) FROM ticket_messages WHERE ticket_id = $1 AND kind = 'customer' AND channel = 'portal'`, ra.TicketID()); c != 1 {
		t.Errorf("portal message stored %d", c)
	}
	// Wrong, expired and revoked tokens.
	for _, tok := range []string{"", "short", strings.Repeat("A", 22), link.Path} {
		if _, err := f.App.Channels.Open(ctx, tok); errs.KindOf(err) != errs.NotFound {
			t.Errorf("token %q: %v", tok, err)
		}
	}
	f.App.Channels.SetClock(func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	if _, err := f.App.Channels.Open(ctx, strings.TrimPrefix(link.Path, channels.PortalPath)); errs.CodeOf(err) != "portal_link_expired" {
		t.Errorf("after 8 days: %v", err)
	}
	f.App.Channels.SetClock(time.Now)
	if n, err := f.App.Channels.Revoke(ctx, f.Rep1, a.ID()); err != nil || n < 1 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if _, err := f.App.Channels.Open(ctx, strings.TrimPrefix(link.Path, channels.PortalPath)); errs.KindOf(err) != errs.NotFound {
		t.Errorf("a revoked link: %v", err)
	}
}

func TestPortalLinkOnRequestSaysTheSameForEveryAddress(t *testing.T) {
	f, _ := setup(t)
	cust := f.Customer(t, f.Rep1, "丙公司")
	if _, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"customer_id": cust.ID(), "name": "丙", "email": "c@c.example"}); err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"c@c.example", "nobody@nowhere.example"} {
		if err := f.App.Channels.RequestLink(ctx, e, "10.0.0.1", i18n.ZH); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
	if n := count(t, f, `SELECT count(*) FROM mail_outbox`); n != 1 {
		t.Errorf("links mailed: %d (want one, to the known contact)", n)
	}
	if n := count(t, f, `SELECT count(*) FROM portal_links WHERE customer_id = $1`, cust.ID()); n != 1 {
		t.Errorf("links stored %d", n)
	}
}

func TestResolvedMailAndAChineseCharsetMail(t *testing.T) {
	f, srv := setup(t)
	rc, err := f.App.Channels.Submit(ctx, channels.Request{Name: "钱工", Email: "qian@example.cn", Description: "主轴异响", IP: "1"})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := f.App.Records.Entity("ticket")
	err = f.App.DB.Write(ctx, func(tx *store.Tx) error {
		tk, err := f.App.DB.Get(ctx, tx, e, rc.TicketID(), store.True, false)
		if err != nil {
			return err
		}
		_, err = f.App.Records.SetTx(records.AsProcess(ctx), tx, access.SystemPrincipal(), e, tk, entity.Record{"status": crm.TicketResolved, "resolution": "更换主轴轴承"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	runJobs(t, f)
	subs := subjects(srv)
	if len(subs) != 2 || !strings.Contains(subs[1], "["+rc.Number+"]") || !strings.Contains(subs[1], "已解决") {
		t.Fatalf("mails: %q", subs)
	}
	if !strings.Contains(string(srv.Messages()[1]), "=E6=9B=B4=E6=8D=A2") && !strings.Contains(string(srv.Messages()[1]), "更换") &&
		!strings.Contains(string(srv.Messages()[1]), "5pu05o2i") {
		t.Log("resolution text encoded otherwise; subject checked")
	}
	// A GBK mail (Foxmail and older Outlook in China send these).
	enc := simplifiedchinese.GBK.NewEncoder()
	subj, _ := enc.String("打印机卡纸")
	body, _ := enc.String("双面打印时卡纸")
	raw := "From: sun@example.cn\r\nSubject: =?GBK?B?" + base64.StdEncoding.EncodeToString([]byte(subj)) + "?=\r\nMessage-ID: <gbk-1@example.cn>\r\n" +
		"Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(body)) + "\r\n"
	fl, err := f.App.Channels.Ingest(ctx, []byte(raw), "")
	if err != nil || !fl.New {
		t.Fatalf("GBK mail: %+v %v", fl, err)
	}
	var s, d string
	if err := f.App.DB.R().QueryRowContext(ctx, `SELECT subject, description FROM tickets WHERE id = $1`, fl.TicketID).Scan(&s, &d); err != nil || s != "打印机卡纸" || d != "双面打印时卡纸" {
		t.Errorf("GBK mail read as %q / %q (%v)", s, d, err)
	}
}

func TestHTMLText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`<p>第一段</p><p>第二段<br>换行</p>`, "第一段\n\n第二段\n换行"},
		{`<style>p{color:red}</style><script>alert(1)</script><b>粗体</b> 文本`, "粗体 文本"},
		{`<a href="javascript:alert(1)">链接</a> &lt;script&gt;`, "链接 <script>"},
	} {
		if got := channels.HTMLText(c.in); got != c.want {
			t.Errorf("%q → %q, want %q", c.in, got, c.want)
		}
	}
}
