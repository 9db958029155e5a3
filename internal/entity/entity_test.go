package entity_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

func schema() *entity.Schema {
	return entity.NewSchema(1, crm.Entities(), nil, crm.DefaultPicklists)
}

func TestParseText(t *testing.T) {
	s := schema()
	c := s.Entity("customer")
	ct := s.Entity("contact")
	a := s.Entity("activity")
	cases := []struct {
		f    *entity.Field
		in   string
		want any
		code string
	}{
		{c.Field("name"), "  北京华为  ", "北京华为", ""},
		{c.Field("level"), "A", "A", ""},
		{c.Field("level"), "a", "A", ""},
		{c.Field("source"), "展会", "exhibition", ""},
		{c.Field("source"), "Exhibition", "exhibition", ""},
		{c.Field("source"), "飞鸽传书", nil, "invalid_option"},
		{c.Field("phone"), "138-1234-5678", "13812345678", ""},
		{c.Field("phone"), "+86 (138) 1234 5678", "+8613812345678", ""},
		{c.Field("phone"), "１３８１２３４５６７８", "13812345678", ""},
		{c.Field("phone"), "call me", nil, "invalid_phone"},
		{ct.Field("email"), "Zhang.Wei@Example.COM", "zhang.wei@example.com", ""},
		{ct.Field("email"), "zhang@", nil, "invalid_email"},
		{ct.Field("birthday"), "1985/3/7", "1985-03-07", ""},
		{ct.Field("birthday"), "1985年3月7日", "1985-03-07", ""},
		{ct.Field("birthday"), "19850307", "1985-03-07", ""},
		{ct.Field("birthday"), "1985-02-30", nil, "invalid_date"},
		{ct.Field("is_primary"), "是", true, ""},
		{ct.Field("is_primary"), "no", false, ""},
		{ct.Field("is_primary"), "maybe", nil, "invalid_bool"},
		{a.Field("duration_minutes"), "90", int64(90), ""},
		{a.Field("duration_minutes"), "1.5", nil, "invalid_integer"},
		{a.Field("duration_minutes"), "100000", nil, "out_of_range"},
		{a.Field("occurred_at"), "2026-03-01 09:30", time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), ""},
		{c.Field("tags"), "重点, 华北、VIP", []string{"重点", "华北", "VIP"}, ""},
		{c.Field("name"), strings.Repeat("名", 201), nil, "too_long"},
		{c.Field("name"), "", nil, ""},
	}
	for _, tc := range cases {
		got, fe := s.ParseText(tc.f, tc.in)
		if tc.code != "" {
			if fe == nil || fe.Code != tc.code {
				t.Errorf("%s %q: want error %s, got %v %v", tc.f.Name, tc.in, tc.code, got, fe)
			}
			continue
		}
		if fe != nil {
			t.Errorf("%s %q: unexpected error %v", tc.f.Name, tc.in, fe)
			continue
		}
		if !entity.Equal(got, tc.want) {
			t.Errorf("%s %q: got %#v, want %#v", tc.f.Name, tc.in, got, tc.want)
		}
	}
}

func TestParseMoney(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1,234.56", 123456, true}, {"¥1234.5", 123450, true}, {"100", 10000, true}, {"0.01", 1, true},
		{"-5", -500, true}, {"1.005", 0, false}, {"abc", 0, false}, {"", 0, false}, {"1e3", 100000, true},
	}
	for _, c := range cases {
		got, ok := entity.ParseMoney(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if got := entity.FormatMoney(123456789); got != "1,234,567.89" {
		t.Errorf("FormatMoney = %q", got)
	}
	if got := entity.FormatMoney(-5); got != "-0.05" {
		t.Errorf("FormatMoney(-5) = %q", got)
	}
}

func TestParseQuery(t *testing.T) {
	s := schema()
	e := s.Entity("customer")
	cases := []struct {
		q     string
		conds int
		op    entity.Op
		code  string
	}{
		{"level=A", 1, entity.Eq, ""},
		{"level=A&level=B", 1, entity.In, ""},
		{"level[in]=A,B", 1, entity.In, ""},
		{"level[ne]=A", 1, entity.Ne, ""},
		{"updated_at[gte]=2026-01-01", 1, entity.Gte, ""},
		{"updated_at[lte]=2026-01-31", 1, entity.Lte, ""},
		{"phone[empty]=true", 1, entity.Empty, ""},
		{"name[contains]=华为", 1, entity.Contains, ""},
		{"tags=VIP", 1, entity.Eq, ""},
		{"level=", 0, "", ""},
		{"level=Z", 0, "", "invalid_option"},
		{"nosuch=1", 0, "", "bad_filter"},
		{"name_norm=x", 0, "", "bad_filter"},
		{"level[gte]=A&level[bogus]=1", 0, "", "bad_filter"},
		{"updated_at[gte]=yesterday", 0, "", "invalid_datetime"},
		{"sort=notes", 0, "", "bad_sort"},
		{"sort=-name", 0, "", ""},
		{"limit=0", 0, "", "out_of_range"},
		{"limit=100000", 0, "", ""},
		{"cursor=garbage", 0, "", "bad_cursor"},
		{"phone[empty]=perhaps", 0, "", "bad_filter"},
	}
	for _, c := range cases {
		v, _ := url.ParseQuery(c.q)
		q, err := s.ParseQuery(e, v)
		if c.code != "" {
			ee := errs.As(err)
			if ee == nil || len(ee.Fields) == 0 || ee.Fields[0].Code != c.code {
				t.Errorf("%s: want %s, got %v", c.q, c.code, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if len(q.Conds) != c.conds || (c.conds > 0 && q.Conds[0].Op != c.op) {
			t.Errorf("%s: got %+v", c.q, q.Conds)
		}
		if q.Limit > entity.MaxLimit {
			t.Errorf("%s: limit %d over the cap", c.q, q.Limit)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	s := schema()
	e := s.Entity("customer")
	ts := time.Date(2026, 5, 1, 8, 0, 0, 123456000, time.UTC)
	rec := entity.Record{"id": "01900000-0000-7000-8000-000000000001", "updated_at": ts, "name": "甲"}
	for _, sortName := range []string{"updated_at", "name"} {
		f := e.Field(sortName)
		raw := entity.EncodeCursor(f, true, rec)
		c, err := s.DecodeCursor(f, true, raw)
		if err != nil {
			t.Fatalf("%s: %v", sortName, err)
		}
		if !entity.Equal(c.Value, rec[sortName]) || c.ID != rec.ID() {
			t.Errorf("%s: round trip %v", sortName, c)
		}
		if _, err := s.DecodeCursor(f, false, raw); err == nil {
			t.Errorf("%s: a cursor of another direction must be refused", sortName)
		}
	}
}

func TestParseJSON(t *testing.T) {
	s := schema()
	e := s.Entity("activity")
	if _, fe := s.ParseJSON(e.Field("duration_minutes"), "30"); fe == nil {
		t.Error("a string for an integer must be refused")
	}
	if _, fe := s.ParseJSON(e.Field("subject"), 12.0); fe == nil {
		t.Error("a number for a text must be refused")
	}
	v, fe := s.ParseJSON(e.Field("occurred_at"), "2026-01-02T03:04:05+08:00")
	if fe != nil || !v.(time.Time).Equal(time.Date(2026, 1, 1, 19, 4, 5, 0, time.UTC)) {
		t.Errorf("datetime: %v %v", v, fe)
	}
	if _, fe := s.ParseJSON(e.Field("participant_users"), []any{"not-an-id"}); fe == nil {
		t.Error("bad ids in a reference list must be refused")
	}
}

// Fixed-point integers read and print as decimals; the stored value is the
// scaled integer.
func TestScaled(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
		out  string
	}{
		{"5", 500, true, "5"}, {"5.25", 525, true, "5.25"}, {"5.25%", 525, true, "5.25"}, {"０", 0, false, ""},
		{"0.5", 50, true, "0.5"}, {"5.255", 0, false, ""}, {"abc", 0, false, ""}, {"-1.5", -150, true, "-1.5"},
		{"1,000.5", 100050, true, "1000.5"}, {"", 0, false, ""}, {"1e400", 0, false, ""},
	} {
		got, ok := entity.ParseScaled(c.in, 2)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseScaled(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
			continue
		}
		if ok && entity.FormatScaled(got, 2) != c.out {
			t.Errorf("FormatScaled(%d) = %q, want %q", got, entity.FormatScaled(got, 2), c.out)
		}
	}
}
