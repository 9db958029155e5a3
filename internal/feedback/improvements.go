package feedback

import (
	"context"
	"fmt"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Improvement items (服务—反馈—优化): made by hand or from a row of the cause
// review (with the tickets of that row linked), routed to their owner (a
// product or pre-sales person, notified), stepped open → in progress →
// done → verified, or dropped with a reason.

func (s *Service) prepareItem(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old == nil && !records.IsProcess(ctx) {
		rec["status"], rec["ticket_count"] = crm.ImprovementOpen, int64(0)
	}
	return nil
}

func (s *Service) afterItem(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	rec := ch.New
	owner := rec.Str("owner_id")
	if owner == "" || owner == p.UserID {
		return nil
	}
	if ch.Action == records.Create || (ch.Action == records.Update && ch.Has("owner_id")) {
		return s.notify(ctx, tx, owner, "improvement_assigned", "improvement_item", rec.ID(),
			map[string]any{"title": rec.Str("title"), "due": rec.Str("due_date"), "by": p.Name})
	}
	return nil
}

// prepareLink keeps an item's links unique and the item's count true.
func (s *Service) prepareLink(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if old != nil && (old.Str("item_id") != rec.Str("item_id") || old.Str("ticket_id") != rec.Str("ticket_id")) {
		return errs.Field("ticket_id", "improvement_link_fixed")
	}
	if old != nil {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM improvement_tickets WHERE item_id = $1 AND ticket_id = $2`, rec.Str("item_id"), rec.Str("ticket_id")).Scan(&n); err != nil {
		return fmt.Errorf("feedback: link check: %w", err)
	}
	if n > 0 {
		return errs.Field("ticket_id", "improvement_ticket_linked")
	}
	return nil
}

func (s *Service) afterLink(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	_, err := tx.ExecContext(ctx, `UPDATE improvement_items SET ticket_count = (SELECT count(*) FROM improvement_tickets WHERE item_id = $1) WHERE id = $1`, ch.New.Str("item_id"))
	if err != nil {
		return fmt.Errorf("feedback: ticket count: %w", err)
	}
	return nil
}

// ItemStep is a step asked of an improvement item.
type ItemStep struct {
	Step    string `json:"step"`
	Reason  string `json:"reason"`
	Version int64  `json:"version"`
}

// StepItem takes an improvement item one step (crm.ImprovementNext); a
// drop needs a reason. Whoever may write the item may step it.
func (s *Service) StepItem(ctx context.Context, p *access.Principal, id string, in ItemStep) (entity.Record, error) {
	e := s.entity("improvement_item")
	in.Reason = strings.TrimSpace(in.Reason)
	if len([]rune(in.Reason)) > 20000 {
		return nil, errs.Field("reason", "too_long")
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.R.LoadForWrite(ctx, tx, p, e, cleanID(id), p.Perm(e.Name).Write, false)
		if err != nil {
			return err
		}
		if in.Version != 0 && old.Version() != in.Version {
			return errs.Stale()
		}
		to, err := crm.ImprovementNext(old.Str("status"), in.Step, in.Reason)
		if err != nil {
			return err
		}
		set := entity.Record{"status": to}
		now := s.now()
		switch to {
		case crm.ImprovementDone:
			set["done_at"] = now
		case crm.ImprovementVerified:
			set["verified_at"] = now
		case crm.ImprovementDropped:
			set["drop_reason"] = in.Reason
		case crm.ImprovementOpen:
			set["done_at"], set["verified_at"], set["drop_reason"] = nil, nil, nil
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, e, old, set)
		if err != nil {
			return err
		}
		// The one who raised it hears that it is done (the loop closes).
		if to == crm.ImprovementDone && old.Str("created_by") != "" && old.Str("created_by") != p.UserID {
			return s.notify(ctx, tx, old.Str("created_by"), "improvement_done", "improvement_item", old.ID(), map[string]any{"title": old.Str("title")})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, e, out), nil
}

// NewItem is an improvement item asked from the cause review: its fields,
// and the tickets to link (those of the review's row).
type NewItem struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Cause       string   `json:"cause"`
	ProductID   string   `json:"product_id"`
	OwnerID     string   `json:"owner_id"`
	DueDate     string   `json:"due_date"`
	TicketIDs   []string `json:"ticket_ids"`
}

// MaxLinkedTickets bounds the tickets linked at once.
const MaxLinkedTickets = 500

// CreateItem creates an improvement item owned by OwnerID (routed to them:
// any user may be named, the owner is notified) with its tickets linked,
// in one transaction. Tickets the caller cannot see are refused.
func (s *Service) CreateItem(ctx context.Context, p *access.Principal, in NewItem) (entity.Record, error) {
	e := s.entity("improvement_item")
	if !p.Perm(e.Name).Create {
		return nil, errs.Denied()
	}
	if len(in.TicketIDs) > MaxLinkedTickets {
		return nil, errs.Validation([]errs.FieldError{{Field: "ticket_ids", Code: "too_many", Args: map[string]any{"max": MaxLinkedTickets}}})
	}
	rec := entity.Record{"title": strings.TrimSpace(in.Title)}
	for k, v := range map[string]string{"description": in.Description, "cause": in.Cause, "product_id": cleanID(in.ProductID), "due_date": in.DueDate} {
		if strings.TrimSpace(v) != "" {
			rec[k] = strings.TrimSpace(v)
		}
	}
	owner := cleanID(in.OwnerID)
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		item, err := s.R.CreateTx(ctx, tx, p, e.Name, rec)
		if err != nil {
			return err
		}
		if owner != "" && owner != item.Str("owner_id") {
			st, err := s.DB.UserState(ctx, tx, owner)
			if err != nil || !st.Active {
				return errs.Field("owner_id", "invalid_user")
			}
			team, err := s.R.UserTeam(ctx, tx, owner)
			if err != nil {
				return err
			}
			if item, err = s.R.SetTx(records.AsProcess(ctx), tx, p, e, item, entity.Record{"owner_id": owner, "team_id": entity.NilIfEmpty(team)}); err != nil {
				return err
			}
		}
		te := s.entity("ticket")
		seen := map[string]bool{}
		for _, tid := range in.TicketIDs {
			tid = cleanID(tid)
			if seen[tid] {
				continue
			}
			seen[tid] = true
			if _, err := s.DB.Get(ctx, tx, te, tid, s.R.ReadPred(te, p), false); err != nil {
				if errs.KindOf(err) == errs.NotFound {
					return errs.Field("ticket_ids", "invalid_ref")
				}
				return err
			}
			if _, err := s.R.InsertTx(ctx, tx, p, "improvement_ticket", entity.Record{"item_id": item.ID(), "ticket_id": tid}); err != nil {
				return err
			}
		}
		out, err = s.DB.Get(ctx, tx, e, item.ID(), store.True, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, e, out), nil
}

// TicketItems are the improvement items a ticket's cause led to: those
// linked to it, then the open ones of the same cause (and product), that
// p may see; at most limit.
func (s *Service) TicketItems(ctx context.Context, p *access.Principal, ticket entity.Record, limit int) (linked, sameCause []entity.Record, err error) {
	e := s.entity("improvement_item")
	if p.Perm(e.Name).Read == access.None {
		return nil, nil, nil
	}
	var ids []string
	rows, err := s.DB.R().QueryContext(ctx, `SELECT item_id FROM improvement_tickets WHERE ticket_id = $1`, ticket.ID())
	if err != nil {
		return nil, nil, fmt.Errorf("feedback: ticket items: %w", err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	got, err := s.DB.GetMany(ctx, s.DB.R(), e, ids, s.R.ReadPred(e, p))
	if err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		if r, ok := got[id]; ok {
			linked = append(linked, s.R.Present(p, e, r))
		}
	}
	cause := ticket.Str("cause")
	if cause == "" {
		return linked, nil, nil
	}
	conds := []entity.Cond{{Field: e.Field("cause"), Op: entity.Eq, Values: []any{cause}},
		{Field: e.Field("status"), Op: entity.In, Values: []any{crm.ImprovementOpen, crm.ImprovementInProgress, crm.ImprovementDone}}}
	if pid := ticket.Str("product_id"); pid != "" {
		conds = append(conds, entity.Cond{Field: e.Field("product_id"), Op: entity.Eq, Values: []any{pid}})
	}
	page, err := s.R.List(ctx, p, e.Name, entity.Query{Conds: conds, Sort: e.Field("due_date"), Limit: limit})
	if err != nil {
		return linked, nil, err
	}
	for _, r := range page.Items {
		if got[r.ID()] == nil {
			sameCause = append(sameCause, r)
		}
	}
	return linked, sameCause, nil
}

// KnowledgeArticle turns a resolved (or closed) ticket into a draft
// knowledge-base article — its subject, description and resolution, the
// ticket's number in the body — linked back (one per ticket: asking again
// answers the same article). The caller must read the ticket and may
// create articles.
func (s *Service) KnowledgeArticle(ctx context.Context, p *access.Principal, ticketID string) (entity.Record, bool, error) {
	te, ke := s.entity("ticket"), s.entity("knowledge_article")
	if ke == nil {
		return nil, false, errs.NotFoundf("knowledge_article")
	}
	if !p.Perm(ke.Name).Create {
		return nil, false, errs.Denied()
	}
	var out entity.Record
	created := false
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.DB.Get(ctx, tx, te, cleanID(ticketID), s.R.ReadPred(te, p), false)
		if err != nil {
			return err
		}
		if st := t.Str("status"); st != crm.TicketResolved && st != crm.TicketClosed {
			return errs.New(errs.Unprocessable, "ticket_not_resolved")
		}
		if id := scalar(ctx, tx, `SELECT article_id FROM ticket_articles WHERE ticket_id = $1`, t.ID()); id != "" {
			out, err = s.DB.Get(ctx, tx, ke, id, store.True, true)
			return err
		}
		body := fmt.Sprintf("## 问题 Problem\n\n%s\n\n## 解决方案 Resolution\n\n%s\n\n---\n来源工单 Source ticket: %s", strings.TrimSpace(t.Str("description")), strings.TrimSpace(t.Str("resolution")), t.Str("number"))
		rec := entity.Record{"title": t.Str("subject"), "category": "faq", "body": body, "audience": "internal",
			"summary": truncate(t.Str("resolution"), 200), "tags": []string{t.Str("number")}}
		if pid := t.Str("product_id"); pid != "" {
			rec["product"] = scalar(ctx, tx, `SELECT name FROM products WHERE id = $1`, pid)
		}
		out, err = s.R.CreateTx(ctx, tx, p, ke.Name, rec)
		if err != nil {
			return err
		}
		created = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_articles (ticket_id, article_id, created_at, created_by) VALUES ($1, $2, $3, $4)`,
			t.ID(), out.ID(), s.now(), entity.NilIfEmpty(p.UserID)); err != nil {
			return fmt.Errorf("feedback: link article: %w", err)
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "ticket", RecordID: t.ID(), Action: "knowledge_article",
			Changes: map[string]store.Change{"article_id": {New: out.ID()}}, RequestID: records.RequestID(ctx)})
	})
	if err != nil {
		return nil, false, err
	}
	return s.R.Present(p, ke, out), created, nil
}

// TicketArticle is the id of the article made from a ticket ("" if none).
func (s *Service) TicketArticle(ctx context.Context, ticketID string) string {
	return scalar(ctx, s.DB.R(), `SELECT article_id FROM ticket_articles WHERE ticket_id = $1`, ticketID)
}

func truncate(v string, n int) string {
	r := []rune(strings.TrimSpace(v))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
