package web

import (
	"net/http"
	"strconv"
	"strings"

	"closeloop/internal/crm"
	"closeloop/internal/customers"
	"closeloop/internal/errs"
)

// poolRulesPage edits when owned records fall back to the pool (days
// without a follow-up per customer level), reminders, the claim cap and
// the cool-down.
type poolRulesPage struct {
	*base
	Rows     []ruleRow
	Cap      string
	Cooldown string
	Errors   []string
}

type ruleRow struct {
	Key, Entity, Level, Label string
	Days, Remind              string
}

func (s *Server) poolRulesPage(c *rc) error {
	rules, st, err := s.app.Customers.PoolRules(c.ctx(), s.app.DB.R())
	if err != nil {
		return err
	}
	return c.render(http.StatusOK, "pool_rules", s.poolRulesView(c, rules, st, nil))
}

// ruleSlots are the rules one can set: one per customer level plus a
// default, and one for leads.
func (c *rc) ruleSlots() []ruleRow {
	ce := c.schema.Entity("customer")
	var out []ruleRow
	for _, o := range c.schema.Options(ce.Field("level")) {
		out = append(out, ruleRow{Entity: "customer", Level: o.Code, Label: ce.Label.In(c.L) + " · " + o.Label.In(c.L)})
	}
	out = append(out, ruleRow{Entity: "customer", Label: ce.Label.In(c.L) + " · " + c.T("pr.other_levels")})
	out = append(out, ruleRow{Entity: "lead", Label: c.schema.Entity("lead").Label.In(c.L)})
	for i := range out {
		out[i].Key = out[i].Entity + "." + out[i].Level
	}
	return out
}

func (s *Server) poolRulesView(c *rc, rules []crm.PoolRule, st crm.PoolSettings, errors []string) *poolRulesPage {
	pp := &poolRulesPage{base: c.settingsBase(c.T("set.pool"), "settings"), Cap: strconv.Itoa(st.ClaimCap), Cooldown: strconv.Itoa(st.CooldownDays), Errors: errors}
	for _, slot := range c.ruleSlots() {
		for _, r := range rules {
			if r.Entity == slot.Entity && r.Level == slot.Level {
				slot.Days, slot.Remind = strconv.Itoa(r.Days), strconv.Itoa(r.RemindDays)
			}
		}
		pp.Rows = append(pp.Rows, slot)
	}
	return pp
}

func (s *Server) poolRulesSave(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	f := c.r.PostForm
	var cfg customers.PoolConfig
	var msgs []string
	num := func(name, label string) int {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			msgs = append(msgs, c.T("pr.bad_number", "field", label))
		}
		return n
	}
	for _, slot := range c.ruleSlots() {
		days := num("days."+slot.Key, slot.Label)
		remind := num("remind."+slot.Key, slot.Label)
		if strings.TrimSpace(f.Get("days."+slot.Key)) == "" {
			continue // no rule: records of this kind never return by themselves
		}
		cfg.Rules = append(cfg.Rules, crm.PoolRule{Entity: slot.Entity, Level: slot.Level, Days: days, RemindDays: remind})
	}
	cfg.Settings.ClaimCap = num("claim_cap", c.T("pr.cap"))
	cfg.Settings.CooldownDays = num("cooldown_days", c.T("pr.cooldown"))
	var err error
	if len(msgs) == 0 {
		err = s.app.Customers.SavePoolConfig(c.ctx(), c.p, cfg)
	}
	if err != nil {
		ee := errs.As(err)
		if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.Forbidden {
			return err
		}
		for _, fe := range ee.Fields {
			msgs = append(msgs, c.fieldText(nil, fe))
		}
		if len(ee.Fields) == 0 {
			msgs = append(msgs, c.errText(err))
		}
	}
	if len(msgs) > 0 {
		pp := s.poolRulesView(c, cfg.Rules, cfg.Settings, msgs)
		pp.Cap, pp.Cooldown = f.Get("claim_cap"), f.Get("cooldown_days")
		for i, r := range pp.Rows {
			pp.Rows[i].Days, pp.Rows[i].Remind = f.Get("days."+r.Key), f.Get("remind."+r.Key)
		}
		return c.render(http.StatusUnprocessableEntity, "pool_rules", pp)
	}
	c.flash("success", c.T("pr.saved"))
	return c.redirect("/settings/pool")
}
