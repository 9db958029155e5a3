package notify_test

import (
	"context"
	"fmt"
	"testing"

	"closeloop/internal/apptest"
	"closeloop/internal/errs"
	"closeloop/internal/notify"
	"closeloop/internal/store"
)

// Notifications page newest first without repeats or gaps, count unread,
// and are each user's own.
func TestNotificationsPageAndMark(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	svc := f.App.Notify
	if err := f.App.DB.Write(ctx, func(tx *store.Tx) error {
		for i := range 25 {
			if err := notify.Notify(ctx, tx, f.Rep1.UserID, "pool_returned", "customer", "", map[string]any{"title": fmt.Sprint("客户", i)}); err != nil {
				return err
			}
		}
		return notify.Notify(ctx, tx, f.Rep2.UserID, "pool_returned", "customer", "", map[string]any{"title": "别人的"})
	}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		page, err := svc.List(ctx, f.Rep1, false, cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, n := range page.Items {
			if seen[n.ID] {
				t.Fatalf("repeated %s", n.ID)
			}
			seen[n.ID] = true
			if n.Data["title"] == "别人的" {
				t.Fatal("another user's notification")
			}
		}
		if page.Unread != 25 {
			t.Errorf("unread %d", page.Unread)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 25 || pages != 3 {
		t.Fatalf("paged %d in %d pages", len(seen), pages)
	}
	first, _ := svc.List(ctx, f.Rep1, false, "", 1)
	if _, err := svc.MarkRead(ctx, f.Rep2, first.Items[0].ID); errs.KindOf(err) != errs.NotFound {
		t.Errorf("marking another's: %v", err)
	}
	n, err := svc.MarkRead(ctx, f.Rep1, first.Items[0].ID)
	if err != nil || n.ReadAt == nil {
		t.Fatalf("mark read: %v", err)
	}
	if _, err := svc.MarkRead(ctx, f.Rep1, first.Items[0].ID); err != nil {
		t.Errorf("again: %v", err)
	}
	unread, _ := svc.List(ctx, f.Rep1, true, "", 100)
	if len(unread.Items) != 24 {
		t.Errorf("unread list %d", len(unread.Items))
	}
	if m, err := svc.MarkAllRead(ctx, f.Rep1); err != nil || m != 24 {
		t.Errorf("mark all: %d %v", m, err)
	}
	if u, _ := svc.Unread(ctx, f.Rep2.UserID); u != 1 {
		t.Errorf("the other user's stay unread: %d", u)
	}
}
