package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"
)

// Group commit (SQLite). SQLite has one writer; every commit waits for an
// fsync (synchronous=FULL) and makes FTS5 write a new segment. Concurrent
// writes therefore share one transaction: a single writer goroutine takes
// every write that is waiting, runs each in its own savepoint — a write
// that fails is undone alone, as if it had had its own transaction — and
// commits them together, answering each only after the commit. A write
// is acknowledged exactly when it is durable, as before; it just shares
// its fsync.
//
// Inside a group, statements ignore the cancellation of their caller's
// context: SQLite answers an interrupted write by rolling back the whole
// transaction, which would take the other writes of the group with it. A
// caller whose context ends before its turn is answered with the
// context's error and nothing of it runs.

// maxGroup bounds the writes of one group (and so the work lost if its
// commit fails and every write of it is retried).
const maxGroup = 64

type writeReq struct {
	ctx   context.Context
	fn    func(tx *Tx) error
	alone bool
	err   error
	// panicked holds a panic of fn, raised again in the caller's goroutine.
	panicked any
	done     chan struct{}
}

// startWriter starts the group-commit writer (SQLite).
func (db *DB) startWriter() {
	db.queue = make(chan *writeReq, maxGroup)
	db.writerDone = make(chan struct{})
	go db.writer()
}

// stopWriter lets the writer finish what is queued and waits for it.
func (db *DB) stopWriter() {
	if db.queue == nil {
		return
	}
	db.queueMu.Lock()
	db.closing.Store(true)
	close(db.queue)
	db.queueMu.Unlock()
	<-db.writerDone
}

func (db *DB) writer() {
	defer close(db.writerDone)
	var next *writeReq
	for {
		req := next
		next = nil
		if req == nil {
			var ok bool
			if req, ok = <-db.queue; !ok {
				return
			}
		}
		if req.alone {
			db.finish([]*writeReq{req}, db.runAlone(req))
			continue
		}
		batch := []*writeReq{req}
	drain:
		for len(batch) < maxGroup {
			select {
			case r, ok := <-db.queue:
				if !ok {
					break drain
				}
				if r.alone {
					next = r
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		db.finish(batch, db.runGroup(batch))
	}
}

// finish answers the writes of a group; err is the group's own failure
// (begin or commit), given to every write that did not fail by itself.
func (db *DB) finish(batch []*writeReq, err error) {
	for _, r := range batch {
		if r.err == nil && r.panicked == nil {
			r.err = err
		}
		close(r.done)
	}
}

// submit hands fn to the writer and waits for its answer.
func (db *DB) submit(ctx context.Context, fn func(tx *Tx) error, alone bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, alone: alone, done: make(chan struct{})}
	// The read lock keeps the queue open while this write is handed over.
	db.queueMu.RLock()
	if db.closing.Load() {
		db.queueMu.RUnlock()
		return fmt.Errorf("store: database closed")
	}
	select {
	case db.queue <- r:
		db.queueMu.RUnlock()
	case <-ctx.Done():
		db.queueMu.RUnlock()
		return ctx.Err()
	}
	// Once queued the write is the writer's: wait for it to be answered
	// even if ctx ends, so fn never runs after Write has returned.
	<-r.done
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// runAlone runs a write in a transaction of its own (imports and other
// long work, which would hold a group up and grow its savepoint).
func (db *DB) runAlone(r *writeReq) error {
	var err error
	for i := range writeAttempts {
		err = db.guard(r, func() error { return db.writeOnce(r.ctx, r.fn) })
		if err == nil || r.panicked != nil || !retryable(err) {
			break
		}
		if !sleepBackoff(r.ctx, i) {
			break
		}
	}
	r.err = err
	return nil
}

// runGroup runs the writes of a group in one transaction, retrying the
// whole group when the database is busy (another process writing).
func (db *DB) runGroup(batch []*writeReq) error {
	var err error
	for i := range writeAttempts {
		err = db.groupOnce(batch)
		if err == nil || !retryable(err) {
			return err
		}
		if !sleepBackoff(context.Background(), i) {
			break
		}
	}
	return err
}

func (db *DB) groupOnce(batch []*writeReq) (err error) {
	bg := context.Background()
	stx, err := db.w.BeginTx(bg, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{Tx: stx, DB: db, shared: true}
	defer func() {
		if len(tx.missed) > 0 {
			go db.stmts.add(db.w, tx.missed)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	for _, r := range batch {
		r.err, r.panicked = nil, nil
		if e := r.ctx.Err(); e != nil {
			r.err = e
			continue
		}
		r.err = tx.Savepoint(bg, func() error { return db.guard(r, func() error { return r.fn(tx) }) })
		if r.err != nil && r.panicked == nil && retryable(r.err) {
			return r.err // busy: the whole group again
		}
	}
	if err = tx.finish(bg); err != nil {
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

// guard runs f, turning a panic into an error (so the savepoint is undone
// and the writer lives on) and keeping it for the caller to raise again.
func (db *DB) guard(r *writeReq, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked = fmt.Sprintf("%v\n\nin the database writer:\n%s", p, debug.Stack())
			err = fmt.Errorf("store: panic in write: %v", p)
		}
	}()
	return f()
}

const writeAttempts = 8

// sleepBackoff waits before attempt i+1; false when ctx ended.
func sleepBackoff(ctx context.Context, i int) bool {
	backoff := time.Duration(1<<i)*5*time.Millisecond + time.Duration(rand.IntN(10))*time.Millisecond
	select {
	case <-ctx.Done():
		return false
	case <-time.After(backoff):
		return true
	}
}
