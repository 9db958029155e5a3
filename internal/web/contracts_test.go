package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// A contract through the web UI: typed on the generic form, its terms
// confirmed one by one, its plan proposed from shares and saved (row
// problems said at their rows), signing refused and then done, the
// hand-over acknowledged by its recipient from the home page, printed;
// every page in both languages.
func TestContractPages(t *testing.T) {
	e := newEnv(t)
	deliveryP := e.AddUser(t, "孙交付", "sun@example.com", e.Company, access.RoleDelivery)
	r := e.App.Records
	cust := e.Customer(t, e.Rep1, "宁波舟山港集团有限公司")
	ct, err := r.Create(ctx(), e.Rep1, "contact", entity.Record{"name": "毛总", "customer_id": cust.ID(), "title": "副总经理"})
	if err != nil {
		t.Fatal(err)
	}
	opp, err := r.Create(ctx(), e.Rep1, "opportunity", entity.Record{"name": "码头设备预测性维护", "customer_id": cust.ID(), "pain_points": "岸桥故障停机影响船期"})
	if err != nil {
		t.Fatal(err)
	}
	rep, dlv := e.as(t, e.Rep1), e.as(t, deliveryP)

	// The opportunity offers a contract; the generic form makes it.
	must(t, "deal page", rep.get("/opportunities/"+opp.ID()), 200, "新建合同")
	res := rep.post("/contracts/new", url.Values{"title": {"码头设备预测性维护合同"}, "customer_id": {cust.ID()}, "opportunity_id": {opp.ID()}, "amount": {"600000"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.loc, "/contracts/") {
		t.Fatalf("create: %d %s\n%s", res.status, res.loc, snippet(res.body))
	}
	id := strings.TrimPrefix(res.loc, "/contracts/")
	c := func() entity.Record {
		rec, err := r.Get(ctx(), e.Rep1, "contract", id)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	must(t, "draft", rep.get("/contracts/"+id), 200, "条款逐条确认", "尚不能签订", "还有条款未逐条确认", "回款计划", "尚未制定回款计划", "编辑回款计划", "签订合同", "附件")

	// Terms one by one.
	res = rep.post("/contracts/"+id+"/confirm-term", url.Values{"item": {"price"}, "version": {"1"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", res.status)
	}
	must(t, "confirmed", rep.follow(res), 200, "已确认：价格", "张伟 于")
	res = rep.post("/contracts/"+id+"/confirm-term", url.Values{"item": {"scope"}, "version": {"1"}})
	must(t, "stale confirmation", rep.follow(res), 200, "已被他人修改")

	// The plan: a proposal, then rows with problems, then a good plan.
	must(t, "editor", rep.get("/contracts/"+id+"/payment-plan"), 200, "按比例生成", "合同金额 600,000.00")
	must(t, "proposal", rep.post("/contracts/"+id+"/payment-plan/propose", url.Values{"percents": {"30/60/10"}, "days": {"0/90/365"}, "from": {"2026-12-01"}}), 200,
		"180000.00", "360000.00", "60000.00", "2027-12-01", "以下为按比例生成的建议")
	must(t, "bad shares", rep.post("/contracts/"+id+"/payment-plan/propose", url.Values{"percents": {"30/60"}, "days": {"0/90"}}), 422, "合计须为 100%")
	v := c().Version()
	bad := url.Values{"version": {vstr(v)}, "rows": {"4"},
		"kind_0": {"advance"}, "due_0": {"2026-12-01"}, "amount_0": {"180000"},
		"kind_1": {"on_delivery"}, "due_1": {"2026-11-01"}, "amount_1": {"三十万"},
		"kind_3": {"retention"}, "due_3": {"2027-12-01"}, "amount_3": {"60000"}}
	res = rep.post("/contracts/"+id+"/payment-plan", bad)
	must(t, "rows refused", res, 422, "计划回款日期不能早于上一期的日期", "计划金额不是有效的金额", "三十万", "请修正标红的 2 处")
	good := url.Values{"version": {vstr(v)}, "rows": {"4"},
		"kind_0": {"advance"}, "due_0": {"2026-12-01"}, "amount_0": {"180000"},
		"kind_1": {"on_delivery"}, "due_1": {"2027-03-01"}, "amount_1": {"300000"}, "condition_1": {"到货验收后 15 日内"},
		"kind_3": {"retention"}, "due_3": {"2027-12-01"}, "amount_3": {"60000"}}
	must(t, "sum off", rep.post("/contracts/"+id+"/payment-plan", good), 422, "回款计划合计 540,000.00 与合同金额 600,000.00 不一致")
	good.Set("amount_1", "360000")
	res = rep.post("/contracts/"+id+"/payment-plan", good)
	if res.status != http.StatusSeeOther {
		t.Fatalf("save plan: %d\n%s", res.status, snippet(res.body))
	}
	must(t, "plan on the contract", rep.follow(res), 200, "回款计划已保存", "第2期 到货款", "到货验收后 15 日内", "合计等于合同金额 600,000.00", "360,000.00")

	// Signing refused (terms, recipients), said in the dialog.
	res = rep.post("/contracts/"+id+"/sign", url.Values{"version": {vstr(c().Version())}, "signed_on": {"2026-11-20"}, "signer_contact_id": {ct.ID()}})
	must(t, "sign refused", res, 422, "还有条款未逐条确认", "data-autoshow")
	for _, o := range crm.ContractTermItems {
		if _, err := e.App.Contracts.ConfirmTerm(ctx(), e.Rep1, id, 0, o.Code, true); err != nil {
			t.Fatal(err)
		}
	}
	res = rep.post("/contracts/"+id+"/sign", url.Values{"version": {vstr(c().Version())}, "signed_on": {"2026-11-20"}, "signer_contact_id": {ct.ID()}})
	must(t, "no recipients", res, 422, "签订前须指定交接报告的接收人：交付负责人、售后负责人")
	if _, err := r.Update(ctx(), e.Rep1, "contract", id, 0, entity.Record{"delivery_owner_id": deliveryP.UserID, "service_owner_id": e.Service.UserID}); err != nil {
		t.Fatal(err)
	}
	must(t, "ready", rep.get("/contracts/"+id), 200, "可以签订")
	res = rep.post("/contracts/"+id+"/sign", url.Values{"version": {vstr(c().Version())}, "signed_on": {"2026-11-20"}, "signer_contact_id": {ct.ID()}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.loc, "/handovers/") {
		t.Fatalf("sign: %d %s\n%s", res.status, res.loc, snippet(res.body))
	}
	hid := strings.TrimPrefix(res.loc, "/handovers/")
	must(t, "hand-over after signing", rep.follow(res), 200, "交接报告已生成", "客户需求总结报告", "岸桥故障停机影响船期", "毛总", "待确认")
	must(t, "signed contract", rep.get("/contracts/"+id), 200, "合同已签订", "交接报告", "终止合同", "开始执行")
	if strings.Contains(rep.get("/contracts/"+id).body, "编辑回款计划") {
		t.Error("a signed plan is still editable")
	}
	res = rep.post("/contracts/"+id+"/terminate", url.Values{"version": {vstr(c().Version())}, "reason": {""}})
	must(t, "terminate without reason", res, 422, "data-autoshow", "为必填项")

	// The recipient's home page, the report, the acknowledgement.
	must(t, "delivery home", dlv.get("/"), 200, "待确认的交接", "宁波舟山港集团有限公司", "交付负责人")
	if strings.Contains(rep.get("/").body, "待确认的交接") {
		t.Error("the owner is asked to acknowledge")
	}
	must(t, "report for delivery", dlv.get("/handovers/"+hid), 200, "确认交接", "打印", "客户联系人（决策单元）", "该商机没有记录解决方案")
	must(t, "print", dlv.get("/handovers/"+hid+"/print"), 200, "客户需求总结报告 · ", "交接确认", "孙交付", "赵敏", "返回交接报告")
	res = dlv.post("/handovers/"+hid+"/acknowledge", url.Values{"version": {"1"}, "comment": {"已排期"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d\n%s", res.status, snippet(res.body))
	}
	must(t, "acknowledged", dlv.follow(res), 200, "已确认第 1 版交接报告", "已确认第 1 版", "已排期")
	if strings.Contains(dlv.get("/").body, "待确认的交接") {
		t.Error("still pending after acknowledging")
	}
	must(t, "customer page", rep.get("/customers/"+cust.ID()), 200, "交接报告", "签订合同", "生成交接报告")
	must(t, "deal page after", rep.get("/opportunities/"+opp.ID()), 200, "合同动态", "确认交接报告第 1 版")

	// English.
	for _, b := range []*browser{rep, dlv} {
		b.hdr.Set("Accept-Language", "en")
	}
	must(t, "contract in English", rep.get("/contracts/"+id), 200, "Terms confirmed item by item", "Payment plan", "Outstanding", "Terminate", "In-sales")
	must(t, "report in English", dlv.get("/handovers/"+hid), 200, "Customer needs summary", "Acknowledgements", "Promises to the customer", "Acknowledged version 1")
	must(t, "editor in English", rep.get("/contracts/"+id), 200, "The contract is signed")
	keyRE := regexp.MustCompile(`\b(ct|ho|tl|err|notify)\.[a-z_.]+`)
	for _, page := range []string{rep.get("/contracts/" + id).body, dlv.get("/handovers/" + hid).body, dlv.get("/handovers/" + hid + "/print").body,
		dlv.get("/").body, rep.get("/contracts/" + id + "/payment-plan").body} {
		if k := keyRE.FindString(text(page)); k != "" {
			t.Errorf("a catalogue key shows: %s", k)
		}
	}
}

func vstr(n int64) string { return strconv.FormatInt(n, 10) }
