package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/bench"
)

// importCmd imports a generated customer sheet into a data set that holds
// only the organisation (made here when the database is empty).
func importCmd(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(errw)
	var data, db string
	dbFlags(fs, &data, &db)
	rows := fs.Int("rows", 100000, "rows in the sheet")
	format := fs.String("format", "csv", "csv or xlsx")
	file := fs.String("file", "", "the sheet (default /work/benchdata/import-ROWS.FORMAT; written when missing)")
	raw := fs.Bool("raw", true, "also insert the same rows directly, for the ratio")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the import to this file")
	heap := fs.String("heapprofile", "", "write a heap profile to this file after --heapafter of importing")
	heapAfter := fs.Duration("heapafter", 10*time.Second, "when to take the heap profile")
	exec := fs.String("exec", "", "SQL to run before importing (what-if measurements of proposed indexes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if data == "" && db == "" {
		return errors.New("give --data DIR (a fresh one) or --db URL (an empty database)")
	}
	if *format != "csv" && *format != "xlsx" {
		return errors.New("--format is csv or xlsx")
	}
	path := *file
	if path == "" {
		path = filepath.Join("/work/benchdata", "import-"+strconv.Itoa(*rows)+"."+*format)
	}
	// The organisation (users the sheet names as owners).
	if _, err := bench.Generate(ctx, bench.GenOptions{DataDir: data, DB: db, Customers: 0}); err != nil {
		return err
	}
	a, info, err := bench.Open(ctx, app.Config{DataDir: data, DB: db, NoJobs: true})
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(errw, "writing %s …\n", path)
		if err := bench.WriteImportFile(path, *rows, info.Org, a.DB.Schema(), 1); err != nil {
			return err
		}
	}
	var n int
	if err := a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM customers`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("the data set already has %d customers: use a fresh --data directory or database", n)
	}
	if *exec != "" {
		if _, err := a.DB.W().ExecContext(ctx, *exec); err != nil {
			return fmt.Errorf("--exec: %w", err)
		}
		fmt.Fprintf(out, "# what-if: %s\n", *exec)
	}
	st, _ := os.Stat(path)
	fmt.Fprintf(out, "# import %s (%.1f MB) into %s\n", path, float64(st.Size())/1e6, a.DB.Dialect)
	var stop func()
	if *prof != "" {
		if stop, err = cpuProfile(*prof); err != nil {
			return err
		}
	}
	if *heap != "" {
		t := time.AfterFunc(*heapAfter, func() {
			if err := heapProfile(*heap); err != nil {
				fmt.Fprintln(errw, "heap profile:", err)
			}
		})
		defer t.Stop()
	}
	r, err := bench.ImportFile(ctx, a, info.Org, path)
	if stop != nil {
		stop()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "importer: %d rows, %d created, %d rejected in %s (%.0f rows/s); memory before %.0f MiB, peak %.0f MiB\n",
		r.Rows, r.Created, r.Rejected, r.Elapsed.Round(time.Millisecond), float64(r.Rows)/r.Elapsed.Seconds(), mib(r.Base), mib(r.Peak))
	if *raw {
		d, err := bench.RawImport(ctx, a, info.Org, path, false)
		if err != nil {
			return err
		}
		d2, err := bench.RawImport(ctx, a, info.Org, path, true)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "raw (customer rows only): %s, ratio %.2f; raw (customer + audit + search + timeline rows): %s, ratio %.2f\n",
			d.Round(time.Millisecond), d.Seconds()/r.Elapsed.Seconds(), d2.Round(time.Millisecond), d2.Seconds()/r.Elapsed.Seconds())
	}
	return nil
}
