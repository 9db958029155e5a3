package tickets_test

import (
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/tickets"
)

func TestQueueSortsByUrgencyAndPages(t *testing.T) {
	d := newDesk(t)
	ts := d.App.Tickets
	now := time.Now()
	var z time.Time
	// subject → first-response due, resolution due
	plan := []struct {
		subject  string
		fr, res  time.Time
		priority string
	}{
		{"超时的", now.Add(-2 * time.Hour), now.Add(4 * time.Hour), crm.PriorityUrgent},
		{"快到期", now.Add(20 * time.Minute), now.Add(8 * time.Hour), crm.PriorityHigh},
		{"明天", now.Add(24 * time.Hour), now.Add(48 * time.Hour), crm.PriorityNormal},
		{"无时限", z, z, crm.PriorityLow},
		{"只有解决期限", z, now.Add(time.Hour), crm.PriorityNormal},
	}
	ids := map[string]string{}
	for _, p := range plan {
		tk := d.ticket(t, p.subject, "priority", p.priority)
		d.setDue(t, tk.ID(), p.fr, p.res)
		if _, err := ts.Step(ctx, d.A1, tk.ID(), crm.TicketStepTake, tickets.StepInput{}); err != nil {
			t.Fatal(err)
		}
		ids[p.subject] = tk.ID()
	}
	// Answered: the first response no longer counts, the resolution does.
	if _, err := ts.Step(ctx, d.A1, ids["超时的"], crm.TicketStepReply, tickets.StepInput{Body: "收到"}); err != nil {
		t.Fatal(err)
	}
	// A resolved ticket and someone else's are not in my queue.
	done := d.ticket(t, "已解决")
	if _, err := ts.Step(ctx, d.A1, done.ID(), crm.TicketStepTake, tickets.StepInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Step(ctx, d.A1, done.ID(), crm.TicketStepResolve, tickets.StepInput{Cause: "usage", Resolution: "ok"}); err != nil {
		t.Fatal(err)
	}
	theirs := d.ticket(t, "别人的")
	if _, err := ts.Step(ctx, d.A2, theirs.ID(), crm.TicketStepTake, tickets.StepInput{}); err != nil {
		t.Fatal(err)
	}
	unassigned := d.ticket(t, "没人接")

	subjects := func(pg tickets.QueuePage) []string {
		var out []string
		for _, it := range pg.Items {
			out = append(out, it.Ticket.Str("subject"))
		}
		return out
	}
	pg, err := ts.Queue(ctx, d.A1, tickets.QueueFilter{View: tickets.ViewMine})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"快到期", "只有解决期限", "超时的", "明天", "无时限"}
	if got := subjects(pg); len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] || got[4] != want[4] {
		t.Fatalf("my queue: %v, want %v", got, want)
	}
	if it := pg.Items[0]; it.DueKind != "first_response" || it.CustomerName != d.Cust.Str("name") || it.AssigneeName != "王客服" {
		t.Errorf("first row: %+v", it)
	}
	if pg.Items[4].DueKind != "" || !pg.Items[4].Due.IsZero() {
		t.Errorf("no deadline row: %+v", pg.Items[4])
	}
	// Pages of two walk the same order.
	var walked []string
	f := tickets.QueueFilter{View: tickets.ViewMine, Limit: 2}
	for range 5 {
		pg, err := ts.Queue(ctx, d.A1, f)
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, subjects(pg)...)
		if pg.Next == "" {
			break
		}
		f.After = pg.Next
	}
	if len(walked) != 5 || walked[2] != "超时的" || walked[4] != "无时限" {
		t.Fatalf("paged: %v", walked)
	}
	// Filters and other views.
	pg, _ = ts.Queue(ctx, d.A1, tickets.QueueFilter{View: tickets.ViewMine, Priority: []string{crm.PriorityUrgent, crm.PriorityHigh}})
	if got := subjects(pg); len(got) != 2 {
		t.Errorf("priority filter: %v", got)
	}
	pg, _ = ts.Queue(ctx, d.A1, tickets.QueueFilter{View: tickets.ViewUnassigned})
	if got := subjects(pg); len(got) != 1 || pg.Items[0].Ticket.ID() != unassigned.ID() {
		t.Errorf("unassigned: %v", got)
	}
	pg, _ = ts.Queue(ctx, d.A1, tickets.QueueFilter{View: tickets.ViewTeam})
	if got := subjects(pg); len(got) != 6 {
		t.Errorf("team: %v", got)
	}
	pg, _ = ts.Queue(ctx, d.Admin, tickets.QueueFilter{View: tickets.ViewAll})
	if got := subjects(pg); len(got) != 7 {
		t.Errorf("all: %v", got)
	}
	for _, bad := range []tickets.QueueFilter{{View: "everything"}, {Kind: []string{"x"}}, {After: "!!"}, {SLAState: []string{"late"}}} {
		if _, err := ts.Queue(ctx, d.A1, bad); errs.CodeOf(err) != "validation" {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
