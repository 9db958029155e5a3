package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/bizcal"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/sla"
)

// The SLA on the web: a panel on the ticket's page (policy, both
// deadlines with the business time left, pauses, state, escalations) and
// the year of a business calendar on the calendar's page — a months grid
// with the official holidays, the 调休 make-up days and the admin's
// corrections; a click on a day adds or removes a correction (confirmed,
// written through the generic record path, so audited).

func init() {
	onDetail("ticket", (*Server).ticketSLAPanel)
	onDetail("business_calendar", (*Server).calendarYearPanel)
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("POST /calendars/{id}/days", s.page(s.calendarToggleDay))
	})
}

type slaClockRow struct {
	Name, Due, Left, Target, Class string
}

type slaEventRow struct{ At, Text string }

type slaPanel struct {
	T                            func(string, ...any) string
	Policy, Calendar, State, Cls string
	Paused, PausedTotal, Level   string
	Clocks                       []slaClockRow
	Events                       []slaEventRow
}

func slaMinutes(c *rc, m int64) string {
	neg := m < 0
	if neg {
		m = -m
	}
	var s string
	switch {
	case m >= 60:
		s = c.T("sla.hm", "h", m/60, "m", m%60)
	default:
		s = c.T("sla.m", "m", m)
	}
	if neg {
		return c.T("sla.overdue", "t", s)
	}
	return s
}

func (s *Server) ticketSLAPanel(c *rc, rec entity.Record, dp *detailPage) error {
	v, err := s.app.SLA.Ticket(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	p := &slaPanel{T: c.T, Policy: v.PolicyName, Calendar: v.CalendarName, State: c.T("sla.state." + v.State), Cls: "sla-" + v.State,
		PausedTotal: slaMinutes(c, v.PausedMinutes), Level: strconv.FormatInt(v.EscalationLevel, 10)}
	if p.Policy == "" {
		p.Policy = c.T("sla.no_policy")
	}
	if v.PausedAt != nil {
		p.Paused = c.fmtTime(*v.PausedAt)
	}
	for _, k := range v.Clocks {
		row := slaClockRow{Name: c.T("sla.clock." + k.Clock), Target: slaMinutes(c, k.TargetMinutes)}
		if k.DueAt != nil {
			row.Due = c.fmtTime(*k.DueAt)
		}
		switch {
		case k.Met != nil && *k.Met:
			row.Left, row.Class = c.T("sla.met"), "sla-ok"
		case k.Met != nil:
			row.Left, row.Class = c.T("sla.missed"), "sla-breached"
		default:
			row.Left = slaMinutes(c, k.RemainingMinutes)
			if k.RemainingMinutes < 0 {
				row.Class = "sla-breached"
			}
			if !k.Running {
				row.Left += " · " + c.T("sla.state.paused")
			}
		}
		p.Clocks = append(p.Clocks, row)
	}
	for _, e := range v.Events {
		text := c.T("sla.ev."+e.Kind, "level", e.Level, "minutes", e.Minutes)
		p.Events = append(p.Events, slaEventRow{At: c.fmtTime(e.At), Text: text})
	}
	h, err := c.partial("sla_ticket", p)
	if err != nil {
		return err
	}
	dp.Top = append(dp.Top, h)
	return nil
}

type calDay struct {
	Day, Date, Class, Title string
	Blank                   bool
}

type calMonth struct {
	Name string
	Days []calDay
}

type calPanel struct {
	T                 func(string, ...any) string
	ID                string
	Year, Prev, Next  int
	Months            []calMonth
	Specials          []bizcal.Special
	CanEdit           bool
	Confirm, Weekdays string
	WeekdayNames      []string
}

func (s *Server) calendarYearPanel(c *rc, rec entity.Record, dp *detailPage) error {
	year := time.Now().In(s.app.Loc).Year()
	if y, err := strconv.Atoi(c.r.URL.Query().Get("year")); err == nil && y >= 1970 && y <= 2100 {
		year = y
	}
	v, err := s.app.SLA.Year(c.ctx(), c.p, rec.ID(), year)
	if err != nil {
		return err
	}
	special := map[string]bizcal.Special{}
	for _, d := range v.Days {
		special[d.Date] = d
	}
	p := &calPanel{T: c.T, ID: rec.ID(), Year: year, Prev: year - 1, Next: year + 1, Specials: v.Days,
		CanEdit: c.p.Perm("calendar_day").Create && c.writable("business_calendar", rec.ID()), Confirm: c.T("sla.cal.confirm")}
	for _, k := range []string{"1", "2", "3", "4", "5", "6", "0"} {
		p.WeekdayNames = append(p.WeekdayNames, c.T("sla.wd."+k))
	}
	loc := v.Calendar.Location()
	for m := time.January; m <= time.December; m++ {
		first := time.Date(year, m, 1, 12, 0, 0, 0, loc)
		cm := calMonth{Name: c.T("sla.month."+strconv.Itoa(int(m)), "year", year)}
		lead := (int(first.Weekday()) + 6) % 7 // Monday first
		for range lead {
			cm.Days = append(cm.Days, calDay{Blank: true})
		}
		for d := first; d.Month() == m; d = d.AddDate(0, 0, 1) {
			date := d.Format(bizcal.DateLayout)
			work := v.Calendar.IsWorkday(d)
			day := calDay{Day: strconv.Itoa(d.Day()), Date: date}
			cls := []string{}
			if work {
				cls = append(cls, "cal-work")
			} else {
				cls = append(cls, "cal-off")
			}
			title := date
			if sp, ok := special[date]; ok {
				if sp.Kind == bizcal.Workday {
					cls = append(cls, "cal-makeup")
				} else {
					cls = append(cls, "cal-holiday")
				}
				if sp.Source == bizcal.SourceCorrection {
					cls = append(cls, "cal-corrected")
				}
				title += " " + sp.Name
			}
			if work {
				title += " · " + c.T("sla.cal.workday")
			} else {
				title += " · " + c.T("sla.cal.dayoff")
			}
			day.Class, day.Title = strings.Join(cls, " "), title
			cm.Days = append(cm.Days, day)
		}
		p.Months = append(p.Months, cm)
	}
	h, err := c.partial("sla_calendar", p)
	if err != nil {
		return err
	}
	dp.Panels = append(dp.Panels, h)
	return nil
}

// calendarToggleDay adds a correction on a date (the opposite of what the
// calendar says now), or removes the date's correction when it has one.
func (s *Server) calendarToggleDay(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	id := strings.ToLower(c.r.PathValue("id"))
	date := c.r.PostForm.Get("date")
	d, err := time.Parse(bizcal.DateLayout, date)
	if err != nil {
		return errs.Validation([]errs.FieldError{{Field: "date", Code: "sla_bad_date"}})
	}
	back := fmt.Sprintf("/calendars/%s?year=%d", id, d.Year())
	v, err := s.app.SLA.Year(c.ctx(), c.p, id, d.Year())
	if err != nil {
		return err
	}
	if cid, ok := v.Corrections[date]; ok {
		rec, err := s.app.Records.Get(c.ctx(), c.p, "calendar_day", cid)
		if err != nil {
			return err
		}
		if err := s.app.Records.Delete(c.ctx(), c.p, "calendar_day", cid, rec.Version()); err != nil {
			return c.processFailed(err, back)
		}
		return c.processDone(c.T("sla.cal.removed", "date", date), back)
	}
	work, err := v.Calendar.IsWorkdate(date)
	if err != nil {
		return err
	}
	kind := crm.DayWorkday
	if work {
		kind = crm.DayHoliday
	}
	if _, err := s.app.Records.Create(c.ctx(), c.p, "calendar_day", entity.Record{"calendar_id": id, "date": date, "kind": kind, "name": c.T("sla.cal.manual")}); err != nil {
		return c.processFailed(err, back)
	}
	return c.processDone(c.T("sla.cal.added", "date", date), back)
}

var _ = sla.NotifyWarning
