package sla_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

var ctx = context.Background()

// fixture is the organisation with a service agent in the south region,
// whose team lead is the manager and whose company head is the admin.
type fixture struct {
	*apptest.Fixture
	agent *access.Principal
}

func newFixture(t testing.TB) *fixture {
	f := apptest.NewFixture(t)
	fx := &fixture{Fixture: f, agent: f.Service}
	fx.exec(t, `UPDATE teams SET manager_id = $1 WHERE id = $2`, f.Manager.UserID, f.South)
	fx.exec(t, `UPDATE teams SET manager_id = $1 WHERE id = $2`, f.Admin.UserID, f.Company)
	return fx
}

func (f *fixture) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := f.App.DB.W().ExecContext(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.App.DB.R().QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (f *fixture) ticket(t testing.TB, priority, kind string, extra ...any) entity.Record {
	t.Helper()
	in := entity.Record{"subject": "设备无法开机", "kind": kind, "priority": priority, "channel": crm.ChannelPhone, "description": "断电后无法开机"}
	for i := 0; i+1 < len(extra); i += 2 {
		in[extra[i].(string)] = extra[i+1]
	}
	tk, err := f.App.Tickets.Create(ctx, f.agent, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// set writes a ticket as the ticket process would.
func (f *fixture) set(t testing.TB, id string, set entity.Record) entity.Record {
	t.Helper()
	e := f.App.DB.Schema().Entity("ticket")
	var out entity.Record
	err := f.App.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := f.App.DB.Get(ctx, tx, e, id, store.True, false)
		if err != nil {
			return err
		}
		out, err = f.App.Records.SetTx(recordsProcess(ctx), tx, access.SystemPrincipal(), e, old, set)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) instant(t testing.TB, id, col string) time.Time {
	t.Helper()
	var v any
	if err := f.App.DB.R().QueryRowContext(ctx, `SELECT `+col+` FROM tickets WHERE id = $1`, id).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return timeOf(v)
}

func timeOf(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return entity.CanonTime(x)
	case []byte:
		return timeOf(string(x))
	case string:
		for _, l := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano} {
			if t, err := time.Parse(l, x); err == nil {
				return entity.CanonTime(t)
			}
		}
	}
	return time.Time{}
}

// cloneTickets copies a ticket n times by SQL (bulk: tests and the
// benchmark), with the given status and sweep instants. The copies are
// created (and last updated) one after another, evenly over [from, to),
// with UUIDv7 ids of their creation time, as the system gives them: the
// ids and updated_at of a million tickets then lie in the indexes where
// real ones would, not all at one instant in random order.
func cloneTickets(t testing.TB, db *store.DB, templateID string, n int, status string, breachAt, warnAt any, from, to time.Time) {
	t.Helper()
	from = entity.CanonTime(from)
	step := max(to.Sub(from).Microseconds()/int64(n), 1) // µs between two copies
	// $6 + seq.i: the copy's creation, in µs since the epoch.
	us := "(CAST($6 AS BIGINT) + seq.i * CAST($7 AS BIGINT))"
	ms := us + " / 1000"
	id := `printf('%08x-%04x', ` + ms + ` >> 16, ` + ms + ` & 65535) || '-7' || substr(lower(hex(randomblob(2))), 2) || '-' ||
		substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))`
	at := `strftime('%Y-%m-%d %H:%M:%S', ` + us + ` / 1000000, 'unixepoch') || printf('.%06d+00:00', ` + us + ` % 1000000)`
	if db.Dialect == store.Postgres {
		id = `(lpad(to_hex(` + ms + ` >> 16), 8, '0') || '-' || lpad(to_hex(` + ms + ` & 65535), 4, '0') || '-7' ||
			substr(md5(random()::text), 1, 3) || '-8' || substr(md5(random()::text), 1, 3) || '-' || substr(md5(random()::text), 1, 12))::uuid`
		at = `to_timestamp(` + us + ` / 1000000.0)`
	}
	const chunk = 10000
	run := store.NewID()[24:]
	for done := 0; done < n; done += chunk {
		k := min(chunk, n-done)
		q := fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM seq WHERE i < %d)
		INSERT INTO tickets (id, number, subject, kind, channel, priority, status, customer_id, description, sla_policy_id, sla_state,
			first_response_due_at, resolution_due_at, first_responded_at, escalation_level, reopen_count, version, created_at, updated_at, owner_id, team_id,
			sla_breach_at, sla_warn_at, sla_response_minutes, sla_resolution_minutes, sla_warn_percent, sla_calendar_id, sla_paused_seconds, sla_cycle)
		SELECT %s, 'BULK-' || $4 || '-' || CAST(seq.i AS TEXT), subject, kind, channel, priority, $1, customer_id, description, sla_policy_id, sla_state,
			first_response_due_at, resolution_due_at, first_responded_at, 0, 0, 1, %s, %s, owner_id, team_id,
			$2, $3, sla_response_minutes, sla_resolution_minutes, sla_warn_percent, sla_calendar_id, 0, 0
		FROM tickets, seq WHERE tickets.id = $5`, done, done+k-1, id, at, at)
		if _, err := db.W().ExecContext(ctx, q, status, breachAt, warnAt, run, templateID, from.UnixMicro(), step); err != nil {
			t.Fatalf("clone tickets: %v", err)
		}
	}
}
