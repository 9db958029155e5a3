package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/presales"
	"closeloop/internal/store"
)

// The pre-sales part of the demo: a few dozen opportunities over the two
// shipped pipelines (moved stage by stage through the real gates, some won
// or lost), bids with their document checklists (some due within three
// days), samples followed through small trial and pilot to regular
// purchase or failure (seed 003), and demos, trials and test drives —
// all through the services, then dated into the past like the rest.

// ownedCustomer is a customer still held by a rep after the pool step.
type ownedCustomer struct {
	id, name, industry string
	rep                *user
}

// moment is a record's or an event's real time, rewritten afterwards.
type moment struct {
	table, id string
	at        time.Time
}

type presalesLoader struct {
	*loader
	f       *zhdata.Faker
	moments []moment
	events  []eventTime
	changes map[string][]time.Time // opportunity → times of its stage changes, in order
	closed  map[string]time.Time   // opportunity → closing time
}

// eventTime dates the timeline event of kind about record.
type eventTime struct {
	recordID, kind string
	at             time.Time
}

var dealNames = map[string][]string{
	"manufacturing": {"MES 生产执行系统一期", "设备联网与数据采集", "视觉质检产线改造", "智能仓储 WMS 升级", "设备预测性维护平台"},
	"it":            {"数据中台建设", "私有云扩容项目", "研发协同平台", "运维监控一体化"},
	"automotive":    {"焊装线视觉检测", "零部件质量追溯系统", "涂装车间能耗管理"},
	"chemicals":     {"DCS 控制系统改造", "安全生产双重预防平台", "罐区液位监测"},
	"energy":        {"光伏组件 EL 检测线", "储能电站监控系统", "风机状态监测"},
	"healthcare":    {"医疗器械 UDI 追溯", "洁净车间环境监测"},
	"construction":  {"智慧工地平台", "塔吊安全监控"},
	"logistics":     {"园区无人叉车试点", "分拣线自动化改造"},
	"government":    {"园区智慧能源管理", "城市道路视频监测"},
}

var genericDeals = []string{"数字化工厂规划咨询", "生产数据看板", "设备管理系统", "能耗在线监测"}

// Products we send samples of: sensors, modules and consumables a customer
// tries on a bench (小试) and on a line (中试) before buying regularly.
var sampleProducts = []struct {
	name, unit string
	qty        float64
	odds       float64 // chance a trial step passes
}{
	{"激光位移传感器 LD-200", "台", 2, 0.92},
	{"工业相机 GC-5M 样机", "台", 1, 0.9},
	{"耐磨陶瓷衬板 AL-92", "块", 20, 0.8},
	{"高温密封圈 HT-80", "件", 50, 0.85},
	{"防腐涂料 ZC-301", "kg", 25, 0.75},
	{"伺服驱动器 SV-750", "台", 2, 0.95},
	{"导热界面材料 TIM-6", "kg", 5, 0.8},
}

var (
	smallPass = []string{"样品安装调试顺利，精度满足工艺要求，客户技术部同意进入中试。", "实验室测试各项指标达标，与现用进口件性能相当。",
		"小批量上机 48 小时无异常，客户品管确认检测报告。", "耐温、耐磨测试通过，客户希望扩大试用范围。"}
	pilotPass = []string{"中试线连续运行两周，良率提升 1.8 个百分点。", "产线试用 500 小时稳定，维护周期明显延长。",
		"中试批次性能稳定，客户生产部签字确认。", "替换后单件成本下降约 12%，采购部启动供应商准入。"}
	purchaseNotes = []string{"首单 30 台，年框协议谈判中。", "已纳入合格供应商名录，首批订单下达。", "月用量约 2 吨，签订年度供货协议。", "首单到货验收合格，二期按月滚动下单。"}
	failReasons   = []string{"客户工况温度超出样品耐受范围，暂停试用。", "精度在高速工况下不达标，客户维持原供应商。",
		"价格高于客户预算约 15%，对方转向国产低价方案。", "客户产线改造延期，试样中止。", "中试批次出现一致性问题，客户要求整改后再议。"}
	demoResults = []string{"客户技术负责人现场确认方案可行，要求补充案例资料。", "演示效果良好，客户希望安排第二轮高层汇报。",
		"试用期内问题已全部闭环，客户认可系统稳定性。", "试车数据达到合同指标，客户签字确认。", "认证审核通过，证书待发。"}
	winners = []string{"西门子（中国）有限公司", "海康威视数字技术股份有限公司", "研华科技（中国）有限公司", "汇川技术股份有限公司", "本地集成商"}
)

// presales loads the pre-sales demo (after the pool step: only customers
// that still have an owner get deals).
func (l *loader) presales(ctx context.Context, _ int) error {
	pl := &presalesLoader{loader: l, f: zhdata.New(Seed, 7), changes: map[string][]time.Time{}, closed: map[string]time.Time{}}
	custs, err := pl.ownedCustomers(ctx)
	if err != nil {
		return err
	}
	pipelines, err := pl.pipelines(ctx)
	if err != nil {
		return err
	}
	if pipelines["project"] == "" || pipelines["contact"] == "" {
		return nil // an installation without the shipped pipelines: no deals
	}
	var opps []dealPlan
	for ri, rep := range l.o.reps {
		mine := custs[rep.id]
		for i := 0; i < 3 && i < len(mine); i++ {
			d := pl.planDeal(ri*3+i, mine[i], pipelines)
			if err := pl.createDeal(ctx, &d); err != nil {
				return fmt.Errorf("opportunity %s: %w", d.name, err)
			}
			opps = append(opps, d)
		}
	}
	if err := pl.bids(ctx, opps); err != nil {
		return err
	}
	if err := pl.samples(ctx, custs, opps); err != nil {
		return err
	}
	if err := pl.appointments(ctx, opps); err != nil {
		return err
	}
	return pl.backdate(ctx)
}

func (pl *presalesLoader) ownedCustomers(ctx context.Context) (map[string][]ownedCustomer, error) {
	reps := map[string]*user{}
	for _, r := range pl.o.reps {
		reps[r.id] = r
	}
	rows, err := pl.a.DB.R().QueryContext(ctx, `SELECT id, name, coalesce(industry, ''), owner_id FROM customers WHERE owner_id IS NOT NULL AND deleted_at IS NULL ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]ownedCustomer{}
	for rows.Next() {
		var c ownedCustomer
		var owner string
		if err := rows.Scan(&c.id, &c.name, &c.industry, &owner); err != nil {
			return nil, err
		}
		if c.rep = reps[owner]; c.rep != nil {
			out[owner] = append(out[owner], c)
		}
	}
	return out, rows.Err()
}

func (pl *presalesLoader) pipelines(ctx context.Context) (map[string]string, error) {
	rows, err := pl.a.DB.R().QueryContext(ctx, `SELECT code, id FROM pipelines WHERE deleted_at IS NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, id string
		if err := rows.Scan(&code, &id); err != nil {
			return nil, err
		}
		out[code] = id
	}
	return out, rows.Err()
}

// dealPlan is one demo opportunity: where it should end up.
type dealPlan struct {
	id, name, pipeline string
	cust               ownedCustomer
	target             string // stage code to reach
	outcome            string // open, won, lost
	created            time.Time
	amount             int64
}

var (
	projectTargets = []string{"acquired", "evaluation", "solution_design", "bid_preparation", "bid_review", "negotiation", "signed", "evaluation", "solution_design", "bid_preparation"}
	contactTargets = []string{"contact", "inquiry", "tracking", "tender", "bidding", "implementation"}
)

func (pl *presalesLoader) planDeal(n int, c ownedCustomer, pipelines map[string]string) dealPlan {
	f := pl.f
	d := dealPlan{cust: c, created: pl.daysAgo(pl.rnd(25, 200)), outcome: "open"}
	names := dealNames[c.industry]
	if len(names) == 0 {
		names = genericDeals
	}
	d.name = zhdata.One(f, names)
	if n%3 == 2 {
		d.pipeline = pipelines["contact"]
		d.target = contactTargets[n/3%len(contactTargets)]
	} else {
		d.pipeline = pipelines["project"]
		d.target = projectTargets[(n-n/3)%len(projectTargets)]
	}
	switch n % 9 {
	case 4:
		d.outcome = "won"
		if d.pipeline == pipelines["project"] {
			d.target = "signed"
		} else {
			d.target = "implementation"
		}
	case 7:
		d.outcome = "lost"
	}
	d.amount = int64(5+f.R.IntN(60)) * 10_000 * 100 // 5–65 万元, in 分
	return d
}

// createDeal creates the opportunity as its rep and moves it stage by
// stage to its target through the gates; the solution review, which needs
// a reviewed solution, is skipped by the region's manager (a manager's
// right). A gate that refuses ends the walk where it is.
func (pl *presalesLoader) createDeal(ctx context.Context, d *dealPlan) error {
	f := pl.f
	rep := d.cust.rep
	rec := entity.Record{"name": d.name, "customer_id": d.cust.id, "pipeline_id": d.pipeline, "amount": d.amount, "currency": "CNY",
		"expected_close_date": pl.today.AddDate(0, 0, 20+f.R.IntN(120)).Format(entity.DateLayout),
		"source":              zhdata.One(f, []string{"exhibition", "referral", "web", "conference", "phone"}),
		"business_scenario":   zhdata.One(f, []string{"产线质检依赖人工目检，夜班漏检多。", "多个厂区设备数据分散，管理层看不到实时产能。", "现有系统老旧，备件与维护记录靠纸质台账。", "客户计划新建二期产线，需要整体自动化方案。"}),
		"pain_points":         zhdata.One(f, []string{"漏检率约 3%，客诉集中在外观缺陷。", "设备非计划停机每月 20 小时以上。", "能耗居高不下，环保考核压力大。", "数据靠人工汇总，报表滞后一周。"}),
		"budget_range":        zhdata.One(f, []string{"30-50 万", "50-80 万", "80-120 万", "已列入年度预算，约 100 万"}),
		"decision_process":    zhdata.One(f, []string{"技术部评估 → 采购比价 → 总经理审批", "项目组立项 → 集团信息中心评审 → 招标", "生产副总牵头，财务总监会签"}),
		"decision_timeline":   zhdata.One(f, []string{"本季度内定方案", "年底前完成招标", "下月技术交流后决定"}),
		"next_step":           zhdata.One(f, []string{"安排技术交流会", "提交初步方案", "约见采购负责人", "准备演示环境"}),
		"next_step_due":       pl.today.AddDate(0, 0, 1+f.R.IntN(14)).Format(entity.DateLayout),
	}
	o, err := pl.a.Records.Create(ctx, rep.p, "opportunity", rec)
	if err != nil {
		return err
	}
	d.id = o.ID()
	pl.moments = append(pl.moments, moment{"opportunities", o.ID(), d.created})
	pl.events = append(pl.events, eventTime{o.ID(), "opportunity_created", d.created})
	stages, err := pl.a.Presales.Stages(ctx, pl.a.DB.R(), d.pipeline)
	if err != nil {
		return err
	}
	target := crm.FindStage(stages, d.target)
	var path []crm.Stage
	for _, st := range stages[1:] {
		if target != nil && st.Position <= target.Position && st.Code != "solution_review" {
			path = append(path, st)
		}
	}
	// The moves spread over the deal's life so far.
	gap := time.Since(d.created) * 8 / 10 / time.Duration(len(path)+1)
	times := []time.Time{d.created}
	at := d.created
	for _, st := range path {
		p := rep.p
		if st.Code == "bid_preparation" {
			p = pl.o.managers[rep.macro].p // past the solution review: the manager's skip
		}
		if _, err := pl.a.Presales.MoveStage(ctx, p, o.ID(), st.Code, 0); err != nil {
			break
		}
		at = at.Add(gap/2 + time.Duration(pl.f.R.Int64N(int64(gap))))
		times = append(times, at)
	}
	pl.changes[o.ID()] = times
	switch d.outcome {
	case "won":
		if _, err := pl.a.Presales.Win(ctx, rep.p, o.ID(), "合同已签订，首付款到账。"); err != nil {
			return err
		}
	case "lost":
		if _, err := pl.a.Presales.Lose(ctx, rep.p, o.ID(), presales.LoseInput{Reason: zhdata.One(f, []string{"price", "competitor", "budget", "timing"}),
			Note: zhdata.One(f, []string{"客户最终选择了报价更低的方案。", "项目预算被集团冻结，明年再议。", "竞争对手与客户高层关系更深。"})}); err != nil {
			return err
		}
	default:
		return nil
	}
	end := at.Add(time.Duration(pl.rnd(2, 10) * float64(24*time.Hour)))
	pl.closed[o.ID()] = end
	pl.events = append(pl.events, eventTime{o.ID(), "opportunity_" + d.outcome, end})
	return nil
}

// bids: every project deal that reached bid preparation, and contact
// deals at tender or later, answer a tender.
func (pl *presalesLoader) bids(ctx context.Context, opps []dealPlan) error {
	docs := []string{"license", "qualification", "authorization", "technical", "commercial", "price", "bond", "references"}
	late := map[string]bool{"bid_preparation": true, "bid_review": true, "negotiation": true, "signed": true, "kickoff": true, "tender": true, "bidding": true, "implementation": true}
	n := 0
	for _, d := range opps {
		if !late[d.target] {
			continue
		}
		f := pl.f
		required := slices.Clone(docs[:5+f.R.IntN(3)])
		title := d.cust.name + d.name
		if !strings.HasSuffix(title, "项目") {
			title += "项目"
		}
		rec := entity.Record{"title": title, "opportunity_id": d.id,
			"tender_no": fmt.Sprintf("ZB-%s-%04d", pl.today.Format("2006"), 101+n*7), "issuer": zhdata.One(f, []string{d.cust.name, "省公共资源交易中心", "市政府采购中心", "集团招标采购中心"}),
			"bond": int64(1+f.R.IntN(5)) * 10_000 * 100, "bid_price": d.amount * int64(90+f.R.IntN(15)) / 100,
			"qualifications": "具有独立法人资格；近三年同类项目业绩不少于 2 个；具备 ISO9001 质量体系认证。", "documents_required": required}
		at := pl.daysAgo(pl.rnd(5, 40))
		switch {
		case d.outcome == "lost":
			rec["documents_ready"], rec["review_status"], rec["result"] = required, crm.BidReviewPassed, crm.BidLost
			rec["deadline"], rec["winner"] = at, zhdata.One(f, winners)
			rec["result_note"] = zhdata.One(f, []string{"技术分第一，价格分落后。", "评标委员会更看重本地化服务。", "竞争对手报价低约 12%。"})
		case d.outcome == "won" || d.target == "negotiation" || d.target == "signed" || d.target == "implementation":
			rec["documents_ready"], rec["review_status"], rec["result"] = required, crm.BidReviewPassed, crm.BidWon
			rec["deadline"], rec["review_note"] = at, "技术、商务文件齐全，报价在授权范围内，同意投标。"
			rec["bond_returned"] = f.Chance(0.6)
		case d.target == "bid_review" || d.target == "bidding":
			rec["documents_ready"], rec["review_status"] = required, crm.BidReviewPassed
			rec["deadline"], rec["review_note"] = time.Now().Add(time.Duration(pl.rnd(3, 9)*24)*time.Hour), "同意按审定价格投标。"
		default: // preparing: documents still coming, the deadline close for some
			rec["documents_ready"] = required[:2+f.R.IntN(len(required)-2)]
			if n%2 == 0 {
				rec["deadline"] = time.Now().Add(time.Duration(pl.rnd(30, 70)) * time.Hour)
			} else {
				rec["deadline"] = time.Now().AddDate(0, 0, 8+f.R.IntN(12))
			}
		}
		b, err := pl.a.Records.Create(ctx, d.cust.rep.p, "bid", rec)
		if err != nil {
			return fmt.Errorf("bid %s: %w", rec.Str("title"), err)
		}
		reg := at.Add(-time.Duration(pl.rnd(10, 20) * float64(24*time.Hour)))
		if dl, ok := rec["deadline"].(time.Time); ok && dl.After(time.Now()) {
			reg = pl.daysAgo(pl.rnd(3, 12))
		}
		pl.moments = append(pl.moments, moment{"bids", b.ID(), reg})
		pl.events = append(pl.events, eventTime{b.ID(), "bid_registered", reg})
		switch {
		case rec.Str("result") == crm.BidWon:
			pl.events = append(pl.events, eventTime{b.ID(), "bid_won", at.Add(72 * time.Hour)})
		case rec.Str("result") == crm.BidLost:
			pl.events = append(pl.events, eventTime{b.ID(), "bid_lost_to", at.Add(72 * time.Hour)})
		}
		n++
	}
	return nil
}

// samples: about forty, some for a deal, most straight to a customer in
// an industry that tries parts and materials before buying.
func (pl *presalesLoader) samples(ctx context.Context, custs map[string][]ownedCustomer, opps []dealPlan) error {
	byCustomer := map[string]string{}
	for _, d := range opps {
		if d.outcome == "open" {
			byCustomer[d.cust.id] = d.id
		}
	}
	fit := map[string]bool{"manufacturing": true, "automotive": true, "chemicals": true, "energy": true, "construction": true, "healthcare": true}
	n := 0
	for _, rep := range pl.o.reps {
		taken := 0
		for _, c := range custs[rep.id] {
			if taken == 4 || !fit[c.industry] {
				continue
			}
			taken++
			if err := pl.sample(ctx, c, byCustomer[c.id], n); err != nil {
				return err
			}
			n++
		}
	}
	return nil
}

func (pl *presalesLoader) sample(ctx context.Context, c ownedCustomer, oppID string, n int) error {
	f := pl.f
	prod := sampleProducts[n%len(sampleProducts)]
	sent := pl.today.AddDate(0, 0, -(12 + f.R.IntN(150)))
	rec := entity.Record{"product": prod.name, "customer_id": c.id, "quantity": prod.qty, "unit": prod.unit,
		"batch": fmt.Sprintf("%s-%02d", sent.Format("0601"), 1+f.R.IntN(30)), "documents": []string{"manual", "msds", "notes", "coa"}[:2+f.R.IntN(3)],
		"sent_on": sent.Format(entity.DateLayout), "carrier": zhdata.One(f, []string{"顺丰速运", "京东物流", "德邦快递", "专人送达"}),
		"tracking_no": fmt.Sprintf("SF%013d", f.R.Int64N(1e13))}
	if oppID != "" {
		rec["opportunity_id"] = oppID
	}
	s, err := pl.a.Records.Create(ctx, c.rep.p, "sample", rec)
	if err != nil {
		return fmt.Errorf("sample %s: %w", prod.name, err)
	}
	at := sent.Add(10 * time.Hour)
	pl.moments = append(pl.moments, moment{"samples", s.ID(), at})
	pl.events = append(pl.events, eventTime{s.ID(), "sample_sent", at})
	day := sent
	steps := []struct {
		stage string
		notes []string
	}{{crm.SampleSmall, smallPass}, {crm.SamplePilot, pilotPass}, {crm.SamplePurchase, purchaseNotes}}
	for _, st := range steps {
		next := day.AddDate(0, 0, 10+f.R.IntN(30))
		if next.After(pl.today) {
			return nil // still in trial
		}
		stage, notes := st.stage, st.notes
		if !f.Chance(prod.odds) {
			stage, notes = crm.SampleFailed, failReasons
		}
		if _, err := pl.a.Presales.AdvanceSample(ctx, c.rep.p, s.ID(), presales.SampleStep{Stage: stage, On: next.Format(entity.DateLayout), Result: zhdata.One(f, notes)}); err != nil {
			return fmt.Errorf("sample %s → %s: %w", prod.name, stage, err)
		}
		pl.events = append(pl.events, eventTime{s.ID(), "sample_" + stage, next.Add(16 * time.Hour)})
		if stage == crm.SampleFailed {
			return nil
		}
		day = next
	}
	return nil
}

// appointments: demos, trials, test drives and certifications for the
// deals — most held (with a result), some planned for the coming days,
// a few cancelled.
func (pl *presalesLoader) appointments(ctx context.Context, opps []dealPlan) error {
	kinds := []struct{ kind, subject string }{
		{"demo", "方案演示与技术交流"}, {"trial", "系统试用"}, {"test_drive", "设备试车"}, {"certification", "供应商资质认证审核"}, {"demo", "样板线参观演示"},
	}
	for i, d := range opps {
		if i%3 == 2 {
			continue
		}
		f := pl.f
		k := kinds[i%len(kinds)]
		rec := entity.Record{"subject": d.name + " · " + k.subject, "kind": k.kind, "opportunity_id": d.id,
			"place": zhdata.One(f, []string{"客户现场会议室", "客户生产车间", "我司苏州展厅", "线上会议"})}
		if len(pl.o.presales) > 0 {
			rec["engineer_id"] = pl.o.presales[i%len(pl.o.presales)].id
		}
		var contacts []string
		rows, err := pl.a.DB.R().QueryContext(ctx, `SELECT id FROM contacts WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY is_primary DESC, id LIMIT 2`, d.cust.id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			contacts = append(contacts, id)
		}
		rows.Close()
		if len(contacts) > 0 {
			rec["attendees"] = contacts
		}
		var when time.Time
		switch {
		case i%7 == 3:
			when = pl.today.AddDate(0, 0, 1+f.R.IntN(10)).Add(time.Duration(9+f.R.IntN(7)) * time.Hour)
			rec["status"] = "planned"
		case i%11 == 5:
			when = pl.today.AddDate(0, 0, -(3 + f.R.IntN(30))).Add(14 * time.Hour)
			rec["status"], rec["result"] = "cancelled", "客户临时调整排产，改期待定。"
		default:
			when = pl.today.AddDate(0, 0, -(3 + f.R.IntN(60))).Add(time.Duration(9+f.R.IntN(7)) * time.Hour)
			rec["status"], rec["result"] = "done", zhdata.One(f, demoResults)
		}
		rec["scheduled_at"] = when
		a, err := pl.a.Records.Create(ctx, d.cust.rep.p, "appointment", rec)
		if err != nil {
			return fmt.Errorf("appointment %s: %w", rec.Str("subject"), err)
		}
		made := when.AddDate(0, 0, -(2 + f.R.IntN(10)))
		if made.After(time.Now()) {
			made = time.Now().Add(-time.Hour)
		}
		pl.moments = append(pl.moments, moment{"appointments", a.ID(), made})
		if rec.Str("status") == "done" {
			pl.events = append(pl.events, eventTime{a.ID(), "appointment_" + k.kind + "_done", when.Add(2 * time.Hour)})
		}
	}
	return nil
}

// backdate gives the pre-sales records and their customer-report lines
// their real times, and the stage history its real dates (with the time
// spent in each stage).
func (pl *presalesLoader) backdate(ctx context.Context) error {
	now := time.Now()
	clamp := func(t time.Time) time.Time {
		if t.After(now) {
			return now.Add(-time.Minute)
		}
		return t.UTC()
	}
	// A record was last changed at its latest event.
	last := map[string]time.Time{}
	for _, ev := range pl.events {
		if at := clamp(ev.at); at.After(last[ev.recordID]) {
			last[ev.recordID] = at
		}
	}
	for opp, times := range pl.changes {
		if t := times[len(times)-1]; t.After(last[opp]) {
			last[opp] = t
		}
	}
	return pl.a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
		for _, m := range pl.moments {
			updated := m.at
			if t := last[m.id]; t.After(updated) {
				updated = t
			}
			if _, err := tx.ExecContext(ctx, `UPDATE `+m.table+` SET created_at = $1, updated_at = $2 WHERE id = $3`, clamp(m.at), clamp(updated), m.id); err != nil {
				return err
			}
		}
		for _, ev := range pl.events {
			if _, err := tx.ExecContext(ctx, `UPDATE timeline SET at = $1 WHERE record_id = $2 AND kind = $3`, clamp(ev.at), ev.recordID, ev.kind); err != nil {
				return err
			}
		}
		for opp, times := range pl.changes {
			ids, err := idsOf(ctx, tx, `SELECT id FROM stage_changes WHERE opportunity_id = $1 ORDER BY changed_at, id`, opp)
			if err != nil {
				return err
			}
			for i, id := range ids {
				if i >= len(times) {
					break
				}
				var secs any
				if i > 0 {
					secs = int64(times[i].Sub(times[i-1]) / time.Second)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE stage_changes SET changed_at = $1, created_at = $1, seconds_in_stage = $2 WHERE id = $3`, clamp(times[i]), secs, id); err != nil {
					return err
				}
			}
			// The customer report's stage lines, one per move, in order.
			evs, err := idsOf(ctx, tx, `SELECT id FROM timeline WHERE record_id = $1 AND kind = 'opportunity_stage' ORDER BY at, id`, opp)
			if err != nil {
				return err
			}
			for i, id := range evs {
				if i+1 < len(times) {
					if _, err := tx.ExecContext(ctx, `UPDATE timeline SET at = $1 WHERE id = $2`, clamp(times[i+1]), id); err != nil {
						return err
					}
				}
			}
			if n := min(len(ids), len(times)); n > 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE opportunities SET stage_entered_at = $1 WHERE id = $2`, clamp(times[n-1]), opp); err != nil {
					return err
				}
			}
			if at, ok := pl.closed[opp]; ok {
				if _, err := tx.ExecContext(ctx, `UPDATE opportunities SET closed_at = $1 WHERE id = $2`, clamp(at), opp); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// idsOf runs a query of one id column.
func idsOf(ctx context.Context, tx *store.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
