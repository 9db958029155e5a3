package store

import (
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
	return ors
}
