package cli

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"closeloop/internal/app"
)

// restoreSQLite replaces the data file with a snapshot after checking the
// snapshot is a sound Closeloop database and that no server holds the
// current one open.
func restoreSQLite(ctx context.Context, cfg app.Config, file string, sio IO) error {
	snap, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		return err
	}
	var ok string
	if err := snap.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		snap.Close()
		return fmt.Errorf("%s is not a sound SQLite database (integrity check: %v %s)", file, err, ok)
	}
	var v int
	if err := snap.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		snap.Close()
		return fmt.Errorf("%s is not a Closeloop backup: %w", file, err)
	}
	snap.Close()
	dir := cfg.DataDir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	target := filepath.Join(dir, "closeloop.db")
	if _, err := os.Stat(target); err == nil {
		// Refuse while a server uses the database: an exclusive lock fails then.
		cur, err := sql.Open("sqlite", "file:"+target+"?_pragma=busy_timeout(100)")
		if err != nil {
			return err
		}
		conn, err := cur.Conn(ctx)
		if err == nil {
			_, err = conn.ExecContext(ctx, `BEGIN EXCLUSIVE`)
			if err == nil {
				_, _ = conn.ExecContext(ctx, `ROLLBACK`)
			}
			conn.Close()
		}
		cur.Close()
		if err != nil {
			return fmt.Errorf("the database is in use; stop the server before restoring (%v)", err)
		}
		old := target + ".before-restore"
		_ = os.Remove(old)
		if err := os.Rename(target, old); err != nil {
			return err
		}
		fmt.Fprintf(sio.Out, "previous database kept as %s\n", old)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Remove(target + suffix)
	}
	if err := copyFile(file, target); err != nil {
		return err
	}
	fmt.Fprintf(sio.Out, "database restored from %s (schema version %d)\n", file, v)
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
