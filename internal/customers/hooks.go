package customers

import (
	"context"
	"fmt"
	"slices"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// derived fields are maintained by the system; their changes are not shown
// on the timeline.
var derived = []string{"name_norm", "company_norm", "pool_due_at", "pool_reminded_at", "last_followup_at", "updated_at", "updated_by", "version"}

func visibleChanges(ch records.Change) []string {
	var out []string
	for _, k := range ch.Changed {
		if !slices.Contains(derived, k) {
			out = append(out, k)
		}
	}
	return out
}

func changeData(ch records.Change, fields []string) map[string]any {
	m := map[string]any{}
	for _, k := range fields {
		var ov any
		if ch.Old != nil {
			ov = ch.Old[k]
		}
		m[k] = []any{ov, ch.New[k]}
	}
	return map[string]any{"fields": m, "title": ch.New.Str(ch.Entity.Title)}
}

func setDefault(rec entity.Record, field string, v any) {
	if entity.IsEmpty(rec[field]) {
		rec[field] = v
	}
}

// poolDue recomputes when an owned record returns to the pool.
func (s *Service) poolDue(ctx context.Context, q store.Querier, entityName string, rec entity.Record) (any, error) {
	if rec.Str("owner_id") == "" || !crm.OpenForCap(entityName, rec.Str("status")) {
		return nil, nil
	}
	if entityName == "lead" && rec.Str("status") == crm.LeadDisqualified {
		return nil, nil
	}
	rules, _, err := s.PoolRules(ctx, q)
	if err != nil {
		return nil, err
	}
	since := rec.Time("claimed_at")
	if since.IsZero() {
		since = rec.Time("created_at")
	}
	due, ok := crm.PoolDue(rules, entityName, rec.Str("level"), rec.Time("last_followup_at"), since)
	if !ok {
		return nil, nil
	}
	return entity.CanonTime(due), nil
}

func (s *Service) prepareCustomer(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	setDefault(rec, "kind", "company")
	setDefault(rec, "status", crm.StatusProspect)
	rec["name_norm"] = crm.NormalizeCompany(rec.Str("name"))
	due, err := s.poolDue(ctx, tx, "customer", rec)
	if err != nil {
		return err
	}
	rec["pool_due_at"] = due
	if old == nil && !records.DuplicatesAllowed(ctx) {
		dups, err := s.duplicates(ctx, tx, "customer", rec)
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			return errs.New(errs.Conflict, "possible_duplicate").WithData(dups)
		}
	}
	return nil
}

// probeCustomers is prepareCustomer's duplicate probe for many new
// customers at once (records.CreateManyTx); the rest of prepareCustomer
// and afterCustomer read no other customer.
func (s *Service) probeCustomers(ctx context.Context, q store.Querier, recs []entity.Record) (bool, error) {
	return anyDuplicate(ctx, q, "customer", recs)
}

func (s *Service) afterCustomer(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	id := ch.New.ID()
	ev := store.Event{CustomerID: id, ActorID: p.UserID, Entity: "customer", RecordID: id}
	switch ch.Action {
	case records.Create:
		ev.Kind, ev.Data = "created", map[string]any{"title": ch.New.Str("name")}
	case records.Update:
		fields := visibleChanges(ch)
		if ch.Has("owner_id") || ch.Has("team_id") {
			if err := s.reindexContacts(ctx, tx, id); err != nil {
				return err
			}
		}
		if len(fields) == 0 || records.IsProcess(ctx) {
			return nil // processes write their own, more telling, events
		}
		ev.Kind, ev.Data = "changed", changeData(ch, fields)
	case records.Delete:
		if err := s.cascadeContacts(ctx, tx, p, id, ch.New.Time("deleted_at"), true); err != nil {
			return err
		}
		ev.Kind = "deleted"
	case records.Restore:
		if err := s.cascadeContacts(ctx, tx, p, id, ch.Old.Time("deleted_at"), false); err != nil {
			return err
		}
		ev.Kind = "restored"
	}
	return s.DB.AddEvent(ctx, tx, ev)
}

// cascadeContacts deletes a customer's contacts with it, or restores those
// that were deleted with it (same deletion instant).
func (s *Service) cascadeContacts(ctx context.Context, tx *store.Tx, p *access.Principal, customerID string, at time.Time, del bool) error {
	e := s.R.Schema().Entity("contact")
	var ids []string
	cond := `customer_id = $1 AND deleted_at IS NULL`
	args := []any{customerID}
	if !del {
		cond = `customer_id = $1 AND deleted_at = $2`
		args = append(args, at)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM contacts WHERE `+cond, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		set := entity.Record{"deleted_at": nil, "updated_at": store.Now(), "updated_by": nilIf(p.UserID)}
		action := "restore"
		if del {
			set["deleted_at"] = at
			action = "delete"
		}
		if _, err := s.DB.UpdateWhere(ctx, tx, e, set, "id = $1", id); err != nil {
			return err
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "contact", RecordID: id, Action: action,
			Changes: map[string]store.Change{"cascade_from": {New: customerID}}, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
		if del {
			if err := s.DB.UnindexDoc(ctx, tx, id); err != nil {
				return err
			}
		} else if err := s.reindexOne(ctx, tx, e, id); err != nil {
			return err
		}
	}
	return nil
}

func nilIf(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Service) reindexOne(ctx context.Context, tx *store.Tx, e *entity.Entity, id string) error {
	r, err := s.DB.Get(ctx, tx, e, id, nil, false)
	if err != nil {
		return err
	}
	return s.R.Reindex(ctx, tx, e, r)
}

// reindexContacts refreshes the visibility tokens of a customer's contacts
// after the customer changed hands.
func (s *Service) reindexContacts(ctx context.Context, tx *store.Tx, customerID string) error {
	e := s.R.Schema().Entity("contact")
	q := entity.Query{Sort: e.Field("id"), Conds: []entity.Cond{{Field: e.Field("customer_id"), Op: entity.Eq, Values: []any{customerID}}}}
	var recs []entity.Record
	if err := s.eachTx(ctx, tx, e, q, func(r entity.Record) error { recs = append(recs, r); return nil }); err != nil {
		return err
	}
	for _, r := range recs {
		if err := s.R.Reindex(ctx, tx, e, r); err != nil {
			return err
		}
	}
	return nil
}

// eachTx walks rows inside a transaction (the read pool would not see
// uncommitted rows on SQLite).
func (s *Service) eachTx(ctx context.Context, tx *store.Tx, e *entity.Entity, q entity.Query, fn func(entity.Record) error) error {
	var a store.Args
	where, err := s.DB.ListSQL(e, q, nil, &a)
	if err != nil {
		return err
	}
	ids, err := store.Strings(ctx, tx, `SELECT t.id FROM `+e.Table+` t WHERE `+where, a.V...)
	if err != nil {
		return err
	}
	recs, err := s.DB.GetMany(ctx, tx, e, ids, nil)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if r, ok := recs[id]; ok {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) contactVis(ctx context.Context, q store.Querier, rec entity.Record) ([]string, []string, bool, error) {
	var owner, team *string
	err := q.QueryRowContext(ctx, `SELECT owner_id, team_id FROM customers WHERE id = $1`, rec.Str("customer_id")).Scan(&owner, &team)
	if err != nil {
		return nil, nil, false, fmt.Errorf("customers: contact's customer: %w", err)
	}
	o, t := deref(owner), deref(team)
	return []string{o}, []string{t}, o == "", nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Service) prepareContact(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	setDefault(rec, "marketing_consent", crm.ConsentUnknown)
	if rec["do_not_contact"] == nil {
		rec["do_not_contact"] = false
	}
	if rec["is_primary"] == nil {
		rec["is_primary"] = false
	}
	if rec.Str("birthday") == "" {
		rec["birthday_calendar"] = nil
	} else {
		setDefault(rec, "birthday_calendar", "solar")
	}
	if old == nil && !records.DuplicatesAllowed(ctx) {
		dups, err := s.duplicates(ctx, tx, "contact", rec)
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			return errs.New(errs.Conflict, "possible_duplicate").WithData(dups)
		}
	}
	return nil
}

func (s *Service) afterContact(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	id := ch.New.ID()
	if ch.New.Bool("is_primary") && ch.New["deleted_at"] == nil && (ch.Action == records.Create || ch.Has("is_primary")) {
		e := ch.Entity
		if _, err := s.DB.UpdateWhere(ctx, tx, e, entity.Record{"is_primary": false}, "customer_id = $1 AND id <> $2 AND is_primary = TRUE", ch.New.Str("customer_id"), id); err != nil {
			return err
		}
	}
	if ch.Action == records.Update && ch.Has("customer_id") {
		if err := s.R.Reindex(ctx, tx, ch.Entity, ch.New); err != nil {
			return err
		}
	}
	ev := store.Event{CustomerID: ch.New.Str("customer_id"), ActorID: p.UserID, Entity: "contact", RecordID: id}
	switch ch.Action {
	case records.Create:
		ev.Kind, ev.Data = "contact_added", map[string]any{"title": ch.New.Str("name"), "decision_role": ch.New.Str("decision_role")}
	case records.Update:
		fields := visibleChanges(ch)
		if len(fields) == 0 || records.IsProcess(ctx) {
			return nil
		}
		ev.Kind, ev.Data = "contact_changed", changeData(ch, fields)
	case records.Delete:
		ev.Kind, ev.Data = "contact_deleted", map[string]any{"title": ch.New.Str("name")}
	case records.Restore:
		ev.Kind, ev.Data = "contact_restored", map[string]any{"title": ch.New.Str("name")}
	}
	return s.DB.AddEvent(ctx, tx, ev)
}

func (s *Service) prepareLead(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	setDefault(rec, "status", crm.LeadNew)
	if c := rec.Str("company"); c != "" {
		rec["company_norm"] = crm.NormalizeCompany(c)
	} else {
		rec["company_norm"] = nil
	}
	if !records.IsProcess(ctx) {
		from := ""
		if old != nil {
			from = old.Str("status")
		}
		if err := crm.CheckLeadStatus(from, rec.Str("status"), rec.Str("disqualify_reason")); err != nil {
			return err
		}
	}
	if rec.Str("status") != crm.LeadDisqualified {
		rec["disqualify_reason"] = nil
	}
	due, err := s.poolDue(ctx, tx, "lead", rec)
	if err != nil {
		return err
	}
	rec["pool_due_at"] = due
	if old == nil && !records.DuplicatesAllowed(ctx) {
		dups, err := s.duplicates(ctx, tx, "lead", rec)
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			return errs.New(errs.Conflict, "possible_duplicate").WithData(dups)
		}
	}
	return nil
}

func (s *Service) afterLead(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	id := ch.New.ID()
	ev := store.Event{LeadID: id, CustomerID: ch.New.Str("converted_customer_id"), ActorID: p.UserID, Entity: "lead", RecordID: id}
	switch ch.Action {
	case records.Create:
		ev.Kind, ev.Data = "lead_created", map[string]any{"title": ch.New.Str("name"), "source": ch.New.Str("source")}
	case records.Update:
		fields := visibleChanges(ch)
		if len(fields) == 0 || records.IsProcess(ctx) {
			return nil
		}
		ev.Kind, ev.Data = "changed", changeData(ch, fields)
	case records.Delete:
		ev.Kind = "deleted"
	case records.Restore:
		ev.Kind = "restored"
	}
	return s.DB.AddEvent(ctx, tx, ev)
}

func (s *Service) prepareActivity(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec["occurred_at"] == nil {
		rec["occurred_at"] = s.now()
	}
	if rec["next_step_done"] == nil {
		rec["next_step_done"] = false
	}
	if rec.Str("next_step") == "" && rec.Str("next_step_due") != "" {
		return errs.Validation([]errs.FieldError{{Field: "next_step", Code: "required"}})
	}
	// A contact implies its customer.
	if c := rec.Str("contact_id"); c != "" {
		var cust string
		if err := tx.QueryRowContext(ctx, `SELECT customer_id FROM contacts WHERE id = $1`, c).Scan(&cust); err == nil {
			if rec.Str("customer_id") == "" {
				rec["customer_id"] = cust
			} else if rec.Str("customer_id") != cust {
				return errs.Validation([]errs.FieldError{{Field: "contact_id", Code: "contact_not_of_customer"}})
			}
		}
	}
	if rec.Str("customer_id") == "" && rec.Str("lead_id") == "" {
		return errs.Validation([]errs.FieldError{{Field: "customer_id", Code: "customer_or_lead_required"}})
	}
	return nil
}

func (s *Service) afterActivity(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	r := ch.New
	id := r.ID()
	switch ch.Action {
	case records.Create, records.Restore:
		if err := s.DB.AddEvent(ctx, tx, store.Event{At: r.Time("occurred_at"), CustomerID: r.Str("customer_id"), LeadID: r.Str("lead_id"),
			ActorID: r.Str("owner_id"), Kind: "activity", Entity: "activity", RecordID: id}); err != nil {
			return err
		}
	case records.Update:
		if ch.Has("occurred_at") {
			if err := s.DB.SetEventTime(ctx, tx, id, "activity", r.Time("occurred_at")); err != nil {
				return err
			}
		}
		if ch.Has("customer_id") || ch.Has("lead_id") {
			if _, err := tx.ExecContext(ctx, `UPDATE timeline SET customer_id = $1, lead_id = $2 WHERE record_id = $3 AND kind = 'activity'`,
				nilIf(r.Str("customer_id")), nilIf(r.Str("lead_id")), id); err != nil {
				return err
			}
		}
	case records.Delete:
		if _, err := tx.ExecContext(ctx, `DELETE FROM timeline WHERE record_id = $1 AND kind = 'activity'`, id); err != nil {
			return err
		}
	}
	// Recompute the follow-up clock of every parent this activity touched.
	parents := map[string]string{}
	for _, rr := range []entity.Record{ch.Old, ch.New} {
		if rr == nil {
			continue
		}
		if c := rr.Str("customer_id"); c != "" {
			parents[c] = "customer"
		}
		if l := rr.Str("lead_id"); l != "" {
			parents[l] = "lead"
		}
	}
	for pid, ent := range parents {
		if err := s.refreshFollowup(ctx, tx, ent, pid); err != nil {
			return err
		}
	}
	return nil
}

// refreshFollowup recomputes last_followup_at (the latest activity that has
// happened) and the pool deadline of a customer or lead. These derived
// columns do not bump the record's version: a colleague logging a call must
// not make the owner's open edit form stale.
func (s *Service) refreshFollowup(ctx context.Context, tx *store.Tx, entityName, id string) error {
	col := "customer_id"
	if entityName == "lead" {
		col = "lead_id"
	}
	var last any
	if err := tx.QueryRowContext(ctx, `SELECT max(occurred_at) FROM activities WHERE `+col+` = $1 AND deleted_at IS NULL AND occurred_at <= $2`, id, s.now()).Scan(&last); err != nil {
		return fmt.Errorf("customers: last follow-up: %w", err)
	}
	e := s.R.Schema().Entity(entityName)
	rec, err := s.DB.Get(ctx, tx, e, id, nil, true)
	if err != nil {
		return err
	}
	lastT := store.ScanTime(last)
	if lastT.IsZero() {
		rec["last_followup_at"] = nil
	} else {
		rec["last_followup_at"] = lastT
	}
	due, err := s.poolDue(ctx, tx, entityName, rec)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE `+e.Table+` SET last_followup_at = $1, pool_due_at = $2, pool_reminded_at = NULL WHERE id = $3`,
		store.Encode(e.Field("last_followup_at"), rec["last_followup_at"]), store.Encode(e.Field("pool_due_at"), due), id)
	return err
}

func (s *Service) prepareUser(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec["active"] == nil {
		rec["active"] = true
	}
	if rec["totp_enabled"] == nil {
		rec["totp_enabled"] = false
	}
	if old != nil && old.ID() == p.UserID {
		// Nobody locks themselves out: no self-deactivation or losing admin.
		if rec["active"] == false {
			return errs.Validation([]errs.FieldError{{Field: "active", Code: "cannot_disable_self"}})
		}
		if slices.Contains(old.List("roles"), access.RoleAdmin) && !slices.Contains(rec.List("roles"), access.RoleAdmin) {
			return errs.Validation([]errs.FieldError{{Field: "roles", Code: "cannot_drop_own_admin"}})
		}
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE email = $1 AND id <> $2`, rec.Str("email"), rec.ID()).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return errs.Validation([]errs.FieldError{{Field: "email", Code: "email_taken"}})
	}
	return nil
}

func (s *Service) afterUser(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action == records.Delete || (ch.Has("active") && ch.New["active"] == false) {
		if err := s.DB.DeleteUserSessions(ctx, tx, ch.New.ID()); err != nil {
			return err
		}
	}
	if ch.Action == records.Update && ch.Has("team_id") {
		return s.retagOwner(ctx, tx, ch.New.ID(), ch.New.Str("team_id"))
	}
	return nil
}

// retagOwner moves a user's records to their new team, so that the new
// team's manager sees them (records follow their owner).
func (s *Service) retagOwner(ctx context.Context, tx *store.Tx, userID, teamID string) error {
	for _, name := range []string{"customer", "lead", "activity"} {
		e := s.R.Schema().Entity(name)
		ids, err := store.Strings(ctx, tx, `SELECT id FROM `+e.Table+` WHERE owner_id = $1`, userID)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+e.Table+` SET team_id = $1 WHERE owner_id = $2`, nilIf(teamID), userID); err != nil {
			return err
		}
		if len(e.FieldsWith(entity.Search)) == 0 {
			continue
		}
		for _, id := range ids {
			if err := s.reindexOne(ctx, tx, e, id); err != nil && errs.KindOf(err) != errs.NotFound {
				return err
			}
			if name == "customer" {
				if err := s.reindexContacts(ctx, tx, id); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *Service) prepareTeam(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	parent := rec.Str("parent_id")
	if old == nil {
		path, err := s.DB.TeamPath(ctx, tx, rec.ID(), parent)
		if err != nil {
			return err
		}
		rec["path"] = path
		return nil
	}
	if parent != old.Str("parent_id") {
		if parent == rec.ID() {
			return errs.Validation([]errs.FieldError{{Field: "parent_id", Code: "team_cycle"}})
		}
		if err := s.DB.MoveTeam(ctx, tx, rec.ID(), parent); err != nil {
			return err
		}
		var path string
		if err := tx.QueryRowContext(ctx, `SELECT path FROM teams WHERE id = $1`, rec.ID()).Scan(&path); err != nil {
			return err
		}
		rec["path"] = path
	}
	return nil
}

// afterTeam refuses to delete a team that still has members or sub-teams:
// their records would lose the team that makes them visible to a manager.
func (s *Service) afterTeam(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action != records.Delete {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users WHERE team_id = $1 AND deleted_at IS NULL) +
		(SELECT count(*) FROM teams WHERE parent_id = $1 AND deleted_at IS NULL)`, ch.New.ID()).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.New(errs.Unprocessable, "team_not_empty")
	}
	return nil
}
