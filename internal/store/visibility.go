package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/entity"
)

// Visible is the one read predicate of an entity for a principal at a scope.
// Every read path — list, get, search, count, export, related lists — uses
// it, so a rule cannot hold in one place and not another. It must agree with
// access.Principal.Reaches plus the pool rule (the authorization-matrix test
// checks that).
func (db *DB) Visible(e *entity.Entity, p *access.Principal, s access.Scope) Pred {
	if p == nil || s == access.All {
		return True
	}
	if s == access.None {
		return func(*Args) string { return "FALSE" }
	}
	schema := db.Schema()
	return func(a *Args) string {
		var ors []string
		if e.Vis.Owned {
			ors = append(ors, ownClause(e, "t", p, s, a)...)
		}
		for _, fk := range e.Vis.Parents {
			f := e.Field(fk)
			if f == nil {
				continue
			}
			pe := schema.Entity(f.Ref)
			if pe == nil || !pe.Vis.Owned {
				continue
			}
			inner := ownClause(pe, "p", p, s, a)
			if len(inner) == 0 {
				continue
			}
			ors = append(ors, "EXISTS (SELECT 1 FROM "+pe.Table+" p WHERE p.id = t."+f.Col()+" AND ("+strings.Join(inner, " OR ")+"))")
		}
		if len(ors) == 0 {
			return "FALSE"
		}
		return "(" + strings.Join(ors, " OR ") + ")"
	}
}

// ownClause lists the ways a row of an owned entity is reached at scope s.
func ownClause(e *entity.Entity, alias string, p *access.Principal, s access.Scope, a *Args) []string {
	var ors []string
	if p.UserID != "" {
		ors = append(ors, alias+".owner_id = "+a.Add(p.UserID))
	}
	if s == access.Team && len(p.Teams) > 0 {
		vals := make([]any, len(p.Teams))
		for i, t := range p.Teams {
			vals[i] = t
		}
		ors = append(ors, alias+".team_id IN "+a.List(vals))
	}
	if e.Vis.Pool && p.CanPool() {
		ors = append(ors, alias+".owner_id IS NULL")
	}
	if e.Vis.Grants && p.UserID != "" {
		ors = append(ors, "EXISTS (SELECT 1 FROM record_grants g WHERE g.record_id = "+alias+".id AND g.user_id = "+a.Add(p.UserID)+")")
	}
	return ors
}

// Grant gives a user read access to one record beyond their scope, because
// of the record via (an assignment). Granting twice is harmless.
func (db *DB) Grant(ctx context.Context, tx *Tx, entityName, recordID, userID, via string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO record_grants (record_id, user_id, entity, via_id, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (record_id, user_id, via_id) DO NOTHING`, recordID, userID, entityName, via, Now())
	if err != nil {
		return fmt.Errorf("store: grant %s %s to %s: %w", entityName, recordID, userID, err)
	}
	return nil
}

// Revoke removes the grants given because of via to the users not in keep,
// and returns the records whose grants changed (to be reindexed).
func (db *DB) Revoke(ctx context.Context, tx *Tx, via string, keep []string) ([]GrantRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT entity, record_id, user_id FROM record_grants WHERE via_id = $1`, via)
	if err != nil {
		return nil, fmt.Errorf("store: grants of %s: %w", via, err)
	}
	var gone []GrantRow
	for rows.Next() {
		var g GrantRow
		if err := rows.Scan(&g.Entity, &g.RecordID, &g.UserID); err != nil {
			rows.Close()
			return nil, err
		}
		if !slices.Contains(keep, g.UserID) {
			gone = append(gone, g)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, g := range gone {
		if _, err := tx.ExecContext(ctx, `DELETE FROM record_grants WHERE via_id = $1 AND user_id = $2 AND record_id = $3`, via, g.UserID, g.RecordID); err != nil {
			return nil, fmt.Errorf("store: revoke: %w", err)
		}
	}
	return gone, nil
}

// GrantRow is one grant.
type GrantRow struct{ Entity, RecordID, UserID string }

// GrantedUsers lists the users holding a grant on a record.
func (db *DB) GrantedUsers(ctx context.Context, q Querier, recordID string) ([]string, error) {
	return Strings(ctx, q, `SELECT DISTINCT user_id FROM record_grants WHERE record_id = $1 ORDER BY user_id`, recordID)
}
