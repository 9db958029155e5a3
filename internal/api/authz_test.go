package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/api"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/httpx"
	"closeloop/internal/records"
)

// client calls the API as one user with a personal token.
type client struct {
	t     *testing.T
	base  string
	token string
	name  string
}

func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		c.t.Errorf("%s %s %s: %d %s", c.name, method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, b
}

// newServer serves the API with the production middleware (the web UI is
// tested in its own package).
func newServer(t *testing.T, f *apptest.Fixture) string {
	t.Helper()
	var h http.Handler = api.New(f.App)
	h = httpx.Authenticate(f.App.Auth, h)
	h = http.NewCrossOriginProtection().Handler(h)
	h = httpx.Observe(slog.New(slog.NewTextHandler(io.Discard, nil)), h)
	h = httpx.RequestID(h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func tokenFor(t *testing.T, f *apptest.Fixture, p *access.Principal, scope string) string {
	t.Helper()
	plain, _, err := f.App.Auth.CreateToken(context.Background(), access.SystemPrincipal(), p.UserID, "test", scope, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// row is a record of the matrix with what decides its visibility.
type row struct {
	ent, res, id string
	owner, team  string
	pooled       bool
	parents      []row // records it is visible through (contacts, activities)
}

func sees(p *access.Principal, s access.Scope, r row) bool {
	if p.Sees(s, r.pooled, r.owner, r.team) && (r.ent == "customer" || r.ent == "lead" || r.ent == "activity") {
		return true
	}
	for _, pr := range r.parents {
		if p.Sees(s, pr.pooled, pr.owner, pr.team) {
			return true
		}
	}
	return false
}

// expect is the policy oracle: the status an action should answer.
func expect(p *access.Principal, r row, action string) int {
	perm := p.Perm(r.ent)
	read := sees(p, perm.Read, r)
	var allowed bool
	switch action {
	case "read":
		if read {
			return 200
		}
		return 404
	case "write", "consent":
		allowed = sees(p, perm.Write, r)
	case "delete":
		allowed = sees(p, perm.Delete, r)
	case "assign":
		if !p.CanAssign() {
			return 403 // the route itself is forbidden, whatever the record
		}
		allowed = sees(p, perm.Write, r)
	}
	switch {
	case allowed:
		return 200
	case read:
		return 403
	}
	return 404
}

// The authorization matrix: every route × role × relation of the record to
// the caller (own, same team, other team, pool, missing), compared with the
// one policy table (access.DefaultRoles via Principal.Perm/Sees); lists,
// search and export compared by id set.
func TestAuthorizationMatrix(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := records.AllowDuplicates(context.Background())
	base := newServer(t, f)
	r := f.App.Records
	mk := func(p *access.Principal, ent string, rec entity.Record) entity.Record {
		out, err := r.Create(ctx, p, ent, rec)
		if err != nil {
			t.Fatalf("create %s: %v", ent, err)
		}
		return out
	}
	var rows []row
	add := func(ent, res string, rec entity.Record, parents ...row) row {
		rw := row{ent: ent, res: res, id: rec.ID(), owner: rec.Str("owner_id"), team: rec.Str("team_id"), parents: parents}
		rw.pooled = (ent == "customer" || ent == "lead") && rw.owner == ""
		rows = append(rows, rw)
		return rw
	}
	custs := map[string]row{}
	for _, o := range []struct {
		key string
		p   *access.Principal
	}{{"rep1", f.Rep1}, {"rep2", f.Rep2}, {"rep3", f.Rep3}} {
		c := mk(o.p, "customer", entity.Record{"name": "矩阵客户" + o.key, "phone": "1380000" + fmt.Sprint(len(custs)+1000)})
		custs[o.key] = add("customer", "customers", c)
		ct := mk(o.p, "contact", entity.Record{"customer_id": c.ID(), "name": "矩阵联系人" + o.key, "phone": "1390000" + fmt.Sprint(len(custs)+2000)})
		add("contact", "contacts", ct, custs[o.key])
		a := mk(o.p, "activity", entity.Record{"kind": "call", "subject": "矩阵电话" + o.key, "customer_id": c.ID()})
		add("activity", "activities", a, custs[o.key])
		l := mk(o.p, "lead", entity.Record{"name": "矩阵线索" + o.key, "source": "web"})
		lr := add("lead", "leads", l)
		la := mk(o.p, "activity", entity.Record{"kind": "note", "subject": "线索备注" + o.key, "lead_id": l.ID()})
		add("activity", "activities", la, lr)
	}
	pc := mk(f.Admin, "customer", entity.Record{"name": "矩阵公海客户", "owner_id": nil})
	pcr := add("customer", "customers", pc)
	pct := mk(f.Admin, "contact", entity.Record{"customer_id": pc.ID(), "name": "矩阵公海联系人"})
	add("contact", "contacts", pct, pcr)
	pl := mk(f.Admin, "lead", entity.Record{"name": "矩阵公海线索", "source": "exhibition", "owner_id": nil})
	add("lead", "leads", pl)
	// The manager's visit on rep1's customer: rep1 sees it through the customer.
	ca := mk(f.Manager, "activity", entity.Record{"kind": "visit", "subject": "经理陪访", "customer_id": custs["rep1"].id})
	add("activity", "activities", ca, custs["rep1"])

	actors := []*access.Principal{f.Admin, f.Manager, f.Rep1, f.Rep3, f.Presales, f.Service}
	admin := &client{t: t, base: base, token: tokenFor(t, f, f.Admin, "write"), name: "admin"}
	patchField := map[string]string{"customer": "region", "contact": "title", "lead": "region", "activity": "summary"}
	version := func(rw row) int64 {
		_, b := admin.do("GET", "/api/v1/"+rw.res+"/"+rw.id, nil)
		var m map[string]any
		json.Unmarshal(b, &m)
		v, _ := m["version"].(float64)
		return int64(v)
	}
	checks := 0
	for _, p := range actors {
		c := &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
		for _, rw := range rows {
			check := func(action, method, path string, body any) {
				want := expect(p, rw, action)
				got, b := c.do(method, path, body)
				if got == 204 {
					got = 200
				}
				if got != want {
					t.Errorf("%s %s %s (%s owned by %s): got %d, want %d: %s", p.Name, method, path, rw.ent, rw.owner, got, want, b)
				}
				checks++
			}
			item := "/api/v1/" + rw.res + "/" + rw.id
			check("read", "GET", item, nil)
			check("write", "PATCH", item, map[string]any{"version": version(rw), patchField[rw.ent]: "矩阵修改 " + p.Name})
			if rw.ent == "customer" {
				check("read", "GET", item+"/timeline", nil)
			}
			if rw.ent == "contact" {
				check("consent", "POST", item+"/consent", map[string]any{"method": "phone", "marketing_consent": "granted"})
			}
			if rw.ent == "customer" || rw.ent == "lead" {
				target := p.UserID
				want := expect(p, rw, "assign")
				got, b := c.do("POST", item+"/assign", map[string]any{"owner_id": target})
				if got != want {
					t.Errorf("%s assign %s %s: got %d, want %d: %s", p.Name, rw.ent, rw.owner, got, want, b)
				}
				checks++
				if got == 200 && rw.owner != target {
					// Put it back as it was, so the next actor sees the same relation.
					if rw.owner == "" {
						admin.do("POST", item+"/release", map[string]any{"reason": "other"})
					} else {
						admin.do("POST", item+"/assign", map[string]any{"owner_id": rw.owner})
					}
				}
			}
			want := expect(p, rw, "delete")
			got, b := c.do("DELETE", item, nil)
			if got == 204 {
				got = 200
			}
			if got != want {
				t.Errorf("%s DELETE %s (%s owned by %s): got %d, want %d: %s", p.Name, item, rw.ent, rw.owner, got, want, b)
			}
			checks++
			if got == 200 {
				if st, b := admin.do("POST", item+"/restore", nil); st != 200 {
					t.Fatalf("restore: %d %s", st, b)
				}
			}
		}
		missing := "01900000-0000-7000-8000-00000000dead"
		for _, res := range []string{"customers", "contacts", "leads", "activities"} {
			for _, m := range []string{"GET", "PATCH", "DELETE"} {
				if st, _ := c.do(m, "/api/v1/"+res+"/"+missing, map[string]any{"version": 1}); st != 404 {
					t.Errorf("%s %s missing %s: %d", p.Name, m, res, st)
				}
				checks++
			}
			if st, _ := c.do("GET", "/api/v1/"+res+"/not-an-id", nil); st != 404 {
				t.Errorf("%s GET malformed id: %d", p.Name, st)
			}
		}

		// Lists, search and export compared by id set.
		for _, res := range []string{"customers", "contacts", "leads", "activities"} {
			var want []string
			var ent string
			for _, rw := range rows {
				if rw.res == res {
					ent = rw.ent
					if expect(p, rw, "read") == 200 {
						want = append(want, rw.id)
					}
				}
			}
			st, b := c.do("GET", "/api/v1/"+res+"?limit=500", nil)
			if p.Perm(ent).Read == access.None {
				if st != 403 {
					t.Errorf("%s list %s: %d", p.Name, res, st)
				}
				continue
			}
			var page struct {
				Items []map[string]any `json:"items"`
			}
			json.Unmarshal(b, &page)
			var got []string
			for _, it := range page.Items {
				got = append(got, it["id"].(string))
			}
			sameSet(t, p.Name+" list "+res, got, want)

			st, b = c.do("GET", "/api/v1/"+res+"/export?format=csv", nil)
			if !p.Perm(ent).Export {
				if st != 403 {
					t.Errorf("%s export %s without the right: %d", p.Name, res, st)
				}
				continue
			}
			sameSet(t, p.Name+" export "+res, csvIDs(t, b), want)
		}
		st, b := c.do("GET", "/api/v1/search?q=矩阵&limit=100", nil)
		if st != 200 {
			t.Fatalf("search: %d %s", st, b)
		}
		var sr struct {
			Items []struct{ Type, ID string } `json:"items"`
		}
		json.Unmarshal(b, &sr)
		var got, want []string
		for _, it := range sr.Items {
			got = append(got, it.ID)
		}
		for _, rw := range rows {
			if rw.ent != "activity" && expect(p, rw, "read") == 200 {
				want = append(want, rw.id)
			}
		}
		sameSet(t, p.Name+" search", got, want)
	}
	if checks < 300 {
		t.Errorf("only %d checks ran", checks)
	}
	t.Logf("%d route × role × relation checks", checks)
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %d ids %v, want %d ids %v", what, len(got), got, len(want), want)
	}
}

func csvIDs(t *testing.T, b []byte) []string {
	t.Helper()
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("export is not CSV: %v", err)
	}
	col := slices.Index(rows[0], "编号")
	if col < 0 {
		t.Fatalf("no id column in %v", rows[0])
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, strings.TrimSpace(r[col]))
	}
	return out
}
