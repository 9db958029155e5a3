package quotes

import (
	"context"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The catalogue's rules. Products and price lists are otherwise generic
// records (list, filters, import, export from their declarations); a
// product's reserved quantity is read-only (orders reserve stock), a price
// list is for a customer or a customer level within its dates, and lists
// each product once.

func (s *Service) registerCatalogue() {
	s.R.On("product", records.Hooks{Prepare: s.prepareProduct})
	s.R.On("price_list", records.Hooks{Prepare: s.preparePriceList})
	s.R.On("price_list_item", records.Hooks{Prepare: s.preparePriceItem})
}

// prepareProduct trims the SKU (it is what imports match on) and keeps a
// person's stock count from going below what orders have reserved (the
// order process moves stock and reservations itself).
func (s *Service) prepareProduct(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	rec["sku"] = strings.TrimSpace(rec.Str("sku"))
	if records.IsProcess(ctx) || old == nil || rec.Str("kind") == "service" || old.Int("stock_qty") == rec.Int("stock_qty") {
		return nil
	}
	if rec.Int("stock_qty") < rec.Int("reserved_qty") {
		return errs.Field("stock_qty", "product_stock_below_reserved", "reserved", rec.Int("reserved_qty"))
	}
	return nil
}

// preparePriceList checks its dates and that it names whom it is for: a
// customer level or one customer, not both (a customer's own list needs
// no level: it applies whatever the level).
func (s *Service) preparePriceList(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	var bad []errs.FieldError
	from, to := rec.Str("valid_from"), rec.Str("valid_to")
	if from != "" && to != "" && to < from {
		bad = append(bad, errs.FieldError{Field: "valid_to", Code: "date_range_reversed"})
	}
	if rec.Str("customer_id") != "" && rec.Str("customer_level") != "" {
		bad = append(bad, errs.FieldError{Field: "customer_level", Code: "price_list_customer_or_level"})
	}
	rec["code"] = strings.TrimSpace(rec.Str("code"))
	return errs.Validation(bad)
}

// preparePriceItem names the item by its product and refuses a second
// price for a product the list already prices.
func (s *Service) preparePriceItem(ctx context.Context, tx *store.Tx, p *access.Principal, old, rec entity.Record) error {
	if rec["deleted_at"] != nil {
		return nil
	}
	pid := strings.ToLower(rec.Str("product_id"))
	if !entity.LooksLikeID(pid) {
		return nil // said by the required and reference checks
	}
	if old == nil || old.Str("product_id") != pid {
		prod, err := s.DB.Get(ctx, tx, s.entity("product"), pid, s.R.ReadPred(s.entity("product"), p), false)
		if errs.KindOf(err) == errs.NotFound {
			return errs.Field("product_id", "invalid_ref")
		}
		if err != nil {
			return errs.Wrap(err, "quotes: price list item's product")
		}
		rec["product_name"] = prod.Str("name")
	}
	list := strings.ToLower(rec.Str("price_list_id"))
	if list == "" || (old != nil && old.Str("product_id") == pid && old.Str("price_list_id") == list) {
		return nil
	}
	ids, err := store.Strings(ctx, tx, `SELECT id FROM price_list_items WHERE price_list_id = $1 AND product_id = $2 AND deleted_at IS NULL AND id <> $3`,
		list, pid, rec.ID())
	if err != nil {
		return errs.Wrap(err, "quotes: price list items")
	}
	if len(ids) > 0 {
		return errs.Field("product_id", "price_list_item_duplicate")
	}
	return nil
}

// PriceContext is who and what a line is priced for.
type PriceContext struct {
	CustomerID string
	Level      string // the customer's level
	Currency   string
	QuoteList  string // the price list chosen on the quote
	Today      string
}

// priceContext reads the customer's level for pricing.
func (s *Service) priceContext(ctx context.Context, q store.Querier, customerID, currency, list string) (PriceContext, error) {
	pc := PriceContext{CustomerID: customerID, Currency: currency, QuoteList: list, Today: s.today()}
	if pc.Currency == "" {
		pc.Currency = "CNY"
	}
	if entity.LooksLikeID(customerID) {
		cust, err := s.DB.Get(ctx, q, s.entity("customer"), customerID, nil, false)
		if err != nil && errs.KindOf(err) != errs.NotFound {
			return pc, errs.Wrap(err, "quotes: customer's level")
		}
		if cust != nil {
			pc.Level = cust.Str("level")
		}
	}
	return pc, nil
}

// PriceFor resolves a product's unit price for a quote line (see
// crm.ResolvePrice): the quote's chosen list, then the customer's own
// list, then its level's, then the list price.
func (s *Service) PriceFor(ctx context.Context, q store.Querier, product entity.Record, pc PriceContext, quantity int64) (crm.Price, error) {
	ids, err := store.Strings(ctx, q, `SELECT i.id FROM price_list_items i JOIN price_lists l ON l.id = i.price_list_id
		WHERE i.product_id = $1 AND i.deleted_at IS NULL AND l.deleted_at IS NULL AND l.active = TRUE`, product.ID())
	if err != nil {
		return crm.Price{}, errs.Wrap(err, "quotes: prices of %s", product.ID())
	}
	var items []crm.PriceItem
	if len(ids) > 0 {
		rows, err := s.DB.GetMany(ctx, q, s.entity("price_list_item"), ids, nil)
		if err != nil {
			return crm.Price{}, errs.Wrap(err, "quotes: price list items")
		}
		var listIDs []string
		for _, r := range rows {
			listIDs = append(listIDs, r.Str("price_list_id"))
		}
		lists, err := s.DB.GetMany(ctx, q, s.entity("price_list"), listIDs, nil)
		if err != nil {
			return crm.Price{}, errs.Wrap(err, "quotes: price lists")
		}
		for _, r := range rows {
			l := lists[r.Str("price_list_id")]
			if l == nil {
				continue
			}
			items = append(items, crm.PriceItem{ListID: l.ID(), ListCode: l.Str("code"), CustomerID: l.Str("customer_id"), Level: l.Str("customer_level"),
				Currency: l.Str("currency"), Active: l.Bool("active"), ValidFrom: l.Str("valid_from"), ValidTo: l.Str("valid_to"),
				UnitPrice: r.Int("unit_price"), MinQty: r.Int("min_qty")})
		}
	}
	return crm.ResolvePrice(crm.PriceQuery{ListPrice: product.Int("list_price"), Currency: pc.Currency, CustomerID: pc.CustomerID, Level: pc.Level,
		QuoteList: pc.QuoteList, Quantity: max(quantity, 1), Today: pc.Today}, items), nil
}

// LookupPrice is PriceFor for a person choosing a product (the quote
// editor): the product must be visible to p.
func (s *Service) LookupPrice(ctx context.Context, p *access.Principal, productID, customerID, currency, list string, quantity int64) (entity.Record, crm.Price, error) {
	pe := s.entity("product")
	prod, err := s.DB.Get(ctx, s.DB.R(), pe, strings.ToLower(productID), s.R.ReadPred(pe, p), false)
	if err != nil {
		return nil, crm.Price{}, err
	}
	pc, err := s.priceContext(ctx, s.DB.R(), strings.ToLower(customerID), currency, strings.ToLower(list))
	if err != nil {
		return nil, crm.Price{}, err
	}
	price, err := s.PriceFor(ctx, s.DB.R(), prod, pc, quantity)
	return prod, price, err
}
