package cli

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/bench"
)

// sqlCmd runs statements against a data set through the product's own
// driver and pools, printing up to --rows rows of each and its time: for
// trying query shapes and plans on a big set (the Debian sqlite3 shell is
// too old for the full-text table's options).
func sqlCmd(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("sql", flag.ContinueOnError)
	fs.SetOutput(errw)
	var data, db string
	dbFlags(fs, &data, &db)
	maxRows := fs.Int("rows", 20, "rows printed per statement")
	repeat := fs.Int("repeat", 1, "run each statement this many times; the times printed are the first and the best")
	write := fs.Bool("write", false, "run on the write connection (statements that change data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, _, err := bench.Open(ctx, app.Config{DataDir: data, DB: db, NoJobs: true})
	if err != nil {
		return err
	}
	defer a.Close()
	q := a.DB.R()
	if *write {
		q = a.DB.W()
	}
	for _, stmt := range fs.Args() {
		fmt.Fprintf(out, "> %s\n", strings.TrimSpace(stmt))
		var first, best time.Duration
		for i := range max(1, *repeat) {
			start := time.Now()
			n, err := printRows(ctx, q, stmt, out, *maxRows, i == 0)
			d := time.Since(start)
			if err != nil {
				fmt.Fprintf(out, "error: %v\n", err)
				break
			}
			if i == 0 {
				first, best = d, d
				fmt.Fprintf(out, "(%d rows)\n", n)
			}
			best = min(best, d)
		}
		fmt.Fprintf(out, "time: first %s, best %s\n\n", first.Round(10*time.Microsecond), best.Round(10*time.Microsecond))
	}
	return nil
}

func printRows(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, stmt string, out io.Writer, maxRows int, show bool) (int, error) {
	rows, err := q.QueryContext(ctx, stmt)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if show && n < maxRows {
			parts := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				parts[i] = fmt.Sprint(v)
			}
			fmt.Fprintln(out, strings.Join(parts, " | "))
		}
		n++
	}
	return n, rows.Err()
}
