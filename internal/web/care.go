package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/care"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// Care in the web UI: the 今日关怀 card on the home page, the page of my
// care reminders, the reminder's steps (send greeting, done, skip), the
// "create opportunity" button or the link to the one raised on every
// after-sales record an opportunity may come from, the "raised from" link
// on the opportunity, the signals page, the care settings, and the
// after-sales group of the customer timeline. Every form posts to the
// same service the API calls.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		for _, e := range s.app.Care.Origins() {
			m.HandleFunc("POST "+basePath(e)+"/{id}/opportunity", s.page(s.careRaise(e.Name)))
		}
		m.HandleFunc("GET /care", s.page(s.careMine))
		m.HandleFunc("POST /care-reminders/{id}/greeting", s.page(s.careGreet))
		m.HandleFunc("POST /care-reminders/{id}/done", s.page(s.careStep(crm.CareDone)))
		m.HandleFunc("POST /care-reminders/{id}/skip", s.page(s.careStep(crm.CareSkipped)))
		m.HandleFunc("GET /service/signals", s.page(s.careSignals))
		m.HandleFunc("GET /settings/care", s.adminPage(s.careSettingsPage))
		m.HandleFunc("POST /settings/care", s.adminPage(s.careSettingsSave))
		m.HandleFunc("POST /settings/care/plan", s.adminPage(s.carePlanNow))
	})
	for _, o := range crm.OpportunityOrigins {
		onDetail(o.Code, (*Server).careOriginPanel)
	}
	onDetail("care_reminder", (*Server).careReminderActions)
	onDetail("opportunity", (*Server).careRaisedFrom)
	onHome((*Server).homeCare)
	navAfter["care_reminder"] = append(navAfter["care_reminder"], func(c *rc) []navItem {
		return []navItem{{Key: "care-mine", Text: c.T("care.nav_mine"), Href: "/care"}, {Key: "signals", Text: c.T("care.nav_signals"), Href: "/service/signals"}}
	})
	settingsSections = append(settingsSections, settingsLink{"care", "/settings/care"})
	// The after-sales records' timeline events form a group of their own.
	for _, name := range access.ServiceCaseEntities {
		tlGroups[name] = tlGroup{Class: "tl-service", Icon: "tl.icon.service"}
	}
	tlGroups["kind:opportunity_raised"] = tlGroup{Class: "tl-service", Icon: "tl.icon.raised"}
	for code, tone := range map[string]string{crm.CarePending: "badge-warning", crm.CareDone: "badge-success", crm.CareSkipped: "badge-muted"} {
		if _, set := tones[code]; !set {
			tones[code] = tone
		}
	}
}

// careRow is a reminder on the home card and my list.
type careRow struct {
	ID, Href, Title, Date, Kind, Note string
	Customer, Contact                 cell
	Overdue, Today, CanGreet          bool
	Greeted                           bool
}

type careCard struct {
	T     func(string, ...any) string
	Rows  []careRow
	More  int
	All   string
	Today string
}

func (c *rc) careRows(recs []entity.Record, today string) []careRow {
	e := c.schema.Entity("care_reminder")
	rf := c.collectRefs([]*entity.Field{e.Field("customer_id"), e.Field("contact_id")}, recs...)
	out := make([]careRow, 0, len(recs))
	for _, r := range recs {
		row := careRow{ID: r.ID(), Href: "/care-reminders/" + r.ID(), Title: r.Str("title"), Date: r.Str("date"),
			Kind:     c.schema.OptionLabel(e.Field("kind"), r.Str("kind"), c.L),
			Customer: c.cell(e.Field("customer_id"), r["customer_id"], rf), Contact: c.cell(e.Field("contact_id"), r["contact_id"], rf),
			Overdue: r.Str("date") < today, Today: r.Str("date") == today, Greeted: r["greeted_at"] != nil}
		row.CanGreet = care.Greetable(r.Str("kind")) && !row.Greeted && r.Str("contact_id") != ""
		out = append(out, row)
	}
	return out
}

// homeCare is the 今日关怀 card: the user's pending reminders — left from
// the days before, today's, then the coming days of the look-ahead.
func (s *Server) homeCare(c *rc, hp *homePage) error {
	if c.p.Perm("care_reminder").Read == access.None || c.p.UserID == "" {
		return nil
	}
	st, err := s.app.Care.LoadSettings(c.ctx(), s.app.DB.R())
	if err != nil {
		return err
	}
	today := s.app.Care.Today()
	_, until := crm.CareWindow(today, st.Days)
	recs, err := s.app.Care.Mine(c.ctx(), c.p, until, 11)
	if err != nil || len(recs) == 0 {
		return err
	}
	card := careCard{T: c.T, All: "/care", Today: today}
	if len(recs) > 10 {
		card.More, recs = 1, recs[:10]
	}
	card.Rows = c.careRows(recs, today)
	return s.partialOr(c, "care_home", card, &hp.Cards)
}

// careMinePage lists my pending reminders of the look-ahead.
type careMinePage struct {
	*base
	Rows    []careRow
	Days    int
	Until   string
	AllHref string
}

func (s *Server) careMine(c *rc) error {
	if c.p.Perm("care_reminder").Read == access.None {
		return errs.Denied()
	}
	st, err := s.app.Care.LoadSettings(c.ctx(), s.app.DB.R())
	if err != nil {
		return err
	}
	today := s.app.Care.Today()
	_, until := crm.CareWindow(today, st.Days)
	recs, err := s.app.Care.Mine(c.ctx(), c.p, until, 200)
	if err != nil {
		return err
	}
	pg := &careMinePage{base: c.newBase(c.T("care.mine_title"), "care-mine"), Days: st.Days, Until: until,
		AllHref: "/care-reminders?owner_id=" + url.QueryEscape(c.p.UserID)}
	pg.Rows = c.careRows(recs, today)
	return c.render(http.StatusOK, "care_mine", pg)
}

func (s *Server) careBack(c *rc, id string) string {
	if b := c.r.PostFormValue("back"); b == "/" || b == "/care" {
		return b
	}
	return "/care-reminders/" + id
}

func (s *Server) careGreet(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	id := strings.ToLower(c.r.PathValue("id"))
	r, err := s.app.Care.SendGreeting(c.ctx(), c.p, id)
	if err != nil {
		return c.processFailed(err, s.careBack(c, id))
	}
	return c.processDone(c.T("care.greeted", "title", r.Str("title")), s.careBack(c, id))
}

func (s *Server) careStep(status string) handler {
	return func(c *rc) error {
		if err := c.r.ParseForm(); err != nil {
			return errs.New(errs.Invalid, "validation")
		}
		id := strings.ToLower(c.r.PathValue("id"))
		note := strings.TrimSpace(c.r.PostFormValue("note"))
		if len([]rune(note)) > 2000 {
			note = string([]rune(note)[:2000])
		}
		r, err := s.app.Care.SetStatus(c.ctx(), c.p, id, status, note)
		if err != nil {
			return c.processFailed(err, s.careBack(c, id))
		}
		return c.processDone(c.T("care.marked_"+status, "title", r.Str("title")), s.careBack(c, id))
	}
}

// careReminderActions are the reminder's steps in the page header.
func (s *Server) careReminderActions(c *rc, rec entity.Record, dp *detailPage) error {
	if rec.Str("status") != crm.CarePending && rec["greeted_at"] != nil {
		return nil
	}
	if !c.writable("care_reminder", rec.ID()) {
		return nil
	}
	v := &fulView{T: c.T, ID: rec.ID()}
	base := "/care-reminders/" + rec.ID()
	if care.Greetable(rec.Str("kind")) && rec["greeted_at"] == nil && rec.Str("contact_id") != "" && rec.Str("status") != crm.CareSkipped {
		v.Buttons = append(v.Buttons, fulButton{Text: c.T("care.send_greeting"), Action: base + "/greeting", Primary: true, Confirm: c.T("care.send_greeting_confirm")})
	}
	if rec.Str("status") == crm.CarePending {
		v.Buttons = append(v.Buttons, fulButton{Text: c.T("care.mark_done"), Action: base + "/done"},
			fulButton{Text: c.T("care.mark_skip"), Action: base + "/skip", Confirm: c.T("care.skip_confirm")})
	}
	return s.partialOr(c, "ful_actions", v, &dp.Actions)
}

// careOriginView is the side card of an after-sales record: the
// opportunity raised from it, or the button to raise one.
type careOriginView struct {
	T        func(string, ...any) string
	OppHref  string
	OppTitle string
	Action   string
	Confirm  string
	NoCust   bool
}

func (s *Server) careOriginPanel(c *rc, rec entity.Record, dp *detailPage) error {
	e := s.app.Care.Origin(dp.Entity)
	if e == nil || rec["deleted_at"] != nil {
		return nil
	}
	v := &careOriginView{T: c.T}
	if id := rec.Str("opportunity_id"); id != "" {
		v.OppHref = "/opportunities/" + id
		if t, err := s.app.Records.Titles(c.ctx(), access.SystemPrincipal(), "opportunity", []string{id}); err == nil {
			v.OppTitle = t[id]
		}
		if v.OppTitle == "" {
			v.OppTitle = c.T("care.opportunity")
		}
		return s.partialOr(c, "care_origin", v, &dp.Side)
	}
	if c.p.ReadOnly || (!c.p.Perm("opportunity").Create && !c.writable(e.Name, rec.ID())) {
		return nil
	}
	if rec.Str("customer_id") == "" {
		v.NoCust = true
	} else {
		v.Action, v.Confirm = basePath(e)+"/"+rec.ID()+"/opportunity", c.T("care.raise_confirm")
	}
	return s.partialOr(c, "care_origin", v, &dp.Side)
}

func (s *Server) careRaise(entityName string) handler {
	return func(c *rc) error {
		if err := c.r.ParseForm(); err != nil {
			return errs.New(errs.Invalid, "validation")
		}
		e := c.schema.Entity(entityName)
		id := strings.ToLower(c.r.PathValue("id"))
		back := basePath(e) + "/" + id
		opp, _, err := s.app.Care.Raise(c.ctx(), c.p, entityName, id, care.RaiseInput{Name: c.r.PostFormValue("name")})
		if err != nil {
			if ee := errs.As(err); ee != nil && ee.Code == "opportunity_already_raised" {
				c.flash("error", c.errText(err))
				return c.redirect(back)
			}
			return c.processFailed(err, back)
		}
		return c.processDone(c.T("care.raised", "title", opp.Str("name")), back)
	}
}

// careRaisedFrom shows on an opportunity the after-sales record it came from.
func (s *Server) careRaisedFrom(c *rc, rec entity.Record, dp *detailPage) error {
	oe, oid := rec.Str("origin_entity"), rec.Str("origin_id")
	if oe == "" || oid == "" {
		return nil
	}
	e := c.schema.Entity(oe)
	if e == nil {
		return nil
	}
	v := struct {
		T                 func(string, ...any) string
		Kind, Title, Href string
	}{T: c.T, Kind: e.Label.In(c.L), Href: basePath(e) + "/" + oid}
	if t, err := s.app.Records.Titles(c.ctx(), access.SystemPrincipal(), oe, []string{oid}); err == nil {
		v.Title = t[oid]
	}
	if v.Title == "" {
		v.Title = oid[:8]
	}
	return s.partialOr(c, "care_raised_from", v, &dp.Side)
}

// Signals.

type signalRow struct {
	Kind, KindLabel, Customer, CustomerHref, Date, Detail, DetailHref, Count, RaiseHref string
}

type signalsPage struct {
	*base
	Rows   []signalRow
	Kinds  []option
	Kind   string
	Days   int
	Counts map[string]int
}

func (s *Server) careSignals(c *rc) error {
	kind := c.r.URL.Query().Get("kind")
	switch kind {
	case "", crm.SignalWarranty, crm.SignalContract, crm.SignalRepeated, crm.SignalConsumables:
	default:
		kind = ""
	}
	items, err := s.app.Care.Signals(c.ctx(), c.p, kind, time.Now())
	if err != nil {
		return err
	}
	st, err := s.app.Care.LoadSettings(c.ctx(), s.app.DB.R())
	if err != nil {
		return err
	}
	pg := &signalsPage{base: c.newBase(c.T("care.signals_title"), "signals"), Kind: kind, Days: st.Days}
	pg.Kinds = append(pg.Kinds, option{Value: "", Label: c.T("care.signal_all"), Selected: kind == ""})
	for _, k := range []string{crm.SignalWarranty, crm.SignalContract, crm.SignalRepeated, crm.SignalConsumables} {
		pg.Kinds = append(pg.Kinds, option{Value: k, Label: c.T("care.signal." + k), Selected: kind == k})
	}
	canRaise := c.p.Perm("opportunity").Create && !c.p.ReadOnly
	for _, it := range items {
		row := signalRow{Kind: it.Kind, KindLabel: c.T("care.signal." + it.Kind), Customer: it.CustomerName, CustomerHref: "/customers/" + it.CustomerID,
			Date: it.Date, Detail: it.Detail}
		if e := c.schema.Entity(it.Entity); e != nil && it.RecordID != "" {
			row.DetailHref = basePath(e) + "/" + it.RecordID
		}
		switch it.Kind {
		case crm.SignalRepeated:
			row.Count = c.T("care.n_tickets", "n", it.Count)
		case crm.SignalConsumables:
			row.Count = c.T("care.n_days_ago", "n", it.Count)
		}
		if canRaise {
			q := url.Values{"customer_id": {it.CustomerID}, "name": {c.T("care.signal_opp_name", "kind", row.KindLabel, "detail", it.Detail)}}
			row.RaiseHref = "/opportunities/new?" + q.Encode()
		}
		pg.Rows = append(pg.Rows, row)
	}
	return c.render(http.StatusOK, "care_signals", pg)
}

// Settings.

type careSettingsPage struct {
	*base
	Days, ConsumableDays string
	Langs                []option
	Greetings            []careGreetingForm
	Errors               []string
}

type careGreetingForm struct {
	Lang, Label, Subject, Body string
}

func (s *Server) careSettingsView(c *rc, st care.Settings, errors []string) *careSettingsPage {
	pg := &careSettingsPage{base: c.settingsBase(c.T("set.care"), "settings"), Days: itoa(st.Days), ConsumableDays: itoa(st.ConsumableDays), Errors: errors}
	for _, l := range []struct{ code, label string }{{string(i18n.ZH), "中文"}, {string(i18n.EN), "English"}} {
		pg.Langs = append(pg.Langs, option{Value: l.code, Label: l.label, Selected: st.GreetingLang == l.code})
		g := st.Greetings[l.code]
		pg.Greetings = append(pg.Greetings, careGreetingForm{Lang: l.code, Label: l.label, Subject: g.Subject, Body: g.Body})
	}
	return pg
}

func itoa(n int) string { return strconv.Itoa(n) }

func (s *Server) careSettingsPage(c *rc) error {
	st, err := s.app.Care.LoadSettings(c.ctx(), s.app.DB.R())
	if err != nil {
		return err
	}
	return c.render(http.StatusOK, "care_settings", s.careSettingsView(c, st, nil))
}

func (s *Server) careSettingsSave(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	in := care.Settings{GreetingLang: f.Get("greeting_lang"), Greetings: map[string]crm.Greeting{}}
	var bad []errs.FieldError
	num := func(name string) int {
		v := strings.TrimSpace(f.Get(name))
		n := 0
		for _, r := range v {
			if r < '0' || r > '9' || n > 100000 {
				bad = append(bad, errs.FieldError{Field: name, Code: "invalid_number"})
				return 0
			}
			n = n*10 + int(r-'0')
		}
		return n
	}
	in.Days, in.ConsumableDays = num("days"), num("consumable_days")
	for _, l := range []string{string(i18n.ZH), string(i18n.EN)} {
		in.Greetings[l] = crm.Greeting{Subject: strings.TrimSpace(f.Get("subject_" + l)), Body: strings.TrimSpace(strings.ReplaceAll(f.Get("body_"+l), "\r\n", "\n"))}
	}
	var err error
	if len(bad) > 0 {
		err = errs.Validation(bad)
	} else {
		_, err = s.app.Care.SaveSettings(c.ctx(), c.p, in)
	}
	if err != nil {
		if !userError(err) {
			return err
		}
		pg := s.careSettingsView(c, in, c.fieldMessages(err, "care.field."))
		pg.Days, pg.ConsumableDays = f.Get("days"), f.Get("consumable_days")
		return c.render(httpStatus(err), "care_settings", pg)
	}
	c.flash("success", c.T("care.settings_saved"))
	return c.redirect("/settings/care")
}

func (s *Server) carePlanNow(c *rc) error {
	res, err := s.app.Care.Plan(c.ctx(), time.Now())
	if err != nil {
		return err
	}
	c.flash("success", c.T("care.planned", "n", res.Created, "g", res.Greeted))
	return c.redirect("/settings/care")
}
