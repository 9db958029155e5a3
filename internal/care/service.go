// Package care runs the account owner's part of after-sales (售后即下一次
// 售前): the daily care list (birthdays — lunar ones included — holidays
// by care rule, contract anniversaries, warranties and contracts about to
// expire), greetings by e-mail through the outbox (never to a contact
// marked do-not-contact, never twice), new opportunities raised from a
// ticket, visit, return visit, survey or care reminder and linked both
// ways, and the signals list of customers with a reason to call.
//
// The date rules are pure (crm/care.go); this package reads with plain
// engine-neutral SQL and writes through the record service (validation,
// audit, index, hooks), so the pre-sales rules apply to the opportunities
// it creates.
package care

import (
	"context"
	"strconv"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/mail"
	"closeloop/internal/pdfdoc"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Service is the care service.
type Service struct {
	R    *records.Service
	DB   *store.DB
	Mail *mail.Service
	// Company names us in greetings (admin.Service.Company; nil: none).
	Company func(ctx context.Context) (pdfdoc.Company, error)

	nowFunc func() time.Time
}

// New creates the service.
func New(r *records.Service, m *mail.Service) *Service {
	return &Service{R: r, DB: r.DB, Mail: m, nowFunc: store.Now}
}

// SetClock replaces the clock (tests: planning on a given day).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

// Today is the company's date now.
func (s *Service) Today() string { return s.now().In(s.R.Loc).Format(entity.DateLayout) }

func (s *Service) entity(name string) *entity.Entity { return s.R.Schema().Entity(name) }

// Settings keys.
const (
	DaysKey            = "care.days"
	ConsumableDaysKey  = "care.consumable_days"
	GreetingLangKey    = "care.greeting_lang"
	greetingSubjectKey = "care.greeting_subject."
	greetingBodyKey    = "care.greeting_body."
)

// Settings are the care settings an administrator keeps under /settings.
type Settings struct {
	// Days is how far ahead the care list and the expiry signals look.
	Days int `json:"days"`
	// ConsumableDays is when a consumable's reorder is due after the last order.
	ConsumableDays int `json:"consumable_days"`
	// GreetingLang is the language greetings are written in (zh-CN or en).
	GreetingLang string `json:"greeting_lang"`
	// Greetings are the templates by language; placeholders {name},
	// {holiday}, {company}, {owner}.
	Greetings map[string]crm.Greeting `json:"greetings"`
}

func (s *Service) intSetting(ctx context.Context, q store.Querier, key string, def int) (int, error) {
	v, err := s.DB.Setting(ctx, q, key)
	if err != nil {
		return 0, errs.Wrap(err, "care: setting %s", key)
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return n, nil
	}
	return def, nil
}

// LoadSettings reads the settings, with the defaults where none is set.
func (s *Service) LoadSettings(ctx context.Context, q store.Querier) (Settings, error) {
	st := Settings{Greetings: map[string]crm.Greeting{}}
	var err error
	if st.Days, err = s.intSetting(ctx, q, DaysKey, crm.CareDefaultDays); err != nil {
		return st, err
	}
	if st.ConsumableDays, err = s.intSetting(ctx, q, ConsumableDaysKey, crm.ConsumablesDefaultDays); err != nil {
		return st, err
	}
	st.GreetingLang, err = s.DB.Setting(ctx, q, GreetingLangKey)
	if err != nil {
		return st, err
	}
	if st.GreetingLang != string(i18n.EN) {
		st.GreetingLang = string(i18n.ZH)
	}
	for _, l := range []i18n.Lang{i18n.ZH, i18n.EN} {
		g := crm.DefaultGreetings[l]
		if v, err := s.DB.Setting(ctx, q, greetingSubjectKey+string(l)); err != nil {
			return st, err
		} else if v != "" {
			g.Subject = v
		}
		if v, err := s.DB.Setting(ctx, q, greetingBodyKey+string(l)); err != nil {
			return st, err
		} else if v != "" {
			g.Body = v
		}
		st.Greetings[string(l)] = g
	}
	return st, nil
}

// SaveSettings changes the settings (administrators), audited.
func (s *Service) SaveSettings(ctx context.Context, p *access.Principal, in Settings) (Settings, error) {
	if !p.IsAdmin() {
		return Settings{}, errs.Denied()
	}
	var bad []errs.FieldError
	if in.Days < 1 || in.Days > crm.CareMaxDays {
		bad = append(bad, errs.FieldError{Field: "days", Code: "out_of_range", Args: map[string]any{"min": 1, "max": crm.CareMaxDays}})
	}
	if in.ConsumableDays < 1 || in.ConsumableDays > 730 {
		bad = append(bad, errs.FieldError{Field: "consumable_days", Code: "out_of_range", Args: map[string]any{"min": 1, "max": 730}})
	}
	if in.GreetingLang != string(i18n.ZH) && in.GreetingLang != string(i18n.EN) {
		bad = append(bad, errs.FieldError{Field: "greeting_lang", Code: "invalid_option", Args: map[string]any{"value": in.GreetingLang}})
	}
	for l, g := range in.Greetings {
		if l != string(i18n.ZH) && l != string(i18n.EN) {
			bad = append(bad, errs.FieldError{Field: "greetings." + l, Code: "unknown_field", Args: map[string]any{"field": l}})
			continue
		}
		if len([]rune(g.Subject)) > 200 || g.Subject == "" {
			bad = append(bad, errs.FieldError{Field: "greetings." + l + ".subject", Code: "care_template_length", Args: map[string]any{"max": 200}})
		}
		if len([]rune(g.Body)) > 5000 || g.Body == "" {
			bad = append(bad, errs.FieldError{Field: "greetings." + l + ".body", Code: "care_template_length", Args: map[string]any{"max": 5000}})
		}
	}
	if err := errs.Validation(bad); err != nil {
		return Settings{}, err
	}
	var out Settings
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.LoadSettings(ctx, tx)
		if err != nil {
			return err
		}
		set := map[string]string{DaysKey: strconv.Itoa(in.Days), ConsumableDaysKey: strconv.Itoa(in.ConsumableDays), GreetingLangKey: in.GreetingLang}
		for l, g := range in.Greetings {
			set[greetingSubjectKey+l], set[greetingBodyKey+l] = g.Subject, g.Body
		}
		for k, v := range set {
			if err := s.DB.SetSetting(ctx, tx, k, v); err != nil {
				return err
			}
		}
		if out, err = s.LoadSettings(ctx, tx); err != nil {
			return err
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "setting", RecordID: "care", Action: "update",
			Changes: map[string]store.Change{"care": {Old: old, New: out}}})
	})
	return out, err
}

// dateText reads a DATE column on either engine.
func dateText(v any) string {
	switch d := v.(type) {
	case nil:
		return ""
	case string:
		if len(d) >= 10 {
			return d[:10]
		}
		return d
	case []byte:
		return dateText(string(d))
	}
	if t := store.ScanTime(v); !t.IsZero() {
		return t.Format(entity.DateLayout)
	}
	return ""
}

// dayOf is the company's date of a timestamp column ("" when NULL).
func (s *Service) dayOf(v any) string {
	if v == nil {
		return ""
	}
	if t := store.ScanTime(v); !t.IsZero() {
		return t.In(s.R.Loc).Format(entity.DateLayout)
	}
	return dateText(v)
}

// Mine lists the pending reminders p owns dated up to upto (the day's
// list: today's and those left from the days before), oldest first.
func (s *Service) Mine(ctx context.Context, p *access.Principal, upto string, limit int) ([]entity.Record, error) {
	e := s.entity("care_reminder")
	q := entity.Query{Limit: limit, Sort: e.Field("date"), Conds: []entity.Cond{
		{Field: e.Field("owner_id"), Op: entity.Eq, Values: []any{p.UserID}},
		{Field: e.Field("status"), Op: entity.Eq, Values: []any{crm.CarePending}},
		{Field: e.Field("date"), Op: entity.Lte, Values: []any{upto}},
	}}
	page, err := s.R.List(ctx, p, e.Name, q)
	if err != nil {
		return nil, err
	}
	return page.Items, nil
}
