package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/crm"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// loader carries the state of one demo load.
type loader struct {
	a     *app.App
	o     *org
	f     *zhdata.Faker
	now   time.Time
	today time.Time // midnight today in the company time zone
	rules []crm.PoolRule

	norms, phones map[string]bool // taken, so no create trips duplicate detection
	// created is when each record "really" was created, by table (see backdate).
	created map[string]map[string]time.Time
	// custs are the created customers by owner, for releases; contacts
	// with their owners, for consent.
	custs       map[string][]entity.Record
	contacts    []ownedContact
	conversions []conversion
	// keep lists customers whose follow-ups must not change (due today,
	// overdue, about to return to the pool).
	keep map[string]bool
}

type ownedContact struct {
	rec   entity.Record
	owner *user
}

func (l *loader) setCreated(table, id string, t time.Time) {
	if l.created[table] == nil {
		l.created[table] = map[string]time.Time{}
	}
	l.created[table][id] = t
}

func newLoader(ctx context.Context, a *app.App, o *org) (*loader, error) {
	rules, _, err := a.Customers.PoolRules(ctx, a.DB.R())
	if err != nil {
		return nil, err
	}
	now := store.Now()
	y, m, d := now.In(a.Loc).Date()
	return &loader{a: a, o: o, f: zhdata.New(Seed, 0), now: now, today: time.Date(y, m, d, 0, 0, 0, 0, a.Loc), rules: rules,
		norms: map[string]bool{}, phones: map[string]bool{}, created: map[string]map[string]time.Time{}, custs: map[string][]entity.Record{}, keep: map[string]bool{}}, nil
}

// flagship customers every demo shows, so a newcomer can try the search
// on names they have read in the documentation.
var flagships = []struct{ name, short, industry, city, level, status string }{
	{"苏州恒瑞精密机械有限公司", "恒瑞精密", "manufacturing", "苏州", "A", "intent"},
	{"北京华信科技股份有限公司", "华信科技", "it", "北京", "A", "won"},
	{"深圳市南方智能装备有限公司", "南方智能", "manufacturing", "深圳", "A", "intent"},
	{"上海东方新材料集团有限公司", "东方新材", "chemicals", "上海", "B", "prospect"},
	{"天津滨海汽车零部件有限公司", "滨海汽车", "automotive", "天津", "B", "won"},
	{"广州天宇医疗器械有限公司", "天宇医疗", "healthcare", "广州", "B", "intent"},
	{"杭州云帆数据科技有限公司", "云帆数据", "it", "杭州", "A", "prospect"},
	{"青岛海创电气设备有限公司", "海创电气", "manufacturing", "青岛", "C", "prospect"},
	{"东莞卓越模具有限公司", "卓越模具", "manufacturing", "东莞", "C", "lost"},
	{"无锡金泰光伏科技有限公司", "金泰光伏", "energy", "无锡", "B", "won"},
}

func cityByShort(s string) zhdata.City {
	for _, c := range zhdata.Cities {
		if c.Short == s {
			return c
		}
	}
	return zhdata.Cities[0]
}

// citiesOf lists the cities a sales region covers (华南 also covers the
// south-west).
func citiesOf(macro string) []zhdata.City {
	var out []zhdata.City
	for _, c := range zhdata.Cities {
		r := c.MacroRegion()
		if r == macro || (macro == "华南" && r == "西南") {
			out = append(out, c)
		}
	}
	return out
}

func (l *loader) mobile() string {
	for {
		if p := l.f.Mobile(); !l.phones[p] {
			l.phones[p] = true
			return p
		}
	}
}

// planned is what the loader decides about a customer before creating it.
type planned struct {
	rec      entity.Record
	city     zhdata.City
	domain   string
	created  time.Time
	last     time.Time // the latest follow-up
	dueToday bool      // its open next step is due today
	overdue  bool      // … or overdue
	nearPool bool      // it returns to the pool within the reminder window
}

// customers creates the customers of every rep, each rep in one
// transaction: customer, contacts, then the follow-ups of six months.
func (l *loader) customers(ctx context.Context, total int) error {
	per := total / len(l.o.reps)
	// Flagships go to the reps of their region, one each.
	queue := map[string][]int{}
	for i, fs := range flagships {
		m := cityByShort(fs.city).MacroRegion()
		if m == "西南" {
			m = "华南"
		}
		queue[m] = append(queue[m], i)
	}
	for ri, rep := range l.o.reps {
		var plans []*planned
		for i := range per {
			var p *planned
			if q := queue[rep.macro]; i == 0 && len(q) > 0 {
				p = l.flagship(q[0])
				queue[rep.macro] = q[1:]
			} else {
				p = l.plan(rep.macro)
			}
			// Follow-ups: the first two of every rep are due today, the next
			// two overdue; one customer per rep is about to fall back to
			// the pool.
			p.dueToday, p.overdue = i < 2, i >= 2 && i < 4
			l.schedule(p, i == 4 || (ri%3 == 0 && i == 5))
			plans = append(plans, p)
		}
		err := l.a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
			l.custs[rep.id] = nil
			for _, p := range plans {
				if err := l.createCustomer(ctx, tx, rep, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rep %s: %w", rep.email, err)
		}
	}
	return nil
}

func (l *loader) flagship(i int) *planned {
	fs := flagships[i]
	c := cityByShort(fs.city)
	l.norms[crm.NormalizeCompany(fs.name)] = true
	rec := entity.Record{"name": fs.name, "short_name": fs.short, "kind": "company", "industry": fs.industry, "level": fs.level,
		"status": fs.status, "region": c.Region(), "address": l.f.Address(c), "phone": l.landline(c), "source": zhdata.One(l.f, []string{"exhibition", "referral", "conference"}),
		"scale": "large", "credit": "excellent", "demand_level": "high", "closing_difficulty": "medium", "tags": []string{"重点客户"}}
	co := zhdata.Company{Brand: string([]rune(fs.short)[:2]), City: c}
	return &planned{rec: rec, city: c, domain: l.f.Domain(co), created: l.daysAgo(l.rnd(200, 540))}
}

func (l *loader) landline(c zhdata.City) string {
	for {
		if p := l.f.Landline(c); !l.phones[p] {
			l.phones[p] = true
			return p
		}
	}
}

// plan draws a customer in the rep's region with a unique name.
func (l *loader) plan(macro string) *planned {
	f := l.f
	city := zhdata.One(f, citiesOf(macro))
	ind := f.Industry()
	rec := entity.Record{"industry": ind, "region": city.Region(), "source": f.Pick(zhdata.SourceWeights),
		"level": f.Pick(zhdata.LevelWeights), "status": f.Pick(zhdata.StatusWeights)}
	p := &planned{rec: rec, city: city, created: l.daysAgo(l.rnd(20, 540))}
	if f.Chance(0.05) {
		for {
			n := f.Person().Name()
			if !l.norms[crm.NormalizeCompany(n)] {
				l.norms[crm.NormalizeCompany(n)] = true
				rec["name"], rec["kind"] = n, "individual"
				break
			}
		}
		return p
	}
	var co zhdata.Company
	for {
		co = f.Company(ind, city)
		if n := crm.NormalizeCompany(co.Name); !l.norms[n] {
			l.norms[n] = true
			break
		}
	}
	rec["name"], rec["kind"], rec["scale"] = co.Name, "company", f.Scale()
	if f.Chance(0.8) {
		rec["short_name"] = co.Short
	}
	if f.Chance(0.9) {
		rec["address"] = f.Address(city)
	}
	if f.Chance(0.85) {
		rec["phone"] = l.landline(city)
	}
	if f.Chance(0.5) {
		rec["website"] = "www." + f.Domain(co)
	}
	for k, fn := range map[string]func() string{"credit": f.Credit, "demand_level": f.Demand, "closing_difficulty": f.Difficulty} {
		if f.Chance(0.75) {
			rec[k] = fn()
		}
	}
	if tags := f.TagsFor(); tags != nil {
		rec["tags"] = tags
	}
	if f.Chance(0.3) {
		rec["notes"] = f.CompanyNote()
	}
	p.domain = f.Domain(co)
	return p
}

// schedule decides when the customer was last followed up: open customers
// within their level's pool rule (or the sweeper would take them back),
// one per rep just inside the reminder window.
func (l *loader) schedule(p *planned, nearPool bool) {
	level, status := p.rec.Str("level"), p.rec.Str("status")
	rule, _ := crm.RuleFor(l.rules, "customer", level)
	open := status != crm.StatusWon
	switch {
	case open && nearPool && !p.dueToday && !p.overdue:
		p.nearPool = true
		// Due back in the pool in about two days: the home page warns.
		p.last = l.daysAgo(float64(rule.Days) - 2 + l.rnd(0, 0.5))
	case open:
		hi := float64(rule.Days - rule.RemindDays - 1)
		p.last = l.daysAgo(l.rnd(0.1, max(hi, 1)))
	default:
		p.last = l.daysAgo(l.rnd(0.5, 120))
	}
	if p.created.After(p.last) {
		p.created = p.last.Add(-time.Duration(l.rnd(1, 20) * float64(24*time.Hour)))
	}
}

func (l *loader) createCustomer(ctx context.Context, tx *store.Tx, rep *user, p *planned) error {
	c, err := l.a.Records.CreateTx(ctx, tx, rep.p, "customer", p.rec)
	if err != nil {
		return fmt.Errorf("customer %s: %w", p.rec.Str("name"), err)
	}
	l.setCreated("customers", c.ID(), p.created)
	if p.dueToday || p.overdue || p.nearPool {
		l.keep[c.ID()] = true
	}
	l.custs[rep.id] = append(l.custs[rep.id], c)
	n := 1 + l.f.R.IntN(4)
	if c.Str("kind") == "individual" {
		n = 1
	}
	var contacts []entity.Record
	for i := range n {
		k, err := l.createContact(ctx, tx, rep, c, p, i)
		if err != nil {
			return err
		}
		contacts = append(contacts, k)
	}
	return l.createActivities(ctx, tx, rep, c, p, contacts)
}

func (l *loader) createContact(ctx context.Context, tx *store.Tx, rep *user, c entity.Record, p *planned, i int) (entity.Record, error) {
	f := l.f
	ps := f.Person()
	if c.Str("kind") == "individual" {
		n := []rune(c.Str("name"))
		ps = zhdata.Person{Surname: string(n[0]), Given: string(n[1:])}
	}
	job := f.Job(i == 0)
	rec := entity.Record{"customer_id": c.ID(), "name": ps.Name(), "title": job.Title, "department": job.Department,
		"decision_role": job.Role, "is_primary": i == 0, "phone": l.mobile()}
	if f.Chance(0.8) {
		if p.domain != "" {
			rec["email"] = f.Email(ps, p.domain)
		} else {
			rec["email"] = f.PersonalEmail(ps)
		}
	}
	if f.Chance(0.6) {
		rec["wechat"] = f.WeChat(ps)
	}
	if f.Chance(0.3) {
		rec["office_phone"] = l.landline(p.city)
	}
	if f.Chance(0.5) {
		d, lunar := f.Birthday()
		rec["birthday"], rec["birthday_calendar"] = d, "solar"
		if lunar {
			rec["birthday_calendar"] = "lunar"
		}
	}
	if f.Chance(0.25) {
		rec["preferences"] = f.Preference()
	}
	k, err := l.a.Records.CreateTx(ctx, tx, rep.p, "contact", rec)
	if err != nil {
		return nil, fmt.Errorf("contact %s: %w", ps.Name(), err)
	}
	at := p.created.Add(time.Duration(l.rnd(0, 20) * float64(24*time.Hour)))
	if at.After(p.last) {
		at = p.created
	}
	l.setCreated("contacts", k.ID(), at)
	l.contacts = append(l.contacts, ownedContact{k, rep})
	return k, nil
}

// createActivities logs the customer's follow-ups over (at most) the last
// six months, ending at its latest follow-up, whose next step is still open.
func (l *loader) createActivities(ctx context.Context, tx *store.Tx, rep *user, c entity.Record, p *planned, contacts []entity.Record) error {
	f := l.f
	n := 2 + f.R.IntN(6)
	from := p.created
	if six := l.daysAgo(180); from.Before(six) {
		from = six
	}
	times := make([]time.Time, n)
	for i := range times {
		if i == n-1 {
			times[i] = p.last
			continue
		}
		times[i] = from.Add(time.Duration(f.R.Int64N(int64(max(p.last.Sub(from), time.Hour)))))
	}
	sortTimes(times)
	open := c.Str("status") != crm.StatusWon
	for i, t := range times {
		kind := f.Kind()
		k := zhdata.One(f, contacts)
		subject, summary, next := f.Activity(kind, k.Str("name"))
		rec := entity.Record{"kind": kind, "subject": subject, "summary": summary, "occurred_at": entity.CanonTime(workHours(t, l.a.Loc)),
			"customer_id": c.ID(), "contact_id": k.ID()}
		if d := f.Duration(kind); d > 0 {
			rec["duration_minutes"] = d
		}
		if (kind == "visit" || kind == "meeting") && len(contacts) > 1 && f.Chance(0.5) {
			rec["participant_contacts"] = []string{contacts[0].ID(), contacts[1].ID()}
		}
		if kind == "demo" || (kind == "visit" && f.Chance(0.3)) {
			rec["participant_users"] = []string{zhdata.One(f, l.o.presales).id}
		}
		latest := i == n-1
		switch {
		case latest && open:
			rec["next_step"] = next
			due := l.today.AddDate(0, 0, 1+f.R.IntN(14))
			if p.dueToday {
				due = l.today
			} else if p.overdue {
				due = l.today.AddDate(0, 0, -1-f.R.IntN(6))
			}
			rec["next_step_due"] = due.Format(entity.DateLayout)
		case f.Chance(0.6):
			rec["next_step"] = next
			rec["next_step_due"] = t.In(l.a.Loc).AddDate(0, 0, 1+f.R.IntN(10)).Format(entity.DateLayout)
			rec["next_step_done"] = true
		}
		a, err := l.a.Records.CreateTx(ctx, tx, rep.p, "activity", rec)
		if err != nil {
			return fmt.Errorf("activity %s: %w", subject, err)
		}
		l.setCreated("activities", a.ID(), rec.Time("occurred_at").Add(time.Duration(l.rnd(0, 3)*float64(time.Hour))))
	}
	return nil
}

// workHours moves a time into the working day (9:00–18:00 local), keeping
// the date, and never into the future.
func workHours(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	h := 9 + (lt.Hour()*7+lt.Minute())%9
	out := time.Date(lt.Year(), lt.Month(), lt.Day(), h, lt.Minute(), lt.Second(), 0, loc)
	if out.After(time.Now()) {
		return t
	}
	return out
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
