//go:build shots

package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// go test -tags shots -run TestShots ./internal/web/  (SHOT_BASE, SHOT_USER, SHOT_PAGES="name=/path@WxH,...")
func TestShots(t *testing.T) {
	base, user := os.Getenv("SHOT_BASE"), os.Getenv("SHOT_USER")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium()), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()), chromedp.Flag("lang", "zh-CN"))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	ctx, cancel3 := context.WithTimeout(ctx, 120*time.Second)
	defer cancel3()
	if user != "" {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/login"),
			chromedp.SendKeys(chromedp.CSS("#login-email"), user), chromedp.SendKeys(chromedp.CSS("#login-password"), "demo-closeloop"),
			chromedp.Click(chromedp.CSS("form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(".topbar"))); err != nil {
			t.Fatal(err)
		}
	}
	for _, spec := range strings.Split(os.Getenv("SHOT_PAGES"), ",") {
		name, rest, _ := strings.Cut(spec, "=")
		path, size, _ := strings.Cut(rest, "@")
		w, h := 1280, 900
		if size != "" {
			ws, hs, _ := strings.Cut(size, "x")
			w, h = int(atoi(ws)), int(atoi(hs))
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h)), chromedp.Navigate(base+path), chromedp.Sleep(500*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile("/tmp/shots/"+name+".png", buf, 0o644)
	}
}

func atoi(s string) int64 {
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n
}
