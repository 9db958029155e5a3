package sla

import (
	"time"

	"closeloop/internal/bizcal"
	"closeloop/internal/crm"
)

// Clock is a ticket's SLA clock as the rules see it: two deadlines
// counted in business time on a calendar, the first response's and the
// resolution's, and the instants the sweep acts on next. Every transition
// is a pure method; the hook loads a Clock from the ticket, applies the
// transition the write makes, and writes it back.
type Clock struct {
	Status string // the ticket's status after the write
	Cycle  int64  // 0, then +1 on each reopen

	ResponseMinutes, ResolutionMinutes, WarnPercent int64

	ResponseDue, ResolutionDue time.Time // zero: that clock does not run
	RespondedAt                time.Time
	PausedAt                   time.Time
	PausedSeconds              int64 // business time paused so far
	WarnedAt, BreachedAt       time.Time
	Level                      int64 // escalation level reached

	// What the sweep looks at: zero when nothing is pending.
	WarnAt, BreachAt, EscalateAt time.Time
	State                        string
}

func minutes(n int64) time.Duration { return time.Duration(n) * time.Minute }

// responseRunning: the first-response clock runs until the first public
// reply, and only in the ticket's first cycle (a reopened ticket has been
// answered).
func (c *Clock) responseRunning() bool {
	return !c.ResponseDue.IsZero() && c.RespondedAt.IsZero() && c.Cycle == 0
}

func (c *Clock) open() bool { return crm.TicketOpen(c.Status) }

// Start sets the deadlines of a ticket opened at t0 under a policy.
func (c *Clock) Start(cal *bizcal.Calendar, t0 time.Time, p crm.PolicyTerms) {
	c.ResponseMinutes, c.ResolutionMinutes, c.WarnPercent = p.FirstResponseMinutes, p.ResolutionMinutes, p.WarnPercent
	if c.WarnPercent <= 0 || c.WarnPercent >= 100 {
		c.WarnPercent = 80
	}
	c.ResponseDue = cal.Add(t0, minutes(c.ResponseMinutes))
	c.ResolutionDue = cal.Add(t0, minutes(c.ResolutionMinutes))
	if !c.RespondedAt.IsZero() { // answered in the same write that opened it
		c.stopResponse(c.RespondedAt)
	}
	c.Schedule(cal)
}

// Retarget applies another policy to an open ticket (its kind, priority
// or customer changed): the deadlines are counted again from the opening
// t0, plus the business time paused so far; a breach already recorded
// stays.
func (c *Clock) Retarget(cal *bizcal.Calendar, t0 time.Time, p crm.PolicyTerms, now time.Time) {
	if c.Cycle > 0 {
		return // a reopened ticket keeps the resolution target it restarted with
	}
	paused := time.Duration(c.PausedSeconds) * time.Second
	c.ResponseMinutes, c.ResolutionMinutes, c.WarnPercent = p.FirstResponseMinutes, p.ResolutionMinutes, p.WarnPercent
	if c.WarnPercent <= 0 || c.WarnPercent >= 100 {
		c.WarnPercent = 80
	}
	c.ResponseDue = cal.Add(t0, minutes(c.ResponseMinutes)+paused)
	c.ResolutionDue = cal.Add(t0, minutes(c.ResolutionMinutes)+paused)
	if c.BreachedAt.IsZero() && !c.WarnedAt.IsZero() && now.Before(c.warnOf(cal, c.earliestDue(), c.targetOf(c.earliestDue()))) {
		c.WarnedAt = time.Time{} // the new target is further away: warn again when it comes
	}
	c.Schedule(cal)
}

// Pause stops the clock while the ticket waits for the customer.
func (c *Clock) Pause(now time.Time) {
	if c.PausedAt.IsZero() {
		c.PausedAt = now
	}
}

// Resume restarts a paused clock at now: every deadline still ahead when
// the clock paused moves so that the business time left is the same as at
// the pause. It returns the business time paused.
func (c *Clock) Resume(cal *bizcal.Calendar, now time.Time) time.Duration {
	if c.PausedAt.IsZero() {
		return 0
	}
	paused := cal.Between(c.PausedAt, now)
	if paused < 0 {
		paused = 0
	}
	push := func(due time.Time) time.Time {
		if due.IsZero() || !due.After(c.PausedAt) {
			return due // already due when it paused: the breach stands
		}
		return cal.Add(now, cal.Between(c.PausedAt, due))
	}
	if c.responseRunning() {
		c.ResponseDue = push(c.ResponseDue)
	}
	c.ResolutionDue = push(c.ResolutionDue)
	c.PausedSeconds += int64(paused / time.Second)
	c.PausedAt = time.Time{}
	return paused
}

// Respond records the first public reply at t (the first-response clock
// stops). A warning given for the first response is withdrawn when the
// resolution clock is not yet at its own warning point, so that one can
// warn in its turn.
func (c *Clock) Respond(cal *bizcal.Calendar, t time.Time) {
	if !c.RespondedAt.IsZero() && !c.ResponseDue.IsZero() {
		return
	}
	c.RespondedAt = t
	c.stopResponse(t)
	if c.BreachedAt.IsZero() && !c.WarnedAt.IsZero() && !c.ResolutionDue.IsZero() &&
		t.Before(c.warnOf(cal, c.ResolutionDue, c.ResolutionMinutes)) {
		c.WarnedAt = time.Time{}
	}
}

// stopResponse marks a late first response as a breach when the sweep has
// not yet (the clock stops either way).
func (c *Clock) stopResponse(t time.Time) {
	if c.Cycle == 0 && !c.ResponseDue.IsZero() && c.BreachedAt.IsZero() && t.After(c.ResponseDue) {
		c.BreachedAt = c.ResponseDue
	}
}

// Stop ends the clock when the ticket is resolved or closed at t; its
// state stays (a ticket resolved late stays breached, and one resolved
// after its deadline before the sweep saw it is marked breached now).
func (c *Clock) Stop(t time.Time) {
	if c.responseRunning() {
		c.stopResponse(t)
	}
	if !c.ResolutionDue.IsZero() && c.BreachedAt.IsZero() && t.After(c.ResolutionDue) {
		c.BreachedAt = c.ResolutionDue
	}
	c.PausedAt = time.Time{}
}

// Reopen starts a new cycle at now: the resolution clock restarts with its
// full target from the reopen moment; warnings, breach and escalation
// start over (the earlier cycle's stay in the escalation history).
func (c *Clock) Reopen(cal *bizcal.Calendar, now time.Time) {
	c.Cycle++
	c.WarnedAt, c.BreachedAt, c.PausedAt = time.Time{}, time.Time{}, time.Time{}
	c.Level = 0
	if c.ResolutionMinutes > 0 {
		c.ResolutionDue = cal.Add(now, minutes(c.ResolutionMinutes))
	}
}

// targetOf is the target of the clock whose deadline is due.
func (c *Clock) targetOf(due time.Time) int64 {
	if c.responseRunning() && due.Equal(c.ResponseDue) {
		return c.ResponseMinutes
	}
	return c.ResolutionMinutes
}

// warnOf is the warning instant of a clock: WarnPercent of its target
// elapsed, i.e. the rest of the target before its (possibly pushed) due.
func (c *Clock) warnOf(cal *bizcal.Calendar, due time.Time, target int64) time.Time {
	rest := minutes(target) * time.Duration(100-c.WarnPercent) / 100
	return cal.Add(due, -rest)
}

// earliestDue is the nearer deadline of the running clocks (zero: none).
func (c *Clock) earliestDue() time.Time {
	var d time.Time
	if c.responseRunning() {
		d = c.ResponseDue
	}
	if !c.ResolutionDue.IsZero() && (d.IsZero() || c.ResolutionDue.Before(d)) {
		d = c.ResolutionDue
	}
	return d
}

// EscalationAt is when level (≥ 2) falls due: the resolution deadline
// plus (level−1) × EscalationStepPercent of its target.
func (c *Clock) EscalationAt(cal *bizcal.Calendar, level int64) time.Time {
	if c.ResolutionDue.IsZero() || level < 2 || level > crm.MaxEscalationLevel {
		return time.Time{}
	}
	return cal.Add(c.ResolutionDue, minutes(c.ResolutionMinutes)*time.Duration((level-1)*crm.EscalationStepPercent)/100)
}

// Schedule derives the state and the instants the sweep acts on.
func (c *Clock) Schedule(cal *bizcal.Calendar) {
	c.WarnAt, c.BreachAt, c.EscalateAt = time.Time{}, time.Time{}, time.Time{}
	running := c.open() && c.PausedAt.IsZero() && !c.earliestDue().IsZero()
	if running {
		if c.BreachedAt.IsZero() {
			c.BreachAt = c.earliestDue()
			if c.WarnedAt.IsZero() {
				var w time.Time
				if c.responseRunning() {
					w = c.warnOf(cal, c.ResponseDue, c.ResponseMinutes)
				}
				if !c.ResolutionDue.IsZero() {
					if r := c.warnOf(cal, c.ResolutionDue, c.ResolutionMinutes); w.IsZero() || r.Before(w) {
						w = r
					}
				}
				c.WarnAt = w
			}
		}
		next := c.Level + 1
		if next < 2 {
			next = 2
		}
		c.EscalateAt = c.EscalationAt(cal, next)
	}
	switch {
	case c.open() && !c.PausedAt.IsZero():
		c.State = crm.SLAPaused
	case !c.BreachedAt.IsZero():
		c.State = crm.SLABreached
	case !c.WarnedAt.IsZero():
		c.State = crm.SLAWarning
	default:
		c.State = crm.SLAOk
	}
}
