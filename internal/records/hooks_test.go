package records_test

import (
	"context"
	"slices"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Two areas attach rules to one entity: both run, in order, and the field
// problems of both are reported together.
func TestHooksOfSeveralAreasChain(t *testing.T) {
	a := apptest.New(t)
	ctx := context.Background()
	sys := access.SystemPrincipal()
	var order []string
	// Teams already carry the customer base's hooks (paths, no deletion
	// while in use); a second area adds its own.
	a.Records.On("team", records.Hooks{
		Prepare: func(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
			order = append(order, "prepare")
			if rec.Str("name") == "坏名字" {
				return errs.Validation([]errs.FieldError{{Field: "name", Code: "invalid_option"}})
			}
			return nil
		},
		After: func(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
			order = append(order, "after")
			if ch.New.Str("path") == "" {
				t.Error("the second hook ran before the first derived the path")
			}
			return nil
		},
	})
	if _, err := a.Records.Create(ctx, sys, "team", entity.Record{"name": "华东区"}); err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != "prepare" || order[1] != "after" {
		t.Errorf("hooks ran %v", order)
	}
	_, err := a.Records.Create(ctx, sys, "team", entity.Record{"name": "坏名字", "parent_id": "01900000-0000-7000-8000-000000000001"})
	e := errs.As(err)
	if e == nil || len(e.Fields) != 2 {
		t.Fatalf("problems of both hooks and the reference check: %v", err)
	}
}

// CreateManyTx writes records together only when every area hooking the
// entity declared ProbeMany: a hook without one may read rows an earlier
// record of the group writes, so it sees them written one by one.
func TestCreateManyTogetherOnlyWhenEveryAreaProbes(t *testing.T) {
	for _, c := range []struct {
		name      string
		probes    bool
		wantSeen  []int // customers the added Prepare saw, record by record
		wantProbe int   // calls of the added ProbeMany
	}{
		{"area declares ProbeMany", true, []int{0, 0, 0}, 1},
		{"area without ProbeMany", false, []int{0, 1, 2}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := apptest.New(t)
			ctx := context.Background()
			sys := access.SystemPrincipal()
			var seen []int
			probed := 0
			h := records.Hooks{Prepare: func(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customers`).Scan(&n); err != nil {
					return err
				}
				seen = append(seen, n)
				return nil
			}}
			if c.probes {
				h.ProbeMany = func(ctx context.Context, q store.Querier, recs []entity.Record) (bool, error) {
					probed++
					return false, nil
				}
			}
			a.Records.On("customer", h)
			err := a.DB.Write(ctx, func(tx *store.Tx) error {
				_, err := a.Records.CreateManyTx(ctx, tx, sys, "customer", []entity.Record{{"name": "甲机械有限公司"}, {"name": "乙机械有限公司"}, {"name": "丙机械有限公司"}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seen, c.wantSeen) || probed != c.wantProbe {
				t.Errorf("Prepare saw %v customers, ProbeMany called %d times; want %v and %d", seen, probed, c.wantSeen, c.wantProbe)
			}
		})
	}
}
