package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Finance through the web UI: the contract page shows its plan with the
// dialogs to invoice and to record a payment (finance only); a refusal is
// said in the dialog, opened again; voiding and reversing are confirmed
// and need a reason; the customer page and the receivables report show
// what is owed, and the report downloads.
func TestFinancePages(t *testing.T) {
	e := newEnv(t)
	finP := e.AddUser(t, "钱会计", "qian@example.com", e.Company, access.RoleFinance)
	fin, rep, other := e.as(t, finP), e.as(t, e.Rep1), e.as(t, e.Rep3)
	cust := e.Customer(t, e.Rep1, "烟台万华精细化工有限公司")
	today := time.Now().In(e.App.Loc)
	var contract entity.Record
	var items []entity.Record
	err := e.App.DB.Write(ctx(), func(tx *store.Tx) error {
		var err error
		contract, err = e.App.Records.InsertTx(records.AsProcess(ctx()), tx, e.Rep1, "contract", entity.Record{"number": "HT-WEB-0001", "title": "反应釜控制系统",
			"customer_id": cust.ID(), "status": crm.ContractSigned, "amount": int64(10_000_000), "party_a": cust.Str("name")})
		if err != nil {
			return err
		}
		items = nil
		for i, p := range []struct {
			kind, label string
			due         time.Time
			amount      int64
		}{{"advance", "预付款", today.AddDate(0, 0, -45), 4_000_000}, {"on_delivery", "到货款", today.AddDate(0, 2, 0), 6_000_000}} {
			r, err := e.App.Records.InsertTx(records.AsProcess(ctx()), tx, e.Rep1, "payment_instalment", entity.Record{"contract_id": contract.ID(), "position": int64(i + 1),
				"kind": p.kind, "label": p.label, "due_date": p.due.Format(entity.DateLayout), "amount": p.amount})
			if err != nil {
				return err
			}
			items = append(items, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	base := "/contracts/" + contract.ID()

	// The plan: the advance overdue; finance may invoice and record, the rep may not.
	must(t, "finance's contract page", fin.mustGet(base), 200, "开票与回款", "第1期 预付款", "其中逾期 ¥40,000", "dlg-fin-invoice", "dlg-fin-payment", "¥40,000")
	repPage := rep.mustGet(base)
	must(t, "rep's contract page", repPage, 200, "开票与回款", "尚未开票")
	if strings.Contains(repPage.body, "dlg-fin-invoice") || strings.Contains(repPage.body, "dlg-fin-payment") {
		t.Error("a rep is offered to invoice or record payments")
	}
	if r := other.get(base); r.status != http.StatusNotFound {
		t.Errorf("another rep opens the contract: %d", r.status)
	}

	// Invoicing beyond the instalment: said in the dialog, the input kept.
	inv := url.Values{"number": {"37011200088"}, "kind": {"vat_special"}, "amount": {"40000.01"}, "tax_amount": {"4601.77"}, "alloc_" + items[0].ID(): {"40000.01"}}
	must(t, "beyond the instalment", fin.post(base+"/invoices", inv), 422, "开票金额超过了第1期 预付款的未开票金额", "data-autoshow", "37011200088")
	inv.Set("amount", "x")
	must(t, "amount as words", fin.post(base+"/invoices", inv), 422, "data-autoshow")
	inv.Set("amount", "40000")
	inv.Set("alloc_"+items[0].ID(), "")
	r := fin.post(base+"/invoices", inv)
	must(t, "issued", fin.follow(r), 200, "已开具发票 37011200088", "¥40,000")
	rep.post(base+"/invoices", url.Values{"number": {"1"}, "kind": {"vat_special"}, "amount": {"1"}, "tax_amount": {"0"}})
	var n int
	e.App.DB.R().QueryRowContext(ctx(), `SELECT count(*) FROM invoices WHERE number = '1'`).Scan(&n)
	if n != 0 {
		t.Error("a rep issued an invoice through the form")
	}

	// A payment beyond the plan: recorded, the rest kept as credit.
	r = fin.post(base+"/payments", url.Values{"amount": {"100500"}, "method": {"bank_transfer"}, "bank_ref": {"BOC-1128"}})
	page := fin.follow(r)
	must(t, "recorded", page, 200, "已登记回款", "其中 ¥500 作为未核销余额保留", "已回款")
	var pid string
	e.App.DB.R().QueryRowContext(ctx(), `SELECT id FROM payments WHERE contract_id = $1`, contract.ID()).Scan(&pid)

	// Reversing needs a reason; the dialog says so and stays open.
	payPage := fin.mustGet("/payments/" + pid)
	must(t, "payment page", payPage, 200, "核销明细", "第2期 到货款", "dlg-fin-reverse", "data-confirm", "核销余额 ¥500")
	must(t, "reverse without reason", fin.post("/payments/"+pid+"/reverse", url.Values{"reason": {""}}), 422, "原因为必填项", "data-autoshow")
	r = fin.post("/payments/"+pid+"/reverse", url.Values{"reason": {"重复登记"}})
	must(t, "reversed", fin.follow(r), 200, "已冲销", "重复登记")

	// The customer's page and the receivables report.
	must(t, "customer page", rep.mustGet("/customers/"+cust.ID()), 200, "应收账款", "¥100,000", "¥40,000", "31–60 天", "开具发票 37011200088", "冲销回款")
	report := fin.mustGet("/reports/receivables")
	must(t, "report", report, 200, "应收账龄", "烟台万华精细化工有限公司", "data-chart", "¥100,000", "逾期金额")
	must(t, "report by rep", rep.mustGet("/reports/receivables?group=owner"), 200, "张伟", "¥40,000")
	if r := other.mustGet("/reports/receivables"); strings.Contains(r.body, "烟台万华") {
		t.Error("another rep sees the customer's receivables")
	}
	must(t, "bad date", fin.get("/reports/receivables?as_of=yesterday"), 422, "截至日期", "不是有效的日期")
	csv := fin.get("/reports/receivables?format=csv")
	if csv.status != 200 || !strings.Contains(csv.body, "烟台万华精细化工有限公司") || !strings.Contains(csv.hdr.Get("Content-Type"), "text/csv") {
		t.Errorf("csv: %d %s", csv.status, csv.body)
	}
	// Reminder days are the admins'.
	if r := fin.post("/reports/receivables/settings", url.Values{"remind_days": {"5"}}); r.status == http.StatusSeeOther && strings.Contains(fin.follow(r).body, "已保存") {
		t.Error("finance changed the reminder days")
	}
	admin := e.as(t, e.Admin)
	must(t, "admin saves the days", admin.follow(admin.post("/reports/receivables/settings", url.Values{"remind_days": {"5"}})), 200, "到期前 5 天提醒")

	// Void from the invoice page.
	var iid string
	e.App.DB.R().QueryRowContext(ctx(), `SELECT id FROM invoices WHERE contract_id = $1`, contract.ID()).Scan(&iid)
	must(t, "invoice page", fin.mustGet("/invoices/"+iid), 200, "对应回款期次", "dlg-fin-void", "确定作废发票 37011200088？")
	r = fin.post("/invoices/"+iid+"/void", url.Values{"reason": {"抬头错误"}})
	voided := fin.follow(r)
	must(t, "voided", voided, 200, "发票 37011200088 已作废", "抬头错误")
	if strings.Contains(voided.body, "dlg-fin-void") || strings.Contains(voided.body, "/invoices/"+iid+"/edit") {
		t.Error("a voided invoice offers void or edit")
	}
	must(t, "menu", fin.mustGet("/"), 200, `href="/reports/receivables"`, `href="/invoices"`, `href="/payments"`)
}
