package records

import (
	"context"
	"sort"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// Hit is one search result, ready to show: masked like every other read.
type Hit struct {
	Type     string        `json:"type"`
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Subtitle string        `json:"subtitle,omitempty"`
	Record   entity.Record `json:"-"`
	// Pooled marks a record lying in the shared pool.
	Pooled bool `json:"pooled,omitempty"`
}

// SearchEntities are the entities the global search box covers.
var SearchEntities = []string{"customer", "contact", "lead"}

// SearchScopes are the entities a search by p covers (default
// SearchEntities), each at p's read scope.
func (s *Service) SearchScopes(p *access.Principal, entities []string) []store.SearchScope {
	if len(entities) == 0 {
		entities = SearchEntities
	}
	var scopes []store.SearchScope
	for _, name := range entities {
		e := s.Schema().Entity(name)
		if e == nil || len(e.FieldsWith(entity.Search)) == 0 {
			continue
		}
		if sc := p.Perm(name).Read; sc != access.None {
			scopes = append(scopes, store.SearchScope{Entity: e, Scope: sc})
		}
	}
	return scopes
}

// Search finds visible records across entities. Visibility is applied
// inside the full-text match (see store.Search) and checked again when the
// records are loaded, so a result is never something p may not read.
func (s *Service) Search(ctx context.Context, p *access.Principal, text string, entities []string, limit int) ([]Hit, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	scopes := s.SearchScopes(p, entities)
	// Fetch more than asked, so ranking can put exact names first.
	raw, err := s.DB.Search(ctx, text, p, scopes, limit*4)
	if err != nil {
		return nil, err
	}
	byEntity := map[string][]string{}
	for _, h := range raw {
		byEntity[h.Entity] = append(byEntity[h.Entity], h.ID)
	}
	loaded := map[string]entity.Record{}
	for name, ids := range byEntity {
		e := s.Schema().Entity(name)
		recs, err := s.DB.GetMany(ctx, s.DB.R(), e, ids, s.ReadPred(e, p))
		if err != nil {
			return nil, err
		}
		for id, r := range recs {
			loaded[id] = s.Present(p, e, r)
		}
	}
	q := strings.ToLower(strings.TrimSpace(text))
	var out []Hit
	for i, h := range raw {
		r, ok := loaded[h.ID]
		if !ok {
			continue
		}
		e := s.Schema().Entity(h.Entity)
		hit := Hit{Type: h.Entity, ID: h.ID, Title: r.Str(e.Title), Record: r}
		if e.Subtitle != "" {
			hit.Subtitle = r.Str(e.Subtitle)
		}
		hit.Pooled = e.Vis.Pool && r.Str("owner_id") == ""
		_ = i
		out = append(out, hit)
	}
	rank := func(h Hit) int {
		t := strings.ToLower(h.Title)
		switch {
		case t == q:
			return 0
		case strings.HasPrefix(t, q):
			return 1
		case strings.Contains(t, q):
			return 2
		}
		return 3
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
