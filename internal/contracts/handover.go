package contracts

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The hand-over (客户需求总结报告): written when a contract is signed, in
// the signing transaction, from what the system knows of the deal; kept by
// the contract's owner, each edit a new version (earlier ones kept);
// acknowledged by the delivery and after-sales owners, each for a version.
// Recipients are given read access to the report and its contract (a
// grant, via the hand-over), are notified, and see it on their home page
// until they acknowledge the current version.

// handoverOf reads the hand-over of a contract inside q (nil when none).
func (s *Service) handoverOf(ctx context.Context, q store.Querier, contractID string) (entity.Record, error) {
	ids, err := store.Strings(ctx, q, `SELECT id FROM handovers WHERE contract_id = $1`, contractID)
	if err != nil || len(ids) == 0 {
		return nil, errs.Wrap(err, "contracts: hand-over of %s", contractID)
	}
	return s.DB.Get(ctx, q, s.entity("handover"), ids[0], nil, false)
}

// gather collects what the report is written from.
func (s *Service) gather(ctx context.Context, tx *store.Tx, c entity.Record, plan []entity.Record) (crm.HandoverFacts, error) {
	f := crm.HandoverFacts{Contract: c, At: s.now()}
	wrap := func(err error, what string) error { return errs.Wrap(err, "contracts: hand-over %s", what) }
	if err := tx.QueryRowContext(ctx, `SELECT name FROM customers WHERE id = $1`, c.Str("customer_id")).Scan(&f.Customer); err != nil {
		return f, wrap(err, "customer")
	}
	for _, r := range plan {
		f.Plan = append(f.Plan, crm.HandoverPlanRow{Label: r.Str("label"), Kind: r.Str("kind"), DueDate: r.Str("due_date"), Amount: r.Int("amount"), Condition: r.Str("condition")})
	}
	oppID := c.Str("opportunity_id")
	if oppID != "" {
		opp, err := s.DB.Get(ctx, tx, s.entity("opportunity"), oppID, nil, false)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return f, wrap(err, "opportunity")
		}
		f.Opportunity = opp
	}
	quoteID := c.Str("quote_id")
	if quoteID == "" && oppID != "" {
		// A contract typed directly still carries the promises of the
		// quote the customer accepted for the deal.
		ids, err := store.Strings(ctx, tx, `SELECT id FROM quotes WHERE opportunity_id = $1 AND status = $2 AND deleted_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT 1`, oppID, crm.QuoteAccepted)
		if err != nil {
			return f, wrap(err, "quote")
		}
		if len(ids) > 0 {
			quoteID = ids[0]
		}
	}
	if quoteID != "" {
		q, err := s.DB.Get(ctx, tx, s.entity("quote"), quoteID, nil, false)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return f, wrap(err, "quote")
		}
		f.Quote = q
	}
	if oppID == "" {
		return f, nil
	}
	sols, err := store.Strings(ctx, tx, `SELECT id FROM solutions WHERE opportunity_id = $1 AND status IN ($2, $3) AND deleted_at IS NULL
		ORDER BY version_no DESC, updated_at DESC, id DESC LIMIT 1`, oppID, crm.SolSent, crm.SolApproved)
	if err != nil {
		return f, wrap(err, "solution")
	}
	if len(sols) > 0 {
		if f.Solution, err = s.DB.Get(ctx, tx, s.entity("solution"), sols[0], nil, false); err != nil {
			return f, wrap(err, "solution")
		}
	} else {
		var drafts int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM solutions WHERE opportunity_id = $1 AND deleted_at IS NULL`, oppID).Scan(&drafts); err != nil {
			return f, wrap(err, "solutions")
		}
		if drafts > 0 {
			f.Risks = append(f.Risks, crm.Risk{Kind: "solution_unapproved"})
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT oc.contact_id, oc.contact_name, oc.role, oc.is_primary, oc.attitude, oc.notes, ct.title, ct.do_not_contact
		FROM opportunity_contacts oc LEFT JOIN contacts ct ON ct.id = oc.contact_id
		WHERE oc.opportunity_id = $1 AND oc.deleted_at IS NULL ORDER BY oc.is_primary DESC, oc.contact_name, oc.id`, oppID)
	if err != nil {
		return f, wrap(err, "contacts")
	}
	for rows.Next() {
		var hc crm.HandoverContact
		var attitude, notes, title *string
		var dnc *bool
		if err := rows.Scan(&hc.ContactID, &hc.Name, &hc.Role, &hc.Primary, &attitude, &notes, &title, &dnc); err != nil {
			rows.Close()
			return f, wrap(err, "contacts")
		}
		hc.Attitude, hc.Notes, hc.Title = deref(attitude), deref(notes), deref(title)
		hc.Signer = hc.ContactID == c.Str("signer_contact_id")
		f.Contacts = append(f.Contacts, hc)
		if dnc != nil && *dnc {
			f.Risks = append(f.Risks, crm.Risk{Kind: "contact_do_not_contact", Args: map[string]string{"name": hc.Name}, Entity: "contact", RecordID: hc.ContactID})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, wrap(err, "contacts")
	}
	if signer := c.Str("signer_contact_id"); signer != "" && !slices.ContainsFunc(f.Contacts, func(x crm.HandoverContact) bool { return x.ContactID == signer }) {
		var hc crm.HandoverContact
		var title, role *string
		if err := tx.QueryRowContext(ctx, `SELECT id, name, title, decision_role FROM contacts WHERE id = $1`, signer).Scan(&hc.ContactID, &hc.Name, &title, &role); err == nil {
			hc.Title, hc.Role, hc.Signer = deref(title), deref(role), true
			f.Contacts = append(f.Contacts, hc)
		}
	}
	rows, err = tx.QueryContext(ctx, `SELECT oc.competitor_id, oc.competitor_name, oc.threat, oc.price_position, oc.strengths, oc.weaknesses
		FROM opportunity_competitors oc WHERE oc.opportunity_id = $1 AND oc.deleted_at IS NULL ORDER BY oc.competitor_name, oc.id`, oppID)
	if err != nil {
		return f, wrap(err, "competitors")
	}
	for rows.Next() {
		var hc crm.HandoverCompetitor
		var threat, price, str, weak *string
		if err := rows.Scan(&hc.CompetitorID, &hc.Name, &threat, &price, &str, &weak); err != nil {
			rows.Close()
			return f, wrap(err, "competitors")
		}
		hc.Threat, hc.PricePosition, hc.Strengths, hc.Weaknesses = deref(threat), deref(price), deref(str), deref(weak)
		f.Competitors = append(f.Competitors, hc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, wrap(err, "competitors")
	}
	reqs, err := tx.QueryContext(ctx, `SELECT id, name FROM presales_requests WHERE opportunity_id = $1 AND status <> $2 AND deleted_at IS NULL ORDER BY created_at, id`, oppID, crm.ReqClosed)
	if err != nil {
		return f, wrap(err, "pre-sales requests")
	}
	for reqs.Next() {
		var id, name string
		if err := reqs.Scan(&id, &name); err != nil {
			reqs.Close()
			return f, wrap(err, "pre-sales requests")
		}
		f.Risks = append(f.Risks, crm.Risk{Kind: "presales_open", Args: map[string]string{"title": name}, Entity: "presales_request", RecordID: id})
	}
	reqs.Close()
	if err := reqs.Err(); err != nil {
		return f, wrap(err, "pre-sales requests")
	}
	more, err := s.openProblems(ctx, tx, c.Str("customer_id"))
	if err != nil {
		return f, err
	}
	f.Risks = append(f.Risks, more...)
	return f, nil
}

// openProblems lists the customer's supply problems still open, when the
// fulfilment part's supply_problem entity exists (it is declared on its
// own branch); until then there are none to list.
func (s *Service) openProblems(ctx context.Context, tx *store.Tx, customerID string) ([]crm.Risk, error) {
	e := s.entity("supply_problem")
	if e == nil || e.Field("customer_id") == nil || e.Field("status") == nil {
		return nil, nil
	}
	title := e.Title
	q := fmt.Sprintf(`SELECT id, %s FROM %s WHERE customer_id = $1 AND status NOT IN ('resolved', 'closed', 'cancelled')`, e.Field(title).Col(), e.Table)
	if e.SoftDelete {
		q += ` AND deleted_at IS NULL`
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY id`, customerID)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: open supply problems")
	}
	defer rows.Close()
	var out []crm.Risk
	for rows.Next() {
		var id string
		var name *string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, errs.Wrap(err, "contracts: open supply problems")
		}
		out = append(out, crm.Risk{Kind: "supply_problem_open", Args: map[string]string{"title": deref(name)}, Entity: e.Name, RecordID: id})
	}
	return out, rows.Err()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// writeHandover writes the first version of a signed contract's report,
// gives its recipients access and tells them.
func (s *Service) writeHandover(ctx context.Context, tx *store.Tx, p *access.Principal, c entity.Record, plan []entity.Record) (entity.Record, error) {
	facts, err := s.gather(ctx, tx, c, plan)
	if err != nil {
		return nil, err
	}
	rec, sec := crm.BuildHandover(facts)
	b, err := json.Marshal(sec)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: hand-over sections")
	}
	rec["sections"] = string(b)
	rec["body"] = crm.RenderHandover(i18n.Default, rec, sec)
	pctx := records.AsProcess(ctx)
	owner := c.Str("owner_id")
	if owner != "" && (owner == p.UserID || p.CanAssign()) {
		rec["owner_id"] = owner
	}
	he := s.entity("handover")
	h, err := s.R.InsertTx(pctx, tx, p, he.Name, rec)
	if err != nil {
		return nil, err
	}
	if owner != "" && h.Str("owner_id") != owner {
		team, err := s.R.UserTeam(ctx, tx, owner)
		if err != nil {
			return nil, err
		}
		if h, err = s.R.SetTx(pctx, tx, p, he, h, entity.Record{"owner_id": owner, "team_id": entity.NilIfEmpty(team)}); err != nil {
			return nil, err
		}
	}
	if err := s.saveVersion(ctx, tx, p, h); err != nil {
		return nil, err
	}
	if err := s.grantRecipients(ctx, tx, h, c); err != nil {
		return nil, err
	}
	for uid := range crm.Recipients(h.Str("delivery_owner_id"), h.Str("service_owner_id")) {
		if err := s.notify(ctx, tx, uid, "handover_pending", he.Name, h.ID(), handoverData(h, c)); err != nil {
			return nil, err
		}
	}
	return h, s.event(ctx, tx, p, h.Str("customer_id"), "handover_written", he.Name, h.ID(), handoverData(h, c))
}

func handoverData(h, c entity.Record) map[string]any {
	m := map[string]any{"title": h.Str("title"), "version": strconv.FormatInt(h.Int("version_no"), 10), "opportunity_id": h.Str("opportunity_id")}
	if c != nil {
		m["number"] = c.Str("number")
	}
	return m
}

// saveVersion keeps a version of the report: its content fields and
// sections as JSON, and its text.
func (s *Service) saveVersion(ctx context.Context, tx *store.Tx, p *access.Principal, h entity.Record) error {
	content := map[string]any{}
	for _, name := range crm.HandoverContentFields {
		content[name] = h[name]
	}
	var sec any
	if err := json.Unmarshal([]byte(h.Str("sections")), &sec); err == nil {
		content["sections"] = sec
	}
	b, err := json.Marshal(content)
	if err != nil {
		return errs.Wrap(err, "contracts: hand-over version")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO handover_versions (id, handover_id, version_no, content, body, edited_by, edited_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		store.NewID(), h.ID(), h.Int("version_no"), string(b), h.Str("body"), entity.NilIfEmpty(p.UserID), s.now()); err != nil {
		return errs.Wrap(err, "contracts: hand-over version")
	}
	return nil
}

// grantRecipients gives the recipients read access to the report and its
// contract (whatever their role), takes it from people no longer
// recipients, and keeps the search index in step.
func (s *Service) grantRecipients(ctx context.Context, tx *store.Tx, h, c entity.Record) error {
	rcpt := crm.Recipients(h.Str("delivery_owner_id"), h.Str("service_owner_id"))
	var keep []string
	for uid := range rcpt {
		keep = append(keep, uid)
		for _, g := range []struct{ ent, id string }{{"handover", h.ID()}, {"contract", c.ID()}} {
			if err := s.DB.Grant(ctx, tx, g.ent, g.id, uid, h.ID()); err != nil {
				return err
			}
		}
	}
	if _, err := s.DB.Revoke(ctx, tx, h.ID(), keep); err != nil {
		return errs.Wrap(err, "contracts: revoke hand-over grants")
	}
	if err := s.R.Reindex(ctx, tx, s.entity("handover"), h); err != nil {
		return errs.Wrap(err, "contracts: reindex hand-over")
	}
	return errs.Wrap(s.R.Reindex(ctx, tx, s.entity("contract"), c), "contracts: reindex contract")
}

// followRecipients moves the hand-over of a signed contract to the
// contract's new delivery or after-sales owner: access, acknowledgement
// state and a notification follow.
func (s *Service) followRecipients(ctx context.Context, tx *store.Tx, p *access.Principal, c entity.Record) error {
	h, err := s.handoverOf(ctx, tx, c.ID())
	if err != nil || h == nil {
		return err
	}
	before := crm.Recipients(h.Str("delivery_owner_id"), h.Str("service_owner_id"))
	set := entity.Record{"delivery_owner_id": entity.NilIfEmpty(c.Str("delivery_owner_id")), "service_owner_id": entity.NilIfEmpty(c.Str("service_owner_id"))}
	acked, err := s.ackedBy(ctx, tx, h.ID(), h.Int("version_no"))
	if err != nil {
		return err
	}
	after := crm.Recipients(c.Str("delivery_owner_id"), c.Str("service_owner_id"))
	set["ack_status"] = crm.AckStatusOf(after, acked)
	if h, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("handover"), h, set); err != nil {
		return err
	}
	if err := s.grantRecipients(ctx, tx, h, c); err != nil {
		return err
	}
	for uid := range after {
		if _, was := before[uid]; !was && !slices.Contains(acked, uid) {
			if err := s.notify(ctx, tx, uid, "handover_pending", "handover", h.ID(), handoverData(h, c)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ackedBy lists who acknowledged a version of a hand-over.
func (s *Service) ackedBy(ctx context.Context, q store.Querier, handoverID string, versionNo int64) ([]string, error) {
	ids, err := store.Strings(ctx, q, `SELECT user_id FROM handover_acks WHERE handover_id = $1 AND version_no = $2`, handoverID, versionNo)
	return ids, errs.Wrap(err, "contracts: acknowledgements")
}

// prepareHandover refuses hand-overs made by hand (signing writes them)
// and makes every change of content by a person a new version, to be
// acknowledged again.
func (s *Service) prepareHandover(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if records.IsProcess(ctx) {
		return nil
	}
	if old == nil {
		return errs.New(errs.Unprocessable, "handover_by_signing")
	}
	if !crm.ContentChanged(old, rec) {
		return nil
	}
	var sec crm.HandoverSections
	if err := json.Unmarshal([]byte(old.Str("sections")), &sec); err != nil {
		return errs.Wrap(err, "contracts: hand-over sections")
	}
	for _, name := range crm.HandoverContentFields {
		if v, ok := rec[name].(string); ok {
			rec[name] = entity.NilIfEmpty(strings.TrimSpace(v))
		}
	}
	rec["version_no"] = old.Int("version_no") + 1
	rec["ack_status"] = crm.AckPending
	rec["body"] = crm.RenderHandover(i18n.Default, rec, sec)
	return nil
}

// afterHandover keeps each new version, asks the recipients again and
// tells the customer's story.
func (s *Service) afterHandover(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if ch.Action != records.Update || !ch.Has("version_no") || records.IsProcess(ctx) {
		return nil
	}
	h := ch.New
	if err := s.saveVersion(ctx, tx, p, h); err != nil {
		return err
	}
	c, err := s.DB.Get(ctx, tx, s.entity("contract"), h.Str("contract_id"), nil, true)
	if err != nil {
		return err
	}
	for uid := range crm.Recipients(h.Str("delivery_owner_id"), h.Str("service_owner_id")) {
		if err := s.notify(ctx, tx, uid, "handover_revised", "handover", h.ID(), handoverData(h, c)); err != nil {
			return err
		}
	}
	return s.event(ctx, tx, p, h.Str("customer_id"), "handover_revised", "handover", h.ID(), handoverData(h, c))
}

func (s *Service) prepareAck(ctx context.Context, _ *store.Tx, _ *access.Principal, old, _ entity.Record) error {
	if !records.IsProcess(ctx) {
		return errs.New(errs.Unprocessable, "handover_ack_by_process")
	}
	return nil
}

// Acknowledge records that a recipient read the current version of a
// hand-over. version, when not 0, is the hand-over's version the recipient
// read (409 when the report changed since). Acknowledging one version
// twice answers 409 handover_already_acknowledged; a new version asks
// again.
func (s *Service) Acknowledge(ctx context.Context, p *access.Principal, id string, version int64, comment string) (entity.Record, error) {
	comment = strings.TrimSpace(comment)
	if len([]rune(comment)) > 2000 {
		return nil, errs.Validation([]errs.FieldError{{Field: "comment", Code: "too_long", Args: map[string]any{"max": 2000}}})
	}
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if p.ReadOnly {
			return errs.New(errs.Forbidden, "token_read_only")
		}
		he := s.entity("handover")
		id = strings.ToLower(strings.TrimSpace(id))
		if p.Perm(he.Name).Read == access.None {
			return errs.Denied()
		}
		h, err := s.DB.Get(ctx, tx, he, id, s.R.ReadPred(he, p), false)
		if err != nil {
			return err
		}
		role := crm.Recipients(h.Str("delivery_owner_id"), h.Str("service_owner_id"))[p.UserID]
		if role == "" {
			return errs.New(errs.Forbidden, "handover_not_recipient")
		}
		if err := entity.CheckVersion(h, version); err != nil {
			return err
		}
		acked, err := s.ackedBy(ctx, tx, h.ID(), h.Int("version_no"))
		if err != nil {
			return err
		}
		if slices.Contains(acked, p.UserID) {
			return errs.New(errs.Conflict, "handover_already_acknowledged", "version", h.Int("version_no"))
		}
		ack := entity.Record{"handover_id": h.ID(), "user_id": p.UserID, "role": role, "version_no": h.Int("version_no"),
			"acknowledged_at": s.now(), "comment": entity.NilIfEmpty(comment)}
		if _, err := s.R.InsertTx(records.AsProcess(ctx), tx, p, "handover_ack", ack); err != nil {
			return err
		}
		acked = append(acked, p.UserID)
		status := crm.AckStatusOf(crm.Recipients(h.Str("delivery_owner_id"), h.Str("service_owner_id")), acked)
		// A derived column: it does not move the version, so the other
		// recipient's open page stays current.
		if _, err := tx.ExecContext(ctx, `UPDATE handovers SET ack_status = $1 WHERE id = $2`, status, h.ID()); err != nil {
			return errs.Wrap(err, "contracts: acknowledgement state")
		}
		h["ack_status"] = status
		out = h
		data := handoverData(h, nil)
		data["name"] = p.Name
		if f := s.entity("handover_ack").Field("role"); f != nil {
			for _, o := range f.Options {
				if o.Code == role {
					data["role"], data["role_en"] = o.Label.Zh, o.Label.En
				}
			}
		}
		if comment != "" {
			data["note"] = comment
		}
		if err := s.notify(ctx, tx, h.Str("owner_id"), "handover_acknowledged", he.Name, h.ID(), data); err != nil {
			return err
		}
		return s.event(ctx, tx, p, h.Str("customer_id"), "handover_acknowledged", he.Name, h.ID(), data)
	})
	if err != nil {
		return nil, err
	}
	return s.R.Present(p, s.entity("handover"), out), nil
}

// Pending lists the hand-overs waiting for p's acknowledgement of their
// current version, newest first.
func (s *Service) Pending(ctx context.Context, p *access.Principal, limit int) ([]entity.Record, error) {
	if p.UserID == "" || p.Perm("handover").Read == access.None {
		return nil, nil
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	ids, err := store.Strings(ctx, s.DB.R(), fmt.Sprintf(`SELECT h.id FROM handovers h
		WHERE (h.delivery_owner_id = $1 OR h.service_owner_id = $1) AND h.ack_status <> $2
		  AND NOT EXISTS (SELECT 1 FROM handover_acks a WHERE a.handover_id = h.id AND a.user_id = $1 AND a.version_no = h.version_no)
		ORDER BY h.updated_at DESC, h.id DESC LIMIT %d`, limit), p.UserID, crm.AckAcknowledged)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: pending hand-overs")
	}
	e := s.entity("handover")
	m, err := s.DB.GetMany(ctx, s.DB.R(), e, ids, s.R.ReadPred(e, p))
	if err != nil {
		return nil, errs.Wrap(err, "contracts: pending hand-overs")
	}
	var out []entity.Record
	for _, id := range ids {
		if r, ok := m[id]; ok {
			out = append(out, s.R.Present(p, e, r))
		}
	}
	return out, nil
}

// LatestHandover is the newest hand-over of a customer (nil when none),
// for orders, deliveries and tickets to link to. It reads inside q and
// applies no visibility: callers show it to people who may read it.
func (s *Service) LatestHandover(ctx context.Context, q store.Querier, customerID string) (entity.Record, error) {
	ids, err := store.Strings(ctx, q, `SELECT id FROM handovers WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, strings.ToLower(customerID))
	if err != nil {
		return nil, errs.Wrap(err, "contracts: latest hand-over")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.DB.Get(ctx, q, s.entity("handover"), ids[0], nil, false)
}

// HandoverOf is the hand-over of a contract p can see (NotFound when the
// contract has none or p may not read it).
func (s *Service) HandoverOf(ctx context.Context, p *access.Principal, contractID string) (entity.Record, error) {
	c, err := s.R.Get(ctx, p, "contract", strings.ToLower(contractID))
	if err != nil {
		return nil, err
	}
	ids, err := store.Strings(ctx, s.DB.R(), `SELECT id FROM handovers WHERE contract_id = $1`, c.ID())
	if err != nil {
		return nil, errs.Wrap(err, "contracts: hand-over of contract")
	}
	if len(ids) == 0 {
		return nil, errs.NotFoundf("handover")
	}
	return s.R.Get(ctx, p, "handover", ids[0])
}

// Recipient is one recipient of a hand-over and where they stand.
type Recipient struct {
	UserID         string     `json:"user_id"`
	Name           string     `json:"name"`
	Role           string     `json:"role"`
	Acknowledged   bool       `json:"acknowledged"` // the current version
	LastVersion    int64      `json:"last_version,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	Comment        string     `json:"comment,omitempty"`
}

// Report is a hand-over as its page and API show it.
type Report struct {
	Handover   entity.Record        `json:"-"`
	VersionNo  int64                `json:"version_no"`
	Current    bool                 `json:"current"` // the version shown is the current one
	Content    entity.Record        `json:"-"`       // the content fields of the version shown
	Sections   crm.HandoverSections `json:"sections"`
	Body       string               `json:"body"`
	Recipients []Recipient          `json:"recipients"`
	Acks       []entity.Record      `json:"-"`
	Versions   []VersionInfo        `json:"versions"`
}

// VersionInfo names one kept version.
type VersionInfo struct {
	VersionNo int64     `json:"version_no"`
	EditedBy  string    `json:"edited_by,omitempty"`
	EditedAt  time.Time `json:"edited_at"`
}

// Report reads a hand-over p can see, at its current version or (when
// versionNo is not 0) at an earlier one, with its recipients and their
// acknowledgements.
func (s *Service) Report(ctx context.Context, p *access.Principal, id string, versionNo int64) (*Report, error) {
	h, err := s.R.Get(ctx, p, "handover", strings.ToLower(strings.TrimSpace(id)))
	if err != nil {
		return nil, err
	}
	rp := &Report{Handover: h, VersionNo: h.Int("version_no"), Current: true, Content: entity.Record{}, Body: h.Str("body")}
	for _, name := range crm.HandoverContentFields {
		rp.Content[name] = h[name]
	}
	if err := json.Unmarshal([]byte(h.Str("sections")), &rp.Sections); err != nil {
		return nil, errs.Wrap(err, "contracts: hand-over sections")
	}
	if rp.Versions, err = s.versions(ctx, h.ID()); err != nil {
		return nil, err
	}
	if versionNo != 0 && versionNo != rp.VersionNo {
		if err := s.loadVersion(ctx, rp, h.ID(), versionNo); err != nil {
			return nil, err
		}
	}
	ae := s.entity("handover_ack")
	q := entity.Query{Sort: ae.Field("acknowledged_at"), Conds: []entity.Cond{{Field: ae.Field("handover_id"), Op: entity.Eq, Values: []any{h.ID()}}}}
	if err := s.DB.Each(ctx, ae, q, nil, func(r entity.Record) error { rp.Acks = append(rp.Acks, r); return nil }); err != nil {
		return nil, errs.Wrap(err, "contracts: acknowledgements")
	}
	rcpt := crm.Recipients(h.Str("delivery_owner_id"), h.Str("service_owner_id"))
	var uids []string
	for uid := range rcpt {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	names, err := s.userNames(ctx, uids)
	if err != nil {
		return nil, err
	}
	for _, uid := range uids {
		r := Recipient{UserID: uid, Name: names[uid], Role: rcpt[uid]}
		for _, a := range rp.Acks {
			if a.Str("user_id") != uid {
				continue
			}
			at := a.Time("acknowledged_at")
			r.LastVersion, r.AcknowledgedAt, r.Comment = a.Int("version_no"), &at, a.Str("comment")
			if a.Int("version_no") == h.Int("version_no") {
				r.Acknowledged = true
			}
		}
		rp.Recipients = append(rp.Recipients, r)
	}
	return rp, nil
}

func (s *Service) versions(ctx context.Context, handoverID string) ([]VersionInfo, error) {
	rows, err := s.DB.R().QueryContext(ctx, `SELECT version_no, edited_by, edited_at FROM handover_versions WHERE handover_id = $1 ORDER BY version_no`, handoverID)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: hand-over versions")
	}
	defer rows.Close()
	var out []VersionInfo
	for rows.Next() {
		var v VersionInfo
		var by *string
		var at any
		if err := rows.Scan(&v.VersionNo, &by, &at); err != nil {
			return nil, errs.Wrap(err, "contracts: hand-over versions")
		}
		v.EditedBy, v.EditedAt = deref(by), store.ScanTime(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Service) loadVersion(ctx context.Context, rp *Report, handoverID string, versionNo int64) error {
	var content, body string
	err := s.DB.R().QueryRowContext(ctx, `SELECT content, body FROM handover_versions WHERE handover_id = $1 AND version_no = $2`, handoverID, versionNo).Scan(&content, &body)
	if err != nil {
		return errs.New(errs.NotFound, "not_found", "entity", "handover_version")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(content), &m); err != nil {
		return errs.Wrap(err, "contracts: hand-over version %d", versionNo)
	}
	rp.Content = entity.Record{}
	for _, name := range crm.HandoverContentFields {
		var v *string
		if raw, ok := m[name]; ok {
			_ = json.Unmarshal(raw, &v)
		}
		if v != nil {
			rp.Content[name] = *v
		}
	}
	if raw, ok := m["sections"]; ok {
		rp.Sections = crm.HandoverSections{}
		if err := json.Unmarshal(raw, &rp.Sections); err != nil {
			return errs.Wrap(err, "contracts: hand-over version %d", versionNo)
		}
	}
	rp.VersionNo, rp.Current, rp.Body = versionNo, false, body
	return nil
}

// userNames are the names of users (not confidential: pickers show them).
func (s *Service) userNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	m, err := s.DB.GetMany(ctx, s.DB.R(), s.entity("user"), ids, nil)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: user names")
	}
	for id, r := range m {
		out[id] = r.Str("name")
	}
	return out, nil
}

// OpportunityEvents are the timeline lines of the contracts and
// hand-overs of an opportunity p can see, newest first: the deal's page
// shows what became of it.
func (s *Service) OpportunityEvents(ctx context.Context, p *access.Principal, oppID string, limit int) ([]store.Event, error) {
	opp, err := s.R.Get(ctx, p, "opportunity", strings.ToLower(oppID))
	if err != nil {
		return nil, err
	}
	ce := s.entity("contract")
	if p.Perm(ce.Name).Read == access.None {
		return nil, nil
	}
	var a store.Args
	where := "t.opportunity_id = " + a.Add(opp.ID()) + " AND t.deleted_at IS NULL AND " + s.R.ReadPred(ce, p)(&a)
	cids, err := store.Strings(ctx, s.DB.R(), `SELECT t.id FROM contracts t WHERE `+where, a.V...)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: contracts of opportunity")
	}
	if len(cids) == 0 {
		return nil, nil
	}
	var b store.Args
	vals := make([]any, len(cids))
	for i, id := range cids {
		vals[i] = id
	}
	hids, err := store.Strings(ctx, s.DB.R(), `SELECT id FROM handovers WHERE contract_id IN `+b.List(vals), b.V...)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: hand-overs of opportunity")
	}
	for _, id := range hids {
		vals = append(vals, id)
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var c store.Args
	q := fmt.Sprintf(`SELECT id, at, actor_id, kind, entity, record_id, data FROM timeline WHERE customer_id = %s AND record_id IN %s ORDER BY at DESC, id DESC LIMIT %d`,
		c.Add(opp.Str("customer_id")), c.List(vals), limit)
	rows, err := s.DB.R().QueryContext(ctx, q, c.V...)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: opportunity events")
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var ev store.Event
		var at any
		var actor *string
		var data string
		if err := rows.Scan(&ev.ID, &at, &actor, &ev.Kind, &ev.Entity, &ev.RecordID, &data); err != nil {
			return nil, errs.Wrap(err, "contracts: opportunity events")
		}
		ev.At, ev.ActorID, ev.CustomerID = store.ScanTime(at), deref(actor), opp.Str("customer_id")
		_ = json.Unmarshal([]byte(data), &ev.Data)
		out = append(out, ev)
	}
	return out, rows.Err()
}
