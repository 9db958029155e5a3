package quotes

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The quote's processes: submit (to approval, or approved at once when no
// rule applies), the approval's decision, send, the customer's accept or
// reject, revise, and expiry. Each is one transaction that re-reads the
// quote, checks the version the caller saw, and asks crm's table whether
// the status allows the step.

// set writes process-owned fields of a quote.
func (s *Service) set(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, set entity.Record) (entity.Record, error) {
	return s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("quote"), rec, set)
}

// submission gathers what submitting rec checks.
func (s *Service) submission(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, reason string) (crm.QuoteSubmission, error) {
	lines, err := s.storedLines(ctx, tx, rec.ID())
	if err != nil {
		return crm.QuoteSubmission{}, err
	}
	needs, err := s.approvals.Needed(ctx, tx, p, rec)
	if err != nil {
		return crm.QuoteSubmission{}, errs.Wrap(err, "quotes: approval plan")
	}
	return crm.QuoteSubmission{Lines: len(lines), ValidUntil: rec.Str("valid_until"), Today: s.today(), NeedsApproval: needs,
		DiscountReason: rec.Str("discount_reason"), Reason: strings.TrimSpace(reason)}, nil
}

// Submit sends a draft to approval with the submitter's note. When the
// rules ask for no approval from this submitter (a discount within what
// their role may give), the quote is approved at once. A quote whose
// discount needs approval needs the reason for it (on the quote, or the
// note, which then becomes the quote's reason).
func (s *Service) Submit(ctx context.Context, p *access.Principal, id string, version int64, reason string) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.loadQuote(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(rec, version); err != nil {
			return err
		}
		out, err = s.submit(ctx, tx, p, rec, reason)
		return err
	})
	return out, err
}

func (s *Service) submit(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, reason string) (entity.Record, error) {
	if err := crm.CheckQuoteStep(rec.Str("status"), crm.QuoteStepSubmit); err != nil {
		return nil, err
	}
	sub, err := s.submission(ctx, tx, p, rec, reason)
	if err != nil {
		return nil, err
	}
	if err := sub.Check(); err != nil {
		return nil, err
	}
	set := entity.Record{"submitted_at": s.now()}
	if sub.NeedsApproval && strings.TrimSpace(rec.Str("discount_reason")) == "" {
		set["discount_reason"] = sub.Reason
	}
	note := map[string]any{"note": sub.Reason}
	if sub.NeedsApproval {
		set["status"] = crm.QuoteInApproval
		out, err := s.set(ctx, tx, p, rec, set)
		if err != nil {
			return nil, err
		}
		started, err := s.approvals.Submit(ctx, tx, p, out, sub.Reason)
		if err != nil {
			return nil, err
		}
		if started {
			return out, nil // the approval tells the timeline, with the reason
		}
		rec = out // no rule applied after all: approved below
		set = entity.Record{}
	}
	set["status"] = crm.QuoteApproved
	out, err := s.set(ctx, tx, p, rec, set)
	if err != nil {
		return nil, err
	}
	return out, s.event(ctx, tx, p, out, "quote_approved_direct", note)
}

// Decided ends a quote's approval (called by the approvals service inside
// its deciding transaction): approved moves it on to sending; returned or
// rejected give it back to the rep as a draft. The approvals service puts
// the decision and the approver's comment on the customer's timeline.
func (s *Service) Decided(ctx context.Context, tx *store.Tx, p *access.Principal, id, outcome, comment string) error {
	next, ok := crm.QuoteAfterDecision(outcome)
	if !ok {
		return fmt.Errorf("quotes: unknown approval outcome %q", outcome)
	}
	rec, err := s.DB.Get(ctx, tx, s.entity("quote"), strings.ToLower(id), nil, false)
	if err != nil {
		return errs.Wrap(err, "quotes: decided quote")
	}
	if err := crm.CheckQuoteStep(rec.Str("status"), crm.QuoteStepDecide); err != nil {
		return err
	}
	// The approval has told the timeline about the decision and its comment.
	_, err = s.set(ctx, tx, p, rec, entity.Record{"status": next})
	return err
}

// Send marks a quote sent to the customer and, when the customer's contact
// has an e-mail and mail is configured, queues the mail with the PDF in
// the same transaction. An approved quote may go; a draft may go only
// when no approval is needed (it is approved on the way, after the checks
// a submission makes); one waiting for or needing approval answers
// quote_needs_approval.
func (s *Service) Send(ctx context.Context, p *access.Principal, id string, version int64) (entity.Record, bool, error) {
	var out entity.Record
	mailed := false
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.loadQuote(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(rec, version); err != nil {
			return err
		}
		if err := crm.CheckQuoteStep(rec.Str("status"), crm.QuoteStepSend); err != nil {
			return err
		}
		if rec.Str("status") == crm.QuoteDraft {
			sub, err := s.submission(ctx, tx, p, rec, "")
			if err != nil {
				return err
			}
			if sub.NeedsApproval {
				return errs.New(errs.Unprocessable, "quote_needs_approval")
			}
			if rec, err = s.submit(ctx, tx, p, rec, ""); err != nil {
				return err
			}
		}
		if out, err = s.set(ctx, tx, p, rec, entity.Record{"status": crm.QuoteSent, "sent_at": s.now()}); err != nil {
			return err
		}
		if s.mailer != nil {
			lines, err := s.storedLines(ctx, tx, out.ID())
			if err != nil {
				return err
			}
			if mailed, err = s.mailer(ctx, tx, p, &Quote{Rec: out, Lines: lines}); err != nil {
				return err
			}
		}
		data := map[string]any{}
		if mailed {
			data["mailed"] = "1"
		}
		return s.event(ctx, tx, p, out, "quote_sent", data)
	})
	return out, mailed, err
}

// Accept records that the customer accepted a sent quote.
func (s *Service) Accept(ctx context.Context, p *access.Principal, id string, version int64) (entity.Record, error) {
	return s.answer(ctx, p, id, version, crm.QuoteStepAccept, "")
}

// Reject records that the customer rejected a sent quote, and why.
func (s *Service) Reject(ctx context.Context, p *access.Principal, id string, version int64, reason string) (entity.Record, error) {
	return s.answer(ctx, p, id, version, crm.QuoteStepReject, reason)
}

func (s *Service) answer(ctx context.Context, p *access.Principal, id string, version int64, step crm.QuoteStep, reason string) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.loadQuote(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(rec, version); err != nil {
			return err
		}
		if err := crm.CheckQuoteStep(rec.Str("status"), step); err != nil {
			return err
		}
		set := entity.Record{"status": crm.QuoteAccepted, "decided_at": s.now()}
		kind := "quote_accepted"
		if step == crm.QuoteStepReject {
			if err := crm.CheckRejection(reason); err != nil {
				return err
			}
			set["status"], set["rejected_reason"] = crm.QuoteRejected, strings.TrimSpace(reason)
			kind = "quote_rejected"
		}
		if out, err = s.set(ctx, tx, p, rec, set); err != nil {
			return err
		}
		return s.event(ctx, tx, p, out, kind, map[string]any{"note": strings.TrimSpace(reason)})
	})
	return out, err
}

// revisionNumber is the number of revision n of a quote numbered base:
// the first keeps it, later ones add -V2, -V3 … so the customer reads one
// quote in several versions.
func revisionNumber(base string, n int64) string {
	if i := strings.LastIndex(base, "-V"); i > 0 {
		if _, err := strconv.Atoi(base[i+2:]); err == nil {
			base = base[:i]
		}
	}
	if n <= 1 {
		return base
	}
	return base + "-V" + strconv.FormatInt(n, 10)
}

// Revise copies a quote that was approved, sent, rejected or expired into
// revision n + 1 (a draft with the same first version, the same lines and
// prices); the copied one becomes superseded and stays as it was, viewable
// with the others.
func (s *Service) Revise(ctx context.Context, p *access.Principal, id string, version int64) (*Quote, error) {
	var out *Quote
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.loadQuote(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(rec, version); err != nil {
			return err
		}
		if err := crm.CheckQuoteStep(rec.Str("status"), crm.QuoteStepRevise); err != nil {
			return err
		}
		if !p.Perm("quote").Create {
			return errs.Denied()
		}
		root := rec.Str("root_id")
		if root == "" {
			root = rec.ID()
		}
		var latest int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(revision), 0) FROM quotes WHERE (id = $1 OR root_id = $1) AND deleted_at IS NULL`, root).Scan(&latest); err != nil {
			return errs.Wrap(err, "quotes: latest revision")
		}
		if latest > rec.Int("revision") {
			return errs.New(errs.Conflict, "quote_newer_version")
		}
		e := s.entity("quote")
		next := entity.Record{}
		for _, f := range e.Fields {
			if f.Writable() && !entity.IsEmpty(rec[f.Name]) {
				next[f.Name] = rec[f.Name]
			}
		}
		n := rec.Int("revision") + 1
		next["revision"], next["root_id"], next["status"], next["number"] = n, root, crm.QuoteDraft, revisionNumber(rec.Str("number"), n)
		if owner := rec.Str("owner_id"); owner != "" && (owner == p.UserID || p.CanAssign()) {
			next["owner_id"] = owner // a manager's revision stays the rep's quote
		}
		old, err := s.storedLines(ctx, tx, rec.ID())
		if err != nil {
			return err
		}
		lines := make([]entity.Record, len(old))
		for i, l := range old {
			c := entity.Record{}
			for _, k := range append(lineInput, "position", "net_amount", "tax_amount", "line_total") {
				c[k] = l[k]
			}
			lines[i] = c
		}
		created, err := s.R.InsertTx(withLines(records.AsProcess(ctx), "", lines), tx, p, e.Name, next)
		if err != nil {
			return err
		}
		for i, l := range lines {
			l["quote_id"] = created.ID()
			if lines[i], err = s.R.InsertTx(batch(ctx), tx, p, "quote_line", l); err != nil {
				return err
			}
		}
		superseded, err := s.set(ctx, tx, p, rec, entity.Record{"status": crm.QuoteSuperseded})
		if err != nil {
			return err
		}
		if err := s.event(ctx, tx, p, created, "quote_revised", map[string]any{"previous": superseded.Str("number")}); err != nil {
			return err
		}
		out = &Quote{Rec: created, Lines: lines}
		return nil
	})
	return out, err
}

// Versions lists every revision of a quote that p can see, oldest first.
func (s *Service) Versions(ctx context.Context, p *access.Principal, id string) ([]entity.Record, error) {
	e := s.entity("quote")
	rec, err := s.R.Get(ctx, p, e.Name, strings.ToLower(id))
	if err != nil {
		return nil, err
	}
	root := rec.Str("root_id")
	if root == "" {
		root = rec.ID()
	}
	ids, err := store.Strings(ctx, s.DB.R(), `SELECT id FROM quotes WHERE (id = $1 OR root_id = $1) AND deleted_at IS NULL ORDER BY revision`, root)
	if err != nil {
		return nil, errs.Wrap(err, "quotes: versions")
	}
	got, err := s.DB.GetMany(ctx, s.DB.R(), e, ids, s.R.ReadPred(e, p))
	if err != nil {
		return nil, errs.Wrap(err, "quotes: versions")
	}
	out := make([]entity.Record, 0, len(ids))
	for _, id := range ids {
		if r := got[id]; r != nil {
			out = append(out, s.R.Present(p, e, r))
		}
	}
	return out, nil
}

// ExpireDue expires the quotes whose validity ended before today (company
// time zone) and that still wait for approval, sending or the customer's
// answer: at most limit of them, oldest validity first. A waiting
// approval is cancelled. The owner is told. It returns how many expired.
func (s *Service) ExpireDue(ctx context.Context, now time.Time, limit int) (int, error) {
	today := now.In(s.R.Loc).Format(entity.DateLayout)
	ids, err := store.Strings(ctx, s.DB.R(), fmt.Sprintf(`SELECT id FROM quotes WHERE status IN ($1, $2, $3) AND valid_until < $4 AND deleted_at IS NULL
		ORDER BY valid_until, id LIMIT %d`, limit), crm.QuoteInApproval, crm.QuoteApproved, crm.QuoteSent, today)
	if err != nil {
		return 0, errs.Wrap(err, "quotes: due for expiry")
	}
	sys := access.SystemPrincipal()
	n := 0
	for _, id := range ids {
		err := s.DB.Write(ctx, func(tx *store.Tx) error {
			rec, err := s.DB.Get(ctx, tx, s.entity("quote"), id, nil, false)
			if errs.KindOf(err) == errs.NotFound {
				return nil
			}
			if err != nil {
				return err
			}
			if !crm.QuoteExpires(rec.Str("status"), rec.Str("valid_until"), today) {
				return nil // answered or changed meanwhile
			}
			if rec.Str("status") == crm.QuoteInApproval {
				if err := s.approvals.Cancel(ctx, tx, sys, rec.ID()); err != nil {
					return errs.Wrap(err, "quotes: cancel approval of expired quote")
				}
			}
			out, err := s.set(ctx, tx, sys, rec, entity.Record{"status": crm.QuoteExpired})
			if err != nil {
				return err
			}
			if err := s.event(ctx, tx, sys, out, "quote_expired", nil); err != nil {
				return err
			}
			n++
			return s.notifyOwner(ctx, tx, out, "quote_expired")
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// notifyOwner tells a quote's owner something happened to it.
func (s *Service) notifyOwner(ctx context.Context, tx *store.Tx, rec entity.Record, kind string) error {
	owner := rec.Str("owner_id")
	if owner == "" {
		return nil
	}
	b := `{"number":` + strconv.Quote(rec.Str("number")) + `,"title":` + strconv.Quote(rec.Str("title")) + `}`
	_, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, user_id, at, kind, entity, record_id, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		store.NewID(), owner, s.now(), kind, "quote", rec.ID(), b)
	if err != nil {
		return errs.Wrap(err, "quotes: notify owner")
	}
	return nil
}

// event tells the customer's timeline about a quote: its number, subject,
// revision and total, and the opportunity it is for (the opportunity's
// page lists the events of its quotes).
func (s *Service) event(ctx context.Context, tx *store.Tx, p *access.Principal, rec entity.Record, kind string, extra map[string]any) error {
	data := map[string]any{"number": rec.Str("number"), "title": rec.Str("title"), "revision": strconv.FormatInt(rec.Int("revision"), 10),
		"total": amountText(rec.Str("currency"), rec.Int("total"))}
	if o := rec.Str("opportunity_id"); o != "" {
		data["opportunity_id"] = o
	}
	for k, v := range extra {
		if s, ok := v.(string); ok && s == "" {
			continue
		}
		data[k] = v
	}
	ev := store.Event{At: s.now(), CustomerID: rec.Str("customer_id"), ActorID: p.UserID, Kind: kind, Entity: "quote", RecordID: rec.ID(), Data: data}
	if ev.CustomerID == "" {
		return nil
	}
	if err := s.DB.AddEvent(ctx, tx, ev); err != nil {
		return errs.Wrap(err, "quotes: timeline %s", kind)
	}
	return nil
}

// amountText shows fen with the currency's sign (¥12,345.60).
func amountText(cur string, fen int64) string {
	sign := map[string]string{"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}[cur]
	if sign == "" {
		sign = cur + " "
	}
	if fen < 0 {
		return "-" + sign + entity.FormatMoney(-fen)
	}
	return sign + entity.FormatMoney(fen)
}

// OpportunityEvents lists the timeline events of the quotes of an
// opportunity that p can see, newest first: the opportunity's page shows
// how its quotes went (created, submitted, approved, sent, answered …).
func (s *Service) OpportunityEvents(ctx context.Context, p *access.Principal, oppID string, limit int) ([]store.Event, error) {
	qe := s.entity("quote")
	page, err := s.R.List(ctx, p, qe.Name, entity.Query{Sort: qe.Field("updated_at"), Desc: true, Limit: 100,
		Conds: []entity.Cond{{Field: qe.Field("opportunity_id"), Op: entity.Eq, Values: []any{strings.ToLower(oppID)}}}})
	if errs.KindOf(err) == errs.Forbidden {
		return nil, nil
	}
	if err != nil || len(page.Items) == 0 {
		return nil, err
	}
	var a store.Args
	ids := make([]any, len(page.Items))
	for i, r := range page.Items {
		ids[i] = r.ID()
	}
	q := fmt.Sprintf(`SELECT id, at, actor_id, kind, record_id, data FROM timeline WHERE record_id IN %s AND entity = 'quote' ORDER BY at DESC, id DESC LIMIT %d`, a.List(ids), limit)
	rows, err := s.DB.R().QueryContext(ctx, q, a.V...)
	if err != nil {
		return nil, errs.Wrap(err, "quotes: events of opportunity")
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var ev store.Event
		var at any
		var actor *string
		var data string
		if err := rows.Scan(&ev.ID, &at, &actor, &ev.Kind, &ev.RecordID, &data); err != nil {
			return nil, errs.Wrap(err, "quotes: events of opportunity")
		}
		ev.At, ev.Entity = store.ScanTime(at), "quote"
		if actor != nil {
			ev.ActorID = *actor
		}
		_ = json.Unmarshal([]byte(data), &ev.Data)
		out = append(out, ev)
	}
	return out, rows.Err()
}
