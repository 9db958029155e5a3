package bench

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/auth"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// Password is the password of every generated user.
const Password = "bench-closeloop"

// MailDomain is the e-mail domain of generated users.
const MailDomain = "bench.closeloop.cn"

// User is a generated user.
type User struct {
	ID, Name, Email, Team string
	Roles                 []string
}

// Org is the generated organisation: a company, four regions and sales
// departments below them, with reps spread over the departments.
type Org struct {
	Company string
	Regions []string // team ids
	Depts   []string // team ids
	Admin   User
	// RegionManagers[i] manages Regions[i]; DeptManagers[i] manages Depts[i].
	RegionManagers, DeptManagers []User
	Reps                         []User
	Presales, Delivery, Service  []User
	// cum is the cumulative load weight of the reps (some reps hold far
	// more customers than others, as in a real team).
	cum []float64
}

var regionNames = []string{"华北大区", "华东大区", "华南大区", "西南大区"}
var deptNames = []string{"销售一部", "销售二部", "销售三部", "销售四部", "销售五部", "销售六部", "销售七部", "销售八部", "销售九部", "销售十部"}

// orgSpec derives the users of an organisation from the seed, so that a
// resumed generation finds the same people by e-mail.
func orgSpec(seed uint64, reps, depts int) (admin User, regionMgrs, deptMgrs, repUsers, presales, delivery, service []User) {
	f := zhdata.New(seed, 1<<40)
	taken := map[string]bool{}
	mk := func(roles ...string) User {
		p := f.Person()
		local := zhdata.Pinyin(p.Surname) + "." + zhdata.Pinyin(p.Given)
		email := local + "@" + MailDomain
		for i := 2; taken[email]; i++ {
			email = local + strconv.Itoa(i) + "@" + MailDomain
		}
		taken[email] = true
		return User{Name: p.Name(), Email: email, Roles: roles}
	}
	admin = User{Name: "系统管理员", Email: "admin@" + MailDomain, Roles: []string{access.RoleAdmin}}
	taken[admin.Email] = true
	for range regionNames {
		regionMgrs = append(regionMgrs, mk(access.RoleManager))
	}
	for range depts {
		deptMgrs = append(deptMgrs, mk(access.RoleManager))
	}
	for range reps {
		repUsers = append(repUsers, mk(access.RoleSales))
	}
	for range 5 {
		presales = append(presales, mk(access.RolePresales))
	}
	for range 3 {
		delivery = append(delivery, mk(access.RoleDelivery))
	}
	for range 5 {
		service = append(service, mk(access.RoleService))
	}
	return
}

// createOrg writes the organisation through the record service (hooks,
// audit, team paths) inside tx. Every user gets the same password hash:
// argon2id per user would cost minutes for nothing.
func createOrg(ctx context.Context, a *app.App, tx *store.Tx, seed uint64, reps, depts int) (*Org, error) {
	sys := access.SystemPrincipal()
	team := func(name, code, parent string) (string, error) {
		rec := entity.Record{"name": name, "code": code}
		if parent != "" {
			rec["parent_id"] = parent
		}
		r, err := a.Records.CreateTx(ctx, tx, sys, "team", rec)
		if err != nil {
			return "", fmt.Errorf("team %s: %w", name, err)
		}
		return r.ID(), nil
	}
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	user := func(u *User, teamID string) error {
		rec := entity.Record{"name": u.Name, "email": u.Email, "roles": u.Roles, "lang": "zh-CN"}
		if teamID != "" {
			rec["team_id"] = teamID
		}
		r, err := a.Records.CreateTx(ctx, tx, sys, "user", rec)
		if err != nil {
			return fmt.Errorf("user %s: %w", u.Email, err)
		}
		u.ID, u.Team = r.ID(), teamID
		return a.DB.SetPassword(ctx, tx, u.ID, hash)
	}
	o := &Org{}
	if o.Company, err = team("闭环科技有限公司", "HQ", ""); err != nil {
		return nil, err
	}
	for i, n := range regionNames {
		id, err := team(n, "R"+strconv.Itoa(i+1), o.Company)
		if err != nil {
			return nil, err
		}
		o.Regions = append(o.Regions, id)
	}
	for i := range depts {
		r := i % len(regionNames)
		name := regionNames[r][:len(regionNames[r])-len("大区")] + deptNames[(i/len(regionNames))%len(deptNames)]
		if i >= len(regionNames)*len(deptNames) {
			name += strconv.Itoa(i)
		}
		id, err := team(name, "D"+strconv.Itoa(i+1), o.Regions[r])
		if err != nil {
			return nil, err
		}
		o.Depts = append(o.Depts, id)
	}
	admin, rm, dm, rp, ps, dl, sv := orgSpec(seed, reps, depts)
	if err := user(&admin, o.Company); err != nil {
		return nil, err
	}
	o.Admin = admin
	for i := range rm {
		if err := user(&rm[i], o.Regions[i]); err != nil {
			return nil, err
		}
	}
	for i := range dm {
		if err := user(&dm[i], o.Depts[i]); err != nil {
			return nil, err
		}
	}
	for i := range rp {
		if err := user(&rp[i], o.Depts[i%depts]); err != nil {
			return nil, err
		}
	}
	for _, list := range [][]User{ps, dl, sv} {
		for i := range list {
			if err := user(&list[i], o.Company); err != nil {
				return nil, err
			}
		}
	}
	o.RegionManagers, o.DeptManagers, o.Reps, o.Presales, o.Delivery, o.Service = rm, dm, rp, ps, dl, sv
	// Team heads, as an admin would set them.
	te := a.DB.Schema().Entity("team")
	heads := map[string]string{}
	for i, id := range o.Regions {
		heads[id] = rm[i].ID
	}
	for i, id := range o.Depts {
		heads[id] = dm[i].ID
	}
	for id, mgr := range heads {
		old, err := a.DB.Get(ctx, tx, te, id, nil, false)
		if err != nil {
			return nil, err
		}
		if _, err := a.Records.SetTx(ctx, tx, sys, te, old, entity.Record{"manager_id": mgr}); err != nil {
			return nil, err
		}
	}
	o.weigh(seed)
	return o, nil
}

// loadOrg finds a generated organisation again by its users' e-mails.
func loadOrg(ctx context.Context, a *app.App, seed uint64, reps, depts int) (*Org, error) {
	admin, rm, dm, rp, ps, dl, sv := orgSpec(seed, reps, depts)
	find := func(u *User) error {
		var team *string
		err := a.DB.R().QueryRowContext(ctx, `SELECT id, team_id FROM users WHERE email = $1`, u.Email).Scan(&u.ID, &team)
		if err != nil {
			return fmt.Errorf("bench: user %s of the generated organisation: %w", u.Email, err)
		}
		if team != nil {
			u.Team = *team
		}
		return nil
	}
	o := &Org{}
	for _, list := range [][]User{rm, dm, rp, ps, dl, sv} {
		for i := range list {
			if err := find(&list[i]); err != nil {
				return nil, err
			}
		}
	}
	if err := find(&admin); err != nil {
		return nil, err
	}
	o.Admin, o.Company = admin, admin.Team
	o.RegionManagers, o.DeptManagers, o.Reps, o.Presales, o.Delivery, o.Service = rm, dm, rp, ps, dl, sv
	for _, u := range rm {
		o.Regions = append(o.Regions, u.Team)
	}
	for _, u := range dm {
		o.Depts = append(o.Depts, u.Team)
	}
	o.weigh(seed)
	return o, nil
}

// weigh gives every rep a load weight from a log-normal distribution: the
// busiest reps hold three to four times the median.
func (o *Org) weigh(seed uint64) {
	f := zhdata.New(seed, 1<<41)
	o.cum = make([]float64, len(o.Reps))
	total := 0.0
	for i := range o.Reps {
		total += math.Exp(0.5 * f.R.NormFloat64())
		o.cum[i] = total
	}
}

// pickRep draws a rep by load weight.
func (o *Org) pickRep(f *zhdata.Faker) int {
	x := f.R.Float64() * o.cum[len(o.cum)-1]
	return sort.SearchFloat64s(o.cum, x)
}

// MedianRep is a rep with a median load, the typical user of a list page.
func (o *Org) MedianRep() User {
	idx := make([]int, len(o.Reps))
	for i := range idx {
		idx[i] = i
	}
	w := func(i int) float64 {
		if i == 0 {
			return o.cum[0]
		}
		return o.cum[i] - o.cum[i-1]
	}
	sort.Slice(idx, func(a, b int) bool { return w(idx[a]) < w(idx[b]) })
	return o.Reps[idx[len(idx)/2]]
}

// ManagerOf is the manager of a rep's department.
func (o *Org) ManagerOf(rep User) User {
	for i, d := range o.Depts {
		if d == rep.Team {
			return o.DeptManagers[i]
		}
	}
	return o.Admin
}
