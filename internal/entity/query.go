package entity

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/errs"
)

// Op is a filter operator.
type Op string

// Filter operators. In the URL: name=v (eq; repeated → in), name[op]=v.
const (
	Eq       Op = "eq"
	Ne       Op = "ne"
	In       Op = "in"
	Gt       Op = "gt"
	Gte      Op = "gte"
	Lt       Op = "lt"
	Lte      Op = "lte"
	Empty    Op = "empty" // value true: is empty; false: is not empty
	Contains Op = "contains"
)

// Cond is one parsed filter condition.
type Cond struct {
	Field  *Field
	Op     Op
	Values []any // canonical values; for Empty a single bool
}

// Query is a parsed list request.
type Query struct {
	Conds  []Cond
	Sort   *Field
	Desc   bool
	Limit  int
	Cursor *Cursor
	Q      string // free-text search within the entity
	Total  bool   // compute a capped total
	Trash  bool   // list soft-deleted records instead
}

// Cursor is the keyset position after the last row of a page.
type Cursor struct {
	Sort  string `json:"s"`
	Desc  bool   `json:"d,omitempty"`
	Value any    `json:"v"`
	ID    string `json:"i"`
}

// Paging limits.
const (
	DefaultLimit = 50
	MaxLimit     = 500
	// TotalCap bounds counting: beyond it a total is shown as "10,000+".
	TotalCap = 10000
)

// Reserved query parameters that are not filters.
var reserved = map[string]bool{"limit": true, "cursor": true, "sort": true, "q": true, "total": true, "trash": true}

// ParseQuery parses list parameters against an entity. Parameters named in
// ignore are skipped (the web UI's own parameters); any other unknown name is
// an error naming it, so a typo never silently widens a list.
func (s *Schema) ParseQuery(e *Entity, v url.Values, ignore ...string) (Query, error) {
	q := Query{Limit: DefaultLimit}
	var bad []errs.FieldError
	skip := map[string]bool{}
	for _, k := range ignore {
		skip[k] = true
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			bad = append(bad, errs.FieldError{Field: "limit", Code: "out_of_range"})
		} else {
			q.Limit = min(n, MaxLimit)
		}
	}
	q.Q = strings.TrimSpace(v.Get("q"))
	if !utf8.ValidString(q.Q) {
		q.Q = strings.ToValidUTF8(q.Q, "")
	}
	if len([]rune(q.Q)) > 100 {
		bad = append(bad, errs.FieldError{Field: "q", Code: "too_long", Args: map[string]any{"max": 100}})
	}
	q.Total = v.Get("total") == "1" || v.Get("total") == "true"
	q.Trash = v.Get("trash") == "1" || v.Get("trash") == "true"

	sortName := v.Get("sort")
	if sortName == "" {
		sortName = e.DefaultSort
	}
	q.Desc = strings.HasPrefix(sortName, "-")
	sf := e.Field(strings.TrimPrefix(sortName, "-"))
	if sf == nil || !sf.Has(Sort) {
		bad = append(bad, errs.FieldError{Field: "sort", Code: "bad_sort", Args: map[string]any{"field": sortName}})
	} else {
		q.Sort = sf
	}

	for key, vals := range v {
		if reserved[key] || skip[key] {
			continue
		}
		name, op := key, Op("")
		if i := strings.IndexByte(key, '['); i > 0 && strings.HasSuffix(key, "]") {
			name, op = key[:i], Op(key[i+1:len(key)-1])
		}
		f := e.Field(name)
		if f == nil || !f.Has(Filter) {
			bad = append(bad, errs.FieldError{Field: key, Code: "bad_filter", Args: map[string]any{"field": key}})
			continue
		}
		c, fe := s.parseCond(f, op, vals)
		if fe != nil {
			fe.Field = key
			bad = append(bad, *fe)
			continue
		}
		if c != nil {
			q.Conds = append(q.Conds, *c)
		}
	}
	if c := v.Get("cursor"); c != "" && q.Sort != nil {
		cur, err := s.DecodeCursor(q.Sort, q.Desc, c)
		if err != nil {
			bad = append(bad, errs.FieldError{Field: "cursor", Code: "bad_cursor"})
		} else {
			q.Cursor = cur
		}
	}
	if err := errs.Validation(bad); err != nil {
		return Query{}, err
	}
	sortConds(q.Conds)
	return q, nil
}

// sortConds orders conditions by field name so that equal queries produce
// equal SQL text (and so share prepared statements).
func sortConds(cs []Cond) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].Field.Name+string(cs[j].Op) < cs[j-1].Field.Name+string(cs[j-1].Op); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

func (s *Schema) parseCond(f *Field, op Op, vals []string) (*Cond, *errs.FieldError) {
	bad := &errs.FieldError{Field: f.Name, Code: "bad_filter", Args: map[string]any{"field": f.Name}}
	if len(vals) > 200 {
		return nil, bad
	}
	parse := func(raw string) (any, *errs.FieldError) {
		if f.Kind.IsList() {
			// Filtering a list field takes one element at a time.
			tmp := *f
			tmp.Kind = Text
			switch f.Kind {
			case MultiSelect:
				tmp.Kind = Select
			case Refs:
				tmp.Kind = Ref
			}
			return s.ParseText(&tmp, raw)
		}
		if f.Kind == LongText {
			tmp := *f
			tmp.Kind = Text
			tmp.MaxLen = 200
			return s.ParseText(&tmp, raw)
		}
		return s.ParseText(f, raw)
	}
	switch op {
	case "", Eq, In, Ne:
		var values []any
		for _, raw := range vals {
			for _, part := range splitIn(op, raw) {
				if strings.TrimSpace(part) == "" {
					continue
				}
				x, fe := parse(part)
				if fe != nil {
					return nil, fe
				}
				values = append(values, x)
			}
		}
		if len(values) == 0 {
			return nil, nil // an empty filter box means no filter
		}
		switch {
		case op == Ne:
			if len(values) != 1 {
				return nil, bad
			}
		case len(values) > 1:
			op = In
		default:
			op = Eq
		}
		return &Cond{Field: f, Op: op, Values: values}, nil
	case Gt, Gte, Lt, Lte:
		if len(vals) != 1 || f.Kind.IsList() || f.Kind == Bool {
			return nil, bad
		}
		if strings.TrimSpace(vals[0]) == "" {
			return nil, nil
		}
		x, fe := parse(vals[0])
		if fe != nil {
			return nil, fe
		}
		if f.Kind == DateTime && len(strings.TrimSpace(vals[0])) <= 11 {
			// A bare date as an upper bound means the end of that day.
			if d, ok := ParseDate(vals[0]); ok {
				t, _ := time.ParseInLocation(DateLayout, d, s.loc())
				if op == Lte || op == Gt {
					t = t.AddDate(0, 0, 1).Add(-time.Microsecond)
				}
				x = CanonTime(t)
			}
		}
		return &Cond{Field: f, Op: op, Values: []any{x}}, nil
	case Empty:
		if len(vals) != 1 {
			return nil, bad
		}
		switch strings.ToLower(vals[0]) {
		case "1", "true", "yes":
			return &Cond{Field: f, Op: Empty, Values: []any{true}}, nil
		case "0", "false", "no":
			return &Cond{Field: f, Op: Empty, Values: []any{false}}, nil
		}
		return nil, bad
	case Contains:
		if len(vals) != 1 || !(f.Kind.IsText() || f.Kind.IsList()) || f.Kind == Select || f.Kind == User || f.Kind == Ref {
			return nil, bad
		}
		t := strings.TrimSpace(vals[0])
		if t == "" {
			return nil, nil
		}
		if len([]rune(t)) > 100 || !utf8.ValidString(t) || strings.ContainsRune(t, 0) {
			return nil, bad
		}
		return &Cond{Field: f, Op: Contains, Values: []any{t}}, nil
	}
	return nil, bad
}

// splitIn splits "a,b" for an explicit in-list; plain equality keeps commas.
func splitIn(op Op, raw string) []string {
	if op == In {
		return strings.Split(raw, ",")
	}
	return []string{raw}
}

// EncodeCursor makes the opaque cursor for the row after which the next page starts.
func EncodeCursor(sort *Field, desc bool, last Record) string {
	v := last[sort.Name]
	if t, ok := v.(time.Time); ok {
		v = t.Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(Cursor{Sort: sort.Name, Desc: desc, Value: v, ID: last.ID()})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses a cursor and checks it belongs to the given sort.
func (s *Schema) DecodeCursor(sort *Field, desc bool, raw string) (*Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var c Cursor
	if err := d.Decode(&c); err != nil {
		return nil, err
	}
	if c.Sort != sort.Name || c.Desc != desc || !looksLikeID(c.ID) {
		return nil, errs.New(errs.Invalid, "bad_cursor")
	}
	if c.Value != nil {
		var v any
		var fe *errs.FieldError
		switch x := c.Value.(type) {
		case string:
			if sort.Kind == DateTime {
				t, perr := time.Parse(time.RFC3339Nano, x)
				if perr != nil {
					return nil, perr
				}
				v = CanonTime(t)
			} else {
				v, fe = s.ParseJSON(sort, x)
			}
		default:
			v, fe = s.ParseJSON(sort, x)
		}
		if fe != nil {
			return nil, errs.New(errs.Invalid, "bad_cursor")
		}
		c.Value = v
	}
	return &c, nil
}
