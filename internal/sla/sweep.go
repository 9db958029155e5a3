package sla

import (
	"context"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/bizcal"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Notification kinds (catalogue entries notify.<kind> in sla.json).
const (
	NotifyWarning   = "sla_warning"   // to the assignee
	NotifyBreached  = "sla_breached"  // to the assignee
	NotifyEscalated = "sla_escalated" // to the team lead (level 1) and the managers above (level ≥ 2)
)

// SweepBatch is how many tickets one conditional UPDATE flips at most; a
// sweep repeats it until nothing is left.
var SweepBatch = 5000

// Result counts what a sweep did.
type Result struct {
	Warned, Breached, Escalated, Reassigned int
}

// Sweep applies every SLA transition that has come by now: breaches first
// (a breach withdraws a pending warning), then warnings, then the later
// escalation levels. Each transition is one conditional UPDATE … RETURNING
// over the partial index of its instant: a ticket flips once, whichever
// server sweeps first, and its notifications, system line and escalation
// row are written in the same transaction as the flip.
func (s *Service) Sweep(ctx context.Context, now time.Time) (Result, error) {
	now = entity.CanonTime(now)
	var res Result
	for {
		n, err := s.breachBatch(ctx, now, &res)
		if err != nil {
			return res, err
		}
		if n < SweepBatch {
			break
		}
	}
	for {
		n, err := s.warnBatch(ctx, now, &res)
		if err != nil {
			return res, err
		}
		if n < SweepBatch {
			break
		}
	}
	for {
		n, err := s.escalateBatch(ctx, now, &res)
		if err != nil {
			return res, err
		}
		if n < 500 {
			break
		}
	}
	return res, nil
}

type team struct{ parent, manager string }

func (s *Service) teams(ctx context.Context, q store.Querier) (map[string]team, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, parent_id, manager_id FROM teams WHERE deleted_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("sla: teams: %w", err)
	}
	defer rows.Close()
	out := map[string]team{}
	for rows.Next() {
		var id string
		var parent, manager any
		if err := rows.Scan(&id, &parent, &manager); err != nil {
			return nil, err
		}
		out[id] = team{parent: str(parent), manager: str(manager)}
	}
	return out, rows.Err()
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case fmt.Stringer:
		return x.String()
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:])
	}
	return ""
}

// ancestorManager is the manager of the team up steps from teamID (0: the
// team itself); ok is false when the tree ends before.
func ancestorManager(ts map[string]team, teamID string, up int) (string, bool) {
	id := teamID
	for range up {
		t, ok := ts[id]
		if !ok || t.parent == "" {
			return "", false
		}
		id = t.parent
	}
	t, ok := ts[id]
	if !ok {
		return "", false
	}
	return t.manager, true
}

// rowsBuf collects rows for one multi-row INSERT per chunk.
type rowsBuf struct {
	table string
	cols  []string
	rows  [][]any
}

func (b *rowsBuf) add(vals ...any) { b.rows = append(b.rows, vals) }

func (b *rowsBuf) flush(ctx context.Context, tx *store.Tx, suffix string) error {
	const chunk = 400
	for start := 0; start < len(b.rows); start += chunk {
		end := min(start+chunk, len(b.rows))
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + b.table + " (" + strings.Join(b.cols, ", ") + ") VALUES ")
		args := make([]any, 0, (end-start)*len(b.cols))
		for i, r := range b.rows[start:end] {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for j, v := range r {
				if j > 0 {
					sb.WriteString(", ")
				}
				args = append(args, v)
				if tx.DB.Dialect == store.Postgres {
					fmt.Fprintf(&sb, "$%d", len(args))
				} else {
					sb.WriteByte('?') // positional: the driver binds $N by name, slowly in long statements
				}
			}
			sb.WriteByte(')')
		}
		sb.WriteString(suffix)
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("sla: insert into %s: %w", b.table, err)
		}
	}
	return nil
}

func notifications() *rowsBuf {
	return &rowsBuf{table: "notifications", cols: []string{"id", "user_id", "at", "kind", "entity", "record_id", "data"}}
}

func messages() *rowsBuf {
	return &rowsBuf{table: "ticket_messages", cols: []string{"id", "ticket_id", "kind", "body", "version", "created_at", "updated_at"}}
}

func escalations() *rowsBuf {
	return &rowsBuf{table: "ticket_escalations", cols: []string{"id", "ticket_id", "cycle", "level", "clock", "at", "notified", "reassigned"}}
}

func jsonData(kv ...string) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "%q:%q", kv[i], kv[i+1])
	}
	sb.WriteByte('}')
	return sb.String()
}

func (s *Service) local(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.R.Loc).Format("2006-01-02 15:04")
}

var clockZh = map[string]string{crm.ClockFirstResponse: "首次响应", crm.ClockResolution: "解决"}

// flipped is a ticket a transition just flipped.
type flipped struct {
	id, number, subject, owner, team, policy string
	cycle                                    int64
	at, responseDue, resolutionDue, answered time.Time
}

func (f flipped) clock(at time.Time) string {
	if f.answered.IsZero() && f.cycle == 0 && !f.responseDue.IsZero() && f.responseDue.Equal(at) {
		return crm.ClockFirstResponse
	}
	return crm.ClockResolution
}

func scanFlipped(rows interface{ Scan(...any) error }) (flipped, error) {
	var f flipped
	var owner, team, policy, at, frd, rd, fra any
	if err := rows.Scan(&f.id, &f.number, &f.subject, &owner, &team, &policy, &f.cycle, &at, &frd, &rd, &fra); err != nil {
		return f, err
	}
	f.owner, f.team, f.policy = str(owner), str(team), str(policy)
	f.at, f.responseDue, f.resolutionDue, f.answered = timeOf(at), timeOf(frd), timeOf(rd), timeOf(fra)
	return f, nil
}

const flippedCols = `id, number, subject, owner_id, team_id, sla_policy_id, sla_cycle, %s, first_response_due_at, resolution_due_at, first_responded_at`

// sqlUUID is a new random id per row, in SQL.
func sqlUUID(d store.Dialect) string {
	if d == store.Postgres {
		return "gen_random_uuid()"
	}
	return `(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' ||
		substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))`
}

// sqlJSON builds a JSON object text from key/expression pairs, in SQL.
func sqlJSON(d store.Dialect, kv ...string) string {
	fn := "json_object("
	if d == store.Postgres {
		fn = "json_build_object("
	}
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, "'"+kv[i]+"', "+kv[i+1])
	}
	out := fn + strings.Join(parts, ", ") + ")"
	if d == store.Postgres {
		out += "::text"
	}
	return out
}

func sqlText(d store.Dialect, expr string) string {
	if d == store.Postgres {
		return expr + "::text"
	}
	return expr
}

// breachBatch flags up to SweepBatch tickets whose deadline has come, set
// by set: the level-1 escalation rows are inserted first under their
// unique (ticket, cycle, level) — the exactly-once gate: a concurrent
// sweep's insert of the same row waits and does nothing — tagged with
// this sweep's id; the tickets so tagged flip to breached, and the
// notifications (assignee, team lead) are inserted from
// the tagged rows. Four statements, however many tickets.
func (s *Service) breachBatch(ctx context.Context, now time.Time, res *Result) (int, error) {
	n := 0
	d := s.DB.Dialect
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		n = 0
		tok := store.NewID()
		// Who is told: the assignee and the team lead (once when they are
		// the same person).
		notified := `CASE WHEN t.owner_id IS NULL THEN ` + sqlText(d, "tm.manager_id") + `
				WHEN tm.manager_id IS NULL OR tm.manager_id = t.owner_id THEN ` + sqlText(d, "t.owner_id") + `
				ELSE ` + sqlText(d, "t.owner_id") + ` || ',' || ` + sqlText(d, "tm.manager_id") + ` END`
		r, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO ticket_escalations (id, ticket_id, cycle, level, clock, at, notified, reassigned, sweep_id)
			SELECT %s, t.id, t.sla_cycle, 1,
				CASE WHEN t.first_responded_at IS NULL AND t.sla_cycle = 0 AND t.first_response_due_at = t.sla_breach_at THEN '%s' ELSE '%s' END,
				$1, %s, FALSE, $2
			FROM tickets t LEFT JOIN teams tm ON tm.id = t.team_id
			WHERE t.sla_breach_at IS NOT NULL AND t.sla_breach_at <= $1 AND t.deleted_at IS NULL ORDER BY t.sla_breach_at LIMIT %d
			ON CONFLICT (ticket_id, cycle, level) DO NOTHING`, sqlUUID(d), crm.ClockFirstResponse, crm.ClockResolution, notified, SweepBatch), now, tok)
		if err != nil {
			return fmt.Errorf("sla: breach escalations: %w", err)
		}
		k, _ := r.RowsAffected()
		if k == 0 {
			// Nothing new; clear instants whose escalation exists already
			// (a breach recorded by another path) so they are not read again.
			_, err := tx.ExecContext(ctx, `UPDATE tickets SET sla_breach_at = NULL WHERE sla_breach_at IS NOT NULL AND sla_breach_at <= $1
				AND EXISTS (SELECT 1 FROM ticket_escalations e WHERE e.ticket_id = tickets.id AND e.cycle = tickets.sla_cycle AND e.level = 1)`, now)
			return err
		}
		tagged := `SELECT ticket_id FROM ticket_escalations WHERE sweep_id = $2`
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET sla_state = $3, sla_breached_at = sla_breach_at, sla_breach_at = NULL, sla_warn_at = NULL,
			escalation_level = CASE WHEN escalation_level < 1 THEN 1 ELSE escalation_level END, version = version + 1, updated_at = $1
			WHERE id IN (`+tagged+`)`, now, tok, crm.SLABreached); err != nil {
			return fmt.Errorf("sla: breach: %w", err)
		}
		data := sqlJSON(d, "number", "t.number", "subject", "t.subject", "clock", "e.clock", "level", "'1'")
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO notifications (id, user_id, at, kind, entity, record_id, data)
			SELECT %s, t.owner_id, $1, '%s', 'ticket', %s, %s
			FROM ticket_escalations e JOIN tickets t ON t.id = e.ticket_id WHERE e.sweep_id = $2 AND t.owner_id IS NOT NULL`,
			sqlUUID(d), NotifyBreached, sqlText(d, "t.id"), data), now, tok); err != nil {
			return fmt.Errorf("sla: breach notifications: %w", err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO notifications (id, user_id, at, kind, entity, record_id, data)
			SELECT %s, tm.manager_id, $1, '%s', 'ticket', %s, %s
			FROM ticket_escalations e JOIN tickets t ON t.id = e.ticket_id JOIN teams tm ON tm.id = t.team_id
			WHERE e.sweep_id = $2 AND tm.manager_id IS NOT NULL AND (t.owner_id IS NULL OR tm.manager_id <> t.owner_id)`,
			sqlUUID(d), NotifyEscalated, sqlText(d, "t.id"), data), now, tok); err != nil {
			return fmt.Errorf("sla: escalation notifications: %w", err)
		}
		// No system line per breach: the escalation row is the record (the
		// ticket's SLA panel and GET /tickets/{id}/sla show it), and ten
		// thousand conversation rows would double the sweep's cost.
		// The tickets going back to their queue.
		back, err := store.Strings(ctx, tx, `SELECT t.id FROM tickets t JOIN sla_policies p ON p.id = t.sla_policy_id
			WHERE t.id IN (SELECT ticket_id FROM ticket_escalations WHERE sweep_id = $1) AND p.reassign_on_breach AND t.owner_id IS NOT NULL`, tok)
		if err != nil {
			return fmt.Errorf("sla: reassign on breach: %w", err)
		}
		if len(back) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE ticket_escalations SET reassigned = TRUE WHERE sweep_id = $1 AND ticket_id IN (`+placeholders(2, len(back))+`)`,
				append([]any{tok}, anys(back)...)...); err != nil {
				return err
			}
			if err := s.backToQueue(ctx, tx, back); err != nil {
				return err
			}
		}
		n = int(k)
		return nil
	})
	if err != nil {
		return 0, err
	}
	res.Breached += n
	res.Reassigned += 0
	return n, nil
}

func placeholders(from, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(p, ", ")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// backToQueue takes breached tickets from their assignee back to their
// team's queue (the policy's reassign_on_breach), through the record path
// so visibility, audit and the index follow.
func (s *Service) backToQueue(ctx context.Context, tx *store.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	e, err := s.R.Entity("ticket")
	if err != nil {
		return err
	}
	sys := access.SystemPrincipal()
	for _, id := range ids {
		t, err := s.DB.Get(ctx, tx, e, id, store.True, false)
		if err != nil {
			return fmt.Errorf("sla: reassign %s: %w", id, err)
		}
		set := entity.Record{"owner_id": nil}
		if t.Str("status") == crm.TicketAssigned {
			set["status"] = crm.TicketNew
		}
		if _, err := s.R.SetTx(records.AsProcess(ctx), tx, sys, e, t, set); err != nil {
			return fmt.Errorf("sla: reassign %s: %w", id, err)
		}
	}
	return nil
}

func (s *Service) warnBatch(ctx context.Context, now time.Time, res *Result) (int, error) {
	n := 0
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`UPDATE tickets SET sla_state = CASE WHEN sla_state = $2 THEN $3 ELSE sla_state END,
			sla_warned_at = sla_warn_at, sla_warn_at = NULL, version = version + 1, updated_at = $1
			WHERE id IN (SELECT id FROM tickets WHERE sla_warn_at IS NOT NULL AND sla_warn_at <= $1 ORDER BY sla_warn_at LIMIT %d)
			AND sla_warn_at IS NOT NULL AND sla_warn_at <= $1
			RETURNING `+fmt.Sprintf(flippedCols, "sla_warned_at"), SweepBatch), now, crm.SLAOk, crm.SLAWarning)
		if err != nil {
			return fmt.Errorf("sla: warn: %w", err)
		}
		var fl []flipped
		for rows.Next() {
			f, err := scanFlipped(rows)
			if err != nil {
				rows.Close()
				return err
			}
			fl = append(fl, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		nb, mb := notifications(), messages()
		for _, f := range fl {
			// The warning is about the clock due first.
			clock, due := crm.ClockResolution, f.resolutionDue
			if f.answered.IsZero() && f.cycle == 0 && !f.responseDue.IsZero() && (due.IsZero() || f.responseDue.Before(due)) {
				clock, due = crm.ClockFirstResponse, f.responseDue
			}
			if f.owner != "" {
				nb.add(store.NewID(), f.owner, now, NotifyWarning, "ticket", f.id, jsonData("number", f.number, "subject", f.subject, "clock", clock, "due", s.local(due)))
			}
			mb.add(store.NewID(), f.id, crm.MessageSystem, fmt.Sprintf("【服务时效】即将超时：%s期限 %s。", clockZh[clock], s.local(due)), int64(1), now, now)
		}
		if err := nb.flush(ctx, tx, ""); err != nil {
			return err
		}
		if err := mb.flush(ctx, tx, ""); err != nil {
			return err
		}
		n = len(fl)
		return nil
	})
	if err != nil {
		return 0, err
	}
	res.Warned += n
	return n, nil
}

// escalateBatch raises breached tickets still open past the next
// escalation instant by one level, each by a conditional UPDATE on its
// level (levels are few and far between: no set-based bulk needed).
func (s *Service) escalateBatch(ctx context.Context, now time.Time, res *Result) (int, error) {
	ids, err := store.Strings(ctx, s.DB.R(), `SELECT id FROM tickets WHERE sla_escalate_at IS NOT NULL AND sla_escalate_at <= $1 AND escalation_level >= 1
		ORDER BY sla_escalate_at LIMIT 500`, now)
	if err != nil {
		return 0, fmt.Errorf("sla: escalations due: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	done := 0
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		done = 0
		ts, err := s.teams(ctx, tx)
		if err != nil {
			return err
		}
		cals := map[string]*bizcal.Calendar{}
		nb, mb, eb := notifications(), messages(), escalations()
		for _, id := range ids {
			st, err := loadClock(ctx, tx, id)
			if err != nil {
				return err
			}
			var number, subject string
			var owner, teamID any
			if err := tx.QueryRowContext(ctx, `SELECT number, subject, owner_id, team_id FROM tickets WHERE id = $1`, id).Scan(&number, &subject, &owner, &teamID); err != nil {
				return err
			}
			cal, ok := cals[st.CalendarID]
			if !ok {
				if cal, _, err = s.Calendar(ctx, tx, st.CalendarID); err != nil {
					return err
				}
				cals[st.CalendarID] = cal
			}
			level := st.Level + 1
			manager, inTree := ancestorManager(ts, str(teamID), int(level-1))
			next := time.Time{}
			if inTree && level < crm.MaxEscalationLevel {
				next = st.EscalationAt(cal, level+1)
			}
			if !inTree {
				// Nobody further up: the escalation stops here.
				if _, err := tx.ExecContext(ctx, `UPDATE tickets SET sla_escalate_at = NULL WHERE id = $1 AND escalation_level = $2`, id, st.Level); err != nil {
					return err
				}
				continue
			}
			r, err := tx.ExecContext(ctx, `UPDATE tickets SET escalation_level = $1, sla_escalate_at = $2, version = version + 1, updated_at = $3
				WHERE id = $4 AND escalation_level = $5 AND sla_escalate_at IS NOT NULL AND sla_escalate_at <= $3`,
				level, nullTime(next), now, id, st.Level)
			if err != nil {
				return fmt.Errorf("sla: escalate %s: %w", id, err)
			}
			if k, _ := r.RowsAffected(); k != 1 {
				continue // another server did it
			}
			var notified []string
			data := jsonData("number", number, "subject", subject, "clock", crm.ClockResolution, "due", s.local(st.ResolutionDue), "level", fmt.Sprint(level))
			if manager != "" {
				nb.add(store.NewID(), manager, now, NotifyEscalated, "ticket", id, data)
				notified = append(notified, manager)
			}
			eb.add(store.NewID(), id, st.Cycle, level, crm.ClockResolution, now, strings.Join(notified, ","), false)
			mb.add(store.NewID(), id, crm.MessageSystem, fmt.Sprintf("【服务时效】超时未解决（解决期限 %s），升级至 %d 级，已通知上级主管。", s.local(st.ResolutionDue), level), int64(1), now, now)
			done++
		}
		if err := eb.flush(ctx, tx, " ON CONFLICT (ticket_id, cycle, level) DO NOTHING"); err != nil {
			return err
		}
		if err := nb.flush(ctx, tx, ""); err != nil {
			return err
		}
		return mb.flush(ctx, tx, "")
	})
	if err != nil {
		return 0, err
	}
	res.Escalated += done
	return len(ids), nil
}
