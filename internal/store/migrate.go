package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one numbered schema step for one engine.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations of a dialect, in order.
func Migrations(d Dialect) ([]Migration, error) {
	dir := "migrations/" + d.String()
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", name)
		}
		b, err := migrationFS.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies pending migrations. Each runs in its own transaction
// together with its bookkeeping row. On PostgreSQL, several servers starting
// at once serialise on a row lock (no advisory locks, so that
// PostgreSQL-compatible distributed engines work too).
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := Migrations(db.Dialect)
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	ts := "TIMESTAMP"
	if db.Dialect == Postgres {
		ts = "TIMESTAMPTZ"
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at `+ts+` NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_lock (id BIGINT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("store: create schema_lock: %w", err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_lock (id) VALUES (1) ON CONFLICT DO NOTHING`); err != nil {
		return fmt.Errorf("store: seed schema_lock: %w", err)
	}
	for _, m := range ms {
		err := db.WriteAlone(ctx, func(tx *Tx) error {
			if db.Dialect == Postgres {
				if _, err := tx.ExecContext(ctx, `SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, Now())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.r.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
