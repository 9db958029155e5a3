package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/fieldservice"
	"closeloop/internal/tickets"
)

// The field-service part of the demo: a field engineer (方志远,
// fang.zhiyuan — the demo engineer, with a van) and a service manager
// (苏婉清, su.wanqing) who gets the low-stock warnings; a central store, a
// branch store and the van; twenty spare parts received into the central
// store, some sent on to the van, a few below their minimum; two tickets
// with visits — today's for the engineer (one planned, one on site with a
// part used, one later), yesterday's confirmed by the customer through
// its link, one where the customer was absent, one tomorrow; and returns
// at several steps. Everything through the services.

var demoParts = []struct {
	sku, name, unit string
	cost, min       int64
	central, van    int64
}{
	{"SP-LS-HEAD", "激光传感器探头", "个", 185000, 3, 6, 2},
	{"SP-LS-CBL", "传感器连接电缆 5 米", "根", 12000, 10, 40, 6},
	{"SP-CAM-LENS", "工业镜头 25 mm", "个", 98000, 2, 4, 1},
	{"SP-CAM-PSU", "相机电源适配器 24V", "个", 26000, 5, 12, 3},
	{"SP-PLC-CPU", "PLC CPU 模块", "块", 420000, 2, 1, 0},
	{"SP-PLC-DI16", "PLC 16 点数字输入模块", "块", 86000, 3, 8, 2},
	{"SP-PLC-DO16", "PLC 16 点数字输出模块", "块", 92000, 3, 7, 1},
	{"SP-FAN-120", "机柜散热风扇 120 mm", "个", 6800, 10, 50, 8},
	{"SP-FLT-AIR", "机柜防尘滤网", "片", 1500, 20, 12, 4},
	{"SP-FUSE-2A", "保险丝 2A（10 只装）", "盒", 900, 10, 30, 5},
	{"SP-RLY-24", "中间继电器 24VDC", "个", 3200, 15, 60, 10},
	{"SP-SW-8P", "工业交换机 8 口", "台", 168000, 2, 3, 0},
	{"SP-HMI-7", "7 寸触摸屏", "台", 268000, 1, 2, 0},
	{"SP-ENC-1024", "增量编码器 1024 线", "个", 72000, 2, 5, 1},
	{"SP-BELT-T5", "同步带 T5-600", "条", 4800, 6, 4, 2},
	{"SP-BRG-6204", "深沟球轴承 6204", "个", 1800, 20, 80, 12},
	{"SP-SEAL-KIT", "密封圈套件", "套", 5600, 5, 9, 2},
	{"SP-TERM-BLK", "接线端子排 12 位", "条", 1200, 20, 100, 15},
	{"SP-LED-IND", "指示灯 24V 绿色", "个", 800, 10, 6, 0},
	{"SP-BAT-CR2", "CMOS 电池 CR2032（5 只装）", "盒", 1500, 5, 25, 4},
}

type fsLoader struct {
	*loader
	s               *fieldservice.Service
	eng, mgr, agent *user
	central, branch entity.Record
	van             entity.Record
	parts           []entity.Record
	custs           [][2]string
}

func (l *loader) fieldservice(ctx context.Context, _ int) error {
	fl := &fsLoader{loader: l, s: l.a.FieldService}
	for _, u := range l.o.all {
		if u.p.HasRole(access.RoleService) && fl.agent == nil {
			fl.agent = u
		}
	}
	if fl.agent == nil || fl.o.admin == nil {
		return nil
	}
	var err error
	if fl.eng, err = fl.user(ctx, person{"方志远", "fang.zhiyuan", []string{access.RoleFieldEngineer}, "service", ""}); err != nil {
		return err
	}
	if fl.mgr, err = fl.user(ctx, person{"苏婉清", "su.wanqing", []string{access.RoleServiceManager}, "service", ""}); err != nil {
		return err
	}
	admin := fl.o.admin.p
	if _, err := fl.a.Records.Create(ctx, admin, "service_agent", entity.Record{"user_id": fl.eng.id, "team_id": fl.o.teams["service"],
		"field_engineer": true, "max_open": int64(15)}); err != nil {
		return fmt.Errorf("field engineer profile: %w", err)
	}
	if err := fl.stock(ctx); err != nil {
		return err
	}
	rows, err := fl.a.DB.R().QueryContext(ctx, `SELECT id, name FROM customers WHERE owner_id IS NOT NULL AND deleted_at IS NULL ORDER BY created_at, id LIMIT 6`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c [2]string
		if err := rows.Scan(&c[0], &c[1]); err != nil {
			rows.Close()
			return err
		}
		fl.custs = append(fl.custs, c)
	}
	rows.Close()
	if len(fl.custs) < 3 {
		return nil
	}
	if err := fl.visits(ctx); err != nil {
		return err
	}
	return fl.returns(ctx)
}

// user adds a demo user of the field-service part.
func (fl *fsLoader) user(ctx context.Context, pp person) (*user, error) {
	u := &user{person: pp, email: pp.local + "@" + MailDomain}
	r, err := fl.a.Auth.CreateUser(ctx, access.SystemPrincipal(), entity.Record{"name": pp.name, "email": u.email, "roles": pp.roles,
		"team_id": fl.o.teams[pp.team], "lang": "zh-CN"}, Password)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", u.email, err)
	}
	u.id = r.ID()
	if u.p, err = fl.a.DB.LoadPrincipal(ctx, u.id); err != nil {
		return nil, err
	}
	fl.o.all = append(fl.o.all, u)
	return u, nil
}

func (fl *fsLoader) stock(ctx context.Context) error {
	admin := fl.o.admin.p
	mk := func(code, name, kind, keeper, addr string) (entity.Record, error) {
		rec := entity.Record{"code": code, "name": name, "kind": kind, "address": addr}
		if keeper != "" {
			rec["keeper_id"] = keeper
		}
		return fl.a.Records.Create(ctx, admin, "warehouse", rec)
	}
	var err error
	if fl.central, err = mk("WH-SH", "上海中心备件库", crm.WarehouseCentral, "", "上海市嘉定区叶城路 1288 号"); err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	if fl.branch, err = mk("WH-GZ", "广州网点备件库", crm.WarehouseBranch, "", "广州市黄埔区科学大道 18 号"); err != nil {
		return err
	}
	if fl.van, err = mk("VAN-FANG", "方志远随车库", crm.WarehouseVan, fl.eng.id, ""); err != nil {
		return err
	}
	mgr := fl.mgr.p
	for _, dp := range demoParts {
		p, err := fl.a.Records.Create(ctx, admin, "spare_part", entity.Record{"sku": dp.sku, "name": dp.name, "unit": dp.unit, "unit_cost": dp.cost, "min_stock": dp.min})
		if err != nil {
			return fmt.Errorf("spare part %s: %w", dp.sku, err)
		}
		fl.parts = append(fl.parts, p)
		if _, err := fl.s.Move(ctx, mgr, entity.Record{"kind": crm.MoveIn, "part_id": p.ID(), "warehouse_id": fl.central.ID(), "quantity": dp.central + dp.van,
			"reason": "期初入库"}); err != nil {
			return fmt.Errorf("receipt %s: %w", dp.sku, err)
		}
		if dp.van > 0 {
			if _, err := fl.s.Move(ctx, mgr, entity.Record{"kind": crm.MoveTransfer, "part_id": p.ID(), "warehouse_id": fl.central.ID(),
				"to_warehouse_id": fl.van.ID(), "quantity": dp.van, "reason": "随车备件补充"}); err != nil {
				return fmt.Errorf("transfer %s: %w", dp.sku, err)
			}
		}
	}
	// A stock-take at the branch found a few.
	for i, n := range []int64{4, 2, 0} {
		if _, err := fl.s.Move(ctx, mgr, entity.Record{"kind": crm.MoveAdjust, "part_id": fl.parts[i*3].ID(), "warehouse_id": fl.branch.ID(), "quantity": n,
			"reason": "季度盘点"}); err != nil {
			return fmt.Errorf("stock-take: %w", err)
		}
	}
	return nil
}

func (fl *fsLoader) ticket(ctx context.Context, cust [2]string, subject, body string) (entity.Record, error) {
	t, err := fl.a.Tickets.Create(ctx, fl.agent.p, entity.Record{"subject": subject, "customer_id": cust[0], "kind": crm.TicketRepair,
		"channel": crm.ChannelPhone, "description": body}, &tickets.Message{Kind: crm.MessageCustomer, Body: body, Channel: crm.ChannelPhone})
	if err != nil {
		return nil, fmt.Errorf("ticket: %w", err)
	}
	return t, nil
}

func (fl *fsLoader) visits(ctx context.Context) error {
	t1, err := fl.ticket(ctx, fl.custs[0], "产线激光传感器读数漂移", "二号产线的激光位移传感器读数来回漂移，影响检测结果，请尽快派人。")
	if err != nil {
		return err
	}
	t2, err := fl.ticket(ctx, fl.custs[1], "控制柜风扇异响、温度偏高", "控制柜里风扇有异响，柜内温度报警两次。")
	if err != nil {
		return err
	}
	admin := fl.o.admin.p
	eng := fl.eng.p
	at := func(days int, hour, min int) time.Time {
		return fl.today.AddDate(0, 0, days).Add(time.Duration(hour)*time.Hour + time.Duration(min)*time.Minute)
	}
	plan := func(ticket entity.Record, cust [2]string, subject string, start time.Time) (entity.Record, error) {
		in := entity.Record{"appointment_start": start, "appointment_end": start.Add(90 * time.Minute)}
		if ticket != nil {
			in["ticket_id"] = ticket.ID()
		} else {
			in["customer_id"], in["subject"] = cust[0], subject
		}
		v, err := fl.s.CreateVisit(ctx, admin, in, fl.eng.id)
		if err != nil {
			return nil, fmt.Errorf("visit %s: %w", subject, err)
		}
		return v, nil
	}
	step := func(v entity.Record, in fieldservice.VisitStepInput) error {
		if _, err := fl.s.StepVisit(ctx, eng, v.ID(), in); err != nil {
			return fmt.Errorf("visit %s %s: %w", v.Str("number"), in.Step, err)
		}
		return nil
	}
	// Yesterday: done and confirmed by the customer through the link.
	y, err := plan(t2, fl.custs[1], "", at(-1, 10, 0))
	if err != nil {
		return err
	}
	for _, st := range []fieldservice.VisitStepInput{{Step: crm.VisitStepStart}, {Step: crm.VisitStepCheckIn, Location: "31.2304,121.4737"}} {
		if err := step(y, st); err != nil {
			return err
		}
	}
	if _, err := fl.s.UsePart(ctx, eng, y.ID(), fieldservice.PartUse{PartID: fl.parts[7].ID(), Quantity: 2}); err != nil {
		return fmt.Errorf("part: %w", err)
	}
	if err := step(y, fieldservice.VisitStepInput{Step: crm.VisitStepCheckOut, WorkDone: "更换两只散热风扇，清理滤网，柜内温度恢复正常（32℃）。"}); err != nil {
		return err
	}
	l, err := fl.s.ConfirmLink(ctx, eng, y.ID())
	if err != nil {
		return err
	}
	if _, err := fl.s.Confirm(ctx, l.Token, "", fieldservice.ConfirmInput{Name: "设备科 李工", Remarks: "处理及时，满意。"}); err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	// Yesterday afternoon: nobody there.
	ab, err := plan(nil, fl.custs[2], "年度设备巡检", at(-1, 15, 0))
	if err != nil {
		return err
	}
	if err := step(ab, fieldservice.VisitStepInput{Step: crm.VisitStepAbsent, Reason: "到场后客户设备科无人，已电话约改期"}); err != nil {
		return err
	}
	// Today: one on site with a part used, one planned, one later.
	now, err := plan(t1, fl.custs[0], "", at(0, 9, 30))
	if err != nil {
		return err
	}
	for _, st := range []fieldservice.VisitStepInput{{Step: crm.VisitStepStart}, {Step: crm.VisitStepCheckIn, Location: "客户厂区 2 号车间"}} {
		if err := step(now, st); err != nil {
			return err
		}
	}
	if _, err := fl.s.UsePart(ctx, eng, now.ID(), fieldservice.PartUse{PartID: fl.parts[1].ID(), Quantity: 1}); err != nil {
		return fmt.Errorf("part: %w", err)
	}
	if _, err := fl.s.SetWork(ctx, eng, now.ID(), "检查发现传感器电缆屏蔽层破损，已更换电缆，正在观察读数。", 0); err != nil {
		return err
	}
	if _, err := plan(nil, fl.custs[2], "补做年度设备巡检", at(0, 13, 30)); err != nil {
		return err
	}
	if _, err := plan(nil, fl.custs[3%len(fl.custs)], "新机调试前的现场勘察", at(0, 16, 0)); err != nil {
		return err
	}
	_, err = plan(nil, fl.custs[4%len(fl.custs)], "PLC 程序升级", at(1, 10, 0))
	return err
}

func (fl *fsLoader) returns(ctx context.Context) error {
	mgr := fl.mgr.p
	mk := func(cust [2]string, kind, reason string, items []crm.ReturnItem) (entity.Record, error) {
		r, err := fl.s.CreateReturn(ctx, mgr, entity.Record{"customer_id": cust[0], "kind": kind, "reason": reason}, items)
		if err != nil {
			return nil, fmt.Errorf("return: %w", err)
		}
		return r, nil
	}
	step := func(r entity.Record, in fieldservice.ReturnStepInput) error {
		if _, err := fl.s.StepReturn(ctx, mgr, r.ID(), in); err != nil {
			return fmt.Errorf("return %s %s: %w", r.Str("number"), in.Step, err)
		}
		return nil
	}
	if _, err := mk(fl.custs[0], crm.ReturnKindExchange, "备用探头开箱即损坏，要求换货。", []crm.ReturnItem{{PartID: fl.parts[0].ID(), Quantity: 1, Serial: "LH-2611-0087"}}); err != nil {
		return err
	}
	r2, err := mk(fl.custs[1], crm.ReturnKindExchange, "触摸屏偶发黑屏。", []crm.ReturnItem{{PartID: fl.parts[12].ID(), Quantity: 1, Serial: "HMI7-0421"}})
	if err != nil {
		return err
	}
	for _, st := range []fieldservice.ReturnStepInput{{Step: crm.ReturnStepReceive, WarehouseID: fl.central.ID(), Notes: "外包装完好"},
		{Step: crm.ReturnStepInspect, Result: crm.InspectDefect, Notes: "背光驱动板故障，确认质量问题"}} {
		if err := step(r2, st); err != nil {
			return err
		}
	}
	r3, err := mk(fl.custs[2], crm.ReturnKindReturn, "多订了两块输出模块，未拆封退回。", []crm.ReturnItem{{PartID: fl.parts[6].ID(), Quantity: 2}})
	if err != nil {
		return err
	}
	for _, st := range []fieldservice.ReturnStepInput{{Step: crm.ReturnStepReceive, WarehouseID: fl.central.ID()},
		{Step: crm.ReturnStepInspect, Result: crm.InspectNoFault, Notes: "未拆封，可再销售"},
		{Step: crm.ReturnStepRefund, Amount: 184000, Reference: "RF-" + fl.today.Format("20060102") + "-01"}, {Step: crm.ReturnStepClose}} {
		if err := step(r3, st); err != nil {
			return err
		}
	}
	return nil
}
