package records_test

import (
	"context"
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
