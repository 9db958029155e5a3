package channels

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	netmail "net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	_ "github.com/emersion/go-message/charset" // GBK, GB18030, Big5 … in mails from Chinese mail programs
	gomessage "github.com/emersion/go-message/mail"
	"golang.org/x/net/html"

	"closeloop/internal/access"
	"closeloop/internal/attachments"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/jobs"
	"closeloop/internal/mail"
	"closeloop/internal/records"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// Mail in (docs/architecture.md, "After-sales: channels"). The service.mail_in job polls
// one IMAP mailbox every minute: it searches the unseen messages, reads
// each (without marking it), files it, and only then flags it \Seen. The
// job runner leases the job, so one server polls at a time; and the
// Message-ID is unique on ticket messages, so a mail read twice (a crash
// between filing and flagging, two servers after a lease ran out) is
// filed once: the second attempt finds its Message-ID and only flags it.
// A subject with a ticket number, or an In-Reply-To/References naming a
// mail we sent or filed, threads into that ticket (CustomerWrote); any
// other mail opens a ticket (channel email, requester from From, customer
// matched by the address). Plain text is preferred; HTML is reduced to
// its text. Attachments are kept on the ticket when their type is allowed
// and their size within the attachments limit.

// MailInJob is the job that polls the mailbox.
const MailInJob = "service.mail_in"

// MailBatch bounds the messages filed in one run.
const MailBatch = 50

const imapKey = "channels.imap"

// IMAP are the incoming-mail settings.
type IMAP struct {
	Enabled     bool   `json:"enabled"`
	Host        string `json:"host"`
	Port        int    `json:"port"`
	Security    string `json:"security"` // none, starttls, tls
	Username    string `json:"username"`
	Password    string `json:"-"`
	PasswordSet bool   `json:"password_set"`
	Folder      string `json:"folder"`
}

type imapStored struct {
	IMAP
	Secret string `json:"password"`
}

// IMAPUpdate changes the settings; a nil Password keeps the stored one.
type IMAPUpdate struct {
	Enabled  bool    `json:"enabled"`
	Host     string  `json:"host"`
	Port     int     `json:"port"`
	Security string  `json:"security"`
	Username string  `json:"username"`
	Password *string `json:"password"`
	Folder   string  `json:"folder"`
}

func (s *Service) imap(ctx context.Context, q store.Querier) (IMAP, error) {
	raw, err := s.DB.Setting(ctx, q, imapKey)
	if err != nil || raw == "" {
		return IMAP{Security: "tls", Port: 993, Folder: "INBOX"}, err
	}
	var st imapStored
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return IMAP{}, fmt.Errorf("channels: imap setting: %w", err)
	}
	c := st.IMAP
	c.Password, c.PasswordSet = st.Secret, st.Secret != ""
	return c, nil
}

// IMAPSettings returns the settings for an admin, without the password.
func (s *Service) IMAPSettings(ctx context.Context, p *access.Principal) (IMAP, error) {
	if p == nil || !p.IsAdmin() {
		return IMAP{}, errs.Denied()
	}
	c, err := s.imap(ctx, s.DB.R())
	c.Password = ""
	return c, err
}

// SaveIMAPSettings validates and stores the settings, audited (the
// password only as changed).
func (s *Service) SaveIMAPSettings(ctx context.Context, p *access.Principal, u IMAPUpdate) (IMAP, error) {
	if p == nil || !p.IsAdmin() || p.ReadOnly {
		return IMAP{}, errs.Denied()
	}
	u.Host, u.Username, u.Folder = strings.TrimSpace(u.Host), strings.TrimSpace(u.Username), strings.TrimSpace(u.Folder)
	if u.Security == "" {
		u.Security = "tls"
	}
	if u.Folder == "" {
		u.Folder = "INBOX"
	}
	if u.Port == 0 {
		u.Port = 993
		if u.Security != "tls" {
			u.Port = 143
		}
	}
	var bad []errs.FieldError
	switch {
	case u.Host == "" && u.Enabled:
		bad = append(bad, errs.FieldError{Field: "host", Code: "required"})
	case len(u.Host) > 253 || strings.ContainsAny(u.Host, " /:@\\\t\r\n"):
		bad = append(bad, errs.FieldError{Field: "host", Code: "smtp_bad_host"})
	}
	if u.Port < 1 || u.Port > 65535 {
		bad = append(bad, errs.FieldError{Field: "port", Code: "out_of_range", Args: map[string]any{"min": 1, "max": 65535}})
	}
	switch u.Security {
	case "none", "starttls", "tls":
	default:
		bad = append(bad, errs.FieldError{Field: "security", Code: "invalid_option", Args: map[string]any{"value": u.Security}})
	}
	if u.Username == "" && u.Enabled {
		bad = append(bad, errs.FieldError{Field: "username", Code: "required"})
	}
	if utf8.RuneCountInString(u.Username) > 254 {
		bad = append(bad, errs.FieldError{Field: "username", Code: "too_long", Args: map[string]any{"max": 254}})
	}
	if utf8.RuneCountInString(u.Folder) > 200 {
		bad = append(bad, errs.FieldError{Field: "folder", Code: "too_long", Args: map[string]any{"max": 200}})
	}
	if u.Password != nil && (len(*u.Password) > 1000 || strings.ContainsAny(*u.Password, "\r\n\x00")) {
		bad = append(bad, errs.FieldError{Field: "password", Code: "invalid_text"})
	}
	if err := errs.Validation(bad); err != nil {
		return IMAP{}, err
	}
	var out IMAP
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.imap(ctx, tx)
		if err != nil {
			return err
		}
		st := imapStored{IMAP: IMAP{Enabled: u.Enabled, Host: u.Host, Port: u.Port, Security: u.Security, Username: u.Username, Folder: u.Folder}, Secret: old.Password}
		if u.Password != nil {
			st.Secret = *u.Password
		}
		b, _ := json.Marshal(st)
		if err := s.DB.SetSetting(ctx, tx, imapKey, string(b)); err != nil {
			return err
		}
		changes := map[string]store.Change{}
		note := func(field string, o, n any) {
			if o != n {
				changes[field] = store.Change{Old: o, New: n}
			}
		}
		note("enabled", old.Enabled, st.Enabled)
		note("host", old.Host, st.Host)
		note("port", old.Port, st.Port)
		note("security", old.Security, st.Security)
		note("username", old.Username, st.Username)
		note("folder", old.Folder, st.Folder)
		if st.Secret != old.Password {
			changes["password"] = store.Change{Old: "***", New: "***"}
		}
		out = st.IMAP
		out.PasswordSet = st.Secret != ""
		if len(changes) == 0 {
			return nil
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "settings", RecordID: "imap", Action: "update", Changes: changes, RequestID: records.RequestID(ctx)})
	})
	return out, err
}

// Register adds the mail-in job to the runner (every minute).
func (s *Service) Register(r *jobs.Runner) {
	r.Handle(MailInJob, func(ctx context.Context, _ jobs.Job) error {
		_, err := s.Poll(ctx)
		return err
	})
	r.Every(MailInJob, time.Minute)
}

func (s *Service) dial(c IMAP) (*imapclient.Client, error) {
	addr := fmt.Sprintf("%s:%d", c.Host, c.Port)
	opts := &imapclient.Options{TLSConfig: &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.TLSInsecure}} //nolint:gosec // tests only
	switch c.Security {
	case "none":
		return imapclient.DialInsecure(addr, opts)
	case "starttls":
		return imapclient.DialStartTLS(addr, opts)
	}
	return imapclient.DialTLS(addr, opts)
}

// Poll reads the mailbox once: it files every unseen message (at most
// MailBatch) and returns how many it filed.
func (s *Service) Poll(ctx context.Context) (int, error) {
	c, err := s.imap(ctx, s.DB.R())
	if err != nil || !c.Enabled || c.Host == "" {
		return 0, err
	}
	cl, err := s.dial(c)
	if err != nil {
		return 0, fmt.Errorf("channels: imap connect %s:%d: %w", c.Host, c.Port, err)
	}
	defer cl.Close()
	if err := cl.Login(c.Username, c.Password).Wait(); err != nil {
		return 0, fmt.Errorf("channels: imap login: %w", err)
	}
	sel, err := cl.Select(c.Folder, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("channels: imap select %s: %w", c.Folder, err)
	}
	found, err := cl.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("channels: imap search: %w", err)
	}
	uids := found.AllUIDs()
	if len(uids) > MailBatch {
		uids = uids[:MailBatch]
	}
	n := 0
	for _, uid := range uids {
		msgs, err := cl.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			return n, fmt.Errorf("channels: imap fetch %d: %w", uid, err)
		}
		if len(msgs) == 0 || len(msgs[0].BodySection) == 0 {
			continue
		}
		fallbackID := fmt.Sprintf("<%d.%d.%s@imap.%s>", sel.UIDValidity, uid, strings.ToLower(c.Folder), c.Host)
		if _, err := s.Ingest(ctx, msgs[0].BodySection[0].Bytes, fallbackID); err != nil {
			// A mail we cannot file (refused input) is flagged all the
			// same, or it would stop the mailbox every minute; anything
			// else is tried again on the next run.
			if k := errs.KindOf(err); k != errs.Invalid && k != errs.Unprocessable {
				return n, err
			}
			slog.Warn("channels: mail not filed", "uid", uint32(uid), "err", err)
		}
		if err := cl.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			return n, fmt.Errorf("channels: imap flag %d: %w", uid, err)
		}
		n++
	}
	_ = cl.Logout().Wait()
	return n, nil
}

// Filed says what became of a mail.
type Filed struct {
	TicketID  string
	Number    string
	New       bool // a new ticket
	Duplicate bool // seen before: nothing done
	Skipped   bool // our own mail: nothing done
}

// inMail is a parsed mail.
type inMail struct {
	messageID, subject, fromName, fromAddr string
	refs                                   []string
	auto                                   bool
	text                                   string
	files                                  []Photo
	refused                                []string
}

func parseMail(raw []byte, maxFile int64) (*inMail, error) {
	r, err := gomessage.CreateReader(bytes.NewReader(raw))
	if err != nil && r == nil {
		return nil, fmt.Errorf("channels: parse mail: %w", err)
	}
	m := &inMail{}
	h := r.Header
	m.messageID = strings.TrimSpace(h.Get("Message-Id"))
	if s, err := h.Subject(); err == nil {
		m.subject = clean(s)
	} else {
		m.subject = clean(h.Get("Subject"))
	}
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		m.fromName, m.fromAddr = from[0].Name, strings.ToLower(from[0].Address)
	}
	for _, k := range []string{"In-Reply-To", "References"} {
		m.refs = append(m.refs, strings.Fields(h.Get(k))...)
	}
	auto := strings.ToLower(h.Get("Auto-Submitted"))
	prec := strings.ToLower(h.Get("Precedence"))
	m.auto = (auto != "" && auto != "no") || prec == "bulk" || prec == "junk" || prec == "list"
	var plain, htmlText string
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if plain == "" && htmlText == "" {
				return m, nil
			}
			break
		}
		switch ph := p.Header.(type) {
		case *gomessage.InlineHeader:
			ct, _, _ := ph.ContentType()
			b, _ := io.ReadAll(io.LimitReader(p.Body, 1<<20))
			switch {
			case ct == "text/plain" && plain == "":
				plain = string(b)
			case ct == "text/html" && htmlText == "":
				htmlText = HTMLText(string(b))
			case strings.HasPrefix(ct, "image/") || ct == "application/pdf":
				m.addFile("inline", b, maxFile)
			}
		case *gomessage.AttachmentHeader:
			name, _ := ph.Filename()
			if dec, err := new(mime.WordDecoder).DecodeHeader(name); err == nil {
				name = dec
			}
			b, _ := io.ReadAll(io.LimitReader(p.Body, maxFile+1))
			m.addFile(name, b, maxFile)
		}
	}
	m.text = plain
	if strings.TrimSpace(m.text) == "" {
		m.text = htmlText
	}
	m.text = strings.TrimSpace(strings.ReplaceAll(strings.ToValidUTF8(m.text, "�"), "\r\n", "\n"))
	if utf8.RuneCountInString(m.text) > MaxDescription*4 {
		m.text = string([]rune(m.text)[:MaxDescription*4]) + "\n…"
	}
	return m, nil
}

func (m *inMail) addFile(name string, b []byte, maxFile int64) {
	if name == "" {
		name = "attachment"
	}
	if int64(len(b)) > maxFile || len(b) == 0 {
		m.refused = append(m.refused, attachments.SanitizeName(name))
		return
	}
	ct, refused := attachments.Classify(name, b)
	if mt, _, _ := strings.Cut(ct, ";"); refused != "" || !PhotoTypes[mt] {
		m.refused = append(m.refused, attachments.SanitizeName(name))
		return
	}
	m.files = append(m.files, Photo{Name: name, Data: b})
}

// HTMLText reduces an HTML mail body to its text: no markup, no scripts
// or styles, a line break at each block.
func HTMLText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			out := strings.TrimSpace(strings.ReplaceAll(b.String(), " \n", "\n"))
			for strings.Contains(out, "\n\n\n") {
				out = strings.ReplaceAll(out, "\n\n\n", "\n\n")
			}
			return out
		case html.TextToken:
			if skip == 0 {
				txt := string(z.Text())
				words := strings.Join(strings.Fields(txt), " ")
				if words == "" {
					if txt != "" && !strings.HasSuffix(b.String(), " ") && !strings.HasSuffix(b.String(), "\n") && b.Len() > 0 {
						b.WriteString(" ")
					}
					continue
				}
				if strings.TrimLeft(txt, " \t\r\n") != txt && b.Len() > 0 && !strings.HasSuffix(b.String(), " ") && !strings.HasSuffix(b.String(), "\n") {
					b.WriteString(" ")
				}
				b.WriteString(words)
				if strings.TrimRight(txt, " \t\r\n") != txt {
					b.WriteString(" ")
				}
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			switch tag {
			case "script", "style", "head", "title":
				if strings.HasPrefix(string(z.Raw()), "</") {
					skip = max(skip-1, 0)
				} else if !strings.HasSuffix(string(z.Raw()), "/>") {
					skip++
				}
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table":
				b.WriteString("\n")
			}
		}
	}
}

// Ingest files one mail (its raw bytes); fallbackID stands in for a
// missing Message-ID.
func (s *Service) Ingest(ctx context.Context, raw []byte, fallbackID string) (Filed, error) {
	maxFile := int64(20 << 20)
	if s.Files != nil {
		maxFile = s.Files.MaxSize
	}
	m, err := parseMail(raw, maxFile)
	if err != nil {
		return Filed{}, err
	}
	if m.messageID == "" {
		m.messageID = fallbackID
	}
	if len(m.messageID) > 500 {
		m.messageID = m.messageID[:500]
	}
	var out Filed
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ticket_messages WHERE mail_message_id = $1`, m.messageID).Scan(&n); err != nil {
			return fmt.Errorf("channels: dedupe: %w", err)
		}
		if n > 0 {
			out.Duplicate = true
			return nil
		}
		if m.fromAddr != "" && m.fromAddr == s.fromAddress(ctx, tx) {
			out.Skipped = true
			return nil
		}
		ticketID, err := s.threadOf(ctx, tx, m)
		if err != nil {
			return err
		}
		body := m.text
		if body == "" {
			body = i18n.Msg(i18n.Default, "chn.mail.empty")
		}
		if len(m.refused) > 0 {
			body += "\n\n" + i18n.Msg(i18n.Default, "chn.mail.refused", "names", strings.Join(m.refused, ", "))
		}
		msg := tickets.Message{Body: body, Channel: crm.ChannelEmail, FromName: m.fromName, FromEmail: m.fromAddr, MailMessageID: m.messageID}
		if ticketID != "" {
			if _, err := s.Tickets.CustomerWrote(ctx, tx, ticketID, msg); err != nil {
				return err
			}
			out.TicketID = ticketID
		} else {
			subj := m.subject
			if subj == "" {
				subj = subjectOf(body)
			}
			if utf8.RuneCountInString(subj) > 300 {
				subj = string([]rune(subj)[:299]) + "…"
			}
			custID, contactID, err := s.match(ctx, tx, m.fromAddr, "")
			if err != nil {
				return err
			}
			in := entity.Record{"subject": subj, "kind": crm.TicketConsultation, "channel": crm.ChannelEmail, "description": body}
			if utf8.RuneCountInString(body) > MaxDescription*4 {
				in["description"] = string([]rune(body)[:MaxDescription*4])
			}
			for k, v := range map[string]string{"requester_name": m.fromName, "requester_email": m.fromAddr, "customer_id": custID, "contact_id": contactID} {
				if v != "" {
					in[k] = v
				}
			}
			if _, bad := netmail.ParseAddress(m.fromAddr); bad != nil {
				delete(in, "requester_email")
			}
			msg.Kind = crm.MessageCustomer
			t, err := s.Tickets.CreateTx(ctx, tx, sys(), in, &msg)
			if err != nil {
				return err
			}
			out.TicketID, out.New = t.ID(), true
			if !m.auto {
				if _, err := s.acknowledge(ctx, tx, t, i18n.Default); err != nil {
					return err
				}
			}
		}
		for _, f := range m.files {
			if err := s.attach(ctx, tx, out.TicketID, f); err != nil {
				return err
			}
		}
		return tx.QueryRowContext(ctx, `SELECT number FROM tickets WHERE id = $1`, out.TicketID).Scan(&out.Number)
	})
	if err != nil && isUnique(err) {
		return Filed{Duplicate: true}, nil
	}
	return out, err
}

func isUnique(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "unique") || strings.Contains(s, "duplicate key")
}

// threadOf finds the ticket a mail answers: by the number in its subject,
// else by a Message-ID it refers to (a mail we sent from the outbox, one
// filed on a ticket, or the ticket's thread root our mails name). A merged
// ticket leads to the one it was merged into.
func (s *Service) threadOf(ctx context.Context, tx *store.Tx, m *inMail) (string, error) {
	var id string
	if num := NumberIn(m.subject); num != "" {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM tickets WHERE number = $1 AND deleted_at IS NULL`, num).Scan(&id); err != nil && !isNoRows(err) {
			return "", fmt.Errorf("channels: ticket by number: %w", err)
		}
	}
	for i := len(m.refs) - 1; id == "" && i >= 0; i-- {
		ref := m.refs[i]
		if err := tx.QueryRowContext(ctx, `SELECT ticket_id FROM ticket_messages WHERE mail_message_id = $1`, ref).Scan(&id); err != nil && !isNoRows(err) {
			return "", fmt.Errorf("channels: ticket by reference: %w", err)
		}
		if id == "" {
			local := strings.TrimPrefix(ref, "<")
			at := strings.IndexByte(local, '@')
			root := mail.ThreadRecord(ref, "ticket")
			switch {
			case at > 0 && isID(local[:at]):
				if err := tx.QueryRowContext(ctx, `SELECT record_id FROM mail_outbox WHERE id = $1 AND entity = 'ticket'`, local[:at]).Scan(&id); err != nil && !isNoRows(err) {
					id = "" // not one of ours (or not an id on PostgreSQL)
				}
			case isID(root): // the thread root every mail about a ticket names
				if err := tx.QueryRowContext(ctx, `SELECT id FROM tickets WHERE id = $1 AND deleted_at IS NULL`, root).Scan(&id); err != nil && !isNoRows(err) {
					id = ""
				}
			}
		}
	}
	for hops := 0; id != "" && hops < 5; hops++ {
		var into *string
		if err := tx.QueryRowContext(ctx, `SELECT merged_into_id FROM tickets WHERE id = $1`, id).Scan(&into); err != nil {
			break
		}
		if into == nil || *into == "" {
			break
		}
		id = *into
	}
	return id, nil
}

func isNoRows(err error) bool { return err != nil && strings.Contains(err.Error(), "no rows") }
