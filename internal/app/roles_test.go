package app_test

import (
	"context"
	"encoding/json"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/apptest"
)

// A database seeded by an older build (no after-sales roles, no rights on
// tickets) gains them on the next start; an admin's own narrowing stays.
func TestStartUpgradesAnOlderBuildsRoles(t *testing.T) {
	ctx := context.Background()
	cfg := apptest.Config(t)
	cfg.NoJobs = true
	a, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := a.DB
	// Make it look like the older build: no field engineers, nobody has
	// heard of tickets; and the admin took customers away from sales.
	if _, err := db.W().ExecContext(ctx, `DELETE FROM roles WHERE code = $1`, access.RoleFieldEngineer); err != nil {
		t.Fatal(err)
	}
	roles, err := db.Roles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		delete(r.Perms, "ticket")
		if r.Code == access.RoleSales {
			r.Perms["customer"] = access.Perm{}
		}
		perms, _ := json.Marshal(r.Perms)
		if _, err := db.W().ExecContext(ctx, `UPDATE roles SET perms = $1 WHERE code = $2`, string(perms), r.Code); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()

	a, err = app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	roles, err = a.DB.Roles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]access.Role{}
	for _, r := range roles {
		got[r.Code] = r
	}
	if _, ok := got[access.RoleFieldEngineer]; !ok {
		t.Error("the field engineer role was not added")
	}
	if got[access.RoleSales].Perms["ticket"].Read != access.Own || got[access.RoleService].Perms["ticket"].Read != access.All {
		t.Errorf("ticket rights: sales %+v service %+v", got[access.RoleSales].Perms["ticket"], got[access.RoleService].Perms["ticket"])
	}
	if got[access.RoleSales].Perms["customer"].Read != access.None {
		t.Errorf("the admin's narrowing of sales was undone: %+v", got[access.RoleSales].Perms["customer"])
	}
}
