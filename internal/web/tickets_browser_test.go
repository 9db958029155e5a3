package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/tickets"
)

// tkShot saves a screenshot when CLOSELOOP_SHOTS names a directory (to look
// at the pages; the test asserts on the DOM).
func tkShot(t *testing.T, step context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CLOSELOOP_SHOTS")
	if dir == "" {
		return
	}
	b, err := chromedp.Run(step, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
}

// The agent's day in a browser: the queue with its countdowns (a breached
// ticket first, red), taking a ticket, the workspace, a refused resolve
// that keeps what was typed and names the missing cause, then resolving.
func TestBrowserTicketQueueAndWorkspace(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	agent := f.AddUser(t, "王客服", "wang.kf@example.com", f.South, access.RoleService)
	if _, err := f.App.Records.Create(ctx, f.Admin, "service_agent", entity.Record{"user_id": agent.UserID, "team_id": f.South, "max_open": int64(10)}); err != nil {
		t.Fatal(err)
	}
	cust := f.Customer(t, f.Rep1, "苏州华星光电技术有限公司")
	mk := func(subject string, due time.Duration) entity.Record {
		tk, err := f.App.Tickets.Create(ctx, access.SystemPrincipal(), entity.Record{"subject": subject, "description": subject + "。<script>alert(1)</script>",
			"customer_id": cust.ID(), "priority": crm.PriorityHigh, "channel": crm.ChannelWebForm},
			&tickets.Message{Kind: crm.MessageCustomer, Body: "客户来信：" + subject, Channel: crm.ChannelWebForm, FromName: "李工"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.App.DB.W().ExecContext(ctx, `UPDATE tickets SET resolution_due_at = $1 WHERE id = $2`, entity.CanonTime(time.Now().Add(due)), tk.ID()); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	late := mk("设备无法开机", -30*time.Minute)
	mk("咨询备件价格", 5*time.Hour)

	step, base := newBrowser(t, f)
	if err := signIn(step, base, agent.Email); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(step,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/tickets/queue?view=unassigned"),
		chromedp.WaitVisible(chromedp.CSS(`table.tk-queue`)),
	)
	if err != nil {
		t.Fatalf("queue: %v", err)
	}
	first, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`table.tk-queue tbody tr:first-child td:nth-child(2)`)))
	if !strings.Contains(first, late.Str("number")) {
		t.Fatalf("the breached ticket is not first: %q", first)
	}
	red, _ := chromedp.Run(step, chromedp.Evaluate[bool](`document.querySelector('table.tk-queue tbody tr:first-child .tk-countdown').classList.contains('is-breached')`))
	if !red {
		t.Error("the breached countdown is not red")
	}
	inNav, _ := chromedp.Run(step, chromedp.Evaluate[bool](`!!document.querySelector('#nav a[href="/tickets/queue"][aria-current="page"]')`))
	if !inNav {
		t.Error("the queue is not in the menu, or not marked current")
	}
	tkShot(t, step, "tk-queue-desktop")
	// Take it from the queue, then work it.
	err = chromedp.Do(step,
		chromedp.Click(chromedp.CSS(`table.tk-queue tbody tr:first-child form button`)),
		waitJS(`!!document.querySelector('.alert-success')`),
		chromedp.Navigate(base+"/tickets/"+late.ID()+"/work"),
		chromedp.WaitVisible(chromedp.CSS(`#conversation`)),
	)
	if err != nil {
		t.Fatalf("take and open: %v", err)
	}
	got, _ := f.App.Records.Get(ctx, agent, "ticket", late.ID())
	if got.Str("owner_id") != agent.UserID {
		t.Fatalf("not taken: owner %q", got.Str("owner_id"))
	}
	// Stored script in the description is text, not markup.
	scripts, _ := chromedp.Run(step, chromedp.Evaluate[int](`document.querySelectorAll('main script').length`))
	if scripts != 0 {
		t.Error("a stored <script> became markup")
	}
	// A reply, then a resolve without a cause: refused, the text kept.
	err = chromedp.Do(step,
		chromedp.SendKeys(chromedp.CSS(`#tk-body`), "您好，请问指示灯是什么颜色？"),
		chromedp.Click(chromedp.CSS(`#reply button.btn-primary`)),
		waitJS(`!!document.querySelector('.alert-success') && !!document.querySelector('#resolve')`),
		tkJS(`document.querySelector('#resolve').open = true`),
		tkJS(`document.querySelector('#tk-cause').removeAttribute('required'); document.querySelector('#tk-resolution').removeAttribute('required')`),
		chromedp.SendKeys(chromedp.CSS(`#tk-resolution`), "更换电源模块后恢复正常"),
		chromedp.Submit(chromedp.CSS(`#tk-resolution`)),
		waitJS(`!!document.querySelector('#resolve .field-error')`),
	)
	if err != nil {
		t.Fatalf("refused resolve: %v", err)
	}
	msg, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`#resolve .field-error`)))
	kept, _ := chromedp.Run(step, chromedp.Value(chromedp.CSS(`#tk-resolution`)))
	if (!strings.Contains(msg, "原因") && !strings.Contains(msg, "cause")) || kept != "更换电源模块后恢复正常" {
		t.Fatalf("refusal: %q, kept %q", msg, kept)
	}
	tkShot(t, step, "tk-work-refused")
	err = chromedp.Do(step,
		chromedp.SetValue(chromedp.CSS(`#tk-cause`), "product_defect"),
		chromedp.Click(chromedp.CSS(`#resolve button.btn-primary`)),
		waitJS(`!!document.querySelector('.tk-resolution')`),
	)
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	got, _ = f.App.Records.Get(ctx, agent, "ticket", late.ID())
	if got.Str("status") != crm.TicketResolved || got.Time("first_responded_at").IsZero() {
		t.Fatalf("after resolve: %s %v", got.Str("status"), got["first_responded_at"])
	}
	tkShot(t, step, "tk-work-resolved")
	// On a phone.
	err = chromedp.Do(step,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/tickets/queue?view=all"),
		chromedp.WaitVisible(chromedp.CSS(`table.tk-queue`)),
	)
	if err != nil {
		t.Fatalf("phone: %v", err)
	}
	tkShot(t, step, "tk-queue-phone")
}

// tkJS runs a script for its effect.
func tkJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}
