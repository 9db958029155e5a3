package customers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/notify"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

func poolEntity(s *Service, name string) (*entity.Entity, error) {
	e := s.R.Schema().Entity(name)
	if e == nil || !e.Vis.Pool {
		return nil, errs.NotFoundf(name)
	}
	return e, nil
}

// Claim takes an unowned record from the pool (公海). It refuses when the
// rep holds as many open records as the cap allows, and lets a previous
// owner take a record back only after the cool-down.
func (s *Service) Claim(ctx context.Context, p *access.Principal, entityName, id string) (entity.Record, error) {
	if !p.CanPool() {
		return nil, errs.Denied()
	}
	e, err := poolEntity(s, entityName)
	if err != nil {
		return nil, err
	}
	var out entity.Record
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.DB.Get(ctx, tx, e, id, s.R.ReadPred(e, p), false)
		if err != nil {
			return err
		}
		if rec.Str("owner_id") != "" {
			return errs.New(errs.Conflict, "pool_already_owned")
		}
		_, st, err := s.PoolRules(ctx, tx)
		if err != nil {
			return err
		}
		now := s.now()
		if rec.Str("released_by") == p.UserID && st.CooldownDays > 0 {
			until := rec.Time("released_at").AddDate(0, 0, st.CooldownDays)
			if now.Before(until) {
				return errs.New(errs.Unprocessable, "pool_cooldown", "until", until.Format(time.RFC3339))
			}
		}
		held, err := s.openCount(ctx, tx, e, p.UserID)
		if err != nil {
			return err
		}
		if st.ClaimCap > 0 && held >= st.ClaimCap {
			return errs.New(errs.Unprocessable, "pool_cap", "cap", st.ClaimCap)
		}
		team, err := s.R.UserTeam(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, e, rec, entity.Record{
			"owner_id": p.UserID, "team_id": nilIf(team), "claimed_at": now, "pool_reminded_at": nil,
		})
		if err != nil {
			return err
		}
		return s.poolEvent(ctx, tx, p, e, out, "claimed", nil)
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, e, out), nil
}

func (s *Service) openCount(ctx context.Context, q store.Querier, e *entity.Entity, userID string) (int, error) {
	closed := []any{crm.StatusWon}
	if e.Name == "lead" {
		closed = []any{crm.LeadConverted, crm.LeadDisqualified}
	}
	var a store.Args
	query := fmt.Sprintf(`SELECT count(*) FROM %s WHERE owner_id = %s AND deleted_at IS NULL AND status NOT IN %s`, e.Table, a.Add(userID), a.List(closed))
	var n int
	if err := q.QueryRowContext(ctx, query, a.V...).Scan(&n); err != nil {
		return 0, fmt.Errorf("customers: open records: %w", err)
	}
	return n, nil
}

func (s *Service) poolEvent(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, rec entity.Record, kind string, data map[string]any) error {
	ev := store.Event{ActorID: p.UserID, Kind: kind, Entity: e.Name, RecordID: rec.ID(), Data: data}
	if e.Name == "customer" {
		ev.CustomerID = rec.ID()
	} else {
		ev.LeadID = rec.ID()
		ev.CustomerID = rec.Str("converted_customer_id")
	}
	return s.DB.AddEvent(ctx, tx, ev)
}

// Release returns a record to the pool with a reason. Its owner may do so,
// and so may whoever may reassign it.
func (s *Service) Release(ctx context.Context, p *access.Principal, entityName, id, reason string) (entity.Record, error) {
	e, err := poolEntity(s, entityName)
	if err != nil {
		return nil, err
	}
	if !p.CanPool() && !p.CanAssign() {
		return nil, errs.Denied()
	}
	if reason == "" {
		return nil, errs.Validation([]errs.FieldError{{Field: "reason", Code: "required"}})
	}
	code, ok := s.R.Schema().MatchOption(e.Field("release_reason"), reason)
	if !ok || code == "auto" { // "auto" is the sweep's reason, not a person's

		return nil, errs.Validation([]errs.FieldError{{Field: "reason", Code: "invalid_option", Args: map[string]any{"value": reason}}})
	}
	var out entity.Record
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.R.LoadForWrite(ctx, tx, p, e, id, p.Perm(e.Name).Write, false)
		if err != nil {
			return err
		}
		owner := rec.Str("owner_id")
		if owner == "" {
			return errs.New(errs.Conflict, "pool_not_owned")
		}
		if owner != p.UserID && !p.CanAssign() {
			return errs.Denied()
		}
		out, err = s.release(ctx, tx, p, e, rec, code)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, e, out), nil
}

func (s *Service) release(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, rec entity.Record, reason string) (entity.Record, error) {
	now := s.now()
	out, err := s.R.SetTx(records.AsProcess(ctx), tx, p, e, rec, entity.Record{
		"owner_id": nil, "team_id": nil, "released_at": now, "released_by": rec.Str("owner_id"),
		"release_reason": reason, "claimed_at": nil, "pool_reminded_at": nil,
	})
	if err != nil {
		return nil, err
	}
	return out, s.poolEvent(ctx, tx, p, e, out, "released", map[string]any{"reason": reason, "previous_owner": rec.Str("owner_id")})
}

// Assign hands records to a user (a manager reassigning, or handing out
// from the pool). A manager may assign only within their team subtree.
func (s *Service) Assign(ctx context.Context, p *access.Principal, entityName string, ids []string, ownerID string) (int, error) {
	if !p.CanAssign() {
		return 0, errs.Denied()
	}
	e := s.R.Schema().Entity(entityName)
	if e == nil || !e.Vis.Owned {
		return 0, errs.NotFoundf(entityName)
	}
	if len(ids) == 0 || len(ids) > 1000 {
		return 0, errs.Validation([]errs.FieldError{{Field: "ids", Code: "out_of_range"}})
	}
	perm := p.Perm(e.Name)
	n := 0
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		n = 0
		u, err := s.DB.UserByID(ctx, tx, ownerID)
		if err != nil || !u.Active {
			return errs.Validation([]errs.FieldError{{Field: "owner_id", Code: "invalid_user"}})
		}
		team, err := s.R.UserTeam(ctx, tx, ownerID)
		if err != nil {
			return err
		}
		if perm.Write == access.Team && ownerID != p.UserID && !p.InTeams(team) {
			return errs.Validation([]errs.FieldError{{Field: "owner_id", Code: "owner_outside_team"}})
		}
		for _, id := range ids {
			rec, err := s.R.LoadForWrite(ctx, tx, p, e, id, perm.Write, false)
			if err != nil {
				return err
			}
			prev := rec.Str("owner_id")
			if prev == ownerID {
				continue
			}
			set := entity.Record{"owner_id": ownerID, "team_id": nilIf(team)}
			// Pool bookkeeping, on the entities that have it.
			if e.Field("pool_reminded_at") != nil {
				set["pool_reminded_at"] = nil
			}
			if e.Field("claimed_at") != nil {
				set["claimed_at"] = s.now()
			}
			out, err := s.R.SetTx(records.AsProcess(ctx), tx, p, e, rec, set)
			if err != nil {
				return err
			}
			if e.Name == "customer" || e.Name == "lead" {
				if err := s.poolEvent(ctx, tx, p, e, out, "assigned", map[string]any{"from": prev, "to": ownerID}); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	return n, err
}

// PoolItem is a record close to returning to the pool.
type PoolItem struct {
	Entity  string    `json:"entity"`
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	OwnerID string    `json:"owner_id"`
	DueAt   time.Time `json:"due_at"`
}

// PoolWarnings lists the visible owned records that will fall back to the
// pool within their rule's reminder window (or within days, if larger),
// soonest first.
func (s *Service) PoolWarnings(ctx context.Context, p *access.Principal, days, limit int) ([]PoolItem, error) {
	rules, _, err := s.PoolRules(ctx, s.DB.R())
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		days = max(days, r.RemindDays)
	}
	horizon := s.now().AddDate(0, 0, days)
	var out []PoolItem
	for _, name := range []string{"customer", "lead"} {
		e := s.R.Schema().Entity(name)
		q := entity.Query{Sort: e.Field("pool_due_at"), Limit: limit, Conds: []entity.Cond{
			{Field: e.Field("pool_due_at"), Op: entity.Lte, Values: []any{horizon}},
			{Field: e.Field("owner_id"), Op: entity.Empty, Values: []any{false}},
		}}
		perm := p.Perm(name)
		if perm.Read == access.None {
			continue
		}
		page, err := s.DB.List(ctx, e, q, s.DB.Visible(e, p, perm.Read))
		if err != nil {
			return nil, err
		}
		for _, r := range page.Items {
			out = append(out, PoolItem{Entity: name, ID: r.ID(), Title: r.Str(e.Title), OwnerID: r.Str("owner_id"), DueAt: r.Time("pool_due_at")})
		}
	}
	slices.SortFunc(out, func(a, b PoolItem) int { return a.DueAt.Compare(b.DueAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// SweepResult counts what a pool sweep did.
type SweepResult struct {
	Released int `json:"released"`
	Reminded int `json:"reminded"`
}

// SweepPool returns overdue records to the pool and reminds owners of those
// about to return. Deadlines are columns, so any server may sweep; each
// record is changed under its version, so two sweeps never double-release.
func (s *Service) SweepPool(ctx context.Context, batch int) (SweepResult, error) {
	var res SweepResult
	sys := access.SystemPrincipal()
	rules, _, err := s.PoolRules(ctx, s.DB.R())
	if err != nil {
		return res, err
	}
	now := s.now()
	for _, name := range []string{"customer", "lead"} {
		e := s.R.Schema().Entity(name)
		ids, err := store.Strings(ctx, s.DB.R(), `SELECT id FROM `+e.Table+` WHERE owner_id IS NOT NULL AND deleted_at IS NULL AND pool_due_at <= $1 ORDER BY pool_due_at LIMIT $2`, now, batch)
		if err != nil {
			return res, err
		}
		for _, id := range ids {
			err := s.DB.Write(ctx, func(tx *store.Tx) error {
				rec, err := s.DB.Get(ctx, tx, e, id, nil, false)
				if err != nil {
					return err
				}
				due := rec.Time("pool_due_at")
				if rec.Str("owner_id") == "" || due.IsZero() || due.After(now) {
					return nil // someone followed up or released it meanwhile
				}
				prev := rec.Str("owner_id")
				if _, err := s.release(ctx, tx, sys, e, rec, "auto"); err != nil {
					return err
				}
				return notify.Notify(ctx, tx, prev, "pool_returned", e.Name, id, map[string]any{"title": rec.Str(e.Title)})
			})
			if err != nil && errs.KindOf(err) != errs.Conflict {
				return res, err
			}
			if err == nil {
				res.Released++
			}
		}
		// Reminders: one per record and deadline.
		maxRemind := 0
		for _, r := range rules {
			if r.Entity == name {
				maxRemind = max(maxRemind, r.RemindDays)
			}
		}
		rows, err := s.DB.R().QueryContext(ctx, `SELECT id, owner_id, level_or_null, pool_due_at FROM (SELECT id, owner_id, `+levelExpr(name)+` AS level_or_null, pool_due_at, pool_reminded_at, deleted_at FROM `+e.Table+`) x
			WHERE owner_id IS NOT NULL AND deleted_at IS NULL AND pool_reminded_at IS NULL AND pool_due_at > $1 AND pool_due_at <= $2 ORDER BY pool_due_at LIMIT $3`,
			now, now.AddDate(0, 0, maxRemind), batch)
		if err != nil {
			return res, err
		}
		type due struct {
			id, owner, level string
			at               time.Time
		}
		var dues []due
		for rows.Next() {
			var d due
			var lvl *string
			var at any
			if err := rows.Scan(&d.id, &d.owner, &lvl, &at); err != nil {
				rows.Close()
				return res, err
			}
			d.level, d.at = deref(lvl), store.ScanTime(at)
			dues = append(dues, d)
		}
		rows.Close()
		for _, d := range dues {
			r, ok := crm.RuleFor(rules, name, d.level)
			if !ok || d.at.After(now.AddDate(0, 0, r.RemindDays)) {
				continue
			}
			err := s.DB.Write(ctx, func(tx *store.Tx) error {
				res, err := tx.ExecContext(ctx, `UPDATE `+e.Table+` SET pool_reminded_at = $1 WHERE id = $2 AND pool_reminded_at IS NULL`, now, d.id)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil
				}
				var title string
				if err := tx.QueryRowContext(ctx, `SELECT `+e.Title+` FROM `+e.Table+` WHERE id = $1`, d.id).Scan(&title); err != nil {
					return err
				}
				return notify.Notify(ctx, tx, d.owner, "pool_warning", name, d.id, map[string]any{"title": title, "due_at": d.at})
			})
			if err != nil {
				return res, err
			}
			res.Reminded++
		}
	}
	return res, nil
}

func levelExpr(entityName string) string {
	if entityName == "customer" {
		return "level"
	}
	return "NULL"
}

// PoolConfig is the pool's admin-set configuration.
type PoolConfig struct {
	Rules    []crm.PoolRule   `json:"rules"`
	Settings crm.PoolSettings `json:"settings"`
}

// SavePoolConfig replaces the pool rules and settings and recomputes every
// owned record's deadline (in the same transaction, so no record is judged
// by a mix of old and new rules).
func (s *Service) SavePoolConfig(ctx context.Context, p *access.Principal, cfg PoolConfig) error {
	if !p.IsAdmin() {
		return errs.Denied()
	}
	var bad []errs.FieldError
	if cfg.Settings.ClaimCap < 0 || cfg.Settings.ClaimCap > 100000 {
		bad = append(bad, errs.FieldError{Field: "claim_cap", Code: "out_of_range"})
	}
	if cfg.Settings.CooldownDays < 0 || cfg.Settings.CooldownDays > 365 {
		bad = append(bad, errs.FieldError{Field: "cooldown_days", Code: "out_of_range"})
	}
	for i, r := range cfg.Rules {
		if r.Entity != "customer" && r.Entity != "lead" {
			bad = append(bad, errs.FieldError{Field: fmt.Sprintf("rules[%d].entity", i), Code: "invalid_option", Args: map[string]any{"value": r.Entity}})
		}
		if r.Days < 0 || r.Days > 3650 {
			bad = append(bad, errs.FieldError{Field: fmt.Sprintf("rules[%d].days", i), Code: "out_of_range"})
		}
		if r.RemindDays < 0 || r.RemindDays > 365 {
			bad = append(bad, errs.FieldError{Field: fmt.Sprintf("rules[%d].remind_days", i), Code: "out_of_range"})
		}
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pool_rules`); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, r := range cfg.Rules {
			k := r.Entity + "/" + r.Level
			if seen[k] {
				continue
			}
			seen[k] = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO pool_rules (entity, level, days, remind_days) VALUES ($1, $2, $3, $4)`, r.Entity, r.Level, r.Days, r.RemindDays); err != nil {
				return err
			}
		}
		b, _ := json.Marshal(cfg.Settings)
		if err := s.DB.SetSetting(ctx, tx, poolSettingsKey, string(b)); err != nil {
			return err
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "settings", RecordID: "pool", Action: "update",
			Changes: map[string]store.Change{"pool": {New: cfg}}, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
		s.forgetRules()
		return s.recomputeDeadlines(ctx, tx, cfg.Rules)
	})
	s.forgetRules()
	return err
}

// recomputeDeadlines applies new rules to every owned record with one
// UPDATE per entity and level, so it stays fast on a million rows.
func (s *Service) recomputeDeadlines(ctx context.Context, tx *store.Tx, rules []crm.PoolRule) error {
	pg := s.DB.Dialect == store.Postgres
	for _, name := range []string{"customer", "lead"} {
		e := s.R.Schema().Entity(name)
		closed := `status <> 'won'`
		if name == "lead" {
			closed = `status NOT IN ('converted', 'disqualified')`
		}
		base := `CASE WHEN last_followup_at IS NOT NULL AND last_followup_at > coalesce(claimed_at, created_at) THEN last_followup_at ELSE coalesce(claimed_at, created_at) END`
		levels := map[string]bool{}
		var listed []any
		for _, r := range rules {
			if r.Entity == name && r.Level != "" {
				levels[r.Level] = true
				listed = append(listed, r.Level)
			}
		}
		apply := func(cond string, args []any, days int) error {
			var expr string
			if days <= 0 {
				expr = "NULL"
			} else if pg {
				expr = fmt.Sprintf("(%s) + interval '%d days'", base, days)
			} else {
				// Same text form as the driver writes for whole seconds.
				expr = fmt.Sprintf("strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s, '+%d days') || '+00:00'", base, days)
			}
			_, err := tx.ExecContext(ctx, `UPDATE `+e.Table+` SET pool_due_at = `+expr+`, pool_reminded_at = NULL
				WHERE owner_id IS NOT NULL AND deleted_at IS NULL AND `+closed+` AND `+cond, args...)
			return err
		}
		if name == "customer" {
			for lvl := range levels {
				r, _ := crm.RuleFor(rules, name, lvl)
				if err := apply("level = $1", []any{lvl}, r.Days); err != nil {
					return err
				}
			}
		}
		def, _ := crm.RuleFor(rules, name, "")
		if def.Level != "" {
			def = crm.PoolRule{}
		}
		cond := "TRUE"
		var args []any
		if name == "customer" && len(listed) > 0 {
			var a store.Args
			cond = "(level IS NULL OR level NOT IN " + a.List(listed) + ")"
			args = a.V
		}
		if err := apply(cond, args, def.Days); err != nil {
			return err
		}
	}
	return nil
}
