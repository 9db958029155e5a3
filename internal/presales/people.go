package presales

import (
	"context"
	"slices"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// IsManager reports whether p runs the pre-sales team's processes:
// evaluating requests, assigning engineers, logging work for them and
// scoring as the manager. Administrators may do what a manager may.
func IsManager(p *access.Principal) bool {
	return p.HasRole(access.RolePresalesManager) || p.IsAdmin()
}

func requireManager(p *access.Principal) error {
	if !IsManager(p) {
		return errs.New(errs.Forbidden, "presales_manager_only")
	}
	return nil
}

// writer refuses principals that may not write at all (read-only tokens).
func writer(p *access.Principal) error {
	if p.ReadOnly {
		return errs.New(errs.Forbidden, "token_read_only")
	}
	return nil
}

// Engineer is a user who may be assigned to requests.
type Engineer struct {
	ID, Name, TeamID string
}

// Engineers lists the active users holding the pre-sales engineer role, by
// name. Names are not confidential: pickers offer them to everyone.
func (s *Service) Engineers(ctx context.Context) ([]Engineer, error) {
	ue := s.R.Schema().Entity("user")
	q := entity.Query{Sort: ue.Field("name"), Conds: []entity.Cond{
		{Field: ue.Field("roles"), Op: entity.Eq, Values: []any{access.RolePresales}},
		{Field: ue.Field("active"), Op: entity.Eq, Values: []any{true}},
	}}
	var out []Engineer
	err := s.DB.Each(ctx, ue, q, nil, func(r entity.Record) error {
		out = append(out, Engineer{ID: r.ID(), Name: r.Str("name"), TeamID: r.Str("team_id")})
		return nil
	})
	if err != nil {
		return nil, errs.Wrap(err, "presales: engineers")
	}
	return out, nil
}

// cleanIDs lower-cases, trims and de-duplicates ids, keeping their order;
// ok is false when one does not look like an id.
func cleanIDs(in []string) ([]string, bool) {
	out := []string{}
	for _, id := range in {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" {
			continue
		}
		if !entity.LooksLikeID(id) {
			return nil, false
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, true
}

// checkEngineers verifies that every id names an active user holding the
// pre-sales engineer role.
func (s *Service) checkEngineers(ctx context.Context, q store.Querier, field string, ids []string) error {
	ue := s.R.Schema().Entity("user")
	users, err := s.DB.GetMany(ctx, q, ue, ids, nil)
	if err != nil {
		return errs.Wrap(err, "presales: load engineers")
	}
	for _, id := range ids {
		u, ok := users[id]
		switch {
		case !ok || !u.Bool("active"):
			return errs.Validation([]errs.FieldError{{Field: field, Code: "invalid_user", Args: map[string]any{"value": id}}})
		case !slices.Contains(u.List("roles"), access.RolePresales):
			return errs.Validation([]errs.FieldError{{Field: field, Code: "presales_not_engineer", Args: map[string]any{"value": u.Str("name")}}})
		}
	}
	return nil
}

// checkActive verifies that every id names an active user.
func (s *Service) checkActive(ctx context.Context, q store.Querier, field string, ids []string) error {
	ue := s.R.Schema().Entity("user")
	users, err := s.DB.GetMany(ctx, q, ue, ids, nil)
	if err != nil {
		return errs.Wrap(err, "presales: load users")
	}
	for _, id := range ids {
		if u, ok := users[id]; !ok || !u.Bool("active") {
			return errs.Validation([]errs.FieldError{{Field: field, Code: "invalid_user", Args: map[string]any{"value": id}}})
		}
	}
	return nil
}

// userNames maps user ids to names.
func (s *Service) userNames(ctx context.Context, q store.Querier, ids []string) (map[string]string, error) {
	ue := s.R.Schema().Entity("user")
	users, err := s.DB.GetMany(ctx, q, ue, ids, nil)
	if err != nil {
		return nil, errs.Wrap(err, "presales: user names")
	}
	out := make(map[string]string, len(users))
	for id, u := range users {
		out[id] = u.Str("name")
	}
	return out, nil
}

// reindexGrants refreshes the search documents of the records whose grants
// changed, so that who may find them in the index matches who may read them.
func (s *Service) reindexGrants(ctx context.Context, tx *store.Tx, rows []store.GrantRow, also ...store.GrantRow) error {
	seen := map[string]bool{}
	for _, g := range append(rows, also...) {
		if seen[g.RecordID] {
			continue
		}
		seen[g.RecordID] = true
		e := s.R.Schema().Entity(g.Entity)
		if e == nil {
			continue
		}
		rec, err := s.DB.Get(ctx, tx, e, g.RecordID, nil, false)
		if errs.KindOf(err) == errs.NotFound {
			continue // deleted: not in the index anyway
		}
		if err != nil {
			return errs.Wrap(err, "presales: reindex %s", g.Entity)
		}
		if err := s.R.Reindex(ctx, tx, e, rec); err != nil {
			return errs.Wrap(err, "presales: reindex %s", g.Entity)
		}
	}
	return nil
}

// event adds a line to the customer's timeline (the 客户报告).
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, customerID, kind, entityName, id string, data map[string]any) error {
	if customerID == "" {
		return nil
	}
	ev := store.Event{At: s.now(), CustomerID: customerID, ActorID: p.UserID, Kind: kind, Entity: entityName, RecordID: id, Data: data}
	if err := s.DB.AddEvent(ctx, tx, ev); err != nil {
		return errs.Wrap(err, "presales: timeline %s", kind)
	}
	return nil
}
