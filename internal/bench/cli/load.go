package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/bench"
)

func load(ctx context.Context, args []string, out, errw io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: closeloop-bench load create|list|search|mixed|deals|ageing|queue|all --url URL [--data DIR | --db …]")
	}
	what := args[0]
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(errw)
	var data, db string
	dbFlags(fs, &data, &db)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of the running server")
	conns := fs.Int("conns", 0, "concurrent connections (default: create 8, list 4, search 4, mixed 16)")
	dur := fs.Duration("duration", 20*time.Second, "measured time per case")
	warm := fs.Duration("warmup", 3*time.Second, "unmeasured warm-up per case")
	pid := fs.Int("pid", 0, "server process id, to sample its memory (mixed)")
	html := fs.Bool("html", true, "also measure the HTML list page")
	manager := fs.Bool("manager", false, "list: also as the department manager (team scope)")
	today := fs.String("today", "", "ageing: measure the service calls as if today were this date (YYYY-MM-DD; rolls the kept arrears: use a copy of the set)")
	cpuprof := fs.String("cpuprofile", "", "write a CPU profile of this process (the service cases run in it) to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if data == "" && db == "" {
		return errors.New("give the server's --data DIR or --db URL: the raw comparisons and the credentials need the database")
	}
	a, info, err := bench.Open(ctx, app.Config{DataDir: data, DB: db, NoJobs: true})
	if err != nil {
		return err
	}
	defer a.Close()
	e := bench.NewEnv(a, info, strings.TrimSuffix(*url, "/"))
	l := func(def int) bench.Load {
		c := *conns
		if c == 0 {
			c = def
		}
		return bench.Load{Conns: c, Duration: *dur, Warmup: *warm}
	}
	fmt.Fprintf(out, "# %s, %s\n", a.DB.Dialect, time.Now().Format(time.RFC3339))
	run := func(name string) error {
		switch name {
		case "create":
			r, err := e.BenchCreate(ctx, l(8))
			if err != nil {
				return err
			}
			fmt.Fprintln(out, r.API)
			fmt.Fprintln(out, r.RawRow)
			fmt.Fprintln(out, r.RawAll)
			fmt.Fprintf(out, "ratio API / raw row = %.2f   API / raw all rows = %.2f\n", ratio(r.API, r.RawRow), ratio(r.API, r.RawAll))
		case "list":
			for _, m := range []bool{false, true} {
				if m && !*manager {
					continue
				}
				r, err := e.BenchList(ctx, l(4), m, *html)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "(%.1f rows per page)\n", r.Rows)
				fmt.Fprintln(out, r.Raw)
				fmt.Fprintln(out, r.API)
				if *html {
					fmt.Fprintln(out, r.HTML)
				}
				fmt.Fprintf(out, "ratio API / raw = %.2f", ratio(r.API, r.Raw))
				if *html && r.HTML.N > 0 {
					fmt.Fprintf(out, "   HTML p50 / API p50 = %.2f  HTML rate / API rate = %.2f", float64(r.HTML.P(0.5))/float64(r.API.P(0.5)), ratio(r.HTML, r.API))
				}
				fmt.Fprintln(out)
			}
		case "search":
			qs, err := e.SearchQueries(ctx)
			if err != nil {
				return err
			}
			cases, err := e.BenchSearch(ctx, l(4), qs)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, "| query | role | API p50 | API p95 | API p99 | API q/s | raw p50 | raw p95 | raw q/s | ratio |")
			fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|")
			for _, c := range cases {
				fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %.0f | %s | %s | %.0f | %.2f |\n", c.Class, c.Role,
					msf(c.API.P(0.5)), msf(c.API.P(0.95)), msf(c.API.P(0.99)), c.API.Rate(), msf(c.Raw.P(0.5)), msf(c.Raw.P(0.95)), c.Raw.Rate(), ratio(c.API, c.Raw))
				if c.API.Errors > 0 {
					fmt.Fprintf(out, "  errors: %d (%v)\n", c.API.Errors, c.API.FirstErr)
				}
			}
		case "deals":
			r, err := e.BenchDeals(ctx, l(4))
			if err != nil {
				return err
			}
			for _, x := range []bench.Result{r.Board, r.RawBoard, r.FunnelAll, r.RawFunnelAll, r.FunnelOwner, r.RawFunnelOwner, r.Forecast, r.RawFore} {
				fmt.Fprintln(out, x)
			}
		case "ageing":
			r, err := e.BenchAgeing(ctx, l(4), *today)
			if err != nil {
				return err
			}
			for _, x := range []bench.Result{r.Team, r.RawTeam, r.Owner, r.RawOwner, r.Customer, r.RawCustomer, r.Rep, r.RawRep, r.Manager, r.RawManager, r.Past, r.RawPast} {
				if x.Name != "" {
					fmt.Fprintln(out, x)
				}
			}
		case "queue":
			r, err := e.BenchQueue(ctx, l(4))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "(%d open tickets)\n", r.Open)
			for _, x := range []bench.Result{r.AgentPage, r.LeadPage, r.AdminPage, r.AgentAPI, r.LeadAPI, r.AdminAPI, r.Raw} {
				fmt.Fprintln(out, x)
				fmt.Fprintf(out, "  p50 %s  p95 %s  p99 %s\n", msf(x.P(0.5)), msf(x.P(0.95)), msf(x.P(0.99)))
			}
		case "mixed":
			r, err := e.BenchMixed(ctx, l(16), *pid)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, r.Total)
			for _, k := range []string{"list", "search", "detail", "activity", "customer"} {
				if x, ok := r.ByKind[k]; ok {
					fmt.Fprintln(out, x)
				}
			}
			if *pid > 0 {
				fmt.Fprintf(out, "server memory: peak RSS sampled %.0f MiB (%d samples), VmHWM %.0f MiB\n", mib(r.PeakRSS), r.Samples, mib(r.HWM))
			}
		default:
			return fmt.Errorf("unknown load %q", name)
		}
		return nil
	}
	names := []string{what}
	if what == "all" {
		names = []string{"create", "list", "search"}
	}
	for _, n := range names {
		if err := run(n); err != nil {
			return err
		}
	}
	return nil
}

func ratio(a, b bench.Result) float64 {
	if b.Rate() == 0 {
		return 0
	}
	return a.Rate() / b.Rate()
}

func msf(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }
