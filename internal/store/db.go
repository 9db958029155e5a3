// Package store owns the database: connections, migrations, and the generic
// SQL every declared entity shares (records, visibility, search, audit,
// timeline). One SQL code base serves
// SQLite (modernc.org/sqlite, pure Go) and PostgreSQL (pgx): both bind $N
// parameters by number, and the few real differences (DDL types, full-text
// search, row locking) are isolated in Dialect methods.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// Dialect names the database engine.
type Dialect int

const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Config says where the data lives.
type Config struct {
	// DSN selects PostgreSQL when it starts with postgres:// or postgresql://;
	// otherwise it is ignored and SQLite is used under DataDir.
	DSN string
	// DataDir holds the SQLite file (closeloop.db).
	DataDir string
	// Synchronous is SQLite's synchronous pragma: FULL (default) survives power
	// loss like PostgreSQL; NORMAL is faster and may lose the last commits.
	Synchronous string
	// ReadConns bounds the read pool (default: 4 × CPUs, at least 8).
	ReadConns int
	// Decls are the entity declarations the schema snapshot is built from.
	Decls []*entity.Entity
	// Loc is the company time zone (local times in input are read in it).
	Loc *time.Location
}

// Querier is what both *sql.DB and *sql.Tx offer.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// DB is an open database: a write pool and a read pool (the same pool on
// PostgreSQL; one connection for writes beside a read pool on SQLite).
type DB struct {
	Dialect Dialect
	// Path is the SQLite file; empty on PostgreSQL.
	Path string
	// DSN is the PostgreSQL connection string; empty on SQLite.
	DSN string

	w      *sql.DB
	r      readPool
	decls  []*entity.Entity
	loc    *time.Location
	schema atomic.Pointer[entity.Schema]
	// roles are cached with the schema: a role change bumps the schema
	// version, so every server reloads both together.
	roles atomic.Pointer[[]access.Role]
	// stmts are the write connection's prepared statements (SQLite).
	stmts stmtCache
	// subtrees remembers team subtrees (TeamSubtree): team id → cachedSubtree.
	subtrees sync.Map
	// queue feeds the group-commit writer (SQLite; see group.go).
	queue      chan *writeReq
	queueMu    sync.RWMutex
	writerDone chan struct{}
	closing    atomic.Bool
}

// Open connects, applies migrations and loads the schema snapshot.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db, err := connect(cfg)
	if err != nil {
		return nil, err
	}
	db.loc = cfg.Loc
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.ReloadSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// IsPostgresDSN reports whether a DSN selects PostgreSQL.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func connect(cfg Config) (*DB, error) {
	readConns := cfg.ReadConns
	if readConns <= 0 {
		readConns = max(8, 4*runtime.NumCPU())
	}
	if IsPostgresDSN(cfg.DSN) {
		dsn, err := withParam(cfg.DSN, "timezone", "UTC")
		if err != nil {
			return nil, fmt.Errorf("store: bad PostgreSQL URL: %w", err)
		}
		p, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		p.SetMaxOpenConns(readConns + 8)
		p.SetMaxIdleConns(readConns + 8)
		p.SetConnMaxIdleTime(5 * time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := p.PingContext(ctx); err != nil {
			p.Close()
			return nil, fmt.Errorf("store: connect to postgres: %w", err)
		}
		return &DB{Dialect: Postgres, DSN: cfg.DSN, w: p, r: readPool{DB: p}, decls: cfg.Decls}, nil
	}
	if cfg.DSN != "" && !strings.HasPrefix(cfg.DSN, "sqlite:") {
		return nil, fmt.Errorf("store: unsupported database URL %q (use postgres://… or leave empty for SQLite)", cfg.DSN)
	}
	dir := cfg.DataDir
	if dir == "" {
		dir = "closeloop-data"
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	path := filepath.Join(dir, "closeloop.db")
	sync := strings.ToUpper(cfg.Synchronous)
	if sync == "" {
		sync = "FULL"
	}
	if sync != "FULL" && sync != "NORMAL" && sync != "EXTRA" && sync != "OFF" {
		return nil, fmt.Errorf("store: bad synchronous setting %q", cfg.Synchronous)
	}
	pragmas := "_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" +
		"&_pragma=synchronous(" + sync + ")&_pragma=cache_size(-32000)&_pragma=temp_store(MEMORY)&_time_format=sqlite"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)&_txlock=deferred")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite read pool: %w", err)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	r.SetConnMaxIdleTime(0)
	db := &DB{Dialect: SQLite, Path: path, w: w, r: readPool{DB: r, cache: &stmtCache{}}, decls: cfg.Decls}
	db.startWriter()
	return db, nil
}

func withParam(dsn, k, v string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if q.Get(k) == "" {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stopWriter()
	db.stmts.close()
	if db.r.cache != nil {
		db.r.cache.close()
	}
	err := db.w.Close()
	if db.r.DB != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// R is the read pool. Reads see every committed write.
func (db *DB) R() Querier { return db.r }

// W is the write pool, for statements outside a transaction.
func (db *DB) W() Querier { return db.w }

// Ping checks the database answers (readiness).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return err
	}
	var one int
	return db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Schema returns the current schema snapshot.
func (db *DB) Schema() *entity.Schema { return db.schema.Load() }

// Stats exposes pool statistics for metrics.
func (db *DB) Stats() (write, read sql.DBStats) { return db.w.Stats(), db.r.Stats() }

// Tx is a write transaction. After-commit hooks run once it commits.
type Tx struct {
	*sql.Tx
	DB    *DB
	after []func()
	// fts are full-text rows written at commit (SQLite; see IndexDoc).
	fts pendingFTS
	// stmts are this transaction's prepared statements and missed the
	// queries the write connection's cache did not hold yet (SQLite).
	stmts  map[string]*sql.Stmt
	missed []string
	// users remembers UserState answers; a write to users forgets them.
	users map[string]UserState
	// teams says the transaction wrote to teams: at commit the remembered
	// team subtrees are forgotten.
	teams bool
	// shared marks a group-commit transaction (group.go): its statements
	// ignore their caller's cancellation.
	shared bool
	// pending are rows appended to log-like tables, written together
	// (pending.go).
	pending []*pendingTable
	// broken is a failure no statement could report; the commit does.
	broken error
	// nextDoc is the next search document id (SQLite: decreasing).
	nextDoc int64
	// depth counts open savepoints; pending full-text rows are not flushed
	// inside one, so a rollback to it can simply forget them.
	depth int
}

// Savepoint runs fn inside a savepoint. If fn fails, everything it wrote is
// undone — rows, pending full-text rows and after-commit hooks — and the
// transaction stays usable (PostgreSQL aborts a transaction on any failed
// statement otherwise). fn's error is returned.
func (tx *Tx) Savepoint(ctx context.Context, fn func() error) error {
	// Rows held back from before the savepoint are written first: written
	// inside it, a rollback would take them along.
	if err := tx.flushPending(ctx, ""); err != nil {
		return err
	}
	name := fmt.Sprintf("sp%d", tx.depth)
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	mark := tx.fts.mark()
	rows := tx.markPending()
	after := len(tx.after)
	tx.depth++
	err := fn()
	tx.depth--
	if err == nil && tx.broken != nil {
		err, tx.broken = tx.broken, nil
	}
	if err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return errors.Join(err, fmt.Errorf("store: rollback to savepoint: %w", rerr))
		}
		tx.fts.undo(mark)
		tx.undoPending(rows)
		tx.after = tx.after[:after]
		// Released either way: a savepoint left open would make every later
		// statement of the transaction pay for it.
		_, _ = tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
		return err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	if tx.depth == 0 && len(tx.fts.rows) >= ftsBatch {
		return tx.FlushSearch(ctx)
	}
	return nil
}

// finish writes what the transaction holds back, ahead of its commit.
func (tx *Tx) finish(ctx context.Context) error {
	if err := tx.flushPending(ctx, ""); err != nil {
		return err
	}
	if err := tx.FlushSearch(ctx); err != nil {
		return err
	}
	return tx.broken
}

// committed does what a commit makes due: forgetting team subtrees.
func (tx *Tx) committed() {
	if tx.teams {
		tx.DB.subtrees.Clear()
	}
}

// AfterCommit registers fn to run after a successful commit.
func (tx *Tx) AfterCommit(fn func()) { tx.after = append(tx.after, fn) }

// Write runs fn in a write transaction, retrying on serialization failures
// and deadlocks (PostgreSQL 40001/40P01, SQLite BUSY). fn must be safe to run
// again: it must not keep state outside the transaction. On SQLite, writes
// that wait at the same time share one transaction (group commit, see
// group.go), each in its own savepoint: fn must not assume it is alone in
// the transaction, only that it sees the effects of writes before it.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	if db.queue != nil {
		return db.submit(ctx, fn, false)
	}
	return db.writeRetrying(ctx, fn)
}

// WriteAlone is Write in a transaction of fn's own: for long work (an
// import, a data load) that would hold other writes up inside a group.
func (db *DB) WriteAlone(ctx context.Context, fn func(tx *Tx) error) error {
	if db.queue != nil {
		return db.submit(ctx, fn, true)
	}
	return db.writeRetrying(ctx, fn)
}

func (db *DB) writeRetrying(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	for i := range writeAttempts {
		err = db.writeOnce(ctx, fn)
		if err == nil || !retryable(err) {
			return err
		}
		if !sleepBackoff(ctx, i) {
			return err
		}
	}
	return err
}

func (db *DB) writeOnce(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{Tx: stx, DB: db}
	defer func() {
		if len(tx.missed) > 0 {
			go db.stmts.add(db.w, tx.missed)
		}
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.finish(ctx); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	tx.committed()
	for _, f := range tx.after {
		f()
	}
	return nil
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign-key failure.
func IsForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// NewID returns a new UUIDv7: time-ordered, so inserts stay index-friendly.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Now is the canonical current time (UTC, microseconds).
func Now() time.Time { return entity.CanonTime(time.Now()) }

// Args collects positional parameters while building SQL.
type Args struct{ V []any }

// Add appends a parameter and returns its placeholder.
func (a *Args) Add(v any) string {
	a.V = append(a.V, v)
	return fmt.Sprintf("$%d", len(a.V))
}

// List appends several parameters and returns "($1, $2, …)".
func (a *Args) List(vs []any) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Add(v))
	}
	b.WriteByte(')')
	return b.String()
}

// notFound converts sql.ErrNoRows into the application's NotFound.
func notFound(err error, entity string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFoundf(entity)
	}
	return err
}
