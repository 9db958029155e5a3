package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// xss are stored payloads: each would set window.__xss (or open a dialog)
// if it ran.
const xss = `<script>window.__xss=1;alert(1)</script> <img src=x onerror="window.__xss=2;alert(2)"> <a href="javascript:window.__xss=3;alert(3)">点我</a>`

// shot saves a screenshot when CLOSELOOP_SHOTS names a directory.
func shot(t *testing.T, step context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CLOSELOOP_SHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(step, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Error(err)
	}
}

// inert checks that no payload ran on the page and that the payloads
// show as text.
func inert(t *testing.T, step context.Context, where string, dialogs *atomic.Int32) {
	t.Helper()
	ran, err := chromedp.Run(step, chromedp.Evaluate[bool](`typeof window.__xss !== 'undefined'`))
	if err != nil || ran {
		t.Errorf("%s: a payload ran (%v %v)", where, ran, err)
	}
	live, err := chromedp.Run(step, chromedp.Evaluate[int](`document.querySelectorAll('main script, img[src="x"], a[href^="javascript:"], [onerror]').length`))
	if err != nil || live != 0 {
		t.Errorf("%s: %d live payload elements (%v)", where, live, err)
	}
	body, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`body`)))
	if err != nil || !strings.Contains(body, "<script>window.__xss=1") || !strings.Contains(body, `<img src=x onerror=`) {
		t.Errorf("%s: the payload is not shown as text (%v)", where, err)
	}
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%s: %d dialogs opened", where, n)
	}
}

// A customer sends the public form from a phone with script in the
// description; an agent replies with more. Nothing runs on the agent's
// ticket page or on the customer's portal: the text is shown escaped.
func TestBrowserServiceFormAndPortalXSS(t *testing.T) {
	f := apptest.NewFixture(t)
	cust := f.Customer(t, f.Rep1, "上海浦江精密仪器有限公司")
	ct, err := f.App.Records.Create(context.Background(), f.Rep1, "contact", entity.Record{"customer_id": cust.ID(), "name": "周工", "email": "zhou@pujiang.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Records.Create(context.Background(), access.SystemPrincipal(), "knowledge_article", entity.Record{"title": "打印头清洁步骤", "category": "faq", "audience": "public", "body": "1. 关机\n2. 用无尘布擦拭"}); err != nil {
		t.Logf("no public article (%v)", err)
	}
	step, base := newBrowser(t, f)
	var dialogs atomic.Int32
	// A dialog would block the page (and the steps after it): counted here.
	if err := chromedp.Listen(step, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(step,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(base+"/service/request"),
		chromedp.WaitVisible(chromedp.CSS(`#chn-desc`)),
	)
	if err != nil {
		t.Fatalf("open the form: %v", err)
	}
	wide, err := chromedp.Run(step, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil || wide {
		t.Errorf("form wider than the phone: %v %v", wide, err)
	}
	shot(t, step, "form-phone")
	f.App.Channels.SetClock(func() time.Time { return time.Now().Add(10 * time.Second) })
	err = chromedp.Do(step,
		chromedp.SendKeys(chromedp.CSS(`#chn-name`), "周工"),
		chromedp.SendKeys(chromedp.CSS(`#chn-email`), "zhou@pujiang.example"),
		chromedp.SetValue(chromedp.CSS(`#chn-desc`), "激光头不出光 "+xss),
		chromedp.Click(chromedp.CSS(`.pub-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ticket-number`)),
	)
	if err != nil {
		t.Fatalf("send the form: %v", err)
	}
	number, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`#ticket-number`)))
	if err != nil || !strings.HasPrefix(strings.TrimSpace(number), "GD-") {
		t.Fatalf("number shown %q %v", number, err)
	}
	shot(t, step, "form-done-phone")
	var id string
	if err := f.App.DB.R().QueryRowContext(context.Background(), `SELECT id FROM tickets WHERE number = $1`, strings.TrimSpace(number)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	err = f.App.DB.Write(context.Background(), func(tx *store.Tx) error {
		_, err := f.App.Tickets.AddMessage(context.Background(), tx, f.Service, id, tickets.Message{Kind: crm.MessageReply, Body: "请按说明操作 " + xss})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The agent's ticket page.
	if err := chromedp.Do(step, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	if err := signIn(step, base, f.Admin.Email); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(step, chromedp.Navigate(base+"/tickets/"+id), chromedp.WaitVisible(chromedp.CSS(`.detail-head h1`)), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatalf("agent's ticket page: %v", err)
	}
	inert(t, step, "agent's ticket page", &dialogs)
	shot(t, step, "agent-ticket")
	// The customer's portal, on the phone and on a desktop.
	link, err := f.App.Channels.LinkFor(context.Background(), f.Rep1, ct.ID())
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(step, chromedp.Navigate(base+link.Path), chromedp.WaitVisible(chromedp.CSS(`#chn-tickets`))); err != nil {
		t.Fatalf("portal: %v", err)
	}
	shot(t, step, "portal-desktop")
	if err := chromedp.Do(step, chromedp.Navigate(base+link.Path+"/tickets/"+id), chromedp.WaitVisible(chromedp.CSS(`#chn-conv`)), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatalf("portal ticket: %v", err)
	}
	inert(t, step, "portal ticket page", &dialogs)
	shot(t, step, "portal-ticket-desktop")
	if err := chromedp.Do(step, chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+link.Path), chromedp.WaitVisible(chromedp.CSS(`#chn-tickets`))); err != nil {
		t.Fatal(err)
	}
	shot(t, step, "portal-phone")
	if err := chromedp.Do(step, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/service/request"), chromedp.WaitVisible(chromedp.CSS(`#chn-desc`))); err != nil {
		t.Fatal(err)
	}
	shot(t, step, "form-desktop")
}
