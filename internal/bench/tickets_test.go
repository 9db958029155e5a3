package bench

import (
	"context"
	"sync"
	"testing"
)

var ticketsOnce sync.Once

// BenchmarkTicketQueue: the agent's queue page and API for an agent, a
// team lead and an admin, at 4 connections (bar on 1M tickets, 10 % open:
// page p95 ≤ 30 ms). The tickets (ten per customer of the set) are made
// the first time on the set the other benchmarks use.
func BenchmarkTicketQueue(b *testing.B) {
	e := setupTarget(b)
	var err error
	ticketsOnce.Do(func() {
		_, err = GenTickets(context.Background(), e.App, 10*envInt("CLOSELOOP_BENCH_SIZE", 1000), 1, nil)
	})
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		r, err := e.BenchQueue(context.Background(), load(4))
		if err != nil {
			b.Fatal(err)
		}
		if r.Open == 0 {
			b.Fatal("no open tickets")
		}
		for _, x := range []struct {
			name string
			r    Result
		}{{"agent-page-", r.AgentPage}, {"lead-page-", r.LeadPage}, {"admin-page-", r.AdminPage}, {"agent-api-", r.AgentAPI}, {"lead-api-", r.LeadAPI}, {"admin-api-", r.AdminAPI}} {
			reportResult(b, x.name, x.r)
			b.ReportMetric(float64(x.r.P(0.95))/1e6, x.name+"p95-ms")
		}
	}
}
