package crm

import (
	"slices"
	"testing"
)

func TestLunarToSolar(t *testing.T) {
	cases := []struct {
		name    string
		y, m, d int
		want    string
		ok      bool
	}{
		{"spring festival 2026", 2026, 1, 1, "2026-02-17", true},
		{"spring festival 2027", 2027, 1, 1, "2027-02-06", true},
		{"mid-autumn 2026", 2026, 8, 15, "2026-09-25", true},
		{"mid-autumn 2027", 2027, 8, 15, "2027-09-15", true},
		{"lunar 12th month falls in the next solar year", 2026, 12, 29, "2027-02-05", true},
		{"day 30 of a 29-day month is its last day (2026 2nd month)", 2026, 2, 30, "2026-04-16", true},
		{"day 30 of a 30-day month (2027 2nd month)", 2027, 2, 30, "2027-04-06", true},
		{"a year with a leap 6th month keeps the ordinary 6th (2025)", 2025, 6, 1, "2025-06-25", true},
		{"a year with a leap 5th month keeps the ordinary 5th (2028)", 2028, 5, 5, "2028-05-28", true},
		{"month 13 does not exist", 2026, 13, 1, "", false},
		{"day 31 does not exist", 2026, 1, 31, "", false},
	}
	for _, c := range cases {
		got, ok := LunarToSolar(c.y, c.m, c.d)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: LunarToSolar(%d,%d,%d) = %q,%v; want %q,%v", c.name, c.y, c.m, c.d, got, ok, c.want, c.ok)
		}
	}
}

func TestBirthdaysIn(t *testing.T) {
	cases := []struct {
		name, birthday, cal, from, to string
		want                          []string
	}{
		{"solar in window", "1980-12-05", "solar", "2026-12-02", "2026-12-09", []string{"2026-12-05"}},
		{"solar outside", "1980-12-15", "solar", "2026-12-02", "2026-12-09", nil},
		{"solar, no calendar given", "1980-12-05", "", "2026-12-02", "2026-12-09", []string{"2026-12-05"}},
		{"solar across the new year", "1975-01-03", "solar", "2026-12-28", "2027-01-04", []string{"2027-01-03"}},
		{"29 February in a common year", "1984-02-29", "solar", "2027-02-25", "2027-03-03", []string{"2027-02-28"}},
		{"lunar 10/24 is 2 Dec 2026", "1970-10-24", "lunar", "2026-12-02", "2026-12-09", []string{"2026-12-02"}},
		{"lunar 1/15 in 2027 (Lantern day)", "1990-01-15", "lunar", "2027-02-15", "2027-02-22", []string{"2027-02-20"}},
		{"lunar 12/29 of lunar 2025 falls in Feb 2026", "1966-12-29", "lunar", "2026-02-10", "2026-02-20", []string{"2026-02-16"}},
		{"lunar 12/29 of lunar 2026 falls in Feb 2027", "1966-12-29", "lunar", "2027-02-01", "2027-02-10", []string{"2027-02-05"}},
		{"lunar day 30 stored as 02-30 text, 29-day month in 2026", "1977-02-30", "lunar", "2026-04-10", "2026-04-20", []string{"2026-04-16"}},
		{"lunar 6th month in 2025 (leap 6th): ordinary month only", "1985-06-01", "lunar", "2025-06-01", "2025-08-31", []string{"2025-06-25"}},
		{"lunar birthday not in window", "1970-10-24", "lunar", "2026-12-05", "2026-12-09", nil},
		{"garbage", "x", "lunar", "2026-12-02", "2026-12-09", nil},
	}
	for _, c := range cases {
		got := BirthdaysIn(c.birthday, c.cal, c.from, c.to)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: BirthdaysIn(%s,%s) = %v; want %v", c.name, c.birthday, c.cal, got, c.want)
		}
	}
}

func TestHolidaysIn(t *testing.T) {
	cases := []struct {
		holiday, from, to string
		want              []string
	}{
		{HolidaySpringFestival, "2026-02-10", "2026-02-20", []string{"2026-02-17"}},
		{HolidaySpringFestival, "2027-01-30", "2027-02-06", []string{"2027-02-06"}},
		{HolidayLantern, "2026-03-01", "2026-03-07", []string{"2026-03-03"}},
		{HolidayDragonBoat, "2026-06-15", "2026-06-22", []string{"2026-06-19"}},
		{HolidayMidAutumn, "2026-09-20", "2026-09-27", []string{"2026-09-25"}},
		{HolidayMidAutumn, "2027-09-10", "2027-09-17", []string{"2027-09-15"}},
		{HolidayDoubleNinth, "2026-10-15", "2026-10-22", []string{"2026-10-18"}},
		{HolidayNewYear, "2026-12-28", "2027-01-04", []string{"2027-01-01"}},
		{HolidayNationalDay, "2026-09-28", "2026-10-05", []string{"2026-10-01"}},
		{HolidayNationalDay, "2026-12-02", "2026-12-09", nil},
		{"unknown", "2026-01-01", "2026-12-31", nil},
	}
	for _, c := range cases {
		if got := HolidaysIn(c.holiday, c.from, c.to); !slices.Equal(got, c.want) {
			t.Errorf("HolidaysIn(%s, %s..%s) = %v; want %v", c.holiday, c.from, c.to, got, c.want)
		}
	}
}

func TestAnniversariesIn(t *testing.T) {
	d, y := AnniversariesIn("2024-12-05", "2026-12-02", "2026-12-09")
	if !slices.Equal(d, []string{"2026-12-05"}) || !slices.Equal(y, []int{2}) {
		t.Fatalf("anniversary: %v %v", d, y)
	}
	if d, _ := AnniversariesIn("2026-12-03", "2026-12-02", "2026-12-09"); d != nil {
		t.Fatalf("the signing day itself is no anniversary: %v", d)
	}
	if d, _ := AnniversariesIn("2024-02-29", "2027-02-25", "2027-03-02"); !slices.Equal(d, []string{"2027-02-28"}) {
		t.Fatalf("29 Feb signed: %v", d)
	}
}

func TestWarrantyEnd(t *testing.T) {
	cases := []struct {
		start  string
		months int
		want   string
	}{
		{"2025-12-09", 12, "2026-12-08"},
		{"2025-01-31", 1, "2025-02-27"},
		{"2024-01-31", 1, "2024-02-28"},
		{"2025-11-15", 3, "2026-02-14"},
		{"2025-12-01", 24, "2027-11-30"},
		{"2025-12-01", 0, ""},
		{"bad", 12, ""},
	}
	for _, c := range cases {
		if got := WarrantyEnd(c.start, c.months); got != c.want {
			t.Errorf("WarrantyEnd(%s, %d) = %q; want %q", c.start, c.months, got, c.want)
		}
	}
	// The window: a warranty ending within the look-ahead, both ends included.
	for _, c := range []struct {
		last string
		in   bool
	}{{"2026-12-02", true}, {"2026-12-09", true}, {"2026-12-10", false}, {"2026-12-01", false}, {"", false}} {
		if got := ExpiresIn(c.last, "2026-12-02", "2026-12-09"); got != c.in {
			t.Errorf("ExpiresIn(%s) = %v", c.last, got)
		}
	}
}

func TestCareWindowAndGreeting(t *testing.T) {
	if f, to := CareWindow("2026-12-28", 7); f != "2026-12-28" || to != "2027-01-04" {
		t.Fatalf("window %s..%s", f, to)
	}
	got := FillGreeting("尊敬的{name}：{holiday}快乐 {unknown}", map[string]string{"name": "王总", "holiday": "中秋节"})
	if got != "尊敬的王总：中秋节快乐 {unknown}" {
		t.Fatalf("greeting %q", got)
	}
	if !LevelMatches(nil, "C") || !LevelMatches([]string{"A", "B"}, "A") || LevelMatches([]string{"A"}, "B") {
		t.Fatal("levels")
	}
	if CareKey(CareBirthday, "c1", "2026-12-05") != "birthday:c1:2026-12-05" {
		t.Fatal("key")
	}
}
