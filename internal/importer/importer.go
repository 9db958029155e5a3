// Package importer moves records in and out of spreadsheets: import with
// header mapping in Chinese or English, relations by name, a dry run that
// lists every rejected row and why, upsert by a chosen key, and progress;
// export that follows the list's filter and the user's visibility and
// masking. It works through the record service, so imported rows pass the
// same validation, hooks and audit as rows typed in a form.
package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

// Mode says what happens when some rows are rejected.
type Mode string

const (
	// AllOrNothing writes nothing unless every row is valid.
	AllOrNothing Mode = "all"
	// ValidOnly writes the valid rows and reports the rejected ones.
	ValidOnly Mode = "valid"
)

// Options configure one import.
type Options struct {
	Entity string `json:"entity"`
	// Key is the upsert key: "" creates every row; "id" or a field flagged
	// Unique (name, phone, email …) updates the record it matches.
	Key    string `json:"key,omitempty"`
	DryRun bool   `json:"dry_run"`
	Mode   Mode   `json:"mode"`
	// AllowDuplicates creates rows that look like existing records.
	AllowDuplicates bool `json:"allow_duplicates,omitempty"`
	// Mapping maps a header cell to a field name, overriding the automatic
	// match; mapping a header to "" ignores that column on purpose.
	Mapping map[string]string `json:"mapping,omitempty"`
	// Lang names the language of messages in the report.
	Lang i18n.Lang `json:"lang,omitempty"`
}

// RowError is one problem with one cell or row.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Report is the outcome of an import or a dry run.
type Report struct {
	Entity   string     `json:"entity"`
	DryRun   bool       `json:"dry_run"`
	Mode     Mode       `json:"mode"`
	Total    int        `json:"total"`
	Created  int        `json:"created"`
	Updated  int        `json:"updated"`
	Rejected int        `json:"rejected"`
	Written  bool       `json:"written"` // whether anything was committed
	Columns  []Column   `json:"columns"` // how each header was understood
	Errors   []RowError `json:"errors"`
	// RejectedRows lists the row numbers that were not written.
	RejectedRows []int `json:"rejected_rows,omitempty"`
}

// Column is how a header cell was mapped.
type Column struct {
	Header string `json:"header"`
	Field  string `json:"field,omitempty"` // "" when ignored
	Note   string `json:"note,omitempty"`  // why it was ignored
}

// Progress receives (rows done, rows seen so far); total is unknown until
// the end of a streamed file, so done == seen while reading.
type Progress func(done int)

// Service imports and exports.
type Service struct {
	R *records.Service
}

// New creates the import/export service.
func New(r *records.Service) *Service { return &Service{R: r} }

// chunk is how many rows are written per transaction in ValidOnly mode and
// per rolled-back transaction in a dry run, so other writers interleave.
const chunk = 500

// maxErrors bounds the report; rows beyond are still counted.
const maxErrors = 100000

// Import reads a spreadsheet and imports it.
func (s *Service) Import(ctx context.Context, p *access.Principal, file io.ReaderAt, size int64, name string, opt Options, progress Progress) (*Report, error) {
	e, err := s.R.Entity(opt.Entity)
	if err != nil {
		return nil, err
	}
	perm := p.Perm(e.Name)
	if !perm.Import || !perm.Create {
		return nil, errs.Denied()
	}
	if opt.Lang == "" {
		opt.Lang = i18n.Default
	}
	rd, err := sheet.Open(file, size, name)
	if err != nil {
		return nil, errs.New(errs.Invalid, "import_unreadable").With(err)
	}
	defer rd.Close()
	m, cols, keyField, err := s.check(e, rd.Header(), &opt)
	if err != nil {
		return nil, err
	}
	rep := &Report{Entity: e.Name, DryRun: opt.DryRun, Mode: opt.Mode, Columns: cols, Errors: []RowError{}}
	run := &run{s: s, p: p, e: e, opt: opt, m: m, key: keyField, rep: rep, refs: newRefCache(), seenKeys: map[string]int{}, nextAnalyze: 1000}
	if opt.AllowDuplicates || keyField != nil {
		ctx = records.AllowDuplicates(ctx)
	}
	// All-or-nothing writes in one transaction; a dry run and ValidOnly go
	// in chunks (rolled back for a dry run) so other writers are not held up.
	single := opt.Mode == AllOrNothing && !opt.DryRun
	var batch []row
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := run.writeChunk(ctx, batch, !opt.DryRun)
		batch = batch[:0]
		if progress != nil {
			progress(rep.Total)
		}
		return err
	}
	if single {
		err = s.R.DB.WriteAlone(ctx, func(tx *store.Tx) error {
			run.reset()
			var rows []row
			for {
				cells, n, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return errs.New(errs.Invalid, "import_unreadable", "row", n).With(err)
				}
				rep.Total++
				rows = append(rows, row{n, cells})
				if len(rows) == group {
					run.many(ctx, tx, rows)
					rows = rows[:0]
					if err := run.analyze(ctx, tx); err != nil {
						return err
					}
				}
				if progress != nil && rep.Total%chunk == 0 {
					progress(rep.Total)
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			run.many(ctx, tx, rows)
			if rep.Rejected > 0 {
				return errRollback
			}
			return nil
		})
		if progress != nil {
			progress(rep.Total)
		}
		switch {
		case errors.Is(err, errRollback):
			rep.Created, rep.Updated, rep.Written = 0, 0, false
		case err != nil:
			return nil, err
		default:
			rep.Written = rep.Created+rep.Updated > 0
		}
		return rep, nil
	}
	for {
		cells, n, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errs.New(errs.Invalid, "import_unreadable", "row", n).With(err)
		}
		rep.Total++
		batch = append(batch, row{n, cells})
		if len(batch) >= chunk {
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	if err := flush(); err != nil {
		return rep, err
	}
	rep.Written = !opt.DryRun && rep.Created+rep.Updated > 0
	return rep, nil
}

// check validates the options against the entity and the file's header
// row — what can be known before any row is read, so an import started
// from a page or the API is refused at once, not queued to fail — and
// returns the header's mapping and the upsert key's field.
func (s *Service) check(e *entity.Entity, header []string, opt *Options) (mapping, []Column, *entity.Field, error) {
	if opt.Mode == "" {
		opt.Mode = AllOrNothing
	}
	if opt.Mode != AllOrNothing && opt.Mode != ValidOnly {
		return mapping{}, nil, nil, errs.Validation([]errs.FieldError{{Field: "mode", Code: "invalid_option", Args: map[string]any{"value": string(opt.Mode)}}})
	}
	var keyField *entity.Field
	if opt.Key != "" {
		keyField = e.Field(opt.Key)
		if keyField == nil || (opt.Key != "id" && !keyField.Has(entity.Unique)) {
			return mapping{}, nil, nil, errs.Validation([]errs.FieldError{{Field: "key", Code: "invalid_option", Args: map[string]any{"value": opt.Key}}})
		}
	}
	m, cols, err := s.mapHeader(e, header, *opt)
	if err != nil {
		return mapping{}, nil, nil, err
	}
	if keyField != nil && !m.has(keyField.Name) {
		return mapping{}, nil, nil, errs.Validation([]errs.FieldError{{Field: "key", Code: "import_key_missing", Args: map[string]any{"field": keyField.Label.In(opt.Lang)}}})
	}
	return m, cols, keyField, nil
}

var errRollback = errors.New("importer: roll back")

type row struct {
	n     int
	cells []string
}

type run struct {
	s        *Service
	p        *access.Principal
	e        *entity.Entity
	opt      Options
	m        mapping
	key      *entity.Field
	rep      *Report
	refs     *refCache
	seenKeys map[string]int // key value → first row, for duplicates inside the file
	// keysAdded are the seenKeys entries of the group being written.
	keysAdded []string
	// nextAnalyze is the written-row count at which statistics are next
	// refreshed (see analyze).
	nextAnalyze int
}

func (r *run) reset() {
	r.rep.Created, r.rep.Updated, r.rep.Rejected = 0, 0, 0
	r.rep.Errors, r.rep.RejectedRows = r.rep.Errors[:0], nil
	r.seenKeys = map[string]int{}
}

// writeChunk writes rows in one transaction, committed or (dry run) rolled back.
func (r *run) writeChunk(ctx context.Context, rows []row, commit bool) error {
	created, updated := r.rep.Created, r.rep.Updated
	err := r.s.R.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		r.rep.Created, r.rep.Updated = created, updated
		for i := 0; i < len(rows); i += group {
			r.many(ctx, tx, rows[i:min(i+group, len(rows))])
		}
		if err := r.analyze(ctx, tx); err != nil {
			return err
		}
		if !commit {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}

// group is how many rows are written under one savepoint.
const group = 100

// many imports rows: each is parsed (a row with bad cells is reported and
// not written), then the good ones are written under one savepoint (when
// every row creates, by records.CreateManyTx). Should
// one of them fail, the savepoint is undone and each row is written again
// under its own, so the report names exactly the rows at fault and a
// rejected row leaves nothing behind. (A savepoint per row from the start
// costs two statements a row.)
func (r *run) many(ctx context.Context, tx *store.Tx, rows []row) {
	type parsed struct {
		rw  row
		rec entity.Record
	}
	good := make([]parsed, 0, len(rows))
	for _, rw := range rows {
		rec, bad := r.parse(ctx, tx, rw)
		if len(bad) > 0 {
			r.reject(rw.n, bad)
			continue
		}
		good = append(good, parsed{rw, rec})
	}
	if len(good) == 0 {
		return
	}
	created, updated := r.rep.Created, r.rep.Updated
	r.keysAdded = r.keysAdded[:0]
	err := tx.Savepoint(ctx, func() error {
		if r.key == nil {
			// Only creates: written together (one duplicate probe, multi-row
			// INSERTs).
			recs := make([]entity.Record, len(good))
			for i, g := range good {
				recs[i] = g.rec.Clone()
				delete(recs[i], "id")
			}
			if _, err := r.s.R.CreateManyTx(ctx, tx, r.p, r.e.Name, recs); err != nil {
				return err
			}
			r.rep.Created += len(recs)
			return nil
		}
		for _, g := range good {
			upd, err := r.write(ctx, tx, g.rw, g.rec.Clone())
			if err != nil {
				return err
			}
			r.count(upd)
		}
		return nil
	})
	if err == nil {
		return
	}
	r.rep.Created, r.rep.Updated = created, updated
	for _, k := range r.keysAdded {
		delete(r.seenKeys, k)
	}
	for _, g := range good {
		var upd bool
		err := tx.Savepoint(ctx, func() error {
			var err error
			upd, err = r.write(ctx, tx, g.rw, g.rec)
			return err
		})
		if err != nil {
			r.reject(g.rw.n, r.errorsOf(g.rw.n, err))
			continue
		}
		r.count(upd)
	}
}

// analyze refreshes the planner's statistics of the imported table when
// the rows written so far reach 1,000, 10,000, 100,000 …: PostgreSQL
// planned the duplicate probes when the table was small (a scan), and
// kept that plan while one transaction grew it to 100,000 rows — each
// probe then read the whole table. It sees the transaction's own rows.
func (r *run) analyze(ctx context.Context, tx *store.Tx) error {
	n := r.rep.Created + r.rep.Updated
	if n < r.nextAnalyze {
		return nil
	}
	r.nextAnalyze = max(1000, r.nextAnalyze*10)
	return r.s.R.DB.Analyze(ctx, tx, r.e.Table)
}

func (r *run) count(updated bool) {
	if updated {
		r.rep.Updated++
	} else {
		r.rep.Created++
	}
}

// reject records a rejected row and its problems.
func (r *run) reject(n int, bad []RowError) {
	r.rep.Rejected++
	r.rep.RejectedRows = append(r.rep.RejectedRows, n)
	for _, b := range bad {
		if len(r.rep.Errors) < maxErrors {
			r.rep.Errors = append(r.rep.Errors, b)
		}
	}
}

func (r *run) write(ctx context.Context, tx *store.Tx, rw row, rec entity.Record) (bool, error) {
	if r.key != nil {
		kv := rec[r.key.Name]
		if !entity.IsEmpty(kv) {
			ks := fmt.Sprint(kv)
			if first, dup := r.seenKeys[ks]; dup {
				return false, errs.Validation([]errs.FieldError{{Field: r.key.Name, Code: "import_key_repeated", Args: map[string]any{"row": first}}})
			}
			r.seenKeys[ks] = rw.n
			r.keysAdded = append(r.keysAdded, ks)
			id, err := r.findByKey(ctx, tx, kv)
			if err != nil {
				return false, err
			}
			if id != "" {
				delete(rec, "id")
				_, err := r.s.R.UpdateTx(ctx, tx, r.p, r.e.Name, id, 0, rec)
				return true, err
			}
			if r.key.Name == "id" {
				return false, errs.Validation([]errs.FieldError{{Field: "id", Code: "invalid_ref"}})
			}
		}
	}
	delete(rec, "id")
	_, err := r.s.R.CreateTx(ctx, tx, r.p, r.e.Name, rec)
	return false, err
}

// findByKey finds the visible, writable record whose key equals v.
func (r *run) findByKey(ctx context.Context, tx *store.Tx, v any) (string, error) {
	var a store.Args
	where, err := r.s.R.DB.ListSQL(r.e, entity.Query{Conds: []entity.Cond{{Field: r.key, Op: entity.Eq, Values: []any{v}}}},
		r.s.R.DB.Visible(r.e, r.p, r.p.Perm(r.e.Name).Write), &a)
	if err != nil {
		return "", err
	}
	ids, err := store.Strings(ctx, tx, `SELECT t.id FROM `+r.e.Table+` t WHERE `+where+` LIMIT 2`, a.V...)
	if err != nil {
		return "", err
	}
	if len(ids) > 1 {
		return "", errs.Validation([]errs.FieldError{{Field: r.key.Name, Code: "import_key_ambiguous"}})
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	return "", nil
}

func (r *run) rowErr(n int, fe errs.FieldError, column string) RowError {
	label := ""
	if f := r.e.Field(fe.Field); f != nil {
		label = f.Label.In(r.opt.Lang)
	}
	if column == "" {
		column = r.m.column(fe.Field)
	}
	args := map[string]any{"field": label}
	if label == "" {
		args["field"] = fe.Field
	}
	for k, v := range fe.Args {
		if k != "field" {
			args[k] = v
		}
	}
	return RowError{Row: n, Column: column, Field: fe.Field, Code: fe.Code, Message: i18n.MsgMap(r.opt.Lang, "err."+fe.Code, args)}
}

func (r *run) errorsOf(n int, err error) []RowError {
	e := errs.As(err)
	if e == nil {
		return []RowError{r.rowErr(n, errs.FieldError{Code: "internal"}, "")}
	}
	if len(e.Fields) == 0 {
		fe := errs.FieldError{Code: e.Code, Args: e.Args}
		if e.Code == "possible_duplicate" {
			fe.Args = dupArgs(e.Data)
		}
		return []RowError{r.rowErr(n, fe, "")}
	}
	out := make([]RowError, 0, len(e.Fields))
	for _, fe := range e.Fields {
		out = append(out, r.rowErr(n, fe, ""))
	}
	return out
}

// mapping resolves header columns to fields.
type mapping struct {
	idx    []int // column index per mapped field
	fields []*entity.Field
	header []string
}

func (m mapping) has(name string) bool {
	for _, f := range m.fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

func (m mapping) column(field string) string {
	for i, f := range m.fields {
		if f.Name == field {
			return m.header[m.idx[i]]
		}
	}
	return ""
}

func norm(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "", "_", "", "-", "", "*", "", "（", "(", "）", ")", "：", "", ":", "").Replace(s)
	if i := strings.Index(s, "("); i > 0 {
		s = s[:i]
	}
	return s
}

// mapHeader matches header cells to importable fields by name or label
// (either language); unknown columns are reported, never silently dropped.
func (s *Service) mapHeader(e *entity.Entity, header []string, opt Options) (mapping, []Column, error) {
	byKey := map[string]*entity.Field{}
	for _, f := range e.Fields {
		if !f.Has(entity.Import) && f.Name != "id" {
			continue
		}
		for _, k := range []string{f.Name, f.Label.Zh, f.Label.En} {
			if k != "" {
				byKey[norm(k)] = f
			}
		}
	}
	var m mapping
	m.header = header
	var cols []Column
	used := map[string]string{}
	var bad []errs.FieldError
	for i, h := range header {
		col := Column{Header: h}
		var f *entity.Field
		if target, ok := opt.Mapping[h]; ok {
			if target != "" {
				f = e.Field(target)
				if f == nil || (!f.Has(entity.Import) && f.Name != "id") {
					bad = append(bad, errs.FieldError{Field: "mapping", Code: "import_bad_mapping", Args: map[string]any{"column": h, "value": target}})
					continue
				}
			} else {
				col.Note = "ignored"
			}
		} else if strings.TrimSpace(h) != "" {
			f = byKey[norm(h)]
			if f == nil {
				col.Note = "unknown_column"
			}
		} else {
			col.Note = "empty_header"
		}
		if f != nil {
			if prev, dup := used[f.Name]; dup {
				bad = append(bad, errs.FieldError{Field: "header", Code: "import_column_twice", Args: map[string]any{"column": h, "other": prev}})
				continue
			}
			used[f.Name] = h
			col.Field = f.Name
			m.idx = append(m.idx, i)
			m.fields = append(m.fields, f)
		}
		cols = append(cols, col)
	}
	if len(m.fields) == 0 {
		bad = append(bad, errs.FieldError{Field: "header", Code: "import_no_columns"})
	}
	return m, cols, errs.Validation(bad)
}

// parse converts a row's cells into canonical values, resolving relations
// by name. Cells beyond the header are reported.
func (r *run) parse(ctx context.Context, tx *store.Tx, rw row) (entity.Record, []RowError) {
	rec := entity.Record{}
	var bad []RowError
	schema := r.s.R.Schema()
	for i, f := range r.m.fields {
		col := r.m.idx[i]
		if col >= len(rw.cells) {
			continue
		}
		cell := strings.TrimSpace(rw.cells[col])
		if cell == "" {
			continue
		}
		header := r.m.header[col]
		var v any
		var fe *errs.FieldError
		switch f.Kind {
		case entity.Ref, entity.User, entity.Refs:
			var err error
			v, fe, err = r.refs.resolve(ctx, tx, r, f, cell)
			if err != nil {
				bad = append(bad, r.rowErr(rw.n, errs.FieldError{Field: f.Name, Code: "internal"}, header))
				continue
			}
		default:
			v, fe = schema.ParseText(f, cell)
		}
		if fe != nil {
			bad = append(bad, r.rowErr(rw.n, *fe, header))
			continue
		}
		rec[f.Name] = v
	}
	if extra := len(rw.cells) - len(r.m.header); extra > 0 {
		for _, c := range rw.cells[len(r.m.header):] {
			if strings.TrimSpace(c) != "" {
				bad = append(bad, r.rowErr(rw.n, errs.FieldError{Code: "import_extra_cells", Args: map[string]any{"count": extra}}, ""))
				break
			}
		}
	}
	return rec, bad
}

// refCache resolves names to ids once per import.
type refCache struct {
	mu sync.Mutex
	m  map[string]refAnswer
}

type refAnswer struct {
	id   string
	code string
}

func newRefCache() *refCache { return &refCache{m: map[string]refAnswer{}} }

// resolve turns a cell naming a related record (its id, its title, or for
// users their e-mail or name; several separated by 、 , ; for lists) into ids.
func (c *refCache) resolve(ctx context.Context, tx *store.Tx, r *run, f *entity.Field, cell string) (any, *errs.FieldError, error) {
	if f.Kind == entity.Refs {
		var ids []string
		for _, part := range strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == '，' || r == ';' || r == '；' || r == '、' || r == '|' }) {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			one := *f
			one.Kind = entity.Ref
			if f.Ref == "user" {
				one.Kind = entity.User
			}
			v, fe, err := c.resolve(ctx, tx, r, &one, part)
			if fe != nil || err != nil {
				fe2 := fe
				if fe2 != nil {
					fe2.Field = f.Name
				}
				return nil, fe2, err
			}
			ids = append(ids, v.(string))
		}
		if len(ids) == 0 {
			return nil, nil, nil
		}
		return ids, nil, nil
	}
	target := f.Ref
	if f.Kind == entity.User {
		target = "user"
	}
	key := target + "\x00" + cell
	c.mu.Lock()
	ans, ok := c.m[key]
	c.mu.Unlock()
	if !ok {
		var err error
		ans, err = c.lookup(ctx, tx, r, target, cell)
		if err != nil {
			return nil, nil, err
		}
		c.mu.Lock()
		c.m[key] = ans
		c.mu.Unlock()
	}
	if ans.code != "" {
		return nil, &errs.FieldError{Field: f.Name, Code: ans.code, Args: map[string]any{"value": cell}}, nil
	}
	return ans.id, nil, nil
}

func (c *refCache) lookup(ctx context.Context, tx *store.Tx, r *run, target, cell string) (refAnswer, error) {
	te := r.s.R.Schema().Entity(target)
	if te == nil {
		return refAnswer{code: "invalid_ref"}, nil
	}
	var a store.Args
	var cond string
	switch {
	case entity.LooksLikeID(cell):
		cond = "t.id = " + a.Add(strings.ToLower(cell))
	case target == "user":
		cond = "(t.email = " + a.Add(strings.ToLower(cell)) + " OR t.name = " + a.Add(cell) + ")"
	case target == "team":
		cond = "(t.name = " + a.Add(cell) + " OR t.code = " + a.Add(cell) + ")"
	case target == "customer":
		cond = "(t.name = " + a.Add(cell) + " OR t.name_norm = " + a.Add(crm.NormalizeCompany(cell)) + ")"
	default:
		cond = "t." + te.Field(te.Title).Col() + " = " + a.Add(cell)
	}
	where := cond
	if te.SoftDelete {
		where += " AND t.deleted_at IS NULL"
	}
	if target != "user" && target != "team" {
		where += " AND " + r.s.R.ReadPred(te, r.p)(&a)
	}
	ids, err := store.Strings(ctx, tx, `SELECT t.id FROM `+te.Table+` t WHERE `+where+` LIMIT 2`, a.V...)
	if err != nil {
		return refAnswer{}, err
	}
	switch len(ids) {
	case 0:
		code := "invalid_ref"
		if target == "user" {
			code = "invalid_user"
		}
		return refAnswer{code: code}, nil
	case 1:
		return refAnswer{id: ids[0]}, nil
	}
	return refAnswer{code: "ambiguous_ref"}, nil
}

// dupArgs names the first existing record a duplicate row collides with.
func dupArgs(data any) map[string]any {
	var ds []struct {
		Title string `json:"title"`
		Owner string `json:"owner"`
	}
	b, _ := json.Marshal(data)
	_ = json.Unmarshal(b, &ds)
	if len(ds) == 0 {
		return nil
	}
	return map[string]any{"title": ds[0].Title, "owner": ds[0].Owner}
}
