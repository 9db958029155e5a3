package feedback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/linktoken"
	"closeloop/internal/mail"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Surveys: a ticket that becomes resolved — by whichever step or process —
// gets one survey (pending). The job feedback.send_surveys mails it after
// the delay setting to the ticket's contact (never one marked
// do-not-contact) or the reporter's address, with a one-time link
// /survey/{token}; an agent may also copy a fresh link for WeChat. Only the
// token's SHA-256 is stored (public_links, purpose survey_answer). The
// customer answers once, before the link expires; a satisfaction of 2 or
// less opens a recovery task for the manager, and a complaint so answered
// is marked.

// SurveyPurpose is the public_links purpose of survey links.
const SurveyPurpose = "survey_answer"

// SurveyPath is where the public survey page lives.
const SurveyPath = "/survey/"

// Defaults of the settings.
const (
	DefaultSurveyDelay = 60 // minutes
	DefaultSurveyDays  = 14
)

func (s *Service) afterTicket(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action != records.Update || !ch.Has("status") || ch.New.Str("status") != crm.TicketResolved {
		return nil
	}
	t := ch.New
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM surveys WHERE ticket_id = $1`, t.ID()).Scan(&n); err != nil {
		return fmt.Errorf("feedback: survey of ticket: %w", err)
	}
	if n > 0 {
		return nil // resolved again after a reopen: the first survey stands
	}
	now := s.now()
	delay := s.intSetting(ctx, tx, SurveyDelaySetting, DefaultSurveyDelay, 0, 60*24*30)
	days := s.intSetting(ctx, tx, SurveyDaysSetting, DefaultSurveyDays, 1, 90)
	send := now.Add(time.Duration(delay) * time.Minute)
	rec := entity.Record{"subject": t.Str("number") + " " + t.Str("subject"), "ticket_id": t.ID(), "status": crm.SurveyPending,
		"send_after": send, "expires_at": send.Add(time.Duration(days) * 24 * time.Hour), "ticket_kind": t.Str("kind"),
		"owner_id": t.Str("owner_id")}
	for _, k := range []string{"customer_id", "contact_id", "product_id"} {
		if v := t.Str(k); v != "" {
			rec[k] = v
		}
	}
	sv, err := s.R.InsertTx(records.AsProcess(ctx), tx, system(), "survey", rec)
	if err != nil {
		return fmt.Errorf("feedback: survey for %s: %w", t.Str("number"), err)
	}
	if team := t.Str("team_id"); team != "" && team != sv.Str("team_id") {
		if _, err := tx.ExecContext(ctx, `UPDATE surveys SET team_id = $1 WHERE id = $2`, team, sv.ID()); err != nil {
			return fmt.Errorf("feedback: survey team: %w", err)
		}
	}
	return nil
}

// Link is a survey link just made; its token is shown once.
type Link struct {
	Path      string    `json:"path"`
	URL       string    `json:"url,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
}

// makeLink stores a new link to a survey (earlier ones stay valid: the
// mailed one and a copied one may both be out; the survey is answered
// once whichever is used).
func (s *Service) makeLink(ctx context.Context, tx *store.Tx, p *access.Principal, sv entity.Record) (Link, error) {
	tok, err := linktoken.New(linktoken.Link)
	if err != nil {
		return Link{}, err
	}
	exp := sv.Time("expires_at")
	if exp.IsZero() {
		exp = s.now().Add(DefaultSurveyDays * 24 * time.Hour)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO public_links (id, purpose, entity, record_id, token_hash, expires_at, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		store.NewID(), SurveyPurpose, "survey", sv.ID(), linktoken.Hash(tok), exp, s.now(), entity.NilIfEmpty(p.UserID)); err != nil {
		return Link{}, fmt.Errorf("feedback: store link: %w", err)
	}
	l := Link{Path: SurveyPath + tok, ExpiresAt: exp}
	if s.BaseURL != "" {
		l.URL = strings.TrimRight(s.BaseURL, "/") + l.Path
	}
	return l, nil
}

// CopyLink makes a fresh link to a ticket's survey for the agent to send
// by hand (WeChat): the caller must be able to write the survey; an
// answered or expired survey answers 422.
func (s *Service) CopyLink(ctx context.Context, p *access.Principal, surveyID string) (Link, error) {
	e := s.entity("survey")
	var l Link
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		sv, err := s.R.LoadForWrite(ctx, tx, p, e, cleanID(surveyID), p.Perm(e.Name).Write, false)
		if err != nil {
			return err
		}
		if sv.Str("status") == crm.SurveyAnswered {
			return errs.New(errs.Unprocessable, "survey_answered")
		}
		if !s.now().Before(sv.Time("expires_at")) {
			return errs.New(errs.Unprocessable, "survey_expired")
		}
		l, err = s.makeLink(ctx, tx, p, sv)
		if err != nil {
			return err
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "survey", RecordID: sv.ID(), Action: "public_link",
			Changes: map[string]store.Change{"expires_at": {New: l.ExpiresAt}}, RequestID: records.RequestID(ctx)})
	})
	return l, err
}

// TicketSurvey is the survey of a ticket visible to p (nil if none).
func (s *Service) TicketSurvey(ctx context.Context, p *access.Principal, ticketID string) (entity.Record, error) {
	e := s.entity("survey")
	if p.Perm(e.Name).Read == access.None {
		return nil, nil
	}
	page, err := s.R.List(ctx, p, e.Name, entity.Query{Conds: []entity.Cond{{Field: e.Field("ticket_id"), Op: entity.Eq, Values: []any{ticketID}}}, Sort: e.Field("subject"), Limit: 1})
	if err != nil || len(page.Items) == 0 {
		return nil, err
	}
	return page.Items[0], nil
}

// SendSurveys mails the surveys whose delay has passed, at most limit;
// each is claimed by a conditional update, so two servers never mail one
// twice. Surveys without an address, or to a do-not-contact contact, are
// marked not_sent (their link can still be copied). Expired pending or
// sent surveys are marked expired.
func (s *Service) SendSurveys(ctx context.Context, limit int) (int, error) {
	now := s.now()
	if _, err := s.DB.W().ExecContext(ctx, `UPDATE surveys SET status = $1, updated_at = $2, version = version + 1 WHERE status IN ($3, $4, $5) AND expires_at <= $2`,
		crm.SurveyExpired, now, crm.SurveyPending, crm.SurveySent, crm.SurveyNotSent); err != nil {
		return 0, fmt.Errorf("feedback: expire surveys: %w", err)
	}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT id FROM surveys WHERE status = $1 AND send_after <= $2 ORDER BY send_after, id LIMIT $3`, crm.SurveyPending, now, limit)
	if err != nil {
		return 0, fmt.Errorf("feedback: due surveys: %w", err)
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
	sent := 0
	for _, id := range ids {
		ok, err := s.sendOne(ctx, id)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// recipient finds where a survey goes: the contact's e-mail unless they
// asked not to be contacted, else the reporter's address on the ticket.
func (s *Service) recipient(ctx context.Context, q store.Querier, sv entity.Record) (to, name, why string) {
	if c := sv.Str("contact_id"); c != "" {
		var email, cname sql.NullString
		var dnc sql.NullBool
		if err := q.QueryRowContext(ctx, `SELECT email, name, do_not_contact FROM contacts WHERE id = $1`, c).Scan(&email, &cname, &dnc); err == nil {
			if dnc.Bool {
				return "", "", "do_not_contact"
			}
			if email.String != "" {
				return email.String, cname.String, ""
			}
		}
	}
	if t := sv.Str("ticket_id"); t != "" {
		var email, rname sql.NullString
		if err := q.QueryRowContext(ctx, `SELECT requester_email, requester_name FROM tickets WHERE id = $1`, t).Scan(&email, &rname); err == nil && email.String != "" {
			return email.String, rname.String, ""
		}
	}
	return "", "", "no_address"
}

func (s *Service) sendOne(ctx context.Context, id string) (bool, error) {
	e := s.entity("survey")
	sent := false
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		sv, err := s.DB.Get(ctx, tx, e, id, store.True, false)
		if err != nil {
			return err
		}
		if sv.Str("status") != crm.SurveyPending {
			return nil // another server took it
		}
		ctx := records.AsProcess(ctx)
		to, name, why := s.recipient(ctx, tx, sv)
		if to == "" || s.Mail == nil {
			if why == "" {
				why = "no_mail"
			}
			_, err := s.R.SetTx(ctx, tx, system(), e, sv, entity.Record{"status": crm.SurveyNotSent, "note": why})
			return err
		}
		l, err := s.makeLink(ctx, tx, system(), sv)
		if err != nil {
			return err
		}
		link := l.URL
		if link == "" {
			link = l.Path
		}
		greet := "您好"
		if name != "" {
			greet = name + "，您好"
		}
		text := fmt.Sprintf("%s：\n\n您的服务工单「%s」已处理完毕。请花一分钟告诉我们您是否满意：\n%s\n\n链接 %s 前有效，仅可提交一次。\n\nDear customer, your service request \"%s\" has been resolved. Please tell us how we did: %s (valid until %s, one answer).\n",
			greet, sv.Str("subject"), link, l.ExpiresAt.In(s.R.Loc).Format("2006-01-02 15:04"), sv.Str("subject"), link, l.ExpiresAt.In(s.R.Loc).Format("2006-01-02 15:04"))
		addr := to
		if name != "" {
			addr = fmt.Sprintf("%s <%s>", name, to)
		}
		if _, err := s.Mail.Enqueue(ctx, tx, mail.Message{To: []string{addr}, Subject: "服务满意度调查 / Satisfaction survey: " + sv.Str("subject"), Text: text, Entity: "survey", RecordID: sv.ID()}); err != nil {
			if errs.KindOf(err) == errs.Invalid {
				_, err = s.R.SetTx(ctx, tx, system(), e, sv, entity.Record{"status": crm.SurveyNotSent, "note": "bad_address"})
			}
			return err
		}
		if _, err := s.R.SetTx(ctx, tx, system(), e, sv, entity.Record{"status": crm.SurveySent, "sent_at": s.now(), "sent_to": to}); err != nil {
			return err
		}
		sent = true
		return s.event(ctx, tx, nil, sv.Str("customer_id"), "survey_sent", "survey", sv.ID(), map[string]any{"title": sv.Str("subject")})
	})
	return sent, err
}

// PublicSurvey is what the customer's survey page shows.
type PublicSurvey struct {
	State        string    `json:"state"` // open, answered, expired
	Subject      string    `json:"subject"`
	ExpiresAt    time.Time `json:"expires_at"`
	AnsweredAt   time.Time `json:"answered_at,omitempty"`
	Satisfaction int       `json:"satisfaction,omitempty"`
	NPS          int       `json:"nps,omitempty"`
}

// Public survey states.
const (
	StateOpen     = "open"
	StateAnswered = "answered"
	StateExpired  = "expired"
)

type linkRow struct {
	id, recordID string
	expiresAt    time.Time
	usedAt       time.Time
}

func errUnknown() error { return errs.New(errs.NotFound, "public_link_not_found") }

func (s *Service) findLink(ctx context.Context, q store.Querier, token string) (*linkRow, error) {
	if !linktoken.WellFormed(token, linktoken.Link) {
		return nil, errUnknown()
	}
	var l linkRow
	var exp, used, revoked any
	err := q.QueryRowContext(ctx, `SELECT id, record_id, expires_at, used_at, revoked_at FROM public_links WHERE token_hash = $1 AND purpose = $2`,
		linktoken.Hash(token), SurveyPurpose).Scan(&l.id, &l.recordID, &exp, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUnknown()
	}
	if err != nil {
		return nil, fmt.Errorf("feedback: find link: %w", err)
	}
	l.expiresAt, l.usedAt = store.ScanTime(exp), store.ScanTime(used)
	if !store.ScanTime(revoked).IsZero() {
		return nil, errUnknown()
	}
	return &l, nil
}

func (s *Service) view(sv entity.Record, l *linkRow) *PublicSurvey {
	v := &PublicSurvey{State: StateOpen, Subject: sv.Str("subject"), ExpiresAt: l.expiresAt}
	switch {
	case sv.Str("status") == crm.SurveyAnswered:
		v.State, v.AnsweredAt = StateAnswered, sv.Time("answered_at")
		v.Satisfaction, v.NPS = int(sv.Int("satisfaction")), int(sv.Int("nps"))
	case !s.now().Before(l.expiresAt):
		v.State = StateExpired
	}
	return v
}

// Public reads the survey behind a token: NotFound for an unknown one.
func (s *Service) Public(ctx context.Context, token string) (*PublicSurvey, error) {
	l, err := s.findLink(ctx, s.DB.R(), token)
	if err != nil {
		return nil, err
	}
	sv, err := s.DB.Get(ctx, s.DB.R(), s.entity("survey"), l.recordID, store.True, false)
	if err != nil {
		return nil, errUnknown()
	}
	return s.view(sv, l), nil
}

// Answer records the customer's answer through a link, once: a second
// answer answers 409 survey_answered, an expired link 422
// public_link_expired, bad scores 422 with the fields; nothing changes in
// any of these. A low score opens the recovery task in the same
// transaction.
func (s *Service) Answer(ctx context.Context, token, ip string, a crm.SurveyAnswer, satGiven, npsGiven bool) (*PublicSurvey, error) {
	a.Comment = strings.TrimSpace(a.Comment)
	if err := crm.CheckSurveyAnswer(a, satGiven, npsGiven); err != nil {
		if _, lerr := s.Public(ctx, token); lerr != nil {
			return nil, lerr
		}
		return nil, err
	}
	e := s.entity("survey")
	var out *PublicSurvey
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		l, err := s.findLink(ctx, tx, token)
		if err != nil {
			return err
		}
		sv, err := s.DB.Get(ctx, tx, e, l.recordID, store.True, false)
		if err != nil {
			return errUnknown()
		}
		if sv.Str("status") == crm.SurveyAnswered {
			return errs.New(errs.Conflict, "survey_answered")
		}
		now := s.now()
		if !now.Before(l.expiresAt) {
			return errs.New(errs.Unprocessable, "public_link_expired")
		}
		r, err := tx.ExecContext(ctx, `UPDATE public_links SET used_at = $1, used_ip = $2 WHERE id = $3 AND used_at IS NULL`, now, entity.NilIfEmpty(ip), l.id)
		if err != nil {
			return fmt.Errorf("feedback: use link: %w", err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			return errs.New(errs.Conflict, "survey_answered")
		}
		low := crm.NeedsRecovery(a.Satisfaction)
		set := entity.Record{"status": crm.SurveyAnswered, "answered_at": now, "satisfaction": int64(a.Satisfaction), "nps": int64(a.NPS),
			"low_score": low, "complaint_low": low && sv.Str("ticket_kind") == crm.TicketComplaint}
		if a.Comment != "" {
			set["comment"] = a.Comment
		}
		pctx := records.AsProcess(ctx)
		sv2, err := s.R.SetTx(pctx, tx, system(), e, sv, set)
		if err != nil {
			return err
		}
		if err := s.event(ctx, tx, nil, sv.Str("customer_id"), "survey_answered", "survey", sv.ID(),
			map[string]any{"title": sv.Str("subject"), "satisfaction": a.Satisfaction, "nps": a.NPS, "note": a.Comment}); err != nil {
			return err
		}
		if low {
			if err := s.openRecovery(pctx, tx, sv2); err != nil {
				return err
			}
		}
		out = s.view(sv2, l)
		return nil
	})
	return out, err
}

// recoveryOwner finds the manager of a low score (crm.RecoveryOwner).
func (s *Service) recoveryOwner(ctx context.Context, q store.Querier, sv entity.Record) string {
	ticketTeam, agent := "", sv.Str("owner_id")
	if t := sv.Str("ticket_id"); t != "" {
		ticketTeam = scalar(ctx, q, `SELECT team_id FROM tickets WHERE id = $1`, t)
		if a := scalar(ctx, q, `SELECT owner_id FROM tickets WHERE id = $1`, t); a != "" {
			agent = a
		}
	}
	tm := ""
	if ticketTeam != "" {
		tm = scalar(ctx, q, `SELECT manager_id FROM teams WHERE id = $1`, ticketTeam)
	}
	am := ""
	if agent != "" {
		if at := scalar(ctx, q, `SELECT team_id FROM service_agents WHERE user_id = $1 AND deleted_at IS NULL`, agent); at != "" {
			am = scalar(ctx, q, `SELECT manager_id FROM teams WHERE id = $1`, at)
		}
		if am == "" {
			if at := scalar(ctx, q, `SELECT team_id FROM users WHERE id = $1`, agent); at != "" {
				am = scalar(ctx, q, `SELECT manager_id FROM teams WHERE id = $1`, at)
			}
		}
	}
	var managers []string
	if tm == "" && am == "" {
		// A service manager, else (a company without one yet) an admin:
		// a low score is never left without an owner.
		for _, role := range []string{access.RoleServiceManager, access.RoleAdmin} {
			if id := scalar(ctx, q, `SELECT id FROM users WHERE active = TRUE AND deleted_at IS NULL AND roles LIKE $1 ORDER BY created_at, id LIMIT 1`, `%"`+role+`"%`); id != "" {
				managers = append(managers, id)
				break
			}
		}
	}
	return crm.RecoveryOwner(tm, am, managers)
}

func (s *Service) openRecovery(ctx context.Context, tx *store.Tx, sv entity.Record) error {
	owner := s.recoveryOwner(ctx, tx, sv)
	complaint := sv.Bool("complaint_low")
	title := "低分回访挽回：" + sv.Str("subject")
	if complaint {
		title = "投诉低分挽回：" + sv.Str("subject")
	}
	due := s.now().In(s.R.Loc).AddDate(0, 0, RecoveryDays).Format(entity.DateLayout)
	rec := entity.Record{"title": truncate(title, 300), "survey_id": sv.ID(), "complaint": complaint, "due_date": due, "status": crm.RecoveryOpen, "owner_id": owner}
	for _, k := range []string{"customer_id", "ticket_id"} {
		if v := sv.Str(k); v != "" {
			rec[k] = v
		}
	}
	rt, err := s.R.InsertTx(ctx, tx, system(), "recovery_task", rec)
	if err != nil {
		return fmt.Errorf("feedback: recovery task: %w", err)
	}
	if err := s.notify(ctx, tx, owner, "recovery_task", "recovery_task", rt.ID(), map[string]any{"title": sv.Str("subject"), "score": sv.Int("satisfaction"), "comment": truncate(sv.Str("comment"), 120)}); err != nil {
		return err
	}
	return s.event(ctx, tx, nil, sv.Str("customer_id"), "recovery_opened", "recovery_task", rt.ID(), map[string]any{"title": sv.Str("subject"), "satisfaction": sv.Int("satisfaction")})
}

// prepareRecovery closes a recovery task when its outcome is written and
// it is marked done (done needs the outcome).
func (s *Service) prepareRecovery(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old == nil {
		if !records.IsProcess(ctx) {
			rec["status"] = crm.RecoveryOpen
		}
		return nil
	}
	if rec.Str("status") == crm.RecoveryDone && old.Str("status") != crm.RecoveryDone {
		if strings.TrimSpace(rec.Str("outcome")) == "" {
			return errs.Field("outcome", "required")
		}
		rec["done_at"] = s.now()
	}
	if rec.Str("status") == crm.RecoveryOpen && old.Str("status") == crm.RecoveryDone {
		rec["done_at"] = nil
	}
	return nil
}
