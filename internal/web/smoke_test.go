package web_test

import (
	"net/http"
	"testing"
)

// Every page renders for an admin on a small data set.
func TestPagesRender(t *testing.T) {
	e := newEnv(t)
	c := e.Customer(t, e.Rep1, "北京华为技术有限公司", "level", "A", "phone", "13812345678")
	b := e.as(t, e.Admin)
	for _, p := range []string{
		"/", "/customers", "/customers/new", "/customers/" + c.ID(), "/customers/" + c.ID() + "/edit", "/customers/import",
		"/contacts", "/contacts/new", "/leads", "/leads/new?source=exhibition", "/activities", "/activities/new",
		"/pool", "/pool?tab=leads", "/search?q=华为", "/settings", "/settings/users", "/settings/users/new", "/settings/teams",
		"/settings/teams/new", "/settings/roles", "/settings/roles/new", "/settings/roles/sales", "/settings/picklists",
		"/settings/picklists/source", "/settings/fields", "/settings/pool", "/settings/audit", "/account",
		"/settings/users/" + e.Rep1.UserID, "/settings/teams/" + e.North,
	} {
		r := b.get(p)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d\n%s", p, r.status, snippet(r.body))
		}
	}
}
