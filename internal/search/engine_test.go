package search

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"
)

// visibility tokens as the database code appends them.
const (
	visCustomer = "_ecustomer"
	visOther    = "_o0a1b2c"
)

// engineRecords returns the user-story records plus records of tricky
// scripts, each with its tokens and visibility tokens; records with an even
// id get visOther.
func engineRecords() map[int][]string {
	recs := map[int][]string{}
	for _, r := range testRecords {
		recs[r.id] = Tokens(r.parts)
	}
	tricky := []string{
		"Ǆemal ﬁle Straße İstanbul Ωmega Σίσυφος", "김민준 東京タワー محمد ٣٤٥", "สมชาย हिन्दी 𠀀𠀁 佐々木 〇",
		"ǅ ＫＫ ℌ ㎏ ㈱ ① Ⅻ ²", "o'brien \"quoted\" AND OR NOT NEAR * ^ : \\",
	}
	for i, s := range tricky {
		recs[100+i] = Tokens([]Part{{s, Name}, {s, Email}})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 50 {
		recs[200+i] = Tokens([]Part{{randomText(rng), Name}, {randomText(rng), Text}, {randomText(rng), Email}})
	}
	return recs
}

func withVisibility(id int, toks []string) []string {
	vis := []string{visCustomer}
	if id%2 == 0 {
		vis = append(vis, visOther)
	}
	return append(slices.Clone(toks), vis...)
}

// allTokensQuery matches exactly the records having all of toks.
func allTokensQuery(toks []string) Query {
	var q Query
	for _, t := range toks {
		q.Terms = append(q.Terms, Term{Alts: []Alt{{Tok: t}}})
	}
	return q
}

// engine runs a rendered query and returns the matching record ids, sorted.
type engine interface {
	find(t *testing.T, q Query, vis string) []int
}

type sqliteEngine struct{ db *sql.DB }

func (e sqliteEngine) find(t *testing.T, q Query, vis string) []int {
	t.Helper()
	expr := q.FTS5()
	if vis != "" {
		expr = QuoteFTS5(vis) + " AND " + expr
	}
	return queryIDs(t, e.db, `SELECT rowid FROM idx WHERE idx MATCH ? ORDER BY rowid`, expr)
}

type pgEngine struct{ conn *pgx.Conn }

func (e pgEngine) find(t *testing.T, q Query, vis string) []int {
	t.Helper()
	expr := q.TSQuery()
	if vis != "" {
		expr = QuoteTS(vis) + " & " + expr
	}
	const query = `SELECT id FROM idx WHERE array_to_tsvector(toks) @@ $1::tsquery ORDER BY id`
	rows, err := e.conn.Query(context.Background(), query, expr)
	if err != nil {
		t.Fatalf("%s %q: %v", query, expr, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatalf("%s %q: %v", query, expr, err)
	}
	return ids
}

func queryIDs(t *testing.T, db *sql.DB, query string, args ...any) []int {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s %q: %v", query, args, err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// checkEngine runs the user stories and per-record checks against e.
func checkEngine(t *testing.T, e engine, recs map[int][]string) {
	userIDs := map[int]bool{}
	for _, r := range testRecords {
		userIDs[r.id] = true
	}
	for _, us := range userStories {
		q, ok := Parse(us.q)
		if !ok {
			t.Fatalf("%q: nothing to search", us.q)
		}
		var got []int
		for _, id := range e.find(t, q, "") {
			if userIDs[id] {
				got = append(got, id)
			}
		}
		if !slices.Equal(got, us.want) {
			t.Errorf("%q (%s | %s) found %v, want %v", us.q, q.FTS5(), q.TSQuery(), got, us.want)
		}
		// The same with the visibility token of even records.
		var wantEven []int
		for _, id := range us.want {
			if id%2 == 0 {
				wantEven = append(wantEven, id)
			}
		}
		got = got[:0]
		for _, id := range e.find(t, q, visOther) {
			if userIDs[id] {
				got = append(got, id)
			}
		}
		if !slices.Equal(got, wantEven) {
			t.Errorf("%q with %s found %v, want %v", us.q, visOther, got, wantEven)
		}
	}
	// Every record is found by all of its tokens as exact terms, and by
	// its own text as the user would type it (checked for the fixtures).
	for id, toks := range recs {
		if len(toks) == 0 {
			continue
		}
		if got := e.find(t, allTokensQuery(toks), ""); !slices.Contains(got, id) {
			t.Errorf("record %d not found by all its tokens %q: %v", id, toks, got)
		}
	}
	for _, r := range testRecords {
		for _, p := range r.parts {
			if p.Kind == Phone {
				continue
			}
			q, _ := Parse(p.Text)
			if got := e.find(t, q, ""); !slices.Contains(got, r.id) {
				t.Errorf("record %d not found by %q (%s): %v", r.id, p.Text, q.FTS5(), got)
			}
		}
	}
	// The engine's view must agree with the matcher on random queries.
	rng := rand.New(rand.NewPCG(5, 6))
	var ids []int
	for id := range recs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for range 300 {
		s := randomText(rng)
		if rng.IntN(2) == 0 { // pick a piece of an indexed token
			toks := recs[ids[rng.IntN(len(ids))]]
			if len(toks) > 0 {
				tok := []rune(toks[rng.IntN(len(toks))])
				s = string(tok[:1+rng.IntN(len(tok))])
			}
		}
		q, ok := Parse(s)
		if !ok {
			continue
		}
		var want []int
		for _, id := range ids {
			if matches(q, recs[id]) {
				want = append(want, id)
			}
		}
		if got := e.find(t, q, ""); !slices.Equal(got, want) {
			t.Errorf("%q (%s | %s): engine found %v, matcher %v", s, q.FTS5(), q.TSQuery(), got, want)
		}
	}
}

func TestSQLiteFTS5(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one in-memory database
	for _, stmt := range []string{
		`CREATE VIRTUAL TABLE idx USING fts5(tokens, content='', tokenize="unicode61 remove_diacritics 0 tokenchars '_'", prefix='2 3 4')`,
		`CREATE VIRTUAL TABLE idx_vocab USING fts5vocab(idx, 'instance')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	recs := engineRecords()
	for id, toks := range recs {
		all := withVisibility(id, toks)
		if _, err := db.Exec(`INSERT INTO idx(rowid, tokens) VALUES (?, ?)`, id, strings.Join(all, " ")); err != nil {
			t.Fatal(err)
		}
		// Each of our tokens must be exactly one FTS5 token.
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM idx_vocab WHERE doc = ?`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(all) {
			t.Errorf("record %d: FTS5 sees %d tokens, we wrote %d: %q", id, n, len(all), all)
		}
	}
	checkEngine(t, sqliteEngine{db}, recs)
}

// TestPostgres needs CLOSELOOP_TEST_PG, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. It connects with
// pgx directly: the database/sql driver github.com/jackc/pgx/v5/stdlib
// imports pgxpool, whose dependencies (github.com/jackc/puddle/v2,
// golang.org/x/sync) are not in go.mod.
func TestPostgres(t *testing.T) {
	url := os.Getenv("CLOSELOOP_TEST_PG")
	if url == "" {
		t.Skip("CLOSELOOP_TEST_PG not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, stmt := range []string{
		`CREATE TEMPORARY TABLE idx (id int PRIMARY KEY, toks text[] NOT NULL)`,
		`CREATE INDEX ON idx USING gin (array_to_tsvector(toks))`,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	recs := engineRecords()
	for id, toks := range recs {
		all := withVisibility(id, toks)
		if _, err := conn.Exec(ctx, `INSERT INTO idx (id, toks) VALUES ($1, string_to_array($2, ' '))`, id, strings.Join(all, " ")); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRow(ctx, `SELECT length(array_to_tsvector(string_to_array($1, ' ')))`, strings.Join(all, " ")).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(all) {
			t.Errorf("record %d: tsvector has %d lexemes, we wrote %d: %q", id, n, len(all), all)
		}
	}
	// The form the brief gives, one record at a time.
	q, _ := Parse("张伟 5678")
	var hit bool
	if err := conn.QueryRow(ctx, `SELECT array_to_tsvector(string_to_array($1, ' ')) @@ $2::tsquery`,
		strings.Join(recs[1], " "), q.TSQuery()).Scan(&hit); err != nil || !hit {
		t.Errorf("record 1 not found by %s: %v %v", q.TSQuery(), hit, err)
	}
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off`); err != nil { // use the GIN index
		t.Fatal(err)
	}
	checkEngine(t, pgEngine{conn}, recs)
}
