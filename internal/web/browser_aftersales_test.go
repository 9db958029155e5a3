package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// The loop of issue 5 in a real browser: a customer reports a fault on
// the public form; the agent sees it in the queue with its countdown,
// takes it and resolves it with a cause; the customer answers the survey
// from its link with a low score; the service manager finds the recovery
// task the score opened.
func TestBrowserServiceRequestToRecoveryTask(t *testing.T) {
	ctx := context.Background()
	f := apptest.NewFixture(t)
	agent := f.AddUser(t, "赵客服", "zhao.kf@example.com", f.South, access.RoleService)
	mgr := f.AddUser(t, "钱经理", "qian.fw@example.com", f.South, access.RoleServiceManager)
	if _, err := f.App.DB.W().ExecContext(ctx, `UPDATE teams SET manager_id = $1 WHERE id = $2`, mgr.UserID, f.South); err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Records.Create(ctx, access.SystemPrincipal(), "service_agent", entity.Record{"user_id": agent.UserID, "team_id": f.South}); err != nil {
		t.Fatal(err)
	}
	cust := f.Customer(t, f.Rep3, "广州粤海包装材料有限公司")
	if _, err := f.App.Records.Create(ctx, f.Rep3, "contact", entity.Record{"customer_id": cust.ID(), "name": "梁工", "email": "liang@yuehai.example"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*access.Principal{agent, mgr} {
		u, _ := f.App.Records.Get(ctx, f.Admin, "user", p.UserID)
		if _, err := f.App.Records.Update(ctx, f.Admin, "user", u.ID(), u.Version(), entity.Record{"lang": "zh-CN"}); err != nil {
			t.Fatal(err)
		}
	}
	step, base := newBrowser(t, f)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(step, actions...); err != nil {
			body, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`body`)))
			loc, _ := chromedp.Run(step, chromedp.Location())
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	signOut := chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').submit()`),
		chromedp.WaitVisible(chromedp.CSS(`#login-email`)),
	)

	// 1. The customer, not signed in, reports the fault.
	run("public form",
		chromedp.Navigate(base+"/service/request"),
		chromedp.WaitVisible(chromedp.CSS(`#chn-desc`)),
	)
	// A person takes longer than the form's minimum fill time.
	f.App.Channels.SetClock(func() time.Time { return time.Now().Add(10 * time.Second) })
	run("fill the form",
		chromedp.SendKeys(chromedp.CSS(`#chn-name`), "梁工"),
		chromedp.SendKeys(chromedp.CSS(`#chn-company`), "广州粤海包装材料有限公司"),
		chromedp.SendKeys(chromedp.CSS(`#chn-email`), "liang@yuehai.example"),
		chromedp.SetValue(chromedp.CSS(`#chn-desc`), "封口机温控失灵，封口不牢，产线已停。"),
		chromedp.Click(chromedp.CSS(`.pub-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-number`)),
	)
	number := text(`#ticket-number`)
	if !strings.HasPrefix(number, "GD-") {
		t.Fatalf("ticket number shown: %q", number)
	}
	var ticketID string
	if err := f.App.DB.R().QueryRowContext(ctx, `SELECT id FROM tickets WHERE number = $1`, number).Scan(&ticketID); err != nil {
		t.Fatalf("ticket %s: %v", number, err)
	}

	// 2. The agent finds it in the queue, with a countdown to its deadline.
	if err := signIn(step, base, agent.Email); err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`//tr[.//strong[normalize-space()=%s]]`, strconv.Quote(number))
	run("queue",
		chromedp.Navigate(base+"/tickets/queue?view=unassigned"),
		chromedp.WaitVisible(chromedp.Search(row)),
	)
	rowJS := fmt.Sprintf(`[...document.querySelectorAll('tr')].find(r => [...r.querySelectorAll('strong')].some(s => s.textContent.trim() === %s))`, strconv.Quote(number))
	due, err := chromedp.Run(step, chromedp.Evaluate[string](`(`+rowJS+`)?.querySelector('.tk-countdown')?.dataset.due || ''`))
	if err != nil || due == "" {
		t.Fatalf("no countdown on the queue row: %q %v", due, err)
	}
	cd, err := chromedp.Run(step, chromedp.Evaluate[string](`(`+rowJS+`).querySelector('.tk-countdown .tk-cd-text').textContent.trim()`))
	if err != nil || cd == "" {
		t.Errorf("the countdown shows no remaining time: %q %v", cd, err)
	}

	// 3. Takes it and resolves it with a cause.
	run("take",
		chromedp.Evaluate[chromedp.Void](`(`+rowJS+`).querySelector('a').click()`),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/work/take"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/work/take"] button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action$="/work/take"]`)),
	)
	run("resolve",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('resolve').open = true`),
		chromedp.WaitVisible(chromedp.CSS(`#tk-cause`)),
		chromedp.SetValue(chromedp.CSS(`#tk-cause`), "usage"),
		chromedp.SetValue(chromedp.CSS(`#tk-resolution`), "温控参数被误改，已远程指导恢复出厂设置并重新标定。"),
		chromedp.Click(chromedp.CSS(`form[action$="/work/resolve"] button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`form[action$="/work/resolve"]`)),
	)
	tk, err := f.App.Records.Get(ctx, agent, "ticket", ticketID)
	if err != nil || tk.Str("status") != crm.TicketResolved || tk.Str("cause") != "usage" || tk.Str("owner_id") != agent.UserID {
		t.Fatalf("after resolving: status %q cause %q owner %q (%v)", tk.Str("status"), tk.Str("cause"), tk.Str("owner_id"), err)
	}

	// 4. The survey's link, copied from the ticket for the customer.
	run("survey link",
		chromedp.Navigate(base+"/tickets/"+ticketID),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/link"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/link"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#fb-link`)),
	)
	link, err := chromedp.Run(step, chromedp.Value(chromedp.CSS(`#fb-link`)))
	if err != nil || !strings.Contains(link, "/survey/") {
		t.Fatalf("survey link %q: %v", link, err)
	}
	if strings.HasPrefix(link, "/") {
		link = base + link
	}
	run("agent signs out", signOut)

	// 5. The customer answers with a low score.
	run("answer the survey",
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`input[name=satisfaction]`)),
		chromedp.Click(chromedp.CSS(`input[name=satisfaction][value="1"] + span`)),
		chromedp.Click(chromedp.CSS(`input[name=nps][value="2"] + span`)),
		chromedp.SetValue(chromedp.CSS(`#fb-comment`), "停线半天才有人回复。"),
		chromedp.Click(chromedp.CSS(`.pub-form button[type=submit]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`input[name=satisfaction]`)),
	)

	// 6. The service manager finds the recovery task it opened.
	if err := signIn(step, base, mgr.Email); err != nil {
		t.Fatal(err)
	}
	run("recovery tasks",
		chromedp.Navigate(base+"/recovery-tasks"),
		chromedp.WaitVisible(chromedp.Search(fmt.Sprintf(`//table//tr[contains(normalize-space(.), %s)]`, strconv.Quote(number)))),
	)
	var owner, status string
	if err := f.App.DB.R().QueryRowContext(ctx, `SELECT owner_id, status FROM recovery_tasks WHERE ticket_id = $1`, ticketID).Scan(&owner, &status); err != nil {
		t.Fatalf("recovery task: %v", err)
	}
	if owner != mgr.UserID {
		t.Errorf("recovery task owner %s, want the team's service manager %s", owner, mgr.UserID)
	}
}
