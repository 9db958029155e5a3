package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"closeloop/internal/entity"
)

// quoteEnv has a customer of Rep1 and two products.
func quoteEnv(t *testing.T) (*env, entity.Record, entity.Record, entity.Record) {
	t.Helper()
	e := newEnv(t)
	cust := e.Customer(t, e.Rep1, "无锡先导智能装备股份有限公司", "level", "A")
	mk := func(sku, name, unit string, price int64) entity.Record {
		p, err := e.App.Records.Create(ctx(), e.Admin, "product", entity.Record{"sku": sku, "name": name, "unit": unit, "list_price": price, "tax_rate_bp": int64(1300)})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	return e, cust, mk("HW-AGV-01", "潜伏式 AGV 搬运机器人", "台", 12_800_000), mk("MT-LUB-2", "导轨润滑脂", "kg", 6_500)
}

// A refused quote form says what is wrong in Chinese at the line it is
// about, and keeps everything typed.
func TestQuoteEditorBadInputKeepsEverything(t *testing.T) {
	e, cust, agv, grease := quoteEnv(t)
	b := e.as(t, e.Rep1)
	page := b.mustGet("/quotes/compose?customer_id=" + cust.ID())
	if !strings.Contains(page.body, `name="line_qty"`) || !strings.Contains(page.body, "添加明细行") {
		t.Fatalf("editor:\n%s", snippet(page.body))
	}
	form := url.Values{
		"title": {"锂电产线物流改造"}, "customer_id": {cust.ID()}, "valid_until": {"2031-06-30"}, "currency": {"CNY"},
		"payment_terms": {"预付 30%，验收后付清"}, "op": {"save"},
		"line_id": {"", ""}, "line_filled": {"", ""}, "line_product": {agv.ID(), grease.ID()}, "line_product_title": {"潜伏式 AGV 搬运机器人", "导轨润滑脂"},
		"line_name": {"", ""}, "line_spec": {"", ""}, "line_unit": {"", ""},
		"line_qty": {"6", "250"}, "line_price": {"", ""}, "line_discount": {"120", "3.5"}, "line_tax": {"", ""},
	}
	r := b.post("/quotes/compose", form)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d\n%s", r.status, snippet(r.body))
	}
	body := text(r.body)
	for _, want := range []string{"第 1 行折扣（%）须在 0 到 100 之间（填写的是 120）", "无法保存"} {
		if !strings.Contains(body, want) {
			t.Errorf("message %q missing:\n%s", want, snippet(r.body))
		}
	}
	for _, want := range []string{`value="锂电产线物流改造"`, `value="2031-06-30"`, `预付 30%，验收后付清`, `value="120"`, `value="3.5"`, `value="250"`, `value="6"`,
		`value="` + agv.ID() + `"`, `value="潜伏式 AGV 搬运机器人"`, `aria-invalid="true"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("lost %q", want)
		}
	}
	var n int
	_ = e.DB().R().QueryRowContext(ctx(), `SELECT count(*) FROM quotes`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d quotes saved from a refused form", n)
	}
	// Corrected, it saves with the catalogue's names and prices and the server's totals.
	form.Set("line_discount", "12")
	form["line_discount"] = []string{"12", "3.5"}
	r = b.post("/quotes/compose", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/quotes/") {
		t.Fatalf("save: %d\n%s", r.status, snippet(r.body))
	}
	page = b.follow(r)
	// 6 × 128000.00 × 0.88 = 675840.00 + 13 % = 763699.20; 250 × 65.00 × 0.965 = 15681.25 + 2038.5625 → 2038.56 = 17719.81
	for _, want := range []string{"已创建", "潜伏式 AGV 搬运机器人", "¥781,419.01", "柒拾捌万壹仟肆佰壹拾玖元零壹分", "草稿"} {
		if !strings.Contains(text(page.body), want) {
			t.Errorf("quote page lacks %q", want)
		}
	}
}

// The editor's live recomputation: amounts come back out of band (nothing
// typed is replaced); choosing a product fills its row.
func TestQuotePreview(t *testing.T) {
	e, cust, agv, _ := quoteEnv(t)
	b := e.as(t, e.Rep1)
	b.hdr.Set("HX-Request", "true")
	form := url.Values{"customer_id": {cust.ID()}, "currency": {"CNY"}, "line_id": {""}, "line_filled": {""}, "line_product": {agv.ID()},
		"line_product_title": {""}, "line_name": {""}, "line_spec": {""}, "line_unit": {""}, "line_qty": {"2"}, "line_price": {""}, "line_discount": {"5"}, "line_tax": {""}}
	r := b.post("/quotes/preview", form)
	if r.status != 200 || !strings.Contains(r.body, `id="quote-lines"`) || !strings.Contains(r.body, `value="潜伏式 AGV 搬运机器人"`) || !strings.Contains(r.body, `value="128000.00"`) {
		t.Fatalf("table: %d\n%s", r.status, r.body)
	}
	// 2 × 128000.00 × 0.95 = 243200.00 + 31616.00 = 274816.00
	if !strings.Contains(r.body, "¥274,816.00") {
		t.Errorf("no total in the table:\n%s", r.body)
	}
	// A row that cannot be read shows no amount and is not counted.
	form.Set("line_discount", "120")
	r = b.post("/quotes/preview?mode=amounts", form)
	if !strings.Contains(r.body, `<span id="ql-total-1" class="ql-total" hx-swap-oob="true"></span>`) || !strings.Contains(text(r.body), "须在 0 到 100 之间") ||
		strings.Contains(r.body, "¥274,816.00") {
		t.Errorf("a bad row counted:\n%s", r.body)
	}
	form.Set("line_discount", "5")
	form.Set("line_qty", "abc")
	r = b.post("/quotes/preview?mode=amounts", form)
	if r.status != 200 || !strings.Contains(r.body, `hx-swap-oob="true"`) || strings.Contains(r.body, `name="line_qty"`) || !strings.Contains(text(r.body), "第 1 行数量必须是整数") {
		t.Fatalf("amounts: %d\n%s", r.status, r.body)
	}
}

// The quote's page: its steps, each confirmed, and the opportunity and
// customer pages list it.
func TestQuotePageSteps(t *testing.T) {
	e, cust, agv, _ := quoteEnv(t)
	b := e.as(t, e.Rep1)
	opp, err := e.App.Records.Create(ctx(), e.Rep1, "opportunity", entity.Record{"name": "先导 AGV 项目", "customer_id": cust.ID()})
	if err != nil {
		t.Fatal(err)
	}
	op := b.mustGet("/opportunities/" + opp.ID())
	if !strings.Contains(op.body, "/quotes/compose?opportunity_id="+opp.ID()) {
		t.Fatalf("no new quote on the opportunity")
	}
	compose := b.mustGet("/quotes/compose?opportunity_id=" + opp.ID())
	if !strings.Contains(compose.body, `value="先导 AGV 项目"`) || !strings.Contains(compose.body, `value="`+cust.ID()+`"`) {
		t.Fatalf("not prefilled from the opportunity:\n%s", snippet(compose.body))
	}
	r := b.post("/quotes/compose", url.Values{"title": {"AGV 报价"}, "opportunity_id": {opp.ID()}, "valid_until": {"2031-06-30"}, "currency": {"CNY"}, "op": {"save"},
		"line_id": {""}, "line_filled": {""}, "line_product": {agv.ID()}, "line_product_title": {""}, "line_name": {""}, "line_spec": {""}, "line_unit": {""},
		"line_qty": {"1"}, "line_price": {""}, "line_discount": {"0"}, "line_tax": {""}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.status, snippet(r.body))
	}
	qp := b.follow(r)
	id := strings.TrimPrefix(r.loc, "/quotes/")
	for _, want := range []string{`action="/quotes/` + id + `/send"`, `data-confirm=`, `/quotes/` + id + `/pdf`, `/quotes/` + id + `/editor`, "提交"} {
		if !strings.Contains(qp.body, want) {
			t.Errorf("quote page lacks %q", want)
		}
	}
	q, _ := e.App.Quotes.Get(ctx(), e.Rep1, id)
	r = b.post("/quotes/"+id+"/send", url.Values{"version": {"1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("send: %d", r.status)
	}
	sent := b.follow(r)
	if !strings.Contains(sent.body, "已标记为已发送") || strings.Contains(sent.body, `/quotes/`+id+`/editor"`) || !strings.Contains(sent.body, "客户拒绝") {
		t.Errorf("after sending:\n%s", snippet(sent.body))
	}
	// A reject without a reason reopens its dialog with the message.
	q, _ = e.App.Quotes.Get(ctx(), e.Rep1, id)
	r = b.post("/quotes/"+id+"/reject", url.Values{"version": {strconv.FormatInt(q.Rec.Version(), 10)}, "reason": {""}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "请填写客户拒绝的原因") || !strings.Contains(r.body, "data-autoshow") {
		t.Errorf("reject without reason: %d\n%s", r.status, snippet(r.body))
	}
	// Stale: someone else moved it.
	r = b.post("/quotes/"+id+"/accept", url.Values{"version": {"1"}})
	if page := b.follow(r); !strings.Contains(page.body, "alert") {
		t.Errorf("stale accept not said")
	}
	// Opportunity and customer pages list the quote; the opportunity shows what happened.
	op = b.mustGet("/opportunities/" + opp.ID())
	for _, want := range []string{q.Rec.Str("number"), "报价动态", "已发送给客户"} {
		if !strings.Contains(text(op.body), want) {
			t.Errorf("opportunity lacks %q", want)
		}
	}
	if cp := b.mustGet("/customers/" + cust.ID()); !strings.Contains(cp.body, q.Rec.Str("number")) {
		t.Errorf("customer page lacks the quote")
	}
	// Another rep gets a 404 for the page, the editor and the PDF.
	other := e.as(t, e.Rep3)
	for _, p := range []string{"/quotes/" + id, "/quotes/" + id + "/editor", "/quotes/" + id + "/pdf"} {
		if r := other.get(p); r.status != http.StatusNotFound {
			t.Errorf("other rep %s: %d", p, r.status)
		}
	}
}

// A price list's page lists its products and adds one.
func TestPriceListItems(t *testing.T) {
	e, _, agv, _ := quoteEnv(t)
	pl, err := e.App.Records.Create(ctx(), e.Admin, "price_list", entity.Record{"name": "A 类客户价", "code": "LV-A", "customer_level": "A"})
	if err != nil {
		t.Fatal(err)
	}
	b := e.as(t, e.Admin)
	if page := b.mustGet("/price-lists/" + pl.ID()); !strings.Contains(page.body, "添加产品") || !strings.Contains(page.body, "价格表中还没有产品") {
		t.Fatalf("price list page:\n%s", snippet(page.body))
	}
	r := b.post("/price-lists/"+pl.ID()+"/items", url.Values{"product_id": {agv.ID()}, "unit_price": {"abc"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "data-autoshow") {
		t.Fatalf("bad price: %d\n%s", r.status, snippet(r.body))
	}
	r = b.post("/price-lists/"+pl.ID()+"/items", url.Values{"product_id": {agv.ID()}, "unit_price": {"120000"}, "min_qty": {"2"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add: %d\n%s", r.status, snippet(r.body))
	}
	page := b.follow(r)
	for _, want := range []string{"潜伏式 AGV 搬运机器人", "¥120,000.00", "标准价 ¥128,000.00", "HW-AGV-01"} {
		if !strings.Contains(text(page.body), want) {
			t.Errorf("price list lacks %q", want)
		}
	}
	// A rep reads it but cannot add.
	if page := e.as(t, e.Rep1).mustGet("/price-lists/" + pl.ID()); strings.Contains(page.body, "dlg-pl-add") {
		t.Error("rep offered to add a product")
	}
}
