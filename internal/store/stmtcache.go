package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// The SQLite driver prepares every statement anew; in a write transaction
// that runs the same dozen statements per record (an import runs them
// 100,000 times) the preparing cost as much as the executing. Statements
// of write transactions are therefore prepared once on the write
// connection and reused. PostgreSQL's driver caches statements itself.

// stmtCacheMax bounds the cache: statements built with variable IN lists
// differ by text, and past the bound new texts simply are not cached.
const stmtCacheMax = 1024

type stmtCache struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	closed bool
}

// get returns the prepared statement of query on the write pool, or nil
// when it is not cached yet.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// add prepares queries on the write pool. It runs after a transaction
// ended: preparing needs the write connection, which the transaction held.
func (c *stmtCache) add(w *sql.DB, queries []string) {
	for _, q := range queries {
		c.mu.Lock()
		_, have := c.m[q]
		full := len(c.m) >= stmtCacheMax
		c.mu.Unlock()
		if have || full {
			continue
		}
		s, err := w.Prepare(q)
		if err != nil {
			continue // the statement reports its error where it runs
		}
		c.mu.Lock()
		if _, have := c.m[q]; have || c.m == nil && c.closed {
			c.mu.Unlock()
			_ = s.Close()
			continue
		}
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[q] = s
		c.mu.Unlock()
	}
}

// prepare returns the statement of query prepared on pool, preparing it on
// first use; nil when the cache is full or the query does not prepare.
func (c *stmtCache) prepare(ctx context.Context, pool *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	s, ok := c.m[query]
	full := len(c.m) >= stmtCacheMax || c.closed
	c.mu.Unlock()
	if ok {
		return s
	}
	if full {
		return nil
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.m[query]; ok || c.closed {
		_ = s.Close()
		return have
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = s
	return s
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		_ = s.Close()
	}
	c.m = nil
	c.closed = true
}

// prepared returns query prepared for the transaction, or nil. A query
// the cache lacks is prepared on the transaction's connection for the rest
// of the transaction and queued for the cache.
func (tx *Tx) prepared(ctx context.Context, query string) *sql.Stmt {
	if tx.DB.Dialect != SQLite {
		return nil
	}
	if s, ok := tx.stmts[query]; ok {
		return s
	}
	var s *sql.Stmt
	if ps := tx.DB.stmts.get(query); ps != nil {
		s = tx.Tx.StmtContext(ctx, ps)
	} else {
		var err error
		if s, err = tx.Tx.PrepareContext(ctx, query); err != nil {
			return nil // run unprepared, which reports the error
		}
		tx.missed = append(tx.missed, query)
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = s
	return s
}

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := tx.before(ctx, query); err != nil {
		return nil, err
	}
	return tx.exec(ctx, query, args...)
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = tx.ctx(ctx)
	if s := tx.prepared(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := tx.before(ctx, query); err != nil {
		return nil, err
	}
	ctx = tx.ctx(ctx)
	if s := tx.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := tx.before(ctx, query); err != nil {
		tx.broken = err // a *sql.Row cannot carry it: the commit will
	}
	ctx = tx.ctx(ctx)
	if s := tx.prepared(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// before runs ahead of every statement: it forgets what the statement may
// change and writes the pending rows of the tables it names.
func (tx *Tx) before(ctx context.Context, query string) error {
	tx.forget(query)
	if len(tx.pending) == 0 {
		return nil
	}
	return tx.flushPending(ctx, query)
}

// ctx is the context statements of the transaction run with: in a group
// (group.go) the caller's cancellation must not interrupt them.
func (tx *Tx) ctx(ctx context.Context) context.Context {
	if tx.shared {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// forget drops remembered user states when query may write to users, and
// notes a write to teams.
func (tx *Tx) forget(query string) {
	if strings.HasPrefix(query, "SELECT") {
		return
	}
	if tx.users != nil && strings.Contains(query, "users") {
		tx.users = nil
	}
	if strings.Contains(query, "teams") {
		tx.teams = true
	}
}

// readPool is the read pool. On SQLite its queries are prepared once per
// connection and kept (cache non-nil).
type readPool struct {
	*sql.DB
	cache *stmtCache
}

// QueryContext runs a query on the read pool.
func (p readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if p.cache != nil {
		if s := p.cache.prepare(ctx, p.DB, query); s != nil {
			return s.QueryContext(ctx, args...)
		}
	}
	return p.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query expected to return at most one row.
func (p readPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if p.cache != nil {
		if s := p.cache.prepare(ctx, p.DB, query); s != nil {
			return s.QueryRowContext(ctx, args...)
		}
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}
