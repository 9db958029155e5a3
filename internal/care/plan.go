package care

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/store"
)

// PlanResult counts what a planning run added.
type PlanResult struct {
	Created int `json:"created"`
	Greeted int `json:"greeted"`
}

// candidate is a reminder the planner would add.
type candidate struct {
	kind, date, title, customer, contact, holiday, rule, subjectEntity, subjectID, owner string
	auto                                                                                 bool
}

type custInfo struct {
	owner, level string
}

type careRule struct {
	id, kind, holiday string
	levels            []string
	auto              bool
}

// Plan builds the care list of the next days (the setting) for every
// owner, then sends the greetings due today that rules send by
// themselves. Run daily by the care.plan job; running it again the same
// day adds nothing (each reminder's unique key: kind, record, date).
func (s *Service) Plan(ctx context.Context, now time.Time) (PlanResult, error) {
	var res PlanResult
	st, err := s.LoadSettings(ctx, s.DB.R())
	if err != nil {
		return res, err
	}
	today := now.In(s.R.Loc).Format(entity.DateLayout)
	from, to := crm.CareWindow(today, st.Days)
	custs, err := s.ownedCustomers(ctx)
	if err != nil {
		return res, err
	}
	rules, err := s.activeRules(ctx)
	if err != nil {
		return res, err
	}
	var cands []candidate
	for _, step := range []func(context.Context, string, string, map[string]custInfo, []careRule) ([]candidate, error){
		s.birthdays, s.holidays, s.anniversaries, s.warranties, s.contractsExpiring,
	} {
		c, err := step(ctx, from, to, custs, rules)
		if err != nil {
			return res, err
		}
		cands = append(cands, c...)
	}
	sys := access.SystemPrincipal()
	for _, c := range cands {
		created, err := s.addReminder(ctx, sys, custs[c.customer].owner, c)
		if err != nil {
			return res, err
		}
		if created {
			res.Created++
		}
	}
	n, err := s.autoGreet(ctx, today)
	res.Greeted = n
	return res, err
}

// ownedCustomers are the customers with an active owner (a pool
// customer's care list has no one to read it).
func (s *Service) ownedCustomers(ctx context.Context) (map[string]custInfo, error) {
	rows, err := s.DB.R().QueryContext(ctx, `SELECT c.id, c.owner_id, coalesce(c.level, '') FROM customers c JOIN users u ON u.id = c.owner_id
		WHERE c.deleted_at IS NULL AND c.owner_id IS NOT NULL AND u.active = TRUE AND u.deleted_at IS NULL`)
	if err != nil {
		return nil, errs.Wrap(err, "care: customers")
	}
	defer rows.Close()
	out := map[string]custInfo{}
	for rows.Next() {
		var id string
		var ci custInfo
		if err := rows.Scan(&id, &ci.owner, &ci.level); err != nil {
			return nil, err
		}
		out[id] = ci
	}
	return out, rows.Err()
}

func (s *Service) activeRules(ctx context.Context) ([]careRule, error) {
	rows, err := s.DB.R().QueryContext(ctx, `SELECT id, kind, coalesce(holiday, ''), coalesce(customer_levels, ''), auto_greeting FROM care_rules
		WHERE deleted_at IS NULL AND active = TRUE ORDER BY name, id`)
	if err != nil {
		return nil, errs.Wrap(err, "care: rules")
	}
	defer rows.Close()
	var out []careRule
	for rows.Next() {
		var r careRule
		var levels string
		if err := rows.Scan(&r.id, &r.kind, &r.holiday, &levels, &r.auto); err != nil {
			return nil, err
		}
		if levels != "" {
			_ = json.Unmarshal([]byte(levels), &r.levels)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// autoBirthday says whether a birthday rule sends the greeting by itself
// for a customer of level.
func autoBirthday(rules []careRule, level string) (string, bool) {
	for _, r := range rules {
		if r.kind == crm.CareRuleBirthday && r.auto && crm.LevelMatches(r.levels, level) {
			return r.id, true
		}
	}
	return "", false
}

func (s *Service) birthdays(ctx context.Context, from, to string, custs map[string]custInfo, rules []careRule) ([]candidate, error) {
	rows, err := s.DB.R().QueryContext(ctx, `SELECT id, customer_id, name, birthday, coalesce(birthday_calendar, '') FROM contacts
		WHERE deleted_at IS NULL AND birthday IS NOT NULL AND customer_id IS NOT NULL`)
	if err != nil {
		return nil, errs.Wrap(err, "care: birthdays")
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var id, cust, name, cal string
		var bd any
		if err := rows.Scan(&id, &cust, &name, &bd, &cal); err != nil {
			return nil, err
		}
		ci, ok := custs[cust]
		if !ok {
			continue
		}
		rule, auto := autoBirthday(rules, ci.level)
		for _, d := range crm.BirthdaysIn(dateText(bd), cal, from, to) {
			title := name + " 生日"
			if cal == "lunar" {
				title += "（农历）"
			}
			out = append(out, candidate{kind: crm.CareBirthday, date: d, title: title, customer: cust, contact: id, rule: rule,
				subjectEntity: "contact", subjectID: id, auto: auto})
		}
	}
	return out, rows.Err()
}

func (s *Service) holidays(ctx context.Context, from, to string, custs map[string]custInfo, rules []careRule) ([]candidate, error) {
	var out []candidate
	type occ struct {
		rule careRule
		date string
	}
	var occs []occ
	for _, r := range rules {
		if r.kind != crm.CareRuleHoliday {
			continue
		}
		for _, d := range crm.HolidaysIn(r.holiday, from, to) {
			occs = append(occs, occ{r, d})
		}
	}
	if len(occs) == 0 {
		return nil, nil
	}
	// Each customer's main contact receives the greeting.
	primary := map[string]string{}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT customer_id, id FROM contacts WHERE deleted_at IS NULL AND customer_id IS NOT NULL
		ORDER BY customer_id, is_primary DESC, created_at, id`)
	if err != nil {
		return nil, errs.Wrap(err, "care: main contacts")
	}
	for rows.Next() {
		var cust, id string
		if err := rows.Scan(&cust, &id); err != nil {
			rows.Close()
			return nil, err
		}
		if _, ok := primary[cust]; !ok {
			primary[cust] = id
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(custs))
	for id := range custs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, o := range occs {
		label := i18n.Text{}
		for _, h := range crm.CareHolidays {
			if h.Code == o.rule.holiday {
				label = h.Label
			}
		}
		for _, id := range ids {
			if !crm.LevelMatches(o.rule.levels, custs[id].level) {
				continue
			}
			out = append(out, candidate{kind: crm.CareHoliday, date: o.date, title: label.Zh + " 节日问候", customer: id, contact: primary[id],
				holiday: o.rule.holiday, rule: o.rule.id, subjectEntity: "customer", subjectID: id + ":" + o.rule.holiday, auto: o.rule.auto})
		}
	}
	return out, nil
}

func (s *Service) anniversaries(ctx context.Context, from, to string, custs map[string]custInfo, _ []careRule) ([]candidate, error) {
	rows, err := s.DB.R().QueryContext(ctx, `SELECT id, customer_id, number, title, signed_on, signer_contact_id FROM contracts
		WHERE deleted_at IS NULL AND signed_on IS NOT NULL AND status IN ('signed', 'in_execution', 'completed')`)
	if err != nil {
		return nil, errs.Wrap(err, "care: anniversaries")
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var id, cust, number, title string
		var signed any
		var signer *string
		if err := rows.Scan(&id, &cust, &number, &title, &signed, &signer); err != nil {
			return nil, err
		}
		if _, ok := custs[cust]; !ok {
			continue
		}
		dates, years := crm.AnniversariesIn(dateText(signed), from, to)
		for i, d := range dates {
			c := candidate{kind: crm.CareContractAnniversary, date: d, title: fmt.Sprintf("合同 %s（%s）签约 %d 周年", number, title, years[i]),
				customer: cust, subjectEntity: "contract", subjectID: id}
			if signer != nil {
				c.contact = *signer
			}
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

// warranties finds the delivered goods whose warranty (the product's
// months from the day they were signed for, or delivered) ends within the
// window, one reminder per delivery line.
func (s *Service) warranties(ctx context.Context, from, to string, custs map[string]custInfo, _ []careRule) ([]candidate, error) {
	ws, err := s.warrantyLines(ctx, from, to, store.True)
	if err != nil {
		return nil, err
	}
	var out []candidate
	for _, w := range ws {
		if _, ok := custs[w.customer]; !ok {
			continue
		}
		out = append(out, candidate{kind: crm.CareWarrantyExpiry, date: w.last, title: fmt.Sprintf("%s 保修到期（发货单 %s）", w.product, w.delivery),
			customer: w.customer, subjectEntity: "delivery_line", subjectID: w.lineID})
	}
	return out, nil
}

type warrantyLine struct {
	lineID, customer, product, productID, delivery, deliveryID, last string
}

// warrantyLines lists delivered lines whose warranty ends in [from, to],
// of the customers admitted by vis (alias t for customers).
func (s *Service) warrantyLines(ctx context.Context, from, to string, vis store.Pred) ([]warrantyLine, error) {
	a := &store.Args{}
	q := `SELECT l.id, d.customer_id, l.name, l.product_id, d.number, d.id, d.signed_at, d.delivered_at, p.warranty_months
		FROM delivery_lines l JOIN deliveries d ON d.id = l.delivery_id JOIN products p ON p.id = l.product_id JOIN customers t ON t.id = d.customer_id
		WHERE d.deleted_at IS NULL AND t.deleted_at IS NULL AND p.warranty_months > 0 AND d.status IN ('delivered', 'signed', 'signed_with_issues')
			AND ` + vis(a) + ` ORDER BY l.id`
	rows, err := s.DB.R().QueryContext(ctx, q, a.V...)
	if err != nil {
		return nil, errs.Wrap(err, "care: warranties")
	}
	defer rows.Close()
	var out []warrantyLine
	for rows.Next() {
		var w warrantyLine
		var signed, delivered any
		var months int
		if err := rows.Scan(&w.lineID, &w.customer, &w.product, &w.productID, &w.delivery, &w.deliveryID, &signed, &delivered, &months); err != nil {
			return nil, err
		}
		start := s.dayOf(signed)
		if start == "" {
			start = s.dayOf(delivered)
		}
		w.last = crm.WarrantyEnd(start, months)
		if crm.ExpiresIn(w.last, from, to) {
			out = append(out, w)
		}
	}
	return out, rows.Err()
}

func (s *Service) contractsExpiring(ctx context.Context, from, to string, custs map[string]custInfo, _ []careRule) ([]candidate, error) {
	rows, err := s.DB.R().QueryContext(ctx, `SELECT id, customer_id, number, title, valid_to, signer_contact_id FROM contracts
		WHERE deleted_at IS NULL AND status IN ('signed', 'in_execution') AND valid_to >= $1 AND valid_to <= $2`, from, to)
	if err != nil {
		return nil, errs.Wrap(err, "care: contracts expiring")
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var id, cust, number, title string
		var validTo any
		var signer *string
		if err := rows.Scan(&id, &cust, &number, &title, &validTo, &signer); err != nil {
			return nil, err
		}
		if _, ok := custs[cust]; !ok {
			continue
		}
		c := candidate{kind: crm.CareContractExpiry, date: dateText(validTo), title: fmt.Sprintf("合同 %s（%s）到期", number, title),
			customer: cust, subjectEntity: "contract", subjectID: id}
		if signer != nil {
			c.contact = *signer
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// addReminder inserts a reminder unless its key exists already.
func (s *Service) addReminder(ctx context.Context, sys *access.Principal, owner string, c candidate) (bool, error) {
	key := crm.CareKey(c.kind, c.subjectID, c.date)
	created := false
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM care_reminders WHERE unique_key = $1`, key).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		rec := entity.Record{"title": c.title, "kind": c.kind, "date": c.date, "customer_id": c.customer, "contact_id": entity.NilIfEmpty(c.contact),
			"holiday": entity.NilIfEmpty(c.holiday), "rule_id": entity.NilIfEmpty(c.rule), "subject_entity": c.subjectEntity, "subject_id": c.subjectID,
			"unique_key": key, "auto_greeting": c.auto, "owner_id": owner}
		if _, err := s.R.InsertTx(ctx, tx, sys, "care_reminder", rec); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return false, errs.Wrap(err, "care: add %s", key)
	}
	return created, nil
}
