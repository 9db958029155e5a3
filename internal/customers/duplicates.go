package customers

import (
	"context"
	"fmt"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// Duplicate is an existing record that looks like the one being saved.
// Records the user may not open are still reported (name and owner only), so
// two reps do not unknowingly work the same customer (撞单).
type Duplicate struct {
	Entity  string `json:"entity"`
	ID      string `json:"id"`
	Title   string `json:"title"`
	Reason  string `json:"reason"` // name, phone, email
	OwnerID string `json:"owner_id,omitempty"`
	Owner   string `json:"owner,omitempty"`
}

type dupProbe struct {
	entity, table, col, reason, ownerExpr, titleCol string
	value                                           string
}

// probesFor lists the columns whose equal values make an existing record
// look like rec: the normalised company name, the phone, the e-mail.
func probesFor(entityName string, rec entity.Record) []dupProbe {
	var probes []dupProbe
	phone, email := rec.Str("phone"), rec.Str("email")
	custOwner := "t.owner_id"
	contactOwner := "(SELECT c.owner_id FROM customers c WHERE c.id = t.customer_id)"
	switch entityName {
	case "customer":
		probes = append(probes, dupProbe{"customer", "customers", "name_norm", "name", custOwner, "name", rec.Str("name_norm")})
		if phone != "" {
			probes = append(probes, dupProbe{"customer", "customers", "phone", "phone", custOwner, "name", phone})
		}
	case "contact":
		if phone != "" {
			probes = append(probes, dupProbe{"contact", "contacts", "phone", "phone", contactOwner, "name", phone})
		}
		if email != "" {
			probes = append(probes, dupProbe{"contact", "contacts", "email", "email", contactOwner, "name", email})
		}
	case "lead":
		if c := rec.Str("company_norm"); c != "" {
			probes = append(probes, dupProbe{"customer", "customers", "name_norm", "name", custOwner, "name", c})
			probes = append(probes, dupProbe{"lead", "leads", "company_norm", "name", custOwner, "name", c})
		}
		if phone != "" {
			probes = append(probes, dupProbe{"lead", "leads", "phone", "phone", custOwner, "name", phone})
			probes = append(probes, dupProbe{"contact", "contacts", "phone", "phone", contactOwner, "name", phone})
		}
		if email != "" {
			probes = append(probes, dupProbe{"lead", "leads", "email", "email", custOwner, "name", email})
			probes = append(probes, dupProbe{"contact", "contacts", "email", "email", contactOwner, "name", email})
		}
	}
	return probes
}

// filter is the condition a probe adds to its column's equality.
func (pr dupProbe) filter() string {
	if pr.entity == "lead" {
		return " AND t.status NOT IN ('converted', 'disqualified')"
	}
	return ""
}

// duplicates finds records matching rec by normalised company name, phone
// or e-mail. It runs inside the write transaction.
func (s *Service) duplicates(ctx context.Context, q store.Querier, entityName string, rec entity.Record) ([]Duplicate, error) {
	probes := probesFor(entityName, rec)
	// One statement for all probes: a row of an import runs this.
	var parts []string
	var a store.Args
	idArg := ""
	for i, pr := range probes {
		if pr.value == "" {
			continue
		}
		if idArg == "" {
			idArg = a.Add(rec.ID())
		}
		parts = append(parts, fmt.Sprintf(`SELECT * FROM (SELECT %d AS probe, t.id, t.%s AS title, %s AS owner FROM %s t WHERE t.%s = %s AND t.id <> %s AND t.deleted_at IS NULL%s LIMIT 10) p%d`,
			i, pr.titleCol, pr.ownerExpr, pr.table, pr.col, a.Add(pr.value), idArg, pr.filter(), i))
	}
	if len(parts) == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, strings.Join(parts, " UNION ALL ")+" ORDER BY probe", a.V...)
	if err != nil {
		return nil, fmt.Errorf("customers: duplicates: %w", err)
	}
	var out []Duplicate
	seen := map[string]bool{}
	for rows.Next() {
		var d Duplicate
		var probe int
		var owner *string
		if err := rows.Scan(&probe, &d.ID, &d.Title, &owner); err != nil {
			rows.Close()
			return nil, err
		}
		pr := probes[probe]
		d.Entity, d.Reason, d.OwnerID = pr.entity, pr.reason, deref(owner)
		if !seen[d.ID] {
			seen[d.ID] = true
			out = append(out, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.fillOwners(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// anyDuplicate answers for new records (ids of their own, not yet
// written) whether one of them would meet a duplicate: an existing record,
// or an earlier one of them with the same value where both would be
// probed. One statement for all: the group of an import asks it once.
func anyDuplicate(ctx context.Context, q store.Querier, entityName string, recs []entity.Record) (bool, error) {
	type column struct{ table, col, filter string }
	values := map[column][]any{}
	var order []column
	seen := map[string]bool{}
	for _, rec := range recs {
		for _, pr := range probesFor(entityName, rec) {
			if pr.value == "" {
				continue
			}
			c := column{pr.table, pr.col, pr.filter()}
			if pr.entity == entityName {
				k := pr.col + "\x00" + pr.value
				if seen[k] {
					return true, nil
				}
				seen[k] = true
			}
			if _, ok := values[c]; !ok {
				order = append(order, c)
			}
			values[c] = append(values[c], pr.value)
		}
	}
	if len(order) == 0 {
		return false, nil
	}
	var a store.Args
	parts := make([]string, len(order))
	for i, c := range order {
		// No LIMIT 1: planned with one, PostgreSQL expects a hit among the
		// first rows and scans the table; there is usually none.
		parts[i] = fmt.Sprintf(`SELECT t.id FROM %s t WHERE t.%s IN %s AND t.deleted_at IS NULL%s`,
			c.table, c.col, a.List(values[c]), c.filter)
	}
	var hits int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM (`+strings.Join(parts, " UNION ALL ")+`) h`, a.V...).Scan(&hits)
	if err != nil {
		return false, fmt.Errorf("customers: duplicates of %d records: %w", len(recs), err)
	}
	return hits > 0, nil
}

func (s *Service) fillOwners(ctx context.Context, q store.Querier, ds []Duplicate) error {
	for i := range ds {
		if ds[i].OwnerID == "" {
			continue
		}
		var name string
		if err := q.QueryRowContext(ctx, `SELECT name FROM users WHERE id = $1`, ds[i].OwnerID).Scan(&name); err == nil {
			ds[i].Owner = name
		}
	}
	return nil
}

// Duplicates checks a would-be record before it is saved (the form shows
// the result; the API offers it as its own endpoint).
func (s *Service) Duplicates(ctx context.Context, p *access.Principal, entityName string, rec entity.Record) ([]Duplicate, error) {
	rec = rec.Clone()
	switch entityName {
	case "customer":
		rec["name_norm"] = crm.NormalizeCompany(rec.Str("name"))
	case "lead":
		if c := rec.Str("company"); c != "" {
			rec["company_norm"] = crm.NormalizeCompany(c)
		}
	}
	if rec.ID() == "" {
		rec["id"] = "00000000-0000-0000-0000-000000000000"
	}
	return s.duplicates(ctx, s.DB.R(), entityName, rec)
}
