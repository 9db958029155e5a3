package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/fulfilment"
)

// fulSetup makes a coordinator, two customers with an order each, and
// ships the first order's delivery.
type fulSetup struct {
	coord          *access.Principal
	cust, other    entity.Record
	order, order2  entity.Record
	delivery, dlv2 entity.Record
	product        entity.Record
}

func newFulSetup(t *testing.T, f *apptest.Fixture) *fulSetup {
	t.Helper()
	svc := f.App.Fulfilment
	s := &fulSetup{coord: f.AddUser(t, "孙协调", "sun@example.com", f.Company, access.RoleDelivery)}
	s.cust = f.Customer(t, f.Rep1, "合肥京东方光电科技有限公司")
	s.other = f.Customer(t, f.Rep3, "杭州另一家保密客户有限公司")
	var err error
	s.product, err = f.App.Records.Create(context.Background(), access.SystemPrincipal(), "product", entity.Record{"sku": "SEN-100", "name": "激光位移传感器", "spec": "LK-G5000",
		"unit": "台", "kind": "goods", "list_price": int64(100000), "stock_qty": int64(50)})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(cust entity.Record, qty int64) entity.Record {
		o, err := svc.CreateOrder(context.Background(), s.coord, fulfilment.OrderInput{Order: entity.Record{"customer_id": cust.ID()},
			Lines: []entity.Record{{"product_id": s.product.ID(), "quantity": qty, "unit_price": int64(987654)}}})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	s.order, s.order2 = mk(s.cust, 5), mk(s.other, 3)
	ship := func(o entity.Record, batch string) entity.Record {
		_, ls, _ := svc.Order(context.Background(), s.coord, o.ID())
		d, err := svc.CreateDelivery(context.Background(), s.coord, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": o.ID(), "carrier": "顺丰速运"},
			Lines: []entity.Record{{"order_line_id": ls[0].ID(), "quantity": ls[0].Int("quantity"), "batch_no": batch}}})
		if err != nil {
			t.Fatal(err)
		}
		if d, err = svc.Track(context.Background(), s.coord, d.ID(), fulfilment.TrackInput{Status: crm.DeliveryShipped}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	s.delivery, s.dlv2 = ship(s.order, "B2612-07"), ship(s.order2, "SECRETBATCH9")
	return s
}

var linkRE = regexp.MustCompile(`/s/([A-Za-z0-9_-]{43})`)

// makeLink asks for the sign-off link through the delivery page and reads
// it off the page (shown once).
func makeLink(t *testing.T, b *browser, deliveryID string) string {
	t.Helper()
	r := b.post("/deliveries/"+deliveryID+"/sign-off-link", url.Values{})
	if r.status != http.StatusOK {
		t.Fatalf("sign-off link: %d\n%s", r.status, snippet(r.body))
	}
	m := linkRE.FindStringSubmatch(r.body)
	if m == nil || r.hdr.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("no link on the page (%s)\n%s", r.hdr.Get("Referrer-Policy"), snippet(r.body))
	}
	return m[1]
}

func TestSignOffPage(t *testing.T) {
	e := newEnv(t)
	s := newFulSetup(t, e.Fixture)
	coord := e.as(t, s.coord)
	page := coord.mustGet("/deliveries/" + s.delivery.ID())
	if !strings.Contains(page.body, "生成签收链接") || !strings.Contains(page.body, "B2612-07") || !strings.Contains(page.body, "物流跟踪") {
		t.Fatalf("delivery page:\n%s", snippet(page.body))
	}
	if pdf := coord.get("/api/v1/deliveries/" + s.delivery.ID() + "/pdf"); pdf.status != http.StatusOK || pdf.hdr.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(pdf.body, "%PDF-") || !strings.Contains(page.body, "/api/v1/deliveries/"+s.delivery.ID()+"/pdf") {
		t.Errorf("delivery note from the page: %d %s", pdf.status, pdf.hdr.Get("Content-Type"))
	}
	if op := coord.mustGet("/orders/" + s.order.ID()); !strings.Contains(op.body, "9,876.54") || !strings.Contains(op.body, "49,382.70") {
		t.Fatal("prices not shown as the leak check below expects them") // so the check can fail
	}
	token := makeLink(t, coord, s.delivery.ID())
	public := e.browser(t) // no session

	// The page shows the delivery and nothing else.
	r := public.get("/s/" + token)
	if r.status != http.StatusOK {
		t.Fatalf("public page: %d\n%s", r.status, snippet(r.body))
	}
	body := text(r.body)
	for _, want := range []string{"收货签收", s.delivery.Str("number"), "合肥京东方光电科技有限公司", "激光位移传感器", "LK-G5000", "B2612-07", "确认签收", "English"} {
		if !strings.Contains(body, want) {
			t.Errorf("public page lacks %q", want)
		}
	}
	for _, leak := range []string{"9,876.54", "987654", "49,382.70", "4938270", s.order.Str("number"), s.order.ID(), s.dlv2.Str("number"), "杭州另一家保密客户", "SECRETBATCH9",
		"孙协调", "张伟", `class="nav"`, "/customers/", "/orders/", "logout", "global-q"} {
		if strings.Contains(r.body, leak) {
			t.Errorf("public page reveals %q", leak)
		}
	}
	if r.hdr.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(r.hdr.Get("X-Robots-Tag"), "noindex") || r.hdr.Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", r.hdr)
	}
	if en := public.get("/s/" + token + "?lang=en"); !strings.Contains(text(en.body), "Confirm receipt") {
		t.Error("no English page")
	}
	public.get("/s/" + token + "?lang=zh-CN")

	// Wrong tokens: one 404 page revealing nothing.
	near := apptest.NearMiss(token)
	var first string
	for i, bad := range []string{near, strings.Repeat("x", 43), "short"} {
		r := public.get("/s/" + bad)
		if r.status != http.StatusNotFound || strings.Contains(r.body, s.delivery.Str("number")) || strings.Contains(r.body, "合肥京东方") {
			t.Errorf("wrong token %q: %d", bad, r.status)
		}
		if i == 0 {
			first = text(r.body)
		} else if text(r.body) != first {
			t.Errorf("wrong tokens answered differently:\n%s\n---\n%s", first, text(r.body))
		}
	}

	// Cross-site posts are refused; same-origin posts without a session pass.
	_, lines, _, _ := e.App.Fulfilment.Delivery(ctx(), s.coord, s.delivery.ID())
	form := url.Values{"recv_" + lines[0].ID(): {"4"}, "issue_" + lines[0].ID(): {"none"}, "remark_" + lines[0].ID(): {"少一台"}, "remarks": {"外箱完好"}, "phone": {"13800001234"}}
	public.hdr.Set("Sec-Fetch-Site", "cross-site")
	if r := public.post("/s/"+token, form); r.status != http.StatusForbidden {
		t.Errorf("cross-site post: %d", r.status)
	}
	public.hdr.Del("Sec-Fetch-Site")
	public.hdr.Set("Origin", "https://evil.example")
	if r := public.post("/s/"+token, form); r.status != http.StatusForbidden {
		t.Errorf("foreign origin post: %d", r.status)
	}
	public.hdr.Set("Origin", e.srv.URL)
	public.hdr.Set("Sec-Fetch-Site", "same-origin")
	// Without the receiver's name: the form again, input kept, the problem said.
	r = public.post("/s/"+token, form)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "签收人姓名为必填项") || !strings.Contains(r.body, `value="4"`) || !strings.Contains(r.body, "少一台") {
		t.Fatalf("no name: %d\n%s", r.status, snippet(r.body))
	}
	form.Set("name", "王仓管")
	r = public.post("/s/"+token, form)
	if r.status != http.StatusOK || !strings.Contains(text(r.body), "签收成功") || strings.Contains(r.body, `name="recv_`) {
		t.Fatalf("sign: %d\n%s", r.status, snippet(r.body))
	}
	d, _, _, _ := e.App.Fulfilment.Delivery(ctx(), s.coord, s.delivery.ID())
	if d.Str("status") != crm.DeliverySignedWithIssues || d.Str("signer_name") != "王仓管" || d.Str("signed_ip") != "127.0.0.1" {
		t.Errorf("delivery after sign-off: %v", d)
	}
	var problems int
	_ = e.App.DB.R().QueryRowContext(ctx(), `SELECT count(*) FROM supply_problems WHERE delivery_id = $1 AND kind = $2`, d.ID(), crm.ProblemShortQuantity).Scan(&problems)
	if problems != 1 {
		t.Errorf("%d short-quantity problems", problems)
	}
	// Afterwards: the signed result read-only; a second submit is told so.
	r = public.get("/s/" + token)
	if r.status != http.StatusOK || strings.Contains(r.body, `name="recv_`) || !strings.Contains(text(r.body), "王仓管") || !strings.Contains(text(r.body), "已签收（有异议）") {
		t.Errorf("signed page: %d\n%s", r.status, snippet(r.body))
	}
	r = public.post("/s/"+token, form)
	if r.status != http.StatusConflict || !strings.Contains(text(r.body), "已经签收，不能重复提交") {
		t.Errorf("second submit: %d\n%s", r.status, snippet(r.body))
	}
	// The coordinator sees the result on the delivery page.
	if p := coord.mustGet("/deliveries/" + d.ID()); !strings.Contains(p.body, "王仓管") || !strings.Contains(p.body, "127.0.0.1") || strings.Contains(p.body, "生成签收链接") {
		t.Error("delivery page after sign-off")
	}

	// Expired.
	token2 := makeLink(t, coord, s.dlv2.ID())
	e.App.Fulfilment.SetClock(func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	r = public.get("/s/" + token2)
	if r.status != http.StatusGone || !strings.Contains(text(r.body), "链接已过期") || strings.Contains(r.body, `name="recv_`) {
		t.Errorf("expired: %d\n%s", r.status, snippet(r.body))
	}
	_, l2, _, _ := e.App.Fulfilment.Delivery(ctx(), s.coord, s.dlv2.ID())
	if r := public.post("/s/"+token2, url.Values{"recv_" + l2[0].ID(): {"3"}, "name": {"x"}}); r.status != http.StatusGone {
		t.Errorf("post on expired: %d", r.status)
	}
	e.App.Fulfilment.SetClock(time.Now)
}

// Guessing tokens is slowed down per address: after a few wrong ones the
// address waits, whatever token it tries.
func TestSignOffPageThrottled(t *testing.T) {
	e := newEnv(t)
	s := newFulSetup(t, e.Fixture)
	token := makeLink(t, e.as(t, s.coord), s.delivery.ID())
	public := e.browser(t)
	blocked := false
	for i := 0; i < 8 && !blocked; i++ {
		r := public.get("/s/" + strings.Repeat(string(rune('a'+i)), 43))
		blocked = r.status == http.StatusTooManyRequests
	}
	if !blocked {
		t.Fatal("eight wrong tokens and never slowed down")
	}
	if r := public.get("/s/" + token); r.status != http.StatusTooManyRequests || r.hdr.Get("Retry-After") == "" {
		t.Errorf("a blocked address with a good token: %d", r.status)
	}
}

func TestOrderPagesAndProcesses(t *testing.T) {
	e := newEnv(t)
	s := newFulSetup(t, e.Fixture)
	coord := e.as(t, s.coord)
	o, err := e.App.Fulfilment.CreateOrder(ctx(), s.coord, fulfilment.OrderInput{Order: entity.Record{"customer_id": s.cust.ID()},
		Lines: []entity.Record{{"product_id": s.product.ID(), "quantity": int64(60), "unit_price": int64(1000)}}})
	if err != nil {
		t.Fatal(err)
	}
	page := coord.mustGet("/orders/" + o.ID())
	for _, want := range []string{"预留库存", "安排发货", "取消订单", "可用库存", "激光位移传感器"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("order page lacks %q", want)
		}
	}
	r := coord.post("/orders/"+o.ID()+"/reserve", url.Values{})
	if r.status != http.StatusSeeOther || !strings.Contains(coord.follow(r).body, "库存不足尚缺") {
		t.Errorf("reserve 60 of 42: %d", r.status)
	}
	// Planning more than remains: the dialog again with the problem at the line.
	_, ls, _ := e.App.Fulfilment.Order(ctx(), s.coord, o.ID())
	r = coord.post("/orders/"+o.ID()+"/deliveries", url.Values{"qty_" + ls[0].ID(): {"61"}, "carrier": {"顺丰速运"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "发货数量超出订单未发数量（还可发 60）") || !strings.Contains(r.body, "data-autoshow") {
		t.Fatalf("plan 61: %d\n%s", r.status, snippet(r.body))
	}
	r = coord.post("/orders/"+o.ID()+"/deliveries", url.Values{"qty_" + ls[0].ID(): {"20"}, "batch_" + ls[0].ID(): {"B9"}, "prod_" + ls[0].ID(): {"2026/11/20"}, "carrier": {"顺丰速运"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/deliveries/") {
		t.Fatalf("plan 20: %d\n%s", r.status, snippet(r.body))
	}
	did := strings.TrimPrefix(r.loc, "/deliveries/")
	// Ship through the tracking form.
	r = coord.post("/deliveries/"+did+"/track", url.Values{"status": {crm.DeliveryShipped}, "note": {"仓库发出"}})
	if r.status != http.StatusSeeOther || !strings.Contains(coord.follow(r).body, "已发货") {
		t.Errorf("ship: %d", r.status)
	}
	r = coord.post("/deliveries/"+did+"/track", url.Values{"status": {crm.DeliveryInTransit}, "at": {"2999-01-01T10:00"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "不能晚于现在") {
		t.Errorf("tracking in the future: %d", r.status)
	}
	// The rep of the customer reads the order, with no buttons.
	rep := e.as(t, e.Rep1).mustGet("/orders/" + o.ID())
	if strings.Contains(rep.body, "预留库存") || strings.Contains(rep.body, "安排发货") || !strings.Contains(rep.body, "激光位移传感器") {
		t.Error("rep's view of the order")
	}
	if r := e.as(t, e.Rep3).get("/orders/" + o.ID()); r.status != http.StatusNotFound {
		t.Errorf("other rep: %d", r.status)
	}
	// The customer's page lists the orders and deliveries.
	cp := e.as(t, e.Rep1).mustGet("/customers/" + s.cust.ID())
	if !strings.Contains(cp.body, o.Str("number")) || !strings.Contains(cp.body, s.delivery.Str("number")) {
		t.Error("customer page without its orders and deliveries")
	}
	// A supply problem resolved through its dialog: the resolution is required.
	sp, err := e.App.Records.Create(ctx(), s.coord, "supply_problem", entity.Record{"title": "读数漂移", "kind": crm.ProblemQuality, "order_id": o.ID()})
	if err != nil {
		t.Fatal(err)
	}
	r = coord.post("/supply-problems/"+sp.ID()+"/step", url.Values{"step": {"resolve"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "请填写处理措施") {
		t.Errorf("resolve without resolution: %d\n%s", r.status, snippet(r.body))
	}
	r = coord.post("/supply-problems/"+sp.ID()+"/step", url.Values{"step": {"resolve"}, "resolution": {"现场重新标定"}, "root_cause": {"customer_application"}})
	if r.status != http.StatusSeeOther || !strings.Contains(coord.follow(r).body, "现场重新标定") {
		t.Errorf("resolve: %d", r.status)
	}
}

// The receiver signs on a phone-sized screen in Chromium: the page fits
// 390 px without sideways scrolling, the quantities are typed, and the
// confirmation shows.
func TestBrowserSignOffOnPhone(t *testing.T) {
	f := apptest.NewFixture(t)
	s := newFulSetup(t, f)
	l, err := f.App.Fulfilment.SignOffLink(context.Background(), s.coord, s.delivery.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, lines, _, _ := f.App.Fulfilment.Delivery(context.Background(), s.coord, s.delivery.ID())
	step, base := newBrowser(t, f)
	recv := `#recv-` + lines[0].ID()
	err = chromedp.Do(step,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+l.Path),
		chromedp.WaitVisible(chromedp.CSS(recv)),
	)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	wide, err := chromedp.Run(step, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || wide {
		t.Errorf("page wider than the phone: %v %v", wide, err)
	}
	if _, err := chromedp.Run(step, chromedp.Evaluate[bool](`(window.confirm = function () { return true; }, true)`)); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(step,
		chromedp.SetValue(chromedp.CSS(recv), "5"),
		chromedp.SendKeys(chromedp.CSS(`#pub-name`), "王仓管"),
		chromedp.Click(chromedp.CSS(`.pub-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.pub-result`)),
	)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	res, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`.pub-result`)))
	if !strings.Contains(res, "王仓管") {
		t.Errorf("result %q", res)
	}
	if png, err := chromedp.Run(step, chromedp.FullScreenshot(100)); err == nil && len(png) > 0 {
		t.Logf("screenshot %d bytes", len(png))
	}
	d, _, _, _ := f.App.Fulfilment.Delivery(context.Background(), s.coord, s.delivery.ID())
	if d.Str("status") != crm.DeliverySigned {
		t.Errorf("status %s", d.Str("status"))
	}
}
