package care

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/mail"
	"closeloop/internal/store"
)

// Greetable reports whether a reminder's kind has a greeting to send
// (a birthday, a holiday, a contract anniversary; an expiry calls for a
// call, not a card).
func Greetable(kind string) bool {
	return kind == crm.CareBirthday || kind == crm.CareHoliday || kind == crm.CareContractAnniversary
}

// load reads a reminder p may change (404 when p may not see it, 403 when
// they may see but not change it).
func (s *Service) load(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (entity.Record, error) {
	e := s.entity("care_reminder")
	id = strings.ToLower(strings.TrimSpace(id))
	if _, err := s.DB.Get(ctx, tx, e, id, s.R.ReadPred(e, p), false); err != nil {
		return nil, err
	}
	perm := p.Perm(e.Name)
	if perm.Write == access.None || p.ReadOnly {
		return nil, errs.Denied()
	}
	rec, err := s.R.LoadForWrite(ctx, tx, p, e, id, perm.Write, false)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.Denied()
	}
	return rec, err
}

// SendGreeting e-mails the reminder's contact the greeting (the owner's
// "send greeting"): refused for a contact marked do-not-contact or without
// an e-mail address, and never sent twice. The reminder is then done.
func (s *Service) SendGreeting(ctx context.Context, p *access.Principal, id string) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.load(ctx, tx, p, id)
		if err != nil {
			return err
		}
		out, err = s.greet(ctx, tx, p, rec)
		return err
	})
	return out, err
}

// greet sends one greeting inside tx; the mark on the reminder
// (greeted_at, set only while still empty) is what keeps it to once.
func (s *Service) greet(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record) (entity.Record, error) {
	if !Greetable(rec.Str("kind")) {
		return nil, errs.New(errs.Unprocessable, "care_not_greetable")
	}
	if rec["greeted_at"] != nil {
		return nil, errs.New(errs.Conflict, "care_already_greeted")
	}
	if rec.Str("status") == crm.CareSkipped {
		return nil, errs.New(errs.Unprocessable, "care_skipped")
	}
	contactID := rec.Str("contact_id")
	if contactID == "" {
		return nil, errs.New(errs.Unprocessable, "care_no_contact")
	}
	var name, email string
	var dnc bool
	err := tx.QueryRowContext(ctx, `SELECT name, coalesce(email, ''), do_not_contact FROM contacts WHERE id = $1 AND deleted_at IS NULL`, contactID).Scan(&name, &email, &dnc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.Unprocessable, "care_no_contact")
	}
	if err != nil {
		return nil, errs.Wrap(err, "care: contact %s", contactID)
	}
	if dnc {
		return nil, errs.New(errs.Unprocessable, "care_do_not_contact", "name", name)
	}
	if email == "" {
		return nil, errs.New(errs.Unprocessable, "care_no_email", "name", name)
	}
	st, err := s.LoadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	lang := i18n.Lang(st.GreetingLang)
	g := st.Greetings[st.GreetingLang]
	owner := ""
	if oid := rec.Str("owner_id"); oid != "" {
		_ = tx.QueryRowContext(ctx, `SELECT name FROM users WHERE id = $1`, oid).Scan(&owner)
	}
	company := ""
	if s.Company != nil {
		if co, err := s.Company(ctx); err == nil {
			company = co.Name
			if lang == i18n.EN && co.NameEn != "" {
				company = co.NameEn
			}
		}
	}
	occasion := optionText(crm.CareKinds, rec.Str("kind"), lang)
	if h := rec.Str("holiday"); h != "" {
		occasion = optionText(crm.CareHolidays, h, lang)
	}
	vars := map[string]string{"name": name, "holiday": occasion, "company": company, "owner": owner}
	// Mark first: a second click, or the job, finds it marked.
	now := s.now()
	r, err := tx.ExecContext(ctx, `UPDATE care_reminders SET greeted_at = $1 WHERE id = $2 AND greeted_at IS NULL`, now, rec.ID())
	if err != nil {
		return nil, errs.Wrap(err, "care: mark greeted")
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil, errs.New(errs.Conflict, "care_already_greeted")
	}
	rec["greeted_at"] = now
	if _, err := s.Mail.Enqueue(ctx, tx, mail.Message{To: []string{addr(name, email)}, Subject: crm.FillGreeting(g.Subject, vars),
		Text: crm.FillGreeting(g.Body, vars), Entity: "care_reminder", RecordID: rec.ID(), CreatedBy: p.UserID}); err != nil {
		return nil, err
	}
	set := entity.Record{"greeted_at": now}
	if rec.Str("status") == crm.CarePending {
		set["status"], set["done_at"] = crm.CareDone, now
	}
	old := rec.Clone()
	old["greeted_at"] = nil
	out, err := s.R.SetTx(ctx, tx, p, s.entity("care_reminder"), old, set)
	if err != nil {
		return nil, err
	}
	if err := s.event(ctx, tx, p, rec.Str("customer_id"), "care_greeted", rec.ID(), map[string]any{"title": rec.Str("title"), "name": name}); err != nil {
		return nil, err
	}
	return out, nil
}

func addr(name, email string) string {
	if name == "" || strings.ContainsAny(name, "<>\"\r\n,;") {
		return email
	}
	return name + " <" + email + ">"
}

func optionText(opts []entity.Option, code string, l i18n.Lang) string {
	for _, o := range opts {
		if o.Code == code {
			return o.Label.In(l)
		}
	}
	return code
}

// SetStatus marks a pending reminder done or skipped, with an optional note.
func (s *Service) SetStatus(ctx context.Context, p *access.Principal, id, status, note string) (entity.Record, error) {
	if status != crm.CareDone && status != crm.CareSkipped {
		return nil, errs.Validation([]errs.FieldError{{Field: "status", Code: "invalid_option", Args: map[string]any{"value": status}}})
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.load(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if rec.Str("status") != crm.CarePending {
			return errs.New(errs.Conflict, "care_not_pending")
		}
		set := entity.Record{"status": status, "done_at": s.now()}
		if n := strings.TrimSpace(note); n != "" {
			set["note"] = n
		}
		if out, err = s.R.SetTx(ctx, tx, p, s.entity("care_reminder"), rec, set); err != nil {
			return err
		}
		kind := "care_done"
		if status == crm.CareSkipped {
			kind = "care_skipped"
		}
		return s.event(ctx, tx, p, rec.Str("customer_id"), kind, rec.ID(), map[string]any{"title": rec.Str("title"), "note": strings.TrimSpace(note)})
	})
	return out, err
}

// autoGreet sends the greetings rules send by themselves, on the day;
// a contact marked do-not-contact, or without an address, is passed over
// (the reminder stays on the owner's list).
func (s *Service) autoGreet(ctx context.Context, today string) (int, error) {
	rows, err := s.DB.R().QueryContext(ctx, `SELECT id FROM care_reminders WHERE auto_greeting = TRUE AND greeted_at IS NULL AND status = 'pending'
		AND deleted_at IS NULL AND date <= $1 ORDER BY date, id LIMIT 1000`, today)
	if err != nil {
		return 0, errs.Wrap(err, "care: greetings due")
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sys := access.SystemPrincipal()
	e := s.entity("care_reminder")
	n := 0
	for _, id := range ids {
		err := s.DB.Write(ctx, func(tx *store.Tx) error {
			rec, err := s.DB.Get(ctx, tx, e, id, store.True, false)
			if err != nil {
				return err
			}
			if rec.Str("date") != today {
				// A day missed (the server was down): not sent late; the
				// owner sees it on the list.
				_, err := tx.ExecContext(ctx, `UPDATE care_reminders SET auto_greeting = FALSE WHERE id = $1`, id)
				return err
			}
			if _, err := s.greet(ctx, tx, sys, rec); err != nil {
				if k := errs.KindOf(err); k == errs.Unprocessable || k == errs.Conflict {
					_, err := tx.ExecContext(ctx, `UPDATE care_reminders SET auto_greeting = FALSE WHERE id = $1`, id)
					return err
				}
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, errs.Wrap(err, "care: greet %s", id)
		}
	}
	return n, nil
}

// event writes a line of the customer's timeline.
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, customerID, kind, id string, data map[string]any) error {
	if customerID == "" {
		return nil
	}
	return s.DB.AddEvent(ctx, tx, store.Event{CustomerID: customerID, ActorID: p.UserID, Kind: kind, Entity: "care_reminder", RecordID: id, Data: data})
}
