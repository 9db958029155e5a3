package sla_test

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/store"
)

// BenchmarkSLASweep measures the two sweep bars: flagging a batch of newly
// breached tickets, and a steady-state sweep with nothing due, among
// closed tickets. Sizes: SLA_BENCH_CLOSED (default 1,000) closed tickets,
// created over the last two years, SLA_BENCH_BREACH (default 100)
// breaching at once, created over the last SLA_BENCH_BREACH_AGE days
// (default 14; 730 puts them anywhere among the closed ones).
//
//	SLA_BENCH_CLOSED=90000 SLA_BENCH_BREACH=10000 go test ./internal/sla/ -run '^$' -bench SLASweep -benchtime 1x
func BenchmarkSLASweep(b *testing.B) {
	closed, breach := envInt("SLA_BENCH_CLOSED", 1000), envInt("SLA_BENCH_BREACH", 100)
	age := envInt("SLA_BENCH_BREACH_AGE", 14)
	f := newFixture(b)
	tpl := f.ticket(b, crm.PriorityUrgent, crm.TicketRepair)
	now := store.Now()
	cloneTickets(b, f.App.DB, tpl.ID(), closed, crm.TicketClosed, nil, nil, now.Add(-730*24*time.Hour), now.Add(-time.Hour))
	f.exec(b, `UPDATE tickets SET sla_breach_at = NULL, sla_warn_at = NULL, sla_escalate_at = NULL WHERE id = $1`, tpl.ID())
	if f.App.DB.Dialect == store.Postgres {
		f.exec(b, `ANALYZE tickets`)
	}
	b.Run("breach", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			now := store.Now()
			cloneTickets(b, f.App.DB, tpl.ID(), breach, crm.TicketAssigned, now.Add(-time.Minute), nil, now.Add(-time.Duration(age)*24*time.Hour), now.Add(-time.Hour))
			b.StartTimer()
			start, cpu := time.Now(), cpuTime()
			r, err := f.App.SLA.Sweep(ctx, time.Now())
			if err != nil || r.Breached != breach {
				b.Fatalf("swept %+v %v, want %d breaches", r, err, breach)
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/sweep")
			// CPU of this process (all of SQLite's work; on PostgreSQL only
			// the client's): the figure that means something on a loaded machine.
			b.ReportMetric(float64((cpuTime() - cpu).Milliseconds()), "cpu-ms/sweep")
		}
	})
	b.Run("steady", func(b *testing.B) {
		for range b.N {
			if _, err := f.App.SLA.Sweep(ctx, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
