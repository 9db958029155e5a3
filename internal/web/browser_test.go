package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/server"
)

// chromium finds a Chromium or Chrome binary, or "".
func chromium() string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts the real server in-process on a free port and a
// headless Chromium for it (skipping when there is none), and returns a
// context bounding the test's steps.
func newBrowser(t *testing.T, f *apptest.Fixture) (context.Context, string) {
	t.Helper()
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium binary (apt-get install -y chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.Start(context.Background(), f.App, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "zh-CN"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	// Start the browser on a context without a deadline, then bound the steps.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	step, cancelStep := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelStep)
	return step, srv.URL()
}

// The real server in-process on a free port, driven by headless Chromium:
// a rep signs in, creates a customer through the form, finds it by typing
// two Chinese characters of its name in the top-bar search, and opens it.
func TestBrowserCreateAndFind(t *testing.T) {
	f := apptest.NewFixture(t)
	step, base := newBrowser(t, f)

	const name = "厦门鹭岛海洋科技有限公司"
	err := chromedp.Do(step,
		chromedp.Navigate(base+"/customers"),
		chromedp.WaitVisible(chromedp.CSS(`#login-email`)),
		chromedp.SendKeys(chromedp.CSS(`#login-email`), f.Rep1.Email),
		chromedp.SendKeys(chromedp.CSS(`#login-password`), apptest.Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.topbar`)),
		chromedp.Navigate(base+"/customers/new"),
		chromedp.WaitVisible(chromedp.CSS(`#fld-name`)),
		chromedp.SendKeys(chromedp.CSS(`#fld-name`), name),
		chromedp.SendKeys(chromedp.CSS(`#fld-region`), "厦门市"),
		chromedp.Click(chromedp.CSS(`.form-actions button.btn-primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.detail-head h1`)),
	)
	if err != nil {
		t.Fatalf("create through the form: %v", err)
	}
	h1, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`.detail-head h1`)))
	if err != nil || strings.TrimSpace(h1) != name {
		t.Fatalf("after create: %q %v", h1, err)
	}
	// Two characters of the name in the top-bar search, Enter.
	err = chromedp.Do(step,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#global-q`)),
		chromedp.SendKeys(chromedp.CSS(`#global-q`), "鹭岛"+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`.results a.result-title`)),
	)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	hit, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`.results a.result-title`)))
	if err != nil || strings.TrimSpace(hit) != name {
		t.Fatalf("first result %q %v", hit, err)
	}
	err = chromedp.Do(step,
		chromedp.Click(chromedp.CSS(`.results a.result-title`)),
		chromedp.WaitVisible(chromedp.CSS(`.detail-head h1`)),
	)
	if err != nil {
		t.Fatalf("open result: %v", err)
	}
	h1, err = chromedp.Run(step, chromedp.Text(chromedp.CSS(`.detail-head h1`)))
	if err != nil || strings.TrimSpace(h1) != name {
		t.Fatalf("opened %q %v", h1, err)
	}
	loc, _ := chromedp.Run(step, chromedp.Location())
	if !strings.Contains(loc, "/customers/") {
		t.Errorf("location %s", loc)
	}
}

// signIn signs a user in through the login form.
func signIn(step context.Context, base, email string) error {
	return chromedp.Do(step,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#login-email`)),
		chromedp.SendKeys(chromedp.CSS(`#login-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#login-password`), apptest.Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.topbar`)),
	)
}

// dragJS drags a board card onto a column the way the browser does: the
// dragstart, dragover and drop events app.js listens to, with a real
// DataTransfer (headless Chromium has no pointer to drag with).
const dragJS = `(function (id, stage) {
  var card = document.querySelector('.kanban-card[data-card-id="' + id + '"]');
  var col = document.querySelector('.kanban-col[data-stage="' + stage + '"]');
  if (!card || !col) return false;
  var dt = new DataTransfer();
  card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, cancelable: true, dataTransfer: dt}));
  col.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
  col.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
  card.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: dt}));
  return true;
})`

// A rep drags a deal from 机会评估 to 方案设计 on the board: the gate
// refuses (no needs analysis) and says so; the rep fills in the needs
// analysis through the form and drags again, and the card lands.
func TestBrowserBoardGate(t *testing.T) {
	f := apptest.NewFixture(t)
	cust := f.Customer(t, f.Rep1, "华信精密制造有限公司")
	opp, err := f.App.Records.Create(context.Background(), f.Rep1, "opportunity", entity.Record{"name": "视觉质检一期", "customer_id": cust.ID(), "amount": int64(80_000_000)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.App.Presales.MoveStage(context.Background(), f.Rep1, opp.ID(), "evaluation", 0); err != nil {
		t.Fatal(err)
	}
	u, _ := f.App.Records.Get(context.Background(), f.Admin, "user", f.Rep1.UserID)
	if _, err := f.App.Records.Update(context.Background(), f.Admin, "user", u.ID(), u.Version(), entity.Record{"lang": "zh-CN"}); err != nil {
		t.Fatal(err)
	}
	step, base := newBrowser(t, f)
	if err := signIn(step, base, f.Rep1.Email); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	card := `.kanban-col[data-stage="%s"] .kanban-card[data-card-id="` + opp.ID() + `"]`
	drag := func() error {
		ok, err := chromedp.Run(step, chromedp.Evaluate[bool](dragJS+`("`+opp.ID()+`", "solution_design")`))
		if err == nil && !ok {
			err = fmt.Errorf("card or column not found")
		}
		return err
	}
	err = chromedp.Do(step,
		chromedp.Navigate(base+"/opportunities/board"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(card, "evaluation"))),
	)
	if err != nil {
		t.Fatalf("board: %v", err)
	}
	if err := drag(); err != nil {
		t.Fatalf("drag: %v", err)
	}
	if err := chromedp.Do(step, chromedp.WaitVisible(chromedp.CSS(`.kanban-col.drop-refused`))); err != nil {
		t.Fatalf("no refusal shown: %v", err)
	}
	toast, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`.toast-area`)))
	if err != nil || !strings.Contains(toast, "需求分析") || !strings.Contains(toast, "痛点") {
		t.Fatalf("refusal toast %q %v", toast, err)
	}
	if _, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(fmt.Sprintf(card, "evaluation")))); err != nil {
		t.Fatalf("card left its column after a refusal: %v", err)
	}
	// Fix it: the needs analysis, through the edit form.
	err = chromedp.Do(step,
		chromedp.Navigate(base+"/opportunities/"+opp.ID()+"/edit"),
		chromedp.WaitVisible(chromedp.CSS(`#fld-pain_points`)),
		chromedp.SendKeys(chromedp.CSS(`#fld-business_scenario`), "汽车零部件产线外观质检"),
		chromedp.SendKeys(chromedp.CSS(`#fld-pain_points`), "人工漏检率高"),
		chromedp.SendKeys(chromedp.CSS(`#fld-budget_range`), "50-80万"),
		chromedp.SendKeys(chromedp.CSS(`#fld-decision_process`), "生产副总提出，总经理审批"),
		chromedp.Click(chromedp.CSS(`.form-actions button.btn-primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.detail-head h1`)),
		chromedp.Navigate(base+"/opportunities/board"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(card, "evaluation"))),
	)
	if err != nil {
		t.Fatalf("fill in the needs analysis: %v", err)
	}
	if err := drag(); err != nil {
		t.Fatalf("drag again: %v", err)
	}
	if err := chromedp.Do(step, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(card, "solution_design")))); err != nil {
		t.Fatalf("card did not land in 方案设计: %v", err)
	}
	got, err := f.App.Records.Get(context.Background(), f.Rep1, "opportunity", opp.ID())
	if err != nil || got.Str("stage") != "solution_design" {
		t.Fatalf("stored stage %q %v", got.Str("stage"), err)
	}
	// The board refreshes itself after the move (app.js moves the card
	// first, then swaps in the board with the new totals).
	_, err = chromedp.Run(step, chromedp.Poll[bool](`(document.querySelector('.kanban-col[data-stage="solution_design"] .kanban-total') || {}).textContent.indexOf('800,000') >= 0`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		total, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`.kanban-col[data-stage="solution_design"] .kanban-total`)))
		t.Fatalf("column total %q after the move: %v", total, err)
	}
}
