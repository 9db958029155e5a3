package demo

import (
	"context"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/fulfilment"
)

// The fulfilment part of the demo: orders at every step (confirmed,
// reserved, a delivery planned, in transit with tracking, signed in full,
// signed with a shortfall and damage that opened supply problems, partly
// delivered, cancelled), supply problems logged by hand and followed to
// resolution, and installation, commissioning and training tasks for the
// service engineers — one accepted by the customer through its link. Made
// from signed contracts where the contracts part made some, typed in
// otherwise; everything through the services.

// fulfilmentProducts are the goods and services orders are typed from when the
// catalogue is empty.
var fulfilmentProducts = []struct {
	sku, name, spec, unit, kind string
	price, stock                int64
}{
	{"FL-SEN-200", "激光位移传感器", "LK-G5000 / 量程 ±5 mm", "台", "goods", 1130000, 40},
	{"FL-CAM-12M", "工业面阵相机", "1200 万像素 GigE", "台", "goods", 860000, 30},
	{"FL-CAB-42U", "42U 标准机柜", "600×1000 mm", "台", "goods", 250000, 24},
	{"FL-PLC-S7", "PLC 控制器", "CPU 1215C DC/DC/DC", "套", "goods", 420000, 15},
	{"FL-CBL-20", "屏蔽信号电缆", "RVVP 4×0.5 mm²，20 米/卷", "卷", "goods", 36000, 200},
	{"FL-SRV-INS", "现场安装调试服务", "按人天计", "人天", "service", 250000, 0},
}

type fulLoader struct {
	*loader
	coord     *user
	engineers []*user
	products  []entity.Record
}

func (l *loader) fulfilment(ctx context.Context, _ int) error {
	fl := &fulLoader{loader: l}
	for _, u := range l.o.all {
		switch {
		case u.p.HasRole(access.RoleDelivery) && fl.coord == nil:
			fl.coord = u
		case u.p.HasRole(access.RoleService):
			fl.engineers = append(fl.engineers, u)
		}
	}
	if fl.coord == nil || len(fl.engineers) == 0 {
		return nil
	}
	if err := fl.catalogue(ctx); err != nil {
		return err
	}
	custs, err := fl.customers(ctx, 8)
	if err != nil || len(custs) == 0 {
		return err
	}
	contracts, err := fl.signedContracts(ctx)
	if err != nil {
		return err
	}
	for i, c := range custs {
		o, err := fl.order(ctx, i, c, contracts)
		if err != nil {
			return fmt.Errorf("order for %s: %w", c[1], err)
		}
		if err := fl.play(ctx, i, o); err != nil {
			return fmt.Errorf("order %s: %w", o.Str("number"), err)
		}
	}
	return nil
}

// catalogue uses the goods and services already there, or adds a few.
func (fl *fulLoader) catalogue(ctx context.Context) error {
	pe := fl.a.DB.Schema().Entity("product")
	have, err := fl.a.DB.ListWhere(ctx, pe, "t.deleted_at IS NULL AND t.active = TRUE", nil, "t.sku", 50)
	if err != nil {
		return err
	}
	goods, service := 0, 0
	for _, p := range have {
		if p.Str("kind") == "goods" {
			goods++
		} else {
			service++
		}
	}
	if goods >= 4 && service >= 1 {
		fl.products = have
		return nil
	}
	for _, dp := range fulfilmentProducts {
		p, err := fl.a.Records.Create(ctx, fl.o.admin.p, "product", entity.Record{"sku": dp.sku, "name": dp.name, "spec": dp.spec, "unit": dp.unit, "kind": dp.kind,
			"list_price": dp.price, "stock_qty": dp.stock, "category": map[string]string{"goods": "hardware", "service": "service"}[dp.kind]})
		if err != nil {
			return fmt.Errorf("product %s: %w", dp.sku, err)
		}
		fl.products = append(fl.products, p)
	}
	return nil
}

func (fl *fulLoader) product(kind string, n int) entity.Record {
	var of []entity.Record
	for _, p := range fl.products {
		if p.Str("kind") == kind {
			of = append(of, p)
		}
	}
	if len(of) == 0 {
		return nil
	}
	return of[n%len(of)]
}

// customers picks customers held by reps, those with a signed contract
// first, then won ones: [id, name].
func (fl *fulLoader) customers(ctx context.Context, n int) ([][2]string, error) {
	rows, err := fl.a.DB.R().QueryContext(ctx, `SELECT c.id, c.name FROM customers c WHERE c.owner_id IS NOT NULL AND c.deleted_at IS NULL
		ORDER BY CASE WHEN EXISTS (SELECT 1 FROM contracts k WHERE k.customer_id = c.id AND k.status IN ($2, $3) AND k.deleted_at IS NULL) THEN 0 ELSE 1 END,
		CASE c.status WHEN 'won' THEN 0 WHEN 'intent' THEN 1 ELSE 2 END, c.created_at, c.id LIMIT $1`, n, crm.ContractSigned, crm.ContractInExecution)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var c [2]string
		if err := rows.Scan(&c[0], &c[1]); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// signedContracts are the contracts the contracts part signed, by customer.
func (fl *fulLoader) signedContracts(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	rows, err := fl.a.DB.R().QueryContext(ctx, `SELECT id, customer_id FROM contracts WHERE status IN ($1, $2) AND deleted_at IS NULL ORDER BY created_at, id`,
		crm.ContractSigned, crm.ContractInExecution)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, cust string
		if err := rows.Scan(&id, &cust); err != nil {
			return nil, err
		}
		if out[cust] == "" {
			out[cust] = id
		}
	}
	return out, rows.Err()
}

// order makes the i-th order: from the customer's signed contract when
// there is one with a quote, typed in otherwise.
func (fl *fulLoader) order(ctx context.Context, i int, c [2]string, contracts map[string]string) (entity.Record, error) {
	p := fl.coord.p
	req := fl.today.AddDate(0, 0, 7+i*3).Format(entity.DateLayout)
	if ct := contracts[c[0]]; ct != "" {
		var lines int
		_ = fl.a.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM quote_lines l JOIN contracts c ON c.quote_id = l.quote_id WHERE c.id = $1`, ct).Scan(&lines)
		if lines > 0 {
			return fl.a.Fulfilment.CreateOrder(ctx, p, fulfilment.OrderInput{Order: entity.Record{"contract_id": ct, "requested_date": req}})
		}
	}
	var lines []entity.Record
	for k := 0; k < 2+i%2; k++ {
		pr := fl.product("goods", i+k)
		lines = append(lines, entity.Record{"product_id": pr.ID(), "quantity": int64(2 + (i+k)%4), "unit_price": pr.Int("list_price") * 113 / 100})
	}
	if i%3 == 1 {
		if sv := fl.product("service", i); sv != nil {
			lines = append(lines, entity.Record{"product_id": sv.ID(), "quantity": int64(2), "unit_price": sv.Int("list_price") * 106 / 100})
		}
	}
	rec := entity.Record{"customer_id": c[0], "requested_date": req, "receiver_name": fl.f.Person().Name(), "receiver_phone": fl.f.Mobile()}
	if ct := contracts[c[0]]; ct != "" {
		rec["contract_id"] = ct
	}
	return fl.a.Fulfilment.CreateOrder(ctx, p, fulfilment.OrderInput{Order: rec, Lines: lines})
}

var carriers = []string{"顺丰速运", "德邦物流", "中通快运", "京东物流", "自有车辆"}

// play takes the i-th order through its story.
func (fl *fulLoader) play(ctx context.Context, i int, o entity.Record) error {
	p, svc := fl.coord.p, fl.a.Fulfilment
	story := i % 8
	if story == 0 {
		return nil // confirmed, waiting for stock
	}
	if story == 7 {
		_, err := svc.Cancel(ctx, p, o.ID(), 0, "客户项目延期至明年，取消本批订货")
		return err
	}
	if _, err := svc.Reserve(ctx, p, o.ID(), 0); err != nil {
		return err
	}
	if story == 1 {
		return nil
	}
	carrier := carriers[i%len(carriers)]
	plan := entity.Record{"order_id": o.ID(), "planned_date": fl.today.AddDate(0, 0, 1).Format(entity.DateLayout), "carrier": carrier,
		"tracking_no": fmt.Sprintf("%s%010d", map[bool]string{true: "SF", false: "DPK"}[i%2 == 0], 3141592653+int64(i)*7919),
		"packaging":   "木箱 + 防震泡棉", "package_count": int64(2 + i%3)}
	var lines []entity.Record
	if story == 6 {
		// Half now, the rest later.
		_, ls, err := svc.Order(ctx, p, o.ID())
		if err != nil {
			return err
		}
		for _, l := range ls {
			if q := l.Int("quantity") / 2; q > 0 && l.Str("product_id") != "" && fl.kindOf(l.Str("product_id")) == "goods" {
				lines = append(lines, entity.Record{"order_line_id": l.ID(), "quantity": q})
			}
		}
	}
	d, err := svc.CreateDelivery(ctx, p, fulfilment.DeliveryInput{Delivery: plan, Lines: lines})
	if err != nil {
		return err
	}
	if err := fl.batches(ctx, d, i); err != nil {
		return err
	}
	if story == 2 {
		return nil // planned
	}
	if _, err := svc.Track(ctx, p, d.ID(), fulfilment.TrackInput{Status: crm.DeliveryShipped, Note: "仓库出库，已交承运商"}); err != nil {
		return err
	}
	if _, err := svc.Track(ctx, p, d.ID(), fulfilment.TrackInput{Status: crm.DeliveryInTransit, Location: "合肥转运中心", Note: "已到达分拨中心"}); err != nil {
		return err
	}
	link, err := svc.SignOffLink(ctx, p, d.ID(), 0)
	if err != nil {
		return err
	}
	if story == 3 {
		return nil // in transit, the receiver has the link
	}
	if _, err := svc.Track(ctx, p, d.ID(), fulfilment.TrackInput{Status: crm.DeliveryDelivered, Note: "已送达客户仓库"}); err != nil {
		return err
	}
	_, dl, _, err := svc.Delivery(ctx, p, d.ID())
	if err != nil {
		return err
	}
	in := fulfilment.SignOffInput{Name: fl.f.Person().Name(), Phone: fl.f.Mobile(), Remarks: "外包装完好，已入库"}
	for k, l := range dl {
		r := fulfilment.ReceiptInput{LineID: l.ID(), Received: fmt.Sprint(l.Int("quantity"))}
		if story == 5 {
			switch k {
			case 0:
				r.Received, r.Remark = fmt.Sprint(max(l.Int("quantity")-1, 0)), "少一台，箱内缺件"
			case 1:
				r.Issue, r.Remark = crm.IssueDamage, "外箱受潮，一台外壳变形"
				r.Received = fmt.Sprint(max(l.Int("quantity")-1, 0))
			}
		}
		in.Lines = append(in.Lines, r)
	}
	if story == 5 {
		in.Remarks = "部分货物有问题，详见明细"
	}
	if _, err := svc.SignOff(ctx, link.Token, "203.0.113."+fmt.Sprint(10+i), in); err != nil {
		return err
	}
	switch story {
	case 4:
		return fl.tasks(ctx, o, d, true)
	case 5:
		return fl.problems(ctx, o, d)
	case 6:
		if _, err := svc.CreateDelivery(ctx, p, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": o.ID(), "planned_date": fl.today.AddDate(0, 0, 10).Format(entity.DateLayout), "carrier": carrier}}); err != nil {
			return err
		}
		return fl.tasks(ctx, o, d, false)
	}
	return nil
}

func (fl *fulLoader) kindOf(productID string) string {
	for _, p := range fl.products {
		if p.ID() == productID {
			return p.Str("kind")
		}
	}
	return ""
}

// batches gives a delivery's lines their batch and production date.
func (fl *fulLoader) batches(ctx context.Context, d entity.Record, i int) error {
	_, lines, _, err := fl.a.Fulfilment.Delivery(ctx, fl.coord.p, d.ID())
	if err != nil {
		return err
	}
	for k, l := range lines {
		made := fl.today.AddDate(0, 0, -20-k*3-i)
		if _, err := fl.a.Records.Update(ctx, fl.coord.p, "delivery_line", l.ID(), 0, entity.Record{
			"batch_no": made.Format("B060102") + fmt.Sprintf("-%02d", k+1), "production_date": made.Format(entity.DateLayout)}); err != nil {
			return err
		}
	}
	return nil
}

// tasks plans installation and training; done and accepted, or still to come.
func (fl *fulLoader) tasks(ctx context.Context, o, d entity.Record, finished bool) error {
	p, svc := fl.coord.p, fl.a.Fulfilment
	eng := fl.engineers[0]
	start := fl.today.Add(9*time.Hour).AddDate(0, 0, 2)
	if finished {
		start = fl.today.Add(9*time.Hour).AddDate(0, 0, -1)
	}
	inst, err := fl.a.Records.Create(ctx, p, "service_task", entity.Record{"title": "视觉检测工位安装调试", "kind": crm.TaskInstallation, "delivery_id": d.ID(),
		"engineer_id": eng.id, "scheduled_start": start.UTC(), "scheduled_end": start.Add(8 * time.Hour).UTC(), "location": "客户现场 B3 车间",
		"description": "设备就位、接线、通电与联机调试"})
	if err != nil {
		return err
	}
	trainer := fl.engineers[len(fl.engineers)-1]
	if _, err := fl.a.Records.Create(ctx, p, "service_task", entity.Record{"title": "操作与维护培训", "kind": crm.TaskTraining, "order_id": o.ID(),
		"engineer_id": trainer.id, "scheduled_start": start.AddDate(0, 0, 3).UTC(), "scheduled_end": start.AddDate(0, 0, 3).Add(3 * time.Hour).UTC(),
		"location": "客户培训室", "description": "面向操作工与设备科，约 12 人"}); err != nil {
		return err
	}
	if !finished {
		_, err := svc.StepTask(ctx, eng.p, inst.ID(), fulfilment.TaskStepInput{Step: crm.TaskStepStart})
		return err
	}
	_, items, err := svc.Task(ctx, eng.p, inst.ID())
	if err != nil {
		return err
	}
	if _, err := svc.StepTask(ctx, eng.p, inst.ID(), fulfilment.TaskStepInput{Step: crm.TaskStepStart}); err != nil {
		return err
	}
	for _, it := range items {
		if _, err := svc.CheckItem(ctx, eng.p, inst.ID(), it.ID(), true); err != nil {
			return err
		}
	}
	if _, err := svc.StepTask(ctx, eng.p, inst.ID(), fulfilment.TaskStepInput{Step: crm.TaskStepDone, Result: "设备安装到位，联机测试 200 件检出率 99.5%，已交付使用"}); err != nil {
		return err
	}
	link, err := svc.AcceptanceLink(ctx, eng.p, inst.ID(), 0)
	if err != nil {
		return err
	}
	_, err = svc.Accept(ctx, link.Token, "198.51.100.23", fulfilment.AcceptInput{Accept: true, Name: fl.f.Person().Name(), Remarks: "安装规范，培训到位，验收通过"})
	return err
}

// problems follows the sign-off's problems and logs two more by hand.
func (fl *fulLoader) problems(ctx context.Context, o, d entity.Record) error {
	p, svc := fl.coord.p, fl.a.Fulfilment
	pe := fl.a.DB.Schema().Entity("supply_problem")
	auto, err := fl.a.DB.ListWhere(ctx, pe, "t.delivery_id = $1 AND t.deleted_at IS NULL", []any{d.ID()}, "t.number", 10)
	if err != nil {
		return err
	}
	for k, sp := range auto {
		if _, err := svc.StepProblem(ctx, p, sp.ID(), fulfilment.ProblemInput{Step: crm.ProblemStepStart}); err != nil {
			return err
		}
		if k == 0 {
			if _, err := svc.StepProblem(ctx, p, sp.ID(), fulfilment.ProblemInput{Step: crm.ProblemStepResolve, Resolution: "已补发缺少的 1 台，随下一批发出",
				RootCause: "logistics", RootCauseNote: "装箱清点漏装，仓库已增加出库复核"}); err != nil {
				return err
			}
		}
	}
	if _, err := fl.a.Records.Create(ctx, p, "supply_problem", entity.Record{"title": "第二批相机成像偏暗", "kind": crm.ProblemQuality, "severity": "high", "order_id": o.ID(),
		"description": "客户品管反馈第二批相机在同一光源下成像偏暗，疑似批次差异", "due_date": fl.today.AddDate(0, 0, 5).Format(entity.DateLayout)}); err != nil {
		return err
	}
	var owner string
	_ = fl.a.DB.R().QueryRowContext(ctx, `SELECT owner_id FROM customers WHERE id = $1`, o.Str("customer_id")).Scan(&owner)
	for _, r := range fl.o.reps {
		if r.id == owner {
			_, err := fl.a.Records.Create(ctx, r.p, "supply_problem", entity.Record{"title": "发票抬头与合同不一致", "kind": crm.ProblemInvoice, "severity": "medium",
				"order_id": o.ID(), "description": "客户财务要求按合同甲方全称重开发票"})
			return err
		}
	}
	return nil
}
