package crm

import (
	"slices"
	"strings"
	"time"

	"closeloop/internal/errs"
)

// The ticket process's pure rules (no database, no HTTP): which status a
// step leads to, the reopen window, the nearest open deadline that sorts
// the agent's queue, and which agents may take a ticket. The process
// itself is internal/tickets.

// Ticket steps: what an agent may do to a ticket.
const (
	TicketStepReply        = "reply"
	TicketStepNote         = "note"
	TicketStepAssign       = "assign"
	TicketStepTake         = "take"
	TicketStepWaitCustomer = "wait_customer"
	TicketStepWaitParts    = "wait_parts"
	TicketStepResume       = "resume"
	TicketStepResolve      = "resolve"
	TicketStepClose        = "close"
	TicketStepReopen       = "reopen"
	TicketStepMerge        = "merge"
)

// DefaultReopenDays is how long after resolution a ticket may be reopened
// when no setting says otherwise.
const DefaultReopenDays = 7

// MaxReopenDays bounds the reopen-window setting.
const MaxReopenDays = 365

// TicketStepInput is what a step needs to decide the next status.
type TicketStepInput struct {
	Step       string
	Wait       bool   // reply: and wait for the customer
	Cause      string // resolve
	Resolution string // resolve
	ResolvedAt time.Time
	ClosedAt   time.Time
	Now        time.Time
	ReopenDays int
	Merged     bool // the ticket was merged into another
}

// TicketNext decides the status a step takes a ticket to (the same status
// when the step does not move it), or refuses it with a 4xx error:
// ticket_step (the step does not apply at this status),
// ticket_cause_required / ticket_resolution_required (resolve),
// reopen_window_passed (reopen), ticket_merged (a merged ticket is done).
func TicketNext(status string, in TicketStepInput) (string, error) {
	if in.Merged && in.Step != TicketStepNote {
		return "", errs.New(errs.Unprocessable, "ticket_merged")
	}
	refuse := func() (string, error) {
		return "", errs.New(errs.Unprocessable, "ticket_step", "current", status, "step", in.Step)
	}
	move := func(to string) (string, error) {
		if !TicketCanMove(status, to) {
			return refuse()
		}
		return to, nil
	}
	switch in.Step {
	case TicketStepNote:
		return status, nil
	case TicketStepReply:
		if !TicketOpen(status) {
			return refuse()
		}
		if in.Wait {
			if status == TicketWaitingCustomer {
				return status, nil
			}
			return move(TicketWaitingCustomer)
		}
		switch status {
		case TicketNew, TicketAssigned, TicketReopened:
			return move(TicketInProgress)
		}
		return status, nil
	case TicketStepAssign, TicketStepTake:
		if !TicketOpen(status) {
			return refuse()
		}
		if status == TicketNew {
			return move(TicketAssigned)
		}
		return status, nil
	case TicketStepWaitCustomer:
		return move(TicketWaitingCustomer)
	case TicketStepWaitParts:
		return move(TicketWaitingParts)
	case TicketStepResume:
		if status != TicketWaitingCustomer && status != TicketWaitingParts {
			return refuse()
		}
		return move(TicketInProgress)
	case TicketStepResolve:
		if !TicketOpen(status) {
			return refuse()
		}
		var bad []errs.FieldError
		if strings.TrimSpace(in.Cause) == "" {
			bad = append(bad, errs.FieldError{Field: "cause", Code: "ticket_cause_required"})
		}
		if strings.TrimSpace(in.Resolution) == "" {
			bad = append(bad, errs.FieldError{Field: "resolution", Code: "ticket_resolution_required"})
		}
		if err := errs.Validation(bad); err != nil {
			return "", err
		}
		return move(TicketResolved)
	case TicketStepClose:
		return move(TicketClosed)
	case TicketStepReopen:
		if !TicketCanMove(status, TicketReopened) {
			return refuse()
		}
		if !ReopenAllowed(in.ResolvedAt, in.ClosedAt, in.Now, in.ReopenDays) {
			return "", errs.New(errs.Unprocessable, "reopen_window_passed", "days", ReopenDaysOrDefault(in.ReopenDays))
		}
		return TicketReopened, nil
	case TicketStepMerge:
		if status == TicketClosed {
			return refuse()
		}
		return move(TicketClosed)
	}
	return "", errs.New(errs.Unprocessable, "ticket_step", "current", status, "step", in.Step)
}

// ReopenDaysOrDefault is the reopen window in force (the default when the
// setting is missing or out of range).
func ReopenDaysOrDefault(days int) int {
	if days < 1 || days > MaxReopenDays {
		return DefaultReopenDays
	}
	return days
}

// ReopenAllowed reports whether a ticket resolved at resolvedAt (or, never
// resolved, closed at closedAt) may still be reopened at now: within the
// window of days after it.
func ReopenAllowed(resolvedAt, closedAt, now time.Time, days int) bool {
	from := resolvedAt
	if from.IsZero() {
		from = closedAt
	}
	if from.IsZero() {
		return true
	}
	return !now.After(from.Add(time.Duration(ReopenDaysOrDefault(days)) * 24 * time.Hour))
}

// NextDeadline is the nearest deadline still open on a ticket: the first
// response while nobody answered, else the resolution (zero when neither
// is set). The queue sorts by it, so breached tickets (deadline passed)
// come first.
func NextDeadline(firstResponseDue, resolutionDue, firstRespondedAt time.Time) time.Time {
	if firstRespondedAt.IsZero() && !firstResponseDue.IsZero() && (resolutionDue.IsZero() || firstResponseDue.Before(resolutionDue)) {
		return firstResponseDue
	}
	return resolutionDue
}

// AgentCandidate is a service agent as assignment sees them.
type AgentCandidate struct {
	ID, UserID, TeamID string
	Skills, Regions    []string
	MaxOpen, Open      int
	Active             bool
	LastAssignedAt     time.Time
	Version            int64 // of the agent's row: the round-robin claim compares it
}

// AgentFits reports whether an agent may take a ticket needing skill in
// region (empty: any): active, under their limit, with the skill and the
// region when the ticket names them.
func AgentFits(a AgentCandidate, skill, region string) bool {
	if !a.Active || a.Open >= a.MaxOpen {
		return false
	}
	if skill != "" && !slices.Contains(a.Skills, skill) {
		return false
	}
	if region != "" && !slices.Contains(a.Regions, region) {
		return false
	}
	return true
}

// PickAgent chooses who gets a ticket among candidates: those who fit
// (AgentFits), then round-robin — the one assigned longest ago (never
// assigned first), ties by id. When nobody has both skill and region, the
// skill alone is tried, then the region alone, then anyone who fits. It
// returns -1 when nobody may take the ticket.
func PickAgent(cands []AgentCandidate, skill, region string) int {
	for _, want := range [][2]string{{skill, region}, {skill, ""}, {"", region}, {"", ""}} {
		best := -1
		for i, a := range cands {
			if !AgentFits(a, want[0], want[1]) {
				continue
			}
			if best < 0 || earlier(a, cands[best]) {
				best = i
			}
		}
		if best >= 0 {
			return best
		}
	}
	return -1
}

func earlier(a, b AgentCandidate) bool {
	switch {
	case a.LastAssignedAt.IsZero() != b.LastAssignedAt.IsZero():
		return a.LastAssignedAt.IsZero()
	case !a.LastAssignedAt.Equal(b.LastAssignedAt):
		return a.LastAssignedAt.Before(b.LastAssignedAt)
	}
	return a.ID < b.ID
}
