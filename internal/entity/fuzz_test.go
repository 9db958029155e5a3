package entity_test

import (
	"net/url"
	"testing"
	"unicode/utf8"

	"closeloop/internal/errs"
)

// FuzzParseQuery: any query string either parses or yields a validation
// error naming a field; never a panic, never an unbounded limit.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		"level=A&sort=-updated_at", "level[in]=A,B&limit=20", "updated_at[gte]=2026-01-01&updated_at[lte]=2026-02-01",
		"name[contains]=%E5%8D%8E", "phone[empty]=1", "tags=VIP&tags=重点", "cursor=eyJzIjoidXBkYXRlZF9hdCJ9",
		"level[gte]=A", "x[=1", "[]=", "level]=A", "sort=", "limit=-1", "q=张伟",
	} {
		f.Add(seed)
	}
	s := schema()
	e := s.Entity("customer")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := s.ParseQuery(e, v)
		if err != nil {
			ee := errs.As(err)
			if ee == nil || ee.Kind != errs.Invalid || len(ee.Fields) == 0 {
				t.Fatalf("error is not a field validation error: %v", err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > 500 || q.Sort == nil {
			t.Fatalf("bad query: limit %d sort %v", q.Limit, q.Sort)
		}
		for _, c := range q.Conds {
			if len(c.Values) == 0 {
				t.Fatalf("condition without values: %+v", c)
			}
			for _, v := range c.Values {
				if s, ok := v.(string); ok && !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 reached a condition: %q", s)
				}
			}
		}
	})
}
