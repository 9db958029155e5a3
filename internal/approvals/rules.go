package approvals

import (
	"context"
	"fmt"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Rules are ordinary records edited through the generic pages and API;
// these hooks keep them meaningful: the value suits its operator (and "5%"
// becomes 500 basis points), the document type is a declared entity, a
// step waits for exactly one role or one user, and names it for lists.

func (s *Service) registerRules() {
	s.R.On("approval_rule", records.Hooks{Prepare: s.prepareRule})
	s.R.On("approval_rule_step", records.Hooks{Prepare: s.prepareRuleStep})
}

func (s *Service) prepareRule(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	var bad []errs.FieldError
	rec["fact"] = strings.TrimSpace(rec.Str("fact"))
	if dt := rec.Str("doc_type"); dt != "" && s.R.Schema().Entity(dt) == nil {
		bad = append(bad, errs.FieldError{Field: "doc_type", Code: "invalid_option", Args: map[string]any{"value": dt}})
	}
	if f := rec.Str("fact"); f != "" && !factName(f) {
		bad = append(bad, errs.FieldError{Field: "fact", Code: "approval_fact_name"})
	}
	if rec.Str("value") != "" && rec.Str("op") != "" {
		v, err := crm.NormalizeRuleValue(rec.Str("fact"), rec.Str("op"), rec.Str("value"))
		if err != nil {
			if e := errs.As(err); e != nil {
				bad = append(bad, e.Fields...)
			}
		} else {
			rec["value"] = v
		}
	}
	return errs.Validation(bad)
}

// factName is a fact's name: lower-case letters, digits and underscores.
func factName(s string) bool {
	if s == "" || len(s) > 60 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Service) prepareRuleStep(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	role, user := rec.Str("role"), rec.Str("user_id")
	switch {
	case role == "" && user == "":
		return errs.Validation([]errs.FieldError{{Field: "role", Code: "approval_step_who"}})
	case role != "" && user != "":
		return errs.Validation([]errs.FieldError{{Field: "user_id", Code: "approval_step_one"}})
	}
	label, err := s.stepLabel(ctx, tx, role, user)
	if err != nil {
		return err
	}
	rec["label"] = label
	return nil
}

// SeedDefaults installs the shipped rules the first time (no rule yet);
// what an admin changed is never overwritten.
func (s *Service) SeedDefaults(ctx context.Context, tx *store.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM approval_rules`).Scan(&n); err != nil {
		return fmt.Errorf("approvals: seed: %w", err)
	}
	if n > 0 {
		return nil
	}
	sys := access.SystemPrincipal()
	ctx = records.AsProcess(ctx)
	for i, sr := range crm.ShippedApprovalRules {
		// Inserted directly: the document type may be declared by an area
		// that is not there yet (rules wait for it).
		id := store.NewID()
		now := store.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO approval_rules (id, name, doc_type, active, position, fact, op, value, level, description, version, created_at, updated_at)
			VALUES ($1, $2, $3, TRUE, $4, $5, $6, $7, $8, $9, 1, $10, $10)`,
			id, sr.Name, sr.DocType, int64(i+1), sr.Cond.Fact, sr.Cond.Op, sr.Cond.Value, sr.Level, sr.NameEn, now); err != nil {
			return fmt.Errorf("approvals: seed rule %s: %w", sr.Name, err)
		}
		for j, st := range sr.Steps {
			rec := entity.Record{"rule_id": id, "position": int64(j + 1)}
			if st.Role != "" {
				rec["role"] = st.Role
			}
			if st.UserID != "" {
				rec["user_id"] = st.UserID
			}
			if _, err := s.R.InsertTx(ctx, tx, sys, "approval_rule_step", rec); err != nil {
				return fmt.Errorf("approvals: seed step of %s: %w", sr.Name, err)
			}
		}
	}
	return nil
}
