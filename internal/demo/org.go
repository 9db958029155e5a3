package demo

import (
	"context"
	"fmt"

	"closeloop/internal/access"
	"closeloop/internal/app"
	"closeloop/internal/entity"
	"closeloop/internal/store"
)

// MailDomain is the e-mail domain of the demo users.
const MailDomain = "demo.closeloop.cn"

type person struct {
	name, local string
	roles       []string
	team        string // key into the team table below
	macro       string // sales region the person covers (华北, 华东, 华南)
}

// The demo company's organisation: company → regions → departments, plus
// the pre-sales, delivery and service centres.
var teamTree = []struct{ key, name, code, parent string }{
	{"hq", "闭环智能装备有限公司", "HQ", ""},
	{"north", "华北大区", "NORTH", "hq"},
	{"north1", "华北销售一部", "N1", "north"},
	{"north2", "华北销售二部", "N2", "north"},
	{"east", "华东大区", "EAST", "hq"},
	{"east1", "华东销售一部", "E1", "east"},
	{"east2", "华东销售二部", "E2", "east"},
	{"south", "华南大区", "SOUTH", "hq"},
	{"south1", "华南销售一部", "S1", "south"},
	{"south2", "华南销售二部", "S2", "south"},
	{"presales", "售前支持中心", "PRE", "hq"},
	{"delivery", "交付中心", "DLV", "hq"},
	{"service", "客户服务中心", "SVC", "hq"},
}

var people = []person{
	{"周敏", "zhou.min", []string{access.RoleAdmin}, "hq", ""},
	{"王军", "wang.jun", []string{access.RoleManager}, "north", "华北"},
	{"陈静", "chen.jing", []string{access.RoleManager}, "east", "华东"},
	{"黄磊", "huang.lei", []string{access.RoleManager}, "south", "华南"},
	{"张伟", "zhang.wei", []string{access.RoleSales}, "north1", "华北"},
	{"李娜", "li.na", []string{access.RoleSales}, "north1", "华北"},
	{"刘洋", "liu.yang", []string{access.RoleSales}, "north2", "华北"},
	{"赵丽", "zhao.li", []string{access.RoleSales}, "north2", "华北"},
	{"杨帆", "yang.fan", []string{access.RoleSales}, "east1", "华东"},
	{"吴婷", "wu.ting", []string{access.RoleSales}, "east1", "华东"},
	{"徐斌", "xu.bin", []string{access.RoleSales}, "east2", "华东"},
	{"孙悦", "sun.yue", []string{access.RoleSales}, "east2", "华东"},
	{"郭强", "guo.qiang", []string{access.RoleSales}, "south1", "华南"},
	{"何敏", "he.min", []string{access.RoleSales}, "south1", "华南"},
	{"罗志刚", "luo.zhigang", []string{access.RoleSales}, "south2", "华南"},
	{"林峰", "lin.feng", []string{access.RolePresales}, "presales", ""},
	{"马晓东", "ma.xiaodong", []string{access.RolePresales}, "presales", ""},
	{"宋涛", "song.tao", []string{access.RoleDelivery}, "delivery", ""},
	{"梁晓燕", "liang.xiaoyan", []string{access.RoleService}, "service", ""},
	{"谢鹏", "xie.peng", []string{access.RoleService}, "service", ""},
}

// user is a created demo user with the principal it acts as.
type user struct {
	person
	id    string
	email string
	p     *access.Principal
}

type org struct {
	teams    map[string]string // key → id
	admin    *user
	managers map[string]*user // by macro region
	reps     []*user
	presales []*user
	all      []*user
}

// createOrg creates the teams (record service, as the system) and the
// users (auth service, so passwords are real argon2id hashes).
func createOrg(ctx context.Context, a *app.App) (*org, error) {
	sys := access.SystemPrincipal()
	o := &org{teams: map[string]string{}, managers: map[string]*user{}}
	err := a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		for _, t := range teamTree {
			rec := entity.Record{"name": t.name, "code": t.code}
			if t.parent != "" {
				rec["parent_id"] = o.teams[t.parent]
			}
			r, err := a.Records.CreateTx(ctx, tx, sys, "team", rec)
			if err != nil {
				return fmt.Errorf("team %s: %w", t.name, err)
			}
			o.teams[t.key] = r.ID()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, pp := range people {
		u := &user{person: pp, email: pp.local + "@" + MailDomain}
		rec := entity.Record{"name": pp.name, "email": u.email, "roles": pp.roles, "team_id": o.teams[pp.team], "lang": "zh-CN"}
		r, err := a.Auth.CreateUser(ctx, sys, rec, Password)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", u.email, err)
		}
		u.id = r.ID()
		if u.p, err = a.DB.LoadPrincipal(ctx, u.id); err != nil {
			return nil, err
		}
		o.all = append(o.all, u)
		switch pp.roles[0] {
		case access.RoleAdmin:
			o.admin = u
		case access.RoleManager:
			o.managers[pp.macro] = u
		case access.RoleSales:
			o.reps = append(o.reps, u)
		case access.RolePresales:
			o.presales = append(o.presales, u)
		}
	}
	// Regions are headed by their managers.
	te := a.DB.Schema().Entity("team")
	return o, a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		for _, t := range []string{"north", "east", "south"} {
			mgr := o.managers[map[string]string{"north": "华北", "east": "华东", "south": "华南"}[t]]
			old, err := a.DB.Get(ctx, tx, te, o.teams[t], nil, false)
			if err != nil {
				return err
			}
			if _, err := a.Records.SetTx(ctx, tx, sys, te, old, entity.Record{"manager_id": mgr.id}); err != nil {
				return err
			}
		}
		return nil
	})
}
