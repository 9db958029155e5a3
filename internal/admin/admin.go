// Package admin holds the administrator's processes: pick-lists, custom
// fields, roles and the audit log. Every change is checked for the admin
// right and audited; the API and the settings pages both call it.
package admin

import (
	"context"
	"regexp"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Service is the admin service.
type Service struct {
	DB *store.DB
}

// New creates the admin service.
func New(db *store.DB) *Service { return &Service{DB: db} }

func need(p *access.Principal) error {
	if p == nil || !p.IsAdmin() || p.ReadOnly {
		return errs.Denied()
	}
	return nil
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,49}$`)

// PicklistItem is one option as an admin edits it.
type PicklistItem struct {
	Code   string `json:"code"`
	Zh     string `json:"label_zh"`
	En     string `json:"label_en"`
	Active bool   `json:"active"`
}

// Picklist returns every option of a list, inactive ones included.
func (s *Service) Picklist(ctx context.Context, list string) ([]PicklistItem, error) {
	rows, err := s.DB.R().QueryContext(ctx, `SELECT code, label_zh, label_en, active FROM picklists WHERE list = $1 ORDER BY position, code`, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PicklistItem
	for rows.Next() {
		var it PicklistItem
		if err := rows.Scan(&it.Code, &it.Zh, &it.En, &it.Active); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// PicklistNames lists the pick-lists that fields use.
func (s *Service) PicklistNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range s.DB.Schema().Entities() {
		for _, f := range e.Fields {
			if f.Picklist != "" && f.Picklist != "role" && f.Picklist != "entity" && !seen[f.Picklist] {
				seen[f.Picklist] = true
				out = append(out, f.Picklist)
			}
		}
	}
	return out
}

// SavePicklist replaces a list's options in the given order. Codes in use
// stay valid: an option is never deleted, only deactivated (records keep
// their value; forms stop offering it).
func (s *Service) SavePicklist(ctx context.Context, p *access.Principal, list string, items []PicklistItem) error {
	if err := need(p); err != nil {
		return err
	}
	known := false
	for _, n := range s.PicklistNames() {
		known = known || n == list
	}
	if !known {
		return errs.NotFoundf("picklist")
	}
	var bad []errs.FieldError
	seen := map[string]bool{}
	for i, it := range items {
		it.Code = strings.TrimSpace(it.Code)
		items[i] = it
		switch {
		case !codeRE.MatchString(it.Code):
			bad = append(bad, errs.FieldError{Field: "code", Code: "invalid_code", Args: map[string]any{"value": it.Code, "row": i + 1}})
		case seen[it.Code]:
			bad = append(bad, errs.FieldError{Field: "code", Code: "duplicate_code", Args: map[string]any{"value": it.Code}})
		case strings.TrimSpace(it.Zh) == "" && strings.TrimSpace(it.En) == "":
			bad = append(bad, errs.FieldError{Field: "label_zh", Code: "required", Args: map[string]any{"row": i + 1}})
		case len([]rune(it.Zh)) > 100 || len([]rune(it.En)) > 100:
			bad = append(bad, errs.FieldError{Field: "label_zh", Code: "too_long", Args: map[string]any{"max": 100}})
		}
		seen[it.Code] = true
	}
	if len(items) == 0 {
		bad = append(bad, errs.FieldError{Field: "items", Code: "required"})
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	old, err := s.Picklist(ctx, list)
	if err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE picklists SET active = FALSE, position = position + 10000 WHERE list = $1`, list); err != nil {
			return err
		}
		for i, it := range items {
			zh, en := strings.TrimSpace(it.Zh), strings.TrimSpace(it.En)
			if zh == "" {
				zh = en
			}
			if en == "" {
				en = zh
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO picklists (list, code, label_zh, label_en, position, active) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (list, code) DO UPDATE SET label_zh = excluded.label_zh, label_en = excluded.label_en, position = excluded.position, active = excluded.active`,
				list, it.Code, zh, en, i+1, it.Active); err != nil {
				return err
			}
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "picklist", RecordID: list, Action: "update",
			Changes: map[string]store.Change{"options": {Old: old, New: items}}, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
		return s.DB.BumpSchema(ctx, tx)
	})
}

// CustomField describes an admin-defined field.
type CustomField struct {
	Entity   string      `json:"entity"`
	Name     string      `json:"name"`
	Zh       string      `json:"label_zh"`
	En       string      `json:"label_en"`
	Kind     entity.Kind `json:"kind"`
	Picklist string      `json:"picklist,omitempty"`
	Required bool        `json:"required"`
}

// CustomFields lists the custom fields of every entity.
func (s *Service) CustomFields() []CustomField {
	var out []CustomField
	for _, e := range s.DB.Schema().Entities() {
		for _, f := range e.Fields {
			if f.Custom {
				out = append(out, CustomField{Entity: e.Name, Name: f.Name, Zh: f.Label.Zh, En: f.Label.En, Kind: f.Kind, Picklist: f.Picklist, Required: f.Required})
			}
		}
	}
	return out
}

// AddCustomField adds a field to an entity at run time; it appears in
// forms, lists, filters, the API, OpenAPI, import and export at once.
// A select field names a pick-list; a new list name creates an empty list
// the admin then fills.
func (s *Service) AddCustomField(ctx context.Context, p *access.Principal, cf CustomField) (string, error) {
	if err := need(p); err != nil {
		return "", err
	}
	var name string
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		name, err = s.DB.AddCustomField(ctx, tx, store.CustomFieldDef{Entity: cf.Entity, Name: cf.Name, Label: i18n.T(strings.TrimSpace(cf.Zh), strings.TrimSpace(cf.En)),
			Kind: cf.Kind, Picklist: cf.Picklist, Required: cf.Required}, p.UserID)
		if err != nil {
			return err
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "custom_field", RecordID: cf.Entity + "." + name, Action: "create",
			Changes: map[string]store.Change{"field": {New: cf}}, RequestID: records.RequestID(ctx)})
	})
	return name, err
}

// DropCustomField removes a custom field and its data (the caller has
// asked the admin to confirm).
func (s *Service) DropCustomField(ctx context.Context, p *access.Principal, entityName, name string) error {
	if err := need(p); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.DB.DropCustomField(ctx, tx, entityName, name); err != nil {
			return err
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "custom_field", RecordID: entityName + "." + name, Action: "delete", RequestID: records.RequestID(ctx)})
	})
}

// SaveRole creates or changes a role. Built-in roles keep their code.
func (s *Service) SaveRole(ctx context.Context, p *access.Principal, r access.Role) error {
	if err := need(p); err != nil {
		return err
	}
	var bad []errs.FieldError
	if !regexp.MustCompile(`^[a-z][a-z0-9_]{1,30}$`).MatchString(r.Code) {
		bad = append(bad, errs.FieldError{Field: "code", Code: "invalid_code", Args: map[string]any{"value": r.Code}})
	}
	if strings.TrimSpace(r.Label.Zh) == "" && strings.TrimSpace(r.Label.En) == "" {
		bad = append(bad, errs.FieldError{Field: "label_zh", Code: "required"})
	}
	for ent := range r.Perms {
		if s.DB.Schema().Entity(ent) == nil {
			bad = append(bad, errs.FieldError{Field: "perms", Code: "invalid_option", Args: map[string]any{"value": ent}})
		}
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	roles, err := s.DB.Roles(ctx)
	if err != nil {
		return err
	}
	var old *access.Role
	for i := range roles {
		if roles[i].Code == r.Code {
			old = &roles[i]
		}
	}
	if old != nil {
		r.BuiltIn = old.BuiltIn
		if old.Code == access.RoleAdmin && !r.Admin {
			return errs.Validation([]errs.FieldError{{Field: "admin", Code: "admin_role_keeps_admin"}})
		}
	} else {
		r.BuiltIn = false
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.DB.SaveRole(ctx, tx, r); err != nil {
			return err
		}
		var oldV any
		if old != nil {
			oldV = *old
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "role", RecordID: r.Code, Action: "update",
			Changes: map[string]store.Change{"role": {Old: oldV, New: r}}, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
		return s.DB.BumpSchema(ctx, tx)
	})
}

// DeleteRole removes a role nobody holds.
func (s *Service) DeleteRole(ctx context.Context, p *access.Principal, code string) error {
	if err := need(p); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.DB.DeleteRole(ctx, tx, code); err != nil {
			return err
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "role", RecordID: code, Action: "delete", RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
		return s.DB.BumpSchema(ctx, tx)
	})
}

// Audit lists audit entries for admins.
func (s *Service) Audit(ctx context.Context, p *access.Principal, f store.AuditFilter) ([]store.AuditEntry, error) {
	if p == nil || !p.IsAdmin() {
		return nil, errs.Denied()
	}
	return s.DB.AuditLog(ctx, f)
}
