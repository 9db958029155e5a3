package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The SLA in a real browser: the panel on a breached and escalated
// ticket and on a paused one; the calendar's year with the Spring
// Festival make-up Saturday marked; a click on a day adds a correction
// (confirmed), which the audit log records.
func TestBrowserSLA(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	if _, err := f.App.DB.W().ExecContext(ctx, `UPDATE teams SET manager_id = $1 WHERE id = $2`, f.Manager.UserID, f.South); err != nil {
		t.Fatal(err)
	}
	late, err := f.App.Tickets.Create(ctx, f.Service, entity.Record{"subject": "产线停机，急需处理", "description": "PLC 报警后产线停机", "priority": crm.PriorityUrgent}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.SLA.Sweep(ctx, late.Time("first_response_due_at").Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	var esc any
	_ = f.App.DB.R().QueryRowContext(ctx, `SELECT sla_escalate_at FROM tickets WHERE id = $1`, late.ID()).Scan(&esc)
	if e, ok := esc.(time.Time); ok {
		if _, err := f.App.SLA.Sweep(ctx, e.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	waiting, err := f.App.Tickets.Create(ctx, f.Service, entity.Record{"subject": "打印模糊", "description": "打印件模糊", "priority": crm.PriorityNormal}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := f.App.DB.Schema().Entity("ticket")
	if err := f.App.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := f.App.DB.Get(ctx, tx, e, waiting.ID(), store.True, false)
		if err != nil {
			return err
		}
		_, err = f.App.Records.SetTx(records.AsProcess(ctx), tx, access.SystemPrincipal(), e, old, entity.Record{"status": crm.TicketWaitingCustomer})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var calID string
	if err := f.App.DB.R().QueryRowContext(ctx, `SELECT id FROM business_calendars WHERE code = $1`, crm.DefaultCalendarCode).Scan(&calID); err != nil {
		t.Fatal(err)
	}
	step, base := newBrowser(t, f)
	if err := signIn(step, base, "admin@example.com"); err != nil {
		t.Fatal(err)
	}
	shot := func(name string) {
		if png, err := chromedp.Run(step, chromedp.FullScreenshot(100)); err == nil && os.Getenv("SLA_SHOTS") != "" {
			_ = os.WriteFile(os.Getenv("SLA_SHOTS")+"/"+name, png, 0o644)
		}
	}
	text := func(url, sel string) string {
		t.Helper()
		if err := chromedp.Do(step, chromedp.Navigate(base+url), chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
			t.Fatal(err)
		}
		s, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	panel := text("/tickets/"+late.ID(), "#ticket-sla")
	shot("sla-ticket-breached.png")
	for _, want := range []string{"紧急工单", "Breached", "Escalated to level 1", "First response"} {
		if !strings.Contains(panel, want) {
			t.Errorf("breached panel lacks %q: %s", want, panel)
		}
	}
	panel = text("/tickets/"+waiting.ID(), "#ticket-sla")
	shot("sla-ticket-paused.png")
	if !strings.Contains(panel, "Paused") || !strings.Contains(panel, "普通工单") {
		t.Errorf("paused panel: %s", panel)
	}
	text("/calendars/"+calID+"?year=2026", "#calendar-year")
	shot("sla-calendar-2026.png")
	cls, err := chromedp.Run(step, chromedp.Evaluate[string](`document.querySelector('button[value="2026-02-14"]').className`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cls, "cal-makeup") || !strings.Contains(cls, "cal-work") {
		t.Errorf("2026-02-14 classes %q", cls)
	}
	if err := chromedp.Do(step, chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true }`),
		chromedp.Click(chromedp.CSS(`button[value="2026-12-30"]`)), chromedp.WaitVisible(chromedp.CSS(`button[value="2026-12-30"].cal-corrected`))); err != nil {
		t.Fatal(err)
	}
	shot("sla-calendar-corrected.png")
	var n int
	if err := f.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE entity = 'calendar_day' AND action = 'create'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("correction audited: %d %v", n, err)
	}
	if w, _ := f.App.SLA.Year(ctx, f.Admin, calID, 2026); w == nil || w.Corrections["2026-12-30"] == "" {
		t.Error("correction not stored")
	}
}
