package approvals

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/notify"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Approve decides the pending step of an approval in favour: the next
// step becomes pending, or the approval ends approved. version, when not
// 0, is the approval's version the decision was based on (stale: 409).
func (s *Service) Approve(ctx context.Context, p *access.Principal, id string, version int64, comment string) (*Approval, error) {
	return s.Decide(ctx, p, id, crm.DecisionApprove, version, comment)
}

// Reject ends the approval rejected; the comment is required.
func (s *Service) Reject(ctx context.Context, p *access.Principal, id string, version int64, comment string) (*Approval, error) {
	return s.Decide(ctx, p, id, crm.DecisionReject, version, comment)
}

// Return ends the approval returned for changes (the submitter may change
// the document and submit it again); the comment is required.
func (s *Service) Return(ctx context.Context, p *access.Principal, id string, version int64, comment string) (*Approval, error) {
	return s.Decide(ctx, p, id, crm.DecisionReturn, version, comment)
}

// Decide takes a decision on the pending step of an approval, in one
// transaction with the document's own change (DocType.Decided). Only the
// awaited approvers and administrators decide (403); a closed approval
// (409 approval_closed), a withdrawn one (409 approval_cancelled), a
// second decision by someone who already decided (409
// approval_already_decided) and a decision on a version that moved (409
// stale_version) are refused.
func (s *Service) Decide(ctx context.Context, p *access.Principal, id, decision string, version int64, comment string) (*Approval, error) {
	if p == nil || p.UserID == "" {
		return nil, errs.Denied()
	}
	if p.ReadOnly {
		return nil, errs.New(errs.Forbidden, "token_read_only")
	}
	switch decision {
	case crm.DecisionApprove, crm.DecisionReject, crm.DecisionReturn:
	default:
		return nil, errs.Validation([]errs.FieldError{{Field: "decision", Code: "invalid_option", Args: map[string]any{"value": decision}}})
	}
	comment = strings.TrimSpace(comment)
	if len([]rune(comment)) > 20000 {
		return nil, errs.Validation([]errs.FieldError{{Field: "comment", Code: "too_long", Args: map[string]any{"max": 20000}}})
	}
	var out *Approval
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.decide(ctx, tx, p, strings.ToLower(strings.TrimSpace(id)), decision, version, comment)
		return err
	})
	return out, err
}

func (s *Service) decide(ctx context.Context, tx *store.Tx, p *access.Principal, id, decision string, version int64, comment string) (*Approval, error) {
	ae := s.R.Schema().Entity("approval")
	if !entity.LooksLikeID(id) {
		return nil, errs.NotFoundf("approval")
	}
	a, err := s.load(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	pend := a.Pending()
	mayDecide := pend != nil && (slices.Contains(pend.Approvers, p.UserID) || p.IsAdmin())
	if !mayDecide {
		// Not revealed to those who may not see it at all.
		if _, err := s.DB.Get(ctx, tx, ae, id, s.R.ReadPred(ae, p), false); err != nil {
			if errs.KindOf(err) != errs.NotFound {
				return nil, err
			}
			if _, derr := s.R.Get(ctx, p, a.DocType, a.RecordID); derr != nil {
				return nil, err
			}
		}
	}
	switch a.Status {
	case crm.ApprovalCancelled:
		return nil, errs.New(errs.Conflict, "approval_cancelled")
	case crm.ApprovalPending:
	default:
		return nil, errs.New(errs.Conflict, "approval_closed", "status", a.Status)
	}
	if version != 0 && a.Version != version {
		return nil, errs.Stale()
	}
	if pend == nil {
		return nil, fmt.Errorf("approvals: %s is pending without a pending step", id)
	}
	if !mayDecide {
		for _, st := range a.Steps {
			if st.DecidedBy == p.UserID {
				return nil, errs.New(errs.Conflict, "approval_already_decided")
			}
		}
		return nil, errs.New(errs.Forbidden, "approval_not_awaiting_you")
	}
	if decision != crm.DecisionApprove && comment == "" {
		return nil, errs.Validation([]errs.FieldError{{Field: "comment", Code: "approval_comment_required"}})
	}
	e := s.R.Schema().Entity(a.DocType)
	if e == nil {
		return nil, fmt.Errorf("approvals: unknown entity %s", a.DocType)
	}
	ctx = records.AsProcess(ctx)
	who := actor(p)
	now := s.now()
	idx := slices.IndexFunc(a.Steps, func(st Step) bool { return st.ID == pend.ID })
	last := idx == len(a.Steps)-1

	// The approval first: its version is the claim, so of two decisions
	// racing one wins and the other answers stale.
	outcome := ""
	set := entity.Record{}
	switch {
	case decision == crm.DecisionApprove && !last:
		set["current_step"] = int64(a.Steps[idx+1].Position)
	case decision == crm.DecisionApprove:
		outcome = crm.ApprovalApproved
	case decision == crm.DecisionReject:
		outcome = crm.ApprovalRejected
	default:
		outcome = crm.ApprovalReturned
	}
	if outcome != "" {
		set["status"], set["awaiting"], set["decided_at"] = outcome, nil, now
	}
	ar, err := s.R.SetTx(ctx, tx, who, ae, a.rec, set)
	if err != nil {
		return nil, errs.Wrap(err, "approvals: decide")
	}
	a.rec, a.Version = ar, ar.Version()
	se := s.R.Schema().Entity("approval_step")
	old, err := s.DB.Get(ctx, tx, se, pend.ID, nil, false)
	if err != nil {
		return nil, errs.Wrap(err, "approvals: step")
	}
	stepStatus := map[string]string{crm.DecisionApprove: crm.StepApproved, crm.DecisionReject: crm.StepRejected, crm.DecisionReturn: crm.StepReturned}[decision]
	stepSet := entity.Record{"status": stepStatus, "decision": decision, "decided_by": p.UserID, "decided_at": now, "comment": entity.NilIfEmpty(comment)}
	if _, err := s.R.SetTx(ctx, tx, who, se, old, stepSet); err != nil {
		return nil, errs.Wrap(err, "approvals: decide step")
	}
	a.Steps[idx].Status, a.Steps[idx].Decision, a.Steps[idx].DecidedBy, a.Steps[idx].Comment = stepStatus, decision, p.UserID, comment
	info := s.docInfo(e, a).with("step", fmt.Sprint(pend.Position)).with("note", comment).with("by", p.Name)
	if err := s.auditDoc(ctx, tx, p, a, "approval_"+decision, map[string]store.Change{
		"approval": {New: a.ID}, "step": {New: pend.Position}, "decision": {New: decision}, "comment": {New: comment}}); err != nil {
		return nil, err
	}
	if outcome == "" {
		if err := s.event(ctx, tx, p, a, "approval_step_approved", info); err != nil {
			return nil, err
		}
		if err := s.activate(ctx, tx, p, e, a, idx+1); err != nil {
			return nil, err
		}
		return s.load(ctx, tx, a.ID)
	}
	if outcome != crm.ApprovalApproved {
		if err := s.closeSteps(ctx, tx, who, a, crm.StepSkipped); err != nil {
			return nil, err
		}
	}
	if err := s.event(ctx, tx, p, a, "approval_"+outcome, info); err != nil {
		return nil, err
	}
	if err := s.notify(ctx, tx, a.SubmittedBy, "approval_"+outcome, a, info); err != nil {
		return nil, err
	}
	if dt, ok := s.docType(a.DocType); ok && dt.Decided != nil {
		if err := dt.Decided(ctx, tx, p, a.RecordID, outcome, comment); err != nil {
			return nil, errs.Wrap(err, "approvals: %s decided", a.DocType)
		}
	}
	return s.load(ctx, tx, a.ID)
}

func (s *Service) notify(ctx context.Context, tx *store.Tx, userID, kind string, a *Approval, data info) error {
	return notify.Notify(ctx, tx, userID, kind, a.DocType, a.RecordID, data)
}

// approversFor resolves who may decide a step now, never the submitter:
//   - a named user (when active);
//   - role admin: every active administrator;
//   - role manager: the nearest manager up the submitter's team tree — at
//     each team, its head (teams.manager_id) when they hold the role,
//     otherwise the team's members holding it;
//   - any other role: every active holder of the role.
//
// When nobody fits, the step falls to the administrators (fallback).
func (s *Service) approversFor(ctx context.Context, q store.Querier, submitter, role, userID string) ([]string, bool, error) {
	var ids []string
	var err error
	switch {
	case userID != "":
		st, uerr := s.DB.UserState(ctx, q, userID)
		if uerr != nil && errs.KindOf(uerr) != errs.NotFound {
			return nil, false, errs.Wrap(uerr, "approvals: named approver")
		}
		if uerr == nil && st.Active && userID != submitter {
			ids = []string{userID}
		}
	case role == access.RoleManager:
		ids, err = s.managersOf(ctx, q, submitter)
	case role != "":
		ids, err = s.holders(ctx, q, role, "", submitter)
	}
	if err != nil {
		return nil, false, err
	}
	if len(ids) > 0 {
		return ids, false, nil
	}
	admins, err := s.holders(ctx, q, access.RoleAdmin, "", submitter)
	if err != nil {
		return nil, false, err
	}
	return admins, role != access.RoleAdmin, nil
}

// managersOf walks up from the submitter's team to the root.
func (s *Service) managersOf(ctx context.Context, q store.Querier, submitter string) ([]string, error) {
	st, err := s.DB.UserState(ctx, q, submitter)
	if err != nil {
		return nil, errs.Wrap(err, "approvals: submitter")
	}
	team := st.Team
	for depth := 0; team != "" && depth < 64; depth++ {
		var parent, head *string
		err := q.QueryRowContext(ctx, `SELECT parent_id, manager_id FROM teams WHERE id = $1 AND deleted_at IS NULL`, team).Scan(&parent, &head)
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, nil
			}
			return nil, fmt.Errorf("approvals: team %s: %w", team, err)
		}
		if head != nil && *head != submitter {
			ok, err := s.holds(ctx, q, *head, access.RoleManager)
			if err != nil {
				return nil, err
			}
			if ok {
				return []string{*head}, nil
			}
		}
		ids, err := s.holders(ctx, q, access.RoleManager, team, submitter)
		if err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			return ids, nil
		}
		team = ""
		if parent != nil {
			team = *parent
		}
	}
	return nil, nil
}

// holders lists the active users holding role (in team, when given),
// except one user, by name.
func (s *Service) holders(ctx context.Context, q store.Querier, role, team, except string) ([]string, error) {
	var a store.Args
	where := "active = TRUE AND deleted_at IS NULL AND roles LIKE " + a.Add(`%"`+role+`"%`)
	if team != "" {
		where += " AND team_id = " + a.Add(team)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, roles FROM users WHERE `+where+` ORDER BY name, id`, a.V...)
	if err != nil {
		return nil, fmt.Errorf("approvals: holders of %s: %w", role, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, roles string
		if err := rows.Scan(&id, &roles); err != nil {
			return nil, err
		}
		var codes []string
		if json.Unmarshal([]byte(roles), &codes) == nil && slices.Contains(codes, role) && id != except {
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

func (s *Service) holds(ctx context.Context, q store.Querier, userID, role string) (bool, error) {
	var roles string
	var active bool
	err := q.QueryRowContext(ctx, `SELECT roles, active FROM users WHERE id = $1 AND deleted_at IS NULL`, userID).Scan(&roles, &active)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, fmt.Errorf("approvals: roles of %s: %w", userID, err)
	}
	var codes []string
	_ = json.Unmarshal([]byte(roles), &codes)
	return active && slices.Contains(codes, role), nil
}
