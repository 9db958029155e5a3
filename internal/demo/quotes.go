package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/entity"
	"closeloop/internal/quotes"
	"closeloop/internal/store"
)

// The quote part of the demo: a catalogue a Chinese automation supplier
// would keep — equipment by the unit, software licences, materials by the
// kilogram, services by the person-day — with price lists for A and B
// customers and one key account, and quotes on open deals at every step:
// drafts, waiting for the manager's approval of a discount, approved,
// sent, accepted, rejected, expired, and one revised after the customer
// asked for a better price. Everything goes through the quote and
// approval services; times are moved into the past afterwards.

var demoProducts = []struct {
	sku, name, spec, unit, category, kind string
	price, tax                            int64
}{
	{"HW-IPC-610", "工业控制计算机 IPC-610", "i7-12700/32GB/1TB SSD，4U 上架", "台", "hardware", "goods", 1_680_000, 1300},
	{"HW-CAM-5M", "工业相机 GC-5M", "500 万像素，GigE，全局快门", "台", "hardware", "goods", 860_000, 1300},
	{"HW-LD-200", "激光位移传感器 LD-200", "量程 ±50mm，重复精度 2μm", "台", "hardware", "goods", 1_250_000, 1300},
	{"HW-SV-750", "伺服驱动器 SV-750", "750W，EtherCAT 总线", "台", "hardware", "goods", 356_000, 1300},
	{"HW-AGV-P1", "潜伏式 AGV 搬运机器人", "载重 1t，激光 SLAM 导航", "台", "hardware", "goods", 12_800_000, 1300},
	{"HW-GW-4G", "边缘数据采集网关", "8 路 RS485，4G/以太网，Modbus/OPC UA", "台", "hardware", "goods", 420_000, 1300},
	{"SW-MES-STD", "MES 制造执行系统 标准版", "永久许可，50 并发用户", "套", "software", "goods", 28_000_000, 1300},
	{"SW-VIS-RT", "视觉检测软件 运行许可", "单工位永久许可，含深度学习模块", "套", "software", "goods", 3_600_000, 1300},
	{"SW-WMS-LIC", "WMS 仓储管理系统 许可", "按仓库计，含 RF 终端 10 个", "套", "software", "goods", 15_800_000, 1300},
	{"SW-SUB-Y", "设备联网平台 年度订阅", "100 台设备/年", "年", "software", "service", 4_800_000, 600},
	{"MT-EP-128", "环氧树脂 E-128", "25kg/桶，工业级", "kg", "material", "goods", 2_850, 1300},
	{"MT-ZC-301", "防腐涂料 ZC-301", "20kg/桶，灰色", "kg", "material", "goods", 6_800, 1300},
	{"MT-TIM-6", "导热界面材料 TIM-6", "6 W/m·K，1kg/罐", "kg", "material", "goods", 128_000, 1300},
	{"SP-SEAL-80", "高温密封圈 HT-80", "氟橡胶，耐温 250℃", "件", "spare_part", "goods", 4_500, 1300},
	{"SV-INST", "现场安装调试服务", "工程师上门，按人天计", "人天", "service", "service", 280_000, 600},
	{"SV-TRAIN", "操作与维护培训", "每期 2 天，不超过 20 人", "期", "service", "service", 1_200_000, 600},
	{"SV-IMPL", "MES 实施服务", "需求调研、配置、上线支持", "人天", "service", "service", 320_000, 600},
}

// quotePlan says how far a demo quote goes.
type quotePlan struct {
	to       string // draft, in_approval, approved, sent, accepted, rejected, expired, revised
	discount int64  // basis points on the main line
	lines    []int  // indexes into demoProducts (the first is the main line)
	qty      []int64
}

var quotePlans = []quotePlan{
	{"accepted", 300, []int{6, 16, 15, 0}, []int64{1, 40, 6, 2}},
	{"sent", 500, []int{1, 7, 2, 14}, []int64{6, 6, 4, 8}},
	{"in_approval", 1200, []int{4, 8, 15}, []int64{8, 1, 10}},
	{"approved", 800, []int{5, 9, 14}, []int64{30, 1, 5}},
	{"draft", 0, []int{10, 11, 13}, []int64{2000, 800, 300}},
	{"rejected", 400, []int{3, 0, 14}, []int64{12, 1, 4}},
	{"revised", 600, []int{6, 16, 15}, []int64{1, 60, 4}},
	{"expired", 200, []int{12, 13}, []int64{50, 500}},
	{"in_approval", 1800, []int{7, 1, 14}, []int64{4, 4, 6}},
	{"sent", 0, []int{9, 5}, []int64{2, 20}},
	{"accepted", 500, []int{10, 11}, []int64{5000, 1200}},
	{"draft", 300, []int{4, 15, 16}, []int64{3, 6, 10}},
}

var quoteTerms = struct {
	delivery, payment, service, afterSales []string
}{
	delivery:   []string{"合同签订后 30 个工作日内交货", "预付款到账后 45 天内发货，分两批交付", "现货，合同签订后 7 天内发货"},
	payment:    []string{"预付 30%，到货验收后 60%，质保金 10% 一年后支付", "预付 50%，发货前付清", "月结 60 天，凭增值税专用发票付款"},
	service:    []string{"含现场安装调试与操作培训（2 天）；提供中文操作手册与维护手册", "含系统部署、数据迁移与上线首月驻场支持", "含送货上门，不含安装"},
	afterSales: []string{"整机质保 12 个月，7×24 小时电话支持，4 小时响应、24 小时到场（华东地区）", "软件免费升级 1 年，之后按年度服务费 15% 续保", "质量问题 30 天内包换"},
}

var rejectReasons = []string{"客户预算压缩，项目推迟到明年", "竞争对手报价低 12%，客户选择对方方案"}

func (l *loader) quotes(ctx context.Context, _ int) error {
	ql := &presalesLoader{loader: l}
	admin := l.o.admin.p
	var products []entity.Record
	for _, p := range demoProducts {
		r, err := l.a.Records.Create(ctx, admin, "product", entity.Record{"sku": p.sku, "name": p.name, "spec": p.spec, "unit": p.unit,
			"category": p.category, "kind": p.kind, "list_price": p.price, "tax_rate_bp": p.tax, "stock_qty": int64(20 + l.f.R.IntN(200)),
			"description": p.name + "，" + p.spec})
		if err != nil {
			return fmt.Errorf("product %s: %w", p.sku, err)
		}
		products = append(products, r)
	}
	// Price lists: A and B customers, and the largest deal's customer.
	lists := []struct {
		code, name, level string
		pct               int64 // % of the list price
	}{{"LV-A-2026", "A 类客户 2026 年价格表", "A", 92}, {"LV-B-2026", "B 类客户 2026 年价格表", "B", 96}}
	year := l.today.Format("2006")
	for _, pl := range lists {
		list, err := l.a.Records.Create(ctx, admin, "price_list", entity.Record{"name": pl.name, "code": pl.code, "customer_level": pl.level,
			"valid_from": year + "-01-01", "valid_to": year + "-12-31", "notes": "年度协议价，按标准价折算后取整到元"})
		if err != nil {
			return err
		}
		for i, p := range products {
			if i%3 == 2 {
				continue // not every product has a level price
			}
			price := p.Int("list_price") * pl.pct / 100 / 100 * 100
			if _, err := l.a.Records.Create(ctx, admin, "price_list_item", entity.Record{"price_list_id": list.ID(), "product_id": p.ID(), "unit_price": price}); err != nil {
				return err
			}
		}
	}
	// Open deals of the reps, for quotes.
	rows, err := l.a.DB.R().QueryContext(ctx, `SELECT o.id, o.owner_id FROM opportunities o WHERE o.status = 'open' AND o.deleted_at IS NULL ORDER BY o.created_at, o.id`)
	if err != nil {
		return err
	}
	type deal struct{ id, owner string }
	var deals []deal
	for rows.Next() {
		var d deal
		if err := rows.Scan(&d.id, &d.owner); err != nil {
			rows.Close()
			return err
		}
		deals = append(deals, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	byID := map[string]*user{}
	for _, u := range l.o.all {
		byID[u.id] = u
	}
	for i, plan := range quotePlans {
		if i >= len(deals) {
			break
		}
		rep := byID[deals[i].owner]
		if rep == nil {
			continue
		}
		if err := ql.quote(ctx, rep, deals[i].id, plan, products, byID, i); err != nil {
			return fmt.Errorf("quote %d (%s): %w", i+1, plan.to, err)
		}
	}
	return ql.backdate(ctx)
}

// quote creates one demo quote and takes it to its planned status.
func (ql *presalesLoader) quote(ctx context.Context, rep *user, oppID string, plan quotePlan, products []entity.Record, users map[string]*user, n int) error {
	a := ql.a
	created := ql.daysAgo(float64(2+(n*2)%20) + 0.3)
	// The quote's clock is its day: numbers, validity, submission and
	// sending dates as they were (the approvals' times are moved below).
	a.Quotes.SetClock(func() time.Time { return created })
	defer a.Quotes.SetClock(store.Now)
	def, err := a.Quotes.Defaults(ctx, rep.p, oppID, "")
	if err != nil {
		return err
	}
	def["title"] = def.Str("title") + " 报价"
	def["delivery_period"] = quoteTerms.delivery[n%3]
	def["payment_terms"] = quoteTerms.payment[n%3]
	def["service_content"] = quoteTerms.service[n%3]
	def["after_sales_terms"] = quoteTerms.afterSales[n%3]
	def["notes"] = "报价含 13% 增值税（服务类 6%）；报价有效期内价格锁定。"
	var lines []entity.Record
	for j, pi := range plan.lines {
		l := entity.Record{"product_id": products[pi].ID(), "quantity": plan.qty[j]}
		if j == 0 {
			l["discount_bp"] = plan.discount
		} else if plan.discount > 0 {
			l["discount_bp"] = min(plan.discount, int64(300))
		}
		lines = append(lines, l)
	}
	if plan.discount > 500 {
		def["discount_reason"] = []string{"客户为行业标杆，首单战略让利，后续二期规模更大", "竞品报价低约 8%，需匹配价格保住份额", "批量采购，客户承诺年度框架协议"}[n%3]
	}
	q, err := a.Quotes.Create(ctx, rep.p, quotes.Input{Quote: def, Lines: lines, SetLines: true})
	if err != nil {
		return err
	}
	id := q.Rec.ID()
	ql.moments = append(ql.moments, moment{"quotes", id, created})
	ql.events = append(ql.events, eventTime{id, "quote_created", created})
	step := func(kind string, hours float64) {
		ql.events = append(ql.events, eventTime{id, kind, created.Add(time.Duration(hours * float64(time.Hour)))})
	}
	if plan.to == "draft" {
		return nil
	}
	sub, err := a.Quotes.Submit(ctx, rep.p, id, 0, "")
	if err != nil {
		return err
	}
	if sub.Str("status") == "in_approval" {
		step("approval_submitted", 2)
		if plan.to == "in_approval" {
			return nil
		}
		// The manager approves (each step, by whoever it awaits).
		for k := 0; k < 3; k++ {
			ap, err := a.Approvals.Current(ctx, a.DB.R(), "quote", id)
			if err != nil || ap == nil || !ap.Open() || len(ap.Awaiting) == 0 {
				break
			}
			who := users[ap.Awaiting[0]]
			if who == nil {
				break
			}
			if _, err := a.Approvals.Approve(ctx, who.p, ap.ID, 0, "同意，注意控制回款周期"); err != nil {
				return err
			}
		}
		step("approval_step_approved", 10)
		step("approval_approved", 20)
	} else {
		step("quote_approved_direct", 2)
	}
	if plan.to == "approved" {
		return nil
	}
	if _, _, err := a.Quotes.Send(ctx, rep.p, id, 0); err != nil {
		return err
	}
	step("quote_sent", 26)
	switch plan.to {
	case "accepted":
		if _, err := a.Quotes.Accept(ctx, rep.p, id, 0); err != nil {
			return err
		}
		step("quote_accepted", 24*5)
	case "rejected":
		if _, err := a.Quotes.Reject(ctx, rep.p, id, 0, rejectReasons[n%2]); err != nil {
			return err
		}
		step("quote_rejected", 24*4)
	case "revised":
		if _, err := a.Quotes.Reject(ctx, rep.p, id, 0, "客户要求总价再降 3%，并增加一期培训"); err != nil {
			return err
		}
		step("quote_rejected", 24*3)
		v2, err := a.Quotes.Revise(ctx, rep.p, id, 0)
		if err != nil {
			return err
		}
		ql.moments = append(ql.moments, moment{"quotes", v2.Rec.ID(), created.Add(24 * 4 * time.Hour)})
		ql.events = append(ql.events, eventTime{v2.Rec.ID(), "quote_revised", created.Add(24 * 4 * time.Hour)})
		var in []entity.Record
		for _, l := range v2.Lines {
			in = append(in, entity.Record{"id": l.ID(), "discount_bp": min(l.Int("discount_bp")+300, int64(900))})
		}
		in = append(in, entity.Record{"product_id": products[15].ID(), "quantity": int64(1)}) // the extra training asked for
		if _, err := a.Quotes.Update(ctx, rep.p, v2.Rec.ID(), 0, quotes.Input{Quote: entity.Record{"discount_reason": "客户二轮议价：整体再让 3%，增加一期培训"}, Lines: in, SetLines: true}); err != nil {
			return err
		}
	case "expired":
		// Sent long ago and never answered: its validity ran out.
		if err := a.DB.WriteAlone(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE quotes SET valid_until = $1 WHERE id = $2`, ql.today.AddDate(0, 0, -2).Format(entity.DateLayout), id)
			return err
		}); err != nil {
			return err
		}
		if _, err := a.Quotes.ExpireDue(ctx, time.Now(), 10); err != nil {
			return err
		}
		step("quote_expired", 24*30)
	}
	return nil
}
