package store

import (
	"context"
	"database/sql"
	"time"

	"closeloop/internal/entity"
)

type nullString = sql.NullString

// ScanTime converts a scanned timestamp to UTC (see scanTime).
func ScanTime(v any) time.Time { return scanTime(v) }

// Strings runs a query returning one text column (ids, usually).
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// scanTime converts a scanned timestamp (time.Time on PostgreSQL, usually
// also on SQLite; a string when SQLite could not parse it) to UTC.
func scanTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return entity.CanonTime(x)
	case string:
		if t, ok := entity.ParseDateTime(x); ok {
			return t
		}
		if t, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", x); err == nil {
			return entity.CanonTime(t)
		}
	case []byte:
		return scanTime(string(x))
	}
	return time.Time{}
}

// nullTime scans an optional timestamp.
type nullTime struct{ T time.Time }

func (n *nullTime) Scan(v any) error {
	if v == nil {
		n.T = time.Time{}
		return nil
	}
	n.T = scanTime(v)
	return nil
}

func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return entity.CanonTime(t)
}
