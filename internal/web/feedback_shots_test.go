package web_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFeedbackScreenshots signs in to a running demo server
// (FB_SHOT_BASE) and saves screenshots of the feedback pages to
// FB_SHOT_DIR: a manual check, skipped otherwise.
func TestFeedbackScreenshots(t *testing.T) {
	base, dir := os.Getenv("FB_SHOT_BASE"), os.Getenv("FB_SHOT_DIR")
	if base == "" || dir == "" || chromium() == "" {
		t.Skip("FB_SHOT_BASE and FB_SHOT_DIR not set")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium()), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900), chromedp.Flag("lang", "zh-CN"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	defer cancel3()
	must := func(acts ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, acts...); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/"+name+".png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wait := chromedp.Sleep(1500 * time.Millisecond)
	must(chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#login-email`)),
		chromedp.SendKeys(chromedp.CSS(`#login-email`), os.Getenv("FB_SHOT_USER")),
		chromedp.SendKeys(chromedp.CSS(`#login-password`), "demo-closeloop"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.topbar`)))
	for _, pg := range []struct{ name, path string }{
		{"causes", "/reports/ticket-causes"}, {"causes_product", "/reports/ticket-causes?group=product"},
		{"surveys", "/reports/surveys"}, {"surveys_month", "/reports/surveys?group=month"},
		{"ticket", "/tickets/" + os.Getenv("FB_SHOT_TICKET")}, {"improve", "/reports/ticket-causes/improve?cause=product_defect"},
	} {
		must(chromedp.Navigate(base+pg.path), wait)
		shot(pg.name)
	}
	must(chromedp.Navigate(base+"/surveys/"+os.Getenv("FB_SHOT_SURVEY")), chromedp.WaitVisible(chromedp.CSS(`form[action$="/link"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="/link"] button`)), chromedp.WaitVisible(chromedp.CSS(`#fb-link`)))
	shot("link")
	link, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#fb-link`)))
	if err != nil {
		t.Fatal(err)
	}
	short := chromedp.Sleep(400 * time.Millisecond)
	must(chromedp.EmulateViewport(390, 844), chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`.pub-form`)))
	shot("public")
	must(chromedp.Click(chromedp.CSS(`.pub-form button[type=submit]`)), short)
	shot("public_bad")
	must(chromedp.Click(chromedp.CSS(`input[name=satisfaction][value="2"]`)), chromedp.Click(chromedp.CSS(`input[name=nps][value="4"]`)),
		chromedp.Click(chromedp.CSS(`.pub-form button[type=submit]`)), short)
	shot("public_done")
	must(chromedp.Navigate(link), short)
	shot("public_again")
	must(chromedp.Navigate(base+"/survey/not-a-token"), short)
	shot("public_unknown")
	must(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/recovery-tasks"), short)
	shot("recovery")
	must(chromedp.Navigate(base+"/improvement-items"), short)
	shot("items")
}
