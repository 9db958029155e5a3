package app

import (
	"context"
	"log/slog"
	"time"
)

// rebuildKey is the setting a migration leaves when the search index must
// be rebuilt from the records (the index changed what it holds).
const rebuildKey = "search.rebuild"

// RebuildSearch rebuilds the search index from the records and clears a
// migration's request for it (`closeloop reindex`).
func (a *App) RebuildSearch(ctx context.Context, progress func(done, total int)) error {
	if err := a.Records.RebuildSearch(ctx, progress); err != nil {
		return err
	}
	_, err := a.DB.W().ExecContext(ctx, `DELETE FROM settings WHERE key = $1`, rebuildKey)
	return err
}

// RebuildSearchIfNeeded rebuilds the search index when a migration asked
// for it, logging progress. The server runs it in the background once it
// listens: until it is done, searches find only what is rebuilt so far. If
// the server stops first, the next start begins again.
func (a *App) RebuildSearchIfNeeded(ctx context.Context, log *slog.Logger) error {
	v, err := a.DB.Setting(ctx, a.DB.R(), rebuildKey)
	if err != nil || v == "" {
		return err
	}
	log.Info("rebuilding the search index", "migration", v)
	start, last := time.Now(), time.Now()
	err = a.RebuildSearch(ctx, func(done, total int) {
		if time.Since(last) >= 10*time.Second || done == total {
			last = time.Now()
			log.Info("rebuilding the search index", "done", done, "total", total)
		}
	})
	if err != nil {
		return err
	}
	log.Info("search index rebuilt", "elapsed", time.Since(start).Round(time.Second).String())
	return nil
}
