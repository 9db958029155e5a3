package tickets_test

import (
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

func TestStepsWalkATicket(t *testing.T) {
	d := newDesk(t)
	tk := d.ticket(t, "设备无法开机")
	ts := d.App.Tickets
	step := func(p *access.Principal, name string, in tickets.StepInput) entity.Record {
		t.Helper()
		out, err := ts.Step(ctx, p, tk.ID(), name, in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	refused := func(p *access.Principal, name string, in tickets.StepInput, code string) {
		t.Helper()
		_, err := ts.Step(ctx, p, tk.ID(), name, in)
		if errs.CodeOf(err) != code {
			t.Fatalf("%s: %v, want %s", name, err, code)
		}
		if k := errs.KindOf(err); k == errs.Internal {
			t.Fatalf("%s: an internal error for a refusal: %v", name, err)
		}
	}
	got := step(d.A1, crm.TicketStepTake, tickets.StepInput{Version: tk.Version()})
	if got.Str("owner_id") != d.A1.UserID || got.Str("status") != crm.TicketAssigned || got.Str("team_id") != d.Desk || got.Time("assigned_at").IsZero() {
		t.Fatalf("after take: %v", got)
	}
	refused(d.A1, crm.TicketStepReply, tickets.StepInput{Version: tk.Version(), Body: "x"}, "stale_version")
	refused(d.A1, crm.TicketStepReply, tickets.StepInput{}, "validation")
	got = step(d.A1, crm.TicketStepReply, tickets.StepInput{Version: got.Version(), Body: "您好，请问指示灯是什么颜色？"})
	if got.Str("status") != crm.TicketInProgress || got.Time("first_responded_at").IsZero() {
		t.Fatalf("after the first reply: %s %v", got.Str("status"), got["first_responded_at"])
	}
	first := got.Time("first_responded_at")
	got = step(d.A1, crm.TicketStepReply, tickets.StepInput{Body: "请拍照发给我们。", Wait: true})
	if got.Str("status") != crm.TicketWaitingCustomer || !got.Time("first_responded_at").Equal(first) {
		t.Fatalf("reply and wait: %s %v", got.Str("status"), got["first_responded_at"])
	}
	got = step(d.A1, crm.TicketStepResume, tickets.StepInput{})
	got = step(d.A1, crm.TicketStepWaitParts, tickets.StepInput{Body: "主板需更换，已申请备件"})
	if got.Str("status") != crm.TicketWaitingParts {
		t.Fatalf("wait parts: %s", got.Str("status"))
	}
	step(d.A1, crm.TicketStepNote, tickets.StepInput{Body: "内部：备件预计周五到"})
	refused(d.A1, crm.TicketStepResolve, tickets.StepInput{Resolution: "更换主板"}, "validation")
	refused(d.A1, crm.TicketStepResolve, tickets.StepInput{Cause: "no_such_cause", Resolution: "更换主板"}, "validation")
	got = step(d.A1, crm.TicketStepResolve, tickets.StepInput{Cause: "product_defect", Resolution: "更换主板后设备正常开机"})
	if got.Str("status") != crm.TicketResolved || got.Str("cause") != "product_defect" || got.Time("resolved_at").IsZero() {
		t.Fatalf("resolve: %v", got)
	}
	refused(d.A1, crm.TicketStepReply, tickets.StepInput{Body: "x"}, "ticket_step")
	got = step(d.A1, crm.TicketStepReopen, tickets.StepInput{Body: "客户反馈又无法开机"})
	if got.Str("status") != crm.TicketReopened || got.Int("reopen_count") != 1 || !got.Time("resolved_at").IsZero() {
		t.Fatalf("reopen: %v", got)
	}
	step(d.A1, crm.TicketStepResolve, tickets.StepInput{Cause: "usage", Resolution: "指导客户正确上电顺序"})
	got = step(d.A1, crm.TicketStepClose, tickets.StepInput{})
	if got.Str("status") != crm.TicketClosed || got.Time("closed_at").IsZero() {
		t.Fatalf("close: %v", got)
	}
	// Eight days later the window (7 days by default) has passed.
	ts.SetClock(func() time.Time { return time.Now().Add(8 * 24 * time.Hour) })
	defer ts.SetClock(time.Now)
	refused(d.A1, crm.TicketStepReopen, tickets.StepInput{}, "reopen_window_passed")
	if err := ts.SetSettings(ctx, d.Admin, tickets.Settings{ReopenDays: 10}); err != nil {
		t.Fatal(err)
	}
	if err := ts.SetSettings(ctx, d.A1, tickets.Settings{ReopenDays: 10}); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("an agent changed the settings: %v", err)
	}
	if err := ts.SetSettings(ctx, d.Admin, tickets.Settings{ReopenDays: 0}); errs.CodeOf(err) != "validation" {
		t.Fatalf("reopen days 0: %v", err)
	}
	step(d.A1, crm.TicketStepReopen, tickets.StepInput{})

	_, msgs, err := ts.Thread(ctx, d.A1, tk.ID())
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, m := range msgs {
		kinds[m.Str("kind")]++
	}
	if kinds[crm.MessageReply] != 2 || kinds[crm.MessageNote] != 3 || kinds[crm.MessageSystem] < 7 {
		t.Errorf("messages by kind: %v", kinds)
	}
	// A read-only reader (finance) sees no internal notes.
	fin := d.AddUser(t, "钱会计", "qian@example.com", d.Company, access.RoleFinance)
	_, msgs, err = ts.Thread(ctx, fin, tk.ID())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Str("kind") == crm.MessageNote {
			t.Fatal("finance sees an internal note")
		}
	}
	var events int
	if err := d.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM timeline WHERE record_id = $1 AND kind LIKE 'ticket_%'`, tk.ID()).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events < 10 {
		t.Errorf("timeline events: %d", events)
	}
	var audits int
	if err := d.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE record_id = $1`, tk.ID()).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if audits < 8 {
		t.Errorf("audit entries: %d", audits)
	}
}

func TestStepRights(t *testing.T) {
	d := newDesk(t)
	tk := d.ticket(t, "打印模糊")
	// Nobody owns it: an agent may take it, but not reply before.
	if _, err := d.App.Tickets.Step(ctx, d.A1, tk.ID(), crm.TicketStepReply, tickets.StepInput{Body: "x"}); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("reply on an unowned ticket outside the team: %v", err)
	}
	// A sales rep (not a service agent) cannot take it.
	if _, err := d.App.Tickets.Step(ctx, d.Rep3, tk.ID(), crm.TicketStepTake, tickets.StepInput{}); errs.CodeOf(err) != "validation" && errs.KindOf(err) != errs.Forbidden && errs.KindOf(err) != errs.NotFound {
		t.Fatalf("a rep took a ticket: %v", err)
	}
	if _, err := d.App.Tickets.Step(ctx, d.A1, tk.ID(), crm.TicketStepTake, tickets.StepInput{}); err != nil {
		t.Fatal(err)
	}
	// The other service team's agent may not work it.
	other := d.AddUser(t, "吴客服", "wu.kf@example.com", d.South, access.RoleService)
	if _, err := d.App.Tickets.Step(ctx, other, tk.ID(), crm.TicketStepNote, tickets.StepInput{Body: "x"}); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("an agent of another team wrote: %v", err)
	}
	if _, err := d.App.Tickets.Step(ctx, d.A1, tk.ID(), "fly", tickets.StepInput{}); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("unknown step: %v", err)
	}
	if _, err := d.App.Tickets.Step(ctx, d.A1, "nope", crm.TicketStepNote, tickets.StepInput{Body: "x"}); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("bad id: %v", err)
	}
}

func TestAssign(t *testing.T) {
	d := newDesk(t)
	ts := d.App.Tickets
	// Limit 1 for A2.
	if _, err := d.App.DB.W().ExecContext(ctx, `UPDATE service_agents SET max_open = 1 WHERE user_id = $1`, d.A2.UserID); err != nil {
		t.Fatal(err)
	}
	t1, t2 := d.ticket(t, "一号"), d.ticket(t, "二号")
	got, err := ts.Step(ctx, d.Boss, t1.ID(), crm.TicketStepAssign, tickets.StepInput{UserID: d.A2.UserID})
	if err != nil || got.Str("owner_id") != d.A2.UserID || got.Str("status") != crm.TicketAssigned {
		t.Fatalf("assign: %v %v", got, err)
	}
	// Assigning the same ticket to the same agent again is no second slot.
	if _, err := ts.Step(ctx, d.Boss, t1.ID(), crm.TicketStepAssign, tickets.StepInput{UserID: d.A2.UserID}); err != nil {
		t.Fatalf("reassign to the same agent: %v", err)
	}
	if _, err := ts.Step(ctx, d.Boss, t2.ID(), crm.TicketStepAssign, tickets.StepInput{UserID: d.A2.UserID}); errs.CodeOf(err) != "agent_at_limit" || errs.KindOf(err) != errs.Unprocessable {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := ts.Step(ctx, d.Boss, t2.ID(), crm.TicketStepAssign, tickets.StepInput{UserID: d.Rep1.UserID}); errs.CodeOf(err) != "validation" {
		t.Fatalf("to a non-agent: %v", err)
	}
	if _, err := d.App.DB.W().ExecContext(ctx, `UPDATE service_agents SET active = FALSE WHERE user_id = $1`, d.A1.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Step(ctx, d.Boss, t2.ID(), crm.TicketStepAssign, tickets.StepInput{UserID: d.A1.UserID}); errs.CodeOf(err) != "validation" {
		t.Fatalf("to an inactive agent: %v", err)
	}
	// To the team queue: nobody's, the team's.
	got, err = ts.Step(ctx, d.Boss, t2.ID(), crm.TicketStepAssign, tickets.StepInput{TeamID: d.Desk})
	if err != nil || got.Str("owner_id") != "" || got.Str("team_id") != d.Desk || got.Str("status") != crm.TicketNew {
		t.Fatalf("to the queue: %v %v", got, err)
	}
	// Picked: A1 inactive, A2 full → A3.
	got, err = ts.Step(ctx, d.Boss, t2.ID(), crm.TicketStepAssign, tickets.StepInput{Auto: true})
	if err != nil || got.Str("owner_id") != d.A3.UserID {
		t.Fatalf("auto: %v %v", got.Str("owner_id"), err)
	}
	if _, err := ts.Step(ctx, d.Boss, t2.ID(), crm.TicketStepAssign, tickets.StepInput{}); errs.CodeOf(err) != "validation" {
		t.Fatalf("assign to nobody: %v", err)
	}
}

func TestRoundRobinBySkillAndRegion(t *testing.T) {
	d := newDesk(t)
	if err := d.App.Tickets.SetSettings(ctx, d.Admin, tickets.Settings{ReopenDays: 7, AutoAssign: true}); err != nil {
		t.Fatal(err)
	}
	// Hardware in the east: only A3 has both.
	for i := range 3 {
		tk := d.ticket(t, fmt.Sprintf("华东硬件 %d", i), "skill", "hardware", "region", "east")
		if tk.Str("owner_id") != d.A3.UserID || tk.Str("status") != crm.TicketAssigned {
			t.Fatalf("hardware/east ticket %d went to %q (%s)", i, tk.Str("owner_id"), tk.Str("status"))
		}
	}
	// No skill named: round-robin, the longest idle first (A1, A2 never).
	seen := map[string]int{}
	for i := range 6 {
		tk := d.ticket(t, fmt.Sprintf("咨询 %d", i))
		seen[tk.Str("owner_id")]++
	}
	if seen[d.A1.UserID] != 2 || seen[d.A2.UserID] != 2 || seen[d.A3.UserID] != 2 {
		t.Fatalf("round-robin: %v", seen)
	}
}

// Many tickets at once: round-robin stays fair and no agent goes over
// their limit; what nobody can take stays in the queue.
func TestConcurrentAutoAssignment(t *testing.T) {
	d := newDesk(t)
	if err := d.App.Tickets.SetSettings(ctx, d.Admin, tickets.Settings{ReopenDays: 7, AutoAssign: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.App.DB.W().ExecContext(ctx, `UPDATE service_agents SET max_open = 3`); err != nil {
		t.Fatal(err)
	}
	const n = 12
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := d.App.Tickets.Create(ctx, access.SystemPrincipal(), entity.Record{"subject": fmt.Sprintf("并发 %d", i), "description": "x",
				"customer_id": d.Cust.ID(), "channel": crm.ChannelWebForm}, nil)
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, err := d.App.DB.R().QueryContext(ctx, `SELECT owner_id, count(*) FROM tickets GROUP BY owner_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var o sql.NullString
		var c int
		if err := rows.Scan(&o, &c); err != nil {
			t.Fatal(err)
		}
		got[o.String] = c
	}
	if got[d.A1.UserID] != 3 || got[d.A2.UserID] != 3 || got[d.A3.UserID] != 3 || got[""] != 3 {
		t.Fatalf("owners after %d concurrent tickets: %v", n, got)
	}
}

func TestMerge(t *testing.T) {
	d := newDesk(t)
	ts := d.App.Tickets
	target, dup, closed := d.ticket(t, "屏幕闪烁"), d.ticket(t, "屏幕闪烁（重复）"), d.ticket(t, "旧工单")
	for _, tk := range []entity.Record{target, dup, closed} {
		if _, err := ts.Step(ctx, d.A1, tk.ID(), crm.TicketStepTake, tickets.StepInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.Step(ctx, d.A1, closed.ID(), crm.TicketStepClose, tickets.StepInput{}); err != nil {
		t.Fatal(err)
	}
	err := d.App.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := ts.CustomerWrote(ctx, tx, dup.ID(), tickets.Message{Body: "我又报了一次：屏幕一直闪", Channel: crm.ChannelEmail})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		target, code string
	}{
		{dup.ID(), "ticket_merge_self"},
		{closed.ID(), "ticket_merge_into_closed"},
		{"", "required"},
	} {
		_, err := ts.Step(ctx, d.A1, dup.ID(), crm.TicketStepMerge, tickets.StepInput{TargetID: c.target})
		if e := errs.As(err); e == nil || len(e.Fields) == 0 || e.Fields[0].Code != c.code {
			t.Errorf("merge into %q: %v, want %s", c.target, err, c.code)
		}
	}
	got, err := ts.Step(ctx, d.A1, dup.ID(), crm.TicketStepMerge, tickets.StepInput{TargetID: target.ID()})
	if err != nil || got.Str("status") != crm.TicketClosed || got.Str("merged_into_id") != target.ID() {
		t.Fatalf("merge: %v %v", got, err)
	}
	_, msgs, err := ts.Thread(ctx, d.A1, target.ID())
	if err != nil {
		t.Fatal(err)
	}
	var fromDup bool
	for _, m := range msgs {
		if m.Str("ticket_id") == dup.ID() && m.Str("kind") == crm.MessageCustomer {
			fromDup = true
		}
	}
	if !fromDup {
		t.Error("the duplicate's messages are not on the target")
	}
	// Into the merged one, and reopening the merged one, are refused.
	other := d.ticket(t, "另一个")
	if _, err := ts.Step(ctx, d.Boss, other.ID(), crm.TicketStepMerge, tickets.StepInput{TargetID: dup.ID()}); err == nil {
		t.Error("merged into a merged ticket")
	} else if e := errs.As(err); len(e.Fields) == 0 || (e.Fields[0].Code != "ticket_merge_into_merged" && e.Fields[0].Code != "ticket_merge_into_closed") {
		t.Errorf("merge into merged: %v", err)
	}
	if _, err := ts.Step(ctx, d.A1, dup.ID(), crm.TicketStepReopen, tickets.StepInput{}); errs.CodeOf(err) != "ticket_merged" {
		t.Errorf("reopen merged: %v", err)
	}
}
