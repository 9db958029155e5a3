package sla_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/apptest"
	"closeloop/internal/bizcal"
	"closeloop/internal/crm"
	"closeloop/internal/jobs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

func recordsProcess(c context.Context) context.Context { return records.AsProcess(c) }

func near(a, b time.Time) bool { d := a.Sub(b); return d < 5*time.Second && d > -5*time.Second }

// The hook through the ticket service: a new ticket gets its policy and
// deadlines; waiting for the customer pauses the clock and leaving it
// pushes the deadlines by the business time paused; the first reply stops
// the first-response clock; resolving stops the clock; reopening restarts
// the resolution clock.
func TestHookThroughTheTicketProcess(t *testing.T) {
	f := newFixture(t)
	cal := bizcal.Standard()
	tk := f.ticket(t, crm.PriorityUrgent, crm.TicketRepair)
	if tk.Str("sla_policy_id") == "" || tk.Str("sla_state") != crm.SLAOk {
		t.Fatalf("new ticket: policy %q state %q", tk.Str("sla_policy_id"), tk.Str("sla_state"))
	}
	created := tk.Time("created_at")
	if want := cal.Add(created, 30*time.Minute); !tk.Time("first_response_due_at").Equal(want) {
		t.Errorf("first response due %v, want %v", tk.Time("first_response_due_at"), want)
	}
	if want := cal.Add(created, 4*time.Hour); !tk.Time("resolution_due_at").Equal(want) {
		t.Errorf("resolution due %v, want %v", tk.Time("resolution_due_at"), want)
	}
	if got := f.instant(t, tk.ID(), "sla_breach_at"); !got.Equal(tk.Time("first_response_due_at")) {
		t.Errorf("breach instant %v", got)
	}
	// A complaint of an A customer gets the fastest policy.
	cust := f.Customer(t, f.Rep1, "苏州华星光电技术有限公司", "level", "A")
	vip := f.ticket(t, crm.PriorityLow, crm.TicketComplaint, "customer_id", cust.ID())
	if want := cal.Add(vip.Time("created_at"), 6*time.Hour); !vip.Time("resolution_due_at").Equal(want) {
		t.Errorf("A complaint resolution due %v, want %v", vip.Time("resolution_due_at"), want)
	}

	// Pause.
	p := f.set(t, tk.ID(), map[string]any{"status": crm.TicketWaitingCustomer})
	if p.Str("sla_state") != crm.SLAPaused || p.Time("sla_paused_at").IsZero() {
		t.Fatalf("waiting: state %q paused %v", p.Str("sla_state"), p.Time("sla_paused_at"))
	}
	if !f.instant(t, tk.ID(), "sla_breach_at").IsZero() || !f.instant(t, tk.ID(), "sla_warn_at").IsZero() {
		t.Error("a paused clock has pending instants")
	}
	// Pretend it paused 90 business minutes ago.
	pausedAt := cal.Add(store.Now(), -90*time.Minute)
	f.exec(t, `UPDATE tickets SET sla_paused_at = $1 WHERE id = $2`, pausedAt, tk.ID())
	oldDue := p.Time("resolution_due_at")
	r := f.set(t, tk.ID(), map[string]any{"status": crm.TicketInProgress})
	if r.Str("sla_state") != crm.SLAOk || !r.Time("sla_paused_at").IsZero() {
		t.Fatalf("resumed: state %q paused %v", r.Str("sla_state"), r.Time("sla_paused_at"))
	}
	if pushed := cal.Between(oldDue, r.Time("resolution_due_at")); pushed < 89*time.Minute || pushed > 91*time.Minute {
		t.Errorf("resolution due pushed by %v business time, want 90 min", pushed)
	}
	if n := f.count(t, `SELECT count(*) FROM ticket_sla_pauses WHERE ticket_id = $1 AND resumed_at IS NOT NULL AND business_seconds BETWEEN 5340 AND 5460`, tk.ID()); n != 1 {
		t.Errorf("pause history rows: %d", n)
	}
	// First reply: the first-response clock stops, the breach instant is the resolution's.
	r = f.set(t, tk.ID(), map[string]any{"first_responded_at": store.Now()})
	if got := f.instant(t, tk.ID(), "sla_breach_at"); !got.Equal(r.Time("resolution_due_at")) {
		t.Errorf("after the reply the breach instant is %v, want the resolution due %v", got, r.Time("resolution_due_at"))
	}
	// Resolve: nothing pending, state kept.
	r = f.set(t, tk.ID(), map[string]any{"status": crm.TicketResolved, "resolved_at": store.Now()})
	if r.Str("sla_state") != crm.SLAOk || !f.instant(t, tk.ID(), "sla_breach_at").IsZero() || !f.instant(t, tk.ID(), "sla_escalate_at").IsZero() {
		t.Errorf("resolved: state %q, instants left", r.Str("sla_state"))
	}
	// Reopen: resolution restarts from now with the full target.
	r = f.set(t, tk.ID(), map[string]any{"status": crm.TicketReopened})
	if want := cal.Add(r.Time("updated_at"), 4*time.Hour); !near(r.Time("resolution_due_at"), want) {
		t.Errorf("reopened: resolution due %v, want %v", r.Time("resolution_due_at"), want)
	}
	if n := f.count(t, `SELECT sla_cycle FROM tickets WHERE id = $1`, tk.ID()); n != 1 {
		t.Errorf("cycle %d after reopen", n)
	}
}

// The sweep: a warning once at the warning instant, a breach once at the
// deadline (level 1: assignee and team lead told, a system line), level 2
// once further on to the manager one team up.
func TestSweepFiresOnce(t *testing.T) {
	f := newFixture(t)
	tk := f.ticket(t, crm.PriorityUrgent, crm.TicketRepair)
	warnAt := f.instant(t, tk.ID(), "sla_warn_at")
	breachAt := f.instant(t, tk.ID(), "sla_breach_at")
	if warnAt.IsZero() || !warnAt.Before(breachAt) {
		t.Fatalf("warn %v breach %v", warnAt, breachAt)
	}
	sweep := func(at time.Time) (res struct{ w, b, e int }) {
		r, err := f.App.SLA.Sweep(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		return struct{ w, b, e int }{r.Warned, r.Breached, r.Escalated}
	}
	if r := sweep(warnAt.Add(-time.Second)); r.w+r.b+r.e != 0 {
		t.Errorf("early sweep did %+v", r)
	}
	if r := sweep(warnAt.Add(time.Second)); r.w != 1 || r.b != 0 {
		t.Errorf("warning sweep %+v", r)
	}
	if r := sweep(warnAt.Add(2 * time.Second)); r.w+r.b+r.e != 0 {
		t.Errorf("second warning sweep %+v", r)
	}
	got, _ := f.App.Records.Get(ctx, f.agent, "ticket", tk.ID())
	if got.Str("sla_state") != crm.SLAWarning || got.Time("sla_warned_at").IsZero() {
		t.Errorf("after the warning: %q", got.Str("sla_state"))
	}
	if n := f.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'sla_warning'`, f.agent.UserID); n != 1 {
		t.Errorf("warning notifications %d", n)
	}
	if r := sweep(breachAt.Add(time.Second)); r.b != 1 || r.w != 0 {
		t.Errorf("breach sweep %+v", r)
	}
	if r := sweep(breachAt.Add(2 * time.Second)); r.w+r.b+r.e != 0 {
		t.Errorf("second breach sweep %+v", r)
	}
	got, _ = f.App.Records.Get(ctx, f.agent, "ticket", tk.ID())
	if got.Str("sla_state") != crm.SLABreached || got.Int("escalation_level") != 1 || !got.Time("sla_breached_at").Equal(breachAt) {
		t.Errorf("after the breach: %q level %d at %v", got.Str("sla_state"), got.Int("escalation_level"), got.Time("sla_breached_at"))
	}
	if n := f.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'sla_breached'`, f.agent.UserID); n != 1 {
		t.Errorf("breach notifications to the assignee %d", n)
	}
	if n := f.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'sla_escalated'`, f.Manager.UserID); n != 1 {
		t.Errorf("escalation notifications to the team lead %d", n)
	}
	if n := f.count(t, `SELECT count(*) FROM ticket_messages WHERE ticket_id = $1 AND kind = 'system'`, tk.ID()); n != 1 {
		t.Errorf("system lines %d, want the warning's (a breach is recorded as its escalation)", n)
	}
	escAt := f.instant(t, tk.ID(), "sla_escalate_at")
	if escAt.IsZero() {
		t.Fatal("no level-2 instant")
	}
	if r := sweep(escAt.Add(time.Second)); r.e != 1 {
		t.Errorf("level-2 sweep %+v", r)
	}
	if r := sweep(escAt.Add(2 * time.Second)); r.e != 0 {
		t.Errorf("second level-2 sweep %+v", r)
	}
	if n := f.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'sla_escalated'`, f.Admin.UserID); n != 1 {
		t.Errorf("level 2 to the manager above: %d", n)
	}
	if n := f.count(t, `SELECT count(*) FROM ticket_escalations WHERE ticket_id = $1`, tk.ID()); n != 2 {
		t.Errorf("escalation rows %d", n)
	}
	// Nobody above the company: the escalation stops.
	esc3 := f.instant(t, tk.ID(), "sla_escalate_at")
	if !esc3.IsZero() {
		sweep(esc3.Add(time.Second))
		if n := f.count(t, `SELECT count(*) FROM ticket_escalations WHERE ticket_id = $1`, tk.ID()); n != 2 {
			t.Errorf("escalated past the top of the tree: %d", n)
		}
		if !f.instant(t, tk.ID(), "sla_escalate_at").IsZero() {
			t.Error("escalation instant left past the top")
		}
	}
}

// Ten thousand tickets breaching together give exactly one level-1
// escalation and one breach notification each — with three servers on one
// PostgreSQL running the jobs and sweeping at the same time (one app on
// SQLite).
func TestTenThousandBreachesOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("bulk")
	}
	const n = 10000
	f := newFixture(t)
	tpl := f.ticket(t, crm.PriorityUrgent, crm.TicketRepair)
	past := store.Now().Add(-time.Minute)
	cloneTickets(t, f.App.DB, tpl.ID(), n-1, crm.TicketAssigned, past, nil, past.Add(-72*time.Hour), past)
	f.exec(t, `UPDATE tickets SET sla_breach_at = $1, sla_warn_at = NULL WHERE id = $2`, past, tpl.ID())
	apps := []*app.App{f.App}
	if apptest.IsPG() {
		for range 2 {
			cfg := apptest.Config(t)
			cfg.DB = f.App.Cfg.DB
			a, err := app.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			apps = append(apps, a)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i, a := range apps {
		a.Jobs.Poll = 50 * time.Millisecond
		for k := range 3 {
			if _, err := jobs.Enqueue(ctx, a.DB.W(), "sla.sweep", "test-"+string(rune('a'+i))+string(rune('0'+k)), nil, time.Time{}, 3); err != nil {
				t.Fatal(err)
			}
		}
		wg.Add(2)
		go func() { defer wg.Done(); a.Jobs.Run(runCtx) }()
		go func() { // and a direct sweep on every server at once
			defer wg.Done()
			if _, err := a.SLA.Sweep(runCtx, time.Now()); err != nil && runCtx.Err() == nil {
				t.Error(err)
			}
		}()
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if f.count(t, `SELECT count(*) FROM jobs WHERE kind = 'sla.sweep' AND unique_key LIKE 'test-%' AND status <> 'done'`) == 0 &&
			f.count(t, `SELECT count(*) FROM tickets WHERE sla_breach_at IS NOT NULL`) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if got := f.count(t, `SELECT count(*) FROM ticket_escalations WHERE level = 1`); got != n {
		t.Errorf("level-1 escalations %d, want %d", got, n)
	}
	if got := f.count(t, `SELECT count(DISTINCT ticket_id) FROM ticket_escalations WHERE level = 1`); got != n {
		t.Errorf("tickets escalated %d, want %d", got, n)
	}
	if got := f.count(t, `SELECT count(*) FROM notifications WHERE kind = 'sla_breached'`); got != n {
		t.Errorf("breach notifications %d, want %d", got, n)
	}
	if got := f.count(t, `SELECT count(*) FROM notifications WHERE kind = 'sla_escalated' AND user_id = $1`, f.Manager.UserID); got != n {
		t.Errorf("team-lead notifications %d, want %d", got, n)
	}
	if got := f.count(t, `SELECT count(*) FROM tickets WHERE sla_state = 'breached'`); got != n {
		t.Errorf("breached tickets %d, want %d", got, n)
	}
	t.Logf("%d servers", len(apps))
}

// A policy with reassign_on_breach takes a breached ticket back to its
// team's queue; a paused ticket is not swept; a resolved one is not either.
func TestBreachReassignsAndSkipsPausedAndResolved(t *testing.T) {
	f := newFixture(t)
	f.exec(t, `UPDATE sla_policies SET reassign_on_breach = TRUE WHERE priority = $1`, crm.PriorityHigh)
	tk := f.ticket(t, crm.PriorityHigh, crm.TicketRepair)
	paused := f.ticket(t, crm.PriorityHigh, crm.TicketRepair)
	f.set(t, paused.ID(), map[string]any{"status": crm.TicketWaitingCustomer})
	done := f.ticket(t, crm.PriorityHigh, crm.TicketRepair)
	f.set(t, done.ID(), map[string]any{"status": crm.TicketResolved, "resolved_at": store.Now()})
	r, err := f.App.SLA.Sweep(ctx, time.Now().Add(30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r.Breached != 1 {
		t.Errorf("breached %d, want only the running ticket", r.Breached)
	}
	got, err := f.App.Records.Get(ctx, f.Admin, "ticket", tk.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Str("owner_id") != "" || got.Str("sla_state") != crm.SLABreached {
		t.Errorf("after a reassigning breach: owner %q state %q", got.Str("owner_id"), got.Str("sla_state"))
	}
	if n := f.count(t, `SELECT count(*) FROM ticket_escalations WHERE ticket_id = $1 AND reassigned`, tk.ID()); n != 1 {
		t.Errorf("reassignment not recorded: %d", n)
	}
	for _, id := range []string{paused.ID(), done.ID()} {
		if n := f.count(t, `SELECT count(*) FROM ticket_escalations WHERE ticket_id = $1`, id); n != 0 {
			t.Errorf("%s escalated", id)
		}
	}
}
