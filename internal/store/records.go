package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// Pred is a SQL condition on the row alias "t", built into an Args.
type Pred func(a *Args) string

// True is the predicate that admits every row.
func True(*Args) string { return "TRUE" }

// encode turns a canonical value into a driver argument.
func encode(f *entity.Field, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" {
			return nil
		}
		return x
	case []string:
		if len(x) == 0 {
			return nil
		}
		b, _ := json.Marshal(x)
		return string(b)
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return entity.CanonTime(x)
	}
	return v
}

// Encode is encode for other packages building their own statements.
func Encode(f *entity.Field, v any) any { return encode(f, v) }

// decode turns a scanned driver value into the field's canonical value.
func decode(f *entity.Field, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch f.Kind {
	case entity.MultiSelect, entity.Tags, entity.Refs:
		s, ok := v.(string)
		if !ok || s == "" {
			return nil, nil
		}
		var out []string
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return nil, fmt.Errorf("decode %s: %w", f.Name, err)
		}
		return out, nil
	case entity.Date:
		switch x := v.(type) {
		case time.Time:
			return x.Format(entity.DateLayout), nil
		case string:
			if len(x) >= 10 {
				return x[:10], nil
			}
			return x, nil
		}
	case entity.DateTime:
		switch x := v.(type) {
		case time.Time:
			return entity.CanonTime(x), nil
		case string:
			if t, ok := parseStoredTime(x); ok {
				return t, nil
			}
			if t, ok := entity.ParseDateTime(x); ok {
				return t, nil
			}
			if t, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", x); err == nil {
				return entity.CanonTime(t), nil
			}
			return nil, fmt.Errorf("decode %s: bad time %q", f.Name, x)
		}
	case entity.Bool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case entity.Integer, entity.Money:
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			return int64(x), nil
		case string:
			return strconv.ParseInt(x, 10, 64)
		}
	case entity.Number:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		case string:
			return strconv.ParseFloat(x, 64)
		}
	default:
		switch x := v.(type) {
		case string:
			return x, nil
		case [16]byte:
			return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16]), nil
		}
		return fmt.Sprint(v), nil
	}
	return nil, fmt.Errorf("decode %s: unexpected %T", f.Name, v)
}

// selectList lists e's columns for a SELECT. On SQLite time columns are
// read as text, by concatenating an empty string to them (an expression has no declared type): the driver
// otherwise parses each one by trying time layouts, a sixth of the cost of
// reading a list page; decode parses the one layout we write.
func (db *DB) selectList(e *entity.Entity, alias string) string {
	cols := e.Columns()
	parts := make([]string, len(cols))
	for i, f := range cols {
		parts[i] = alias + "." + f.Col()
		if db.Dialect == SQLite && (f.Kind == entity.DateTime || f.Kind == entity.Date) {
			parts[i] = "(" + parts[i] + " || '')"
		}
	}
	return strings.Join(parts, ", ")
}

// parseStoredTime reads the text SQLite keeps a time as,
// "2006-01-02 15:04:05.999999+00:00" (the driver's sqlite format, always
// UTC here), without time.Parse; false for anything else.
func parseStoredTime(s string) (time.Time, bool) {
	if len(s) < 25 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[len(s)-6:] != "+00:00" {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 {
		return time.Time{}, false
	}
	ns := 0
	rest := s[19 : len(s)-6]
	if rest != "" {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return time.Time{}, false
		}
		frac, ok := num(20, 20+len(rest)-1)
		if !ok {
			return time.Time{}, false
		}
		for range 9 - (len(rest) - 1) {
			frac *= 10
		}
		ns = frac
	}
	return entity.CanonTime(time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)), true
}

func scanRecord(e *entity.Entity, rows interface{ Scan(...any) error }) (entity.Record, error) {
	cols := e.Columns()
	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	r := make(entity.Record, len(cols))
	for i, f := range cols {
		v, err := decode(f, raw[i])
		if err != nil {
			return nil, err
		}
		r[f.Name] = v
	}
	return r, nil
}

// Insert writes a new row. The caller sets system fields (the records
// service does); an empty id gets a new UUIDv7.
func (db *DB) Insert(ctx context.Context, q Querier, e *entity.Entity, r entity.Record) error {
	return db.insertRows(ctx, q, e, setColumns(e, r), []entity.Record{r})
}

// InsertMany inserts records in as few statements as their columns allow.
// On PostgreSQL, records setting the same columns go in multi-row INSERTs
// of up to maxParams parameters (an import's group of rows: a few round
// trips instead of a hundred). On SQLite, in-process, a statement per row
// is as fast and its peak memory lower (measured on a 100k import: 52 s
// either way, 315 against 330-356 MiB), so the rows go one by one.
func (db *DB) InsertMany(ctx context.Context, q Querier, e *entity.Entity, recs []entity.Record) error {
	if db.Dialect != Postgres {
		for _, r := range recs {
			if err := db.Insert(ctx, q, e, r); err != nil {
				return err
			}
		}
		return nil
	}
	type shape struct {
		fields []*entity.Field
		rows   []entity.Record
	}
	var shapes []*shape
	byKey := map[string]*shape{}
	for _, r := range recs {
		fields := setColumns(e, r)
		var key strings.Builder
		for _, f := range fields {
			key.WriteString(f.Name)
			key.WriteByte(',')
		}
		sh := byKey[key.String()]
		if sh == nil {
			sh = &shape{fields: fields}
			byKey[key.String()] = sh
			shapes = append(shapes, sh)
		}
		sh.rows = append(sh.rows, r)
	}
	for _, sh := range shapes {
		perStmt := max(1, maxParams/len(sh.fields))
		for rows := sh.rows; len(rows) > 0; rows = rows[min(perStmt, len(rows)):] {
			if err := db.insertRows(ctx, q, e, sh.fields, rows[:min(perStmt, len(rows))]); err != nil {
				return err
			}
		}
	}
	return nil
}

// setColumns gives r an id and version when it has none and returns the
// columns it sets; unset and nil values are left to the column's default.
func setColumns(e *entity.Entity, r entity.Record) []*entity.Field {
	if r.ID() == "" {
		r["id"] = NewID()
	}
	if _, ok := r["version"]; !ok {
		r["version"] = int64(1)
	}
	var fields []*entity.Field
	for _, f := range e.Columns() {
		if v, ok := r[f.Name]; ok && v != nil {
			fields = append(fields, f)
		}
	}
	return fields
}

// insertRows inserts rows, each setting exactly fields, in one statement.
func (db *DB) insertRows(ctx context.Context, q Querier, e *entity.Entity, fields []*entity.Field, rows []entity.Record) error {
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = f.Col()
	}
	var a Args
	var b strings.Builder
	b.WriteString(`INSERT INTO ` + e.Table + ` (` + strings.Join(cols, ", ") + `) VALUES `)
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		vals := make([]any, len(fields))
		for j, f := range fields {
			vals[j] = encode(f, r[f.Name])
		}
		b.WriteString(a.List(vals))
	}
	if _, err := q.ExecContext(ctx, b.String(), a.V...); err != nil {
		return db.writeErr(err, e)
	}
	return nil
}

func (db *DB) writeErr(err error, e *entity.Entity) error {
	switch {
	case IsForeignKeyViolation(err):
		return errs.New(errs.Invalid, "invalid_ref").With(err)
	case IsUniqueViolation(err):
		return errs.New(errs.Conflict, "duplicate_key", "entity", e.Name).With(err)
	}
	return fmt.Errorf("store: write %s: %w", e.Name, err)
}

// Get reads one row that satisfies vis. Soft-deleted rows are found only
// when withDeleted is set.
func (db *DB) Get(ctx context.Context, q Querier, e *entity.Entity, id string, vis Pred, withDeleted bool) (entity.Record, error) {
	if !entity.LooksLikeID(id) {
		return nil, errs.NotFoundf(e.Name)
	}
	if vis == nil {
		vis = True
	}
	var a Args
	where := "t.id = " + a.Add(strings.ToLower(id)) + " AND " + vis(&a)
	if e.SoftDelete && !withDeleted {
		where += " AND t.deleted_at IS NULL"
	}
	row := q.QueryRowContext(ctx, fmt.Sprintf(`SELECT %s FROM %s t WHERE %s`, db.selectList(e, "t"), e.Table, where), a.V...)
	r, err := scanRecord(e, row)
	if err != nil {
		return nil, notFound(err, e.Name)
	}
	return r, nil
}

// GetMany reads rows by id (those that exist, visible and not deleted).
func (db *DB) GetMany(ctx context.Context, q Querier, e *entity.Entity, ids []string, vis Pred) (map[string]entity.Record, error) {
	out := map[string]entity.Record{}
	if vis == nil {
		vis = True
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var a Args
		vals := make([]any, 0, len(chunk))
		for _, id := range chunk {
			if entity.LooksLikeID(id) {
				vals = append(vals, strings.ToLower(id))
			}
		}
		if len(vals) == 0 {
			continue
		}
		where := "t.id IN " + a.List(vals) + " AND " + vis(&a)
		if e.SoftDelete {
			where += " AND t.deleted_at IS NULL"
		}
		rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM %s t WHERE %s`, db.selectList(e, "t"), e.Table, where), a.V...)
		if err != nil {
			return nil, fmt.Errorf("store: get %s: %w", e.Name, err)
		}
		for rows.Next() {
			r, err := scanRecord(e, rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[r.ID()] = r
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Update sets the given columns where the row still has the expected
// version, bumping the version. It returns errs.Stale when the version moved
// and NotFound when the row is gone.
func (db *DB) Update(ctx context.Context, tx *Tx, e *entity.Entity, id string, version int64, set entity.Record) (int64, error) {
	var a Args
	var parts []string
	for _, f := range e.Columns() {
		v, ok := set[f.Name]
		if !ok || f.Name == "id" || f.Name == "version" {
			continue
		}
		parts = append(parts, f.Col()+" = "+a.Add(encode(f, v)))
	}
	parts = append(parts, "version = version + 1")
	where := "id = " + a.Add(id) + " AND version = " + a.Add(version)
	if e.SoftDelete {
		if _, touchesDeleted := set["deleted_at"]; !touchesDeleted {
			where += " AND deleted_at IS NULL"
		}
	}
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s WHERE %s`, e.Table, strings.Join(parts, ", "), where), a.V...)
	if err != nil {
		return 0, db.writeErr(err, e)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n == 0 {
		var cur int64
		err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT version FROM %s WHERE id = $1`, e.Table), id).Scan(&cur)
		if err == sql.ErrNoRows {
			return 0, errs.NotFoundf(e.Name)
		}
		if err != nil {
			return 0, err
		}
		return 0, errs.Stale()
	}
	return version + 1, nil
}

// UpdateWhere sets columns on every row matching a condition, bumping
// versions; for processes that move many rows (reassign, merge, cascade).
// It returns the number of rows changed.
func (db *DB) UpdateWhere(ctx context.Context, tx *Tx, e *entity.Entity, set entity.Record, cond string, condArgs ...any) (int64, error) {
	a := Args{V: append([]any(nil), condArgs...)}
	var parts []string
	for _, f := range e.Columns() {
		if v, ok := set[f.Name]; ok {
			parts = append(parts, f.Col()+" = "+a.Add(encode(f, v)))
		}
	}
	parts = append(parts, "version = version + 1")
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s WHERE %s`, e.Table, strings.Join(parts, ", "), cond), a.V...)
	if err != nil {
		return 0, db.writeErr(err, e)
	}
	return res.RowsAffected()
}

// Page is one page of a list.
type Page struct {
	Items []entity.Record
	Next  string
	// Total is the number of matching rows, capped at entity.TotalCap+1;
	// -1 when not asked for.
	Total int
}

// ListSQL builds the WHERE clause shared by list, count and export.
func (db *DB) ListSQL(e *entity.Entity, q entity.Query, vis Pred, a *Args) (string, error) {
	var conds []string
	if e.SoftDelete {
		if q.Trash {
			conds = append(conds, "t.deleted_at IS NOT NULL")
		} else {
			conds = append(conds, "t.deleted_at IS NULL")
		}
	}
	if vis != nil {
		conds = append(conds, vis(a))
	}
	for _, c := range q.Conds {
		s, err := db.condSQL(c, a)
		if err != nil {
			return "", err
		}
		conds = append(conds, s)
	}
	if q.Q != "" {
		s, ok := db.SearchCond(e.Name, q.Q, a)
		if !ok {
			conds = append(conds, "FALSE")
		} else {
			conds = append(conds, s)
		}
	}
	if len(conds) == 0 {
		return "TRUE", nil
	}
	return strings.Join(conds, " AND "), nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (db *DB) condSQL(c entity.Cond, a *Args) (string, error) {
	f := c.Field
	col := "t." + f.Col()
	if f.Kind.IsList() && (c.Op == entity.Eq || c.Op == entity.In || c.Op == entity.Ne) {
		var ors []string
		for _, v := range c.Values {
			b, _ := json.Marshal(v)
			ors = append(ors, col+" LIKE "+a.Add("%"+likeEscape(string(b))+"%")+` ESCAPE '\'`)
		}
		s := "(" + strings.Join(ors, " OR ") + ")"
		if c.Op == entity.Ne {
			s = "(" + col + " IS NULL OR NOT " + s + ")"
		}
		return s, nil
	}
	switch c.Op {
	case entity.Eq:
		return col + " = " + a.Add(encode(f, c.Values[0])), nil
	case entity.Ne:
		return "(" + col + " IS NULL OR " + col + " <> " + a.Add(encode(f, c.Values[0])) + ")", nil
	case entity.In:
		vals := make([]any, len(c.Values))
		for i, v := range c.Values {
			vals[i] = encode(f, v)
		}
		return col + " IN " + a.List(vals), nil
	case entity.Gt, entity.Gte, entity.Lt, entity.Lte:
		op := map[entity.Op]string{entity.Gt: ">", entity.Gte: ">=", entity.Lt: "<", entity.Lte: "<="}[c.Op]
		return col + " " + op + " " + a.Add(encode(f, c.Values[0])), nil
	case entity.Empty:
		if c.Values[0] == true {
			return col + " IS NULL", nil
		}
		return col + " IS NOT NULL", nil
	case entity.Contains:
		s, _ := c.Values[0].(string)
		return "lower(" + col + ") LIKE lower(" + a.Add("%"+likeEscape(s)+"%") + `) ESCAPE '\'`, nil
	}
	return "", errs.New(errs.Invalid, "bad_filter", "field", f.Name)
}

func (db *DB) keyset(q entity.Query, a *Args) string {
	if q.Cursor == nil {
		return ""
	}
	f := q.Sort
	col := "t." + f.Col()
	cmp := ">"
	if q.Desc {
		cmp = "<"
	}
	id := a.Add(q.Cursor.ID)
	if f.Name == "id" {
		return "t.id " + cmp + " " + id
	}
	if f.Has(entity.NotNull) {
		return "(" + col + ", t.id) " + cmp + " (" + a.Add(encode(f, q.Cursor.Value)) + ", " + id + ")"
	}
	if q.Cursor.Value == nil {
		return "(" + col + " IS NULL AND t.id " + cmp + " " + id + ")"
	}
	v := a.Add(encode(f, q.Cursor.Value))
	return "(" + col + " " + cmp + " " + v + " OR (" + col + " = " + v + " AND t.id " + cmp + " " + id + ") OR " + col + " IS NULL)"
}

func orderBy(q entity.Query) string {
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	if q.Sort.Name == "id" {
		return "t.id" + dir
	}
	nulls := ""
	if !q.Sort.Has(entity.NotNull) {
		nulls = " NULLS LAST"
	}
	return "t." + q.Sort.Col() + dir + nulls + ", t.id" + dir
}

// List runs a list query with keyset paging.
func (db *DB) List(ctx context.Context, e *entity.Entity, q entity.Query, vis Pred) (Page, error) {
	var a Args
	where, err := db.ListSQL(e, q, vis, &a)
	if err != nil {
		return Page{}, err
	}
	page := Page{Total: -1}
	if q.Total {
		var ca Args
		cw, _ := db.ListSQL(e, q, vis, &ca)
		if err := db.r.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM %s t WHERE %s LIMIT %d) x`, e.Table, cw, entity.TotalCap+1), ca.V...).Scan(&page.Total); err != nil {
			return Page{}, fmt.Errorf("store: count %s: %w", e.Name, err)
		}
	}
	if ks := db.keyset(q, &a); ks != "" {
		where += " AND " + ks
	}
	limit := q.Limit
	if limit <= 0 {
		limit = entity.DefaultLimit
	}
	query := fmt.Sprintf(`SELECT %s FROM %s t WHERE %s ORDER BY %s LIMIT %d`, db.selectList(e, "t"), e.Table, where, orderBy(q), limit+1)
	rows, err := db.r.QueryContext(ctx, query, a.V...)
	if err != nil {
		return Page{}, fmt.Errorf("store: list %s: %w", e.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(e, rows)
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, r)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("store: list %s: %w", e.Name, err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = entity.EncodeCursor(q.Sort, q.Desc, page.Items[limit-1])
	}
	return page, nil
}

// Each streams every row matching q (ignoring its limit and cursor) in
// pages, for export. fn may stop the walk by returning an error.
func (db *DB) Each(ctx context.Context, e *entity.Entity, q entity.Query, vis Pred, fn func(entity.Record) error) error {
	q.Limit = 1000
	q.Total = false
	q.Cursor = nil
	for {
		p, err := db.List(ctx, e, q, vis)
		if err != nil {
			return err
		}
		for _, r := range p.Items {
			if err := fn(r); err != nil {
				return err
			}
		}
		if p.Next == "" {
			return nil
		}
		last := p.Items[len(p.Items)-1]
		v := last[q.Sort.Name]
		q.Cursor = &entity.Cursor{Sort: q.Sort.Name, Desc: q.Desc, Value: v, ID: last.ID()}
	}
}

// CountBy counts the rows matching q (and vis) grouped by a text-valued
// field (NULL counted under ""), for dashboards and charts.
func (db *DB) CountBy(ctx context.Context, e *entity.Entity, q entity.Query, vis Pred, field *entity.Field) (map[string]int, error) {
	var a Args
	where, err := db.ListSQL(e, q, vis, &a)
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, fmt.Sprintf(`SELECT t.%s, count(*) FROM %s t WHERE %s GROUP BY t.%s`, field.Col(), e.Table, where, field.Col()), a.V...)
	if err != nil {
		return nil, fmt.Errorf("store: count %s by %s: %w", e.Name, field.Name, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k *string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		key := ""
		if k != nil {
			key = *k
		}
		out[key] += n
	}
	return out, rows.Err()
}

// UpdatedAfter returns up to limit records of e that are not deleted, in
// order of (updated_at, id), after the position (at, id); the zero
// position starts at the beginning. It walks a whole table in batches.
func (db *DB) UpdatedAfter(ctx context.Context, q Querier, e *entity.Entity, at time.Time, id string, limit int) ([]entity.Record, error) {
	var a Args
	where := "TRUE"
	if id != "" {
		where = "(t.updated_at, t.id) > (" + a.Add(entity.CanonTime(at)) + ", " + a.Add(id) + ")"
	}
	if e.SoftDelete {
		where += " AND t.deleted_at IS NULL"
	}
	return db.selectWhere(ctx, q, e, where, a.V, "t.updated_at, t.id", limit)
}

// ListWhere reads up to limit rows of e matching a predicate built by the
// caller (with the visibility predicate in it), in the given order: the
// report and board queries that are not generic list queries.
func (db *DB) ListWhere(ctx context.Context, e *entity.Entity, where string, args []any, order string, limit int) ([]entity.Record, error) {
	return db.selectWhere(ctx, db.r, e, where, args, order, limit)
}

// ListPer reads, in one statement, up to limit rows of e matching where
// for each of several values of the reference column col (the columns of a
// board: one stage each), each value's rows in order (columns of e with
// DESC/ASC, comma-separated, without an alias); the rows come back one
// value after the other. PostgreSQL runs one LATERAL arm per value
// (planned once: a UNION ALL of nine arms cost more to plan than to run),
// SQLite a UNION ALL of arms sharing where's placeholders.
func (db *DB) ListPer(ctx context.Context, e *entity.Entity, where string, args []any, col string, vals []string, order string, limit int) ([]entity.Record, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	orderBy := func(alias string) string {
		terms := strings.Split(order, ",")
		for i, t := range terms {
			terms[i] = alias + "." + strings.TrimSpace(t)
		}
		return strings.Join(terms, ", ")
	}
	a := Args{V: slices.Clip(args)}
	var q string
	if db.Dialect == Postgres {
		q = fmt.Sprintf(`SELECT c.* FROM unnest(CAST(%s AS text[])) WITH ORDINALITY v(val, n) CROSS JOIN LATERAL (SELECT %s FROM %s t WHERE %s AND t.%s = CAST(v.val AS uuid) ORDER BY %s LIMIT %d) c ORDER BY v.n, %s`,
			a.Add(vals), db.selectList(e, "t"), e.Table, where, col, orderBy("t"), limit, orderBy("c"))
	} else {
		arms := make([]string, len(vals))
		for i, v := range vals {
			arms[i] = fmt.Sprintf(`SELECT * FROM (SELECT %s FROM %s t WHERE %s AND t.%s = %s ORDER BY %s LIMIT %d) arm%d`,
				db.selectList(e, "t"), e.Table, where, col, a.Add(v), orderBy("t"), limit, i)
		}
		q = strings.Join(arms, " UNION ALL ")
	}
	rows, err := db.r.QueryContext(ctx, q, a.V...)
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", e.Name, err)
	}
	defer rows.Close()
	var out []entity.Record
	for rows.Next() {
		r, err := scanRecord(e, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SelectWhere is ListWhere on a given querier: a process reading the rows
// it is about to change inside its own transaction.
func (db *DB) SelectWhere(ctx context.Context, q Querier, e *entity.Entity, where string, args []any, order string, limit int) ([]entity.Record, error) {
	return db.selectWhere(ctx, q, e, where, args, order, limit)
}

// selectWhere reads the records of e matching where, in order.
func (db *DB) selectWhere(ctx context.Context, q Querier, e *entity.Entity, where string, args []any, order string, limit int) ([]entity.Record, error) {
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM %s t WHERE %s ORDER BY %s LIMIT %d`, db.selectList(e, "t"), e.Table, where, order, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", e.Name, err)
	}
	defer rows.Close()
	var out []entity.Record
	for rows.Next() {
		r, err := scanRecord(e, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
