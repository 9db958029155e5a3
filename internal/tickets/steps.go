package tickets

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// StepInput is what an agent sends with a step: the version they read
// (0 skips the check) and the step's own inputs.
type StepInput struct {
	Version    int64  `json:"version"`
	Body       string `json:"body"`       // reply, note; an optional comment on the others
	Wait       bool   `json:"wait"`       // reply: and wait for the customer
	UserID     string `json:"user_id"`    // assign: to this agent
	TeamID     string `json:"team_id"`    // assign: to this team's queue (or pick in it, with Auto)
	Auto       bool   `json:"auto"`       // assign: round-robin by skill and region
	Cause      string `json:"cause"`      // resolve: from the ticket_cause pick-list
	Resolution string `json:"resolution"` // resolve
	TargetID   string `json:"target_id"`  // merge: the ticket this one duplicates
	Channel    string `json:"channel"`    // reply: how it went out (default e-mail)
}

// Setting names.
const (
	// ReopenDaysSetting holds how many days after resolution a ticket may
	// be reopened (default crm.DefaultReopenDays).
	ReopenDaysSetting = "tickets.reopen_days"
	// AutoAssignSetting turns on assigning new unowned tickets at once
	// ("on"), round-robin by skill and region within the ticket's team
	// queue, or across every service team when it names none.
	AutoAssignSetting = "tickets.auto_assign"
)

const maxBody = 20000

// Settings are the ticket process's settings.
type Settings struct {
	ReopenDays int  `json:"reopen_days"`
	AutoAssign bool `json:"auto_assign"`
}

// Settings reads the settings (defaults where unset).
func (s *Service) Settings(ctx context.Context) Settings { return s.settings(ctx, s.DB.R()) }

func (s *Service) settings(ctx context.Context, q store.Querier) Settings {
	out := Settings{ReopenDays: crm.DefaultReopenDays}
	if v, err := s.DB.Setting(ctx, q, ReopenDaysSetting); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			out.ReopenDays = crm.ReopenDaysOrDefault(n)
		}
	}
	if v, err := s.DB.Setting(ctx, q, AutoAssignSetting); err == nil {
		out.AutoAssign = strings.TrimSpace(v) == "on"
	}
	return out
}

// SetSettings changes the settings (admins and service managers), audited.
func (s *Service) SetSettings(ctx context.Context, p *access.Principal, in Settings) error {
	if !p.IsAdmin() && !p.HasRole(access.RoleServiceManager) {
		return errs.Denied()
	}
	if in.ReopenDays < 1 || in.ReopenDays > crm.MaxReopenDays {
		return errs.Field("reopen_days", "out_of_range", "min", 1, "max", crm.MaxReopenDays)
	}
	auto := "off"
	if in.AutoAssign {
		auto = "on"
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		old := s.settings(ctx, tx)
		if err := s.DB.SetSetting(ctx, tx, ReopenDaysSetting, strconv.Itoa(in.ReopenDays)); err != nil {
			return err
		}
		if err := s.DB.SetSetting(ctx, tx, AutoAssignSetting, auto); err != nil {
			return err
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "setting", RecordID: "tickets", Action: "update",
			Changes:   map[string]store.Change{"reopen_days": {Old: old.ReopenDays, New: in.ReopenDays}, "auto_assign": {Old: old.AutoAssign, New: in.AutoAssign}},
			RequestID: records.RequestID(ctx)})
	})
}

func cleanID(id string) string { return strings.ToLower(strings.TrimSpace(id)) }

// Step takes a ticket one step (crm.TicketStep…) in one transaction:
// checks the version and the right to work the ticket, decides the next
// status by crm.TicketNext (only moves crm.TicketCanMove allows), writes
// the ticket through the record service (validation, audit, the SLA
// engineer's hook, the index), the conversation line and a system line,
// and the customer's timeline event. It returns the ticket as p sees it.
func (s *Service) Step(ctx context.Context, p *access.Principal, id, step string, in StepInput) (entity.Record, error) {
	in.Body = strings.TrimSpace(in.Body)
	in.Cause, in.Resolution = strings.TrimSpace(in.Cause), strings.TrimSpace(in.Resolution)
	in.UserID, in.TeamID, in.TargetID = cleanID(in.UserID), cleanID(in.TeamID), cleanID(in.TargetID)
	var bad []errs.FieldError
	if utf8.RuneCountInString(in.Body) > maxBody {
		bad = append(bad, errs.FieldError{Field: "body", Code: "too_long", Args: map[string]any{"max": maxBody}})
	}
	if utf8.RuneCountInString(in.Resolution) > maxBody {
		bad = append(bad, errs.FieldError{Field: "resolution", Code: "too_long", Args: map[string]any{"max": maxBody}})
	}
	if (step == crm.TicketStepReply || step == crm.TicketStepNote) && in.Body == "" {
		bad = append(bad, errs.FieldError{Field: "body", Code: "required"})
	}
	switch step {
	case crm.TicketStepAssign:
		if in.UserID == "" && in.TeamID == "" && !in.Auto {
			bad = append(bad, errs.FieldError{Field: "user_id", Code: "ticket_assignee_required"})
		}
		if in.UserID != "" && !entity.LooksLikeID(in.UserID) {
			bad = append(bad, errs.FieldError{Field: "user_id", Code: "invalid_user"})
		}
		if in.TeamID != "" && !entity.LooksLikeID(in.TeamID) {
			bad = append(bad, errs.FieldError{Field: "team_id", Code: "invalid_ref"})
		}
	case crm.TicketStepMerge:
		if in.TargetID == "" {
			bad = append(bad, errs.FieldError{Field: "target_id", Code: "required"})
		} else if !entity.LooksLikeID(in.TargetID) {
			bad = append(bad, errs.FieldError{Field: "target_id", Code: "invalid_ref"})
		}
	case crm.TicketStepReply, crm.TicketStepNote, crm.TicketStepTake, crm.TicketStepWaitCustomer, crm.TicketStepWaitParts,
		crm.TicketStepResume, crm.TicketStepResolve, crm.TicketStepClose, crm.TicketStepReopen:
	default:
		return nil, errs.New(errs.NotFound, "not_found", "entity", "step")
	}
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	te, err := s.R.Entity("ticket")
	if err != nil {
		return nil, err
	}
	var out entity.Record
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.stepTx(ctx, tx, p, te, cleanID(id), step, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, te, out), nil
}

func (s *Service) stepTx(ctx context.Context, tx *store.Tx, p *access.Principal, te *entity.Entity, id, step string, in StepInput) (entity.Record, error) {
	old, err := s.loadForStep(ctx, tx, p, te, id, step)
	if err != nil {
		return nil, err
	}
	if in.Version != 0 && old.Version() != in.Version {
		return nil, errs.Stale()
	}
	now := s.now()
	st := s.settings(ctx, tx)
	to, err := crm.TicketNext(old.Str("status"), crm.TicketStepInput{Step: step, Wait: in.Wait, Cause: in.Cause, Resolution: in.Resolution,
		ResolvedAt: old.Time("resolved_at"), ClosedAt: old.Time("closed_at"), Now: now, ReopenDays: st.ReopenDays, Merged: old.Str("merged_into_id") != ""})
	if err != nil {
		return nil, err
	}
	set := entity.Record{}
	if to != old.Str("status") {
		set["status"] = to
	}
	var msgs []Message
	sys := func(key string, args ...any) {
		msgs = append(msgs, Message{Kind: crm.MessageSystem, Body: i18n.Msg(i18n.Default, key, args...)})
	}
	ev := map[string]any{"number": old.Str("number"), "subject": old.Str("subject")}
	evKind := ""
	switch step {
	case crm.TicketStepReply:
		ch := in.Channel
		if ch == "" {
			ch = crm.ChannelEmail
		}
		msgs = append(msgs, Message{Kind: crm.MessageReply, Body: in.Body, Channel: ch, FromName: p.Name})
		if old.Time("first_responded_at").IsZero() {
			set["first_responded_at"] = now
		}
		if to == crm.TicketWaitingCustomer && old.Str("status") != to {
			sys("tk.sys.waiting_customer")
		}
		evKind, ev["note"] = "ticket_replied", excerpt(in.Body)
	case crm.TicketStepNote:
		msgs = append(msgs, Message{Kind: crm.MessageNote, Body: in.Body})
	case crm.TicketStepAssign, crm.TicketStepTake:
		userID, teamID, auto := in.UserID, in.TeamID, in.Auto
		if step == crm.TicketStepTake {
			userID, teamID, auto = p.UserID, "", false
		}
		a, err := s.assignTx(ctx, tx, old, userID, teamID, auto)
		if err != nil {
			return nil, err
		}
		for k, v := range a.set {
			set[k] = v
		}
		if a.userID == "" {
			// A team queue: a ticket back in the queue is nobody's yet.
			if st, ok := set["status"]; ok && st == crm.TicketAssigned {
				delete(set, "status")
			}
			sys("tk.sys.queued", "team", a.teamName)
			evKind, ev["team"] = "ticket_queued", a.teamName
		} else {
			sys("tk.sys.assigned", "user", a.userName)
			evKind, ev["user"] = "ticket_assigned", a.userName
		}
	case crm.TicketStepWaitCustomer:
		sys("tk.sys.waiting_customer")
		evKind = "ticket_waiting"
	case crm.TicketStepWaitParts:
		sys("tk.sys.waiting_parts")
		evKind = "ticket_waiting_parts"
	case crm.TicketStepResume:
		sys("tk.sys.resumed")
		evKind = "ticket_resumed"
	case crm.TicketStepResolve:
		if !s.causeKnown(ctx, tx, in.Cause) {
			return nil, errs.Field("cause", "invalid_option")
		}
		set["cause"], set["resolution"], set["resolved_at"] = in.Cause, in.Resolution, now
		sys("tk.sys.resolved", "cause", s.causeLabel(ctx, tx, in.Cause))
		evKind, ev["note"], ev["cause"] = "ticket_resolved", excerpt(in.Resolution), s.causeLabel(ctx, tx, in.Cause)
	case crm.TicketStepClose:
		set["closed_at"] = now
		sys("tk.sys.closed")
		evKind = "ticket_closed"
	case crm.TicketStepReopen:
		set["reopen_count"] = old.Int("reopen_count") + 1
		set["resolved_at"], set["closed_at"] = nil, nil
		sys("tk.sys.reopened")
		evKind = "ticket_reopened"
	case crm.TicketStepMerge:
		target, err := s.mergeTarget(ctx, tx, p, te, old, in.TargetID)
		if err != nil {
			return nil, err
		}
		set["merged_into_id"], set["closed_at"] = target.ID(), now
		sys("tk.sys.merged_into", "number", target.Str("number"))
		if _, err := s.AddMessage(ctx, tx, p, target.ID(), Message{Kind: crm.MessageSystem,
			Body: i18n.Msg(i18n.Default, "tk.sys.merged_from", "number", old.Str("number"))}); err != nil {
			return nil, err
		}
		evKind, ev["target"] = "ticket_merged", target.Str("number")
	}
	if step != crm.TicketStepReply && step != crm.TicketStepNote && in.Body != "" {
		msgs = append(msgs, Message{Kind: crm.MessageNote, Body: in.Body})
	}
	out := old
	if len(set) > 0 {
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, te, old, set)
		if err != nil {
			return nil, err
		}
	}
	for _, m := range msgs {
		if _, err := s.AddMessage(ctx, tx, p, old.ID(), m); err != nil {
			return nil, err
		}
	}
	if evKind != "" {
		if err := s.event(ctx, tx, p, out.Str("customer_id"), evKind, out.ID(), ev); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadForStep reads the ticket for a step: the write right on it, except
// that an active service agent may take (assign to themselves) a ticket
// nobody owns, or one waiting in their team's queue.
func (s *Service) loadForStep(ctx context.Context, tx *store.Tx, p *access.Principal, te *entity.Entity, id, step string) (entity.Record, error) {
	if !entity.LooksLikeID(id) {
		return nil, errs.NotFoundf("ticket")
	}
	if p.ReadOnly {
		return nil, errs.Denied()
	}
	perm := p.Perm(te.Name)
	if step == crm.TicketStepTake && perm.Read != access.None && p.UserID != "" {
		t, err := s.DB.Get(ctx, tx, te, id, s.R.ReadPred(te, p), false)
		if err != nil {
			return nil, err
		}
		ag, err := s.agentByUser(ctx, tx, p.UserID)
		if err != nil {
			return nil, err
		}
		if ag == nil {
			return nil, errs.Field("user_id", "not_service_agent")
		}
		if t.Str("owner_id") == "" || t.Str("owner_id") == p.UserID || t.Str("team_id") == ag.TeamID || p.InTeams(t.Str("team_id")) {
			return t, nil
		}
	}
	return s.R.LoadForWrite(ctx, tx, p, te, id, perm.Write, false)
}

// mergeTarget checks the ticket a duplicate goes into: another ticket, p
// may read, neither merged itself nor closed.
func (s *Service) mergeTarget(ctx context.Context, tx *store.Tx, p *access.Principal, te *entity.Entity, dup entity.Record, targetID string) (entity.Record, error) {
	if targetID == dup.ID() {
		return nil, errs.Field("target_id", "ticket_merge_self")
	}
	target, err := s.DB.Get(ctx, tx, te, targetID, s.R.ReadPred(te, p), false)
	if errs.KindOf(err) == errs.NotFound {
		return nil, errs.Field("target_id", "invalid_ref")
	}
	if err != nil {
		return nil, err
	}
	switch {
	case target.Str("merged_into_id") != "":
		return nil, errs.Field("target_id", "ticket_merge_into_merged", "number", target.Str("number"))
	case target.Str("status") == crm.TicketClosed:
		return nil, errs.Field("target_id", "ticket_merge_into_closed", "number", target.Str("number"))
	}
	return target, nil
}

// causeKnown reports whether code is an active cause of the ticket_cause
// pick-list (admins edit it).
func (s *Service) causeKnown(ctx context.Context, q store.Querier, code string) bool {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM picklists WHERE list = $1 AND code = $2 AND active`, "ticket_cause", code).Scan(&n)
	return err == nil && n > 0
}

// causeLabel names a cause in the default language (system lines).
func (s *Service) causeLabel(ctx context.Context, q store.Querier, code string) string {
	var zh string
	if err := q.QueryRowContext(ctx, `SELECT label_zh FROM picklists WHERE list = $1 AND code = $2`, "ticket_cause", code).Scan(&zh); err != nil || zh == "" {
		return code
	}
	return zh
}

func excerpt(s string) string {
	const max = 140
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// event writes a line on the customer's timeline (tl.<kind>).
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, customerID, kind, id string, data map[string]any) error {
	if customerID == "" {
		return nil
	}
	if err := s.DB.AddEvent(ctx, tx, store.Event{CustomerID: customerID, ActorID: p.UserID, Kind: kind, Entity: "ticket", RecordID: id, Data: data}); err != nil {
		return fmt.Errorf("tickets: timeline: %w", err)
	}
	return nil
}
