package channels

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
	"closeloop/internal/mail"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Mail out. Every mail about a ticket carries its number in the subject
// ("[GD-202612-00001] …"), so the customer's answer threads back into the
// ticket whatever their mail program does with headers; the outbox names
// its Message-ID after the outbox row (<id@our domain>), and the message
// on the ticket keeps it, so an In-Reply-To naming it finds the ticket
// too. Internal notes and system lines are never mailed, nor anything to
// a contact marked do-not-contact.

// numberRE finds a ticket number in a subject.
var numberRE = regexp.MustCompile(`\[?(GD-\d{6}-\d{5,})\]?`)

// NumberIn returns the first ticket number in a subject, or "".
func NumberIn(subject string) string {
	if m := numberRE.FindStringSubmatch(subject); m != nil {
		return m[1]
	}
	return ""
}

// subject is a mail subject carrying the ticket's number.
func subject(t entity.Record, l i18n.Lang, key string) string {
	return "[" + t.Str("number") + "] " + i18n.Msg(l, key, "subject", t.Str("subject"))
}

// mailDomain is the domain of our From address (the outbox's Message-IDs).
func (s *Service) mailDomain(ctx context.Context, q store.Querier) string {
	raw, _ := s.DB.Setting(ctx, q, "mail.smtp")
	var c struct {
		From string `json:"from_address"`
	}
	_ = json.Unmarshal([]byte(raw), &c)
	if at := strings.LastIndexByte(c.From, '@'); at >= 0 {
		return c.From[at+1:]
	}
	return "closeloop.local"
}

// fromAddress is our From address (a mail in from it is our own).
func (s *Service) fromAddress(ctx context.Context, q store.Querier) string {
	raw, _ := s.DB.Setting(ctx, q, "mail.smtp")
	var c struct {
		From string `json:"from_address"`
	}
	_ = json.Unmarshal([]byte(raw), &c)
	return strings.ToLower(c.From)
}

// send queues a mail about a ticket in tx and returns the Message-ID the
// outbox will give it.
func (s *Service) send(ctx context.Context, tx *store.Tx, t entity.Record, to, name, subj, body string) (string, error) {
	addr := to
	if name != "" {
		addr = fmt.Sprintf("%q <%s>", name, to)
	}
	id, err := s.Mail.Enqueue(ctx, tx, mail.Message{To: []string{addr}, Subject: subj, Text: body, Entity: "ticket", RecordID: t.ID()})
	if err != nil {
		// A bad address on the ticket must not undo the ticket: the
		// agent sees no acknowledgement in the outbox and calls.
		if to == "" {
			return "", nil
		}
		id, err = s.Mail.Enqueue(ctx, tx, mail.Message{To: []string{to}, Subject: subj, Text: body, Entity: "ticket", RecordID: t.ID()})
		if err != nil {
			return "", nil
		}
	}
	return "<" + id + "@" + s.mailDomain(ctx, tx) + ">", nil
}

// acknowledge mails the requester the ticket's number and a portal link,
// in tx; it returns the address mailed ("" when none).
func (s *Service) acknowledge(ctx context.Context, tx *store.Tx, t entity.Record, l i18n.Lang) (string, error) {
	to, name, ok, err := s.contactMail(ctx, tx, t)
	if err != nil || !ok {
		return "", err
	}
	link, err := s.makePortalLink(ctx, tx, "", t.Str("customer_id"), t.Str("contact_id"), to, 0)
	if err != nil {
		return "", err
	}
	en := l == i18n.EN
	body := i18n.Msg(l, "chn.mail.ack_body", "name", orDash(name), "number", t.Str("number"), "subject", t.Str("subject"),
		"link", s.absURL(link.Path), "days", link.Days, "company", s.companyName(ctx, en))
	if _, err := s.send(ctx, tx, t, to, name, subject(t, l, "chn.mail.ack_subject"), body); err != nil {
		return "", err
	}
	return to, nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// absURL is a path under the public base URL.
func (s *Service) absURL(path string) string {
	if s.BaseURL == "" {
		return path
	}
	return strings.TrimRight(s.BaseURL, "/") + path
}

func (s *Service) ticketTx(ctx context.Context, q store.Querier, id string) (entity.Record, error) {
	e, err := s.R.Entity("ticket")
	if err != nil {
		return nil, err
	}
	return s.DB.Get(ctx, q, e, id, store.True, false)
}

// afterMessage mails a public reply to the customer and keeps the mail's
// Message-ID on the message. Notes, system lines and the customer's own
// messages stay home.
func (s *Service) afterMessage(ctx context.Context, tx *store.Tx, _ *access.Principal, ch records.Change) error {
	if ch.Action != records.Create || ch.New.Str("kind") != crm.MessageReply {
		return nil
	}
	t, err := s.ticketTx(ctx, tx, ch.New.Str("ticket_id"))
	if err != nil {
		return fmt.Errorf("channels: reply's ticket: %w", err)
	}
	to, name, ok, err := s.contactMail(ctx, tx, t)
	if err != nil || !ok {
		return err
	}
	l := i18n.Default
	body := i18n.Msg(l, "chn.mail.reply_body", "body", ch.New.Str("body"), "number", t.Str("number"), "company", s.companyName(ctx, false))
	mid, err := s.send(ctx, tx, t, to, name, subject(t, l, "chn.mail.reply_subject"), body)
	if err != nil || mid == "" {
		return err
	}
	if ch.New.Str("mail_message_id") == "" {
		if _, err := tx.ExecContext(ctx, `UPDATE ticket_messages SET mail_message_id = $1 WHERE id = $2`, mid, ch.New.ID()); err != nil {
			return fmt.Errorf("channels: keep Message-ID: %w", err)
		}
	}
	return nil
}

// afterTicket mails the customer when their ticket is resolved.
func (s *Service) afterTicket(ctx context.Context, tx *store.Tx, _ *access.Principal, ch records.Change) error {
	if ch.Action != records.Update || !ch.Has("status") || ch.New.Str("status") != crm.TicketResolved {
		return nil
	}
	to, name, ok, err := s.contactMail(ctx, tx, ch.New)
	if err != nil || !ok {
		return err
	}
	l := i18n.Default
	body := i18n.Msg(l, "chn.mail.resolved_body", "number", ch.New.Str("number"), "subject", ch.New.Str("subject"),
		"resolution", orDash(ch.New.Str("resolution")), "company", s.companyName(ctx, false))
	_, err = s.send(ctx, tx, ch.New, to, name, subject(ch.New, l, "chn.mail.resolved_subject"), body)
	return err
}

// mailMessage is a plain mail to one address.
func mailMessage(to, subj, body string) mail.Message {
	return mail.Message{To: []string{to}, Subject: subj, Text: body}
}
