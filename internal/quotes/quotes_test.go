package quotes_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/approvals"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/money"
	"closeloop/internal/quotes"
	"closeloop/internal/store"
)

var ctx = context.Background()

type fx struct {
	*apptest.Fixture
	Q        *quotes.Service
	Customer entity.Record // Rep1's, level A
	Server   entity.Record // product: equipment, list ¥35,800.00, 13 %
	Licence  entity.Record // product: software licence, list ¥12,999.00, 13 %
	Resin    entity.Record // product: material in kg, list ¥86.50, 13 %
	Install  entity.Record // product: service, list ¥8,000.00, 6 %
}

func newFx(t *testing.T) *fx { return newFxB(t) }

func newFxB(t testing.TB) *fx {
	t.Helper()
	f := &fx{Fixture: apptest.NewFixture(t)}
	f.Q = f.App.Quotes
	f.Customer = f.Fixture.Customer(t, f.Rep1, "北京华信精密制造有限公司", "level", "A")
	f.Server = f.product(t, "HW-SRV-2U", "2U 机架式服务器", "双路 32 核/256GB/4×1.92TB SSD", "台", "hardware", "goods", 3_580_000, 1300)
	f.Licence = f.product(t, "SW-MES-STD", "MES 制造执行系统标准版许可", "永久许可，50 并发用户", "套", "software", "goods", 1_299_900, 1300)
	f.Resin = f.product(t, "MT-EP-128", "环氧树脂 E-128", "25kg/桶，工业级", "kg", "material", "goods", 8_650, 1300)
	f.Install = f.product(t, "SV-INST", "现场安装调试服务", "含 2 人 3 天上门", "人天", "service", "service", 800_000, 600)
	return f
}

func (f *fx) product(t testing.TB, sku, name, spec, unit, cat, kind string, price, tax int64) entity.Record {
	t.Helper()
	r, err := f.App.Records.Create(ctx, f.Admin, "product", entity.Record{"sku": sku, "name": name, "spec": spec, "unit": unit,
		"category": cat, "kind": kind, "list_price": price, "tax_rate_bp": tax, "stock_qty": int64(100)})
	if err != nil {
		t.Fatalf("product %s: %v", sku, err)
	}
	return r
}

func (f *fx) priceList(t *testing.T, code string, extra entity.Record, items map[string]int64) entity.Record {
	t.Helper()
	rec := entity.Record{"name": "价格表 " + code, "code": code}
	for k, v := range extra {
		rec[k] = v
	}
	l, err := f.App.Records.Create(ctx, f.Admin, "price_list", rec)
	if err != nil {
		t.Fatalf("price list %s: %v", code, err)
	}
	for pid, price := range items {
		if _, err := f.App.Records.Create(ctx, f.Admin, "price_list_item", entity.Record{"price_list_id": l.ID(), "product_id": pid, "unit_price": price}); err != nil {
			t.Fatalf("price list item: %v", err)
		}
	}
	return l
}

func line(kv ...any) entity.Record {
	r := entity.Record{}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if n, ok := v.(int); ok {
			v = int64(n)
		}
		r[kv[i].(string)] = v
	}
	return r
}

func (f *fx) quote(t *testing.T, p *access.Principal, lines ...entity.Record) *quotes.Quote {
	t.Helper()
	q, err := f.Q.Create(ctx, p, quotes.Input{Quote: entity.Record{"title": "MES 一期报价", "customer_id": f.Customer.ID(),
		"valid_until": time.Now().AddDate(0, 0, 30).Format(entity.DateLayout)}, Lines: lines, SetLines: true})
	if err != nil {
		t.Fatalf("create quote: %v", err)
	}
	return q
}

func fieldCodes(err error) map[string]string {
	out := map[string]string{}
	if e := errs.As(err); e != nil {
		for _, f := range e.Fields {
			out[f.Field] = f.Code
		}
	}
	return out
}

func TestCreateWithLinesAndTotals(t *testing.T) {
	f := newFx(t)
	// The customer's level has a list; the customer has its own list for the licence.
	f.priceList(t, "LV-A", entity.Record{"customer_level": "A"}, map[string]int64{f.Server.ID(): 3_400_000, f.Licence.ID(): 1_250_000})
	f.priceList(t, "HX-2026", entity.Record{"customer_id": f.Customer.ID()}, map[string]int64{f.Licence.ID(): 1_200_000})
	q := f.quote(t, f.Rep1,
		line("product_id", f.Server.ID(), "quantity", 2, "discount_bp", 300),
		line("product_id", f.Licence.ID(), "quantity", 5),
		line("product_id", f.Resin.ID(), "quantity", 1250, "discount_bp", 450),
		line("name", "二次开发（报表定制）", "unit", "项", "quantity", 1, "unit_price", int64(2_000_000), "tax_rate_bp", 600))
	if !regexp.MustCompile(`^Q-\d{6}-0001$`).MatchString(q.Rec.Str("number")) {
		t.Fatalf("number %q", q.Rec.Str("number"))
	}
	if q.Rec.Str("status") != crm.QuoteDraft || q.Rec.Int("revision") != 1 {
		t.Fatalf("status %s revision %d", q.Rec.Str("status"), q.Rec.Int("revision"))
	}
	if len(q.Lines) != 4 {
		t.Fatalf("%d lines", len(q.Lines))
	}
	// Defaults and prices from the catalogue.
	l0, l1, l2 := q.Lines[0], q.Lines[1], q.Lines[2]
	if l0.Str("name") != "2U 机架式服务器" || l0.Str("unit") != "台" || l0.Str("spec") == "" || l0.Int("tax_rate_bp") != 1300 {
		t.Fatalf("defaults of line 1: %v", l0)
	}
	if l0.Int("unit_price") != 3_400_000 { // the level's list
		t.Fatalf("server priced %d", l0.Int("unit_price"))
	}
	if l1.Int("unit_price") != 1_200_000 { // the customer's own list beats the level's
		t.Fatalf("licence priced %d", l1.Int("unit_price"))
	}
	if l2.Int("unit_price") != 8_650 || l2.Str("unit") != "kg" { // no list: the list price
		t.Fatalf("resin priced %d", l2.Int("unit_price"))
	}
	for i, l := range q.Lines {
		if l.Int("position") != int64(i+1) || l.Str("quote_id") != q.Rec.ID() {
			t.Fatalf("line %d: position %d quote %s", i, l.Int("position"), l.Str("quote_id"))
		}
	}
	// Totals: the hand sums of the rounded lines.
	// 2 × 34000.00 × 0.97 = 65960.00, tax 8574.80
	// 5 × 12000.00 = 60000.00, tax 7800.00
	// 1250 × 86.50 = 108125.00 × 0.955 = 103259.375 → 103259.38, tax 13423.7194 → 13423.72
	// 20000.00, tax 1200.00
	want := map[string]int64{"subtotal": 6_800_000 + 6_000_000 + 10_812_500 + 2_000_000, "net_amount": 6_596_000 + 6_000_000 + 10_325_938 + 2_000_000,
		"tax_amount": 857_480 + 780_000 + 1_342_372 + 120_000, "max_discount_bp": 450}
	want["discount_amount"] = want["subtotal"] - want["net_amount"]
	want["total"] = want["net_amount"] + want["tax_amount"]
	for k, v := range want {
		if q.Rec.Int(k) != v {
			t.Errorf("%s = %d, want %d", k, q.Rec.Int(k), v)
		}
	}
	var sum int64
	for _, l := range q.Lines {
		sum += l.Int("line_total")
	}
	if sum != q.Rec.Int("total") {
		t.Fatalf("lines add up to %d, total %d", sum, q.Rec.Int("total"))
	}
	// Read back: the same.
	got, err := f.Q.Get(ctx, f.Rep1, q.Rec.ID())
	if err != nil || got.Rec.Int("total") != q.Rec.Int("total") || len(got.Lines) != 4 || got.Lines[3].Str("name") != "二次开发（报表定制）" {
		t.Fatalf("read back: %v %v", got, err)
	}
	// A second quote takes the next number; another month starts again.
	q2 := f.quote(t, f.Rep1, line("product_id", f.Install.ID(), "quantity", 6))
	if q2.Rec.Str("number")[len(q2.Rec.Str("number"))-4:] != "0002" {
		t.Fatalf("second number %s", q2.Rec.Str("number"))
	}
	f.Q.SetClock(func() time.Time { return time.Date(2031, 3, 5, 10, 0, 0, 0, time.UTC) })
	q3 := f.quote(t, f.Rep1, line("product_id", f.Install.ID(), "quantity", 1))
	if q3.Rec.Str("number") != "Q-203103-0001" {
		t.Fatalf("number in another month %s", q3.Rec.Str("number"))
	}
}

func TestLinesRefused(t *testing.T) {
	f := newFx(t)
	f.priceList(t, "LV-A", entity.Record{"customer_level": "A"}, map[string]int64{f.Server.ID(): 3_400_000})
	cases := []struct {
		name  string
		lines []entity.Record
		want  map[string]string
	}{
		{"price below the resolved price", []entity.Record{line("product_id", f.Server.ID(), "quantity", 1, "unit_price", int64(3_000_000))},
			map[string]string{"lines[0].unit_price": "quote_price_below_list"}},
		{"computed fields are not input", []entity.Record{line("name", "咨询", "quantity", 1, "unit_price", int64(100), "line_total", int64(1))},
			map[string]string{"lines[0].line_total": "read_only"}},
		{"missing name and price", []entity.Record{line("quantity", 1)},
			map[string]string{"lines[0].name": "required", "lines[0].unit_price": "required"}},
		{"overflow", []entity.Record{line("name", "超大", "quantity", int64(1_000_000_000), "unit_price", int64(10_000_000_000_000))},
			map[string]string{"lines[0].quantity": "amount_too_large"}},
		{"unknown line", []entity.Record{line("id", "01900000-0000-7000-8000-000000000000", "quantity", 1)},
			map[string]string{"lines[0].id": "invalid_ref"}},
		{"discount above 100 %", []entity.Record{line("name", "咨询", "quantity", 1, "unit_price", int64(100), "discount_bp", 12000)},
			map[string]string{"lines[0].discount_bp": "quote_discount_range"}},
	}
	for _, c := range cases {
		_, err := f.Q.Create(ctx, f.Rep1, quotes.Input{Quote: entity.Record{"title": "x", "customer_id": f.Customer.ID(), "valid_until": "2031-01-01"},
			Lines: c.lines, SetLines: true})
		got := fieldCodes(err)
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q (%v)", c.name, k, got[k], v, err)
			}
		}
	}
	// A totals field on the header is refused, and nothing was written.
	_, err := f.Q.Create(ctx, f.Rep1, quotes.Input{Quote: entity.Record{"title": "x", "customer_id": f.Customer.ID(), "valid_until": "2031-01-01", "total": int64(1)}})
	if fieldCodes(err)["total"] != "read_only" {
		t.Fatalf("total as input: %v", err)
	}
	var n int
	if err := f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM quotes`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d quotes written by refused creates (%v)", n, err)
	}
	// A higher price than the catalogue's is the rep's choice.
	q := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 1, "unit_price", int64(3_600_000)))
	if q.Lines[0].Int("unit_price") != 3_600_000 {
		t.Fatalf("raised price %d", q.Lines[0].Int("unit_price"))
	}
}

func TestUpdateLinesAndLock(t *testing.T) {
	f := newFx(t)
	q := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 1), line("product_id", f.Licence.ID(), "quantity", 2),
		line("product_id", f.Resin.ID(), "quantity", 100))
	keep, drop := q.Lines[0], q.Lines[1]
	_ = drop
	// Change line 1's quantity, drop line 2, keep line 3 (moved up), add one.
	up, err := f.Q.Update(ctx, f.Rep1, q.Rec.ID(), q.Rec.Version(), quotes.Input{Quote: entity.Record{"title": "MES 一期报价（修订）"}, SetLines: true, Lines: []entity.Record{
		line("id", keep.ID(), "quantity", 3), line("id", q.Lines[2].ID()), line("product_id", f.Install.ID(), "quantity", 4, "discount_bp", 1000)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Lines) != 3 || up.Lines[0].ID() != keep.ID() || up.Lines[0].Int("quantity") != 3 || up.Lines[1].ID() != q.Lines[2].ID() ||
		up.Lines[1].Int("position") != 2 || up.Lines[2].Str("name") != "现场安装调试服务" {
		t.Fatalf("lines after update: %v", up.Lines)
	}
	ml := []money.Line{{Quantity: 3, UnitPrice: 3_580_000, TaxRateBP: 1300}, {Quantity: 100, UnitPrice: 8_650, TaxRateBP: 1300},
		{Quantity: 4, UnitPrice: 800_000, DiscountBP: 1000, TaxRateBP: 600}}
	want, _ := money.Sum(ml)
	if up.Rec.Int("total") != want.Total || up.Rec.Int("max_discount_bp") != 1000 || up.Rec.Version() <= q.Rec.Version() {
		t.Fatalf("total %d want %d, max %d, version %d", up.Rec.Int("total"), want.Total, up.Rec.Int("max_discount_bp"), up.Rec.Version())
	}
	stored, _ := f.Q.Get(ctx, f.Rep1, q.Rec.ID())
	if len(stored.Lines) != 3 || stored.Rec.Int("total") != want.Total {
		t.Fatalf("stored: %d lines, total %d", len(stored.Lines), stored.Rec.Int("total"))
	}
	// Only lines changed: still a new version.
	up2, err := f.Q.Update(ctx, f.Rep1, q.Rec.ID(), up.Rec.Version(), quotes.Input{SetLines: true, Lines: []entity.Record{
		line("id", up.Lines[0].ID(), "name", "2U 服务器（含导轨）"), line("id", up.Lines[1].ID()), line("id", up.Lines[2].ID())}})
	if err != nil || up2.Rec.Version() != up.Rec.Version()+1 {
		t.Fatalf("lines-only change: %v version %d", err, up2.Rec.Version())
	}
	// A stale version is refused and writes nothing.
	if _, err := f.Q.Update(ctx, f.Rep1, q.Rec.ID(), up.Rec.Version(), quotes.Input{Quote: entity.Record{"title": "旧版本"}}); errs.CodeOf(err) != "stale_version" {
		t.Fatalf("stale: %v", err)
	}
	// Another rep cannot even see it.
	if _, err := f.Q.Update(ctx, f.Rep3, q.Rec.ID(), 0, quotes.Input{Quote: entity.Record{"title": "x"}}); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("other rep: %v", err)
	}
	// After submitting, every change is refused: header, lines, generic update, a line on its own.
	// 10 % is beyond a rep's 5 %: the reason is required, and the quote waits for approval.
	if _, err := f.Q.Submit(ctx, f.Rep1, q.Rec.ID(), up2.Rec.Version(), ""); fieldCodes(err)["discount_reason"] != "quote_discount_reason_required" {
		t.Fatalf("submit without a reason: %v", err)
	}
	sub, err := f.Q.Submit(ctx, f.Rep1, q.Rec.ID(), up2.Rec.Version(), "客户为集团战略客户，首单让利")
	if err != nil || sub.Str("status") != crm.QuoteInApproval || sub["submitted_at"] == nil || sub.Str("discount_reason") == "" {
		t.Fatalf("submit: %v %v", sub, err)
	}
	if _, err := f.Q.Update(ctx, f.Rep1, q.Rec.ID(), sub.Version(), quotes.Input{Quote: entity.Record{"title": "改"}}); errs.CodeOf(err) != "quote_locked" {
		t.Fatalf("edit after submit: %v", err)
	}
	if _, err := f.App.Records.Update(ctx, f.Rep1, "quote", q.Rec.ID(), sub.Version(), entity.Record{"notes": "改"}); errs.CodeOf(err) != "quote_locked" {
		t.Fatalf("generic edit after submit: %v", err)
	}
	if _, err := f.App.Records.Update(ctx, f.Rep1, "quote_line", up2.Lines[0].ID(), 0, entity.Record{"quantity": int64(9)}); errs.CodeOf(err) != "quote_locked" {
		t.Fatalf("line changed on its own after submit: %v", err)
	}
	if err := f.App.Records.Delete(ctx, f.Rep1, "quote", q.Rec.ID(), 0); errs.CodeOf(err) != "quote_locked" {
		t.Fatalf("delete after submit: %v", err)
	}
}

// A line changed on its own (the generic API, an import by id) keeps the
// quote's totals; lines are added only with their quote (quote_id is
// read-only).
func TestGenericLineKeepsTotals(t *testing.T) {
	f := newFx(t)
	q := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 1), line("product_id", f.Install.ID(), "quantity", 2))
	if _, err := f.App.Records.Create(ctx, f.Rep1, "quote_line", entity.Record{"quote_id": q.Rec.ID(), "name": "x", "quantity": int64(1), "unit_price": int64(1)}); fieldCodes(err)["quote_id"] != "read_only" {
		t.Fatalf("generic line create: %v", err)
	}
	if q.Rec.Int("total") != 4_045_400+1_696_000 {
		t.Fatalf("total %d", q.Rec.Int("total"))
	}
	l := q.Lines[1]
	up, err := f.App.Records.Update(ctx, f.Rep1, "quote_line", l.ID(), l.Version(), entity.Record{"quantity": int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	if up.Int("line_total") != 848_000 {
		t.Fatalf("line total after a generic change: %d", up.Int("line_total"))
	}
	got, _ := f.Q.Get(ctx, f.Rep1, q.Rec.ID())
	if got.Rec.Int("total") != 4_045_400+848_000 {
		t.Fatalf("total after changing a generic line: %d", got.Rec.Int("total"))
	}
	// Below the catalogue's price is refused there too.
	if _, err := f.App.Records.Update(ctx, f.Rep1, "quote_line", q.Lines[0].ID(), 0, entity.Record{"unit_price": int64(100)}); fieldCodes(err)["unit_price"] != "quote_price_below_list" {
		t.Fatalf("generic price below list: %v", err)
	}
	// The generic create of a quote gets a number and computed totals too.
	g, err := f.App.Records.Create(ctx, f.Rep1, "quote", entity.Record{"title": "通用", "customer_id": f.Customer.ID(), "valid_until": "2031-01-01"})
	if err != nil || !regexp.MustCompile(`^Q-\d{6}-0002$`).MatchString(g.Str("number")) || g.Str("status") != crm.QuoteDraft || g.Int("total") != 0 {
		t.Fatalf("generic create: %v %v", g, err)
	}
}

func TestReviseAndVersions(t *testing.T) {
	f := newFx(t)
	q := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 2, "discount_bp", 200))
	if _, err := f.Q.Revise(ctx, f.Rep1, q.Rec.ID(), 0); errs.CodeOf(err) != "quote_not_revisable" {
		t.Fatalf("revise a draft: %v", err)
	}
	sent, _, err := f.Q.Send(ctx, f.Rep1, q.Rec.ID(), q.Rec.Version())
	if err != nil || sent.Str("status") != crm.QuoteSent {
		t.Fatalf("send a draft needing no approval: %v %v", sent, err)
	}
	if _, err := f.Q.Revise(ctx, f.Rep1, q.Rec.ID(), sent.Version()-1); errs.CodeOf(err) != "stale_version" {
		t.Fatalf("stale revise: %v", err)
	}
	v2, err := f.Q.Revise(ctx, f.Rep1, q.Rec.ID(), sent.Version())
	if err != nil {
		t.Fatal(err)
	}
	if v2.Rec.Int("revision") != 2 || v2.Rec.Str("root_id") != q.Rec.ID() || v2.Rec.Str("status") != crm.QuoteDraft ||
		v2.Rec.Str("number") != q.Rec.Str("number")+"-V2" || v2.Rec.Int("total") != sent.Int("total") || len(v2.Lines) != 1 ||
		v2.Lines[0].Int("unit_price") != q.Lines[0].Int("unit_price") || v2.Lines[0].ID() == q.Lines[0].ID() {
		t.Fatalf("revision 2: %v lines %v", v2.Rec, v2.Lines)
	}
	old, _ := f.Q.Get(ctx, f.Rep1, q.Rec.ID())
	if old.Rec.Str("status") != crm.QuoteSuperseded || len(old.Lines) != 1 {
		t.Fatalf("old revision: %s", old.Rec.Str("status"))
	}
	if _, err := f.Q.Revise(ctx, f.Rep1, q.Rec.ID(), 0); errs.CodeOf(err) != "quote_not_revisable" {
		t.Fatalf("revise a superseded quote: %v", err)
	}
	// v2 is edited, sent, rejected, revised again: v3 from v2.
	if _, err := f.Q.Update(ctx, f.Rep1, v2.Rec.ID(), v2.Rec.Version(), quotes.Input{SetLines: true, Lines: []entity.Record{line("id", v2.Lines[0].ID(), "discount_bp", 100)}}); err != nil {
		t.Fatal(err)
	}
	s2, _, err := f.Q.Send(ctx, f.Rep1, v2.Rec.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Q.Reject(ctx, f.Rep1, v2.Rec.ID(), s2.Version(), ""); fieldCodes(err)["reason"] != "quote_reject_reason_required" {
		t.Fatalf("reject without a reason: %v", err)
	}
	r2, err := f.Q.Reject(ctx, f.Rep1, v2.Rec.ID(), s2.Version(), "预算削减，需再降价")
	if err != nil || r2.Str("status") != crm.QuoteRejected || r2.Str("rejected_reason") == "" || r2["decided_at"] == nil {
		t.Fatalf("reject: %v %v", r2, err)
	}
	v3, err := f.Q.Revise(ctx, f.Rep1, v2.Rec.ID(), 0)
	if err != nil || v3.Rec.Int("revision") != 3 || v3.Rec.Str("root_id") != q.Rec.ID() || v3.Rec.Str("number") != q.Rec.Str("number")+"-V3" {
		t.Fatalf("revision 3: %v %v", v3, err)
	}
	vs, err := f.Q.Versions(ctx, f.Rep1, v2.Rec.ID())
	if err != nil || len(vs) != 3 || vs[0].ID() != q.Rec.ID() || vs[2].ID() != v3.Rec.ID() {
		t.Fatalf("versions: %v %v", vs, err)
	}
	if vs[1].Str("status") != crm.QuoteSuperseded {
		t.Fatalf("v2 after v3: %s", vs[1].Str("status"))
	}
	// The rep's colleague in the same team sees none of them.
	if _, err := f.Q.Versions(ctx, f.Rep2, q.Rec.ID()); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("colleague's versions: %v", err)
	}
	// The manager sees all three.
	if vs, err := f.Q.Versions(ctx, f.Manager, v3.Rec.ID()); err != nil || len(vs) != 3 {
		t.Fatalf("manager's versions: %d %v", len(vs), err)
	}
}

func TestTransitionsRefused(t *testing.T) {
	f := newFx(t)
	q := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 1))
	id := q.Rec.ID()
	if _, err := f.Q.Accept(ctx, f.Rep1, id, 0); errs.CodeOf(err) != "quote_not_sent" || errs.KindOf(err) != errs.Unprocessable {
		t.Fatalf("accept a draft: %v", err)
	}
	if _, err := f.Q.Reject(ctx, f.Rep1, id, 0, "太贵"); errs.CodeOf(err) != "quote_not_sent" {
		t.Fatalf("reject a draft: %v", err)
	}
	if _, err := f.Q.Submit(ctx, f.Rep1, id, q.Rec.Version()+5, ""); errs.CodeOf(err) != "stale_version" {
		t.Fatalf("stale submit: %v", err)
	}
	// A quote without lines, or whose validity passed, is not submitted.
	empty := f.quote(t, f.Rep1)
	if _, err := f.Q.Submit(ctx, f.Rep1, empty.Rec.ID(), 0, ""); fieldCodes(err)["lines"] != "quote_no_lines" {
		t.Fatalf("submit without lines: %v", err)
	}
	past, err := f.Q.Update(ctx, f.Rep1, id, 0, quotes.Input{Quote: entity.Record{"valid_until": "2020-01-01"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Q.Submit(ctx, f.Rep1, id, past.Rec.Version(), ""); fieldCodes(err)["valid_until"] != "quote_valid_until_past" {
		t.Fatalf("submit past validity: %v", err)
	}
	if _, _, err := f.Q.Send(ctx, f.Rep1, id, 0); fieldCodes(err)["valid_until"] != "quote_valid_until_past" {
		t.Fatalf("send past validity: %v", err)
	}
	if _, err := f.Q.Update(ctx, f.Rep1, id, 0, quotes.Input{Quote: entity.Record{"valid_until": "2099-01-01"}}); err != nil {
		t.Fatal(err)
	}
	sent, _, err := f.Q.Send(ctx, f.Rep1, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Q.Send(ctx, f.Rep1, id, 0); errs.CodeOf(err) != "quote_not_sendable" {
		t.Fatalf("send twice: %v", err)
	}
	if _, err := f.Q.Submit(ctx, f.Rep1, id, 0, ""); errs.CodeOf(err) != "quote_not_submittable" {
		t.Fatalf("submit a sent quote: %v", err)
	}
	acc, err := f.Q.Accept(ctx, f.Rep1, id, sent.Version())
	if err != nil || acc.Str("status") != crm.QuoteAccepted || acc["decided_at"] == nil {
		t.Fatalf("accept: %v %v", acc, err)
	}
	for name, err := range map[string]error{
		"accept twice":         second(f.Q.Accept(ctx, f.Rep1, id, 0)),
		"reject after accept":  second(f.Q.Reject(ctx, f.Rep1, id, 0, "x")),
		"revise accepted":      second(f.Q.Revise(ctx, f.Rep1, id, 0)),
		"edit accepted":        second(f.Q.Update(ctx, f.Rep1, id, 0, quotes.Input{Quote: entity.Record{"title": "x"}})),
		"another rep accepts":  second(f.Q.Accept(ctx, f.Rep3, id, 0)),
		"presales rep accepts": second(f.Q.Accept(ctx, f.Presales, id, 0)),
	} {
		want := map[string]string{"accept twice": "quote_not_sent", "reject after accept": "quote_not_sent", "revise accepted": "quote_not_revisable",
			"edit accepted": "quote_locked", "another rep accepts": "not_found", "presales rep accepts": "not_found"}[name]
		if errs.CodeOf(err) != want {
			t.Errorf("%s: %v, want %s", name, err, want)
		}
	}
	// The timeline tells the story.
	var kinds []string
	rows, err := f.DB().R().QueryContext(ctx, `SELECT kind FROM timeline WHERE record_id = $1 ORDER BY at, id`, id)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		kinds = append(kinds, k)
	}
	rows.Close()
	if fmt.Sprint(kinds) != "[quote_created quote_approved_direct quote_sent quote_accepted]" {
		t.Fatalf("timeline %v", kinds)
	}
}

func second[T any](_ T, err error) error { return err }

func TestExpiryJob(t *testing.T) {
	f := newFx(t)
	mk := func(until string) entity.Record {
		q := f.quote(t, f.Rep1, line("product_id", f.Install.ID(), "quantity", 1))
		return q.Rec
	}
	sentQ, approvedQ, draftQ, acceptedQ := mk(""), mk(""), mk(""), mk("")
	if _, _, err := f.Q.Send(ctx, f.Rep1, sentQ.ID(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Q.Submit(ctx, f.Rep1, approvedQ.ID(), 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.Q.Send(ctx, f.Rep1, acceptedQ.ID(), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Q.Accept(ctx, f.Rep1, acceptedQ.ID(), 0); err != nil {
		t.Fatal(err)
	}
	until, _ := time.Parse(entity.DateLayout, sentQ.Str("valid_until"))
	loc := f.App.Loc
	// On its last day nothing expires.
	lastDay := time.Date(until.Year(), until.Month(), until.Day(), 23, 30, 0, 0, loc)
	if n, err := f.Q.ExpireDue(ctx, lastDay, 100); err != nil || n != 0 {
		t.Fatalf("last day: %d %v", n, err)
	}
	// The next day (company time zone) the offers out expire; the draft and the accepted one do not.
	next := time.Date(until.Year(), until.Month(), until.Day()+1, 0, 30, 0, 0, loc)
	n, err := f.Q.ExpireDue(ctx, next, 100)
	if err != nil || n != 2 {
		t.Fatalf("expired %d %v", n, err)
	}
	want := map[string]string{sentQ.ID(): crm.QuoteExpired, approvedQ.ID(): crm.QuoteExpired, draftQ.ID(): crm.QuoteDraft, acceptedQ.ID(): crm.QuoteAccepted}
	for id, st := range want {
		got, _ := f.Q.Get(ctx, f.Rep1, id)
		if got.Rec.Str("status") != st {
			t.Errorf("%s: %s, want %s", got.Rec.Str("number"), got.Rec.Str("status"), st)
		}
	}
	// Run again: nothing more. The owner was told, and the timeline says it.
	if n, _ := f.Q.ExpireDue(ctx, next, 100); n != 0 {
		t.Fatalf("second run expired %d", n)
	}
	var notes, events int
	_ = f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'quote_expired'`, f.Rep1.UserID).Scan(&notes)
	_ = f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM timeline WHERE kind = 'quote_expired'`).Scan(&events)
	if notes != 2 || events != 2 {
		t.Fatalf("notifications %d, events %d", notes, events)
	}
	// An expired quote is revised into a fresh draft.
	v2, err := f.Q.Revise(ctx, f.Rep1, sentQ.ID(), 0)
	if err != nil || v2.Rec.Str("status") != crm.QuoteDraft {
		t.Fatalf("revise expired: %v", err)
	}
}

// The opportunity's quote gate counts the quotes made for it.
func TestOpportunityQuoteGate(t *testing.T) {
	f := newFx(t)
	o, err := f.App.Records.Create(ctx, f.Rep1, "opportunity", entity.Record{"name": "华信 MES 一期", "customer_id": f.Customer.ID()})
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.Q.Create(ctx, f.Rep1, quotes.Input{Quote: entity.Record{"title": "报价", "opportunity_id": o.ID(), "valid_until": "2031-01-01"}})
	if err != nil {
		t.Fatal(err)
	}
	if q.Rec.Str("customer_id") != f.Customer.ID() {
		t.Fatalf("customer from the opportunity: %s", q.Rec.Str("customer_id"))
	}
	other := f.Fixture.Customer(t, f.Rep1, "上海远景贸易有限公司")
	_, err = f.Q.Create(ctx, f.Rep1, quotes.Input{Quote: entity.Record{"title": "报价", "opportunity_id": o.ID(), "customer_id": other.ID(), "valid_until": "2031-01-01"}})
	if fieldCodes(err)["customer_id"] != "customer_not_of_opportunity" {
		t.Fatalf("customer not the opportunity's: %v", err)
	}
	var n int
	if err := f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM quotes WHERE opportunity_id = $1 AND deleted_at IS NULL`, o.ID()).Scan(&n); err != nil || n != 1 {
		t.Fatalf("quotes on the opportunity: %d %v", n, err)
	}
	_ = store.Now
}

// Discounts beyond the rep's authority wait for approval (the shipped rules:
// above 5 % the manager, above 15 % the manager then an admin); the
// decision moves the quote on; a quote needing approval is not sent.
func TestApprovalOfDiscounts(t *testing.T) {
	f := newFx(t)
	apv := f.App.Approvals
	current := func(id string) *approvals.Approval {
		t.Helper()
		a, err := apv.Current(ctx, f.DB().R(), "quote", id)
		if err != nil || a == nil {
			t.Fatalf("current approval: %v %v", a, err)
		}
		return a
	}
	// Within 5 %: approved at once.
	small := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 1, "discount_bp", 500))
	if out, err := f.Q.Submit(ctx, f.Rep1, small.Rec.ID(), 0, ""); err != nil || out.Str("status") != crm.QuoteApproved {
		t.Fatalf("5 %%: %v %v", out, err)
	}
	// 8 %: the manager.
	mid := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 1, "discount_bp", 800))
	if _, _, err := f.Q.Send(ctx, f.Rep1, mid.Rec.ID(), 0); errs.CodeOf(err) != "quote_needs_approval" {
		t.Fatalf("send a draft needing approval: %v", err)
	}
	sub, err := f.Q.Submit(ctx, f.Rep1, mid.Rec.ID(), 0, "竞品报价低 6%")
	if err != nil || sub.Str("status") != crm.QuoteInApproval {
		t.Fatalf("8 %%: %v %v", sub, err)
	}
	if _, _, err := f.Q.Send(ctx, f.Rep1, mid.Rec.ID(), 0); errs.CodeOf(err) != "quote_needs_approval" {
		t.Fatalf("send in approval: %v", err)
	}
	a := current(mid.Rec.ID())
	if a.Facts["max_discount_bp"] != int64(800) || a.Facts["total"] != sub.Int("total") || a.Facts["customer_level"] != "A" || len(a.Steps) != 1 {
		t.Fatalf("approval: facts %v steps %d", a.Facts, len(a.Steps))
	}
	// The manager returns it: a draft again, the comment on the timeline.
	if _, err := apv.Return(ctx, f.Manager, a.ID, 0, "折扣请控制在 6% 以内"); err != nil {
		t.Fatal(err)
	}
	back, _ := f.Q.Get(ctx, f.Rep1, mid.Rec.ID())
	if back.Rec.Str("status") != crm.QuoteDraft {
		t.Fatalf("returned: %s", back.Rec.Str("status"))
	}
	var note string
	_ = f.DB().R().QueryRowContext(ctx, `SELECT data FROM timeline WHERE record_id = $1 AND kind = 'approval_returned'`, mid.Rec.ID()).Scan(&note)
	if !strings.Contains(note, "6% 以内") {
		t.Fatalf("returned without the comment on the timeline: %q", note)
	}
	// Changed, submitted again, approved: then it may be sent.
	up, err := f.Q.Update(ctx, f.Rep1, mid.Rec.ID(), 0, quotes.Input{SetLines: true, Lines: []entity.Record{line("id", back.Lines[0].ID(), "discount_bp", 600)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Q.Submit(ctx, f.Rep1, mid.Rec.ID(), up.Rec.Version(), ""); err != nil { // the reason kept from before
		t.Fatalf("resubmit: %v", err)
	}
	if _, err := apv.Approve(ctx, f.Manager, current(mid.Rec.ID()).ID, 0, "同意"); err != nil {
		t.Fatal(err)
	}
	ok, _ := f.Q.Get(ctx, f.Rep1, mid.Rec.ID())
	if ok.Rec.Str("status") != crm.QuoteApproved {
		t.Fatalf("approved: %s", ok.Rec.Str("status"))
	}
	if _, err := f.Q.Update(ctx, f.Rep1, mid.Rec.ID(), 0, quotes.Input{Quote: entity.Record{"title": "改"}}); errs.CodeOf(err) != "quote_locked" {
		t.Fatalf("change after approval: %v", err)
	}
	if out, _, err := f.Q.Send(ctx, f.Rep1, mid.Rec.ID(), 0); err != nil || out.Str("status") != crm.QuoteSent {
		t.Fatalf("send approved: %v", err)
	}
	// 20 %: the manager, then an admin; a rejection brings it back to draft.
	big := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 1, "discount_bp", 2000))
	if _, err := f.Q.Submit(ctx, f.Rep1, big.Rec.ID(), 0, "年度框架协议"); err != nil {
		t.Fatal(err)
	}
	if a := current(big.Rec.ID()); len(a.Steps) != 2 {
		t.Fatalf("20 %%: %d steps", len(a.Steps))
	}
	if _, err := apv.Approve(ctx, f.Manager, current(big.Rec.ID()).ID, 0, "同意，报管理员"); err != nil {
		t.Fatal(err)
	}
	if q, _ := f.Q.Get(ctx, f.Rep1, big.Rec.ID()); q.Rec.Str("status") != crm.QuoteInApproval {
		t.Fatalf("after the first step: %s", q.Rec.Str("status"))
	}
	if _, err := apv.Reject(ctx, f.Admin, current(big.Rec.ID()).ID, 0, "折扣过大"); err != nil {
		t.Fatal(err)
	}
	if q, _ := f.Q.Get(ctx, f.Rep1, big.Rec.ID()); q.Rec.Str("status") != crm.QuoteDraft {
		t.Fatalf("rejected: %s", q.Rec.Str("status"))
	}
	// A manager may give 10 % alone.
	mq, err := f.Q.Create(ctx, f.Manager, quotes.Input{Quote: entity.Record{"title": "经理报价", "customer_id": f.Customer.ID(), "valid_until": "2031-01-01"},
		Lines: []entity.Record{line("product_id", f.Server.ID(), "quantity", 1, "discount_bp", 1000)}, SetLines: true})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := f.Q.Submit(ctx, f.Manager, mq.Rec.ID(), 0, ""); err != nil || out.Str("status") != crm.QuoteApproved {
		t.Fatalf("manager's 10 %%: %v %v", out, err)
	}
	// A quote that expires while it waits: its approval is cancelled.
	wait := f.quote(t, f.Rep1, line("product_id", f.Server.ID(), "quantity", 1, "discount_bp", 900))
	if _, err := f.Q.Submit(ctx, f.Rep1, wait.Rec.ID(), 0, "急单"); err != nil {
		t.Fatal(err)
	}
	if n, err := f.Q.ExpireDue(ctx, time.Now().AddDate(0, 2, 0), 100); err != nil || n < 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	if a := current(wait.Rec.ID()); a.Status != crm.ApprovalCancelled {
		t.Fatalf("approval of an expired quote: %s", a.Status)
	}
}
