package sla

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/bizcal"
	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// ClockView is one clock of a ticket as people read it.
type ClockView struct {
	Clock         string     `json:"clock"` // first_response | resolution
	TargetMinutes int64      `json:"target_minutes"`
	DueAt         *time.Time `json:"due_at,omitempty"`
	StoppedAt     *time.Time `json:"stopped_at,omitempty"` // first reply or resolution
	Running       bool       `json:"running"`
	// ElapsedMinutes is business time used of the target (paused time not
	// counted); RemainingMinutes what is left, negative once overdue.
	ElapsedMinutes   int64 `json:"elapsed_minutes"`
	RemainingMinutes int64 `json:"remaining_minutes"`
	Met              *bool `json:"met,omitempty"` // once stopped: in time or not
}

// Event is a line of a ticket's SLA history.
type Event struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"` // started, paused, resumed, first_response, warned, breached, escalated, resolved, closed
	Level int64     `json:"level,omitempty"`
	Clock string    `json:"clock,omitempty"`
	// Minutes is the business time a pause lasted.
	Minutes  int64    `json:"minutes,omitempty"`
	Notified []string `json:"notified,omitempty"`
}

// TicketView is a ticket's SLA: the policy, both clocks, the pauses, the
// state and the history.
type TicketView struct {
	TicketID        string      `json:"ticket_id"`
	PolicyID        string      `json:"policy_id,omitempty"`
	PolicyName      string      `json:"policy_name,omitempty"`
	CalendarID      string      `json:"calendar_id,omitempty"`
	CalendarName    string      `json:"calendar_name,omitempty"`
	State           string      `json:"state"`
	Cycle           int64       `json:"cycle"`
	EscalationLevel int64       `json:"escalation_level"`
	PausedAt        *time.Time  `json:"paused_at,omitempty"`
	PausedMinutes   int64       `json:"paused_minutes"` // business time paused in all, the running pause included
	WarnPercent     int64       `json:"warn_percent,omitempty"`
	Clocks          []ClockView `json:"clocks"`
	Events          []Event     `json:"events"`
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Ticket reports a ticket's SLA as of now; p must be able to read it.
func (s *Service) Ticket(ctx context.Context, p *access.Principal, id string) (*TicketView, error) {
	if _, err := s.R.Get(ctx, p, "ticket", id); err != nil {
		return nil, err
	}
	q := s.DB.R()
	st, err := loadClock(ctx, q, id)
	if err != nil {
		return nil, err
	}
	var resolvedAt, closedAt any
	if err := q.QueryRowContext(ctx, `SELECT resolved_at, closed_at FROM tickets WHERE id = $1`, id).Scan(&resolvedAt, &closedAt); err != nil {
		return nil, fmt.Errorf("sla: ticket %s: %w", id, err)
	}
	now := s.now()
	v := &TicketView{TicketID: id, PolicyID: st.PolicyID, CalendarID: st.CalendarID, State: st.State, Cycle: st.Cycle,
		EscalationLevel: st.Level, PausedAt: tp(st.PausedAt), WarnPercent: st.WarnPercent, Clocks: []ClockView{}, Events: []Event{}}
	if st.PolicyID != "" {
		var name string
		if err := q.QueryRowContext(ctx, `SELECT name FROM sla_policies WHERE id = $1`, st.PolicyID).Scan(&name); err == nil {
			v.PolicyName = name
		}
	}
	cal, calID, err := s.Calendar(ctx, q, st.CalendarID)
	if err != nil {
		return nil, err
	}
	if calID != "" {
		var name string
		if err := q.QueryRowContext(ctx, `SELECT name FROM business_calendars WHERE id = $1`, calID).Scan(&name); err == nil {
			v.CalendarName = name
		}
	}
	pausedNow := time.Duration(0)
	if !st.PausedAt.IsZero() {
		pausedNow = cal.Between(st.PausedAt, now)
	}
	v.PausedMinutes = (st.PausedSeconds + int64(pausedNow/time.Second)) / 60
	stopped := timeOf(resolvedAt)
	if stopped.IsZero() {
		stopped = timeOf(closedAt)
	}
	if crm.TicketOpen(st.Status) {
		stopped = time.Time{}
	}
	view := func(name string, target int64, due, stop time.Time) ClockView {
		c := ClockView{Clock: name, TargetMinutes: target, DueAt: tp(due), StoppedAt: tp(stop)}
		if due.IsZero() {
			return c
		}
		ref := now
		if !stop.IsZero() {
			ref = stop
		}
		if !st.PausedAt.IsZero() && stop.IsZero() {
			ref = st.PausedAt // the clock stands still while paused
		}
		rem := cal.Between(ref, due)
		c.RemainingMinutes = int64(rem / time.Minute)
		c.ElapsedMinutes = target - c.RemainingMinutes
		c.Running = stop.IsZero() && st.PausedAt.IsZero()
		if !stop.IsZero() {
			met := !stop.After(due)
			c.Met = &met
		}
		return c
	}
	if st.ResponseMinutes > 0 {
		stop := st.RespondedAt
		if stop.IsZero() && (st.Cycle > 0 || !stopped.IsZero()) {
			stop = stopped
		}
		v.Clocks = append(v.Clocks, view(crm.ClockFirstResponse, st.ResponseMinutes, st.ResponseDue, stop))
	}
	if st.ResolutionMinutes > 0 {
		v.Clocks = append(v.Clocks, view(crm.ClockResolution, st.ResolutionMinutes, st.ResolutionDue, stopped))
	}
	// History.
	if !st.CreatedAt.IsZero() && st.PolicyID != "" {
		v.Events = append(v.Events, Event{At: st.CreatedAt, Kind: "started"})
	}
	rows, err := q.QueryContext(ctx, `SELECT paused_at, resumed_at, business_seconds FROM ticket_sla_pauses WHERE ticket_id = $1 ORDER BY paused_at`, id)
	if err != nil {
		return nil, fmt.Errorf("sla: pauses of %s: %w", id, err)
	}
	for rows.Next() {
		var pa, ra any
		var secs int64
		if err := rows.Scan(&pa, &ra, &secs); err != nil {
			rows.Close()
			return nil, err
		}
		v.Events = append(v.Events, Event{At: timeOf(pa), Kind: "paused"})
		if r := timeOf(ra); !r.IsZero() {
			v.Events = append(v.Events, Event{At: r, Kind: "resumed", Minutes: secs / 60})
		}
	}
	rows.Close()
	if !st.RespondedAt.IsZero() {
		v.Events = append(v.Events, Event{At: st.RespondedAt, Kind: "first_response"})
	}
	if !st.WarnedAt.IsZero() {
		v.Events = append(v.Events, Event{At: st.WarnedAt, Kind: "warned"})
	}
	if !st.BreachedAt.IsZero() {
		v.Events = append(v.Events, Event{At: st.BreachedAt, Kind: "breached"})
	}
	erows, err := q.QueryContext(ctx, `SELECT level, clock, at, notified FROM ticket_escalations WHERE ticket_id = $1 ORDER BY at, level`, id)
	if err != nil {
		return nil, fmt.Errorf("sla: escalations of %s: %w", id, err)
	}
	for erows.Next() {
		var e Event
		var at any
		var notified sql.NullString
		if err := erows.Scan(&e.Level, &e.Clock, &at, &notified); err != nil {
			erows.Close()
			return nil, err
		}
		e.At, e.Kind = timeOf(at), "escalated"
		if notified.String != "" {
			e.Notified = splitComma(notified.String)
		}
		v.Events = append(v.Events, e)
	}
	erows.Close()
	if r := timeOf(resolvedAt); !r.IsZero() {
		v.Events = append(v.Events, Event{At: r, Kind: "resolved"})
	}
	if c := timeOf(closedAt); !c.IsZero() {
		v.Events = append(v.Events, Event{At: c, Kind: "closed"})
	}
	sortEvents(v.Events)
	return v, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func sortEvents(es []Event) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].At.Before(es[j-1].At); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// YearView is a calendar's year: its rules and every day that is not
// ordinary for its weekday.
type YearView struct {
	CalendarID string           `json:"calendar_id"`
	Name       string           `json:"name"`
	Year       int              `json:"year"`
	TimeZone   string           `json:"time_zone"`
	WorkStart  string           `json:"work_start"`
	WorkEnd    string           `json:"work_end"`
	Official   bool             `json:"official_holidays"`
	Days       []bizcal.Special `json:"days"`
	// Corrections maps a corrected date to its calendar_day record id (to
	// remove it).
	Corrections map[string]string `json:"corrections"`
	Calendar    *bizcal.Calendar  `json:"-"`
}

// Year reports a calendar's year; p must be able to read the calendar.
func (s *Service) Year(ctx context.Context, p *access.Principal, id string, year int) (*YearView, error) {
	if year < 1970 || year > 2100 {
		return nil, errs.Validation([]errs.FieldError{{Field: "year", Code: "sla_bad_year"}})
	}
	rec, err := s.R.Get(ctx, p, "business_calendar", id)
	if err != nil {
		return nil, err
	}
	cal, _, err := s.Calendar(ctx, s.DB.R(), id)
	if err != nil {
		return nil, err
	}
	v := &YearView{CalendarID: id, Name: rec.Str("name"), Year: year, TimeZone: rec.Str("time_zone"), WorkStart: rec.Str("work_start"),
		WorkEnd: rec.Str("work_end"), Official: rec.Bool("official_holidays"), Days: cal.Year(year), Corrections: map[string]string{}, Calendar: cal}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT id, date FROM calendar_days WHERE calendar_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("sla: corrections of %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid string
		var d any
		if err := rows.Scan(&cid, &d); err != nil {
			return nil, err
		}
		v.Corrections[dateOf(d)] = cid
	}
	return v, rows.Err()
}

var _ store.Querier
