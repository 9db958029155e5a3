package bench

// Benchmarks of the quality bars, each against the raw database
// doing the same work in the same run. Sizes come from the environment:
//
//	CLOSELOOP_BENCH_DATA  SQLite data directory of a set made by closeloop-bench gen
//	CLOSELOOP_BENCH_DB    PostgreSQL URL of such a set
//	CLOSELOOP_BENCH_SIZE  customers of the set built when neither is given (default 1000)
//	CLOSELOOP_BENCH_TIME  measured time per case (default 1s)
//	CLOSELOOP_TEST_PG     build that small set on PostgreSQL instead of SQLite
//
// With none set, `go test -bench=. -benchtime=1x ./internal/bench/` builds a
// small set in a temporary directory and runs in seconds. The figures in
// docs/performance.md come from the same code through closeloop-bench.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/apptest"
	"closeloop/internal/server"
)

type benchTarget struct {
	env     *Env
	srv     *server.Server
	cleanup []func()
	err     error
}

var (
	targetOnce sync.Once
	target     benchTarget
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(target.cleanup) - 1; i >= 0; i-- {
		target.cleanup[i]()
	}
	os.Exit(code)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func benchTime() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("CLOSELOOP_BENCH_TIME")); err == nil && d > 0 {
		return d
	}
	return time.Second
}

// tb is the part of testing.TB that NewPGDatabase needs, with cleanups
// run at the end of the whole benchmark binary rather than of one case.
type tb struct {
	testing.TB
}

func (t tb) Cleanup(f func()) { target.cleanup = append(target.cleanup, f) }

func setupTarget(b *testing.B) *Env {
	targetOnce.Do(func() {
		ctx := context.Background()
		// Requests cut off at the end of a run are logged by the server;
		// keep the benchmark output to the figures.
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
		cfg := app.Config{DataDir: os.Getenv("CLOSELOOP_BENCH_DATA"), DB: os.Getenv("CLOSELOOP_BENCH_DB"), NoJobs: true, Addr: "127.0.0.1:0"}
		if cfg.DataDir == "" && cfg.DB == "" {
			dir, err := os.MkdirTemp("", "closeloop-bench-")
			if err != nil {
				target.err = err
				return
			}
			target.cleanup = append(target.cleanup, func() { os.RemoveAll(dir) })
			cfg.DataDir = filepath.Join(dir, "data")
			if base := apptest.PGURL(); base != "" {
				cfg.DB = apptest.NewPGDatabase(tb{b}, base)
			}
			_, err = Generate(ctx, GenOptions{DataDir: cfg.DataDir, DB: cfg.DB, Customers: envInt("CLOSELOOP_BENCH_SIZE", 1000),
				ContactsPer: 3, ActivitiesPer: 5, Reps: 20, Depts: 4, Batch: 500})
			if err != nil {
				target.err = err
				return
			}
			a, _, err := Open(ctx, cfg)
			if err != nil {
				target.err = err
				return
			}
			_, err = GenDeals(ctx, a, envInt("CLOSELOOP_BENCH_SIZE", 1000), 1, nil)
			if err == nil {
				_, err = GenInstalments(ctx, a, 3*envInt("CLOSELOOP_BENCH_SIZE", 1000), 1, nil)
			}
			a.Close()
			if err != nil {
				target.err = err
				return
			}
		}
		a, info, err := Open(ctx, cfg)
		if err != nil {
			target.err = err
			return
		}
		target.cleanup = append(target.cleanup, func() { a.Close() })
		srv, err := server.Start(ctx, a, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			target.err = err
			return
		}
		target.cleanup = append(target.cleanup, func() {
			c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(c)
		})
		target.srv = srv
		target.env = NewEnv(a, info, srv.URL())
	})
	if target.err != nil {
		b.Fatal(target.err)
	}
	return target.env
}

func load(conns int) Load {
	return Load{Conns: conns, Duration: benchTime(), Warmup: benchTime() / 5}
}

func reportResult(b *testing.B, prefix string, r Result) {
	b.ReportMetric(r.Rate(), prefix+"ops/s")
	b.ReportMetric(float64(r.P(0.99))/1e6, prefix+"p99-ms")
	if r.Errors > 0 {
		b.Errorf("%s: %d errors, first: %v", r.Name, r.Errors, r.FirstErr)
	}
}

// BenchmarkCreateCustomer: POST /api/v1/customers at 8 connections against
// the raw INSERT of the row (bar: ≥ 0.7×) and of all rows the product writes.
func BenchmarkCreateCustomer(b *testing.B) {
	e := setupTarget(b)
	for range b.N {
		r, err := e.BenchCreate(context.Background(), load(8))
		if err != nil {
			b.Fatal(err)
		}
		reportResult(b, "api-", r.API)
		reportResult(b, "raw-", r.RawRow)
		b.ReportMetric(r.API.Rate()/r.RawRow.Rate(), "ratio-raw-row")
		b.ReportMetric(r.API.Rate()/r.RawAll.Rate(), "ratio-raw-all")
	}
}

// BenchmarkListPage: a rep's A customers by update time, 50 a page, at 4
// connections (bars: ≥ 0.6× raw, p99 ≤ 10 ms, HTML within 1.5× of JSON).
func BenchmarkListPage(b *testing.B) {
	e := setupTarget(b)
	for range b.N {
		r, err := e.BenchList(context.Background(), load(4), false, true)
		if err != nil {
			b.Fatal(err)
		}
		reportResult(b, "api-", r.API)
		reportResult(b, "raw-", r.Raw)
		b.ReportMetric(r.API.Rate()/r.Raw.Rate(), "ratio-raw")
		if r.HTML.N > 0 {
			reportResult(b, "html-", r.HTML)
			b.ReportMetric(float64(r.HTML.P(0.5))/float64(r.API.P(0.5)), "html/json-p50")
		}
	}
}

// BenchmarkSearch: every query class as rep, manager and admin (bar: p95 ≤ 50 ms).
func BenchmarkSearch(b *testing.B) {
	e := setupTarget(b)
	ctx := context.Background()
	classes, err := e.SearchQueries(ctx)
	if err != nil {
		b.Fatal(err)
	}
	l := load(4)
	l.Duration /= 4
	l.Warmup = 0
	for _, qc := range classes {
		b.Run(qc.Name, func(b *testing.B) {
			for range b.N {
				cases, err := e.BenchSearch(ctx, l, []QueryClass{qc})
				if err != nil {
					b.Fatal(err)
				}
				for _, c := range cases {
					b.ReportMetric(float64(c.API.P(0.95))/1e6, c.Role+"-p95-ms")
					if c.API.Errors > 0 {
						b.Errorf("%s: %v", c.API.Name, c.API.FirstErr)
					}
				}
			}
		})
	}
}

// BenchmarkImportCSV imports a customer sheet into a fresh data set holding
// only the organisation (bar at 100k rows: ≤ 15 s SQLite, ≤ 10 s PostgreSQL,
// ≤ 300 MB).
func BenchmarkImportCSV(b *testing.B)  { benchImport(b, "csv") }
func BenchmarkImportXLSX(b *testing.B) { benchImport(b, "xlsx") }

func benchImport(b *testing.B, format string) {
	rows := envInt("CLOSELOOP_BENCH_IMPORT_ROWS", 2000)
	ctx := context.Background()
	for range b.N {
		cfg := apptest.Config(b)
		if _, err := Generate(ctx, GenOptions{DataDir: cfg.DataDir, DB: cfg.DB, Customers: 0, Reps: 20, Depts: 4}); err != nil {
			b.Fatal(err)
		}
		a, info, err := Open(ctx, app.Config{DataDir: cfg.DataDir, DB: cfg.DB, NoJobs: true})
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(b.TempDir(), fmt.Sprintf("customers-%d.%s", rows, format))
		if err := WriteImportFile(path, rows, info.Org, a.DB.Schema(), 1); err != nil {
			b.Fatal(err)
		}
		r, err := ImportFile(ctx, a, info.Org, path)
		if err != nil {
			a.Close()
			b.Fatal(err)
		}
		raw, err := RawImport(ctx, a, info.Org, path, false)
		a.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.Rows)/r.Elapsed.Seconds(), "rows/s")
		b.ReportMetric(r.Elapsed.Seconds(), "s")
		b.ReportMetric(float64(r.Peak)/(1<<20), "peak-MiB")
		b.ReportMetric(raw.Seconds()/r.Elapsed.Seconds(), "ratio-raw")
		if r.Created != rows {
			b.Fatalf("created %d of %d", r.Created, rows)
		}
	}
}

// BenchmarkMixed drives the mixed load against the in-process server; the
// memory bar is measured on a separate server process (closeloop-bench
// load mixed --pid), here the whole test process is sampled.
func BenchmarkMixed(b *testing.B) {
	e := setupTarget(b)
	for range b.N {
		r, err := e.BenchMixed(context.Background(), load(16), os.Getpid())
		if err != nil {
			b.Fatal(err)
		}
		reportResult(b, "", r.Total)
		b.ReportMetric(float64(r.PeakRSS)/(1<<20), "peak-rss-MiB")
	}
}

// BenchmarkDeals: the pipeline board of a department, the org-wide and
// per-owner funnel and the forecast by month, at 4 connections (bars on
// 1M opportunities: board ≤ 30 ms p95, org funnel ≤ 200 ms, per owner
// ≤ 30 ms, forecast ≤ 200 ms).
func BenchmarkDeals(b *testing.B) {
	e := setupTarget(b)
	for range b.N {
		r, err := e.BenchDeals(context.Background(), load(4))
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range []struct {
			name string
			r    Result
		}{{"board-", r.Board}, {"funnel-all-", r.FunnelAll}, {"funnel-owner-", r.FunnelOwner}, {"forecast-", r.Forecast}} {
			reportResult(b, x.name, x.r)
			b.ReportMetric(float64(x.r.P(0.95))/1e6, x.name+"p95-ms")
		}
	}
}

// BenchmarkAgeing: the receivables ageing org-wide by team, rep and
// customer, of a rep, of a department and as of a past date, at 4
// connections (bar on 1M instalments: p95 ≤ 200 ms).
func BenchmarkAgeing(b *testing.B) {
	e := setupTarget(b)
	for range b.N {
		r, err := e.BenchAgeing(context.Background(), load(4), "")
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range []struct {
			name string
			r    Result
		}{{"team-", r.Team}, {"owner-", r.Owner}, {"customer-", r.Customer}, {"rep-", r.Rep}, {"manager-", r.Manager}, {"past-", r.Past}} {
			reportResult(b, x.name, x.r)
			b.ReportMetric(float64(x.r.P(0.95))/1e6, x.name+"p95-ms")
		}
	}
}
