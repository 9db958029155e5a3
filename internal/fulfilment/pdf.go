package fulfilment

import (
	"bytes"
	"context"
	"strconv"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
	"closeloop/internal/pdfdoc"
)

// LetterheadFunc loads our company's letterhead (admin.Service.Company).
type LetterheadFunc func(ctx context.Context) (pdfdoc.Company, error)

// DeliveryNote renders the delivery note (送货单) of a delivery p may see,
// in lang, through internal/pdfdoc: the letterhead, consignee and
// shipment, the lines with quantities, batch and production date, the
// total quantity, and places for both parties to sign; once signed, what
// the receiver confirmed. It returns the file name and the bytes.
func (s *Service) DeliveryNote(ctx context.Context, p *access.Principal, id string, lang i18n.Lang) (string, []byte, error) {
	d, lines, _, err := s.Delivery(ctx, p, id)
	if err != nil {
		return "", nil, err
	}
	var co pdfdoc.Company
	if s.Letterhead != nil {
		if co, err = s.Letterhead(ctx); err != nil {
			return "", nil, err
		}
	}
	T := func(key string, args ...any) string { return i18n.Msg(lang, key, args...) }
	de, le := s.entity("delivery"), s.entity("delivery_line")
	label := func(e *entity.Entity, f string) string { return e.Field(f).Label.In(lang) }
	date := d.Time("shipped_at")
	if date.IsZero() {
		date = s.now()
	}
	doc := pdfdoc.Document{Company: co, Lang: lang, Title: T("ful.pdf.title"), Number: d.Str("number"), Date: date.In(s.R.Loc), Footer: T("ful.pdf.footer")}
	add := func(fs *[]pdfdoc.Field, l, v string) {
		if v != "" {
			*fs = append(*fs, pdfdoc.Field{Label: l, Value: v})
		}
	}
	var to, ship []pdfdoc.Field
	add(&to, label(de, "customer_name"), d.Str("customer_name"))
	add(&to, label(de, "ship_to"), d.Str("ship_to"))
	add(&to, label(de, "receiver_name"), d.Str("receiver_name"))
	add(&to, label(de, "receiver_phone"), d.Str("receiver_phone"))
	add(&ship, T("ful.pdf.order"), s.numberOf(ctx, s.DB.R(), "sales_orders", d.Str("order_id")))
	add(&ship, label(de, "carrier"), d.Str("carrier"))
	add(&ship, label(de, "tracking_no"), d.Str("tracking_no"))
	add(&ship, label(de, "packaging"), d.Str("packaging"))
	if n, ok := d["package_count"].(int64); ok {
		add(&ship, label(de, "package_count"), strconv.FormatInt(n, 10))
	}
	doc.Blocks = []pdfdoc.Block{{Title: T("ful.pdf.consignee"), Fields: to}, {Title: T("ful.pdf.shipment"), Fields: ship}}
	signed := crm.DeliveryIsSigned(d.Str("status"))
	t := pdfdoc.Table{Columns: []pdfdoc.Column{
		{Label: label(le, "position"), Width: 0.8, Align: pdfdoc.Center}, {Label: label(le, "name"), Width: 3}, {Label: label(le, "spec"), Width: 2.2},
		{Label: label(le, "unit"), Width: 0.8, Align: pdfdoc.Center}, {Label: label(le, "quantity"), Width: 1.3, Align: pdfdoc.Right},
		{Label: label(le, "batch_no"), Width: 1.6}, {Label: label(le, "production_date"), Width: 1.5, Align: pdfdoc.Center}}}
	if signed {
		t.Columns = append(t.Columns, pdfdoc.Column{Label: label(le, "received_qty"), Width: 1, Align: pdfdoc.Right})
	}
	var total, received int64
	for _, l := range lines {
		row := []string{strconv.FormatInt(l.Int("position"), 10), l.Str("name"), l.Str("spec"), l.Str("unit"), strconv.FormatInt(l.Int("quantity"), 10),
			l.Str("batch_no"), l.Str("production_date")}
		total += l.Int("quantity")
		if signed {
			r := l.Int("received_qty")
			received += r
			row = append(row, strconv.FormatInt(r, 10))
		}
		t.Rows = append(t.Rows, row)
	}
	t.Totals = []pdfdoc.Total{{Label: T("ful.pdf.total_qty"), Value: strconv.FormatInt(total, 10), Strong: true}}
	if signed {
		t.Totals = append(t.Totals, pdfdoc.Total{Label: T("ful.pdf.total_received"), Value: strconv.FormatInt(received, 10)})
	}
	doc.Tables = []pdfdoc.Table{t}
	if n := d.Str("notes"); n != "" {
		doc.Sections = append(doc.Sections, pdfdoc.Section{Heading: label(de, "notes"), Body: n})
	}
	if signed {
		body := T("ful.pdf.signed_by", "name", d.Str("signer_name"), "at", d.Time("signed_at").In(s.R.Loc).Format("2006-01-02 15:04"))
		if r := d.Str("sign_remarks"); r != "" {
			body += "\n" + r
		}
		doc.Sections = append(doc.Sections, pdfdoc.Section{Heading: T("ful.pdf.sign_off"), Body: body})
	}
	doc.Signatures = []pdfdoc.Signature{{Title: T("ful.pdf.shipper"), Name: co.DisplayName(lang)}, {Title: T("ful.pdf.receiver"), Name: d.Str("customer_name")}}
	var buf bytes.Buffer
	if err := pdfdoc.Render(&buf, doc); err != nil {
		return "", nil, err
	}
	return T("ful.pdf.file", "number", d.Str("number")), buf.Bytes(), nil
}
