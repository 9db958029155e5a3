package records

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// RebuildSearch replaces the whole search index with documents computed
// anew from the records — after an upgrade that changes what the index
// holds, or with `closeloop reindex`. The entities are walked together in
// order of last change, so the rebuilt index keeps its order (the most
// recently changed first). progress, when given, gets (done, total).
//
// It writes in transactions of its own of a few thousand documents; a
// search while it runs finds what is rebuilt so far.
func (s *Service) RebuildSearch(ctx context.Context, progress func(done, total int)) error {
	var walks []*walk
	total := 0
	for _, e := range s.Schema().Entities() {
		if len(e.FieldsWith(entity.Search)) == 0 {
			continue
		}
		var n int
		q := `SELECT count(*) FROM ` + e.Table
		if e.SoftDelete {
			q += ` WHERE deleted_at IS NULL`
		}
		if err := s.DB.R().QueryRowContext(ctx, q).Scan(&n); err != nil {
			return fmt.Errorf("records: count %s: %w", e.Name, err)
		}
		total += n
		walks = append(walks, &walk{e: e})
	}
	if err := s.DB.WriteAlone(ctx, func(tx *store.Tx) error { return s.DB.ClearSearch(ctx, tx) }); err != nil {
		return err
	}
	const perTx = 5000
	done := 0
	for {
		var batch []walkItem
		for len(batch) < perTx {
			w := nextWalk(walks)
			if w == nil {
				break
			}
			if len(w.buf) == 0 {
				if err := w.fill(ctx, s.DB); err != nil {
					return err
				}
				w.done = len(w.buf) == 0
				continue // compare again with the buffer filled
			}
			batch = append(batch, walkItem{w.e, w.buf[0]})
			w.buf = w.buf[1:]
		}
		if len(batch) == 0 {
			return nil
		}
		err := s.DB.WriteAlone(ctx, func(tx *store.Tx) error {
			for _, it := range batch {
				if err := s.index(ctx, tx, it.e, it.r, true); err != nil {
					return fmt.Errorf("records: reindex %s %s: %w", it.e.Name, it.r.ID(), err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += len(batch)
		if progress != nil {
			progress(done, max(total, done))
		}
	}
}

type walkItem struct {
	e *entity.Entity
	r entity.Record
}

// walk goes through one entity's records in order of (updated_at, id).
type walk struct {
	e       *entity.Entity
	buf     []entity.Record
	afterAt time.Time
	afterID string
	done    bool
}

func (w *walk) fill(ctx context.Context, db *store.DB) error {
	recs, err := db.UpdatedAfter(ctx, db.R(), w.e, w.afterAt, w.afterID, 2000)
	if err != nil {
		return err
	}
	w.buf = recs
	if n := len(recs); n > 0 {
		w.afterAt, _ = recs[n-1]["updated_at"].(time.Time)
		w.afterID = recs[n-1].ID()
	}
	return nil
}

// nextWalk is the walk whose next record changed first; it fills empty
// buffers (a walk with nothing left is marked done).
func nextWalk(walks []*walk) *walk {
	var best *walk
	var bestAt time.Time
	for _, w := range walks {
		if w.done {
			continue
		}
		if len(w.buf) == 0 {
			return w // to be filled first
		}
		at, _ := w.buf[0]["updated_at"].(time.Time)
		if best == nil || at.Before(bestAt) {
			best, bestAt = w, at
		}
	}
	return best
}
