package crm

import (
	"testing"
	"time"

	"closeloop/internal/errs"
)

func TestTicketNext(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name   string
		status string
		in     TicketStepInput
		want   string
		code   string
	}{
		{"first reply starts work", TicketNew, TicketStepInput{Step: TicketStepReply}, TicketInProgress, ""},
		{"reply on assigned", TicketAssigned, TicketStepInput{Step: TicketStepReply}, TicketInProgress, ""},
		{"reply and wait", TicketAssigned, TicketStepInput{Step: TicketStepReply, Wait: true}, TicketWaitingCustomer, ""},
		{"reply while waiting parts keeps it", TicketWaitingParts, TicketStepInput{Step: TicketStepReply}, TicketWaitingParts, ""},
		{"reply on resolved refused", TicketResolved, TicketStepInput{Step: TicketStepReply}, "", "ticket_step"},
		{"note on closed", TicketClosed, TicketStepInput{Step: TicketStepNote}, TicketClosed, ""},
		{"assign new", TicketNew, TicketStepInput{Step: TicketStepAssign}, TicketAssigned, ""},
		{"assign in progress keeps", TicketInProgress, TicketStepInput{Step: TicketStepAssign}, TicketInProgress, ""},
		{"take closed refused", TicketClosed, TicketStepInput{Step: TicketStepTake}, "", "ticket_step"},
		{"wait parts", TicketInProgress, TicketStepInput{Step: TicketStepWaitParts}, TicketWaitingParts, ""},
		{"resume", TicketWaitingCustomer, TicketStepInput{Step: TicketStepResume}, TicketInProgress, ""},
		{"resume not waiting", TicketInProgress, TicketStepInput{Step: TicketStepResume}, "", "ticket_step"},
		{"resolve needs cause", TicketInProgress, TicketStepInput{Step: TicketStepResolve, Resolution: "x"}, "", "validation"},
		{"resolve", TicketInProgress, TicketStepInput{Step: TicketStepResolve, Cause: "usage", Resolution: "x"}, TicketResolved, ""},
		{"resolve twice", TicketResolved, TicketStepInput{Step: TicketStepResolve, Cause: "usage", Resolution: "x"}, "", "ticket_step"},
		{"close resolved", TicketResolved, TicketStepInput{Step: TicketStepClose}, TicketClosed, ""},
		{"close closed", TicketClosed, TicketStepInput{Step: TicketStepClose}, "", "ticket_step"},
		{"reopen in window", TicketResolved, TicketStepInput{Step: TicketStepReopen, ResolvedAt: now.Add(-6 * 24 * time.Hour), Now: now}, TicketReopened, ""},
		{"reopen at the edge", TicketResolved, TicketStepInput{Step: TicketStepReopen, ResolvedAt: now.Add(-7 * 24 * time.Hour), Now: now}, TicketReopened, ""},
		{"reopen too late", TicketClosed, TicketStepInput{Step: TicketStepReopen, ResolvedAt: now.Add(-8 * 24 * time.Hour), Now: now}, "", "reopen_window_passed"},
		{"reopen with a longer window", TicketClosed, TicketStepInput{Step: TicketStepReopen, ResolvedAt: now.Add(-8 * 24 * time.Hour), Now: now, ReopenDays: 30}, TicketReopened, ""},
		{"reopen an open ticket", TicketInProgress, TicketStepInput{Step: TicketStepReopen, Now: now}, "", "ticket_step"},
		{"reopen a merged ticket", TicketClosed, TicketStepInput{Step: TicketStepReopen, Now: now, Merged: true}, "", "ticket_merged"},
		{"merge closes", TicketInProgress, TicketStepInput{Step: TicketStepMerge}, TicketClosed, ""},
		{"merge a closed one", TicketClosed, TicketStepInput{Step: TicketStepMerge}, "", "ticket_step"},
		{"unknown step", TicketNew, TicketStepInput{Step: "fly"}, "", "ticket_step"},
	} {
		got, err := TicketNext(c.status, c.in)
		if c.code != "" {
			if errs.CodeOf(err) != c.code {
				t.Errorf("%s: error %v, want %s", c.name, err, c.code)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: %q %v, want %q", c.name, got, err, c.want)
		}
	}
}

func TestNextDeadline(t *testing.T) {
	a, b := time.Unix(1000, 0), time.Unix(2000, 0)
	var z time.Time
	for _, c := range []struct {
		fr, res, answered, want time.Time
	}{
		{a, b, z, a}, {a, b, a, b}, {z, b, z, b}, {a, z, z, a}, {z, z, z, z}, {b, a, z, a},
	} {
		if got := NextDeadline(c.fr, c.res, c.answered); !got.Equal(c.want) {
			t.Errorf("NextDeadline(%v,%v,%v) = %v, want %v", c.fr, c.res, c.answered, got, c.want)
		}
	}
}

func TestPickAgent(t *testing.T) {
	t0 := time.Unix(1000, 0)
	cands := []AgentCandidate{
		{ID: "a", Active: true, MaxOpen: 5, Open: 1, Skills: []string{"printer"}, Regions: []string{"east"}, LastAssignedAt: t0.Add(time.Hour)},
		{ID: "b", Active: true, MaxOpen: 5, Open: 5, Skills: []string{"printer"}, Regions: []string{"east"}},
		{ID: "c", Active: false, MaxOpen: 5, Skills: []string{"printer"}, Regions: []string{"east"}},
		{ID: "d", Active: true, MaxOpen: 5, Open: 0, Skills: []string{"network"}, Regions: []string{"east"}, LastAssignedAt: t0},
		{ID: "e", Active: true, MaxOpen: 5, Open: 0, LastAssignedAt: t0.Add(-time.Hour)},
	}
	for _, c := range []struct {
		skill, region, want string
	}{
		{"printer", "east", "a"}, // b full, c inactive
		{"network", "", "d"},
		{"", "east", "d"},
		{"", "", "e"},    // assigned longest ago
		{"cad", "", "e"}, // nobody has the skill: anyone who fits
		{"printer", "north", "a"},
	} {
		i := PickAgent(cands, c.skill, c.region)
		if i < 0 || cands[i].ID != c.want {
			t.Errorf("PickAgent(%q,%q) = %d, want %s", c.skill, c.region, i, c.want)
		}
	}
	if PickAgent(cands[1:3], "", "") != -1 {
		t.Error("a full and an inactive agent were picked")
	}
	never := []AgentCandidate{{ID: "x", Active: true, MaxOpen: 1, LastAssignedAt: t0}, {ID: "y", Active: true, MaxOpen: 1}}
	if PickAgent(never, "", "") != 1 {
		t.Error("an agent never assigned goes first")
	}
}
