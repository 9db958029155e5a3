package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/search"
)

// VisTokens are the visibility tokens stored with a record's search tokens:
// its entity, and the owners and teams through which it is visible, so that a
// search for a restricted user intersects posting lists instead of filtering
// rows afterwards.
func VisTokens(entityName string, owners, teams []string, pooled bool) []string {
	out := []string{"_e" + entityName}
	for _, o := range owners {
		if o != "" {
			out = append(out, "_o"+hexID(o))
		}
	}
	for _, t := range teams {
		if t != "" {
			out = append(out, "_t"+hexID(t))
		}
	}
	if pooled {
		out = append(out, "_pool")
	}
	return out
}

func hexID(id string) string { return strings.ReplaceAll(strings.ToLower(id), "-", "") }

// IndexDoc replaces the search document of a record. The document gets a
// fresh row id, so recently changed records come first in results (the
// highest id on PostgreSQL, the lowest on SQLite).
func (db *DB) IndexDoc(ctx context.Context, q Querier, entityName, id string, tokens []string) error {
	if err := db.UnindexDoc(ctx, q, id); err != nil {
		return err
	}
	return db.IndexNewDoc(ctx, q, entityName, id, tokens)
}

// IndexNewDoc indexes a record that has no search document yet (one just
// created): IndexDoc without removing the old document.
func (db *DB) IndexNewDoc(ctx context.Context, q Querier, entityName, id string, tokens []string) error {
	text := strings.Join(tokens, " ")
	tx, _ := q.(*Tx)
	if db.Dialect == Postgres {
		if tx != nil {
			tx.appendRow("search_docs", "(entity, record_id, tsv)", "(?, ?, array_to_tsvector(string_to_array(?, ' ')))", entityName, id, text)
			return nil
		}
		_, err := q.ExecContext(ctx, `INSERT INTO search_docs (entity, record_id, tsv) VALUES ($1, $2, array_to_tsvector(string_to_array($3, ' ')))`, entityName, id, text)
		if err != nil {
			return fmt.Errorf("store: index %s: %w", entityName, err)
		}
		return nil
	}
	// Decreasing row ids: FTS5 walks forward (newest first) much faster
	// than backward. One writer, so min(id) - 1 is free.
	if tx == nil {
		var rowid int64
		if err := q.QueryRowContext(ctx, `INSERT INTO search_docs (id, entity, record_id) VALUES ((SELECT coalesce(min(id), 0) - 1 FROM search_docs), $1, $2) RETURNING id`, entityName, id).Scan(&rowid); err != nil {
			return fmt.Errorf("store: index %s: %w", entityName, err)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO search_fts (rowid, tokens) VALUES ($1, $2)`, rowid, text); err != nil {
			return fmt.Errorf("store: index %s: %w", entityName, err)
		}
		return nil
	}
	rowid, err := tx.docID(ctx)
	if err != nil {
		return fmt.Errorf("store: index %s: %w", entityName, err)
	}
	tx.appendRow("search_docs", "(id, entity, record_id)", "(?, ?, ?)", rowid, entityName, id)
	// The full-text rows wait for the commit too (see Tx.fts): FTS5
	// flushes its pending segment at the end of every statement, so one
	// row per statement made a segment per record.
	tx.fts.add(rowid, text)
	if len(tx.fts.rows) >= ftsBatch && tx.depth == 0 {
		return tx.FlushSearch(ctx)
	}
	return nil
}

// docID hands out the next search document id of a transaction on SQLite:
// decreasing from the lowest there is (one writer at a time).
func (tx *Tx) docID(ctx context.Context) (int64, error) {
	if tx.nextDoc == 0 {
		var low int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(min(id), 0) FROM search_docs`).Scan(&low); err != nil {
			return 0, err
		}
		tx.nextDoc = low - 1
	}
	id := tx.nextDoc
	tx.nextDoc--
	return id, nil
}

// ftsBatch is how many full-text rows a transaction holds before writing
// them in one statement.
const ftsBatch = 20000

// pendingFTS are full-text rows (SQLite) not yet written by a transaction.
type pendingFTS struct {
	rows []ftsRow
	at   map[int64]int
	// dropped are the indexes of rows marked gone, in order, so a rollback
	// to a savepoint can bring them back.
	dropped []int
}

// ftsMark is the state of pendingFTS when a savepoint began.
type ftsMark struct{ rows, dropped int }

func (p *pendingFTS) mark() ftsMark { return ftsMark{len(p.rows), len(p.dropped)} }

// undo forgets what was added and dropped since m.
func (p *pendingFTS) undo(m ftsMark) {
	for _, i := range p.dropped[m.dropped:] {
		if i < m.rows {
			p.rows[i].gone = false
			p.at[p.rows[i].rowid] = i
		}
	}
	p.dropped = p.dropped[:m.dropped]
	for _, r := range p.rows[m.rows:] {
		if p.at[r.rowid] >= m.rows {
			delete(p.at, r.rowid)
		}
	}
	p.rows = p.rows[:m.rows]
}

type ftsRow struct {
	rowid int64
	text  string
	gone  bool
}

func (p *pendingFTS) add(rowid int64, text string) {
	if p.at == nil {
		p.at = map[int64]int{}
	}
	p.at[rowid] = len(p.rows)
	p.rows = append(p.rows, ftsRow{rowid: rowid, text: text})
}

// drop forgets a pending row; false when rowid is not pending.
func (p *pendingFTS) drop(rowid int64) bool {
	i, ok := p.at[rowid]
	if ok {
		p.rows[i].gone = true
		delete(p.at, rowid)
		p.dropped = append(p.dropped, i)
	}
	return ok
}

// FlushSearch writes the transaction's pending full-text rows. Commit does
// it; a search inside a write transaction must call it first.
//
// The rows go in as one JSON parameter: FTS5 writes a segment per statement
// (so one statement, not one per row), and the driver looks each parameter
// up by a linear scan (so not thousands of parameters).
func (tx *Tx) FlushSearch(ctx context.Context) error {
	rows := tx.fts.rows
	tx.fts = pendingFTS{}
	// In increasing row id order: FTS5 starts a new segment whenever a row
	// id is below the previous one, and ours decrease as they are handed out.
	slices.SortFunc(rows, func(a, b ftsRow) int { return cmp.Compare(a.rowid, b.rowid) })
	var b []byte
	for _, r := range rows {
		if r.gone {
			continue
		}
		if len(b) == 0 {
			b = append(b, '[')
		} else {
			b = append(b, ',')
		}
		b = strconv.AppendInt(append(b, '['), r.rowid, 10)
		t, _ := json.Marshal(r.text) // a string always marshals
		b = append(append(b, ','), t...)
		b = append(b, ']')
	}
	if len(b) == 0 {
		return nil
	}
	b = append(b, ']')
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_fts (rowid, tokens) SELECT value ->> 0, value ->> 1 FROM json_each($1)`, string(b)); err != nil {
		return fmt.Errorf("store: write search index: %w", err)
	}
	return nil
}

// UnindexDoc removes a record from the search index.
func (db *DB) UnindexDoc(ctx context.Context, q Querier, id string) error {
	if db.Dialect == Postgres {
		_, err := q.ExecContext(ctx, `DELETE FROM search_docs WHERE record_id = $1`, id)
		return err
	}
	rows, err := q.QueryContext(ctx, `DELETE FROM search_docs WHERE record_id = $1 RETURNING id`, id)
	if err != nil {
		return fmt.Errorf("store: unindex: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, n)
	}
	rows.Close()
	tx, _ := q.(*Tx)
	for _, n := range ids {
		if tx != nil && tx.fts.drop(n) {
			continue
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM search_fts WHERE rowid = $1`, n); err != nil {
			return fmt.Errorf("store: unindex: %w", err)
		}
	}
	return rows.Err()
}

// SearchCond restricts a list to records of one entity matching a free-text
// query; false when the text has nothing searchable.
func (db *DB) SearchCond(entityName, text string, a *Args) (string, bool) {
	sq, ok := search.Parse(text)
	if !ok {
		return "", false
	}
	if db.Dialect == Postgres {
		m := sq.TSQuery() + " & " + search.QuoteTS("_e"+entityName)
		return "t.id IN (SELECT d.record_id FROM search_docs d WHERE d.tsv @@ " + a.Add(m) + "::tsquery)", true
	}
	m := "(" + sq.FTS5() + ") AND " + search.QuoteFTS5("_e"+entityName)
	return "t.id IN (SELECT d.record_id FROM search_docs d WHERE d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH " + a.Add(m) + "))", true
}

// SearchScope is one entity a search covers, at the caller's read scope.
type SearchScope struct {
	Entity *entity.Entity
	Scope  access.Scope
}

// Hit is one search result before it is loaded.
type Hit struct {
	Entity string
	ID     string
}

// Search finds records matching text across several entities, applying the
// principal's visibility inside the full-text match. The newest documents
// come first.
func (db *DB) Search(ctx context.Context, text string, p *access.Principal, scopes []SearchScope, limit int) ([]Hit, error) {
	query, args, ok := db.SearchSQL(text, p, scopes, limit)
	if !ok {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.Entity, &h.ID); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// SearchSQL is the statement Search runs (the benchmarks run it raw); ok
// is false when there is nothing to search or nothing p may see.
//
// The entities are grouped by the visibility tokens p has on them; each
// group is one full-text match of the query AND any of its tokens (none at
// all scope), with the entity checked on the document row only when the
// group does not cover every searchable entity. Entity tokens stay out of
// the match: each is on every document of its entity, and intersecting
// with a list of millions made a rep's search seven times slower.
func (db *DB) SearchSQL(text string, p *access.Principal, scopes []SearchScope, limit int) (string, []any, bool) {
	sq, ok := search.Parse(text)
	if !ok || len(scopes) == 0 {
		return "", nil, false
	}
	pg := db.Dialect == Postgres
	quote, or := search.QuoteFTS5, " OR "
	if pg {
		quote, or = search.QuoteTS, " | "
	}
	type group struct {
		vis      string // "" at all scope
		entities []string
	}
	var groups []*group
	for _, sc := range scopes {
		var vis []string
		switch sc.Scope {
		case access.None:
			continue
		case access.Own, access.Team:
			if p.UserID != "" {
				vis = append(vis, quote("_o"+hexID(p.UserID)))
			}
			if sc.Scope == access.Team {
				for _, t := range p.Teams {
					vis = append(vis, quote("_t"+hexID(t)))
				}
			}
			if p.CanPool() && db.pooled(sc.Entity) {
				vis = append(vis, quote("_pool"))
			}
			if len(vis) == 0 {
				continue
			}
		}
		key := strings.Join(vis, or)
		var g *group
		for _, x := range groups {
			if x.vis == key {
				g = x
			}
		}
		if g == nil {
			g = &group{vis: key}
			groups = append(groups, g)
		}
		g.entities = append(g.entities, sc.Entity.Name)
	}
	if len(groups) == 0 {
		return "", nil, false
	}
	searchable := 0
	for _, e := range db.Schema().Entities() {
		if len(e.FieldsWith(entity.Search)) > 0 {
			searchable++
		}
	}
	var a Args
	var parts []string
	for _, g := range groups {
		var match string
		if pg {
			match = "(" + sq.TSQuery() + ")"
			if g.vis != "" {
				match += " & (" + g.vis + ")"
			}
		} else {
			match = "(" + sq.FTS5() + ")"
			if g.vis != "" {
				match += " AND (" + g.vis + ")"
			}
		}
		var ents []any
		for _, n := range g.entities {
			ents = append(ents, n)
		}
		where := ""
		if len(g.entities) < searchable {
			where = " AND d.entity IN " + a.List(ents)
		}
		if pg {
			parts = append(parts, `SELECT d.id, d.entity, d.record_id FROM search_docs d WHERE d.tsv @@ `+a.Add(match)+`::tsquery`+where)
		} else {
			parts = append(parts, `SELECT d.id, d.entity, d.record_id FROM search_fts f JOIN search_docs d ON d.id = f.rowid WHERE search_fts MATCH `+a.Add(match)+where)
		}
	}
	lim := a.Add(limit)
	if len(parts) == 1 {
		q := strings.Replace(parts[0], "SELECT d.id, d.entity", "SELECT d.entity", 1)
		if pg {
			return q + ` ORDER BY d.id DESC LIMIT ` + lim, a.V, true
		}
		return q + ` ORDER BY f.rowid LIMIT ` + lim, a.V, true
	}
	order, dir := "d.id", " DESC"
	if !pg {
		order, dir = "f.rowid", ""
	}
	for i, part := range parts {
		parts[i] = "SELECT * FROM (" + part + " ORDER BY " + order + dir + " LIMIT " + lim + ") g" + fmt.Sprint(i)
	}
	return `SELECT entity, record_id FROM (` + strings.Join(parts, " UNION ALL ") + `) u ORDER BY id` + dir + ` LIMIT ` + lim, a.V, true
}

// pooled reports whether an entity's records can be visible through a pool:
// itself pooled, or through a pooled parent.
func (db *DB) pooled(e *entity.Entity) bool {
	if e.Vis.Pool {
		return true
	}
	for _, fk := range e.Vis.Parents {
		if f := e.Field(fk); f != nil {
			if pe := db.Schema().Entity(f.Ref); pe != nil && pe.Vis.Pool {
				return true
			}
		}
	}
	return false
}

// ClearSearch empties the search index (before it is rebuilt).
func (db *DB) ClearSearch(ctx context.Context, tx *Tx) error {
	tx.fts = pendingFTS{}
	if _, err := tx.ExecContext(ctx, `DELETE FROM search_docs`); err != nil {
		return fmt.Errorf("store: clear search index: %w", err)
	}
	if db.Dialect == SQLite {
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_fts (search_fts) VALUES ('delete-all')`); err != nil {
			return fmt.Errorf("store: clear search index: %w", err)
		}
	}
	return nil
}

// MergeSearch merges the full-text index's segments in the background
// until ctx ends (SQLite; migration 0004 took merging off the write path):
// every interval, while there is work, up to ten bounded steps, each in a
// transaction of its own, so a write waits at most for one step. Each
// step's commit makes every reader drop its page cache (SQLite does that on
// any change), so the steps are few and large rather than many and small;
// with nothing to merge nothing is committed.
func (db *DB) MergeSearch(ctx context.Context, every time.Duration) {
	if db.Dialect != SQLite {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for range 10 {
			worked := false
			err := db.WriteAlone(ctx, func(tx *Tx) error {
				var before, after int64
				if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO search_fts (search_fts, rank) VALUES ('merge', 128)`); err != nil {
					return err
				}
				if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
					return err
				}
				// FTS5: fewer than two changes means there was nothing to merge.
				worked = after-before >= 2
				return nil
			})
			if err != nil || !worked || ctx.Err() != nil {
				break
			}
		}
	}
}
