package channels

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/attachments"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// The public service form. Whoever fills it gets a ticket number at once;
// they learn nothing of our records (the customer matched by their phone
// or e-mail is never shown back). Three guards keep it usable in the open:
// a per-address limit (RequestLimit per RequestWindow, 429 with
// Retry-After), a honeypot input a person never sees, and a signed stamp
// of when the form was served (a post sooner than MinFill, or without a
// valid stamp, is a bot's): a bot gets the same neutral thanks and
// nothing is stored.

// Rate limit of the public form per client address.
const (
	RequestLimit  = 5
	RequestWindow = 10 * time.Minute
	// MinFill is the least time a person takes to fill the form.
	MinFill = 3 * time.Second
	// MaxFill is how long a served form stays good.
	MaxFill = 24 * time.Hour
	// MaxPhotos bounds the files of one request.
	MaxPhotos = 5
	// MaxDescription bounds the description (characters).
	MaxDescription = 5000
)

// Photo is an uploaded file of a request.
type Photo struct {
	Name string
	Data []byte
}

// Request is what the public form and the public JSON endpoint accept —
// nothing else.
type Request struct {
	Name        string
	Company     string
	Phone       string
	Email       string
	ProductID   string // an active product, or
	Product     string // the product in the requester's words
	OrderNo     string
	Kind        string
	Description string
	Photos      []Photo

	Channel string    // crm.ChannelWebForm or crm.ChannelAPI
	IP      string    // the client's address (rate limit)
	Lang    i18n.Lang // the acknowledgement's language

	// Spam guard (the HTML form only): the honeypot input and the stamp.
	Guarded  bool
	Honeypot string
	Stamp    string

	portal *Portal // a request from the portal: its customer, no matching
}

// Receipt answers a request at once.
type Receipt struct {
	Number string `json:"number,omitempty"`
	Status string `json:"status"`
	// PortalHint says where updates go (the e-mail given), never more.
	PortalHint string `json:"portal_hint"`
	ticketID   string
	bot        bool
}

// Bot reports whether the request was taken for a bot's (nothing stored).
func (r Receipt) Bot() bool { return r.bot }

// TicketID is the id of the ticket made (tests, the web page).
func (r Receipt) TicketID() string { return r.ticketID }

// PhotoTypes are the content types a request may carry (decided from the
// bytes, never from the name or the client's word).
var PhotoTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true, "application/pdf": true}

const secretKey = "channels.form_secret"

// secret is the key that signs form stamps, made once per installation
// (the first server to need it wins; the others read it).
func (s *Service) secret(ctx context.Context) ([]byte, error) {
	v, err := s.DB.Setting(ctx, s.DB.R(), secretKey)
	if err != nil {
		return nil, err
	}
	if v == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("channels: secret: %w", err)
		}
		if _, err := s.DB.W().ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
			secretKey, hex.EncodeToString(b), store.Now()); err != nil {
			return nil, fmt.Errorf("channels: store secret: %w", err)
		}
		if v, err = s.DB.Setting(ctx, s.DB.R(), secretKey); err != nil {
			return nil, err
		}
	}
	return hex.DecodeString(v)
}

func sign(key []byte, ts string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("service-form:" + ts))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Stamp is the signed time a form is served at (a hidden input).
func (s *Service) Stamp(ctx context.Context) (string, error) {
	key, err := s.secret(ctx)
	if err != nil {
		return "", err
	}
	ts := strconv.FormatInt(s.nowFunc().Unix(), 10)
	return ts + "." + sign(key, ts), nil
}

// human reports whether a guarded post passes the honeypot and the stamp.
func (s *Service) human(ctx context.Context, r *Request) (bool, error) {
	if !r.Guarded {
		return true, nil
	}
	if strings.TrimSpace(r.Honeypot) != "" {
		return false, nil
	}
	ts, mac, ok := strings.Cut(r.Stamp, ".")
	if !ok {
		return false, nil
	}
	key, err := s.secret(ctx)
	if err != nil {
		return false, err
	}
	if !hmac.Equal([]byte(mac), []byte(sign(key, ts))) {
		return false, nil
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false, nil
	}
	age := s.nowFunc().Sub(time.Unix(sec, 0))
	return age >= MinFill && age <= MaxFill, nil
}

// clean trims a one-line input and collapses its inner spaces.
func clean(v string) string { return strings.Join(strings.Fields(v), " ") }

// check validates a request; it returns the normalised record fields.
func (s *Service) check(ctx context.Context, r *Request) error {
	r.Name, r.Company, r.Product, r.OrderNo = clean(r.Name), clean(r.Company), clean(r.Product), clean(r.OrderNo)
	r.Email, r.Phone = strings.ToLower(strings.TrimSpace(r.Email)), strings.TrimSpace(r.Phone)
	r.Description = strings.TrimSpace(strings.ReplaceAll(r.Description, "\r\n", "\n"))
	r.ProductID = strings.ToLower(strings.TrimSpace(r.ProductID))
	var bad []errs.FieldError
	add := func(field, code string, args ...any) {
		fe := errs.FieldError{Field: field, Code: code}
		if len(args) > 1 {
			fe.Args = map[string]any{}
			for i := 0; i+1 < len(args); i += 2 {
				fe.Args[args[i].(string)] = args[i+1]
			}
		}
		bad = append(bad, fe)
	}
	textMax := func(field, v string, n int) {
		if utf8.RuneCountInString(v) > n {
			add(field, "too_long", "max", n)
		} else if strings.ContainsAny(v, "\x00") || !utf8.ValidString(v) {
			add(field, "invalid_text")
		}
	}
	if r.Name == "" {
		add("name", "required")
	}
	textMax("name", r.Name, 100)
	textMax("company", r.Company, 200)
	textMax("product", r.Product, 200)
	textMax("order_no", r.OrderNo, 60)
	textMax("description", r.Description, MaxDescription)
	if r.Email == "" && r.Phone == "" {
		add("email", "service_contact_required")
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email || len(r.Email) > 254 {
			add("email", "invalid_email")
		}
	}
	if r.Phone != "" {
		if p := entity.NormalizePhone(r.Phone); p == "" {
			add("phone", "invalid_phone")
		} else {
			r.Phone = p
		}
	}
	if r.Kind == "" {
		r.Kind = crm.TicketRepair
	}
	okKind := false
	for _, o := range crm.TicketKinds {
		okKind = okKind || o.Code == r.Kind
	}
	if !okKind {
		add("kind", "invalid_option", "value", r.Kind)
	}
	if r.Description == "" {
		add("description", "required")
	}
	if r.ProductID != "" {
		var n int
		if err := s.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM products WHERE id = $1 AND active AND deleted_at IS NULL`, r.ProductID).Scan(&n); err != nil || n == 0 {
			add("product_id", "service_unknown_product")
		}
	}
	if len(r.Photos) > MaxPhotos {
		add("photos", "service_too_many_photos", "max", MaxPhotos)
	}
	for _, p := range r.Photos {
		if len(p.Data) == 0 {
			add("photos", "file_empty")
			continue
		}
		if s.Files != nil && int64(len(p.Data)) > s.Files.MaxSize {
			add("photos", "service_photo_too_large", "name", attachments.SanitizeName(p.Name), "max", s.Files.MaxSize>>20)
			continue
		}
		ct, refused := attachments.Classify(p.Name, p.Data)
		if mt, _, _ := strings.Cut(ct, ";"); refused != "" || !PhotoTypes[mt] {
			add("photos", "service_photo_type", "name", attachments.SanitizeName(p.Name))
		}
	}
	return errs.Validation(bad)
}

// subjectOf is a ticket's subject made from the request: its first line,
// cut to 80 characters.
func subjectOf(desc string) string {
	line, _, _ := strings.Cut(desc, "\n")
	line = clean(line)
	if utf8.RuneCountInString(line) > 80 {
		line = string([]rune(line)[:79]) + "…"
	}
	return line
}

// Submit takes a request from the public form or the public API: a ticket
// with the description as the customer's first message, the photos
// attached, the acknowledgement (with a portal link) queued — all in one
// transaction, or nothing.
func (s *Service) Submit(ctx context.Context, r Request) (Receipt, error) {
	ok, err := s.human(ctx, &r)
	if err != nil {
		return Receipt{}, err
	}
	if !ok {
		return Receipt{Status: crm.TicketNew, bot: true}, nil
	}
	if err := s.check(ctx, &r); err != nil {
		return Receipt{}, err
	}
	if r.Channel == "" {
		r.Channel = crm.ChannelWebForm
	}
	if r.Lang == "" {
		r.Lang = i18n.Default
	}
	var out Receipt
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.hit(ctx, tx, "service-request:"+r.IP, RequestLimit, RequestWindow); err != nil {
			return err
		}
		var custID, contactID string
		if r.portal != nil {
			custID, contactID = r.portal.CustomerID, r.portal.ContactID
		} else if custID, contactID, err = s.match(ctx, tx, r.Email, r.Phone); err != nil {
			return err
		}
		in := entity.Record{"subject": subjectOf(r.Description), "kind": r.Kind, "channel": r.Channel, "description": r.Description,
			"requester_name": r.Name}
		for k, v := range map[string]string{"requester_company": r.Company, "requester_phone": r.Phone, "requester_email": r.Email,
			"customer_id": custID, "contact_id": contactID, "product_id": r.ProductID} {
			if v != "" {
				in[k] = v
			}
		}
		desc := r.Description
		if r.Product != "" && r.ProductID == "" {
			desc += "\n\n" + i18n.Msg(r.Lang, "chn.product_given", "product", r.Product)
		}
		if r.OrderNo != "" {
			// An order number links the order only when it is the matched
			// customer's; otherwise it stays in the text for the agent.
			var oid string
			err := tx.QueryRowContext(ctx, `SELECT id FROM sales_orders WHERE number = $1 AND customer_id = $2 AND deleted_at IS NULL`, r.OrderNo, custID).Scan(&oid)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("channels: order: %w", err)
			}
			if oid != "" {
				in["order_id"] = oid
			}
			desc += "\n" + i18n.Msg(r.Lang, "chn.order_given", "order", r.OrderNo)
		}
		in["description"] = desc
		t, err := s.Tickets.CreateTx(ctx, tx, sys(), in, &tickets.Message{Kind: crm.MessageCustomer, Body: desc, Channel: r.Channel,
			FromName: r.Name, FromEmail: r.Email})
		if err != nil {
			return err
		}
		for _, p := range r.Photos {
			if err := s.attach(ctx, tx, t.ID(), p); err != nil {
				return err
			}
		}
		mailed, err := s.acknowledge(ctx, tx, t, r.Lang)
		if err != nil {
			return err
		}
		out = Receipt{Number: t.Str("number"), Status: t.Str("status"), ticketID: t.ID()}
		if mailed != "" {
			out.PortalHint = i18n.Msg(r.Lang, "chn.hint_mailed", "email", mailed)
		} else {
			out.PortalHint = i18n.Msg(r.Lang, "chn.hint_keep_number")
		}
		return nil
	})
	return out, err
}

// attach stores a checked file on a ticket inside tx (files, attachment,
// audit), as the attachments service would for a signed-in user.
func (s *Service) attach(ctx context.Context, tx *store.Tx, ticketID string, p Photo) error {
	name := attachments.SanitizeName(p.Name)
	ct, _ := attachments.Classify(name, p.Data)
	sum := sha256.Sum256(p.Data)
	fileID, id, now := store.NewID(), store.NewID(), s.now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO files (id, name, content_type, size, data, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
		fileID, name, ct, int64(len(p.Data)), p.Data, now); err != nil {
		return fmt.Errorf("channels: store file: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO attachments (id, entity, record_id, file_id, name, content_type, size, sha256, created_at, created_by)
		VALUES ($1, 'ticket', $2, $3, $4, $5, $6, $7, $8, NULL)`, id, ticketID, fileID, name, ct, int64(len(p.Data)), hex.EncodeToString(sum[:]), now); err != nil {
		return fmt.Errorf("channels: attach: %w", err)
	}
	return s.DB.Audit(ctx, tx, store.AuditEntry{Entity: "ticket", RecordID: ticketID, Action: "attachment_add",
		Changes: map[string]store.Change{"attachment": {New: name}}})
}
