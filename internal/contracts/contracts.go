package contracts

import (
	"context"
	"slices"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// prepareContract numbers a new contract (every create path: the form,
// the API, imports, a quote), keeps its customer coherent with its
// opportunity, refuses people's changes of a contract that left the
// draft, and reopens the confirmation of the terms a change touches (and
// an approval given before it).
func (s *Service) prepareContract(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	process := records.IsProcess(ctx)
	if old == nil {
		if !process {
			rec["status"], rec["terms_confirmed"], rec["approved_at"] = crm.ContractDraft, nil, nil
		}
		if rec.Str("number") == "" {
			n, err := s.DB.MonthlyNumber(ctx, tx, "HT", 4, s.now())
			if err != nil {
				return errs.Wrap(err, "contracts: number")
			}
			rec["number"] = n
		}
	}
	var changed []string
	if old != nil {
		changed = changedFields(old, rec, crm.ContractContentFields)
		if !process && len(changed) > 0 {
			if err := crm.CheckContractStep(old.Str("status"), crm.CtStepEdit); err != nil {
				return err
			}
		}
	}
	if old != nil && !process && old.Str("status") != crm.ContractDraft {
		// The hand-over has recipients from signing on: they may change,
		// not go.
		var bad []errs.FieldError
		for _, f := range []string{"delivery_owner_id", "service_owner_id"} {
			if rec.Str(f) == "" && old.Str(f) != "" {
				bad = append(bad, errs.FieldError{Field: f, Code: "required"})
			}
		}
		if err := errs.Validation(bad); err != nil {
			return err
		}
	}
	if err := s.checkOpportunity(ctx, tx, p, old, rec); err != nil {
		return err
	}
	if old == nil && strings.TrimSpace(rec.Str("party_a")) == "" && rec.Str("customer_id") != "" {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM customers WHERE id = $1`, strings.ToLower(rec.Str("customer_id"))).Scan(&name); err == nil {
			rec["party_a"] = name
		}
	}
	if old != nil && len(changed) > 0 {
		if reopened := crm.TermsReopened(old.List("terms_confirmed"), changed); len(reopened) > 0 {
			if err := s.reopenTerms(ctx, tx, old, rec, reopened); err != nil {
				return err
			}
		}
		if old["approved_at"] != nil {
			rec["approved_at"] = nil // changed after approval: approve again
			if err := s.withdrawApproval(ctx, tx, p, old.ID()); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkOpportunity fills the customer from the opportunity, or refuses a
// customer that is not the opportunity's.
func (s *Service) checkOpportunity(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	oppID := strings.ToLower(rec.Str("opportunity_id"))
	if oppID == "" || !entity.LooksLikeID(oppID) || (old != nil && old.Str("opportunity_id") == oppID && old.Str("customer_id") == rec.Str("customer_id")) {
		return nil
	}
	oe := s.entity("opportunity")
	opp, err := s.DB.Get(ctx, tx, oe, oppID, s.R.ReadPred(oe, p), false)
	if errs.KindOf(err) == errs.NotFound {
		return nil // said by the reference check
	}
	if err != nil {
		return errs.Wrap(err, "contracts: contract's opportunity")
	}
	switch cust := rec.Str("customer_id"); {
	case cust == "":
		rec["customer_id"] = opp["customer_id"]
	case !strings.EqualFold(cust, opp.Str("customer_id")):
		return errs.Validation([]errs.FieldError{{Field: "customer_id", Code: "customer_not_of_opportunity"}})
	}
	return nil
}

// reopenTerms withdraws the confirmation of items whose terms changed.
func (s *Service) reopenTerms(ctx context.Context, tx *store.Tx, old, rec entity.Record, items []string) error {
	var keep []string
	for _, it := range old.List("terms_confirmed") {
		if !slices.Contains(items, it) {
			keep = append(keep, it)
		}
	}
	rec["terms_confirmed"] = listOrNil(keep)
	for _, it := range items {
		if _, err := tx.ExecContext(ctx, `DELETE FROM contract_terms WHERE contract_id = $1 AND item = $2`, old.ID(), it); err != nil {
			return errs.Wrap(err, "contracts: reopen %s", it)
		}
	}
	return nil
}

func changedFields(old, rec entity.Record, names []string) []string {
	var out []string
	for _, n := range names {
		if !entity.Equal(old[n], rec[n]) {
			out = append(out, n)
		}
	}
	return out
}

func listOrNil(l []string) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

// afterContract tells the customer's story, keeps signed contracts (they
// are the agreement the hand-over, orders and invoices rest on) and lets
// the hand-over follow a change of its recipients.
func (s *Service) afterContract(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	switch ch.Action {
	case records.Create:
		c := ch.New
		data := contractData(c)
		if q := c.Str("quote_id"); q != "" {
			var num string
			_ = tx.QueryRowContext(ctx, `SELECT number FROM quotes WHERE id = $1`, q).Scan(&num)
			data["quote"] = num
			return s.event(ctx, tx, p, c.Str("customer_id"), "contract_created_from_quote", "contract", c.ID(), data)
		}
		return s.event(ctx, tx, p, c.Str("customer_id"), "contract_created", "contract", c.ID(), data)
	case records.Delete:
		if st := ch.Old.Str("status"); st != crm.ContractDraft {
			return errs.New(errs.Unprocessable, "contract_signed_kept", "status", st)
		}
	case records.Update:
		if ch.Has("owner_id") {
			if err := s.followOwner(ctx, tx, p, ch.New); err != nil {
				return err
			}
		}
		if ch.Has("delivery_owner_id") || ch.Has("service_owner_id") {
			return s.followRecipients(ctx, tx, p, ch.New)
		}
	}
	return nil
}

// followOwner hands the hand-over to the contract's new owner: whoever
// keeps the contract keeps its report.
func (s *Service) followOwner(ctx context.Context, tx *store.Tx, p *access.Principal, c entity.Record) error {
	h, err := s.handoverOf(ctx, tx, c.ID())
	if err != nil || h == nil || h.Str("owner_id") == c.Str("owner_id") {
		return err
	}
	_, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("handover"), h, entity.Record{"owner_id": c["owner_id"], "team_id": c["team_id"]})
	return err
}

// contractData is the timeline data of a contract event.
func contractData(c entity.Record) map[string]any {
	return map[string]any{"number": c.Str("number"), "title": c.Str("title"), "amount": entity.FormatMoney(c.Int("amount")),
		"currency": c.Str("currency"), "opportunity_id": c.Str("opportunity_id")}
}

// loadContract reads a contract p may change: NotFound when p cannot see
// it, Forbidden when p sees it but may not change it.
func (s *Service) loadContract(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (entity.Record, error) {
	if p.ReadOnly {
		return nil, errs.New(errs.Forbidden, "token_read_only")
	}
	e := s.entity("contract")
	id = strings.ToLower(strings.TrimSpace(id))
	if !entity.LooksLikeID(id) {
		return nil, errs.NotFoundf("contract")
	}
	return s.R.LoadForWrite(ctx, tx, p, e, id, p.Perm(e.Name).Write, false)
}

// FromQuote is what may be given when a contract is made from a quote;
// everything else comes from the quote.
type FromQuote struct {
	Title           string `json:"title"`
	DeliveryOwnerID string `json:"delivery_owner_id"`
	ServiceOwnerID  string `json:"service_owner_id"`
}

// CreateFromQuote makes a draft contract from a quote the customer
// accepted: customer, opportunity, amount (the quote's total), currency,
// signatory, payment terms and after-sales terms (into the terms),
// delivery period (delivery terms) and service content (scope) are
// copied. A quote not accepted answers 422 quote_not_accepted; a quote
// that already has a contract 409 quote_has_contract.
func (s *Service) CreateFromQuote(ctx context.Context, p *access.Principal, quoteID string, in FromQuote) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		ce := s.entity("contract")
		if p.ReadOnly {
			return errs.New(errs.Forbidden, "token_read_only")
		}
		qe := s.entity("quote")
		quoteID = strings.ToLower(strings.TrimSpace(quoteID))
		if !entity.LooksLikeID(quoteID) {
			return errs.NotFoundf("quote")
		}
		q, err := s.DB.Get(ctx, tx, qe, quoteID, s.R.ReadPred(qe, p), false)
		if err != nil {
			return err
		}
		if !p.Perm(ce.Name).Create {
			return errs.Denied()
		}
		if st := q.Str("status"); st != crm.QuoteAccepted {
			return errs.New(errs.Unprocessable, "quote_not_accepted", "status", st, "number", q.Str("number"))
		}
		existing, err := store.Strings(ctx, tx, `SELECT id FROM contracts WHERE quote_id = $1 AND deleted_at IS NULL`, q.ID())
		if err != nil {
			return errs.Wrap(err, "contracts: contracts of quote")
		}
		if len(existing) > 0 {
			return errs.New(errs.Conflict, "quote_has_contract", "id", existing[0]).WithData(map[string]any{"contract_id": existing[0]})
		}
		rec := crm.ContractFromQuote(q)
		if t := strings.TrimSpace(in.Title); t != "" {
			rec["title"] = t
		}
		for k, v := range map[string]string{"delivery_owner_id": in.DeliveryOwnerID, "service_owner_id": in.ServiceOwnerID} {
			if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
				rec[k] = v
			}
		}
		var bad []errs.FieldError
		for _, f := range []string{"title", "delivery_owner_id", "service_owner_id"} {
			if v, ok := rec[f].(string); ok {
				if val, fe := s.R.Schema().ParseJSON(ce.Field(f), v); fe != nil {
					bad = append(bad, *fe)
				} else {
					rec[f] = val
				}
			}
		}
		if err := errs.Validation(bad); err != nil {
			return err
		}
		if owner := q.Str("owner_id"); owner != "" && owner != p.UserID && p.CanAssign() {
			rec["owner_id"] = owner // the rep who won it keeps it
		}
		out, err = s.R.InsertTx(records.AsProcess(ctx), tx, p, ce.Name, rec)
		return err
	})
	return out, err
}

// ConfirmTerm confirms one term item of a draft (or withdraws its
// confirmation): the price, delivery, scope, payment, acceptance and
// after-sales terms are confirmed one by one before signing. version,
// when not 0, is the version the person confirmed from (409 if stale).
func (s *Service) ConfirmTerm(ctx context.Context, p *access.Principal, id string, version int64, item string, confirmed bool) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := s.loadContract(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(c, version); err != nil {
			return err
		}
		item = strings.TrimSpace(item)
		switch {
		case item == "":
			return errs.Validation([]errs.FieldError{{Field: "item", Code: "required"}})
		case !crm.IsTermItem(item):
			return errs.Validation([]errs.FieldError{{Field: "item", Code: "invalid_option", Args: map[string]any{"value": item}}})
		}
		if err := crm.CheckContractStep(c.Str("status"), crm.CtStepConfirm); err != nil {
			return err
		}
		set := slices.DeleteFunc(slices.Clone(c.List("terms_confirmed")), func(x string) bool { return x == item })
		if _, err := tx.ExecContext(ctx, `DELETE FROM contract_terms WHERE contract_id = $1 AND item = $2`, c.ID(), item); err != nil {
			return errs.Wrap(err, "contracts: confirm %s", item)
		}
		if confirmed {
			set = append(set, item)
			if _, err := tx.ExecContext(ctx, `INSERT INTO contract_terms (contract_id, item, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4)`,
				c.ID(), item, entity.NilIfEmpty(p.UserID), s.now()); err != nil {
				return errs.Wrap(err, "contracts: confirm %s", item)
			}
		}
		out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("contract"), c, entity.Record{"terms_confirmed": listOrNil(crm.SortTerms(set))})
		return err
	})
	return out, err
}

// TermState is one item of the confirmation checklist.
type TermState struct {
	Item        string `json:"item"`
	Confirmed   bool   `json:"confirmed"`
	ConfirmedBy string `json:"confirmed_by,omitempty"`
	ConfirmedAt string `json:"confirmed_at,omitempty"`
}

// Checklist is what signing a contract waits for: each term item, the
// payment plan against the amount, the hand-over's recipients and the
// approval; Refusals lists what would refuse a signature now.
type Checklist struct {
	Terms         []TermState   `json:"terms"`
	Missing       []string      `json:"missing_terms"`
	Amount        int64         `json:"amount"`
	PlanSum       int64         `json:"plan_sum"`
	PlanRows      int           `json:"plan_rows"`
	NeedsApproval bool          `json:"needs_approval"`
	Approved      bool          `json:"approved"`
	Refusals      []crm.Refusal `json:"refusals"`
	CanSign       bool          `json:"can_sign"`
}

// Checklist reads a contract's readiness for signing.
func (s *Service) Checklist(ctx context.Context, p *access.Principal, id string) (*Checklist, error) {
	c, err := s.R.Get(ctx, p, "contract", strings.ToLower(id))
	if err != nil {
		return nil, err
	}
	cl := &Checklist{Amount: c.Int("amount"), Approved: c["approved_at"] != nil}
	confirmed := map[string]TermState{}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT item, confirmed_by, confirmed_at FROM contract_terms WHERE contract_id = $1`, c.ID())
	if err != nil {
		return nil, errs.Wrap(err, "contracts: checklist")
	}
	for rows.Next() {
		var item string
		var by *string
		var at any
		if err := rows.Scan(&item, &by, &at); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "contracts: checklist")
		}
		ts := TermState{Item: item, Confirmed: true, ConfirmedAt: store.ScanTime(at).Format("2006-01-02T15:04:05Z07:00")}
		if by != nil {
			ts.ConfirmedBy = *by
		}
		confirmed[item] = ts
	}
	rows.Close()
	for _, o := range crm.ContractTermItems {
		ts, ok := confirmed[o.Code]
		if !ok || !slices.Contains(c.List("terms_confirmed"), o.Code) {
			ts = TermState{Item: o.Code}
		}
		cl.Terms = append(cl.Terms, ts)
	}
	cl.Missing = crm.MissingTerms(c.List("terms_confirmed"))
	plan, err := s.instalments(ctx, s.DB.R(), c.ID())
	if err != nil {
		return nil, err
	}
	for _, r := range plan {
		cl.PlanSum += r.Int("amount")
	}
	cl.PlanRows = len(plan)
	if cl.NeedsApproval, err = s.needsApproval(ctx, s.DB.R(), p, c); err != nil {
		return nil, err
	}
	facts := crm.SignFacts{Status: c.Str("status"), Confirmed: c.List("terms_confirmed"), Amount: cl.Amount, PlanSum: cl.PlanSum, PlanRows: cl.PlanRows,
		DeliveryOwner: c.Str("delivery_owner_id"), ServiceOwner: c.Str("service_owner_id"), NeedsApproval: cl.NeedsApproval, Approved: cl.Approved,
		SignedOn: s.today(), Today: s.today(), SignerContact: "-", SignerOfClient: true}
	cl.Refusals = []crm.Refusal{}
	if err := crm.CheckSign(facts); err != nil {
		e := errs.As(err)
		if d, ok := e.Data.(map[string]any); ok {
			cl.Refusals, _ = d["refusals"].([]crm.Refusal)
		} else {
			cl.Refusals = []crm.Refusal{{Code: e.Code, Args: e.Args}}
		}
	}
	cl.CanSign = len(cl.Refusals) == 0
	return cl, nil
}

// withdrawApproval ends the approval of a contract changed after it.
func (s *Service) withdrawApproval(ctx context.Context, tx *store.Tx, p *access.Principal, id string) error {
	if s.approvals == nil {
		return nil
	}
	return errs.Wrap(s.approvals.Withdraw(ctx, tx, p, id), "contracts: withdraw approval")
}

func (s *Service) needsApproval(ctx context.Context, q store.Querier, p *access.Principal, c entity.Record) (bool, error) {
	if s.approvals == nil {
		return false, nil
	}
	need, err := s.approvals.Needed(ctx, q, p, c)
	if err != nil {
		return false, errs.Wrap(err, "contracts: approval rules")
	}
	return need, nil
}

// Submit sends a draft to approval when a rule for contracts applies to
// it (status in_approval until decided); when none applies it answers 422
// contract_approval_not_needed — the contract may be signed as it is.
func (s *Service) Submit(ctx context.Context, p *access.Principal, id string, version int64, reason string) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := s.loadContract(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(c, version); err != nil {
			return err
		}
		if err := crm.CheckContractStep(c.Str("status"), crm.CtStepSubmit); err != nil {
			return err
		}
		if c["approved_at"] != nil {
			return errs.New(errs.Unprocessable, "contract_already_approved")
		}
		if s.approvals == nil {
			return errs.New(errs.Unprocessable, "contract_approval_not_needed")
		}
		submitted, err := s.approvals.Submit(ctx, tx, p, c, strings.TrimSpace(reason))
		if err != nil {
			return err
		}
		if !submitted {
			return errs.New(errs.Unprocessable, "contract_approval_not_needed")
		}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("contract"), c, entity.Record{"status": crm.ContractInApproval}); err != nil {
			return err
		}
		return s.event(ctx, tx, p, c.Str("customer_id"), "contract_submitted", "contract", c.ID(), contractData(out))
	})
	return out, err
}

// ApprovalDecided is the approvals mechanism's callback when a contract's
// approval ends, in the deciding transaction: approved puts it back to
// draft with approved_at (ready to sign); rejected or returned puts it
// back to draft to be changed.
func (s *Service) ApprovalDecided(ctx context.Context, tx *store.Tx, p *access.Principal, recordID, outcome, comment string) error {
	e := s.entity("contract")
	c, err := s.DB.Get(ctx, tx, e, recordID, nil, false)
	if err != nil {
		return err
	}
	if c.Str("status") != crm.ContractInApproval {
		return nil
	}
	set := entity.Record{"status": crm.ContractDraft, "approved_at": nil}
	kind := "contract_approval_" + outcome
	if outcome == "approved" {
		set["approved_at"] = s.now()
	}
	out, err := s.R.SetTx(records.AsProcess(ctx), tx, p, e, c, set)
	if err != nil {
		return err
	}
	data := contractData(out)
	if comment != "" {
		data["note"] = comment
	}
	return s.event(ctx, tx, p, c.Str("customer_id"), kind, "contract", c.ID(), data)
}

// SignInput is the record of a signing.
type SignInput struct {
	SignedOn        string `json:"signed_on"`
	SignerContactID string `json:"signer_contact_id"`
	Version         int64  `json:"-"`
}

// Sign records the signing of a draft: every term confirmed, a payment
// plan adding up to the amount, the hand-over's recipients named and, when
// a rule asks for it, an approval since the last change. In the same
// transaction the hand-over report is written, its recipients are given
// access and told, and the story is told on the customer's timeline.
func (s *Service) Sign(ctx context.Context, p *access.Principal, id string, in SignInput) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := s.loadContract(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(c, in.Version); err != nil {
			return err
		}
		signer := strings.ToLower(strings.TrimSpace(in.SignerContactID))
		if signer == "" {
			signer = c.Str("signer_contact_id")
		}
		facts := crm.SignFacts{Status: c.Str("status"), Confirmed: c.List("terms_confirmed"), Amount: c.Int("amount"),
			DeliveryOwner: c.Str("delivery_owner_id"), ServiceOwner: c.Str("service_owner_id"), Approved: c["approved_at"] != nil,
			SignedOn: strings.TrimSpace(in.SignedOn), Today: s.today(), SignerContact: signer}
		if signer != "" && entity.LooksLikeID(signer) {
			var cust string
			err := tx.QueryRowContext(ctx, `SELECT customer_id FROM contacts WHERE id = $1 AND deleted_at IS NULL`, signer).Scan(&cust)
			facts.SignerOfClient = err == nil && strings.EqualFold(cust, c.Str("customer_id"))
		}
		plan, err := s.instalments(ctx, tx, c.ID())
		if err != nil {
			return err
		}
		for _, r := range plan {
			facts.PlanSum += r.Int("amount")
		}
		facts.PlanRows = len(plan)
		if facts.NeedsApproval, err = s.needsApproval(ctx, tx, p, c); err != nil {
			return err
		}
		if err := crm.CheckSign(facts); err != nil {
			return err
		}
		set := entity.Record{"status": crm.ContractSigned, "signed_on": facts.SignedOn, "signer_contact_id": signer}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("contract"), c, set); err != nil {
			return err
		}
		if err := s.event(ctx, tx, p, out.Str("customer_id"), "contract_signed", "contract", out.ID(), withDate(contractData(out), facts.SignedOn)); err != nil {
			return err
		}
		if _, err := s.writeHandover(ctx, tx, p, out, plan); err != nil {
			return err
		}
		// A signed contract is the deal won (赢单): its open opportunity
		// closes as won and the customer becomes 成交 — after the hand-over
		// has recorded the deal as it stood (open pre-sales work is a risk
		// the service team should know of).
		if opp := out.Str("opportunity_id"); opp != "" && s.Deals != nil {
			if _, err := s.Deals.WinTx(ctx, tx, p, opp, out.Str("number")); err != nil {
				return errs.Wrap(err, "contracts: win the contract's opportunity")
			}
		}
		return nil
	})
	return out, err
}

func withDate(m map[string]any, on string) map[string]any {
	m["on"] = on
	return m
}

// Start marks a signed contract as being executed (orders, deliveries).
func (s *Service) Start(ctx context.Context, p *access.Principal, id string, version int64) (entity.Record, error) {
	return s.move(ctx, p, id, version, crm.CtStepStart, "contract_started", nil)
}

// StartTx is Start inside the caller's transaction (an order made from a
// signed contract starts it); a contract already executing is left as is.
func (s *Service) StartTx(ctx context.Context, tx *store.Tx, p *access.Principal, id string) error {
	e := s.entity("contract")
	c, err := s.DB.Get(ctx, tx, e, strings.ToLower(id), nil, false)
	if err != nil {
		return err
	}
	if c.Str("status") != crm.ContractSigned {
		return nil
	}
	out, err := s.R.SetTx(records.AsProcess(ctx), tx, p, e, c, entity.Record{"status": crm.ContractInExecution})
	if err != nil {
		return err
	}
	return s.event(ctx, tx, p, out.Str("customer_id"), "contract_started", "contract", out.ID(), contractData(out))
}

// Complete closes a contract whose execution is done.
func (s *Service) Complete(ctx context.Context, p *access.Principal, id string, version int64) (entity.Record, error) {
	return s.move(ctx, p, id, version, crm.CtStepComplete, "contract_completed", nil)
}

// Terminate ends a signed or executing contract early, with a reason (a
// destructive step: the web asks before, the audit log keeps who and why).
func (s *Service) Terminate(ctx context.Context, p *access.Principal, id string, version int64, reason string) (entity.Record, error) {
	if err := crm.CheckTermination(reason); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	return s.move(ctx, p, id, version, crm.CtStepTerminate, "contract_terminated",
		entity.Record{"terminated_reason": reason, "terminated_at": s.now()})
}

func (s *Service) move(ctx context.Context, p *access.Principal, id string, version int64, step crm.ContractStep, kind string, extra entity.Record) (entity.Record, error) {
	var out entity.Record
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		c, err := s.loadContract(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := entity.CheckVersion(c, version); err != nil {
			return err
		}
		if err := crm.CheckContractStep(c.Str("status"), step); err != nil {
			return err
		}
		set := entity.Record{"status": crm.ContractNext(step)}
		for k, v := range extra {
			set[k] = v
		}
		if out, err = s.R.SetTx(records.AsProcess(ctx), tx, p, s.entity("contract"), c, set); err != nil {
			return err
		}
		data := contractData(out)
		if r := out.Str("terminated_reason"); r != "" && step == crm.CtStepTerminate {
			data["note"] = r
		}
		return s.event(ctx, tx, p, out.Str("customer_id"), kind, "contract", out.ID(), data)
	})
	return out, err
}

// loadMany reads records by id in the given order (ids not found are left
// out), inside q.
func (s *Service) loadMany(ctx context.Context, q store.Querier, e *entity.Entity, ids []string) ([]entity.Record, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	m, err := s.DB.GetMany(ctx, q, e, ids, nil)
	if err != nil {
		return nil, errs.Wrap(err, "contracts: read %s", e.Name)
	}
	out := make([]entity.Record, 0, len(ids))
	for _, id := range ids {
		if r, ok := m[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}
