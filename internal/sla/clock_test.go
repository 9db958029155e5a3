package sla

import (
	"testing"
	"time"

	"closeloop/internal/bizcal"
	"closeloop/internal/crm"
)

var sh, _ = time.LoadLocation("Asia/Shanghai")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
	if err != nil {
		panic(err)
	}
	return t
}

func fmtT(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(sh).Format("2006-01-02 15:04")
}

// step is one write on the ticket at a moment.
type step struct {
	at     string
	status string // "" keeps it
	reply  bool   // first public reply
}

// The clock as a table on the standard calendar: each case opens a ticket
// under a policy, applies its steps, and checks the deadlines, the state
// and the next warning and breach instants.
func TestClockTable(t *testing.T) {
	cal := bizcal.Standard()
	urgent := crm.PolicyTerms{ID: "u", FirstResponseMinutes: 30, ResolutionMinutes: 240, WarnPercent: 80}
	normal := crm.PolicyTerms{ID: "n", FirstResponseMinutes: 240, ResolutionMinutes: 3 * 540, WarnPercent: 80}
	for _, c := range []struct {
		name       string
		policy     crm.PolicyTerms
		open       string
		steps      []step
		respDue    string
		resDue     string
		state      string
		warnAt     string
		breachAt   string
		pausedSecs int64
	}{
		{name: "urgent in the afternoon", policy: urgent, open: "2026-12-02 14:00",
			respDue: "2026-12-02 14:30", resDue: "2026-12-02 18:00", state: crm.SLAOk, warnAt: "2026-12-02 14:24", breachAt: "2026-12-02 14:30"},
		{name: "urgent at night", policy: urgent, open: "2026-12-02 22:10",
			respDue: "2026-12-03 09:30", resDue: "2026-12-03 13:00", state: crm.SLAOk, warnAt: "2026-12-03 09:24", breachAt: "2026-12-03 09:30"},
		{name: "urgent on Friday evening", policy: urgent, open: "2026-12-04 17:50",
			respDue: "2026-12-07 09:20", resDue: "2026-12-07 12:50", state: crm.SLAOk, warnAt: "2026-12-07 09:14", breachAt: "2026-12-07 09:20"},
		{name: "normal before the Spring Festival: the make-up Saturday counts", policy: normal, open: "2026-02-12 10:00",
			respDue: "2026-02-12 14:00", resDue: "2026-02-24 10:00", state: crm.SLAOk, warnAt: "2026-02-12 13:12", breachAt: "2026-02-12 14:00"},
		{name: "normal before National Day, answered", policy: normal, open: "2026-09-29 16:00", steps: []step{{at: "2026-09-29 16:30", reply: true}},
			respDue: "2026-09-30 11:00", resDue: "2026-10-09 16:00", state: crm.SLAOk, warnAt: "2026-10-09 10:36", breachAt: "2026-10-09 16:00"},
		{name: "paused over the weekend: deadline pushed by business time only", policy: urgent, open: "2026-12-04 16:00",
			steps:   []step{{at: "2026-12-04 16:10", reply: true}, {at: "2026-12-04 17:00", status: crm.TicketWaitingCustomer}, {at: "2026-12-07 10:00", status: crm.TicketInProgress}},
			respDue: "2026-12-04 16:30", resDue: "2026-12-07 13:00", state: crm.SLAOk, warnAt: "2026-12-07 12:12", breachAt: "2026-12-07 13:00", pausedSecs: 7200},
		{name: "paused across the Spring Festival", policy: urgent, open: "2026-02-13 15:00",
			steps:   []step{{at: "2026-02-13 15:05", reply: true}, {at: "2026-02-13 16:00", status: crm.TicketWaitingCustomer}, {at: "2026-02-24 09:30", status: crm.TicketInProgress}},
			respDue: "2026-02-13 15:30", resDue: "2026-02-24 12:30", state: crm.SLAOk, warnAt: "2026-02-24 11:42", breachAt: "2026-02-24 12:30", pausedSecs: 41400}, // 02-13 16–18, the make-up Saturday 02-14, 02-24 09:00–09:30
		{name: "while paused nothing is pending", policy: urgent, open: "2026-12-02 10:00",
			steps:   []step{{at: "2026-12-02 10:05", reply: true}, {at: "2026-12-02 11:00", status: crm.TicketWaitingCustomer}},
			respDue: "2026-12-02 10:30", resDue: "2026-12-02 14:00", state: crm.SLAPaused},
		{name: "answered late: breached at the deadline, clock goes on", policy: urgent, open: "2026-12-02 10:00", steps: []step{{at: "2026-12-02 10:45", reply: true}},
			respDue: "2026-12-02 10:30", resDue: "2026-12-02 14:00", state: crm.SLABreached},
		{name: "resolved late stays breached", policy: urgent, open: "2026-12-02 10:00",
			steps:   []step{{at: "2026-12-02 10:10", reply: true}, {at: "2026-12-02 15:00", status: crm.TicketResolved}},
			respDue: "2026-12-02 10:30", resDue: "2026-12-02 14:00", state: crm.SLABreached},
		{name: "resolved in time, clock stopped", policy: urgent, open: "2026-12-02 10:00",
			steps:   []step{{at: "2026-12-02 10:10", reply: true}, {at: "2026-12-02 12:00", status: crm.TicketResolved}},
			respDue: "2026-12-02 10:30", resDue: "2026-12-02 14:00", state: crm.SLAOk},
		{name: "reopened restarts resolution from the reopen", policy: urgent, open: "2026-12-02 10:00",
			steps:   []step{{at: "2026-12-02 10:10", reply: true}, {at: "2026-12-02 15:00", status: crm.TicketResolved}, {at: "2026-12-04 16:00", status: crm.TicketReopened}},
			respDue: "2026-12-02 10:30", resDue: "2026-12-07 11:00", state: crm.SLAOk, warnAt: "2026-12-07 10:12", breachAt: "2026-12-07 11:00"},
	} {
		cl := Clock{Status: crm.TicketNew}
		cl.Start(cal, at(c.open), c.policy)
		for _, s := range c.steps {
			now := at(s.at)
			old := cl.Status
			if s.status != "" {
				cl.Status = s.status
			}
			if old == crm.TicketWaitingCustomer && cl.Status != old {
				cl.Resume(cal, now)
			}
			if s.reply {
				cl.Respond(cal, now)
			}
			if !crm.TicketOpen(old) && crm.TicketOpen(cl.Status) {
				cl.Reopen(cal, now)
			}
			if cl.Status == crm.TicketWaitingCustomer && old != cl.Status {
				cl.Pause(now)
			}
			if crm.TicketOpen(old) && !crm.TicketOpen(cl.Status) {
				cl.Stop(now)
			}
			cl.Schedule(cal)
		}
		got := []string{fmtT(cl.ResponseDue), fmtT(cl.ResolutionDue), cl.State, fmtT(cl.WarnAt), fmtT(cl.BreachAt)}
		want := []string{c.respDue, c.resDue, c.state, or(c.warnAt), or(c.breachAt)}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: got %v, want %v", c.name, got, want)
				break
			}
		}
		if cl.PausedSeconds != c.pausedSecs {
			t.Errorf("%s: paused %ds, want %d", c.name, cl.PausedSeconds, c.pausedSecs)
		}
	}
}

func or(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func TestEscalationSchedule(t *testing.T) {
	cal := bizcal.Standard()
	cl := Clock{Status: crm.TicketInProgress}
	cl.Start(cal, at("2026-12-02 10:00"), crm.PolicyTerms{FirstResponseMinutes: 30, ResolutionMinutes: 240, WarnPercent: 80})
	cl.Respond(cal, at("2026-12-02 10:05"))
	cl.Schedule(cal)
	// Level 2 at due + 50 % of 4 h, level 3 at + 100 %, none past the maximum.
	if got := fmtT(cl.EscalateAt); got != "2026-12-02 16:00" {
		t.Errorf("level 2 at %s", got)
	}
	if got := fmtT(cl.EscalationAt(cal, 3)); got != "2026-12-02 18:00" {
		t.Errorf("level 3 at %s", got)
	}
	if !cl.EscalationAt(cal, crm.MaxEscalationLevel+1).IsZero() {
		t.Error("an escalation past the last level")
	}
}
