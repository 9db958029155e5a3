package web_test

import (
	"context"
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

// The real server in-process on a free port, driven by headless Chromium:
// a rep signs in, creates a customer through the form, finds it by typing
// two Chinese characters of its name in the top-bar search, and opens it.
func TestBrowserCreateAndFind(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium binary (apt-get install -y chromium)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	f := apptest.NewFixture(t)
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
	base := srv.URL()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "zh-CN"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser on a context without a deadline, then bound the steps.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	step, cancelStep := context.WithTimeout(ctx, 90*time.Second)
	defer cancelStep()

	const name = "厦门鹭岛海洋科技有限公司"
	err = chromedp.Do(step,
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
