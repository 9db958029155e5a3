package web_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCareScreenshots signs in to a running demo server (CARE_SHOT_URL,
// e.g. http://127.0.0.1:18321) and saves screenshots of the care pages to
// CARE_SHOT_DIR — a manual check, skipped otherwise.
func TestCareScreenshots(t *testing.T) {
	base, dir := os.Getenv("CARE_SHOT_URL"), os.Getenv("CARE_SHOT_DIR")
	bin := chromium()
	if base == "" || dir == "" || bin == "" {
		t.Skip("CARE_SHOT_URL / CARE_SHOT_DIR not set, or no chromium")
	}
	email := os.Getenv("CARE_SHOT_EMAIL")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "zh-CN"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	ctx, cancel3 := context.WithTimeout(ctx, 120*time.Second)
	defer cancel3()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#login-email`)),
		chromedp.SendKeys(chromedp.CSS(`#login-email`), email),
		chromedp.SendKeys(chromedp.CSS(`#login-password`), "demo-closeloop"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.topbar`)),
	); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{"home": "/", "mine": "/care", "signals": "/service/signals", "settings": "/settings/care"}
	if p := os.Getenv("CARE_SHOT_EXTRA"); p != "" {
		pages["extra"] = p
	}
	for name, path := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(`.topbar`))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(dir+"/care-"+name+".png", buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
