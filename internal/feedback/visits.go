package feedback

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Return visits (回访): typed in, or planned by the rules in the daily job
// feedback.plan_visits — N days after a delivery is signed or a task
// accepted, N days after a ticket is resolved, or every N months for
// customers of a level. Each planned visit has a unique plan key (rule and
// source, and the period for periodic ones), so running the job again, or
// on several servers, never plans one twice. Recording the outcome
// (reached or not) marks the visit done.

// LookBackDays bounds how far back the job looks for events to plan from
// (beyond a rule's N days): events older than that are not planned.
const LookBackDays = 30

func (s *Service) prepareVisit(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old == nil && !records.IsProcess(ctx) && rec.Str("status") == "" {
		rec["status"] = crm.ReturnVisitPlanned
	}
	if rec.Str("reach") != "" && (old == nil || old.Str("reach") == "") && rec.Str("status") == crm.ReturnVisitPlanned {
		rec["status"] = crm.ReturnVisitDone
	}
	if rec.Str("status") == crm.ReturnVisitDone && (old == nil || old.Str("status") != crm.ReturnVisitDone) {
		if rec.Str("reach") == "" {
			return errs.Field("reach", "required")
		}
		rec["done_at"] = s.now()
	}
	if rec.Str("status") == crm.ReturnVisitPlanned {
		rec["done_at"] = nil
	}
	return nil
}

func (s *Service) afterVisit(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	data := map[string]any{"title": rec.Str("subject"), "due": rec.Str("due_date")}
	switch {
	case ch.Action == records.Create:
		return s.event(ctx, tx, p, rec.Str("customer_id"), "return_visit_planned", "return_visit", rec.ID(), data)
	case ch.Action == records.Update && ch.Has("status") && rec.Str("status") == crm.ReturnVisitDone:
		data["note"], data["satisfaction"], data["reach"] = rec.Str("notes"), rec.Int("satisfaction"), rec.Str("reach")
		if n := rec.Str("new_needs"); n != "" {
			data["note"] = n
		}
		return s.event(ctx, tx, p, rec.Str("customer_id"), "return_visit_done", "return_visit", rec.ID(), data)
	}
	return nil
}

// source is one event a rule plans a visit from.
type source struct {
	entity, id, customerID, ticketID, owner, subject string
	day                                              time.Time // the event's date in the company time zone
}

// PlanVisits runs every active rule once: it plans the visits due from
// the events it finds, at most limit in all, and returns how many it
// planned. Idempotent.
func (s *Service) PlanVisits(ctx context.Context, limit int) (int, error) {
	re := s.entity("return_visit_rule")
	page, err := s.R.List(ctx, system(), re.Name, entity.Query{Conds: []entity.Cond{{Field: re.Field("active"), Op: entity.Eq, Values: []any{true}}}, Sort: re.Field("name"), Limit: 200})
	if err != nil {
		return 0, fmt.Errorf("feedback: rules: %w", err)
	}
	n := 0
	for _, rule := range page.Items {
		if n >= limit {
			break
		}
		srcs, period, due, err := s.sources(ctx, rule)
		if err != nil {
			return n, err
		}
		for _, src := range srcs {
			if n >= limit {
				break
			}
			ok, err := s.planOne(ctx, rule, src, period, due)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
	}
	return n, nil
}

func (s *Service) sources(ctx context.Context, rule entity.Record) ([]source, string, time.Time, error) {
	now := s.now()
	days := int(rule.Int("days"))
	since := now.AddDate(0, 0, -(days + LookBackDays))
	var query string
	var args []any
	switch rule.Str("trigger") {
	case crm.TriggerAfterAcceptance:
		query = `SELECT 'delivery', d.id, d.customer_id, '', c.owner_id, d.number, d.signed_at FROM deliveries d JOIN customers c ON c.id = d.customer_id
			WHERE d.signed_at IS NOT NULL AND d.signed_at >= $1 AND d.deleted_at IS NULL
			UNION ALL SELECT 'service_task', k.id, k.customer_id, '', c.owner_id, k.number, k.accepted_at FROM service_tasks k JOIN customers c ON c.id = k.customer_id
			WHERE k.accepted_at IS NOT NULL AND k.accepted_at >= $1 AND k.deleted_at IS NULL`
		args = []any{since}
	case crm.TriggerAfterResolved:
		query = `SELECT 'ticket', t.id, t.customer_id, t.id, CASE WHEN $2 = 'ticket_agent' AND t.owner_id IS NOT NULL THEN t.owner_id ELSE c.owner_id END, t.number, t.resolved_at
			FROM tickets t JOIN customers c ON c.id = t.customer_id
			WHERE t.resolved_at IS NOT NULL AND t.resolved_at >= $1 AND t.deleted_at IS NULL AND t.merged_into_id IS NULL`
		args = []any{since, rule.Str("assignee")}
	case crm.TriggerPeriodicByLevel:
		if rule.Str("customer_level") == "" {
			return nil, "", time.Time{}, nil
		}
		query = `SELECT 'customer', c.id, c.id, '', c.owner_id, c.name, c.created_at FROM customers c
			WHERE c.level = $1 AND c.deleted_at IS NULL AND c.status <> 'lost' AND c.owner_id IS NOT NULL`
		args = []any{rule.Str("customer_level")}
	default:
		return nil, "", time.Time{}, nil
	}
	rows, err := s.DB.R().QueryContext(ctx, query+` ORDER BY 7 LIMIT 5000`, args...)
	if err != nil {
		return nil, "", time.Time{}, fmt.Errorf("feedback: sources of rule %s: %w", rule.Str("name"), err)
	}
	defer rows.Close()
	var out []source
	for rows.Next() {
		var src source
		var cust, ticket, owner, subj *string
		var at any
		if err := rows.Scan(&src.entity, &src.id, &cust, &ticket, &owner, &subj, &at); err != nil {
			return nil, "", time.Time{}, err
		}
		deref := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		src.customerID, src.ticketID, src.owner, src.subject = deref(cust), deref(ticket), deref(owner), deref(subj)
		t := store.ScanTime(at).In(s.R.Loc)
		src.day = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.R.Loc)
		if src.customerID != "" {
			out = append(out, src)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", time.Time{}, err
	}
	var period string
	var due time.Time
	if rule.Str("trigger") == crm.TriggerPeriodicByLevel {
		period, due = crm.VisitPeriod(now.In(s.R.Loc), int(rule.Int("months")))
	}
	return out, period, due, nil
}

// planOne plans the visit of one rule and source unless its plan key
// exists already (the unique index settles a race between servers).
func (s *Service) planOne(ctx context.Context, rule entity.Record, src source, period string, periodDue time.Time) (bool, error) {
	key := crm.VisitPlanKey(rule.ID(), src.entity, src.id, period)
	due := periodDue
	if period == "" {
		due = crm.VisitDue(src.day, int(rule.Int("days")))
	}
	trigger := rule.Str("trigger")
	subject := map[string]string{crm.TriggerAfterAcceptance: "签收/验收回访", crm.TriggerAfterResolved: "工单解决回访", crm.TriggerPeriodicByLevel: "定期回访"}[trigger]
	if src.subject != "" {
		subject += "：" + src.subject
	}
	planned := false
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM return_visits WHERE plan_key = $1`, key).Scan(&n); err != nil {
			return fmt.Errorf("feedback: plan key: %w", err)
		}
		if n > 0 {
			return nil
		}
		rec := entity.Record{"subject": truncate(subject, 200), "customer_id": src.customerID, "due_date": due.Format(entity.DateLayout),
			"status": crm.ReturnVisitPlanned, "trigger": trigger, "rule_id": rule.ID(), "source_entity": src.entity, "source_id": src.id,
			"plan_key": key, "owner_id": src.owner}
		if src.ticketID != "" {
			rec["ticket_id"] = src.ticketID
			if c := scalar(ctx, tx, `SELECT contact_id FROM tickets WHERE id = $1`, src.ticketID); c != "" {
				rec["contact_id"] = c
			}
		}
		v, err := s.R.InsertTx(records.AsProcess(ctx), tx, system(), "return_visit", rec)
		if err != nil {
			return fmt.Errorf("feedback: plan visit %s: %w", key, err)
		}
		planned = true
		return s.notify(ctx, tx, src.owner, "return_visit_planned", "return_visit", v.ID(), map[string]any{"title": rec["subject"], "due": rec["due_date"]})
	})
	return planned, err
}
