package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// resolvedTicket opens and resolves a ticket of the fixture's service
// agent (the ticket steps are another part's: the status is set as a
// process).
func resolvedTicket(t *testing.T, f *apptest.Fixture, kind, cause string) entity.Record {
	t.Helper()
	ctx := context.Background()
	cust := f.Customer(t, f.Rep1, "苏州恒瑞精密机械有限公司"+kind)
	tk, err := f.App.Tickets.Create(ctx, f.Service, entity.Record{"subject": "相机掉线", "kind": kind, "description": "间歇性掉线", "customer_id": cust.ID()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	te := f.App.DB.Schema().Entity("ticket")
	err = f.App.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := f.App.DB.Get(ctx, tx, te, tk.ID(), store.True, false)
		if err != nil {
			return err
		}
		_, err = f.App.Records.SetTx(records.AsProcess(ctx), tx, f.Service, te, old, entity.Record{"status": crm.TicketResolved, "cause": cause, "resolution": "换线", "resolved_at": store.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestFeedbackReportsAuthorization(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	mgr := f.AddUser(t, "钱主管", "qian@example.com", f.Company, access.RoleServiceManager)
	tk := resolvedTicket(t, f, crm.TicketRepair, "product_defect")
	call := func(p *access.Principal) *client {
		return &client{t: t, base: base, token: tokenFor(t, f, p, "write"), name: p.Name}
	}
	// Survey results: the agent sees their team, the manager all, a rep
	// of another team nothing of theirs.
	for _, c := range []struct {
		p       *access.Principal
		scope   string
		surveys int
	}{{mgr, "all", 1}, {f.Service, "team", 1}, {f.Rep3, "own", 0}, {f.Admin, "all", 1}} {
		st, body := call(c.p).do("GET", "/api/v1/reports/surveys?group=agent", nil)
		var rep struct {
			Scope string `json:"scope"`
			Total struct {
				Surveys int `json:"surveys"`
			} `json:"total"`
		}
		if st != http.StatusOK || json.Unmarshal(body, &rep) != nil || rep.Scope != c.scope || rep.Total.Surveys != c.surveys {
			t.Errorf("%s: %d %s", c.p.Name, st, body)
		}
	}
	for _, bad := range []string{"group=colour", "from=2026-13-40", "from=2026-05-02&to=2026-05-01", "team_id=abc", "kind=nope"} {
		if st, body := call(mgr).do("GET", "/api/v1/reports/ticket-causes?"+bad, nil); st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, st, body)
		}
	}
	st, body := call(mgr).do("GET", "/api/v1/reports/ticket-causes?group=cause", nil)
	if st != http.StatusOK || !strings.Contains(string(body), `"product_defect"`) {
		t.Errorf("cause review %d %s", st, body)
	}
	if !strings.Contains(string(body), `"label":"产品缺陷"`) {
		t.Errorf("cause review rows are not named by their label: %s", body)
	}
	if st, _ := (&client{t: t, base: base, token: "nope"}).do("GET", "/api/v1/reports/surveys", nil); st != http.StatusUnauthorized {
		t.Errorf("no token: %d", st)
	}
	if st, body := call(mgr).do("GET", "/api/v1/reports/ticket-causes/export?format=xlsx", nil); st != http.StatusOK || !strings.HasPrefix(string(body), "PK") {
		t.Errorf("export %d", st)
	}
	if st, _ := call(mgr).do("GET", "/api/v1/reports/surveys/export?format=pdf", nil); st != http.StatusUnprocessableEntity && st != http.StatusBadRequest {
		t.Errorf("bad export format: %d", st)
	}
	// An item from the review, routed to pre-sales, its tickets linked.
	st, body = call(mgr).do("POST", "/api/v1/improvement-items/from-review", map[string]any{"title": "相机线缆加固", "cause": "product_defect", "owner_id": f.Presales.UserID})
	var item struct {
		ID          string `json:"id"`
		TicketCount int    `json:"ticket_count"`
		OwnerID     string `json:"owner_id"`
	}
	if st != http.StatusCreated || json.Unmarshal(body, &item) != nil || item.TicketCount != 1 || item.OwnerID != f.Presales.UserID {
		t.Fatalf("from review: %d %s", st, body)
	}
	if st, body := call(f.Presales).do("POST", "/api/v1/improvement-items/"+item.ID+"/step", map[string]any{"step": "verify"}); st != http.StatusUnprocessableEntity {
		t.Errorf("verify an open item: %d %s", st, body)
	}
	if st, body := call(f.Presales).do("POST", "/api/v1/improvement-items/"+item.ID+"/step", map[string]any{"step": "start"}); st != http.StatusOK {
		t.Errorf("start: %d %s", st, body)
	}
	// The knowledge article, once; the survey link to copy.
	if st, body := call(f.Admin).do("POST", "/api/v1/tickets/"+tk.ID()+"/knowledge-article", nil); st != http.StatusCreated {
		t.Errorf("article: %d %s", st, body)
	}
	if st, _ := call(f.Admin).do("POST", "/api/v1/tickets/"+tk.ID()+"/knowledge-article", nil); st != http.StatusOK {
		t.Errorf("article again: %d", st)
	}
	var sid string
	if err := f.App.DB.R().QueryRowContext(context.Background(), `SELECT id FROM surveys WHERE ticket_id = $1`, tk.ID()).Scan(&sid); err != nil {
		t.Fatal(err)
	}
	if st, body := call(f.Service).do("POST", "/api/v1/surveys/"+sid+"/link", nil); st != http.StatusCreated || !strings.Contains(string(body), "/survey/") {
		t.Errorf("link: %d %s", st, body)
	}
	if st, _ := call(f.Rep3).do("POST", "/api/v1/surveys/"+sid+"/link", nil); st != http.StatusForbidden && st != http.StatusNotFound {
		t.Errorf("link by a rep of another team: %d", st)
	}
}
