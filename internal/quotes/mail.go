package quotes

import (
	"context"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/mail"
	"closeloop/internal/store"
)

// UseMail makes sending a quote mail it, with its PDF, to the quote's
// contact when the contact has an e-mail address and SMTP is set up: the
// message joins the outbox in the sending transaction (nothing is mailed
// if the send is refused or rolled back), answers go to the rep. The PDF
// is rendered inside that transaction, so what is attached is exactly
// what was marked sent.
func (s *Service) UseMail(m *mail.Service) {
	s.SetMailer(func(ctx context.Context, tx *store.Tx, p *access.Principal, q *Quote) (bool, error) {
		cid := q.Rec.Str("contact_id")
		if cid == "" {
			return false, nil
		}
		// The address as stored: masking is for showing, not for sending.
		contact, err := s.DB.Get(ctx, tx, s.entity("contact"), cid, nil, false)
		if errs.KindOf(err) == errs.NotFound {
			return false, nil
		}
		if err != nil {
			return false, errs.Wrap(err, "quotes: the contact to mail")
		}
		to := strings.TrimSpace(contact.Str("email"))
		if to == "" {
			return false, nil
		}
		cfg, err := m.Settings(ctx, access.SystemPrincipal())
		if err != nil {
			return false, errs.Wrap(err, "quotes: mail settings")
		}
		if !cfg.Configured() {
			return false, nil
		}
		doc, err := s.document(ctx, p, q, i18n.ZH)
		if err != nil {
			return false, err
		}
		pdf, err := renderPDF(doc, q.Rec.Str("number"))
		if err != nil {
			return false, err
		}
		company := doc.Company.DisplayName(i18n.ZH)
		subject := i18n.Msg(i18n.ZH, "qtmail.subject", "number", q.Rec.Str("number"), "title", q.Rec.Str("title"))
		if company != "" {
			subject += " — " + company
		}
		msg := mail.Message{
			To:      []string{strings.TrimSpace(contact.Str("name")) + " <" + to + ">"},
			Subject: subject,
			Text: i18n.Msg(i18n.ZH, "qtmail.body", "name", contact.Str("name"), "number", q.Rec.Str("number"), "title", q.Rec.Str("title"),
				"total", amountText(q.Rec.Str("currency"), q.Rec.Int("total")), "until", q.Rec.Str("valid_until"), "rep", p.Name, "company", company),
			Attachments: []mail.Attachment{{Name: i18n.Msg(i18n.ZH, "qtpdf.file", "number", q.Rec.Str("number")), ContentType: "application/pdf", Data: pdf}},
			Entity:      "quote", RecordID: q.Rec.ID(), CreatedBy: p.UserID,
		}
		if p.Email != "" {
			msg.ReplyTo = p.Email
		}
		if _, err := m.Enqueue(ctx, tx, msg); err != nil {
			return false, err
		}
		return true, nil
	})
}
