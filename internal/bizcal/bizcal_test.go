package bizcal

import (
	"math/rand/v2"
	"testing"
	"time"
)

var sh, _ = time.LoadLocation("Asia/Shanghai")

// at reads "2006-01-02 15:04" in Shanghai.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
	if err != nil {
		panic(err)
	}
	return t
}

func mustNew(t *testing.T, c Config) *Calendar {
	t.Helper()
	cal, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// The table: nights, weekends, the 2026 Spring Festival (02-15…02-23 off,
// Saturdays 02-14 and 02-28 worked) and National Day / Mid-Autumn
// (09-20 Sunday worked, 09-25 off, 10-01…10-07 off, 10-10 Saturday worked).
var addCases = []struct {
	name  string
	start string
	d     time.Duration
	want  string
}{
	{"within the day", "2026-12-02 10:00", 30 * time.Minute, "2026-12-02 10:30"},
	{"ends exactly at the close", "2026-12-02 17:00", time.Hour, "2026-12-02 18:00"},
	{"over the night", "2026-12-02 17:30", time.Hour, "2026-12-03 09:30"},
	{"opened in the evening", "2026-12-02 20:00", 30 * time.Minute, "2026-12-03 09:30"},
	{"opened before dawn", "2026-12-02 03:00", 30 * time.Minute, "2026-12-02 09:30"},
	{"over the weekend", "2026-12-04 17:00", 2 * time.Hour, "2026-12-07 10:00"},
	{"opened on Saturday", "2026-12-05 10:00", time.Hour, "2026-12-07 10:00"},
	{"three business days", "2026-12-07 10:00", 27 * time.Hour, "2026-12-10 10:00"},
	{"into the Spring Festival make-up Saturday", "2026-02-13 17:00", 2 * time.Hour, "2026-02-14 10:00"},
	{"across the Spring Festival", "2026-02-14 17:00", 2 * time.Hour, "2026-02-24 10:00"},
	{"opened during the Spring Festival", "2026-02-17 11:00", 30 * time.Minute, "2026-02-24 09:30"},
	{"into the second make-up Saturday", "2026-02-27 17:00", 2 * time.Hour, "2026-02-28 10:00"},
	{"into the National Day make-up Sunday", "2026-09-18 17:00", 2 * time.Hour, "2026-09-20 10:00"},
	{"over Mid-Autumn", "2026-09-24 17:00", 2 * time.Hour, "2026-09-28 10:00"},
	{"across National Day", "2026-09-30 17:00", 2 * time.Hour, "2026-10-08 10:00"},
	{"into the National Day make-up Saturday", "2026-10-09 17:00", 2 * time.Hour, "2026-10-10 10:00"},
	{"zero", "2026-12-05 10:00", 0, "2026-12-05 10:00"},
	{"back over the weekend", "2026-12-07 09:30", -time.Hour, "2026-12-04 17:30"},
	{"back from midnight", "2026-12-08 00:00", -time.Hour, "2026-12-07 17:00"},
	{"back over the Spring Festival", "2026-02-24 10:00", -2 * time.Hour, "2026-02-14 17:00"},
	{"back to the start of the day", "2026-12-02 10:00", -time.Hour, "2026-12-02 09:00"},
}

func TestAdd(t *testing.T) {
	cal := Standard()
	for _, c := range addCases {
		got := cal.Add(at(c.start), c.d)
		if !got.Equal(at(c.want)) {
			t.Errorf("%s: %s + %v = %s, want %s", c.name, c.start, c.d, got.In(sh).Format("2006-01-02 15:04"), c.want)
		}
	}
}

func TestBetween(t *testing.T) {
	cal := Standard()
	for _, c := range []struct {
		name string
		a, b string
		want time.Duration
	}{
		{"same day", "2026-12-02 10:00", "2026-12-02 11:30", 90 * time.Minute},
		{"night only", "2026-12-02 18:00", "2026-12-03 09:00", 0},
		{"evening to morning", "2026-12-02 17:00", "2026-12-03 10:00", 2 * time.Hour},
		{"weekend", "2026-12-04 17:00", "2026-12-07 10:00", 2 * time.Hour},
		{"a whole week", "2026-12-07 00:00", "2026-12-14 00:00", 45 * time.Hour},
		{"Spring Festival", "2026-02-14 17:00", "2026-02-24 10:00", 2 * time.Hour},
		{"inside the Spring Festival", "2026-02-16 09:00", "2026-02-20 18:00", 0},
		{"National Day", "2026-09-30 17:00", "2026-10-08 10:00", 2 * time.Hour},
		{"make-up Saturday counted", "2026-10-09 09:00", "2026-10-12 09:00", 18 * time.Hour},
		{"backwards", "2026-12-07 10:00", "2026-12-04 17:00", -2 * time.Hour},
	} {
		if got := cal.Between(at(c.a), at(c.b)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestIsWorkday(t *testing.T) {
	cal := Standard()
	for _, c := range []struct {
		date string
		work bool
	}{
		{"2026-12-02", true}, {"2026-12-05", false}, {"2026-12-06", false},
		{"2026-01-01", false}, {"2026-01-04", true}, // New Year, its make-up Sunday
		{"2026-02-13", true}, {"2026-02-14", true}, {"2026-02-15", false}, {"2026-02-23", false}, {"2026-02-24", true}, {"2026-02-28", true},
		{"2026-09-19", false}, {"2026-09-20", true}, {"2026-09-25", false},
		{"2026-10-01", false}, {"2026-10-07", false}, {"2026-10-08", true}, {"2026-10-10", true}, {"2026-10-11", false},
	} {
		got, err := cal.IsWorkdate(c.date)
		if err != nil || got != c.work {
			t.Errorf("%s: work %v (%v), want %v", c.date, got, err, c.work)
		}
		if d, _ := time.ParseInLocation(DateLayout, c.date, sh); cal.IsWorkday(d.Add(12*time.Hour)) != c.work {
			t.Errorf("IsWorkday %s", c.date)
		}
	}
	// Without the official table, National Day is a plain Thursday.
	plain := mustNew(t, Config{TimeZone: "Asia/Shanghai"})
	if w, _ := plain.IsWorkdate("2026-10-01"); !w {
		t.Error("a calendar without official holidays took 10-01 off")
	}
}

func TestCorrectionsOverrideTheTable(t *testing.T) {
	cal := mustNew(t, Config{Official: true, Corrections: map[string]Correction{
		"2026-12-07": {Work: false, Name: "公司年会"},
		"2026-12-05": {Work: true, Name: "年底加班"},
		"2026-02-28": {Work: false, Name: "不调休"},
	}})
	for _, c := range []struct {
		name, start string
		d           time.Duration
		want        string
	}{
		{"worked Saturday", "2026-12-04 17:00", 2 * time.Hour, "2026-12-05 10:00"},
		{"Monday off", "2026-12-05 17:00", 2 * time.Hour, "2026-12-08 10:00"},
		{"official make-up day cancelled", "2026-02-27 17:00", 2 * time.Hour, "2026-03-02 10:00"},
	} {
		if got := cal.Add(at(c.start), c.d); !got.Equal(at(c.want)) {
			t.Errorf("%s: %s, want %s", c.name, got.In(sh).Format("2006-01-02 15:04"), c.want)
		}
	}
	year := cal.Year(2026)
	var found, corrected bool
	for _, s := range year {
		if s.Date == "2026-10-01" && s.Kind == Holiday && s.Source == SourceOfficial && s.Name == "国庆节" {
			found = true
		}
		if s.Date == "2026-02-28" && s.Source == SourceCorrection && !s.Work && s.Official == "春节" {
			corrected = true
		}
	}
	if !found || !corrected || len(year) < 30 {
		t.Errorf("year 2026: %d days, National Day %v, corrected make-up day %v", len(year), found, corrected)
	}
	for i := 1; i < len(year); i++ {
		if year[i-1].Date >= year[i].Date {
			t.Fatal("year not in date order")
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{TimeZone: "Mars/Olympus"}, {WorkStart: "9"}, {WorkStart: "18:00", WorkEnd: "09:00"}, {WorkEnd: "25:00"},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := New(Config{WorkStart: "08:30", WorkEnd: "17:30", Weekdays: []time.Weekday{time.Monday, time.Saturday}}); err != nil {
		t.Error(err)
	}
}

// Add and Between agree: the business time from t to Add(t, d) is d, forwards
// and backwards, at random instants over two years.
func TestAddBetweenAgree(t *testing.T) {
	cal := Standard()
	r := rand.New(rand.NewPCG(1, 2))
	base := at("2026-01-01 00:00")
	for range 3000 {
		start := base.Add(time.Duration(r.IntN(2*365*24*60)) * time.Minute)
		d := time.Duration(r.IntN(60*9*20)+1) * time.Minute
		end := cal.Add(start, d)
		if got := cal.Between(start, end); got != d {
			t.Fatalf("Between(%s, Add(+%v)=%s) = %v", start.In(sh), d, end.In(sh), got)
		}
		back := cal.Add(start, -d)
		if got := cal.Between(back, start); got != d {
			t.Fatalf("Between(Add(%s, -%v)=%s) = %v", start.In(sh), d, back.In(sh), got)
		}
	}
}
