// Package apptest builds a real App for tests: on SQLite in a temporary
// directory, or — when CLOSELOOP_TEST_PG holds a PostgreSQL URL — on a
// fresh PostgreSQL database created for the test and dropped after it. The
// whole suite runs once per engine; no mocks.
package apptest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// PGURL is the PostgreSQL server tests use, or "".
func PGURL() string { return os.Getenv("CLOSELOOP_TEST_PG") }

var dbSeq atomic.Int64

// Config returns a configuration on a fresh database; cleanup drops it.
func Config(t testing.TB) app.Config {
	t.Helper()
	cfg := app.Config{DataDir: t.TempDir(), Synchronous: "NORMAL", TimeZone: "Asia/Shanghai", Addr: "127.0.0.1:0"}
	if base := PGURL(); base != "" {
		cfg.DB = NewPGDatabase(t, base)
	}
	return cfg
}

// NewPGDatabase creates an empty database on the server of base and
// returns its URL; it is dropped when the test ends.
func NewPGDatabase(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("cl_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, dbSeq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return u.String()
}

// New opens an App on a fresh database.
func New(t testing.TB) *app.App {
	t.Helper()
	cfg := Config(t)
	cfg.NoJobs = true
	a, err := app.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// Fixture is a small organisation: a company with two regions, a manager
// over the north region, two reps in its sales department, one rep in the
// south, an admin and a pre-sales engineer.
type Fixture struct {
	App                               *app.App
	Company, North, NorthSales, South string // team ids
	Admin, Manager, Rep1, Rep2, Rep3  *access.Principal
	Presales, Service                 *access.Principal
}

// Password is every fixture user's password.
const Password = "correct horse battery"

// NewFixture opens an App and creates the organisation.
func NewFixture(t testing.TB) *Fixture {
	t.Helper()
	a := New(t)
	return Populate(t, a)
}

// Populate creates the fixture organisation in an open App.
func Populate(t testing.TB, a *app.App) *Fixture {
	t.Helper()
	ctx := context.Background()
	sys := access.SystemPrincipal()
	f := &Fixture{App: a}
	team := func(name, parent string) string {
		rec := entity.Record{"name": name}
		if parent != "" {
			rec["parent_id"] = parent
		}
		r, err := a.Records.Create(ctx, sys, "team", rec)
		if err != nil {
			t.Fatalf("create team %s: %v", name, err)
		}
		return r.ID()
	}
	f.Company = team("华东科技集团", "")
	f.North = team("华北大区", f.Company)
	f.NorthSales = team("北京销售部", f.North)
	f.South = team("华南大区", f.Company)
	user := func(name, email, teamID string, roles ...string) *access.Principal {
		rec := entity.Record{"name": name, "email": email, "roles": roles}
		if teamID != "" {
			rec["team_id"] = teamID
		}
		u, err := a.Auth.CreateUser(ctx, sys, rec, Password)
		if err != nil {
			t.Fatalf("create user %s: %v", email, err)
		}
		p, err := a.DB.LoadPrincipal(ctx, u.ID())
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.Admin = user("系统管理员", "admin@example.com", f.Company, access.RoleAdmin)
	f.Manager = user("王经理", "wang@example.com", f.North, access.RoleManager)
	f.Rep1 = user("张伟", "zhangwei@example.com", f.NorthSales, access.RoleSales)
	f.Rep2 = user("李娜", "lina@example.com", f.NorthSales, access.RoleSales)
	f.Rep3 = user("陈静", "chenjing@example.com", f.South, access.RoleSales)
	f.Presales = user("刘洋", "liuyang@example.com", f.Company, access.RolePresales)
	f.Service = user("赵敏", "zhaomin@example.com", f.South, access.RoleService)
	return f
}

// Reload refreshes a principal (after role or team changes).
func (f *Fixture) Reload(t testing.TB, p *access.Principal) *access.Principal {
	t.Helper()
	np, err := f.App.DB.LoadPrincipal(context.Background(), p.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return np
}

// Customer creates a customer owned by p (duplicates allowed).
func (f *Fixture) Customer(t testing.TB, p *access.Principal, name string, extra ...any) entity.Record {
	t.Helper()
	rec := entity.Record{"name": name}
	for i := 0; i+1 < len(extra); i += 2 {
		rec[extra[i].(string)] = extra[i+1]
	}
	r, err := f.App.Records.Create(ctxAllowDup(), p, "customer", rec)
	if err != nil {
		t.Fatalf("create customer %s: %v", name, err)
	}
	return r
}

// DB returns the store, for assertions that read tables directly.
func (f *Fixture) DB() *store.DB { return f.App.DB }

// IsPG reports whether tests run on PostgreSQL.
func IsPG() bool { return strings.TrimSpace(PGURL()) != "" }

func ctxAllowDup() context.Context {
	return records.AllowDuplicates(context.Background())
}

// AddUser creates another user of the organisation (a second pre-sales
// engineer, a pre-sales manager …) and returns their principal.
func (f *Fixture) AddUser(t testing.TB, name, email, teamID string, roles ...string) *access.Principal {
	t.Helper()
	ctx := context.Background()
	rec := entity.Record{"name": name, "email": email, "roles": roles}
	if teamID != "" {
		rec["team_id"] = teamID
	}
	u, err := f.App.Auth.CreateUser(ctx, access.SystemPrincipal(), rec, Password)
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	p, err := f.App.DB.LoadPrincipal(ctx, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// NearMiss is a public-link token one character away from tok, never tok
// itself: it changes the first character (the last carries only a few
// bits, so a fixed replacement there is the real one now and then).
func NearMiss(tok string) string {
	if tok == "" {
		return "A"
	}
	if tok[0] == 'A' {
		return "B" + tok[1:]
	}
	return "A" + tok[1:]
}
