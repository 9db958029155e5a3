package web_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"closeloop/internal/apptest"
	"closeloop/internal/server"
)

// Headless Chromium on the real server: a rep attaches a file with a
// Chinese name through the card's form, sees it listed, is told in words
// when a file is too large (the browser gets the answer, not a reset
// connection), and deletes the file through the confirmation. With
// CLOSELOOP_SCREENSHOTS=dir the card is saved as a PNG there.
func TestBrowserAttachments(t *testing.T) {
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
	cust := f.Customer(t, f.Rep1, "宁波港城物流有限公司")
	page := base + "/customers/" + cust.ID()

	dir := t.TempDir()
	const name = "华东区报价单（终版）.pdf"
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "扫描件.pdf")
	if err := os.WriteFile(big, append(append([]byte{}, pdf...), make([]byte, 3<<20)...), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("lang", "zh-CN"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	step, cancelStep := context.WithTimeout(ctx, 90*time.Second)
	defer cancelStep()

	err = chromedp.Do(step,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`#login-email`)),
		chromedp.SendKeys(chromedp.CSS(`#login-email`), f.Rep1.Email),
		chromedp.SendKeys(chromedp.CSS(`#login-password`), apptest.Password),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#attachments`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#att-file`), []string{file}),
		chromedp.Click(chromedp.CSS(`#attachments form button.btn-primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-success`)),
	)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	card, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`#attachments`)))
	if err != nil || !strings.Contains(card, name) || !strings.Contains(card, "张伟") {
		t.Fatalf("card after upload: %q %v", card, err)
	}
	if dir := os.Getenv("CLOSELOOP_SCREENSHOTS"); dir != "" {
		if png, err := chromedp.Run(step, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "attachments-card.png"), png, 0o644)
		}
	}

	// Over the limit: the message, in the page (in the browser's language:
	// the fixture users have none set).
	f.App.Files.MaxSize = 1 << 20
	err = chromedp.Do(step,
		chromedp.SetUploadFiles(chromedp.CSS(`#att-file`), []string{big}),
		chromedp.Click(chromedp.CSS(`#attachments form button.btn-primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-error`)),
	)
	f.App.Files.MaxSize = 20 << 20
	if err != nil {
		t.Fatalf("too large: %v", err)
	}
	msg, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`.alert-error`)))
	if err != nil || !(strings.Contains(msg, "文件过大（最大 1 MB）") || strings.Contains(msg, "too large (at most 1 MB)")) {
		t.Errorf("too large: %q %v", msg, err)
	}

	// Delete through the confirmation (answered yes).
	err = chromedp.Do(step,
		chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`),
		chromedp.Click(chromedp.CSS(`#attachments form[data-confirm] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert-success`)),
	)
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	card, err = chromedp.Run(step, chromedp.Text(chromedp.CSS(`#attachments`)))
	if err != nil || !(strings.Contains(card, "暂无附件") && strings.Contains(card, "已删除（1）") || strings.Contains(card, "No attachments yet") && strings.Contains(card, "Deleted (1)")) {
		t.Errorf("card after delete: %q %v", card, err)
	}
}
