package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

type column struct{ name, class string }

// typeClass maps engine types to what they mean, so the two schemas can be
// compared: PostgreSQL's UUID is SQLite's TEXT, and so on.
func typeClass(t string) string {
	t = strings.ToUpper(t)
	switch {
	case t == "UUID" || t == "TEXT":
		return "text"
	case t == "BIGINT" || t == "INTEGER" || t == "INT8":
		return "int"
	case strings.HasPrefix(t, "TIMESTAMP"):
		return "time"
	case t == "DATE":
		return "date"
	case t == "BOOLEAN" || t == "BOOL":
		return "bool"
	case t == "BLOB" || t == "BYTEA":
		return "bytes"
	case t == "REAL" || strings.HasPrefix(t, "DOUBLE"):
		return "float"
	}
	return t
}

func sqliteSchema(t *testing.T, db *store.DB) map[string][]column {
	ctx := context.Background()
	rows, err := db.R().QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_fts%'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string][]column{}
	for _, tb := range tables {
		cr, err := db.R().QueryContext(ctx, fmt.Sprintf(`SELECT name, type FROM pragma_table_info('%s') ORDER BY cid`, tb))
		if err != nil {
			t.Fatal(err)
		}
		for cr.Next() {
			var n, ty string
			cr.Scan(&n, &ty)
			out[tb] = append(out[tb], column{n, typeClass(ty)})
		}
		cr.Close()
	}
	return out
}

func pgSchema(t *testing.T, db *store.DB) map[string][]column {
	rows, err := db.R().QueryContext(context.Background(), `SELECT table_name, column_name, upper(udt_name) FROM information_schema.columns
		WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][]column{}
	for rows.Next() {
		var tb, n, ty string
		rows.Scan(&tb, &n, &ty)
		switch ty {
		case "INT8":
			ty = "BIGINT"
		case "TIMESTAMPTZ":
			ty = "TIMESTAMP"
		case "FLOAT8":
			ty = "DOUBLE"
		}
		if tb == "search_docs" && n == "tsv" {
			continue // PostgreSQL's full-text column; SQLite keeps it in search_fts
		}
		out[tb] = append(out[tb], column{n, typeClass(ty)})
	}
	return out
}

// The migrations of both engines produce the same tables and columns with
// matching types, in the same order.
func TestMigrationsAgreeAcrossEngines(t *testing.T) {
	if !apptest.IsPG() {
		t.Skip("set CLOSELOOP_TEST_PG to compare with PostgreSQL")
	}
	ctx := context.Background()
	lite, err := store.Open(ctx, store.Config{DataDir: t.TempDir(), Decls: crm.Entities()})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := store.Open(ctx, store.Config{DSN: apptest.NewPGDatabase(t, apptest.PGURL()), Decls: crm.Entities()})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	a, b := sqliteSchema(t, lite), pgSchema(t, pg)
	var an, bn []string
	for k := range a {
		an = append(an, k)
	}
	for k := range b {
		bn = append(bn, k)
	}
	slices.Sort(an)
	slices.Sort(bn)
	if !slices.Equal(an, bn) {
		t.Fatalf("tables differ:\nsqlite   %v\npostgres %v", an, bn)
	}
	for _, tb := range an {
		if !slices.Equal(a[tb], b[tb]) {
			t.Errorf("table %s differs:\nsqlite   %v\npostgres %v", tb, a[tb], b[tb])
		}
	}
	va, _ := lite.SchemaVersion(ctx)
	vb, _ := pg.SchemaVersion(ctx)
	if va != vb || va == 0 {
		t.Errorf("schema versions %d vs %d", va, vb)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	f := apptest.NewFixture(t)
	db := f.DB()
	ctx := context.Background()
	c := f.Customer(t, f.Rep1, "上海宝钢设备有限公司")
	var n int
	if err := db.R().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE record_id = $1 AND action = 'create'`, c.ID()).Scan(&n); err != nil || n != 1 {
		t.Fatalf("create not audited: %d %v", n, err)
	}
	if _, err := db.W().ExecContext(ctx, `UPDATE audit_log SET action = 'x' WHERE record_id = $1`, c.ID()); err == nil {
		t.Error("UPDATE of the audit log was accepted")
	}
	if _, err := db.W().ExecContext(ctx, `DELETE FROM audit_log WHERE record_id = $1`, c.ID()); err == nil {
		t.Error("DELETE from the audit log was accepted")
	}
	if err := db.R().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE record_id = $1`, c.ID()).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit rows changed: %d %v", n, err)
	}
	// An update records old → new per field.
	_, err := f.App.Records.Update(ctx, f.Rep1, "customer", c.ID(), c.Version(), entity.Record{"level": "B", "region": "上海"})
	if err != nil {
		t.Fatal(err)
	}
	log, err := db.AuditLog(ctx, store.AuditFilter{Entity: "customer", RecordID: c.ID()})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != "update" || log[0].ActorID != f.Rep1.UserID {
		t.Fatalf("audit log: %+v", log)
	}
	if ch := log[0].Changes["level"]; ch.Old != nil || ch.New != "B" {
		t.Errorf("level change recorded as %+v", ch)
	}
	if _, ok := log[0].Changes["updated_at"]; ok {
		t.Error("bookkeeping fields should not clutter the audit entry")
	}
}

// Twenty concurrent updates based on the same version: exactly one wins,
// the others get a conflict and change nothing.
func TestConcurrentStaleUpdates(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	c := f.Customer(t, f.Rep1, "深圳迈瑞医疗器械有限公司")
	var ok, stale atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.App.Records.Update(ctx, f.Rep1, "customer", c.ID(), c.Version(), entity.Record{"region": fmt.Sprintf("区域%d", i)})
			switch {
			case err == nil:
				ok.Add(1)
			case errs.KindOf(err) == errs.Conflict:
				stale.Add(1)
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || stale.Load() != 19 {
		t.Fatalf("%d succeeded, %d stale; want 1 and 19", ok.Load(), stale.Load())
	}
	got, err := f.App.Records.Get(ctx, f.Rep1, "customer", c.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Version() != c.Version()+1 {
		t.Errorf("version %d, want %d", got.Version(), c.Version()+1)
	}
	var audits int
	f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE record_id = $1 AND action = 'update'`, c.ID()).Scan(&audits)
	if audits != 1 {
		t.Errorf("%d update audit rows, want 1", audits)
	}
}

// A savepoint that is rolled back takes its records' search rows with it,
// and a record written after it is not findable by the undone record's
// words (on SQLite it may get the same full-text row id).
func TestSavepointUndoesSearchRows(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	db := f.DB()
	ce := db.Schema().Entity("customer")
	kept := f.Customer(t, f.Admin, "杭州保留科技有限公司")
	failed := fmt.Errorf("rejected row")
	var undoneID, afterID string
	err := db.Write(ctx, func(tx *store.Tx) error {
		err := tx.Savepoint(ctx, func() error {
			r, err := f.App.Records.CreateTx(ctx, tx, f.Admin, "customer", entity.Record{"name": "宁波撤销贸易有限公司"})
			if err != nil {
				return err
			}
			undoneID = r.ID()
			return failed
		})
		if err != failed {
			return fmt.Errorf("savepoint returned %v, want the function's error", err)
		}
		r, err := f.App.Records.CreateTx(ctx, tx, f.Admin, "customer", entity.Record{"name": "温州之后电子有限公司"})
		if err != nil {
			return err
		}
		afterID = r.ID()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get(ctx, db.R(), ce, undoneID, store.True, false); errs.KindOf(err) != errs.NotFound {
		t.Errorf("the undone record: %v, want not found", err)
	}
	ids := func(q string) []string {
		hits, err := f.App.Records.Search(ctx, f.Admin, q, []string{"customer"}, 20)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, h.ID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids("撤销"); len(got) != 0 {
		t.Errorf("search for the undone record's words found %v", got)
	}
	if got := ids("之后"); !slices.Equal(got, []string{afterID}) {
		t.Errorf("search 之后 = %v, want %v", got, []string{afterID})
	}
	if got := ids("保留"); !slices.Equal(got, []string{kept.ID()}) {
		t.Errorf("search 保留 = %v, want %v", got, []string{kept.ID()})
	}
}

// Writes that run at the same time (on SQLite they share one transaction,
// see group.go) keep their own outcome: a failing or panicking write
// changes nothing and does not take the others with it.
func TestConcurrentWritesKeepTheirOwnOutcome(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	db := f.DB()
	const n = 40
	var wg sync.WaitGroup
	errsOut := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errsOut[i] = db.Write(ctx, func(tx *store.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)`, fmt.Sprintf("test.w%d", i), "x", store.Now()); err != nil {
					return err
				}
				switch i % 5 {
				case 1:
					return fmt.Errorf("write %d fails", i)
				case 2:
					if i%10 == 2 {
						panic(fmt.Sprintf("write %d panics", i))
					}
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i := range n {
		var got int
		db.R().QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE key = $1`, fmt.Sprintf("test.w%d", i)).Scan(&got)
		wantRow := 1
		switch {
		case i%5 == 1:
			if errsOut[i] == nil || !strings.Contains(errsOut[i].Error(), "fails") {
				t.Errorf("write %d: error %v, want its own", i, errsOut[i])
			}
			wantRow = 0
		case i%10 == 2:
			if p, _ := panics[i].(string); !strings.Contains(p, "panics") {
				t.Errorf("write %d: panic %v in the caller, want its own", i, panics[i])
			}
			wantRow = 0
		default:
			if errsOut[i] != nil || panics[i] != nil {
				t.Errorf("write %d: %v %v, want success", i, errsOut[i], panics[i])
			}
		}
		if got != wantRow {
			t.Errorf("write %d: %d rows, want %d", i, got, wantRow)
		}
	}
	// A write whose context has ended before it runs does nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	if err := db.Write(cctx, func(tx *store.Tx) error { ran = true; return nil }); err == nil || ran {
		t.Errorf("canceled write: err %v, ran %v", err, ran)
	}
}

// Team subtrees are remembered between requests, but a team change on this
// server is seen by the next request at once: a manager sees the records
// of a department created under their region straight away.
func TestTeamChangeSeenAtOnce(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	sys := access.SystemPrincipal()
	before, err := f.DB().LoadPrincipal(ctx, f.Manager.UserID)
	if err != nil {
		t.Fatal(err)
	}
	dept, err := f.App.Records.Create(ctx, sys, "team", entity.Record{"name": "天津销售部", "parent_id": f.North})
	if err != nil {
		t.Fatal(err)
	}
	after, err := f.DB().LoadPrincipal(ctx, f.Manager.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(before.Teams, dept.ID()) || !slices.Contains(after.Teams, dept.ID()) {
		t.Errorf("manager's teams before %v, after %v; the new department %s should appear after", before.Teams, after.Teams, dept.ID())
	}
}

// Audit and timeline rows are held back and written together, yet the
// transaction reads them as if written at once, and a savepoint rolled
// back takes only its own.
func TestHeldBackRowsReadAndUndoLikeWrittenOnes(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	db := f.DB()
	rec := store.NewID()
	count := func(q store.Querier) (audit, events int) {
		q.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE record_id = $1`, rec).Scan(&audit)
		q.QueryRowContext(ctx, `SELECT count(*) FROM timeline WHERE record_id = $1`, rec).Scan(&events)
		return
	}
	entry := func(action string) store.AuditEntry {
		return store.AuditEntry{ActorID: f.Admin.UserID, Entity: "customer", RecordID: rec, Action: action}
	}
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := db.Audit(ctx, tx, entry("create")); err != nil {
			return err
		}
		if err := db.AddEvent(ctx, tx, store.Event{Kind: "created", Entity: "customer", RecordID: rec}); err != nil {
			return err
		}
		if a, e := count(tx); a != 1 || e != 1 {
			return fmt.Errorf("inside the transaction: %d audit rows, %d events; want 1 and 1", a, e)
		}
		undone := tx.Savepoint(ctx, func() error {
			if err := db.Audit(ctx, tx, entry("update")); err != nil {
				return err
			}
			return fmt.Errorf("undo")
		})
		if undone == nil {
			return fmt.Errorf("savepoint should fail")
		}
		return db.Audit(ctx, tx, entry("update"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if a, e := count(db.R()); a != 2 || e != 1 {
		t.Errorf("after commit: %d audit rows, %d events; want 2 (create, the update kept) and 1", a, e)
	}
}

// A transaction that holds back more rows than one PostgreSQL statement
// can carry (65,535 parameters) still commits them all.
func TestManyHeldBackRowsCommit(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	db := f.DB()
	rec := store.NewID()
	const n = 9000 // 8 parameters an audit row: 72,000
	err := db.Write(ctx, func(tx *store.Tx) error {
		for i := range n {
			if err := db.Audit(ctx, tx, store.AuditEntry{ActorID: f.Admin.UserID, Entity: "customer", RecordID: rec, Action: fmt.Sprintf("update-%d", i)}); err != nil {
				return err
			}
			if i%3 == 0 {
				if err := db.AddEvent(ctx, tx, store.Event{Kind: "note", Entity: "customer", RecordID: rec}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var audit, events int
	db.R().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE record_id = $1`, rec).Scan(&audit)
	db.R().QueryRowContext(ctx, `SELECT count(*) FROM timeline WHERE record_id = $1`, rec).Scan(&events)
	if audit != n || events != n/3 {
		t.Errorf("committed %d audit rows and %d events; want %d and %d", audit, events, n, n/3)
	}
}
