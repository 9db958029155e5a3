package quotes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/money"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Quote is a quote with its lines in position order.
type Quote struct {
	Rec   entity.Record
	Lines []entity.Record
}

// Input is what a person writes: the quote's header fields and, when
// SetLines is true, the complete list of its lines in order. A line with
// an id changes that line of the quote; a line without one is added;
// lines of the quote left out are removed. Computed fields (amounts,
// totals, position, number, status) are never taken from input.
type Input struct {
	Quote    entity.Record
	Lines    []entity.Record
	SetLines bool
}

// lineInput are the fields a person gives a line.
var lineInput = []string{"product_id", "name", "spec", "unit", "quantity", "unit_price", "discount_bp", "tax_rate_bp"}

type ctxKey int

const (
	linesKey ctxKey = iota + 1 // the lines a quote write is about to have
	batchKey                   // lines written by this service with their quote
)

// pendingLines are the lines of a quote being written, for its totals.
type pendingLines struct {
	quoteID string // "" on create
	lines   []entity.Record
}

func withLines(ctx context.Context, quoteID string, lines []entity.Record) context.Context {
	return context.WithValue(ctx, linesKey, &pendingLines{quoteID: quoteID, lines: lines})
}

func inBatch(ctx context.Context) bool { v, _ := ctx.Value(batchKey).(bool); return v }

func batch(ctx context.Context) context.Context {
	return context.WithValue(records.AsProcess(ctx), batchKey, true)
}

func (s *Service) registerQuotes() {
	s.R.On("quote", records.Hooks{Prepare: s.prepareQuote, After: s.afterQuote})
	s.R.On("quote_line", records.Hooks{Prepare: s.prepareLine, After: s.afterLine})
}

// contentChanged reports whether a person changed a field they may edit.
func contentChanged(e *entity.Entity, old, rec entity.Record) bool {
	for _, f := range e.Fields {
		if f.Writable() && !entity.Equal(old[f.Name], rec[f.Name]) {
			return true
		}
	}
	return false
}

// prepareQuote runs on every write of a quote, whichever way it comes:
// only a draft is edited; a new quote starts as a draft, revision 1, with
// the next number of the month (Q-yyyymm-nnnn); the customer follows the
// opportunity and the contact must be the customer's; the totals are
// computed from the lines, never taken from input.
func (s *Service) prepareQuote(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	e := s.entity("quote")
	process := records.IsProcess(ctx)
	if old != nil && !process && contentChanged(e, old, rec) {
		if err := crm.CheckQuoteStep(old.Str("status"), crm.QuoteStepEdit); err != nil {
			return err
		}
	}
	if old == nil && !process {
		rec["status"], rec["revision"], rec["root_id"] = crm.QuoteDraft, int64(1), nil
		for _, f := range []string{"submitted_at", "sent_at", "decided_at", "rejected_reason"} {
			rec[f] = nil
		}
	}
	if old == nil && rec.Str("number") == "" {
		n, err := s.DB.MonthlyNumber(ctx, tx, "Q", 4, s.now())
		if err != nil {
			return errs.Wrap(err, "quotes: number")
		}
		rec["number"] = n
	}
	var bad []errs.FieldError
	if err := s.followOpportunity(ctx, tx, p, old, rec); err != nil {
		if e := errs.As(err); e != nil && e.Code == "validation" {
			bad = append(bad, e.Fields...)
		} else {
			return err
		}
	}
	if cid := rec.Str("contact_id"); cid != "" && rec.Str("customer_id") != "" &&
		(old == nil || old.Str("contact_id") != cid || old.Str("customer_id") != rec.Str("customer_id")) {
		var cust string
		err := tx.QueryRowContext(ctx, `SELECT customer_id FROM contacts WHERE id = $1`, strings.ToLower(cid)).Scan(&cust)
		if err == nil && cust != rec.Str("customer_id") {
			bad = append(bad, errs.FieldError{Field: "contact_id", Code: "contact_not_of_customer"})
		}
		// A contact that does not exist is said by the reference check.
	}
	lines, err := s.linesFor(ctx, tx, old)
	if err != nil {
		return err
	}
	if err := setTotals(rec, lines); err != nil {
		bad = append(bad, errs.FieldError{Field: "lines", Code: "amount_too_large"})
	}
	return errs.Validation(bad)
}

// followOpportunity fills the customer from the opportunity and refuses
// one that is not the opportunity's.
func (s *Service) followOpportunity(ctx context.Context, q store.Querier, p *access.Principal, old, rec entity.Record) error {
	oppID := strings.ToLower(rec.Str("opportunity_id"))
	if oppID == "" || (old != nil && old.Str("opportunity_id") == oppID && old.Str("customer_id") == rec.Str("customer_id")) {
		return nil
	}
	oe := s.entity("opportunity")
	opp, err := s.DB.Get(ctx, q, oe, oppID, s.R.ReadPred(oe, p), false)
	if errs.KindOf(err) == errs.NotFound {
		return nil // the reference check says it
	}
	if err != nil {
		return errs.Wrap(err, "quotes: the quote's opportunity")
	}
	cust := opp.Str("customer_id")
	switch {
	case rec.Str("customer_id") == "" || (old != nil && old.Str("opportunity_id") != oppID && old.Str("customer_id") == rec.Str("customer_id")):
		rec["customer_id"] = entity.NilIfEmpty(cust)
	case rec.Str("customer_id") != cust:
		return errs.Field("customer_id", "customer_not_of_opportunity")
	}
	return nil
}

// linesFor are the lines a quote write will leave: those the service is
// writing with it, or those stored.
func (s *Service) linesFor(ctx context.Context, q store.Querier, old entity.Record) ([]entity.Record, error) {
	if pl, _ := ctx.Value(linesKey).(*pendingLines); pl != nil && (old == nil && pl.quoteID == "" || old != nil && pl.quoteID == old.ID()) {
		return pl.lines, nil
	}
	if old == nil {
		return nil, nil
	}
	return s.storedLines(ctx, q, old.ID())
}

// storedLines reads a quote's lines in order.
func (s *Service) storedLines(ctx context.Context, q store.Querier, quoteID string) ([]entity.Record, error) {
	ids, err := store.Strings(ctx, q, `SELECT id FROM quote_lines WHERE quote_id = $1 ORDER BY position, id`, quoteID)
	if err != nil {
		return nil, errs.Wrap(err, "quotes: lines of %s", quoteID)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	got, err := s.DB.GetMany(ctx, q, s.entity("quote_line"), ids, nil)
	if err != nil {
		return nil, errs.Wrap(err, "quotes: lines of %s", quoteID)
	}
	out := make([]entity.Record, 0, len(ids))
	for _, id := range ids {
		if r := got[id]; r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// moneyLine is a line as the arithmetic sees it.
func moneyLine(l entity.Record) money.Line {
	return money.Line{Quantity: l.Int("quantity"), UnitPrice: l.Int("unit_price"), DiscountBP: l.Int("discount_bp"), TaxRateBP: l.Int("tax_rate_bp")}
}

// setTotals computes a quote's amounts from its lines (money.Sum: rounded
// per line, then added up).
func setTotals(rec entity.Record, lines []entity.Record) error {
	ml := make([]money.Line, len(lines))
	for i, l := range lines {
		ml[i] = moneyLine(l)
	}
	t, err := money.Sum(ml)
	if err != nil {
		return err
	}
	rec["subtotal"], rec["discount_amount"], rec["net_amount"], rec["tax_amount"], rec["total"], rec["max_discount_bp"] =
		t.Subtotal, t.Discount, t.Net, t.Tax, t.Total, t.MaxDiscountBP
	return nil
}

// SetTotals is setTotals for a preview that leaves some lines out (the
// editor does not count a line it cannot read).
func SetTotals(rec entity.Record, lines []entity.Record) error { return setTotals(rec, lines) }

// setAmounts computes one line's amounts.
func setAmounts(l entity.Record) error {
	a, err := money.Compute(moneyLine(l))
	if err != nil {
		return err
	}
	l["net_amount"], l["tax_amount"], l["line_total"] = a.Net, a.Tax, a.Total
	return nil
}

// afterQuote tells the customer's timeline that a quote was made, and
// keeps what was approved or sent from being deleted: only drafts are
// thrown away (an administrator may delete any quote).
func (s *Service) afterQuote(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	switch ch.Action {
	case records.Create:
		if !records.IsProcess(ctx) {
			return s.event(ctx, tx, p, ch.New, "quote_created", nil)
		}
	case records.Delete:
		if !p.IsAdmin() {
			return crm.CheckQuoteStep(ch.Old.Str("status"), crm.QuoteStepDelete)
		}
	}
	return nil
}

// prepareLine runs for lines written one by one through the generic API
// or an import: the quote must be a draft the person may change; the line
// takes its product's defaults and price and gets its amounts. Lines the
// service writes with their quote were priced already.
func (s *Service) prepareLine(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if inBatch(ctx) {
		return nil
	}
	qe := s.entity("quote")
	quoteID := strings.ToLower(rec.Str("quote_id"))
	if !entity.LooksLikeID(quoteID) {
		return nil // said by the required check
	}
	quote, err := s.R.LoadForWrite(ctx, tx, p, qe, quoteID, p.Perm(qe.Name).Write, false)
	if errs.KindOf(err) == errs.NotFound {
		return errs.Field("quote_id", "invalid_ref")
	}
	if err != nil {
		return err
	}
	if !records.IsProcess(ctx) {
		if err := crm.CheckQuoteStep(quote.Str("status"), crm.QuoteStepEdit); err != nil {
			return err
		}
	}
	if old == nil {
		var pos int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM quote_lines WHERE quote_id = $1`, quoteID).Scan(&pos); err != nil {
			return errs.Wrap(err, "quotes: next position")
		}
		rec["position"] = pos + 1
	}
	pc, err := s.priceContext(ctx, tx, quote.Str("customer_id"), quote.Str("currency"), quote.Str("price_list_id"))
	if err != nil {
		return err
	}
	given := map[string]bool{}
	for _, k := range lineInput {
		given[k] = old == nil && !entity.IsEmpty(rec[k]) || old != nil && !entity.Equal(old[k], rec[k])
	}
	bad, err := s.priceLine(ctx, tx, p, pc, old, rec, given, "")
	if err != nil {
		return err
	}
	return errs.Validation(bad)
}

// afterLine keeps the quote's totals right after a line written on its
// own changed.
func (s *Service) afterLine(ctx context.Context, tx *store.Tx, p *access.Principal, ch records.Change) error {
	if inBatch(ctx) {
		return nil
	}
	return s.retotal(ctx, tx, p, ch.New.Str("quote_id"))
}

// retotal recomputes a quote's totals from its stored lines.
func (s *Service) retotal(ctx context.Context, tx *store.Tx, p *access.Principal, quoteID string) error {
	qe := s.entity("quote")
	quote, err := s.DB.Get(ctx, tx, qe, quoteID, nil, false)
	if err != nil {
		return errs.Wrap(err, "quotes: quote of a line")
	}
	_, err = s.R.SetTx(records.AsProcess(ctx), tx, p, qe, quote, entity.Record{})
	return err
}

// priceLine fills a line from its product and prices it: a new choice of
// product gives the name, specification, unit and tax rate not typed in,
// and the resolved price when none is given; a unit price below the
// resolved price is refused — lowering a price is what the discount is
// for, and the discount is what approval reviews. Problems are named
// prefix + field.
func (s *Service) priceLine(ctx context.Context, q store.Querier, p *access.Principal, pc PriceContext, old, line entity.Record, given map[string]bool, prefix string) ([]errs.FieldError, error) {
	var bad []errs.FieldError
	add := func(field, code string, args map[string]any) {
		bad = append(bad, errs.FieldError{Field: prefix + field, Code: code, Args: args})
	}
	pid := strings.ToLower(line.Str("product_id"))
	newProduct := pid != "" && (old == nil || old.Str("product_id") != pid)
	if pid != "" && (newProduct || given["unit_price"] || given["quantity"]) {
		pe := s.entity("product")
		prod, err := s.DB.Get(ctx, q, pe, pid, s.R.ReadPred(pe, p), false)
		if errs.KindOf(err) == errs.NotFound {
			add("product_id", "invalid_ref", nil)
			return bad, nil
		}
		if err != nil {
			return nil, errs.Wrap(err, "quotes: line's product")
		}
		if newProduct {
			if !prod.Bool("active") {
				add("product_id", "product_inactive", map[string]any{"name": prod.Str("name")})
			}
			for _, f := range []string{"name", "spec", "unit", "tax_rate_bp"} {
				if !given[f] {
					line[f] = prod[f]
				}
			}
		}
		price, err := s.PriceFor(ctx, q, prod, pc, line.Int("quantity"))
		if err != nil {
			return nil, err
		}
		switch {
		case !given["unit_price"] && newProduct:
			line["unit_price"] = price.UnitPrice
		case !given["unit_price"]:
			// A new quantity may reach (or leave) a quantity price: never
			// below what the catalogue asks.
			line["unit_price"] = max(line.Int("unit_price"), price.UnitPrice)
		case line.Int("unit_price") < price.UnitPrice:
			add("unit_price", "quote_price_below_list", map[string]any{"price": entity.FormatMoney(price.UnitPrice)})
		}
	}
	if entity.IsEmpty(line["tax_rate_bp"]) {
		line["tax_rate_bp"] = int64(1300)
	}
	if entity.IsEmpty(line["discount_bp"]) {
		line["discount_bp"] = int64(0)
	}
	for _, f := range []string{"name", "quantity", "unit_price"} {
		if entity.IsEmpty(line[f]) {
			add(f, "required", nil)
		}
	}
	for f, code := range map[string]string{"discount_bp": "quote_discount_range", "tax_rate_bp": "quote_tax_range"} {
		if v := line.Int(f); v < 0 || v > money.BP {
			add(f, code, map[string]any{"value": entity.FormatScaled(v, 2)})
		}
	}
	if line.Int("quantity") < 0 || line.Int("unit_price") < 0 {
		add("quantity", "out_of_range", nil)
	}
	if len(bad) == 0 {
		if err := setAmounts(line); err != nil {
			code := "invalid_integer"
			if errors.Is(err, money.ErrOverflow) {
				code = "amount_too_large"
			}
			add("quantity", code, nil)
		}
	}
	return bad, nil
}

// priceLines builds the complete lines a quote will have from what a
// person sent (see Input), priced and with their amounts.
func (s *Service) priceLines(ctx context.Context, q store.Querier, p *access.Principal, pc PriceContext, existing, in []entity.Record) ([]entity.Record, []errs.FieldError, error) {
	le := s.entity("quote_line")
	byID := map[string]entity.Record{}
	for _, l := range existing {
		byID[l.ID()] = l
	}
	var bad []errs.FieldError
	seen := map[string]bool{}
	out := make([]entity.Record, 0, len(in))
	if len(in) > 500 {
		return nil, []errs.FieldError{{Field: "lines", Code: "too_many", Args: map[string]any{"max": 500}}}, nil
	}
	for i, l := range in {
		prefix := fmt.Sprintf("lines[%d].", i)
		var old, line entity.Record
		if id := strings.ToLower(l.Str("id")); id != "" {
			old = byID[id]
			if old == nil || seen[id] {
				bad = append(bad, errs.FieldError{Field: prefix + "id", Code: "invalid_ref"})
				continue
			}
			seen[id] = true
			line = old.Clone()
		} else {
			line = entity.Record{}
		}
		given := map[string]bool{}
		for k, v := range l {
			f := le.Field(k)
			switch {
			case k == "id":
			case f == nil:
				bad = append(bad, errs.FieldError{Field: prefix + k, Code: "unknown_field", Args: map[string]any{"field": k}})
			case !slices.Contains(lineInput, k):
				if old == nil || !entity.Equal(old[k], v) {
					bad = append(bad, errs.FieldError{Field: prefix + k, Code: "read_only"})
				}
			default:
				given[k] = old == nil && !entity.IsEmpty(v) || old != nil && !entity.Equal(old[k], v)
				line[k] = v
			}
		}
		lineBad, err := s.priceLine(ctx, q, p, pc, old, line, given, prefix)
		if err != nil {
			return nil, nil, err
		}
		bad = append(bad, lineBad...)
		line["position"] = int64(i + 1)
		out = append(out, line)
	}
	return out, bad, nil
}

// loadQuote reads a quote p may change (NotFound / Forbidden).
func (s *Service) loadQuote(ctx context.Context, tx *store.Tx, p *access.Principal, id string) (entity.Record, error) {
	qe := s.entity("quote")
	return s.R.LoadForWrite(ctx, tx, p, qe, strings.ToLower(id), p.Perm(qe.Name).Write, false)
}

// Get reads a quote p may see, with its lines.
func (s *Service) Get(ctx context.Context, p *access.Principal, id string) (*Quote, error) {
	rec, err := s.R.Get(ctx, p, "quote", strings.ToLower(id))
	if err != nil {
		return nil, err
	}
	lines, err := s.storedLines(ctx, s.DB.R(), rec.ID())
	if err != nil {
		return nil, err
	}
	return &Quote{Rec: rec, Lines: lines}, nil
}

// customerOf is the customer a quote input is for: given, or the
// opportunity's (visibility is checked by the write).
func (s *Service) customerOf(ctx context.Context, q store.Querier, rec entity.Record) string {
	if c := rec.Str("customer_id"); c != "" {
		return strings.ToLower(c)
	}
	if opp := strings.ToLower(rec.Str("opportunity_id")); entity.LooksLikeID(opp) {
		var c string
		if err := q.QueryRowContext(ctx, `SELECT customer_id FROM opportunities WHERE id = $1`, opp).Scan(&c); err == nil {
			return c
		}
	}
	return ""
}

// Create writes a new quote with its lines in one transaction.
func (s *Service) Create(ctx context.Context, p *access.Principal, in Input) (*Quote, error) {
	var out *Quote
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.CreateTx(ctx, tx, p, in)
		return err
	})
	return out, err
}

// CreateTx is Create inside the caller's transaction.
func (s *Service) CreateTx(ctx context.Context, tx *store.Tx, p *access.Principal, in Input) (*Quote, error) {
	header := in.Quote.Clone()
	if header == nil {
		header = entity.Record{}
	}
	pc, err := s.priceContext(ctx, tx, s.customerOf(ctx, tx, header), header.Str("currency"), header.Str("price_list_id"))
	if err != nil {
		return nil, err
	}
	lines, bad, err := s.priceLines(ctx, tx, p, pc, nil, in.Lines)
	if err != nil {
		return nil, err
	}
	rec, err := s.R.CreateTx(withLines(ctx, "", lines), tx, p, "quote", header)
	if err != nil {
		return nil, mergeProblems(err, bad)
	}
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	for i, l := range lines {
		l["quote_id"] = rec.ID()
		if lines[i], err = s.R.InsertTx(batch(ctx), tx, p, "quote_line", l); err != nil {
			return nil, prefixed(err, fmt.Sprintf("lines[%d].", i))
		}
	}
	return &Quote{Rec: rec, Lines: lines}, nil
}

// Update changes a draft quote last read at version — its header and,
// when given, its lines — in one transaction. Anything but a draft answers
// quote_locked: an approved quote changes only through a revision.
func (s *Service) Update(ctx context.Context, p *access.Principal, id string, version int64, in Input) (*Quote, error) {
	var out *Quote
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.loadQuote(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if version != 0 && old.Version() != version {
			return errs.Stale()
		}
		if err := crm.CheckQuoteStep(old.Str("status"), crm.QuoteStepEdit); err != nil {
			return err
		}
		existing, err := s.storedLines(ctx, tx, old.ID())
		if err != nil {
			return err
		}
		lines, bad := existing, []errs.FieldError(nil)
		header := in.Quote
		if header == nil {
			header = entity.Record{}
		}
		if in.SetLines {
			probe := old.Clone()
			for k, v := range header {
				probe[k] = v
			}
			pc, err := s.priceContext(ctx, tx, s.customerOf(ctx, tx, probe), probe.Str("currency"), probe.Str("price_list_id"))
			if err != nil {
				return err
			}
			if lines, bad, err = s.priceLines(ctx, tx, p, pc, existing, in.Lines); err != nil {
				return err
			}
		}
		rec, err := s.R.UpdateTx(withLines(ctx, old.ID(), lines), tx, p, "quote", old.ID(), version, header)
		if err != nil {
			return mergeProblems(err, bad)
		}
		if err := errs.Validation(bad); err != nil {
			return err
		}
		changed := false
		if in.SetLines {
			if lines, changed, err = s.writeLines(ctx, tx, p, rec.ID(), existing, lines); err != nil {
				return err
			}
		}
		if changed && rec.Version() == old.Version() {
			// Only lines changed: the quote is still a new version of itself,
			// so an editor holding the old one gets a 409.
			now := store.Now()
			v, err := s.DB.Update(ctx, tx, s.entity("quote"), rec.ID(), rec.Version(), entity.Record{"updated_at": now, "updated_by": entity.NilIfEmpty(p.UserID)})
			if err != nil {
				return err
			}
			rec["version"], rec["updated_at"], rec["updated_by"] = v, now, entity.NilIfEmpty(p.UserID)
		}
		out = &Quote{Rec: s.R.Present(p, s.entity("quote"), rec), Lines: lines}
		return nil
	})
	return out, err
}

// writeLines makes the stored lines of a quote those given: changed ones
// updated, new ones inserted, missing ones removed (audited). It reports
// whether anything changed.
func (s *Service) writeLines(ctx context.Context, tx *store.Tx, p *access.Principal, quoteID string, existing, lines []entity.Record) ([]entity.Record, bool, error) {
	le := s.entity("quote_line")
	bctx := batch(ctx)
	changed := false
	keep := map[string]bool{}
	out := make([]entity.Record, len(lines))
	for i, l := range lines {
		if l.ID() == "" {
			l["quote_id"] = quoteID
			r, err := s.R.InsertTx(bctx, tx, p, le.Name, l)
			if err != nil {
				return nil, false, prefixed(err, fmt.Sprintf("lines[%d].", i))
			}
			out[i], changed = r, true
			continue
		}
		keep[l.ID()] = true
		var old entity.Record
		for _, e := range existing {
			if e.ID() == l.ID() {
				old = e
			}
		}
		set := entity.Record{}
		for _, f := range le.Columns() {
			switch f.Name {
			case "id", "version", "created_at", "created_by", "updated_at", "updated_by", "quote_id":
				continue
			}
			if !entity.Equal(old[f.Name], l[f.Name]) {
				set[f.Name] = l[f.Name]
			}
		}
		if len(set) == 0 {
			out[i] = old
			continue
		}
		r, err := s.R.SetTx(bctx, tx, p, le, old, set)
		if err != nil {
			return nil, false, prefixed(err, fmt.Sprintf("lines[%d].", i))
		}
		out[i], changed = r, true
	}
	for _, e := range existing {
		if keep[e.ID()] {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM quote_lines WHERE id = $1`, e.ID()); err != nil {
			return nil, false, errs.Wrap(err, "quotes: remove line")
		}
		ch := map[string]store.Change{}
		for _, f := range []string{"position", "product_id", "name", "quantity", "unit_price", "discount_bp", "line_total"} {
			ch[f] = store.Change{Old: e[f]}
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: le.Name, RecordID: e.ID(), Action: string(records.Delete),
			Changes: ch, RequestID: records.RequestID(ctx)}); err != nil {
			return nil, false, err
		}
		changed = true
	}
	return out, changed, nil
}

// Preview prices a quote as the editor shows it while a person types,
// writing nothing: the lines with their amounts and the totals, and what
// is wrong with the input (named lines[i].field).
func (s *Service) Preview(ctx context.Context, p *access.Principal, header entity.Record, existingID string, lines []entity.Record) (*Quote, []errs.FieldError, error) {
	q := s.DB.R()
	rec := entity.Record{}
	var existing []entity.Record
	if existingID != "" {
		cur, err := s.Get(ctx, p, existingID)
		if err != nil {
			return nil, nil, err
		}
		rec, existing = cur.Rec.Clone(), cur.Lines
	}
	for k, v := range header {
		rec[k] = v
	}
	pc, err := s.priceContext(ctx, q, s.customerOf(ctx, q, rec), rec.Str("currency"), rec.Str("price_list_id"))
	if err != nil {
		return nil, nil, err
	}
	out, bad, err := s.priceLines(ctx, q, p, pc, existing, lines)
	if err != nil {
		return nil, nil, err
	}
	var ok []entity.Record
	for _, l := range out {
		if !entity.IsEmpty(l["line_total"]) {
			ok = append(ok, l)
		}
	}
	if err := setTotals(rec, ok); err != nil {
		bad = append(bad, errs.FieldError{Field: "lines", Code: "amount_too_large"})
	}
	return &Quote{Rec: rec, Lines: out}, bad, nil
}

// PercentProblem says a discount or tax rate out of range as what it is
// (between 0 and 100 %, with the value given) rather than a bare "out of
// range"; raw is the value as given (basis points from JSON, text from a
// form).
func PercentProblem(fe errs.FieldError, raw any) errs.FieldError {
	code := map[string]string{"discount_bp": "quote_discount_range", "tax_rate_bp": "quote_tax_range"}[fe.Field]
	if code == "" || fe.Code != "out_of_range" {
		return fe
	}
	v := fmt.Sprint(raw)
	switch n := raw.(type) {
	case interface{ Int64() (int64, error) }:
		if x, err := n.Int64(); err == nil {
			v = entity.FormatScaled(x, 2)
		}
	case float64:
		v = entity.FormatScaled(int64(n), 2)
	}
	return errs.FieldError{Field: fe.Field, Code: code, Args: map[string]any{"value": v}}
}

// mergeProblems adds the lines' field problems to a refused header's.
func mergeProblems(err error, lineBad []errs.FieldError) error {
	e := errs.As(err)
	if e == nil || e.Code != "validation" || len(lineBad) == 0 {
		return err
	}
	return errs.Validation(append(append([]errs.FieldError(nil), e.Fields...), lineBad...))
}

// prefixed names a line's field problems by its place (lines[2].quantity).
func prefixed(err error, prefix string) error {
	e := errs.As(err)
	if e == nil || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = nil
	for _, f := range e.Fields {
		f.Field = prefix + f.Field
		out.Fields = append(out.Fields, f)
	}
	return &out
}

// NeedsApproval reports whether rec, submitted by p now, would wait for an
// approval (the editor and the quote's page say so before submitting).
func (s *Service) NeedsApproval(ctx context.Context, p *access.Principal, rec entity.Record) (bool, error) {
	return s.approvals.Needed(ctx, s.DB.R(), p, rec)
}

// Defaults are a new quote's header as the editor first shows it: from an
// opportunity its customer, its primary contact (or first contact) and its
// name; valid for 30 days.
func (s *Service) Defaults(ctx context.Context, p *access.Principal, oppID, customerID string) (entity.Record, error) {
	rec := entity.Record{"valid_until": s.now().In(s.R.Loc).AddDate(0, 0, 30).Format(entity.DateLayout), "currency": "CNY"}
	if customerID != "" {
		rec["customer_id"] = strings.ToLower(customerID)
	}
	if oppID == "" {
		return rec, nil
	}
	opp, err := s.R.Get(ctx, p, "opportunity", strings.ToLower(oppID))
	if err != nil {
		return nil, err
	}
	rec["opportunity_id"], rec["customer_id"], rec["title"] = opp.ID(), opp["customer_id"], opp.Str("name")
	if cur := opp.Str("currency"); cur != "" {
		rec["currency"] = cur
	}
	ids, err := store.Strings(ctx, s.DB.R(), `SELECT contact_id FROM opportunity_contacts WHERE opportunity_id = $1 AND deleted_at IS NULL
		ORDER BY is_primary DESC, created_at LIMIT 1`, opp.ID())
	if err != nil {
		return nil, errs.Wrap(err, "quotes: the opportunity's contact")
	}
	if len(ids) > 0 {
		rec["contact_id"] = ids[0]
	}
	return rec, nil
}
