// Package sla keeps the SLA clock of service tickets (服务时效): it picks
// the policy of a new ticket (kind × priority × customer level), sets the
// first-response and resolution deadlines in business time on the
// policy's calendar (internal/bizcal), pauses the clock while the ticket
// waits for the customer and pushes the deadlines by the business time
// paused, stops it on the first reply and on resolution, restarts the
// resolution clock on reopen — all as a records hook on "ticket", so every
// write path (the ticket process, the API, imports) keeps it — and sweeps
// the running clocks every minute: a warning at the policy's percentage of
// a target, a breach at the deadline with escalation up the team tree.
//
// The sweep's transitions are set-based conditional UPDATEs on instants
// the hook precomputed (tickets.sla_warn_at, sla_breach_at,
// sla_escalate_at, NULL when nothing is pending) under partial indexes, so
// each transition fires once however many servers sweep, and a sweep reads
// only the tickets whose instant has come.
package sla

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/bizcal"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Service is the SLA service.
type Service struct {
	R  *records.Service
	DB *store.DB

	nowFunc func() time.Time
	// pending carries a ticket's clock from its Prepare to its After (same
	// transaction, same write).
	pending sync.Map // pendingKey → *pendingClock
}

type pendingKey struct {
	tx *store.Tx
	id string
}

type pendingClock struct {
	c          Clock
	calendarID string
	paused     bool // a pause starts with this write
	resumed    bool // a pause ends with this write
	pausedBy   time.Duration
	now        time.Time
}

// New creates the service and registers its rules on tickets and
// calendars.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, nowFunc: store.Now}
	r.On("ticket", records.Hooks{Prepare: s.prepareTicket, After: s.afterTicket})
	r.On("business_calendar", records.Hooks{Prepare: s.prepareCalendar})
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

// prepareCalendar refuses a calendar the clock could not count on.
func (s *Service) prepareCalendar(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	_, err := bizcal.New(bizcal.Config{TimeZone: rec.Str("time_zone"), WorkStart: rec.Str("work_start"), WorkEnd: rec.Str("work_end")})
	if err == nil {
		return nil
	}
	var bad []errs.FieldError
	if _, e := time.LoadLocation(rec.Str("time_zone")); e != nil || rec.Str("time_zone") == "" {
		bad = append(bad, errs.FieldError{Field: "time_zone", Code: "sla_bad_time_zone"})
	}
	ws, e1 := bizcal.ParseClock(rec.Str("work_start"))
	we, e2 := bizcal.ParseClock(rec.Str("work_end"))
	switch {
	case e1 != nil:
		bad = append(bad, errs.FieldError{Field: "work_start", Code: "sla_bad_clock"})
	case e2 != nil:
		bad = append(bad, errs.FieldError{Field: "work_end", Code: "sla_bad_clock"})
	case we <= ws:
		bad = append(bad, errs.FieldError{Field: "work_end", Code: "sla_end_before_start"})
	}
	if len(bad) == 0 {
		return err
	}
	return errs.Validation(bad)
}

// Calendar loads a business calendar with its corrections; id "" is the
// default calendar (is_default), or the built-in standard calendar when
// there is none. It returns the id used ("" for the built-in one).
func (s *Service) Calendar(ctx context.Context, q store.Querier, id string) (*bizcal.Calendar, string, error) {
	if id == "" {
		err := q.QueryRowContext(ctx, `SELECT id FROM business_calendars WHERE is_default AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1`).Scan(&id)
		if err == sql.ErrNoRows {
			return bizcal.Standard(), "", nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("sla: default calendar: %w", err)
		}
	}
	var tz, ws, we string
	var days sql.NullString
	var official bool
	err := q.QueryRowContext(ctx, `SELECT time_zone, work_start, work_end, work_days, official_holidays FROM business_calendars WHERE id = $1`, id).
		Scan(&tz, &ws, &we, &days, &official)
	if err == sql.ErrNoRows {
		return nil, "", errs.NotFoundf("business_calendar")
	}
	if err != nil {
		return nil, "", fmt.Errorf("sla: calendar %s: %w", id, err)
	}
	cfg := bizcal.Config{TimeZone: tz, WorkStart: ws, WorkEnd: we, Official: official, Weekdays: []time.Weekday{}, Corrections: map[string]bizcal.Correction{}}
	var codes []string
	if days.Valid && days.String != "" {
		_ = json.Unmarshal([]byte(days.String), &codes)
	}
	for _, c := range codes {
		if len(c) == 1 && c[0] >= '0' && c[0] <= '6' {
			cfg.Weekdays = append(cfg.Weekdays, time.Weekday(c[0]-'0'))
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT date, kind, name FROM calendar_days WHERE calendar_id = $1`, id)
	if err != nil {
		return nil, "", fmt.Errorf("sla: corrections of %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var d any
		var kind string
		var name sql.NullString
		if err := rows.Scan(&d, &kind, &name); err != nil {
			return nil, "", err
		}
		cfg.Corrections[dateOf(d)] = bizcal.Correction{Work: kind == crm.DayWorkday, Name: name.String}
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	cal, err := bizcal.New(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("sla: calendar %s: %w", id, err)
	}
	return cal, id, nil
}

// dateOf reads a DATE column as either engine gives it.
func dateOf(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.Format(bizcal.DateLayout)
	case []byte:
		return dateOf(string(x))
	case string:
		if len(x) >= 10 {
			return x[:10]
		}
		return x
	}
	return ""
}

// timeOf reads a TIMESTAMP column as either engine gives it (zero for NULL).
func timeOf(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return entity.CanonTime(x)
	case []byte:
		return timeOf(string(x))
	case string:
		for _, l := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
			if t, err := time.Parse(l, x); err == nil {
				return entity.CanonTime(t)
			}
		}
	}
	return time.Time{}
}

// nullTime is a time for a statement: NULL when zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return entity.CanonTime(t)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Policies are the active SLA policies.
func (s *Service) Policies(ctx context.Context, q store.Querier) ([]crm.PolicyTerms, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, ticket_kind, priority, customer_level, first_response_minutes, resolution_minutes, warn_percent,
		calendar_id, reassign_on_breach, active FROM sla_policies WHERE deleted_at IS NULL AND active`)
	if err != nil {
		return nil, fmt.Errorf("sla: policies: %w", err)
	}
	defer rows.Close()
	var out []crm.PolicyTerms
	for rows.Next() {
		var p crm.PolicyTerms
		var kind, prio, level, cal sql.NullString
		if err := rows.Scan(&p.ID, &p.Name, &kind, &prio, &level, &p.FirstResponseMinutes, &p.ResolutionMinutes, &p.WarnPercent, &cal, &p.ReassignOnBreach, &p.Active); err != nil {
			return nil, fmt.Errorf("sla: policies: %w", err)
		}
		p.TicketKind, p.Priority, p.CustomerLevel, p.CalendarID = kind.String, prio.String, level.String, cal.String
		out = append(out, p)
	}
	return out, rows.Err()
}

// customerLevel is the level (A/B/C/D) of a ticket's customer, "" when none.
func customerLevel(ctx context.Context, q store.Querier, customerID string) (string, error) {
	if customerID == "" {
		return "", nil
	}
	var level sql.NullString
	err := q.QueryRowContext(ctx, `SELECT level FROM customers WHERE id = $1`, customerID).Scan(&level)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sla: customer level: %w", err)
	}
	return level.String, nil
}

// policyFor matches the ticket's policy.
func (s *Service) policyFor(ctx context.Context, q store.Querier, rec entity.Record) (crm.PolicyTerms, bool, error) {
	level, err := customerLevel(ctx, q, rec.Str("customer_id"))
	if err != nil {
		return crm.PolicyTerms{}, false, err
	}
	ps, err := s.Policies(ctx, q)
	if err != nil {
		return crm.PolicyTerms{}, false, err
	}
	p, ok := crm.MatchPolicy(ps, rec.Str("kind"), rec.Str("priority"), level)
	return p, ok, nil
}

// ticketColumns are the SLA columns of a ticket as the hook and the
// report read them.
const ticketColumns = `status, sla_policy_id, sla_state, first_response_due_at, resolution_due_at, first_responded_at, sla_paused_at, sla_warned_at,
	sla_breached_at, escalation_level, sla_warn_at, sla_breach_at, sla_escalate_at, sla_response_minutes, sla_resolution_minutes, sla_warn_percent,
	sla_calendar_id, sla_paused_seconds, sla_cycle, created_at`

// stored is a ticket's clock as stored.
type stored struct {
	Clock
	PolicyID   string
	CalendarID string
	CreatedAt  time.Time
}

func loadClock(ctx context.Context, q store.Querier, id string) (*stored, error) {
	var st stored
	var pol, cal sql.NullString
	var rm, resm, wp sql.NullInt64
	var frd, rd, fra, pa, wa, ba, w, b, e, ca any
	err := q.QueryRowContext(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = $1`, id).Scan(&st.Status, &pol, &st.State, &frd, &rd, &fra, &pa, &wa,
		&ba, &st.Level, &w, &b, &e, &rm, &resm, &wp, &cal, &st.PausedSeconds, &st.Cycle, &ca)
	if err == sql.ErrNoRows {
		return nil, errs.NotFoundf("ticket")
	}
	if err != nil {
		return nil, fmt.Errorf("sla: clock of %s: %w", id, err)
	}
	st.PolicyID, st.CalendarID = pol.String, cal.String
	st.ResponseMinutes, st.ResolutionMinutes, st.WarnPercent = rm.Int64, resm.Int64, wp.Int64
	st.ResponseDue, st.ResolutionDue, st.RespondedAt, st.PausedAt = timeOf(frd), timeOf(rd), timeOf(fra), timeOf(pa)
	st.WarnedAt, st.BreachedAt, st.WarnAt, st.BreachAt, st.EscalateAt = timeOf(wa), timeOf(ba), timeOf(w), timeOf(b), timeOf(e)
	st.CreatedAt = timeOf(ca)
	return &st, nil
}

// prepareTicket runs the clock transition of a ticket write and sets the
// ticket's declared SLA fields; the sweep's instants follow in After.
func (s *Service) prepareTicket(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	now := rec.Time("updated_at")
	if now.IsZero() {
		now = s.now()
	}
	pc := &pendingClock{now: now}
	if old == nil {
		pol, ok, err := s.policyFor(ctx, tx, rec)
		if err != nil {
			return err
		}
		if !ok {
			rec["sla_state"] = crm.SLAOk
			return nil // no policy: no clock
		}
		cal, calID, err := s.Calendar(ctx, tx, pol.CalendarID)
		if err != nil {
			return err
		}
		c := Clock{Status: rec.Str("status"), RespondedAt: rec.Time("first_responded_at")}
		start := rec.Time("created_at")
		if start.IsZero() {
			start = now
		}
		c.Start(cal, start, pol)
		if c.Status == crm.TicketWaitingCustomer {
			c.Pause(now)
			pc.paused = true
		}
		if !crm.TicketOpen(c.Status) {
			c.Stop(now)
		}
		c.Schedule(cal)
		rec["sla_policy_id"] = pol.ID
		pc.c, pc.calendarID = c, calID
		apply(rec, &c)
		s.pending.Store(pendingKey{tx, rec.ID()}, pc)
		return nil
	}
	changed := func(f string) bool { return !entity.Equal(old[f], rec[f]) }
	if !changed("status") && !changed("first_responded_at") && !changed("priority") && !changed("kind") && !changed("customer_id") {
		return nil
	}
	st, err := loadClock(ctx, tx, old.ID())
	if err != nil {
		return err
	}
	oldStatus, newStatus := st.Status, rec.Str("status")
	if st.PolicyID == "" || st.ResolutionMinutes == 0 {
		// No clock yet (no policy matched when it opened): a change of what
		// the policy depends on may find one now.
		if !crm.TicketOpen(newStatus) || (!changed("priority") && !changed("kind") && !changed("customer_id")) {
			return nil
		}
		pol, ok, err := s.policyFor(ctx, tx, rec)
		if err != nil || !ok {
			return err
		}
		cal, calID, err := s.Calendar(ctx, tx, pol.CalendarID)
		if err != nil {
			return err
		}
		c := Clock{Status: newStatus, RespondedAt: rec.Time("first_responded_at")}
		c.Start(cal, st.CreatedAt, pol)
		if newStatus == crm.TicketWaitingCustomer {
			c.Pause(now)
			pc.paused = true
		}
		c.Schedule(cal)
		rec["sla_policy_id"] = pol.ID
		pc.c, pc.calendarID = c, calID
		apply(rec, &c)
		s.pending.Store(pendingKey{tx, rec.ID()}, pc)
		return nil
	}
	cal, calID, err := s.Calendar(ctx, tx, st.CalendarID)
	if err != nil {
		return err
	}
	c := st.Clock
	c.Status = newStatus
	wasOpen, isOpen := crm.TicketOpen(oldStatus), crm.TicketOpen(newStatus)
	if oldStatus == crm.TicketWaitingCustomer && newStatus != crm.TicketWaitingCustomer {
		pc.pausedBy = c.Resume(cal, now)
		pc.resumed = true
	}
	if isOpen && wasOpen && (changed("priority") || changed("kind") || changed("customer_id")) {
		pol, ok, err := s.policyFor(ctx, tx, rec)
		if err != nil {
			return err
		}
		if ok && pol.ID != st.PolicyID {
			c.Retarget(cal, st.CreatedAt, pol, now)
			rec["sla_policy_id"] = pol.ID
		}
	}
	if t := rec.Time("first_responded_at"); !t.IsZero() && st.RespondedAt.IsZero() {
		c.Respond(cal, t)
	}
	if !wasOpen && isOpen {
		c.Reopen(cal, now)
	}
	if newStatus == crm.TicketWaitingCustomer && oldStatus != crm.TicketWaitingCustomer {
		c.Pause(now)
		pc.paused = true
	}
	if wasOpen && !isOpen {
		c.Stop(now)
	}
	c.Schedule(cal)
	pc.c, pc.calendarID = c, calID
	apply(rec, &c)
	s.pending.Store(pendingKey{tx, rec.ID()}, pc)
	return nil
}

// apply sets the ticket's declared SLA fields from the clock.
func apply(rec entity.Record, c *Clock) {
	t := func(x time.Time) any {
		if x.IsZero() {
			return nil
		}
		return entity.CanonTime(x)
	}
	rec["first_response_due_at"] = t(c.ResponseDue)
	rec["resolution_due_at"] = t(c.ResolutionDue)
	rec["sla_paused_at"] = t(c.PausedAt)
	rec["sla_warned_at"] = t(c.WarnedAt)
	rec["sla_breached_at"] = t(c.BreachedAt)
	rec["escalation_level"] = c.Level
	rec["sla_state"] = c.State
}

// afterTicket stores the clock's own columns and the pause history.
func (s *Service) afterTicket(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	key := pendingKey{tx, ch.New.ID()}
	v, ok := s.pending.LoadAndDelete(key)
	if !ok {
		return nil
	}
	pc := v.(*pendingClock)
	c := pc.c
	if _, err := tx.ExecContext(ctx, `UPDATE tickets SET sla_warn_at = $1, sla_breach_at = $2, sla_escalate_at = $3, sla_response_minutes = $4,
		sla_resolution_minutes = $5, sla_warn_percent = $6, sla_calendar_id = $7, sla_paused_seconds = $8, sla_cycle = $9 WHERE id = $10`,
		nullTime(c.WarnAt), nullTime(c.BreachAt), nullTime(c.EscalateAt), c.ResponseMinutes, c.ResolutionMinutes, c.WarnPercent,
		nullStr(pc.calendarID), c.PausedSeconds, c.Cycle, ch.New.ID()); err != nil {
		return fmt.Errorf("sla: clock of %s: %w", ch.New.ID(), err)
	}
	if pc.resumed {
		if _, err := tx.ExecContext(ctx, `UPDATE ticket_sla_pauses SET resumed_at = $1, business_seconds = $2 WHERE ticket_id = $3 AND resumed_at IS NULL`,
			pc.now, int64(pc.pausedBy/time.Second), ch.New.ID()); err != nil {
			return fmt.Errorf("sla: pause of %s: %w", ch.New.ID(), err)
		}
	}
	if pc.paused {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_sla_pauses (id, ticket_id, paused_at, business_seconds) VALUES ($1, $2, $3, 0)`,
			store.NewID(), ch.New.ID(), pc.now); err != nil {
			return fmt.Errorf("sla: pause of %s: %w", ch.New.ID(), err)
		}
	}
	return nil
}

// SeedDefaults writes the standard calendar and the shipped policies the
// first time (never again once an admin has any, even deleted).
func (s *Service) SeedDefaults(ctx context.Context, tx *store.Tx) error {
	sys := access.SystemPrincipal()
	ctx = records.AsProcess(ctx)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM business_calendars`).Scan(&n); err != nil {
		return fmt.Errorf("sla: seed: %w", err)
	}
	if n == 0 {
		if _, err := s.R.InsertTx(ctx, tx, sys, "business_calendar", entity.Record{"name": "中国大陆标准工作日历", "code": crm.DefaultCalendarCode,
			"time_zone": "Asia/Shanghai", "work_start": "09:00", "work_end": "18:00", "work_days": []string{"1", "2", "3", "4", "5"},
			"official_holidays": true, "is_default": true}); err != nil {
			return fmt.Errorf("sla: seed calendar: %w", err)
		}
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sla_policies`).Scan(&n); err != nil {
		return fmt.Errorf("sla: seed: %w", err)
	}
	if n > 0 {
		return nil
	}
	for _, p := range crm.DefaultPolicies {
		rec := entity.Record{"name": p.Name, "first_response_minutes": p.FirstResponseMinutes, "resolution_minutes": p.ResolutionMinutes,
			"warn_percent": p.WarnPercent, "active": true, "reassign_on_breach": false}
		for k, v := range map[string]string{"ticket_kind": p.TicketKind, "priority": p.Priority, "customer_level": p.CustomerLevel} {
			if v != "" {
				rec[k] = v
			}
		}
		if _, err := s.R.InsertTx(ctx, tx, sys, "sla_policy", rec); err != nil {
			return fmt.Errorf("sla: seed policy %s: %w", p.Name, err)
		}
	}
	return nil
}

var _ = strings.TrimSpace
