package bench

import (
	"context"
	"net/url"
	"unicode/utf8"

	"closeloop/internal/access"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/store"
)

// QueryClass is a kind of search people type, with sample queries drawn
// from the data set.
type QueryClass struct {
	Name    string
	Queries []string
}

// SearchQueries draws the query classes of the search bar: one Chinese
// character (a surname or a trade-name character), two, three or more,
// full pinyin, a pinyin prefix, pinyin initials.
func (e *Env) SearchQueries(ctx context.Context) ([]QueryClass, error) {
	rows, err := e.App.DB.R().QueryContext(ctx, `SELECT name FROM contacts ORDER BY id LIMIT 3000`)
	if err != nil {
		return nil, err
	}
	var two, three []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		switch utf8.RuneCountInString(n) {
		case 2:
			two = append(two, n)
		case 3:
			three = append(three, n)
		}
	}
	rows.Close()
	shorts, err := store.Strings(ctx, e.App.DB.R(), `SELECT short_name FROM customers WHERE short_name IS NOT NULL ORDER BY id LIMIT 400`)
	if err != nil {
		return nil, err
	}
	var four []string
	for _, s := range shorts {
		if utf8.RuneCountInString(s) >= 4 {
			four = append(four, s)
		}
	}
	take := func(xs []string, n int) []string { return xs[:min(n, len(xs))] }
	var py, pre, ini []string
	for _, n := range take(two, 50) {
		py = append(py, zhdata.Pinyin(n))
		p := zhdata.Pinyin(n)
		s := zhdata.Pinyin(string([]rune(n)[0]))
		pre = append(pre, p[:min(len(p), len(s)+1)])
		ini = append(ini, zhdata.Initials(n))
	}
	for _, n := range take(three, 50) {
		ini = append(ini, zhdata.Initials(n))
	}
	return []QueryClass{
		{"1 char", []string{"王", "李", "张", "刘", "陈", "杨", "华", "科", "恒", "信", "赵", "黄", "周", "吴", "海", "达"}},
		{"2 chars", take(two, 100)},
		{"3+ chars", append(take(three, 60), take(four, 40)...)},
		{"pinyin", py},
		{"pinyin prefix", pre},
		{"initials", ini},
	}, nil
}

// SearchCase is one query class searched as one role.
type SearchCase struct {
	Class, Role string
	API, Raw    Result
}

// BenchSearch searches every query class as a sales rep (own scope), a
// department manager (team scope) and an administrator (all), through
// GET /api/v1/search and as the raw full-text statement.
func (e *Env) BenchSearch(ctx context.Context, l Load, classes []QueryClass) ([]SearchCase, error) {
	org := e.Info.Org
	rep := org.MedianRep()
	roles := []struct {
		name string
		u    User
	}{{"rep", rep}, {"manager", org.ManagerOf(rep)}, {"admin", org.Admin}}
	var out []SearchCase
	for _, qc := range classes {
		if len(qc.Queries) == 0 {
			continue
		}
		for _, r := range roles {
			tok, err := e.Token(ctx, r.u)
			if err != nil {
				return nil, err
			}
			p, err := e.Principal(ctx, r.u)
			if err != nil {
				return nil, err
			}
			sc := SearchCase{Class: qc.Name, Role: r.name}
			q := func(w, i int) string { return qc.Queries[(w*7+i)%len(qc.Queries)] }
			sc.API = Run(ctx, "search "+qc.Name+" ("+r.name+", API)", l, func(ctx context.Context, w, i int) error {
				_, err := e.do(ctx, "GET", "/api/v1/search?q="+url.QueryEscape(q(w, i)), cred{token: tok}, nil, 200, false)
				return err
			})
			sc.Raw = Run(ctx, "search "+qc.Name+" ("+r.name+", raw)", l, func(ctx context.Context, w, i int) error {
				return e.rawSearch(ctx, p, q(w, i), 80)
			})
			out = append(out, sc)
		}
	}
	return out, nil
}

// rawSearch runs the full-text statement store.Search issues for a query
// (store.SearchSQL: the same match with the same visibility, order and
// limit) and reads its rows — without loading the records, ranking,
// masking or HTTP.
func (e *Env) rawSearch(ctx context.Context, p *access.Principal, text string, limit int) error {
	db := e.App.DB
	query, args, ok := db.SearchSQL(text, p, e.App.Records.SearchScopes(p, nil), limit)
	if !ok {
		return nil
	}
	rows, err := db.R().QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ent, id string
		if err := rows.Scan(&ent, &id); err != nil {
			return err
		}
	}
	return rows.Err()
}
