// Package records is the generic service over declared entities: it checks
// permissions, validates, writes with optimistic locking, audits every
// change, keeps the search index in the same transaction, and masks contact
// details on the way out. The API and the web UI both call it; area packages
// (customers, …) attach their rules through Hooks and run their processes on
// top of it.
package records

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/search"
	"closeloop/internal/store"
)

// Action names a kind of write, as recorded in the audit log.
type Action string

const (
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Restore Action = "restore"
)

// Change describes one write for hooks.
type Change struct {
	Entity  *entity.Entity
	Action  Action
	Old     entity.Record // nil on create
	New     entity.Record // the row after the write (deleted_at set on delete)
	Changed []string      // fields whose value changed
}

// Changed reports whether a field changed.
func (c Change) Has(field string) bool { return slices.Contains(c.Changed, field) }

// Hooks attach an area's rules to an entity.
type Hooks struct {
	// Prepare runs in the write transaction before validation, on create (old
	// nil) and update. It derives columns, fills defaults and checks domain
	// rules; field problems are returned as an errs validation error.
	Prepare func(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error
	// After runs in the same transaction after the write: timeline events,
	// parent updates, cascades.
	After func(ctx context.Context, tx *store.Tx, p *access.Principal, ch Change) error
	// VisOwners returns the owners and teams through which the record is
	// visible, for the search index; the default uses the record's own
	// owner_id and team_id. pooled marks records lying in a shared pool.
	VisOwners func(ctx context.Context, q store.Querier, rec entity.Record) (owners, teams []string, pooled bool, err error)
	// ProbeMany answers for new, prepared records whether any of them looks
	// like an existing record or like another of them — the duplicate
	// probe Prepare runs for one record, for many in one statement. An
	// entity declaring it lets CreateManyTx write its records together;
	// its Prepare and After must then read nothing that another record of
	// the group would have changed.
	ProbeMany func(ctx context.Context, q store.Querier, recs []entity.Record) (bool, error)
}

// Service is the generic record service.
type Service struct {
	DB    *store.DB
	Loc   *time.Location
	hooks map[string]Hooks
}

// New makes a service over db; loc is the company time zone.
func New(db *store.DB, loc *time.Location) *Service {
	if loc == nil {
		loc = time.UTC
	}
	return &Service{DB: db, Loc: loc, hooks: map[string]Hooks{}}
}

// On registers hooks for an entity. Several areas may attach rules to the
// same entity (contracts and finance both keep payment instalments): their
// hooks run in the order they were registered — every Prepare (field
// problems of all of them are reported together; another error stops the
// write), then every After. The first VisOwners registered decides; a
// ProbeMany counts when every registration declares one.
func (s *Service) On(entityName string, h Hooks) {
	s.hooks[entityName] = chain(s.hooks[entityName], h)
}

// chain joins hooks registered later (b) to those registered before (a).
func chain(a, b Hooks) Hooks {
	out := Hooks{Prepare: a.Prepare, After: a.After, VisOwners: a.VisOwners}
	// Records are written together only when every area hooking the entity
	// declared ProbeMany (and so what its hooks read).
	if none := a.Prepare == nil && a.After == nil && a.VisOwners == nil && a.ProbeMany == nil; none {
		out.ProbeMany = b.ProbeMany
	} else if a.ProbeMany != nil && b.ProbeMany != nil {
		first, second := a.ProbeMany, b.ProbeMany
		out.ProbeMany = func(ctx context.Context, q store.Querier, recs []entity.Record) (bool, error) {
			if dup, err := first(ctx, q, recs); dup || err != nil {
				return dup, err
			}
			return second(ctx, q, recs)
		}
	}
	if a.Prepare == nil {
		out.Prepare = b.Prepare
	} else if b.Prepare != nil {
		first, second := a.Prepare, b.Prepare
		out.Prepare = func(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
			var bad []errs.FieldError
			for _, fn := range []func(context.Context, *store.Tx, *access.Principal, entity.Record, entity.Record) error{first, second} {
				if err := fn(ctx, tx, p, old, rec); err != nil {
					ee := errs.As(err)
					if ee == nil || ee.Code != "validation" {
						return err
					}
					bad = append(bad, ee.Fields...)
				}
			}
			return errs.Validation(bad)
		}
	}
	if a.After == nil {
		out.After = b.After
	} else if b.After != nil {
		first, second := a.After, b.After
		out.After = func(ctx context.Context, tx *store.Tx, p *access.Principal, ch Change) error {
			if err := first(ctx, tx, p, ch); err != nil {
				return err
			}
			return second(ctx, tx, p, ch)
		}
	}
	if out.VisOwners == nil {
		out.VisOwners = b.VisOwners
	}
	return out
}

// Schema is the current schema snapshot.
func (s *Service) Schema() *entity.Schema { return s.DB.Schema() }

// Entity resolves an entity by name, NotFound when unknown.
func (s *Service) Entity(name string) (*entity.Entity, error) {
	e := s.Schema().Entity(name)
	if e == nil {
		return nil, errs.NotFoundf(name)
	}
	return e, nil
}

// ReadPred is the read predicate of an entity for p.
func (s *Service) ReadPred(e *entity.Entity, p *access.Principal) store.Pred {
	return s.DB.Visible(e, p, p.Perm(e.Name).Read)
}

// Get reads one visible record, masked for p. Reads of entities that audit
// reads (customers, contacts) are logged.
func (s *Service) Get(ctx context.Context, p *access.Principal, entityName, id string) (entity.Record, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, err
	}
	perm := p.Perm(e.Name)
	if perm.Read == access.None {
		return nil, errs.Denied()
	}
	r, err := s.DB.Get(ctx, s.DB.R(), e, id, s.ReadPred(e, p), false)
	if err != nil {
		return nil, err
	}
	return s.Present(p, e, r), nil
}

// GetDeleted reads a soft-deleted record (for the trash and restore).
func (s *Service) GetDeleted(ctx context.Context, p *access.Principal, entityName, id string) (entity.Record, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, err
	}
	r, err := s.DB.Get(ctx, s.DB.R(), e, id, s.DB.Visible(e, p, p.Perm(e.Name).Delete), true)
	if err != nil {
		return nil, err
	}
	return s.Present(p, e, r), nil
}

// LogRead audits that p looked at a record (confidentiality: who read what).
func (s *Service) LogRead(ctx context.Context, p *access.Principal, entityName, id, requestID string) {
	_ = s.DB.Audit(ctx, s.DB.W(), store.AuditEntry{ActorID: p.UserID, Entity: entityName, RecordID: id, Action: "read", RequestID: requestID})
}

// List lists visible records, masked for p.
func (s *Service) List(ctx context.Context, p *access.Principal, entityName string, q entity.Query) (store.Page, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return store.Page{}, err
	}
	perm := p.Perm(e.Name)
	pred := s.DB.Visible(e, p, perm.Read)
	if q.Trash {
		pred = s.DB.Visible(e, p, perm.Delete)
	}
	if perm.Read == access.None || (q.Trash && perm.Delete == access.None) {
		return store.Page{}, errs.Denied()
	}
	page, err := s.DB.List(ctx, e, q, pred)
	if err != nil {
		return store.Page{}, err
	}
	for i, r := range page.Items {
		page.Items[i] = s.Present(p, e, r)
	}
	return page, nil
}

// CountBy counts the visible records matching conds, grouped by a field
// (select, user or reference fields; empty values under "").
func (s *Service) CountBy(ctx context.Context, p *access.Principal, entityName, field string, conds ...entity.Cond) (map[string]int, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, err
	}
	f := e.Field(field)
	if f == nil || f.Has(entity.Virtual) || !(f.Kind.IsText() || f.Kind == entity.Bool) {
		return nil, errs.Validation([]errs.FieldError{{Field: field, Code: "bad_filter", Args: map[string]any{"field": field}}})
	}
	if p.Perm(e.Name).Read == access.None {
		return map[string]int{}, nil
	}
	return s.DB.CountBy(ctx, e, entity.Query{Conds: conds}, s.ReadPred(e, p), f)
}

// Each walks every visible record matching q (for export), masked for p.
func (s *Service) Each(ctx context.Context, p *access.Principal, entityName string, q entity.Query, fn func(entity.Record) error) error {
	e, err := s.Entity(entityName)
	if err != nil {
		return err
	}
	perm := p.Perm(e.Name)
	if perm.Read == access.None || !perm.Export {
		return errs.Denied()
	}
	return s.DB.Each(ctx, e, q, s.DB.Visible(e, p, perm.Read), func(r entity.Record) error {
		return fn(s.Present(p, e, r))
	})
}

// Present masks contact details for principals without the right to see them.
func (s *Service) Present(p *access.Principal, e *entity.Entity, r entity.Record) entity.Record {
	if p.SeeContacts() {
		return r
	}
	for _, f := range e.Fields {
		if !f.Has(entity.Contact) {
			continue
		}
		if v, ok := r[f.Name].(string); ok && v != "" {
			r[f.Name] = access.Mask(string(f.Kind), v)
		}
	}
	return r
}

// Create validates and inserts a record in its own transaction.
func (s *Service) Create(ctx context.Context, p *access.Principal, entityName string, in entity.Record) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.CreateTx(ctx, tx, p, entityName, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	e, _ := s.Entity(entityName)
	return s.Present(p, e, out), nil
}

// CreateTx is Create inside the caller's transaction (processes, imports).
// The returned record is not masked.
func (s *Service) CreateTx(ctx context.Context, tx *store.Tx, p *access.Principal, entityName string, in entity.Record) (entity.Record, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, err
	}
	perm := p.Perm(e.Name)
	if !perm.Create {
		return nil, errs.Denied()
	}
	return s.create(ctx, tx, p, e, in, false)
}

// InsertTx creates a record written by a process (a stage change, a review,
// a score): read-only fields may be set and the entity's create right is
// not asked — the process has checked its own rule. Validation, hooks,
// audit and the index apply as for every write.
func (s *Service) InsertTx(ctx context.Context, tx *store.Tx, p *access.Principal, entityName string, in entity.Record) (entity.Record, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, tx, p, e, in, true)
}

func (s *Service) create(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, in entity.Record, system bool) (entity.Record, error) {
	rec, err := s.newRecord(ctx, tx, p, e, in, system)
	if err != nil {
		return nil, err
	}
	if err := s.write(ctx, tx, p, e, nil, rec, Create); err != nil {
		return nil, err
	}
	return rec, nil
}

// newRecord makes the record a create writes from the caller's fields:
// only writable ones (every one but virtual fields for a process), the
// declared defaults, the id and bookkeeping, the owner and the owner's team.
func (s *Service) newRecord(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, in entity.Record, system bool) (entity.Record, error) {
	var bad []errs.FieldError
	rec := entity.Record{}
	for k, v := range in {
		f := e.Field(k)
		switch {
		case f == nil:
			bad = append(bad, errs.FieldError{Field: k, Code: "unknown_field", Args: map[string]any{"field": k}})
		case k == "owner_id" && e.Vis.Owned:
			// handled below
		case !f.Writable() && !(system && !f.Has(entity.Virtual)):
			bad = append(bad, errs.FieldError{Field: k, Code: "read_only"})
		default:
			rec[k] = v
		}
	}
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	for _, f := range e.Fields {
		if f.Default != nil && entity.IsEmpty(rec[f.Name]) {
			rec[f.Name] = f.Default
		}
	}
	now := store.Now()
	rec["id"] = store.NewID()
	rec["version"] = int64(1)
	rec["created_at"], rec["updated_at"] = now, now
	rec["created_by"], rec["updated_by"] = nilIfEmpty(p.UserID), nilIfEmpty(p.UserID)
	if e.Vis.Owned {
		owner, err := s.ownerForCreate(ctx, tx, p, e, in)
		if err != nil {
			return nil, err
		}
		rec["owner_id"] = nilIfEmpty(owner)
		team, err := s.userTeam(ctx, tx, owner)
		if err != nil {
			return nil, err
		}
		rec["team_id"] = nilIfEmpty(team)
	}
	return rec, nil
}

// CreateManyTx creates records together, as an import's group of rows:
// each is made and checked as CreateTx does it, but the duplicate probes of
// all of them run as one statement and, on PostgreSQL, the rows go in
// multi-row INSERTs (store.InsertMany) — two round trips a record fewer.
// It writes all of them or
// returns the first problem met, having written part: the caller runs it
// under a savepoint and, when it fails, undoes it and creates the records
// one by one to learn which failed and why. Entities whose hooks declare no
// ProbeMany are created one by one here too: their Prepare may read rows
// of its own table that an earlier record of the group would have written.
func (s *Service) CreateManyTx(ctx context.Context, tx *store.Tx, p *access.Principal, entityName string, ins []entity.Record) ([]entity.Record, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, err
	}
	if !p.Perm(e.Name).Create {
		return nil, errs.Denied()
	}
	out := make([]entity.Record, 0, len(ins))
	h := s.hooks[e.Name]
	if h.ProbeMany == nil {
		for _, in := range ins {
			rec, err := s.create(ctx, tx, p, e, in, false)
			if err != nil {
				return nil, err
			}
			out = append(out, rec)
		}
		return out, nil
	}
	probe := !DuplicatesAllowed(ctx)
	checkCtx := AllowDuplicates(ctx) // ProbeMany below asks for all of them at once
	changed := make([][]string, 0, len(ins))
	for _, in := range ins {
		rec, err := s.newRecord(checkCtx, tx, p, e, in, false)
		if err != nil {
			return nil, err
		}
		ch, err := s.check(checkCtx, tx, p, e, nil, rec)
		if err != nil {
			return nil, err
		}
		out, changed = append(out, rec), append(changed, ch)
	}
	if probe {
		dup, err := h.ProbeMany(ctx, tx, out)
		if err != nil {
			return nil, err
		}
		if dup {
			return nil, errs.New(errs.Conflict, "possible_duplicate")
		}
	}
	if err := s.DB.InsertMany(ctx, tx, e, out); err != nil {
		return nil, err
	}
	for i, rec := range out {
		if err := s.written(ctx, tx, p, e, Create, nil, rec, changed[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ownerForCreate decides who owns a new record: the creator by default; a
// user with the assign right may name another owner, or none (the pool).
func (s *Service) ownerForCreate(ctx context.Context, q store.Querier, p *access.Principal, e *entity.Entity, in entity.Record) (string, error) {
	v, given := in["owner_id"]
	if !given {
		return p.UserID, nil
	}
	owner, _ := v.(string)
	if owner == p.UserID && owner != "" {
		return owner, nil
	}
	if owner == "" && !e.Vis.Pool {
		return p.UserID, nil
	}
	if !p.CanAssign() {
		return "", errs.Validation([]errs.FieldError{{Field: "owner_id", Code: "read_only"}})
	}
	if owner != "" {
		if err := s.activeUser(ctx, q, owner); err != nil {
			return "", errs.Validation([]errs.FieldError{{Field: "owner_id", Code: "invalid_user"}})
		}
	}
	return owner, nil
}

// activeUser checks that id names an active user.
func (s *Service) activeUser(ctx context.Context, q store.Querier, id string) error {
	st, err := s.DB.UserState(ctx, q, id)
	if err != nil {
		return err
	}
	if !st.Active {
		return errs.NotFoundf("user")
	}
	return nil
}

func (s *Service) userTeam(ctx context.Context, q store.Querier, userID string) (string, error) {
	if userID == "" {
		return "", nil
	}
	st, err := s.DB.UserState(ctx, q, userID)
	if err != nil {
		return "", fmt.Errorf("records: team of %s: %w", userID, err)
	}
	return st.Team, nil
}

// UserTeam returns the team of a user ("" when none).
func (s *Service) UserTeam(ctx context.Context, q store.Querier, userID string) (string, error) {
	return s.userTeam(ctx, q, userID)
}

// Update applies changes to a record last read at version.
func (s *Service) Update(ctx context.Context, p *access.Principal, entityName, id string, version int64, in entity.Record) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.UpdateTx(ctx, tx, p, entityName, id, version, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	e, _ := s.Entity(entityName)
	return s.Present(p, e, out), nil
}

// LoadForWrite reads a record the principal may write at the given
// permission scope, distinguishing invisible (NotFound) from read-only
// (Forbidden).
func (s *Service) LoadForWrite(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, id string, scope access.Scope, withDeleted bool) (entity.Record, error) {
	if scope == access.None {
		if _, err := s.DB.Get(ctx, tx, e, id, s.ReadPred(e, p), withDeleted); err != nil {
			return nil, err
		}
		return nil, errs.Denied()
	}
	old, err := s.DB.Get(ctx, tx, e, id, s.DB.Visible(e, p, scope), withDeleted)
	if errs.KindOf(err) == errs.NotFound {
		if _, rerr := s.DB.Get(ctx, tx, e, id, s.ReadPred(e, p), withDeleted); rerr == nil {
			return nil, errs.Denied()
		}
	}
	return old, err
}

// UpdateTx is Update inside the caller's transaction. A version of 0 skips
// the staleness check (imports upserting by key; processes that just read).
func (s *Service) UpdateTx(ctx context.Context, tx *store.Tx, p *access.Principal, entityName, id string, version int64, in entity.Record) (entity.Record, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, err
	}
	old, err := s.LoadForWrite(ctx, tx, p, e, id, p.Perm(e.Name).Write, false)
	if err != nil {
		return nil, err
	}
	if version != 0 && old.Version() != version {
		return nil, errs.Stale()
	}
	rec := old.Clone()
	var bad []errs.FieldError
	for k, v := range in {
		f := e.Field(k)
		switch {
		case f == nil:
			bad = append(bad, errs.FieldError{Field: k, Code: "unknown_field", Args: map[string]any{"field": k}})
		case k == "id" || k == "version":
			// identity and version travel with the request; ignore.
		case !f.Writable():
			if !entity.Equal(old[k], v) {
				bad = append(bad, errs.FieldError{Field: k, Code: "read_only"})
			}
		case f.Has(entity.Contact) && !p.SeeContacts() && isMaskedEcho(old[k], v, f):
			// The client sent back the masked value it was shown: no change.
		default:
			rec[k] = v
		}
	}
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	rec["updated_at"] = store.Now()
	rec["updated_by"] = nilIfEmpty(p.UserID)
	if err := s.write(ctx, tx, p, e, old, rec, Update); err != nil {
		return nil, err
	}
	return rec, nil
}

func isMaskedEcho(old, v any, f *entity.Field) bool {
	o, _ := old.(string)
	n, _ := v.(string)
	return n != "" && (n == access.Mask(string(f.Kind), o) || access.IsMasked(n))
}

// SetTx writes system-controlled fields (status by a process, owner by a
// reassignment) bypassing writability but not validation, audit, hooks or
// the index. The caller has checked permission for the process.
func (s *Service) SetTx(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, old entity.Record, set entity.Record) (entity.Record, error) {
	rec := old.Clone()
	for k, v := range set {
		if e.Field(k) == nil {
			return nil, fmt.Errorf("records: %s has no field %s", e.Name, k)
		}
		rec[k] = v
	}
	rec["updated_at"] = store.Now()
	rec["updated_by"] = nilIfEmpty(p.UserID)
	if err := s.write(ctx, tx, p, e, old, rec, Update); err != nil {
		return nil, err
	}
	return rec, nil
}

// write is the one path every create and update takes (CreateManyTx takes
// its three steps for many records at once).
func (s *Service) write(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, old, rec entity.Record, action Action) error {
	changed, err := s.check(ctx, tx, p, e, old, rec)
	if err != nil {
		return err
	}
	if action == Update && onlyBookkeeping(changed) {
		// Nothing the user can see changed: keep the version.
		for k, v := range old {
			rec[k] = v
		}
		return nil
	}
	if action == Create {
		if err := s.DB.Insert(ctx, tx, e, rec); err != nil {
			return err
		}
	} else {
		set := entity.Record{}
		for _, k := range changed {
			set[k] = rec[k]
		}
		v, err := s.DB.Update(ctx, tx, e, old.ID(), old.Version(), set)
		if err != nil {
			return err
		}
		rec["version"] = v
	}
	return s.written(ctx, tx, p, e, action, old, rec, changed)
}

// check runs the hooks' Prepare, the required fields and the references,
// and returns the fields that differ from old.
func (s *Service) check(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, old, rec entity.Record) ([]string, error) {
	var bad []errs.FieldError
	if prep := s.hooks[e.Name].Prepare; prep != nil {
		if err := prep(ctx, tx, p, old, rec); err != nil {
			ee := errs.As(err)
			if ee == nil || ee.Code != "validation" {
				return nil, err
			}
			bad = append(bad, ee.Fields...)
		}
	}
	bad = append(bad, e.RequiredMissing(rec)...)
	refBad, err := s.checkRefs(ctx, tx, p, e, old, rec)
	if err != nil {
		return nil, err
	}
	bad = append(bad, refBad...)
	if err := errs.Validation(dedupe(bad)); err != nil {
		return nil, err
	}
	return diff(e, old, rec), nil
}

// written follows a stored write: the audit entry, the search index, the
// hooks' After.
func (s *Service) written(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, action Action, old, rec entity.Record, changed []string) error {
	if err := s.audit(ctx, tx, p, e, action, old, rec, changed); err != nil {
		return err
	}
	if err := s.reindex(ctx, tx, e, rec, old, changed); err != nil {
		return err
	}
	if after := s.hooks[e.Name].After; after != nil {
		return after(ctx, tx, p, Change{Entity: e, Action: action, Old: old, New: rec, Changed: changed})
	}
	return nil
}

func onlyBookkeeping(changed []string) bool {
	for _, c := range changed {
		if c != "updated_at" && c != "updated_by" {
			return false
		}
	}
	return true
}

func dedupe(in []errs.FieldError) []errs.FieldError {
	seen := map[string]bool{}
	var out []errs.FieldError
	for _, fe := range in {
		k := fe.Field + "\x00" + fe.Code
		if !seen[k] {
			seen[k] = true
			out = append(out, fe)
		}
	}
	return out
}

// diff lists the column fields whose values differ between old and rec.
func diff(e *entity.Entity, old, rec entity.Record) []string {
	var out []string
	for _, f := range e.Columns() {
		if f.Name == "version" {
			continue
		}
		var ov any
		if old != nil {
			ov = old[f.Name]
		}
		if !entity.Equal(ov, rec[f.Name]) {
			out = append(out, f.Name)
		}
	}
	return out
}

// checkRefs verifies that changed reference fields point at records the
// principal may see and at active users.
func (s *Service) checkRefs(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, old, rec entity.Record) ([]errs.FieldError, error) {
	var bad []errs.FieldError
	for _, f := range e.Fields {
		if f.Kind == entity.Refs {
			fe, err := s.checkRefList(ctx, tx, p, f, old, rec)
			if err != nil {
				return nil, err
			}
			if fe != nil {
				bad = append(bad, *fe)
			}
			continue
		}
		if f.Kind != entity.Ref && f.Kind != entity.User {
			continue
		}
		v, _ := rec[f.Name].(string)
		if v == "" || (old != nil && old.Str(f.Name) == v) {
			continue
		}
		if f.Kind == entity.User {
			if err := s.activeUser(ctx, tx, v); err != nil {
				if errs.KindOf(err) != errs.NotFound {
					return nil, err
				}
				bad = append(bad, errs.FieldError{Field: f.Name, Code: "invalid_user"})
			}
			continue
		}
		if f.Name == "team_id" && e.Vis.Owned {
			continue // set by the system from the owner
		}
		target := s.Schema().Entity(f.Ref)
		if target == nil {
			continue
		}
		if _, err := s.DB.Get(ctx, tx, target, v, s.ReadPred(target, p), false); err != nil {
			if errs.KindOf(err) != errs.NotFound {
				return nil, err
			}
			bad = append(bad, errs.FieldError{Field: f.Name, Code: "invalid_ref"})
		}
	}
	return bad, nil
}

// checkRefList verifies every id of a reference list (participants).
func (s *Service) checkRefList(ctx context.Context, tx *store.Tx, p *access.Principal, f *entity.Field, old, rec entity.Record) (*errs.FieldError, error) {
	ids := rec.List(f.Name)
	if len(ids) == 0 || (old != nil && entity.Equal(old[f.Name], rec[f.Name])) {
		return nil, nil
	}
	if f.Ref == "user" {
		for _, id := range ids {
			if err := s.activeUser(ctx, tx, id); err != nil {
				if errs.KindOf(err) != errs.NotFound {
					return nil, err
				}
				return &errs.FieldError{Field: f.Name, Code: "invalid_user"}, nil
			}
		}
		return nil, nil
	}
	target := s.Schema().Entity(f.Ref)
	if target == nil {
		return nil, nil
	}
	found, err := s.DB.GetMany(ctx, tx, target, ids, s.ReadPred(target, p))
	if err != nil {
		return nil, err
	}
	if len(found) != len(ids) {
		return &errs.FieldError{Field: f.Name, Code: "invalid_ref"}, nil
	}
	return nil, nil
}

func (s *Service) audit(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, action Action, old, rec entity.Record, changed []string) error {
	ch := map[string]store.Change{}
	for _, k := range changed {
		if k == "updated_at" || k == "updated_by" || k == "created_at" || k == "created_by" || k == "id" {
			continue
		}
		var ov any
		if old != nil {
			ov = old[k]
		}
		ch[k] = store.Change{Old: ov, New: rec[k]}
	}
	return s.DB.Audit(ctx, tx, store.AuditEntry{
		ActorID: p.UserID, Entity: e.Name, RecordID: rec.ID(), Action: string(action), Changes: ch, RequestID: RequestID(ctx),
	})
}

// Reindex recomputes the search document of a record.
func (s *Service) Reindex(ctx context.Context, q store.Querier, e *entity.Entity, rec entity.Record) error {
	return s.index(ctx, q, e, rec, false)
}

// index writes the search document of a record; fresh says it has none yet
// (just created, or the index was emptied), so none is removed first.
func (s *Service) index(ctx context.Context, q store.Querier, e *entity.Entity, rec entity.Record, fresh bool) error {
	parts := SearchParts(e, rec)
	if len(parts) == 0 {
		return nil
	}
	owners, teams, pooled := []string{rec.Str("owner_id")}, []string{rec.Str("team_id")}, e.Vis.Pool && rec.Str("owner_id") == ""
	if h := s.hooks[e.Name]; h.VisOwners != nil {
		var err error
		if owners, teams, pooled, err = h.VisOwners(ctx, q, rec); err != nil {
			return err
		}
	}
	if e.Vis.Grants {
		granted, err := s.DB.GrantedUsers(ctx, q, rec.ID())
		if err != nil {
			return err
		}
		owners = append(owners, granted...)
	}
	toks := search.Tokens(parts)
	toks = append(toks, store.VisTokens(e.Name, owners, teams, pooled)...)
	if fresh {
		return s.DB.IndexNewDoc(ctx, q, e.Name, rec.ID(), toks)
	}
	return s.DB.IndexDoc(ctx, q, e.Name, rec.ID(), toks)
}

func (s *Service) reindex(ctx context.Context, tx *store.Tx, e *entity.Entity, rec, old entity.Record, changed []string) error {
	if len(e.FieldsWith(entity.Search)) == 0 {
		return nil
	}
	if old != nil && rec["deleted_at"] == nil && old["deleted_at"] == nil {
		relevant := false
		for _, k := range changed {
			if f := e.Field(k); f != nil && (f.Has(entity.Search) || k == "owner_id" || k == "team_id") {
				relevant = true
			}
		}
		if !relevant {
			return nil
		}
	}
	if rec["deleted_at"] != nil {
		return s.DB.UnindexDoc(ctx, tx, rec.ID())
	}
	return s.index(ctx, tx, e, rec, old == nil)
}

// SearchParts is what of a record goes into the search index.
func SearchParts(e *entity.Entity, rec entity.Record) []search.Part {
	var parts []search.Part
	for _, f := range e.FieldsWith(entity.Search) {
		var texts []string
		switch v := rec[f.Name].(type) {
		case string:
			texts = []string{v}
		case []string:
			texts = v
		}
		for _, t := range texts {
			if t == "" {
				continue
			}
			kind := search.Text
			switch {
			case f.Kind == entity.Phone:
				kind = search.Phone
			case f.Kind == entity.Email:
				kind = search.Email
			case f.Has(entity.PersonName):
				kind = search.Name
			}
			parts = append(parts, search.Part{Text: t, Kind: kind})
		}
	}
	return parts
}

// Delete soft-deletes (or, for entities without soft delete, removes) a record.
func (s *Service) Delete(ctx context.Context, p *access.Principal, entityName, id string, version int64) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error { return s.DeleteTx(ctx, tx, p, entityName, id, version) })
}

// DeleteTx is Delete in the caller's transaction.
func (s *Service) DeleteTx(ctx context.Context, tx *store.Tx, p *access.Principal, entityName, id string, version int64) error {
	e, err := s.Entity(entityName)
	if err != nil {
		return err
	}
	if !e.SoftDelete {
		return errs.New(errs.Unprocessable, "delete_not_supported")
	}
	old, err := s.LoadForWrite(ctx, tx, p, e, id, p.Perm(e.Name).Delete, false)
	if err != nil {
		return err
	}
	if version != 0 && old.Version() != version {
		return errs.Stale()
	}
	rec := old.Clone()
	now := store.Now()
	rec["deleted_at"], rec["updated_at"], rec["updated_by"] = now, now, nilIfEmpty(p.UserID)
	v, err := s.DB.Update(ctx, tx, e, old.ID(), old.Version(), entity.Record{"deleted_at": now, "updated_at": now, "updated_by": nilIfEmpty(p.UserID)})
	if err != nil {
		return err
	}
	rec["version"] = v
	if err := s.audit(ctx, tx, p, e, Delete, old, rec, nil); err != nil {
		return err
	}
	if err := s.DB.UnindexDoc(ctx, tx, rec.ID()); err != nil {
		return err
	}
	if h := s.hooks[e.Name]; h.After != nil {
		return h.After(ctx, tx, p, Change{Entity: e, Action: Delete, Old: old, New: rec, Changed: []string{"deleted_at"}})
	}
	return nil
}

// Restore brings back a soft-deleted record.
func (s *Service) Restore(ctx context.Context, p *access.Principal, entityName, id string) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.RestoreTx(ctx, tx, p, entityName, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	e, _ := s.Entity(entityName)
	return s.Present(p, e, out), nil
}

// RestoreTx is Restore in the caller's transaction.
func (s *Service) RestoreTx(ctx context.Context, tx *store.Tx, p *access.Principal, entityName, id string) (entity.Record, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, err
	}
	old, err := s.LoadForWrite(ctx, tx, p, e, id, p.Perm(e.Name).Delete, true)
	if err != nil {
		return nil, err
	}
	if old["deleted_at"] == nil {
		return nil, errs.New(errs.Unprocessable, "not_deleted")
	}
	rec := old.Clone()
	now := store.Now()
	rec["deleted_at"], rec["updated_at"], rec["updated_by"] = nil, now, nilIfEmpty(p.UserID)
	v, err := s.DB.Update(ctx, tx, e, old.ID(), old.Version(), entity.Record{"deleted_at": nil, "updated_at": now, "updated_by": nilIfEmpty(p.UserID)})
	if err != nil {
		return nil, err
	}
	rec["version"] = v
	if err := s.audit(ctx, tx, p, e, Restore, old, rec, nil); err != nil {
		return nil, err
	}
	if err := s.Reindex(ctx, tx, e, rec); err != nil {
		return nil, err
	}
	if h := s.hooks[e.Name]; h.After != nil {
		if err := h.After(ctx, tx, p, Change{Entity: e, Action: Restore, Old: old, New: rec, Changed: []string{"deleted_at"}}); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// Titles returns the titles of records by id (for showing references),
// only for records p may see; others are left out.
func (s *Service) Titles(ctx context.Context, p *access.Principal, entityName string, ids []string) (map[string]string, error) {
	out := map[string]string{}
	e, err := s.Entity(entityName)
	if err != nil || len(ids) == 0 {
		return out, err
	}
	ids = uniq(ids)
	recs, err := s.DB.GetMany(ctx, s.DB.R(), e, ids, s.ReadPred(e, p))
	if err != nil {
		return nil, err
	}
	for id, r := range recs {
		out[id] = r.Str(e.Title)
	}
	return out, nil
}

func uniq(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type ctxKey int

const requestIDKey ctxKey = 1

// WithRequestID tags a context with the request id, recorded in the audit log.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// IsNotFound reports a missing or invisible record.
func IsNotFound(err error) bool { return errs.KindOf(err) == errs.NotFound }

const (
	processKey ctxKey = iota + 10
	allowDupKey
)

// AsProcess marks a context as running a process (conversion, claim,
// merge …), whose hooks may make changes a person may not make by editing.
func AsProcess(ctx context.Context) context.Context { return context.WithValue(ctx, processKey, true) }

// IsProcess reports whether ctx runs a process.
func IsProcess(ctx context.Context) bool { v, _ := ctx.Value(processKey).(bool); return v }

// AllowDuplicates marks a create as confirmed despite possible duplicates.
func AllowDuplicates(ctx context.Context) context.Context {
	return context.WithValue(ctx, allowDupKey, true)
}

// DuplicatesAllowed reports whether AllowDuplicates was set.
func DuplicatesAllowed(ctx context.Context) bool { v, _ := ctx.Value(allowDupKey).(bool); return v }
