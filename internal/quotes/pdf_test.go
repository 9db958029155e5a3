package quotes_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
	"closeloop/internal/mail"
	"closeloop/internal/money"
	"closeloop/internal/pdfdoc"
	"closeloop/internal/pdfdoc/pdftest"
	"closeloop/internal/quotes"
)

var letterhead = pdfdoc.Company{Name: "闭环智能装备（苏州）有限公司", NameEn: "Closeloop Automation (Suzhou) Co., Ltd.", Address: "苏州工业园区星湖街 328 号",
	Phone: "0512-6688 1234", TaxNumber: "91320594MA1XYZ0001", BankName: "招商银行苏州分行", BankAccount: "5129 0000 1234 567"}

func TestQuotePDF(t *testing.T) {
	pdftest.Need(t)
	f := newFx(t)
	f.Q.SetCompany(func(context.Context) (pdfdoc.Company, error) { return letterhead, nil })
	contact, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"name": "刘建国", "customer_id": f.Customer.ID(), "phone": "13912345678"})
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.Q.Create(ctx, f.Rep1, quotes.Input{Quote: entity.Record{"title": "MES 一期报价", "customer_id": f.Customer.ID(), "contact_id": contact.ID(),
		"valid_until": "2031-01-31", "payment_terms": "预付 30%，到货验收后 60%，质保金 10%", "after_sales_terms": "整机质保 12 个月"},
		SetLines: true, Lines: []entity.Record{line("product_id", f.Licence.ID(), "quantity", 1, "discount_bp", 300), line("product_id", f.Install.ID(), "quantity", 6),
			line("product_id", f.Resin.ID(), "quantity", 1250, "discount_bp", 450)}})
	if err != nil {
		t.Fatal(err)
	}
	name, pdf, err := f.Q.PDF(ctx, f.Rep1, q.Rec.ID(), i18n.ZH)
	if err != nil {
		t.Fatal(err)
	}
	if name != "报价单-"+q.Rec.Str("number")+".pdf" || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("name %q", name)
	}
	flat := pdftest.Squeeze(pdftest.Text(t, pdf))
	for _, want := range []string{"报价单", q.Rec.Str("number"), "北京华信精密制造有限公司", "刘建国", "闭环智能装备（苏州）有限公司", "MES制造执行系统标准版许可",
		money.Format(q.Rec.Int("subtotal")), money.Format(q.Rec.Int("net_amount")), money.Format(q.Rec.Int("tax_amount")), money.Format(q.Rec.Int("total")),
		crm.AmountInWords(q.Rec.Int("total")), "付款条件", "预付30%", "售后条款", "需方（盖章）", "供方（盖章）", "2031-01-31"} {
		if !strings.Contains(flat, pdftest.Squeeze(want)) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	if !strings.Contains(flat, "13912345678") { // the rep may see contact details
		t.Errorf("contact phone not printed")
	}
	_, en, err := f.Q.PDF(ctx, f.Rep1, q.Rec.ID(), i18n.EN)
	if err != nil {
		t.Fatal(err)
	}
	flat = pdftest.Squeeze(pdftest.Text(t, en))
	for _, want := range []string{"Quotation", "Totalincl.tax", "Paymentterms", "北京华信精密制造有限公司", "CloseloopAutomation(Suzhou)Co.,Ltd.", money.Format(q.Rec.Int("total"))} {
		if !strings.Contains(flat, want) {
			t.Errorf("the English PDF lacks %q", want)
		}
	}
	// Someone who cannot see the quote gets nothing.
	if _, _, err := f.Q.PDF(ctx, f.Rep3, q.Rec.ID(), i18n.ZH); err == nil {
		t.Fatal("another rep rendered the PDF")
	}
}

// BenchmarkQuotePDF renders a 20-line quote through the service (read the
// quote, its lines, customer and contact; lay out; render) and reports the
// p50/p95 of single renders (docs/performance.md: bar p95 ≤ 300 ms).
func BenchmarkQuotePDF(b *testing.B) {
	f := newFxB(b)
	var lines []entity.Record
	prods := []entity.Record{f.Server, f.Licence, f.Resin, f.Install}
	for i := 0; i < 20; i++ {
		lines = append(lines, line("product_id", prods[i%4].ID(), "quantity", 1+i*3, "discount_bp", (i%5)*100))
	}
	q, err := f.Q.Create(ctx, f.Rep1, quotes.Input{Quote: entity.Record{"title": "二十行报价", "customer_id": f.Customer.ID(), "valid_until": "2031-01-31",
		"payment_terms": "预付 30%，到货验收后 60%，质保金 10%"}, SetLines: true, Lines: lines})
	if err != nil {
		b.Fatal(err)
	}
	f.Q.SetCompany(func(context.Context) (pdfdoc.Company, error) { return letterhead, nil })
	if _, _, err := f.Q.PDF(ctx, f.Rep1, q.Rec.ID(), i18n.ZH); err != nil { // the font's tables are built once per process
		b.Fatal(err)
	}
	var took []time.Duration
	var size int
	for b.Loop() {
		t0 := time.Now()
		_, pdf, err := f.Q.PDF(ctx, f.Rep1, q.Rec.ID(), i18n.ZH)
		if err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
		size = len(pdf)
	}
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[min(len(took)-1, int(p*float64(len(took))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(float64(size), "bytes/pdf")
}

// Sending mails the quote with its PDF to the contact, in the sending
// transaction, when SMTP is set up and the contact has an address.
func TestSendMailsThePDF(t *testing.T) {
	f := newFx(t)
	q1 := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 1))
	// No SMTP yet: sent, nothing mailed.
	if _, mailed, err := f.Q.Send(ctx, f.Rep1, q1.Rec.ID(), 0); err != nil || mailed {
		t.Fatalf("send without SMTP: mailed %v, %v", mailed, err)
	}
	if _, err := f.App.Mail.SaveSettings(ctx, f.Admin, mail.SMTPUpdate{Host: "smtp.example.com", Port: 587, FromAddress: "sales@example.com", FromName: "销售部"}); err != nil {
		t.Fatal(err)
	}
	noMail, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"name": "王强", "customer_id": f.Customer.ID()})
	if err != nil {
		t.Fatal(err)
	}
	withMail, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"name": "刘建国", "customer_id": f.Customer.ID(), "email": "liu.jianguo@huaxin.example.cn"})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(contact string) string {
		q, err := f.Q.Create(ctx, f.Rep1, quotes.Input{Quote: entity.Record{"title": "报价", "customer_id": f.Customer.ID(), "contact_id": contact, "valid_until": "2031-01-31"},
			SetLines: true, Lines: []entity.Record{line("product_id", f.Install.ID(), "quantity", 2)}})
		if err != nil {
			t.Fatal(err)
		}
		return q.Rec.ID()
	}
	if _, mailed, err := f.Q.Send(ctx, f.Rep1, mk(noMail.ID()), 0); err != nil || mailed {
		t.Fatalf("contact without e-mail: mailed %v, %v", mailed, err)
	}
	id := mk(withMail.ID())
	out, mailed, err := f.Q.Send(ctx, f.Rep1, id, 0)
	if err != nil || !mailed || out.Str("status") != crm.QuoteSent {
		t.Fatalf("send: mailed %v, %v", mailed, err)
	}
	var to, subject, reply, att string
	var size int64
	err = f.DB().R().QueryRowContext(ctx, `SELECT o.to_addrs, o.subject, COALESCE(o.reply_to, ''), a.name, a.size FROM mail_outbox o JOIN mail_attachments a ON a.message_id = o.id
		WHERE o.entity = 'quote' AND o.record_id = $1`, id).Scan(&to, &subject, &reply, &att, &size)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(to, "liu.jianguo@huaxin.example.cn") || !strings.Contains(subject, out.Str("number")) || !strings.Contains(reply, f.Rep1.Email) ||
		att != "报价单-"+out.Str("number")+".pdf" || size < 1000 {
		t.Fatalf("mail: to %s subject %s reply %s attachment %s (%d bytes)", to, subject, reply, att, size)
	}
	// A refused send mails nothing.
	if _, _, err := f.Q.Send(ctx, f.Rep1, id, 0); err == nil {
		t.Fatal("sent twice")
	}
	var n int
	_ = f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM mail_outbox WHERE record_id = $1`, id).Scan(&n)
	if n != 1 {
		t.Fatalf("%d mails for one send", n)
	}
}
