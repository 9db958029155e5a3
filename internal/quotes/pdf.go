package quotes

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/money"
	"closeloop/internal/pdfdoc"
)

// The quote as a document (报价单): the letterhead from the company
// settings, the customer and the seller side by side, the lines, the
// totals with the total in capital numerals, the terms, and a place for
// both parties to sign. Chinese by default, English on request; the
// customer's and the products' names are printed as they were entered.

// SetCompany sets where the letterhead comes from (admin.Service.Company).
func (s *Service) SetCompany(fn func(ctx context.Context) (pdfdoc.Company, error)) { s.company = fn }

// PDF renders a quote p may see as a PDF in lang; it returns the file name
// and the bytes.
func (s *Service) PDF(ctx context.Context, p *access.Principal, id string, lang i18n.Lang) (string, []byte, error) {
	q, err := s.Get(ctx, p, id)
	if err != nil {
		return "", nil, err
	}
	doc, err := s.document(ctx, p, q, lang)
	if err != nil {
		return "", nil, err
	}
	pdf, err := renderPDF(doc, q.Rec.Str("number"))
	if err != nil {
		return "", nil, err
	}
	return i18n.Msg(lang, "qtpdf.file", "number", q.Rec.Str("number")), pdf, nil
}

func renderPDF(doc pdfdoc.Document, number string) ([]byte, error) {
	var buf bytes.Buffer
	if err := pdfdoc.Render(&buf, doc); err != nil {
		return nil, errs.Wrap(err, "quotes: render %s", number)
	}
	return buf.Bytes(), nil
}

// document gathers what the quote's document shows.
func (s *Service) document(ctx context.Context, p *access.Principal, q *Quote, lang i18n.Lang) (pdfdoc.Document, error) {
	var company pdfdoc.Company
	if s.company != nil {
		c, err := s.company(ctx)
		if err != nil {
			return pdfdoc.Document{}, errs.Wrap(err, "quotes: letterhead")
		}
		company = c
	}
	// The customer and contact as the viewer may see them (contact details
	// masked for roles without the right, as on every other path).
	var cust, contact entity.Record
	if id := q.Rec.Str("customer_id"); id != "" {
		if r, err := s.R.Get(ctx, p, "customer", id); err == nil {
			cust = r
		}
	}
	if id := q.Rec.Str("contact_id"); id != "" {
		if r, err := s.R.Get(ctx, p, "contact", id); err == nil {
			contact = r
		}
	}
	return QuoteDocument(q, cust, contact, company, lang, s.R.Loc), nil
}

// QuoteDocument lays a quote out as a document (pure: the quote, its
// customer and contact, the letterhead).
func QuoteDocument(q *Quote, cust, contact entity.Record, company pdfdoc.Company, lang i18n.Lang, loc *time.Location) pdfdoc.Document {
	if lang != i18n.EN {
		lang = i18n.ZH
	}
	if loc == nil {
		loc = time.UTC
	}
	T := func(key string, args ...any) string { return i18n.Msg(lang, "qtpdf."+key, args...) }
	rec := q.Rec
	cur := rec.Str("currency")
	if cur == "" {
		cur = "CNY"
	}
	amount := func(fen int64) string { return money.FormatIn(cur, fen) }
	d := pdfdoc.Document{Company: company, Lang: lang, Title: T("title"), Number: rec.Str("number"), Date: rec.Time("created_at").In(loc)}

	buyer := pdfdoc.Block{Title: T("buyer")}
	add := func(b *pdfdoc.Block, label, value string) {
		if strings.TrimSpace(value) != "" {
			b.Fields = append(b.Fields, pdfdoc.Field{Label: label, Value: value})
		}
	}
	if cust != nil {
		add(&buyer, T("customer"), cust.Str("name"))
		add(&buyer, T("address"), cust.Str("address"))
	}
	if contact != nil {
		add(&buyer, T("contact"), contact.Str("name"))
		add(&buyer, T("phone"), firstOf(contact.Str("mobile"), contact.Str("phone")))
		add(&buyer, T("email"), contact.Str("email"))
	}
	seller := pdfdoc.Block{Title: T("seller"), Fields: company.PartyRows(lang)}
	terms := pdfdoc.Block{Title: T("quote")}
	add(&terms, T("subject"), rec.Str("title"))
	add(&terms, T("valid_until"), rec.Str("valid_until"))
	add(&terms, T("revision"), strconv.FormatInt(max(rec.Int("revision"), 1), 10))
	add(&terms, T("currency"), cur)
	add(&terms, T("delivery"), rec.Str("delivery_period"))
	d.Blocks = []pdfdoc.Block{buyer, seller, terms}

	table := pdfdoc.Table{Columns: []pdfdoc.Column{
		{Label: T("h_no"), Width: 0.6, Align: pdfdoc.Center}, {Label: T("h_item"), Width: 4}, {Label: T("h_qty"), Width: 1.2, Align: pdfdoc.Right},
		{Label: T("h_price"), Width: 1.7, Align: pdfdoc.Right}, {Label: T("h_discount"), Width: 0.9, Align: pdfdoc.Right},
		{Label: T("h_tax"), Width: 0.8, Align: pdfdoc.Right}, {Label: T("h_total"), Width: 1.9, Align: pdfdoc.Right}}}
	for _, l := range q.Lines {
		item := l.Str("name")
		if sp := l.Str("spec"); sp != "" {
			item += "\n" + sp
		}
		qty := strconv.FormatInt(l.Int("quantity"), 10)
		if u := l.Str("unit"); u != "" {
			qty += " " + u
		}
		table.Rows = append(table.Rows, []string{strconv.FormatInt(l.Int("position"), 10), item, qty, money.Plain(l.Int("unit_price")),
			entity.FormatScaled(l.Int("discount_bp"), 2) + "%", entity.FormatScaled(l.Int("tax_rate_bp"), 2) + "%", money.Plain(l.Int("line_total"))})
	}
	table.Totals = []pdfdoc.Total{
		{Label: T("subtotal"), Value: amount(rec.Int("subtotal"))},
		{Label: T("discount"), Value: amount(-rec.Int("discount_amount"))},
		{Label: T("net"), Value: amount(rec.Int("net_amount"))},
		{Label: T("tax"), Value: amount(rec.Int("tax_amount"))},
		{Label: T("total"), Value: amount(rec.Int("total")), Strong: true},
	}
	if cur == "CNY" {
		table.Totals = append(table.Totals, pdfdoc.Total{Label: T("in_words"), Value: crm.AmountInWords(rec.Int("total"))})
	}
	d.Tables = []pdfdoc.Table{table}
	for _, s := range []struct{ key, field string }{{"service", "service_content"}, {"payment", "payment_terms"}, {"after_sales", "after_sales_terms"}, {"notes", "notes"}} {
		if body := strings.TrimSpace(rec.Str(s.field)); body != "" {
			d.Sections = append(d.Sections, pdfdoc.Section{Heading: T(s.key), Body: body})
		}
	}
	custName := ""
	if cust != nil {
		custName = cust.Str("name")
	}
	d.Signatures = []pdfdoc.Signature{{Title: T("sign_buyer"), Name: custName}, {Title: T("sign_seller"), Name: company.DisplayName(lang)}}
	d.Footer = T("footer", "until", rec.Str("valid_until"))
	return d
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
