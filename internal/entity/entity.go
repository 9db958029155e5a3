// Package entity is the declaration machinery: one Entity value per record
// type lists its fields with their kinds, labels, validation and capabilities
// (filter, sort, search, import, export, masking). Everything generic — the
// SQL, list queries, the API and its OpenAPI schema, pages, import and export —
// is derived from these declarations, so a new record type is added by
// declaring it, not by copying code.
//
// The package knows nothing of databases or HTTP.
package entity

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"closeloop/internal/i18n"
)

// Kind is a field's value type.
type Kind string

// Field kinds. Canonical Go values are noted for each.
const (
	Text        Kind = "text"        // string, one line
	LongText    Kind = "textarea"    // string, multi-line
	Integer     Kind = "integer"     // int64
	Number      Kind = "number"      // float64
	Money       Kind = "money"       // int64 minor units (分); currency is a separate field
	Date        Kind = "date"        // string "2006-01-02"
	DateTime    Kind = "datetime"    // time.Time, UTC, microsecond precision
	Bool        Kind = "boolean"     // bool
	Select      Kind = "select"      // string option code
	MultiSelect Kind = "multiselect" // []string option codes
	Tags        Kind = "tags"        // []string free words
	User        Kind = "user"        // string user id
	Ref         Kind = "ref"         // string id of a record of Field.Ref
	Refs        Kind = "refs"        // []string ids of records of Field.Ref ("user" for users)
	Phone       Kind = "phone"       // string, normalised digits with optional +
	Email       Kind = "email"       // string, lower-cased
)

// CustomKinds are the kinds an admin may choose for a custom field.
var CustomKinds = []Kind{Text, LongText, Number, Money, Date, Bool, Select, MultiSelect, User}

// IsList reports whether values of the kind are string lists.
func (k Kind) IsList() bool { return k == MultiSelect || k == Tags || k == Refs }

// IsText reports whether values of the kind are strings.
func (k Kind) IsText() bool {
	switch k {
	case Text, LongText, Select, User, Ref, Phone, Email:
		return true
	}
	return false
}

// Flag is a set of field capabilities.
type Flag uint32

const (
	Filter     Flag = 1 << iota // may be used in list filters
	Sort                        // may be used as the list sort key
	Search                      // feeds the search index
	Listed                      // shown as a column in the default list
	Export                      // written by export
	Import                      // accepted by import
	Contact                     // a contact detail: masked for roles without the right
	ReadOnly                    // set only by the system or a process, never by generic writes
	NotNull                     // the column is NOT NULL (keyset paging needs no NULL branch)
	PersonName                  // a person's or company's name: indexed with pinyin too
	Hidden                      // not shown in generic forms or detail pages
	Virtual                     // not a column of the entity's table
	Unique                      // may serve as an upsert key on import
)

// Std is the usual set for an ordinary user-editable field.
const Std = Filter | Sort | Export | Import

// Option is one allowed value of a select field.
type Option struct {
	Code  string    `json:"code"`
	Label i18n.Text `json:"label"`
}

// Field declares one attribute of an entity.
type Field struct {
	Name     string    // JSON and form name, snake_case; also the column unless Column is set
	Column   string    // SQL column; defaults to Name
	Label    i18n.Text // shown in forms, lists, import headers
	Kind     Kind
	Flags    Flag
	Required bool
	MaxLen   int      // text length limit in characters; 0 means the kind's default
	Min, Max *float64 // numeric bounds
	Picklist string   // admin-edited option list for select/multiselect
	Options  []Option // fixed options when Picklist is empty
	// Moves, on a status-like select, lists the values a person may move
	// a record to from its stored value ("" for a new record); forms offer
	// only those and the current one. The rule itself is checked on write.
	Moves   func(from string) []string
	Ref     string // entity name a Ref field points to
	Default any    // canonical value used when a create leaves the field empty
	Custom  bool   // added by an admin at run time
	Help    i18n.Text
	// Scale makes an Integer a fixed-point number for people: the stored and
	// JSON value is the integer, text shows and reads it with Scale decimals
	// (a discount of 5.25 % is discount_bp 525 with Scale 2). Money needs no
	// Scale: it is always two.
	Scale int
}

// Has reports whether the field has all the given flags.
func (f *Field) Has(flag Flag) bool { return f.Flags&flag == flag }

// Col is the SQL column of the field.
func (f *Field) Col() string {
	if f.Column != "" {
		return f.Column
	}
	return f.Name
}

// Writable reports whether generic create/update may set the field.
func (f *Field) Writable() bool { return !f.Has(ReadOnly) && !f.Has(Virtual) }

// MaxChars is the effective text length limit.
func (f *Field) MaxChars() int {
	if f.MaxLen > 0 {
		return f.MaxLen
	}
	switch f.Kind {
	case LongText:
		return 20000
	case Email:
		return 254
	case Phone:
		return 32
	}
	return 200
}

// Visibility says how an entity's records are scoped for a user.
type Visibility struct {
	// Owned means the table has owner_id and team_id columns that decide
	// visibility; unowned rows (owner_id NULL) are in the shared pool.
	Owned bool
	// Pool means unowned records form a shared pool (公海) that users with
	// the pool right may see and claim.
	Pool bool
	// Parent, when set, names a Ref field: a record is also visible when the
	// record it points to is visible (contacts through their customer,
	// activities through their customer or lead). Several are ORed.
	Parents []string
	// Grants means single users may be given read access to a record beyond
	// their scope (record_grants rows): pre-sales engineers assigned to a
	// request see its opportunity and customer.
	Grants bool
}

// Entity declares one record type.
type Entity struct {
	Name     string    // singular, snake_case: "customer"
	Resource string    // API path segment: "customers"
	Table    string    // SQL table
	Label    i18n.Text // singular label
	Plural   i18n.Text
	Title    string // field used as the record's title
	Subtitle string // optional second line in search results and lookups
	Fields   []*Field
	Vis      Visibility
	// SoftDelete keeps deleted rows with deleted_at set so they can be restored.
	SoftDelete bool
	// DefaultSort is a field name, "-" prefixed for descending.
	DefaultSort string
	// Customizable allows admins to add custom fields.
	Customizable bool
	// AuditReads logs every detail read (confidential records: who read what).
	AuditReads bool

	byName map[string]*Field
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// SystemFields are present on every entity and set only by the system.
func SystemFields() []*Field {
	ro := ReadOnly | NotNull | Export
	return []*Field{
		{Name: "id", Label: i18n.T("编号", "ID"), Kind: Text, Flags: ro | Filter | Hidden},
		{Name: "version", Label: i18n.T("版本", "Version"), Kind: Integer, Flags: ro | Hidden},
		{Name: "created_at", Label: i18n.T("创建时间", "Created at"), Kind: DateTime, Flags: ro | Filter | Sort},
		{Name: "updated_at", Label: i18n.T("更新时间", "Updated at"), Kind: DateTime, Flags: ro | Filter | Sort | Listed},
		{Name: "created_by", Label: i18n.T("创建人", "Created by"), Kind: User, Flags: ReadOnly | Filter | Export},
		{Name: "updated_by", Label: i18n.T("更新人", "Updated by"), Kind: User, Flags: ReadOnly | Export | Hidden},
	}
}

// OwnerFields are present on owned entities.
func OwnerFields() []*Field {
	return []*Field{
		{Name: "owner_id", Label: i18n.T("负责人", "Owner"), Kind: User, Flags: ReadOnly | Filter | Sort | Listed | Export | Import},
		{Name: "team_id", Label: i18n.T("所属团队", "Team"), Kind: Ref, Ref: "team", Flags: ReadOnly | Filter | Export},
	}
}

// Init completes a declaration: adds system fields, indexes fields by name,
// and checks the declaration is coherent. It panics on a bad declaration,
// since declarations are code.
func (e *Entity) Init() *Entity {
	if err := e.init(); err != nil {
		panic(err)
	}
	return e
}

func (e *Entity) init() error {
	if !nameRE.MatchString(e.Name) {
		return fmt.Errorf("entity %q: bad name", e.Name)
	}
	if e.Table == "" {
		e.Table = e.Resource
	}
	if e.Resource == "" || e.Table == "" {
		return fmt.Errorf("entity %s: resource and table required", e.Name)
	}
	var fields []*Field
	fields = append(fields, SystemFields()...)
	if e.Vis.Owned {
		fields = append(fields, OwnerFields()...)
	}
	if e.SoftDelete {
		fields = append(fields, &Field{Name: "deleted_at", Label: i18n.T("删除时间", "Deleted at"), Kind: DateTime, Flags: ReadOnly | Hidden})
	}
	// Declared fields may override system ones (e.g. to relabel owner_id).
	declared := map[string]bool{}
	for _, f := range e.Fields {
		declared[f.Name] = true
	}
	var merged []*Field
	for _, f := range fields {
		if !declared[f.Name] {
			merged = append(merged, f)
		}
	}
	// Keep the id first, then the declared fields, then the rest.
	out := []*Field{merged[0]}
	out = append(out, e.Fields...)
	out = append(out, merged[1:]...)
	e.Fields = out
	e.byName = make(map[string]*Field, len(e.Fields))
	for _, f := range e.Fields {
		if !nameRE.MatchString(f.Name) {
			return fmt.Errorf("entity %s: bad field name %q", e.Name, f.Name)
		}
		if _, dup := e.byName[f.Name]; dup {
			return fmt.Errorf("entity %s: duplicate field %q", e.Name, f.Name)
		}
		if (f.Kind == Select || f.Kind == MultiSelect) && f.Picklist == "" && len(f.Options) == 0 {
			return fmt.Errorf("entity %s: select field %q has no options", e.Name, f.Name)
		}
		if (f.Kind == Ref || f.Kind == Refs) && f.Ref == "" {
			return fmt.Errorf("entity %s: ref field %q has no target", e.Name, f.Name)
		}
		e.byName[f.Name] = f
	}
	if e.Title == "" || e.byName[e.Title] == nil {
		return fmt.Errorf("entity %s: title field %q not declared", e.Name, e.Title)
	}
	if e.DefaultSort == "" {
		e.DefaultSort = "-updated_at"
	}
	if e.Field(strings.TrimPrefix(e.DefaultSort, "-")) == nil {
		return fmt.Errorf("entity %s: default sort %q not declared", e.Name, e.DefaultSort)
	}
	return nil
}

// Field returns the named field or nil.
func (e *Entity) Field(name string) *Field { return e.byName[name] }

// WithCustom returns a copy of the entity with custom fields appended. The
// declaration itself is never mutated, so snapshots can be swapped atomically.
func (e *Entity) WithCustom(custom []*Field) *Entity {
	c := *e
	c.Fields = append(slices.Clip(e.Fields), custom...)
	c.byName = make(map[string]*Field, len(c.Fields))
	for _, f := range c.Fields {
		c.byName[f.Name] = f
	}
	return &c
}

// Subset returns a copy of the entity with only the named fields (and the
// id), for reads that need a few columns of many rows (board cards). Names
// that are not fields are ignored.
func (e *Entity) Subset(names ...string) *Entity {
	c := *e
	c.Fields = []*Field{e.byName["id"]}
	for _, n := range names {
		if f := e.byName[n]; f != nil && n != "id" {
			c.Fields = append(c.Fields, f)
		}
	}
	c.byName = make(map[string]*Field, len(c.Fields))
	for _, f := range c.Fields {
		c.byName[f.Name] = f
	}
	return &c
}

// Columns returns the fields stored as columns of the entity's table.
func (e *Entity) Columns() []*Field {
	out := make([]*Field, 0, len(e.Fields))
	for _, f := range e.Fields {
		if !f.Has(Virtual) {
			out = append(out, f)
		}
	}
	return out
}

// FieldsWith returns fields having all the given flags, in declaration order.
func (e *Entity) FieldsWith(flag Flag) []*Field {
	var out []*Field
	for _, f := range e.Fields {
		if f.Has(flag) {
			out = append(out, f)
		}
	}
	return out
}

// CustomFieldName checks a name an admin chose and returns the field name
// stored for it: custom fields live under a "cf_" prefix so that a built-in
// field added in a later release can never collide with one.
func CustomFieldName(name string) (string, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	name = strings.TrimPrefix(name, "cf_")
	if !regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`).MatchString(name) {
		return "", false
	}
	return "cf_" + name, true
}
