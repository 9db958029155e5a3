package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFieldServiceScreens signs in to a running demo server
// (CLOSELOOP_FS_SHOTS=http://127.0.0.1:port) as the demo field engineer
// and the service manager and saves screenshots of the field-service
// pages under /tmp/fs-shots — the engineer's day at phone width. It is
// for looking at, not run otherwise.
func TestFieldServiceScreens(t *testing.T) {
	base := os.Getenv("CLOSELOOP_FS_SHOTS")
	bin := chromium()
	if base == "" || bin == "" {
		t.Skip("set CLOSELOOP_FS_SHOTS to a demo server's address")
	}
	_ = os.MkdirAll("/tmp/fs-shots", 0o755)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("lang", "zh-CN"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	shoot := func(email string, w, h int64, pages []string) {
		ctx, cancel := chromedp.NewContext(actx)
		defer cancel()
		ctx, cancelT := context.WithTimeout(ctx, 120*time.Second)
		defer cancelT()
		err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h),
			chromedp.Navigate(base+"/login"), chromedp.WaitVisible(`#login-email`),
			chromedp.SendKeys(`#login-email`, email), chromedp.SendKeys(`#login-password`, "demo-closeloop"),
			chromedp.Click(`form button[type=submit]`), chromedp.WaitVisible(`.topbar`))
		if err != nil {
			t.Fatalf("sign in %s: %v", email, err)
		}
		for _, p := range pages {
			url := p
			if !strings.HasPrefix(p, "http") {
				url = base + p
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.Sleep(700*time.Millisecond)); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			name := strings.NewReplacer("/", "_", "?", "_", "=", "_", ":", "_").Replace(strings.TrimPrefix(p, base))
			if err := os.WriteFile("/tmp/fs-shots/"+strings.SplitN(email, "@", 2)[0]+name+".png", buf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	extra := strings.Fields(os.Getenv("CLOSELOOP_FS_PAGES"))
	shoot("fang.zhiyuan@demo.closeloop.cn", 390, 844, append([]string{"/visits/today", "/visits/today?date=" + time.Now().AddDate(0, 0, -1).Format("2006-01-02")}, extra...))
	shoot("su.wanqing@demo.closeloop.cn", 1280, 900, append([]string{"/stock", "/stock?low=1", "/stock-movements", "/returns", "/visits", "/notifications"}, strings.Fields(os.Getenv("CLOSELOOP_FS_MGR_PAGES"))...))
}
