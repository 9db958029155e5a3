package bench

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"closeloop/internal/store"
)

// ListReport compares a list page through the API (and the HTML page)
// with the raw SELECT the product issues for it.
type ListReport struct {
	API, HTML, Raw Result
	// Rows is the mean number of rows per page (pages of 50 when full).
	Rows float64
}

type listCase struct {
	path   string // /api/v1/customers?…
	html   string // /customers?…
	token  string
	cookie string
	sql    string
	args   []any
}

// listCases prepares, for up to 20 reps, the page "my A customers, most
// recently updated first": as the rep (own scope) or as the rep's
// department manager (team scope) looking at that rep.
func (e *Env) listCases(ctx context.Context, asManager bool) ([]listCase, error) {
	db := e.App.DB
	ce := db.Schema().Entity("customer")
	cols := make([]string, 0, len(ce.Columns()))
	for _, f := range ce.Columns() {
		cols = append(cols, "t."+f.Col())
	}
	var out []listCase
	reps := e.Info.Org.Reps
	for i := 0; i < len(reps) && i < 20; i++ {
		rep := reps[(i*7)%len(reps)]
		viewer := rep
		if asManager {
			viewer = e.Info.Org.ManagerOf(rep)
		}
		p, err := e.Principal(ctx, viewer)
		if err != nil {
			return nil, err
		}
		tok, err := e.Token(ctx, viewer)
		if err != nil {
			return nil, err
		}
		cookie, err := e.Session(ctx, viewer)
		if err != nil {
			return nil, err
		}
		v := url.Values{"owner_id": {rep.ID}, "level": {"A"}, "limit": {"50"}}
		q, err := db.Schema().ParseQuery(ce, v)
		if err != nil {
			return nil, err
		}
		var a store.Args
		where, err := db.ListSQL(ce, q, e.App.Records.ReadPred(ce, p), &a)
		if err != nil {
			return nil, err
		}
		// The statement store.List issues for this page.
		sql := fmt.Sprintf(`SELECT %s FROM %s t WHERE %s ORDER BY t.updated_at DESC, t.id DESC LIMIT %d`, strings.Join(cols, ", "), ce.Table, where, q.Limit+1)
		out = append(out, listCase{path: "/api/v1/customers?" + v.Encode(), html: "/customers?owner_id=" + rep.ID + "&level=A",
			token: tok, cookie: cookie, sql: sql, args: a.V})
	}
	return out, nil
}

// BenchList measures the list page; html says whether to measure the web
// page too.
func (e *Env) BenchList(ctx context.Context, l Load, asManager, html bool) (ListReport, error) {
	var rep ListReport
	cases, err := e.listCases(ctx, asManager)
	if err != nil {
		return rep, err
	}
	who := "rep"
	if asManager {
		who = "manager"
	}
	pick := func(w, i int) listCase { return cases[(w+i*l.Conns)%len(cases)] }
	db := e.App.DB
	rows, pages := 0, 0
	for _, c := range cases {
		n, err := rawList(ctx, db, c)
		if err != nil {
			return rep, err
		}
		rows, pages = rows+min(n, 50), pages+1
	}
	rep.Rows = float64(rows) / float64(pages)
	rep.Raw = Run(ctx, "list A customers ("+who+", raw)", l, func(ctx context.Context, w, i int) error {
		_, err := rawList(ctx, db, pick(w, i))
		return err
	})
	rep.API = Run(ctx, "list A customers ("+who+", API)", l, func(ctx context.Context, w, i int) error {
		c := pick(w, i)
		_, err := e.do(ctx, "GET", c.path, cred{token: c.token}, nil, 200, false)
		return err
	})
	if html {
		rep.HTML = Run(ctx, "list A customers ("+who+", HTML)", l, func(ctx context.Context, w, i int) error {
			c := pick(w, i)
			_, err := e.do(ctx, "GET", c.html, cred{cookie: c.cookie}, nil, 200, false)
			return err
		})
	}
	return rep, nil
}

// rawList runs the page's SELECT through database/sql on the product's
// read pool and scans every column of every row.
func rawList(ctx context.Context, db *store.DB, c listCase) (int, error) {
	rows, err := db.R().QueryContext(ctx, c.sql, c.args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}
