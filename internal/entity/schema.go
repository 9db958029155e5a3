package entity

import (
	"sort"
	"strings"
	"time"

	"closeloop/internal/i18n"
)

// Schema is an immutable snapshot of every entity (with its custom fields)
// and every admin-edited pick-list. The store builds a new one when an admin
// changes custom fields or pick-lists and swaps it in atomically.
type Schema struct {
	Version   int64
	entities  map[string]*Entity
	resources map[string]*Entity
	order     []string
	Picklists map[string][]Option
	// Loc is the company time zone: local times people type are read in it.
	Loc *time.Location
}

func (s *Schema) loc() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}

// NewSchema builds a snapshot from declarations, custom fields per entity
// name, and pick-lists.
func NewSchema(version int64, decls []*Entity, custom map[string][]*Field, picklists map[string][]Option) *Schema {
	s := &Schema{
		Version:   version,
		entities:  map[string]*Entity{},
		resources: map[string]*Entity{},
		Picklists: picklists,
	}
	if s.Picklists == nil {
		s.Picklists = map[string][]Option{}
	}
	for _, d := range decls {
		e := d
		if cf := custom[d.Name]; len(cf) > 0 {
			e = d.WithCustom(cf)
		}
		s.entities[e.Name] = e
		s.resources[e.Resource] = e
		s.order = append(s.order, e.Name)
	}
	return s
}

// Entity returns the entity by name, or nil.
func (s *Schema) Entity(name string) *Entity { return s.entities[name] }

// ByResource returns the entity by its API resource name, or nil.
func (s *Schema) ByResource(res string) *Entity { return s.resources[res] }

// Entities returns all entities in declaration order.
func (s *Schema) Entities() []*Entity {
	out := make([]*Entity, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, s.entities[n])
	}
	return out
}

// Options returns the allowed options of a select field.
func (s *Schema) Options(f *Field) []Option {
	if f.Picklist != "" {
		return s.Picklists[f.Picklist]
	}
	return f.Options
}

// OptionLabel returns the label of a select value, or the value itself.
func (s *Schema) OptionLabel(f *Field, code string, l i18n.Lang) string {
	for _, o := range s.Options(f) {
		if o.Code == code {
			return o.Label.In(l)
		}
	}
	return code
}

// MatchOption maps user input (a code or a label in either language,
// case-insensitively) to an option code.
func (s *Schema) MatchOption(f *Field, in string) (string, bool) {
	in = strings.TrimSpace(in)
	opts := s.Options(f)
	for _, o := range opts {
		if o.Code == in {
			return o.Code, true
		}
	}
	for _, o := range opts {
		if strings.EqualFold(o.Code, in) || strings.EqualFold(o.Label.Zh, in) || strings.EqualFold(o.Label.En, in) {
			return o.Code, true
		}
	}
	return "", false
}

// PicklistNames returns the pick-list names in use, sorted.
func (s *Schema) PicklistNames() []string {
	out := make([]string, 0, len(s.Picklists))
	for n := range s.Picklists {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
