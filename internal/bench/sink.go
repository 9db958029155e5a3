package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"closeloop/internal/app"
	"closeloop/internal/store"
)

// sink writes batches to one engine.
type sink interface {
	write(ctx context.Context, b *batch, st state) error
	finish(ctx context.Context) error
	close()
}

func newSink(ctx context.Context, a *app.App) (sink, error) {
	if a.DB.Dialect == store.Postgres {
		return newPGSink(ctx, a)
	}
	return newSQLiteSink(ctx, a)
}

// sqliteSink writes through the product's own write connection (so values
// are encoded exactly as the product encodes them) with multi-row INSERTs.
type sqliteSink struct {
	a       *app.App
	nextDoc int64
}

func newSQLiteSink(ctx context.Context, a *app.App) (*sqliteSink, error) {
	// A large page cache for the load only (this connection's setting).
	if _, err := a.DB.W().ExecContext(ctx, `PRAGMA cache_size = -1000000`); err != nil {
		return nil, err
	}
	s := &sqliteSink{a: a}
	// Decreasing document ids, as store.IndexDoc assigns them (newest first).
	if err := a.DB.W().QueryRowContext(ctx, `SELECT coalesce(min(id), 0) - 1 FROM search_docs`).Scan(&s.nextDoc); err != nil {
		return nil, err
	}
	return s, nil
}

// SQLite allows 32766 bound values per statement.
const maxVars = 32000

func (s *sqliteSink) write(ctx context.Context, b *batch, st state) error {
	next := s.nextDoc
	err := s.a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		next = s.nextDoc
		for _, t := range b.tables {
			if err := insertRows(ctx, tx.Tx, t); err != nil {
				return err
			}
		}
		docs := &table{name: "search_docs", cols: []string{"id", "entity", "record_id"}}
		fts := &table{name: "search_fts", cols: []string{"rowid", "tokens"}}
		for _, d := range b.docs {
			docs.add([]any{next, d.entity, d.id})
			fts.add([]any{next, d.tokens})
			next--
		}
		if err := insertRows(ctx, tx.Tx, docs); err != nil {
			return err
		}
		// Increasing row ids within the statement: FTS5 starts a new
		// segment at every row id below the previous one.
		slices.Reverse(fts.rows)
		if err := insertRows(ctx, tx.Tx, fts); err != nil {
			return err
		}
		return saveState(ctx, s.a.DB, tx, st)
	})
	if err == nil {
		s.nextDoc = next
	}
	return err
}

// insertRows writes a table's rows with multi-row INSERT statements,
// prepared once per statement size.
func insertRows(ctx context.Context, tx *sql.Tx, t *table) error {
	per := max(1, min(500, maxVars/len(t.cols)))
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, per*len(t.cols))
	for i := 0; i < len(t.rows); i += per {
		rows := t.rows[i:min(i+per, len(t.rows))]
		st := stmts[len(rows)]
		if st == nil {
			var err error
			if st, err = tx.PrepareContext(ctx, insertSQL(t, len(rows))); err != nil {
				return fmt.Errorf("prepare %s: %w", t.name, err)
			}
			stmts[len(rows)] = st
		}
		args = args[:0]
		for _, r := range rows {
			args = append(args, r...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert %s: %w", t.name, err)
		}
	}
	return nil
}

func insertSQL(t *table, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES ")
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", ") + ")"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

func (s *sqliteSink) finish(ctx context.Context) error {
	_, err := s.a.DB.W().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

func (s *sqliteSink) close() {}

// pgSink writes with COPY on its own pgx connection. Search documents are
// copied into a staging table and converted by the very expression
// store.IndexDoc uses: array_to_tsvector(string_to_array(tokens, ' ')).
type pgSink struct {
	a    *app.App
	conn *pgx.Conn
}

func newPGSink(ctx context.Context, a *app.App) (*pgSink, error) {
	conn, err := pgx.Connect(ctx, a.DB.DSN)
	if err != nil {
		return nil, fmt.Errorf("bench: connect for COPY: %w", err)
	}
	for _, q := range []string{
		`SET synchronous_commit = off`,
		`SET TIME ZONE 'UTC'`,
		`CREATE TEMP TABLE bench_search_stage (entity TEXT, record_id UUID, tokens TEXT) ON COMMIT DELETE ROWS`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			conn.Close(ctx)
			return nil, err
		}
	}
	return &pgSink{a: a, conn: conn}, nil
}

func (s *pgSink) write(ctx context.Context, b *batch, st state) error {
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after commit this is a no-op
	for _, t := range b.tables {
		if len(t.rows) == 0 {
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", t.name, err)
		}
	}
	rows := make([][]any, len(b.docs))
	for i, d := range b.docs {
		rows[i] = []any{d.entity, d.id, d.tokens}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_search_stage"}, []string{"entity", "record_id", "tokens"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy search documents: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO search_docs (entity, record_id, tsv)
		SELECT entity, record_id, array_to_tsvector(string_to_array(tokens, ' ')) FROM bench_search_stage`); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	js, _ := json.Marshal(st)
	if _, err := tx.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now())
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, stateKey, string(js)); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// finish brings the tables to the state autovacuum would leave them in
// (statistics and visibility maps), so plans are those of a live system.
func (s *pgSink) finish(ctx context.Context) error {
	_, err := s.conn.Exec(ctx, `VACUUM (ANALYZE)`)
	return err
}

func (s *pgSink) close() { s.conn.Close(context.Background()) }
