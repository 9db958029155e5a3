// Package bizcal counts business time on a company calendar: working hours
// in a time zone, working weekdays, the official Chinese public holidays
// with their 调休 make-up working days (from github.com/6tail/lunar-go's
// HolidayUtil table, which the State Council announces year by year), and
// per-date corrections an admin makes when the table is wrong or the
// company differs. It is pure: no database, no clock.
package bizcal

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// DateLayout is the layout of calendar dates (corrections, years).
const DateLayout = "2006-01-02"

// Day kinds: a holiday is a day off on what would be a working weekday
// (or any official day off), a workday is worked although the weekday is
// not (调休上班).
const (
	Holiday = "holiday"
	Workday = "workday"
)

// Sources of a special day.
const (
	SourceOfficial   = "official"   // the official table
	SourceCorrection = "correction" // an admin's calendar_day record
)

// Correction overrides one date of the calendar.
type Correction struct {
	Work bool   // true: worked; false: day off
	Name string // why ("公司年会", "台风停工" …)
}

// Calendar is a business calendar value. The zero value is not usable:
// build one with New or Standard.
type Calendar struct {
	loc         *time.Location
	start, end  int // minutes after midnight
	weekdays    [7]bool
	official    bool
	corrections map[string]Correction
}

// Config describes a calendar as an admin sets it.
type Config struct {
	TimeZone    string         // IANA name; "" → Asia/Shanghai
	WorkStart   string         // "09:00"
	WorkEnd     string         // "18:00"
	Weekdays    []time.Weekday // working weekdays; nil → Monday to Friday
	Official    bool           // follow the official holidays and make-up days
	Corrections map[string]Correction
}

// ParseClock reads "HH:MM" as minutes after midnight.
func ParseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, fmt.Errorf("bizcal: time %q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("bizcal: time %q is not HH:MM", s)
	}
	return hh*60 + mm, nil
}

// New builds a calendar; a bad time zone or working hours are errors.
func New(c Config) (*Calendar, error) {
	tz := c.TimeZone
	if tz == "" {
		tz = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("bizcal: time zone %q: %w", tz, err)
	}
	ws, we := c.WorkStart, c.WorkEnd
	if ws == "" {
		ws = "09:00"
	}
	if we == "" {
		we = "18:00"
	}
	start, err := ParseClock(ws)
	if err != nil {
		return nil, err
	}
	end, err := ParseClock(we)
	if err != nil {
		return nil, err
	}
	if end <= start {
		return nil, fmt.Errorf("bizcal: work ends %s before it starts %s", we, ws)
	}
	cal := &Calendar{loc: loc, start: start, end: end, official: c.Official, corrections: map[string]Correction{}}
	days := c.Weekdays
	if days == nil {
		days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	}
	for _, d := range days {
		cal.weekdays[d%7] = true
	}
	for k, v := range c.Corrections {
		cal.corrections[k] = v
	}
	return cal, nil
}

// Standard is the mainland China standard calendar: Asia/Shanghai,
// 09:00–18:00, Monday to Friday, official holidays and make-up days.
func Standard() *Calendar {
	c, err := New(Config{TimeZone: "Asia/Shanghai", WorkStart: "09:00", WorkEnd: "18:00", Official: true})
	if err != nil {
		panic(err)
	}
	return c
}

// Location is the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// DayLength is the business time of one working day.
func (c *Calendar) DayLength() time.Duration { return time.Duration(c.end-c.start) * time.Minute }

// Special is a day that is not ordinary for its weekday: an official
// holiday or make-up day, or an admin's correction.
type Special struct {
	Date   string `json:"date"`
	Kind   string `json:"kind"`   // Holiday or Workday
	Work   bool   `json:"work"`   // whether the day is worked in the end
	Source string `json:"source"` // SourceOfficial or SourceCorrection
	Name   string `json:"name"`
	// Official is the official table's entry for a corrected date
	// ("" when the table says nothing).
	Official string `json:"official,omitempty"`
}

type officialDay struct {
	work bool
	name string
}

// officialYears caches the official table per year: year → map[date]officialDay.
var officialYears sync.Map

func officialYear(year int) map[string]officialDay {
	if v, ok := officialYears.Load(year); ok {
		return v.(map[string]officialDay)
	}
	m := map[string]officialDay{}
	l := HolidayUtil.GetHolidaysByYear(year)
	for e := l.Front(); e != nil; e = e.Next() {
		h := e.Value.(*HolidayUtil.Holiday)
		day := h.GetDay()
		if len(day) == 8 {
			day = day[:4] + "-" + day[4:6] + "-" + day[6:]
		}
		if !strings.HasPrefix(day, strconv.Itoa(year)) {
			continue
		}
		m[day] = officialDay{work: h.IsWork(), name: h.GetName()}
	}
	v, _ := officialYears.LoadOrStore(year, m)
	return v.(map[string]officialDay)
}

// official returns the table's entry for a date.
func official(date string) (officialDay, bool) {
	y, err := strconv.Atoi(date[:4])
	if err != nil {
		return officialDay{}, false
	}
	d, ok := officialYear(y)[date]
	return d, ok
}

// IsWorkday reports whether the calendar date of t (in the calendar's
// time zone) is worked.
func (c *Calendar) IsWorkday(t time.Time) bool {
	return c.isWork(t.In(c.loc).Format(DateLayout), t.In(c.loc).Weekday())
}

// IsWorkdate is IsWorkday for a "2006-01-02" date.
func (c *Calendar) IsWorkdate(date string) (bool, error) {
	d, err := time.ParseInLocation(DateLayout, date, c.loc)
	if err != nil {
		return false, fmt.Errorf("bizcal: date %q: %w", date, err)
	}
	return c.isWork(date, d.Weekday()), nil
}

func (c *Calendar) isWork(date string, wd time.Weekday) bool {
	if k, ok := c.corrections[date]; ok {
		return k.Work
	}
	if c.official {
		if o, ok := official(date); ok {
			return o.work
		}
	}
	return c.weekdays[wd]
}

// Year lists the year's special days in date order: official holidays
// and make-up days (when the calendar follows them) and corrections.
func (c *Calendar) Year(year int) []Special {
	out := map[string]Special{}
	if c.official {
		for date, o := range officialYear(year) {
			kind := Holiday
			if o.work {
				kind = Workday
			}
			out[date] = Special{Date: date, Kind: kind, Work: o.work, Source: SourceOfficial, Name: o.name}
		}
	}
	prefix := strconv.Itoa(year) + "-"
	for date, k := range c.corrections {
		if !strings.HasPrefix(date, prefix) {
			continue
		}
		kind := Holiday
		if k.Work {
			kind = Workday
		}
		s := Special{Date: date, Kind: kind, Work: k.Work, Source: SourceCorrection, Name: k.Name}
		if prev, ok := out[date]; ok {
			s.Official = prev.Name
		}
		out[date] = s
	}
	list := make([]Special, 0, len(out))
	for _, s := range out {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Date < list[j].Date })
	return list
}

// window is the working interval of the day that starts at midnight d.
func (c *Calendar) window(d time.Time) (time.Time, time.Time) {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, c.start, 0, 0, c.loc), time.Date(y, m, dd, 0, c.end, 0, 0, c.loc)
}

func midnight(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// maxDays bounds the walk over days (ten years without a working day
// means a broken calendar: the walk stops there).
const maxDays = 3660

// Add returns the instant business time d after start (before it, when d
// is negative). Add(t, 0) is t. A positive d ending exactly at the close of
// a working day returns that close, not the next morning.
func (c *Calendar) Add(start time.Time, d time.Duration) time.Time {
	if d == 0 {
		return start
	}
	if d < 0 {
		return c.sub(start, -d)
	}
	t := start.In(c.loc)
	day := midnight(t, c.loc)
	for range maxDays {
		if c.isWork(day.Format(DateLayout), day.Weekday()) {
			ws, we := c.window(day)
			if t.Before(ws) {
				t = ws
			}
			if t.Before(we) {
				avail := we.Sub(t)
				if d <= avail {
					return t.Add(d).In(start.Location())
				}
				d -= avail
			}
		}
		day = day.AddDate(0, 0, 1)
		t = day
	}
	return t.In(start.Location())
}

// sub walks back d of business time from end.
func (c *Calendar) sub(end time.Time, d time.Duration) time.Time {
	t := end.In(c.loc)
	day := midnight(t, c.loc)
	if t.Equal(day) { // midnight belongs to the day before
		day = day.AddDate(0, 0, -1)
	}
	for range maxDays {
		if c.isWork(day.Format(DateLayout), day.Weekday()) {
			ws, we := c.window(day)
			if t.After(we) {
				t = we
			}
			if t.After(ws) {
				avail := t.Sub(ws)
				if d <= avail {
					return t.Add(-d).In(end.Location())
				}
				d -= avail
			}
		}
		t = day // midnight, the end of the day before
		day = day.AddDate(0, 0, -1)
	}
	return t.In(end.Location())
}

// Between is the business time from a to b (negative when b is before a).
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if b.Before(a) {
		return -c.Between(b, a)
	}
	a, b = a.In(c.loc), b.In(c.loc)
	var total time.Duration
	day := midnight(a, c.loc)
	for i := 0; !day.After(b) && i < maxDays*4; i++ {
		if c.isWork(day.Format(DateLayout), day.Weekday()) {
			ws, we := c.window(day)
			lo, hi := ws, we
			if a.After(lo) {
				lo = a
			}
			if b.Before(hi) {
				hi = b
			}
			if hi.After(lo) {
				total += hi.Sub(lo)
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return total
}
