// Package approvals runs approvals (审批) for any document type: an area
// registers its document (how to compute the facts rules test, what to do
// when an approval ends); submitting a document evaluates the admins'
// rules (crm.Evaluate, pure) into ordered steps; each step waits for the
// users who may decide it (a role's holders, the submitter's own manager,
// a named user, admins when nobody fits); approvers approve, reject or
// return with a comment; every decision is audited, told on the
// customer's timeline and notified. The approval and its steps are
// declared records (crm.Approval, crm.ApprovalStep) written only here.
package approvals

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Facts are a document's condition inputs: int64 for numbers (basis
// points, fen), string for codes.
type Facts = crm.ApprovalFacts

// DocType is a document an area submits for approval.
type DocType struct {
	Entity string // entity name, e.g. "quote"
	// Facts computes the condition inputs of a record inside the caller's transaction.
	Facts func(ctx context.Context, q store.Querier, rec entity.Record) (Facts, error)
	// Decided runs inside the deciding transaction when an approval ends:
	// outcome is "approved", "rejected" or "returned"; the document's own
	// status changes here. tx is the *store.Tx of that transaction.
	Decided func(ctx context.Context, tx store.Querier, p *access.Principal, recordID, outcome, comment string) error
	// FactLabels optionally names the facts for people (the approval card
	// lists the facts as submitted); facts named *_bp are shown as
	// percentages, *_fen as money.
	FactLabels map[string]i18n.Text
}

// Step is one step of an approval: planned (Plan) or recorded (Current).
type Step struct {
	ID        string     `json:"id,omitempty"`
	Position  int        `json:"position"`
	Level     int64      `json:"level"`
	Rule      string     `json:"rule,omitempty"`
	Role      string     `json:"role,omitempty"`
	UserID    string     `json:"user_id,omitempty"`
	Label     string     `json:"label,omitempty"`
	Status    string     `json:"status,omitempty"`
	Approvers []string   `json:"approvers,omitempty"` // who may decide it (resolved when reached)
	Fallback  bool       `json:"fallback,omitempty"`  // nobody fitted: it fell to the admins
	Decision  string     `json:"decision,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	Comment   string     `json:"comment,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	Version   int64      `json:"-"`
}

// Approval is one approval of one document, with its steps.
type Approval struct {
	ID          string     `json:"id"`
	Version     int64      `json:"version"`
	DocType     string     `json:"doc_type"`
	RecordID    string     `json:"record_id"`
	RecordTitle string     `json:"record_title"`
	CustomerID  string     `json:"customer_id,omitempty"`
	Status      string     `json:"status"`
	CurrentStep int        `json:"current_step"`
	Awaiting    []string   `json:"awaiting"`
	SubmittedBy string     `json:"submitted_by"`
	SubmittedAt time.Time  `json:"submitted_at"`
	Reason      string     `json:"reason"`
	Facts       Facts      `json:"facts,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	Steps       []Step     `json:"steps"`

	rec entity.Record
}

// Open reports whether the approval still waits for a decision.
func (a *Approval) Open() bool { return a.Status == crm.ApprovalPending }

// Pending returns the step awaiting a decision, or nil.
func (a *Approval) Pending() *Step {
	if !a.Open() {
		return nil
	}
	for i := range a.Steps {
		if a.Steps[i].Status == crm.StepPending {
			return &a.Steps[i]
		}
	}
	return nil
}

// Service runs approvals.
type Service struct {
	R  *records.Service
	DB *store.DB

	mu      sync.RWMutex
	types   map[string]DocType
	nowFunc func() time.Time
}

// New creates the service and registers the hooks of the rule records.
func New(r *records.Service) *Service {
	s := &Service{R: r, DB: r.DB, types: map[string]DocType{}, nowFunc: store.Now}
	s.registerRules()
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

// Register makes a document type submittable. Registering a type again
// replaces it.
func (s *Service) Register(dt DocType) {
	if dt.Entity == "" || dt.Facts == nil {
		panic("approvals: a document type needs an entity and facts")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.types[dt.Entity] = dt
}

// Registered reports whether documents of an entity go through approvals.
func (s *Service) Registered(entityName string) bool {
	_, ok := s.docType(entityName)
	return ok
}

// DocType returns a registered document type.
func (s *Service) DocType(entityName string) (DocType, bool) { return s.docType(entityName) }

func (s *Service) docType(name string) (DocType, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	dt, ok := s.types[name]
	return dt, ok
}

// Plan says which steps the rules require for rec now (nil = no approval
// needed), without writing and whoever submits. PlanFor leaves out what
// lies within a submitter's own authority.
func (s *Service) Plan(ctx context.Context, q store.Querier, entityName string, rec entity.Record) ([]Step, error) {
	steps, _, err := s.plan(ctx, q, entityName, rec)
	return steps, err
}

// PlanFor is Plan for a submitter: steps the submitter could decide
// themselves (they hold the role asked, are the user named, or are an
// administrator) are left out. nil means p may go ahead without approval.
func (s *Service) PlanFor(ctx context.Context, q store.Querier, p *access.Principal, entityName string, rec entity.Record) ([]Step, error) {
	steps, _, err := s.plan(ctx, q, entityName, rec)
	if err != nil {
		return nil, err
	}
	return withoutOwnAuthority(p, steps), nil
}

func withoutOwnAuthority(p *access.Principal, steps []Step) []Step {
	var out []Step
	for _, st := range steps {
		if Covers(p, st.Role, st.UserID) {
			continue
		}
		st.Position = len(out) + 1
		out = append(out, st)
	}
	return out
}

// Covers reports whether a step waiting for role or userID lies within
// p's own authority: administrators decide every step, a holder of the
// role asked decides it, and so does the named user.
func Covers(p *access.Principal, role, userID string) bool {
	if p == nil || p.UserID == "" {
		return false
	}
	if p.IsAdmin() {
		return true
	}
	if userID != "" {
		return userID == p.UserID
	}
	return role != "" && p.HasRole(role)
}

func (s *Service) plan(ctx context.Context, q store.Querier, entityName string, rec entity.Record) ([]Step, Facts, error) {
	dt, ok := s.docType(entityName)
	if !ok {
		return nil, nil, fmt.Errorf("approvals: %s is not a registered document type", entityName)
	}
	facts, err := dt.Facts(ctx, q, rec)
	if err != nil {
		return nil, nil, errs.Wrap(err, "approvals: facts of %s %s", entityName, rec.ID())
	}
	rules, err := s.activeRules(ctx, q, entityName)
	if err != nil {
		return nil, nil, err
	}
	planned, err := crm.Evaluate(rules, facts)
	if err != nil {
		return nil, nil, err
	}
	var out []Step
	for i, ps := range planned {
		out = append(out, Step{Position: i + 1, Level: ps.Level, Rule: ps.Rule, Role: ps.Role, UserID: ps.UserID})
	}
	return out, facts, nil
}

// activeRules loads the active rules of a document type with their steps.
func (s *Service) activeRules(ctx context.Context, q store.Querier, docType string) ([]crm.Rule, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.name, r.level, r.position, r.fact, r.op, r.value, st.role, st.user_id
		FROM approval_rules r LEFT JOIN approval_rule_steps st ON st.rule_id = r.id AND st.deleted_at IS NULL
		WHERE r.doc_type = $1 AND r.active = TRUE AND r.deleted_at IS NULL
		ORDER BY r.level, r.position, r.id, st.position, st.id`, docType)
	if err != nil {
		return nil, fmt.Errorf("approvals: rules of %s: %w", docType, err)
	}
	defer rows.Close()
	var out []crm.Rule
	for rows.Next() {
		var r crm.Rule
		var role, user *string
		if err := rows.Scan(&r.ID, &r.Name, &r.Level, &r.Position, &r.Cond.Fact, &r.Cond.Op, &r.Cond.Value, &role, &user); err != nil {
			return nil, fmt.Errorf("approvals: rules of %s: %w", docType, err)
		}
		if n := len(out); n == 0 || out[n-1].ID != r.ID {
			out = append(out, r)
		}
		if role != nil || user != nil {
			st := crm.RuleStep{}
			if role != nil {
				st.Role = *role
			}
			if user != nil {
				st.UserID = *user
			}
			out[len(out)-1].Steps = append(out[len(out)-1].Steps, st)
		}
	}
	return out, rows.Err()
}

// asTx is the write transaction behind q.
func asTx(q store.Querier) (*store.Tx, error) {
	tx, ok := q.(*store.Tx)
	if !ok {
		return nil, fmt.Errorf("approvals: writes need the *store.Tx of DB.Write, got %T", q)
	}
	return tx, nil
}

// actor is p acting through the approval process: the records it writes
// (the approval, its steps) are attributed to p, but p's own rights on
// approval records are not asked — the process checked its rule.
func actor(p *access.Principal) *access.Principal {
	return &access.Principal{UserID: p.UserID, Name: p.Name, Email: p.Email, TeamID: p.TeamID, Teams: p.Teams, System: true}
}

// Submit starts an approval in tx; returns nil (and calls nothing) when no
// rule applies — or when every step the rules ask lies within the
// submitter's own authority (PlanFor). A document has at most one pending
// approval (409 approval_open); a reason is required (422).
func (s *Service) Submit(ctx context.Context, q store.Querier, p *access.Principal, entityName string, rec entity.Record, reason string) (*Approval, error) {
	tx, err := asTx(q)
	if err != nil {
		return nil, err
	}
	if p == nil || p.UserID == "" {
		return nil, errs.Denied()
	}
	if p.ReadOnly {
		return nil, errs.New(errs.Forbidden, "token_read_only")
	}
	all, facts, err := s.plan(ctx, tx, entityName, rec)
	if err != nil {
		return nil, err
	}
	steps := withoutOwnAuthority(p, all)
	if len(steps) == 0 {
		return nil, nil
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, errs.Validation([]errs.FieldError{{Field: "reason", Code: "approval_reason_required"}})
	}
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM approvals WHERE doc_type = $1 AND record_id = $2 AND status = $3`,
		entityName, rec.ID(), crm.ApprovalPending).Scan(&open); err != nil {
		return nil, fmt.Errorf("approvals: open approvals: %w", err)
	}
	if open > 0 {
		return nil, errs.New(errs.Conflict, "approval_open")
	}
	e := s.R.Schema().Entity(entityName)
	if e == nil {
		return nil, fmt.Errorf("approvals: unknown entity %s", entityName)
	}
	factsJSON, err := json.Marshal(facts)
	if err != nil {
		return nil, fmt.Errorf("approvals: facts: %w", err)
	}
	now := s.now()
	in := entity.Record{
		"record_title": title(e, rec), "doc_type": entityName, "record_id": rec.ID(), "status": crm.ApprovalPending,
		"current_step": int64(1), "steps_total": int64(len(steps)), "submitted_by": p.UserID, "submitted_at": now,
		"reason": reason, "facts": string(factsJSON), "owner_id": p.UserID,
	}
	if cid, err := s.customerOf(ctx, tx, p, e, rec); err != nil {
		return nil, err
	} else if cid != "" {
		in["customer_id"] = cid
	}
	ctx = records.AsProcess(ctx)
	who := actor(p)
	ar, err := s.R.InsertTx(ctx, tx, who, "approval", in)
	if err != nil {
		if store.IsUniqueViolation(err) {
			return nil, errs.New(errs.Conflict, "approval_open")
		}
		return nil, errs.Wrap(err, "approvals: insert approval")
	}
	var stepRecs []entity.Record
	for _, st := range steps {
		label, err := s.stepLabel(ctx, tx, st.Role, st.UserID)
		if errs.KindOf(err) == errs.Invalid {
			label, err = st.Role, nil // a role removed since the rule was written: named by its code
		}
		if err != nil {
			return nil, err
		}
		sr := entity.Record{"approval_id": ar.ID(), "position": int64(st.Position), "label": label, "level": st.Level,
			"status": crm.StepWaiting}
		if st.Rule != "" {
			sr["rule_name"] = st.Rule
		}
		if st.Role != "" {
			sr["role"] = st.Role
		}
		if st.UserID != "" {
			sr["user_id"] = st.UserID
		}
		out, err := s.R.InsertTx(ctx, tx, who, "approval_step", sr)
		if err != nil {
			return nil, errs.Wrap(err, "approvals: insert step")
		}
		stepRecs = append(stepRecs, out)
	}
	a := fromRecords(ar, stepRecs)
	info := s.docInfo(e, a)
	if err := s.event(ctx, tx, p, a, "approval_submitted", info.with("note", reason)); err != nil {
		return nil, err
	}
	if err := s.auditDoc(ctx, tx, p, a, "approval_submit", map[string]store.Change{"approval": {New: a.ID}, "reason": {New: reason}}); err != nil {
		return nil, err
	}
	if err := s.activate(ctx, tx, p, e, a, 0); err != nil {
		return nil, err
	}
	return s.load(ctx, tx, a.ID)
}

func title(e *entity.Entity, rec entity.Record) string {
	t := strings.TrimSpace(fmt.Sprint(rec[e.Title]))
	if rec[e.Title] == nil || t == "" {
		t = e.Label.Zh
	}
	if r := []rune(t); len(r) > 300 {
		t = string(r[:300])
	}
	return t
}

// customerOf is the customer whose timeline tells the approval: the
// document's customer_id (or the document itself when it is a customer),
// when p may see it.
func (s *Service) customerOf(ctx context.Context, q store.Querier, p *access.Principal, e *entity.Entity, rec entity.Record) (string, error) {
	id := ""
	switch {
	case e.Name == "customer":
		id = rec.ID()
	case e.Field("customer_id") != nil && e.Field("customer_id").Ref == "customer":
		id = rec.Str("customer_id")
	}
	if id == "" {
		return "", nil
	}
	ce := s.R.Schema().Entity("customer")
	if _, err := s.DB.Get(ctx, q, ce, id, s.R.ReadPred(ce, p), false); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return "", nil
		}
		return "", errs.Wrap(err, "approvals: customer of the document")
	}
	return id, nil
}

// stepLabel names who a step waits for, as stored for generic lists: the
// role's name or the user's.
func (s *Service) stepLabel(ctx context.Context, q store.Querier, role, userID string) (string, error) {
	if userID != "" {
		u, err := s.DB.UserByID(ctx, q, userID)
		if err != nil {
			if errs.KindOf(err) == errs.NotFound {
				return userID, nil
			}
			return "", errs.Wrap(err, "approvals: named approver")
		}
		return u.Name, nil
	}
	// Roles are read from the table: at first start the schema's role
	// list is older than the roles just seeded.
	var zh string
	if err := q.QueryRowContext(ctx, `SELECT label_zh FROM roles WHERE code = $1`, role).Scan(&zh); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", errs.Validation([]errs.FieldError{{Field: "role", Code: "invalid_option", Args: map[string]any{"value": role}}})
		}
		return "", fmt.Errorf("approvals: role %s: %w", role, err)
	}
	return zh, nil
}

// activate makes the step at index i pending: its approvers are resolved
// now (a manager changed since submission is respected), given read
// grants on the approval (and on the document when its entity has
// grants), and notified.
func (s *Service) activate(ctx context.Context, tx *store.Tx, p *access.Principal, e *entity.Entity, a *Approval, i int) error {
	st := &a.Steps[i]
	approvers, fallback, err := s.approversFor(ctx, tx, a.SubmittedBy, st.Role, st.UserID)
	if err != nil {
		return err
	}
	ctx = records.AsProcess(ctx)
	who := actor(p)
	se, ae := s.R.Schema().Entity("approval_step"), s.R.Schema().Entity("approval")
	old, err := s.DB.Get(ctx, tx, se, st.ID, nil, false)
	if err != nil {
		return errs.Wrap(err, "approvals: step")
	}
	set := entity.Record{"status": crm.StepPending, "approvers": listOrNil(approvers), "fallback": fallback}
	if _, err := s.R.SetTx(ctx, tx, who, se, old, set); err != nil {
		return errs.Wrap(err, "approvals: activate step")
	}
	st.Status, st.Approvers, st.Fallback = crm.StepPending, approvers, fallback
	ar, err := s.DB.Get(ctx, tx, ae, a.ID, nil, false)
	if err != nil {
		return errs.Wrap(err, "approvals: approval")
	}
	if !slices.Equal(ar.List("awaiting"), approvers) || ar.Int("current_step") != int64(st.Position) {
		if ar, err = s.R.SetTx(ctx, tx, who, ae, ar, entity.Record{"awaiting": listOrNil(approvers), "current_step": int64(st.Position)}); err != nil {
			return errs.Wrap(err, "approvals: awaiting")
		}
	}
	a.rec, a.Version, a.Awaiting, a.CurrentStep = ar, ar.Version(), approvers, st.Position
	if err := s.grant(ctx, tx, e, a, approvers); err != nil {
		return err
	}
	info := s.docInfo(e, a)
	submitter, err := s.userName(ctx, tx, a.SubmittedBy)
	if err != nil {
		return err
	}
	for _, uid := range approvers {
		if err := s.notify(ctx, tx, uid, "approval_pending", a, info.with("submitter", submitter).with("reason", a.Reason)); err != nil {
			return err
		}
	}
	return nil
}

// grant lets approvers read the approval and, for documents with grants,
// the document (so a named approver outside the owner's scope can judge it).
func (s *Service) grant(ctx context.Context, tx *store.Tx, e *entity.Entity, a *Approval, users []string) error {
	docGranted := false
	for _, uid := range users {
		if err := s.DB.Grant(ctx, tx, "approval", a.ID, uid, a.ID); err != nil {
			return err
		}
		if e.Vis.Grants {
			if err := s.DB.Grant(ctx, tx, e.Name, a.RecordID, uid, a.ID); err != nil {
				return err
			}
			docGranted = true
		}
	}
	if docGranted && len(e.FieldsWith(entity.Search)) > 0 {
		doc, err := s.DB.Get(ctx, tx, e, a.RecordID, nil, false)
		if err == nil {
			return s.R.Reindex(ctx, tx, e, doc)
		}
		if errs.KindOf(err) != errs.NotFound {
			return errs.Wrap(err, "approvals: reindex document")
		}
	}
	return nil
}

func listOrNil(ids []string) any {
	if len(ids) == 0 {
		return nil
	}
	return ids
}

// Cancel withdraws a record's open approval (e.g. when the document is
// revised) — or its approval that ended approved, when the approved
// content changes — so that the document goes through approval again.
// Nothing to withdraw is no error; Decided is not called.
func (s *Service) Cancel(ctx context.Context, q store.Querier, p *access.Principal, entityName, recordID string) error {
	tx, err := asTx(q)
	if err != nil {
		return err
	}
	a, err := s.Current(ctx, tx, entityName, recordID)
	if err != nil || a == nil {
		return err
	}
	if a.Status != crm.ApprovalPending && a.Status != crm.ApprovalApproved {
		return nil
	}
	e := s.R.Schema().Entity(entityName)
	if e == nil {
		return fmt.Errorf("approvals: unknown entity %s", entityName)
	}
	ctx = records.AsProcess(ctx)
	who := actor(p)
	var awaited []string
	if pend := a.Pending(); pend != nil {
		awaited = pend.Approvers
	}
	wasApproved := a.Status == crm.ApprovalApproved
	if _, err := s.R.SetTx(ctx, tx, who, s.R.Schema().Entity("approval"), a.rec,
		entity.Record{"status": crm.ApprovalCancelled, "awaiting": nil, "decided_at": s.now()}); err != nil {
		return errs.Wrap(err, "approvals: cancel")
	}
	if err := s.closeSteps(ctx, tx, who, a, crm.StepCancelled); err != nil {
		return err
	}
	info := s.docInfo(e, a)
	kind := "approval_cancelled"
	if wasApproved {
		kind = "approval_withdrawn"
	}
	if err := s.event(ctx, tx, p, a, kind, info); err != nil {
		return err
	}
	if err := s.auditDoc(ctx, tx, p, a, "approval_cancel", map[string]store.Change{"approval": {Old: a.Status, New: crm.ApprovalCancelled}}); err != nil {
		return err
	}
	for _, uid := range awaited {
		if err := s.notify(ctx, tx, uid, "approval_cancelled", a, info.with("by", p.Name)); err != nil {
			return err
		}
	}
	return nil
}

// closeSteps marks the steps not decided yet: to (skipped or cancelled).
func (s *Service) closeSteps(ctx context.Context, tx *store.Tx, who *access.Principal, a *Approval, to string) error {
	se := s.R.Schema().Entity("approval_step")
	for _, st := range a.Steps {
		if st.Status != crm.StepWaiting && st.Status != crm.StepPending {
			continue
		}
		old, err := s.DB.Get(ctx, tx, se, st.ID, nil, false)
		if err != nil {
			return errs.Wrap(err, "approvals: step")
		}
		if _, err := s.R.SetTx(ctx, tx, who, se, old, entity.Record{"status": to}); err != nil {
			return errs.Wrap(err, "approvals: close step")
		}
	}
	return nil
}

// Current returns the record's latest approval with its steps (history),
// for the document's page; nil when it was never submitted. The caller
// has checked that the document may be seen.
func (s *Service) Current(ctx context.Context, q store.Querier, entityName, recordID string) (*Approval, error) {
	ids, err := store.Strings(ctx, q, `SELECT id FROM approvals WHERE doc_type = $1 AND record_id = $2 ORDER BY submitted_at DESC, id DESC LIMIT 1`, entityName, recordID)
	if err != nil {
		return nil, fmt.Errorf("approvals: current: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.load(ctx, q, ids[0])
}

// History returns every approval of a record, newest first, with steps.
func (s *Service) History(ctx context.Context, q store.Querier, entityName, recordID string) ([]*Approval, error) {
	ids, err := store.Strings(ctx, q, `SELECT id FROM approvals WHERE doc_type = $1 AND record_id = $2 ORDER BY submitted_at DESC, id DESC LIMIT 50`, entityName, recordID)
	if err != nil {
		return nil, fmt.Errorf("approvals: history: %w", err)
	}
	var out []*Approval
	for _, id := range ids {
		a, err := s.load(ctx, q, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// load reads an approval and its steps without a visibility check.
func (s *Service) load(ctx context.Context, q store.Querier, id string) (*Approval, error) {
	ae, se := s.R.Schema().Entity("approval"), s.R.Schema().Entity("approval_step")
	ar, err := s.DB.Get(ctx, q, ae, id, nil, false)
	if err != nil {
		return nil, err
	}
	ids, err := store.Strings(ctx, q, `SELECT id FROM approval_steps WHERE approval_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("approvals: steps: %w", err)
	}
	byID, err := s.DB.GetMany(ctx, q, se, ids, nil)
	if err != nil {
		return nil, errs.Wrap(err, "approvals: steps")
	}
	steps := make([]entity.Record, 0, len(ids))
	for _, sid := range ids {
		if r, ok := byID[sid]; ok {
			steps = append(steps, r)
		}
	}
	return fromRecords(ar, steps), nil
}

func fromRecords(ar entity.Record, steps []entity.Record) *Approval {
	a := &Approval{ID: ar.ID(), Version: ar.Version(), DocType: ar.Str("doc_type"), RecordID: ar.Str("record_id"), RecordTitle: ar.Str("record_title"),
		CustomerID: ar.Str("customer_id"), Status: ar.Str("status"), CurrentStep: int(ar.Int("current_step")), Awaiting: ar.List("awaiting"),
		SubmittedBy: ar.Str("submitted_by"), SubmittedAt: ar.Time("submitted_at"), Reason: ar.Str("reason"), rec: ar}
	if a.Awaiting == nil {
		a.Awaiting = []string{}
	}
	if t := ar.Time("decided_at"); !t.IsZero() {
		a.DecidedAt = &t
	}
	if f := ar.Str("facts"); f != "" {
		a.Facts = decodeFacts(f)
	}
	slices.SortFunc(steps, func(x, y entity.Record) int { return int(x.Int("position") - y.Int("position")) })
	for _, r := range steps {
		st := Step{ID: r.ID(), Version: r.Version(), Position: int(r.Int("position")), Level: r.Int("level"), Rule: r.Str("rule_name"),
			Role: r.Str("role"), UserID: r.Str("user_id"), Label: r.Str("label"), Status: r.Str("status"), Approvers: r.List("approvers"),
			Fallback: r.Bool("fallback"), Decision: r.Str("decision"), DecidedBy: r.Str("decided_by"), Comment: r.Str("comment")}
		if t := r.Time("decided_at"); !t.IsZero() {
			st.DecidedAt = &t
		}
		a.Steps = append(a.Steps, st)
	}
	return a
}

// decodeFacts reads stored facts back with whole numbers as int64.
func decodeFacts(s string) Facts {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var raw map[string]any
	if dec.Decode(&raw) != nil {
		return nil
	}
	out := Facts{}
	for k, v := range raw {
		switch x := v.(type) {
		case json.Number:
			if n, err := x.Int64(); err == nil {
				out[k] = n
			}
		case string:
			out[k] = x
		}
	}
	return out
}

// Get returns an approval p may see: through the approval's own
// visibility (the submitter's, their managers', the approvers' grants) or
// through the document (who may read a quote may read its approvals).
func (s *Service) Get(ctx context.Context, p *access.Principal, id string) (*Approval, error) {
	ae := s.R.Schema().Entity("approval")
	id = strings.ToLower(strings.TrimSpace(id))
	if _, err := s.DB.Get(ctx, s.DB.R(), ae, id, s.R.ReadPred(ae, p), false); err != nil {
		if errs.KindOf(err) != errs.NotFound {
			return nil, err
		}
		a, lerr := s.load(ctx, s.DB.R(), id)
		if lerr != nil {
			return nil, err
		}
		if _, derr := s.R.Get(ctx, p, a.DocType, a.RecordID); derr != nil {
			return nil, err
		}
		return a, nil
	}
	return s.load(ctx, s.DB.R(), id)
}

// AwaitingCount counts the approvals waiting for userID's decision (the
// menu badge).
func (s *Service) AwaitingCount(ctx context.Context, userID string) (int, error) {
	if userID == "" {
		return 0, nil
	}
	var n int
	err := s.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM approvals WHERE status = $1 AND awaiting LIKE $2`, crm.ApprovalPending, `%"`+userID+`"%`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("approvals: awaiting count: %w", err)
	}
	return n, nil
}

// docInfo are the message arguments naming the document.
type info map[string]any

func (i info) with(k string, v any) info {
	out := info{}
	for a, b := range i {
		out[a] = b
	}
	out[k] = v
	return out
}

func (s *Service) docInfo(e *entity.Entity, a *Approval) info {
	return info{"title": a.RecordTitle, "doc": e.Label.Zh, "doc_en": e.Label.En, "approval_id": a.ID,
		"steps": fmt.Sprint(len(a.Steps))}
}

// event tells the customer's timeline (when the document has a customer).
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, a *Approval, kind string, data info) error {
	if a.CustomerID == "" {
		return nil
	}
	ev := store.Event{At: s.now(), CustomerID: a.CustomerID, ActorID: p.UserID, Kind: kind, Entity: a.DocType, RecordID: a.RecordID, Data: data}
	if err := s.DB.AddEvent(ctx, tx, ev); err != nil {
		return errs.Wrap(err, "approvals: timeline %s", kind)
	}
	return nil
}

// auditDoc writes the approval step into the document's audit trail.
func (s *Service) auditDoc(ctx context.Context, tx *store.Tx, p *access.Principal, a *Approval, action string, ch map[string]store.Change) error {
	return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: a.DocType, RecordID: a.RecordID, Action: action, Changes: ch, RequestID: records.RequestID(ctx)})
}

func (s *Service) userName(ctx context.Context, q store.Querier, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	u, err := s.DB.UserByID(ctx, q, id)
	if errs.KindOf(err) == errs.NotFound {
		return "", nil
	}
	if err != nil {
		return "", errs.Wrap(err, "approvals: user name")
	}
	return u.Name, nil
}
