package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

const schemaVersionKey = "schema_version"

// ReloadSchema rebuilds the schema snapshot from declarations, custom fields
// and pick-lists.
func (db *DB) ReloadSchema(ctx context.Context) error {
	ver, err := db.settingInt(ctx, db.r, schemaVersionKey)
	if err != nil {
		return err
	}
	custom := map[string][]*entity.Field{}
	rows, err := db.r.QueryContext(ctx, `SELECT entity, name, label_zh, label_en, kind, picklist, required
		FROM custom_fields ORDER BY entity, position, name`)
	if err != nil {
		return fmt.Errorf("store: load custom fields: %w", err)
	}
	for rows.Next() {
		var ent, name, zh, en, kind string
		var pick sql.NullString
		var req bool
		if err := rows.Scan(&ent, &name, &zh, &en, &kind, &pick, &req); err != nil {
			rows.Close()
			return err
		}
		custom[ent] = append(custom[ent], CustomField(name, i18n.T(zh, en), entity.Kind(kind), pick.String, req))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	picks := map[string][]entity.Option{}
	rows, err = db.r.QueryContext(ctx, `SELECT list, code, label_zh, label_en FROM picklists WHERE active = TRUE ORDER BY list, position, code`)
	if err != nil {
		return fmt.Errorf("store: load pick-lists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var list, code, zh, en string
		if err := rows.Scan(&list, &code, &zh, &en); err != nil {
			return err
		}
		picks[list] = append(picks[list], entity.Option{Code: code, Label: i18n.T(zh, en)})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Roles are data too: offer them as the "role" pick-list.
	roles, err := db.Roles(ctx)
	if err != nil {
		return err
	}
	for _, r := range roles {
		picks["role"] = append(picks["role"], entity.Option{Code: r.Code, Label: r.Label})
	}
	// So are record types: the "entity" pick-list names every declared
	// entity (approval rules pick the document type they apply to).
	for _, e := range db.decls {
		picks["entity"] = append(picks["entity"], entity.Option{Code: e.Name, Label: e.Label})
	}
	db.roles.Store(&roles)
	sch := entity.NewSchema(ver, db.decls, custom, picks)
	sch.Loc = db.loc
	db.schema.Store(sch)
	return nil
}

// CustomField builds the declaration of an admin-defined field.
func CustomField(name string, label i18n.Text, kind entity.Kind, picklist string, required bool) *entity.Field {
	f := &entity.Field{
		Name: name, Label: label, Kind: kind, Custom: true, Required: required, Picklist: picklist,
		Flags: entity.Filter | entity.Export | entity.Import | entity.Listed,
	}
	if kind != entity.LongText && !kind.IsList() {
		f.Flags |= entity.Sort
	}
	if kind == entity.Text || kind == entity.LongText {
		f.Flags |= entity.Search
	}
	return f
}

// WatchSchema reloads the snapshot whenever another server changed custom
// fields or pick-lists (the version in settings moved). It returns when ctx ends.
func (db *DB) WatchSchema(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			v, err := db.settingInt(ctx, db.r, schemaVersionKey)
			if err != nil {
				slog.Warn("schema watch", "err", err)
				continue
			}
			if s := db.Schema(); s == nil || s.Version != v {
				if err := db.ReloadSchema(ctx); err != nil {
					slog.Warn("schema reload", "err", err)
				}
			}
		}
	}
}

// BumpSchema marks the schema as changed inside tx and reloads this server's
// snapshot after commit; other servers pick it up through WatchSchema.
func (db *DB) BumpSchema(ctx context.Context, tx *Tx) error {
	v, err := db.settingInt(ctx, tx, schemaVersionKey)
	if err != nil {
		return err
	}
	if err := db.SetSetting(ctx, tx, schemaVersionKey, strconv.FormatInt(v+1, 10)); err != nil {
		return err
	}
	tx.AfterCommit(func() {
		if err := db.ReloadSchema(context.Background()); err != nil {
			slog.Error("schema reload after change", "err", err)
		}
	})
	return nil
}

// Setting reads a setting; "" when unset.
func (db *DB) Setting(ctx context.Context, q Querier, key string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read setting %s: %w", key, err)
	}
	return v, nil
}

func (db *DB) settingInt(ctx context.Context, q Querier, key string) (int64, error) {
	s, err := db.Setting(ctx, q, key)
	if err != nil || s == "" {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// SetSetting writes a setting.
func (db *DB) SetSetting(ctx context.Context, q Querier, key, value string) error {
	_, err := q.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, Now())
	if err != nil {
		return fmt.Errorf("store: write setting %s: %w", key, err)
	}
	return nil
}

// ColumnType is the SQL type of a field's column.
func (db *DB) ColumnType(k entity.Kind) string {
	pg := db.Dialect == Postgres
	switch k {
	case entity.Integer, entity.Money:
		return "BIGINT"
	case entity.Number:
		if pg {
			return "DOUBLE PRECISION"
		}
		return "REAL"
	case entity.Date:
		return "DATE"
	case entity.DateTime:
		if pg {
			return "TIMESTAMPTZ"
		}
		return "TIMESTAMP"
	case entity.Bool:
		return "BOOLEAN"
	}
	return "TEXT"
}

// CustomFieldDef is an admin's request for a new custom field.
type CustomFieldDef struct {
	Entity   string
	Name     string // without the cf_ prefix
	Label    i18n.Text
	Kind     entity.Kind
	Picklist string
	Required bool
}

// AddCustomField adds the column and the definition in one transaction.
func (db *DB) AddCustomField(ctx context.Context, tx *Tx, d CustomFieldDef, actor string) (string, error) {
	e := db.Schema().Entity(d.Entity)
	if e == nil || !e.Customizable {
		return "", errs.Validation([]errs.FieldError{{Field: "entity", Code: "invalid_option", Args: map[string]any{"value": d.Entity}}})
	}
	name, ok := entity.CustomFieldName(d.Name)
	if !ok {
		return "", errs.Validation([]errs.FieldError{{Field: "name", Code: "invalid_field_name"}})
	}
	if e.Field(name) != nil {
		return "", errs.Validation([]errs.FieldError{{Field: "name", Code: "duplicate_field"}})
	}
	valid := false
	for _, k := range entity.CustomKinds {
		valid = valid || k == d.Kind
	}
	if !valid {
		return "", errs.Validation([]errs.FieldError{{Field: "kind", Code: "invalid_option", Args: map[string]any{"value": string(d.Kind)}}})
	}
	if (d.Kind == entity.Select || d.Kind == entity.MultiSelect) && d.Picklist == "" {
		return "", errs.Validation([]errs.FieldError{{Field: "picklist", Code: "required"}})
	}
	if d.Label.Zh == "" && d.Label.En == "" {
		return "", errs.Validation([]errs.FieldError{{Field: "label_zh", Code: "required"}})
	}
	var pos int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) + 1 FROM custom_fields WHERE entity = $1`, d.Entity).Scan(&pos); err != nil {
		return "", err
	}
	// A required custom field on a table with rows would make every old row
	// invalid at its next edit; required is enforced on writes only, so the
	// column itself stays nullable.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN %s %s`, e.Table, name, db.ColumnType(d.Kind))); err != nil {
		return "", fmt.Errorf("store: add column %s.%s: %w", e.Table, name, err)
	}
	var pick any
	if d.Picklist != "" {
		pick = d.Picklist
	}
	id := NewID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO custom_fields (id, entity, name, label_zh, label_en, kind, picklist, required, position, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		id, d.Entity, name, d.Label.Zh, d.Label.En, string(d.Kind), pick, d.Required, pos, Now(), nullable(actor)); err != nil {
		return "", fmt.Errorf("store: insert custom field: %w", err)
	}
	return name, db.BumpSchema(ctx, tx)
}

// DropCustomField removes a custom field and its column (and so its data).
func (db *DB) DropCustomField(ctx context.Context, tx *Tx, entityName, name string) error {
	e := db.Schema().Entity(entityName)
	if e == nil {
		return errs.NotFoundf("custom_field")
	}
	f := e.Field(name)
	if f == nil || !f.Custom {
		return errs.NotFoundf("custom_field")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM custom_fields WHERE entity = $1 AND name = $2`, entityName, name); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s DROP COLUMN %s`, e.Table, f.Col())); err != nil {
		return fmt.Errorf("store: drop column %s.%s: %w", e.Table, name, err)
	}
	return db.BumpSchema(ctx, tx)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Analyze refreshes the planner's statistics of a table (PostgreSQL;
// SQLite plans equality lookups by index regardless). Inside a
// transaction it counts the transaction's own new rows.
func (db *DB) Analyze(ctx context.Context, q Querier, table string) error {
	if db.Dialect != Postgres {
		return nil
	}
	if _, err := q.ExecContext(ctx, `ANALYZE `+table); err != nil {
		return fmt.Errorf("store: analyze %s: %w", table, err)
	}
	return nil
}
