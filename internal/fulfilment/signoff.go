package fulfilment

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The customer's sign-off (签收) of a delivery and acceptance (验收) of a
// task, through a public link (links.go). The public page is built from a
// PublicView holding only what the receiver needs — our company's name,
// the consignee, the document's number and its lines with quantities —
// never prices, the order, or any other record.

// SignOffLink makes the sign-off link of a delivery whose goods have left
// (422 delivery_not_signable otherwise), replacing any earlier one. days
// 0 takes the default lifetime.
func (s *Service) SignOffLink(ctx context.Context, p *access.Principal, id string, days int) (Link, error) {
	de := s.entity("delivery")
	var out Link
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		d, err := s.R.LoadForWrite(ctx, tx, p, de, cleanID(id), p.Perm(de.Name).Write, false)
		if err != nil {
			return err
		}
		if !crm.DeliverySignable(d.Str("status")) {
			return errs.New(errs.Unprocessable, "delivery_not_signable", labelArgs("status", crm.DeliveryStatuses, d.Str("status"))...)
		}
		out, err = s.makeLink(ctx, tx, p, PurposeSignOff, de.Name, d.ID(), days)
		return err
	})
	return out, err
}

// AcceptanceLink makes the acceptance link of a task that is done (422
// task_not_done otherwise). The engineer may make it too.
func (s *Service) AcceptanceLink(ctx context.Context, p *access.Principal, id string, days int) (Link, error) {
	var out Link
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		t, err := s.loadTaskForStep(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !crm.TaskAcceptable(t.Str("status")) {
			return errs.New(errs.Unprocessable, "task_not_done", labelArgs("status", crm.TaskStatuses, t.Str("status"))...)
		}
		out, err = s.makeLink(ctx, tx, p, PurposeAcceptance, "service_task", t.ID(), days)
		return err
	})
	return out, err
}

// PublicLine is one line the public page shows.
type PublicLine struct {
	ID       string
	Position int64
	Name     string
	Spec     string
	Unit     string
	Quantity int64
	BatchNo  string
	// After the sign-off: what the receiver confirmed.
	Received *int64
	Issue    string
	Remark   string
}

// PublicView is everything a public page may show.
type PublicView struct {
	Purpose   string // PurposeSignOff or PurposeAcceptance
	State     string // LinkOpen, LinkUsed, LinkExpired
	ExpiresAt time.Time
	Company   i18n.Text // our company (letterhead), when configured
	Consignee string    // the customer's name
	Number    string
	// A delivery.
	ShippedAt  time.Time
	Carrier    string
	TrackingNo string
	Lines      []PublicLine
	// A task.
	Title, Kind    string
	Engineer       string
	ScheduledStart time.Time
	Result         string
	Checklist      []string
	// After the confirmation.
	Confirmed   bool
	ConfirmedAt time.Time
	SignerName  string
	Remarks     string
	HasIssues   bool
	Accepted    bool
	Rejected    string
}

// Public reads what the page of a link shows. An unknown, malformed or
// replaced token is NotFound (public_link_not_found), whatever the reason.
func (s *Service) Public(ctx context.Context, token string) (*PublicView, error) {
	l, err := s.findLink(ctx, s.DB.R(), token)
	if err != nil {
		return nil, err
	}
	return s.publicView(ctx, s.DB.R(), l, s.company(ctx))
}

// company is our company's name for the public page. It is read before a
// confirmation's transaction, never inside it: the letterhead comes
// through the read pool, and on PostgreSQL a transaction waiting for a
// second connection of a pool its concurrent writers hold would wait for
// ever.
func (s *Service) company(ctx context.Context) i18n.Text {
	if s.Letterhead == nil {
		return i18n.Text{}
	}
	co, err := s.Letterhead(ctx)
	if err != nil {
		return i18n.Text{}
	}
	return i18n.T(co.Name, co.NameEn)
}

func (s *Service) publicView(ctx context.Context, q store.Querier, l *linkRow, company i18n.Text) (*PublicView, error) {
	v := &PublicView{Purpose: l.purpose, State: s.linkState(l), ExpiresAt: l.expiresAt, Company: company}
	switch l.purpose {
	case PurposeSignOff:
		d, err := s.DB.Get(ctx, q, s.entity("delivery"), l.recordID, nil, false)
		if err != nil {
			return nil, errLinkUnknown()
		}
		v.Consignee, v.Number, v.ShippedAt, v.Carrier, v.TrackingNo = d.Str("customer_name"), d.Str("number"), d.Time("shipped_at"), d.Str("carrier"), d.Str("tracking_no")
		lines, err := s.deliveryLines(ctx, q, d.ID())
		if err != nil {
			return nil, err
		}
		for _, ln := range lines {
			pl := PublicLine{ID: ln.ID(), Position: ln.Int("position"), Name: ln.Str("name"), Spec: ln.Str("spec"), Unit: ln.Str("unit"),
				Quantity: ln.Int("quantity"), BatchNo: ln.Str("batch_no"), Issue: ln.Str("receipt_issue"), Remark: ln.Str("receipt_remark")}
			if r, ok := ln["received_qty"].(int64); ok {
				pl.Received = &r
			}
			v.Lines = append(v.Lines, pl)
		}
		if crm.DeliveryIsSigned(d.Str("status")) {
			v.State, v.Confirmed = LinkUsed, true
			v.ConfirmedAt, v.SignerName, v.Remarks, v.HasIssues = d.Time("signed_at"), d.Str("signer_name"), d.Str("sign_remarks"), d.Bool("has_issues")
		} else if v.State == LinkOpen && !crm.DeliverySignable(d.Str("status")) {
			return nil, errLinkUnknown() // cancelled since: nothing to sign
		}
	case PurposeAcceptance:
		t, err := s.DB.Get(ctx, q, s.entity("service_task"), l.recordID, nil, false)
		if err != nil {
			return nil, errLinkUnknown()
		}
		v.Number, v.Title, v.Kind, v.ScheduledStart, v.Result = t.Str("number"), t.Str("title"), t.Str("kind"), t.Time("scheduled_start"), t.Str("result")
		_ = q.QueryRowContext(ctx, `SELECT name FROM customers WHERE id = $1`, t.Str("customer_id")).Scan(&v.Consignee)
		if e := t.Str("engineer_id"); e != "" {
			_ = q.QueryRowContext(ctx, `SELECT name FROM users WHERE id = $1`, e).Scan(&v.Engineer)
		}
		items, err := s.checkItems(ctx, q, t.ID())
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			v.Checklist = append(v.Checklist, it.Str("text"))
		}
		switch t.Str("status") {
		case crm.TaskAccepted, crm.TaskRejected:
			if v.State == LinkUsed || t.Str("status") == crm.TaskAccepted {
				v.State, v.Confirmed = LinkUsed, true
				v.ConfirmedAt, v.SignerName, v.Remarks = t.Time("accepted_at"), t.Str("acceptor_name"), t.Str("acceptance_remarks")
				v.Accepted, v.Rejected = t.Str("status") == crm.TaskAccepted, t.Str("rejected_reason")
			}
		case crm.TaskDone:
		default:
			if v.State == LinkOpen {
				return nil, errLinkUnknown()
			}
		}
	default:
		return nil, errLinkUnknown()
	}
	return v, nil
}

// ReceiptInput is one line of a sign-off as the receiver entered it: the
// received quantity in good order (required), a flag and a remark.
type ReceiptInput struct {
	LineID   string `json:"line_id"`
	Received string `json:"received"`
	Issue    string `json:"issue"`
	Remark   string `json:"remark"`
}

// SignOffInput is the receiver's confirmation.
type SignOffInput struct {
	Lines   []ReceiptInput `json:"lines"`
	Remarks string         `json:"remarks"`
	Name    string         `json:"name"`
	Phone   string         `json:"phone"`
}

func checkText(bad *[]errs.FieldError, field, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		*bad = append(*bad, errs.FieldError{Field: field, Code: "too_long", Args: map[string]any{"max": max}})
	}
}

// signer checks the confirming person's name (required) and phone.
func signer(bad *[]errs.FieldError, name, phone string) (string, string) {
	name, phone = strings.TrimSpace(name), strings.TrimSpace(phone)
	if name == "" {
		*bad = append(*bad, errs.FieldError{Field: "name", Code: "required"})
	}
	checkText(bad, "name", name, 50)
	if phone != "" {
		if n := entity.NormalizePhone(phone); n == "" {
			*bad = append(*bad, errs.FieldError{Field: "phone", Code: "invalid_phone"})
		} else {
			phone = n
		}
	}
	return name, phone
}

// SignOff records the receiver's confirmation of a delivery through its
// link, from address ip: per line what was received in good order, any
// damage or wrong item, remarks, the receiver's name (and phone). The link
// is used up in the same transaction; a second confirmation answers
// public_link_used. What falls short or is flagged opens supply problems linked
// to the delivery, and what did not arrive in good order is given back to
// the order line, so a replacement may be planned.
func (s *Service) SignOff(ctx context.Context, token, ip string, in SignOffInput) (*PublicView, error) {
	var bad []errs.FieldError
	name, phone := signer(&bad, in.Name, in.Phone)
	remarks := strings.TrimSpace(in.Remarks)
	checkText(&bad, "remarks", remarks, 2000)
	p := system()
	company := s.company(ctx)
	var view *PublicView
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		l, err := s.findLink(ctx, tx, token)
		if err != nil {
			return err
		}
		if l.purpose != PurposeSignOff {
			return errLinkUnknown()
		}
		switch s.linkState(l) {
		case LinkUsed:
			return errs.New(errs.Conflict, "public_link_used")
		case LinkExpired:
			return errs.New(errs.Unprocessable, "public_link_expired")
		}
		de := s.entity("delivery")
		d, err := s.DB.Get(ctx, tx, de, l.recordID, nil, false)
		if err != nil {
			return errLinkUnknown()
		}
		if crm.DeliveryIsSigned(d.Str("status")) {
			return errs.New(errs.Conflict, "public_link_used")
		}
		if !crm.DeliverySignable(d.Str("status")) {
			return errLinkUnknown()
		}
		lines, err := s.deliveryLines(ctx, tx, d.ID())
		if err != nil {
			return err
		}
		byID := map[string]ReceiptInput{}
		for _, r := range in.Lines {
			byID[r.LineID] = r
		}
		receipt := make([]crm.ReceiptLine, len(lines))
		fieldBad := append([]errs.FieldError(nil), bad...)
		for i, ln := range lines {
			r, ok := byID[ln.ID()]
			rl := crm.ReceiptLine{LineID: ln.ID(), Shipped: ln.Int("quantity"), Issue: strings.TrimSpace(r.Issue), Remark: strings.TrimSpace(r.Remark)}
			if rl.Issue == crm.IssueNone {
				rl.Issue = ""
			}
			n, err := strconv.ParseInt(strings.TrimSpace(r.Received), 10, 64)
			switch {
			case !ok || strings.TrimSpace(r.Received) == "":
				fieldBad = append(fieldBad, errs.FieldError{Field: fmt.Sprintf("lines[%d].received", i), Code: "required"})
			case err != nil:
				fieldBad = append(fieldBad, errs.FieldError{Field: fmt.Sprintf("lines[%d].received", i), Code: "invalid_integer"})
			default:
				rl.Received = n
			}
			checkText(&fieldBad, fmt.Sprintf("lines[%d].remark", i), rl.Remark, 500)
			receipt[i] = rl
		}
		if e := errs.As(crm.CheckReceipt(receipt)); e != nil {
			for _, fe := range e.Fields {
				if !hasField(fieldBad, fe.Field) {
					fieldBad = append(fieldBad, fe)
				}
			}
		}
		if err := errs.Validation(fieldBad); err != nil {
			return err
		}
		if err := s.useLink(ctx, tx, l, ip); err != nil {
			return err
		}
		pctx := records.AsProcess(ctx)
		le := s.entity("delivery_line")
		for i, ln := range lines {
			rl := receipt[i]
			set := entity.Record{"received_qty": rl.Received, "receipt_issue": entity.NilIfEmpty(rl.Issue), "receipt_remark": entity.NilIfEmpty(rl.Remark)}
			if rl.Issue == "" {
				set["receipt_issue"] = crm.IssueNone
			}
			if _, err := s.R.SetTx(pctx, tx, p, le, ln, set); err != nil {
				return err
			}
			// What did not arrive in good order is still owed.
			if short := rl.Shipped - rl.Received; short > 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE order_lines SET delivered_qty = CASE WHEN delivered_qty >= $1 THEN delivered_qty - $1 ELSE 0 END WHERE id = $2`,
					short, ln.Str("order_line_id")); err != nil {
					return fmt.Errorf("fulfilment: give back shortfall: %w", err)
				}
			}
		}
		found := crm.Discrepancies(receipt)
		now := s.now()
		status := crm.DeliverySigned
		if len(found) > 0 {
			status = crm.DeliverySignedWithIssues
		}
		set := entity.Record{"status": status, "signed_at": now, "signer_name": name, "signer_phone": entity.NilIfEmpty(phone),
			"signed_ip": entity.NilIfEmpty(ip), "sign_remarks": entity.NilIfEmpty(remarks), "has_issues": len(found) > 0}
		if d.Time("delivered_at").IsZero() {
			set["delivered_at"] = now
		}
		if d, err = s.R.SetTx(pctx, tx, p, de, d, set); err != nil {
			return err
		}
		note := name
		if remarks != "" {
			note += "：" + remarks
		}
		if err := s.addTrackingEvent(ctx, tx, p, d, status, now, "", note); err != nil {
			return err
		}
		if err := s.event(ctx, tx, p, d.Str("customer_id"), "delivery_"+status, de.Name, d.ID(),
			map[string]any{"title": d.Str("number"), "name": name, "note": remarks}); err != nil {
			return err
		}
		if err := s.openDiscrepancies(ctx, tx, d, lines, receipt, found); err != nil {
			return err
		}
		if _, err := s.refreshOrder(ctx, tx, p, d.Str("order_id")); err != nil {
			return err
		}
		l.usedAt = now
		view, err = s.publicView(ctx, tx, l, company)
		return err
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

func hasField(list []errs.FieldError, field string) bool {
	for _, fe := range list {
		if fe.Field == field {
			return true
		}
	}
	return false
}

// openDiscrepancies opens one supply problem per kind of discrepancy a
// sign-off revealed, owned by the order's owner, who is notified.
func (s *Service) openDiscrepancies(ctx context.Context, tx *store.Tx, d entity.Record, lines []entity.Record, receipt []crm.ReceiptLine, found []crm.Discrepancy) error {
	if len(found) == 0 {
		return nil
	}
	var ownerID sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT owner_id FROM sales_orders WHERE id = $1`, d.Str("order_id")).Scan(&ownerID); err != nil {
		return fmt.Errorf("fulfilment: order's owner: %w", err)
	}
	owner := ownerID.String
	p := system()
	for _, f := range found {
		kind := optionLabelOf(crm.ProblemKinds, f.Kind)
		var b strings.Builder
		for _, i := range f.Lines {
			ln, rl := lines[i], receipt[i]
			fmt.Fprintf(&b, "%d. %s", ln.Int("position"), ln.Str("name"))
			if sp := ln.Str("spec"); sp != "" {
				b.WriteString(" " + sp)
			}
			fmt.Fprintf(&b, "：发货 %d，实收 %d", rl.Shipped, rl.Received)
			if rl.Remark != "" {
				b.WriteString("（" + rl.Remark + "）")
			}
			b.WriteString("\n")
		}
		severity := "medium"
		if f.Kind != crm.ProblemShortQuantity {
			severity = "high"
		}
		rec := entity.Record{"title": d.Str("number") + " " + kind.Zh, "kind": f.Kind, "severity": severity, "customer_id": d.Str("customer_id"),
			"order_id": d.Str("order_id"), "delivery_id": d.ID(), "occurred_on": s.today(), "description": strings.TrimSpace(b.String()), "source": "sign_off"}
		if owner != "" {
			rec["owner_id"] = owner
		}
		sp, err := s.R.InsertTx(records.AsProcess(ctx), tx, p, "supply_problem", rec)
		if err != nil {
			return errs.Wrap(err, "fulfilment: discrepancy problem")
		}
		if err := s.notify(ctx, tx, owner, "supply_problem", "supply_problem", sp.ID(), map[string]any{"title": sp.Str("title"), "delivery": d.Str("number")}); err != nil {
			return err
		}
	}
	return nil
}

func optionLabelOf(opts []entity.Option, code string) i18n.Text {
	for _, o := range opts {
		if o.Code == code {
			return o.Label
		}
	}
	return i18n.T(code, code)
}

// AcceptInput is the customer's acceptance (or refusal) of a task.
type AcceptInput struct {
	Accept  bool   `json:"accept"`
	Reason  string `json:"reason"` // why not, when refused (required)
	Remarks string `json:"remarks"`
	Name    string `json:"name"`
	Phone   string `json:"phone"`
}

// Accept records the customer's acceptance of a done task through its
// link (single use, like a sign-off). A refusal needs the reason and sends
// the task back to its engineer (rejected).
func (s *Service) Accept(ctx context.Context, token, ip string, in AcceptInput) (*PublicView, error) {
	var bad []errs.FieldError
	name, phone := signer(&bad, in.Name, in.Phone)
	remarks, reason := strings.TrimSpace(in.Remarks), strings.TrimSpace(in.Reason)
	checkText(&bad, "remarks", remarks, 2000)
	checkText(&bad, "reason", reason, 2000)
	if !in.Accept && reason == "" {
		bad = append(bad, errs.FieldError{Field: "reason", Code: "required"})
	}
	p := system()
	company := s.company(ctx)
	var view *PublicView
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		l, err := s.findLink(ctx, tx, token)
		if err != nil {
			return err
		}
		if l.purpose != PurposeAcceptance {
			return errLinkUnknown()
		}
		switch s.linkState(l) {
		case LinkUsed:
			return errs.New(errs.Conflict, "public_link_used")
		case LinkExpired:
			return errs.New(errs.Unprocessable, "public_link_expired")
		}
		te := s.entity("service_task")
		t, err := s.DB.Get(ctx, tx, te, l.recordID, nil, false)
		if err != nil {
			return errLinkUnknown()
		}
		if t.Str("status") == crm.TaskAccepted || t.Str("status") == crm.TaskRejected {
			return errs.New(errs.Conflict, "public_link_used")
		}
		if !crm.TaskAcceptable(t.Str("status")) {
			return errLinkUnknown()
		}
		if err := errs.Validation(bad); err != nil {
			return err
		}
		if err := s.useLink(ctx, tx, l, ip); err != nil {
			return err
		}
		now := s.now()
		status := crm.TaskAccepted
		set := entity.Record{"accepted_at": now, "acceptor_name": name, "acceptor_phone": entity.NilIfEmpty(phone), "acceptance_ip": entity.NilIfEmpty(ip),
			"acceptance_remarks": entity.NilIfEmpty(remarks)}
		if !in.Accept {
			status = crm.TaskRejected
			set["rejected_reason"] = reason
		}
		set["status"] = status
		if t, err = s.R.SetTx(records.AsProcess(ctx), tx, p, te, t, set); err != nil {
			return err
		}
		note := remarks
		if !in.Accept {
			note = reason
		}
		if err := s.event(ctx, tx, p, t.Str("customer_id"), "task_"+status, te.Name, t.ID(), map[string]any{"title": t.Str("title"), "name": name, "note": note}); err != nil {
			return err
		}
		if !in.Accept {
			if err := s.notify(ctx, tx, t.Str("engineer_id"), "task_rejected", te.Name, t.ID(), map[string]any{"title": t.Str("title"), "reason": reason}); err != nil {
				return err
			}
		}
		l.usedAt = now
		view, err = s.publicView(ctx, tx, l, company)
		return err
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}
