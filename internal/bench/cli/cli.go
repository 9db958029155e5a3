// Package cli is the closeloop-bench command line, kept out of main so
// it can be tested.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/bench"
)

// Run executes a closeloop-bench command line (without the program name).
func Run(ctx context.Context, args []string, out, errw io.Writer) error {
	if len(args) == 0 {
		usage(errw)
		return errors.New("no command")
	}
	switch args[0] {
	case "gen":
		return gen(ctx, args[1:], out, errw)
	case "load":
		return load(ctx, args[1:], out, errw)
	case "import":
		return importCmd(ctx, args[1:], out, errw)
	case "sql":
		return sqlCmd(ctx, args[1:], out, errw)
	case "help", "-h", "--help":
		usage(out)
		return nil
	}
	usage(errw)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `closeloop-bench — data generator and load tool for Closeloop

  gen     --customers N [--contacts-per 3] [--activities-per 5] [--leads N/10] [--users 200] [--teams 20]
          [--data DIR | --db postgres://…] [--seed 1] [--batch 1000] [--audit] [--deals N] [--instalments N] [--tickets N]
          Builds (or resumes) a realistic Chinese data set.
  load    create|list|search|mixed|deals|ageing|queue --url http://127.0.0.1:8080 [--data DIR | --db …] [--conns N] [--duration 20s]
          Drives a running server and the raw database with the same work; prints ratios and percentiles.
  import  --rows 100000 [--format csv|xlsx] [--data DIR | --db …]
          Imports generated customers through the importer in this process; prints time and peak memory.
  sql     [--data DIR | --db …] [--rows 20] [--repeat N] [--write] 'STATEMENT' …
          Runs statements through the product's driver and pools; prints rows and times.

See docs/performance.md.
`)
}

func dbFlags(fs *flag.FlagSet, data, db *string) {
	fs.StringVar(data, "data", "", "SQLite data directory (e.g. /work/benchdata/sqlite-100k)")
	fs.StringVar(db, "db", "", "PostgreSQL URL postgres://…")
}

func gen(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(errw)
	var o bench.GenOptions
	fs.IntVar(&o.Customers, "customers", 0, "number of customers (10000, 100000, 1000000)")
	fs.IntVar(&o.ContactsPer, "contacts-per", 3, "contacts per customer")
	fs.IntVar(&o.ActivitiesPer, "activities-per", 5, "activities per customer")
	fs.IntVar(&o.Leads, "leads", 0, "leads (default: customers/10)")
	fs.IntVar(&o.Reps, "users", 200, "sales reps (managers, pre-sales, delivery and service staff are added)")
	fs.IntVar(&o.Depts, "teams", 20, "sales departments, spread over four regions")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed (same seed, same data)")
	fs.IntVar(&o.Batch, "batch", 1000, "customers per transaction")
	fs.BoolVar(&o.Audit, "audit", false, "also write the audit-log entries the services would write")
	dbFlags(fs, &o.DataDir, &o.DB)
	prof := fs.String("cpuprofile", "", "write a CPU profile of the generator to this file")
	deals := fs.Int("deals", 0, "also give the customers this many opportunities in all (1000000 for the pre-sales bars)")
	instalments := fs.Int("instalments", 0, "also give the customers signed contracts with this many payment instalments in all (1000000 for the receivables bar)")
	ticketsN := fs.Int("tickets", 0, "also give the customers this many service tickets, 10 % open (1000000 for the agent-queue bar)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *prof != "" {
		stop, err := cpuProfile(*prof)
		if err != nil {
			return err
		}
		defer stop()
	}
	if o.DataDir == "" && o.DB == "" {
		return errors.New("give --data DIR (SQLite) or --db postgres://…")
	}
	o.Log = errw
	st, err := bench.Generate(ctx, o)
	if err != nil {
		return err
	}
	c := st.Counts
	fmt.Fprintf(out, "generated: %d customers, %d contacts, %d leads, %d activities, %d timeline events, %d search documents, %d audit entries\n",
		c.Customers, c.Contacts, c.Leads, c.Activities, c.Timeline, c.SearchDocs, c.Audit)
	if st.Elapsed > 0 {
		fmt.Fprintf(out, "%d rows in %s: %.0f rows/s\n", c.Rows(), st.Elapsed.Round(1e9/10), st.RowsPerSec())
	}
	if *deals > 0 || *instalments > 0 || *ticketsN > 0 {
		a, _, err := bench.Open(ctx, app.Config{DataDir: o.DataDir, DB: o.DB, NoJobs: true})
		if err != nil {
			return err
		}
		defer a.Close()
		if *deals > 0 {
			start := time.Now()
			n, err := bench.GenDeals(ctx, a, *deals, o.Seed, errw)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "generated: %d opportunities in %s\n", n, time.Since(start).Round(time.Second/10))
		}
		if *instalments > 0 {
			start := time.Now()
			n, err := bench.GenInstalments(ctx, a, *instalments, o.Seed, errw)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "generated: %d payment instalments (with their contracts) in %s\n", n, time.Since(start).Round(time.Second/10))
		}
		if *ticketsN > 0 {
			start := time.Now()
			n, err := bench.GenTickets(ctx, a, *ticketsN, o.Seed, errw)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "generated: %d service tickets in %s\n", n, time.Since(start).Round(time.Second/10))
		}
	}
	return nil
}

// cpuProfile starts a CPU profile; the returned function stops it.
func cpuProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// heapProfile writes the live heap (after a collection) to path.
func heapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
