package access

import "testing"

func TestUpgradeRoles(t *testing.T) {
	declared := func(e string) bool { return e != "undeclared" }
	shipped := []Role{
		{Code: "sales", BuiltIn: true, Perms: map[string]Perm{"customer": {Read: Own}, "ticket": {Read: Own}, "undeclared": {Read: All}}},
		{Code: "field_engineer", BuiltIn: true, Perms: map[string]Perm{"customer": {Read: All}, "ticket": {Read: Own}, "undeclared": {Read: All}}},
	}
	stored := []Role{
		// The admin narrowed customers to none: that stays.
		{Code: "sales", BuiltIn: true, Perms: map[string]Perm{"customer": {}}},
		{Code: "auditor", Perms: map[string]Perm{"customer": {Read: All}}},
	}
	got := UpgradeRoles(stored, shipped, declared)
	if len(got) != 2 || got[0].Code != "field_engineer" || got[1].Code != "sales" {
		t.Fatalf("roles to save: %+v", got)
	}
	fe, sales := got[0], got[1]
	if _, ok := fe.Perms["undeclared"]; ok || fe.Perms["ticket"].Read != Own || fe.Perms["customer"].Read != All {
		t.Errorf("added role: %+v", fe.Perms)
	}
	if sales.Perms["customer"].Read != None || sales.Perms["ticket"].Read != Own {
		t.Errorf("upgraded sales: %+v", sales.Perms)
	}
	if _, ok := sales.Perms["undeclared"]; ok {
		t.Error("a right on an undeclared record was added")
	}
	// Run again on the upgraded set: nothing more to do.
	if again := UpgradeRoles([]Role{fe, sales, stored[1]}, shipped, declared); len(again) != 0 {
		t.Errorf("second upgrade: %+v", again)
	}
}
