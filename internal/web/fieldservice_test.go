package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/fieldservice"
)

// The engineer's day in a real browser at phone width: a visit checked
// in with its van stocked; the engineer adds a part used, checks out with
// the work done, makes the confirmation link and the customer confirms
// on the page it opens (no login); the visit then shows the confirmation.
func TestBrowserFieldEngineerDay(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	sys := access.SystemPrincipal()
	eng := f.AddUser(t, "周工", "zhou.eng@example.com", f.South, access.RoleFieldEngineer)
	if _, err := f.App.Records.Create(ctx, sys, "service_agent", entity.Record{"user_id": eng.UserID, "team_id": f.South, "field_engineer": true}); err != nil {
		t.Fatal(err)
	}
	van, err := f.App.Records.Create(ctx, sys, "warehouse", entity.Record{"code": "VAN-1", "name": "周工随车库", "kind": "van", "keeper_id": eng.UserID})
	if err != nil {
		t.Fatal(err)
	}
	part, err := f.App.Records.Create(ctx, sys, "spare_part", entity.Record{"sku": "SP-FLT", "name": "滤芯", "unit": "个"})
	if err != nil {
		t.Fatal(err)
	}
	fs := f.App.FieldService
	if _, err := fs.Move(ctx, f.Admin, entity.Record{"kind": crm.MoveIn, "part_id": part.ID(), "warehouse_id": van.ID(), "quantity": int64(3)}); err != nil {
		t.Fatal(err)
	}
	cust := f.Customer(t, f.Rep1, "合肥京东方光电科技有限公司")
	start := time.Now().Add(-time.Hour)
	v, err := fs.CreateVisit(ctx, f.Admin, entity.Record{"customer_id": cust.ID(), "subject": "主轴异响<script>x()</script>", "appointment_start": start, "appointment_end": start.Add(2 * time.Hour)}, eng.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.StepVisit(ctx, eng, v.ID(), fieldservice.VisitStepInput{Step: crm.VisitStepCheckIn}); err != nil {
		t.Fatal(err)
	}
	step, base := newBrowser(t, f)
	if err := chromedp.Do(step, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	if err := signIn(step, base, eng.Email); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	card := `#v-` + v.ID()
	err = chromedp.Do(step,
		chromedp.Navigate(base+"/visits/today"),
		chromedp.WaitVisible(chromedp.CSS(card)),
		chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`),
		chromedp.Click(chromedp.CSS(card+` details.fs-more:nth-of-type(2) summary`)),
	)
	if err != nil {
		t.Fatalf("the day: %v", err)
	}
	// Add a part: the form under 登记使用备件.
	err = chromedp.Do(step,
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('`+card+` details.fs-more').forEach(function (d) { d.open = true; })`),
		chromedp.SetValue(chromedp.CSS(card+` input[name=quantity]`), "2"),
		chromedp.Click(chromedp.CSS(card+` form[action$="/parts"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash, .alert`)),
	)
	if err != nil {
		t.Fatalf("add part: %v", err)
	}
	if n, _ := fs.Stock(ctx, part.ID(), van.ID()); n != 1 {
		t.Fatalf("van stock after the part: %d", n)
	}
	err = chromedp.Do(step,
		chromedp.Navigate(base+"/visits/today"),
		chromedp.WaitVisible(chromedp.CSS(card)),
		chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`),
		chromedp.SendKeys(chromedp.CSS(card+` textarea[name=work_done]`), "更换滤芯，试运行正常"),
		chromedp.Click(chromedp.CSS(card+` form[action*="step=check_out"] button`)),
		chromedp.WaitVisible(chromedp.CSS(card+` form[action$="/confirmation-link"]`)),
		chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`),
		chromedp.Click(chromedp.CSS(card+` form[action$="/confirmation-link"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#confirm-link a`)),
	)
	if err != nil {
		t.Fatalf("check out and link: %v", err)
	}
	link, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`#confirm-link a`)))
	if err != nil || !strings.Contains(link, "/v/") {
		t.Fatalf("link %q %v", link, err)
	}
	// The customer confirms on the page the link opens.
	err = chromedp.Do(step,
		chromedp.Navigate(strings.TrimSpace(link)),
		chromedp.WaitVisible(chromedp.CSS(`#pub-name`)),
	)
	if err != nil {
		t.Fatalf("open link: %v", err)
	}
	body, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(body, "滤芯") || !strings.Contains(body, "更换滤芯，试运行正常") || !strings.Contains(body, "<script>") {
		t.Fatalf("public page: %s", body)
	}
	err = chromedp.Do(step,
		chromedp.SendKeys(chromedp.CSS(`#pub-name`), "王主任"),
		chromedp.SendKeys(chromedp.CSS(`#pub-remarks`), "满意"),
		chromedp.Click(chromedp.CSS(`form.pub-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.pub-result`)),
	)
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	got, err := fs.Visit(ctx, f.Admin, v.ID())
	if err != nil || got.Str("status") != crm.VisitConfirmed || got.Str("confirmer_name") != "王主任" {
		t.Fatalf("visit after confirmation: %v %v", got, err)
	}
}

// A dispatcher plans a visit from a ticket with the engineer picker; a
// wrong time is refused with the form kept.
func TestBrowserPlanVisit(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	sys := access.SystemPrincipal()
	eng := f.AddUser(t, "周工", "zhou.eng@example.com", f.South, access.RoleFieldEngineer)
	if _, err := f.App.Records.Create(ctx, sys, "service_agent", entity.Record{"user_id": eng.UserID, "team_id": f.South, "field_engineer": true}); err != nil {
		t.Fatal(err)
	}
	cust := f.Customer(t, f.Rep1, "合肥京东方光电科技有限公司")
	tk, err := f.App.Tickets.Create(ctx, f.Admin, entity.Record{"subject": "设备异响", "customer_id": cust.ID(), "description": "主轴异响"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	step, base := newBrowser(t, f)
	if err := signIn(step, base, f.Admin.Email); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(step,
		chromedp.Navigate(base+"/tickets/"+tk.ID()),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-field a.btn`)),
		chromedp.Click(chromedp.CSS(`#ticket-field a.btn`)),
		chromedp.WaitVisible(chromedp.CSS(`#pv-engineer`)),
		chromedp.SetValue(chromedp.CSS(`#pv-end`), "2020-01-01T08:00"),
		chromedp.Click(chromedp.CSS(`form[action="/visits/plan"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-error`)),
	)
	if err != nil {
		t.Fatalf("refused plan: %v", err)
	}
	err = chromedp.Do(step,
		chromedp.SetValue(chromedp.CSS(`#pv-end`), time.Now().In(f.App.Loc).AddDate(0, 0, 2).Format("2006-01-02T15:04")),
		chromedp.Click(chromedp.CSS(`form[action="/visits/plan"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#visit-work`)),
	)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	// The form proposes tomorrow on the company's calendar, not the machine's.
	mine, err := f.App.FieldService.MyVisits(ctx, eng, time.Now().In(f.App.Loc).AddDate(0, 0, 1).Format("2006-01-02"))
	if err != nil || len(mine) != 1 || mine[0].Str("ticket_id") != tk.ID() || mine[0].Str("customer_id") != cust.ID() {
		t.Fatalf("planned visit: %v %v", mine, err)
	}
}
