package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
)

// waitText waits until the element of sel shows want. The page may be
// replaced meanwhile (the redirect after a post): a wait cut short by the
// navigation starts again on the new page.
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`(function () { var el = document.querySelector(%s); return !!el && el.innerText.indexOf(%s) >= 0; })()`,
		strconv.Quote(sel), strconv.Quote(want)))
}

// waitJS waits until the expression is true, across navigations.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, err := chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(time.Until(deadline)))(ctx, t)
			if err == nil || ctx.Err() != nil || time.Now().After(deadline) || !navigatedAway(err) {
				if err != nil {
					err = fmt.Errorf("waiting for %s: %w", expr, err)
				}
				return chromedp.Void{}, err
			}
		}
	}
}

// navigatedAway reports whether an evaluation failed because the page went.
func navigatedAway(err error) bool {
	m := err.Error()
	return strings.Contains(m, "navigated or closed") || strings.Contains(m, "context was destroyed") || strings.Contains(m, "Cannot find context")
}

// clear empties a text input before typing into it (chromedp's SetValue
// cannot tell an empty value from a failure).
func clear(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).value = ''`, strconv.Quote(sel)))
}

// yes answers the next window.confirm of the page with yes.
var yes = chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`)

// Issue 4's quality bar, all in the browser: a rep builds a quote with a
// 10 % discount (above the rep's 5 %), submits it; the manager approves it
// from the inbox; the rep sends it, records the acceptance, makes the
// contract, confirms its terms, proposes and saves the payment plan, names
// the delivery and after-sales owners, signs; the after-sales user finds
// the hand-over on their home page and reads the customer's pain points.
// Only the starting data (customer, contact, deal, products, a delivery
// user) is made through the services.
func TestBrowserQuoteToHandover(t *testing.T) {
	f := apptest.NewFixture(t)
	ctx := context.Background()
	const custName, pain = "常州星宇车灯股份有限公司", "车灯装配线换型慢，每次停线两小时"
	cust := f.Customer(t, f.Rep1, custName)
	if _, err := f.App.Records.Create(ctx, f.Rep1, "contact", entity.Record{"name": "周总", "customer_id": cust.ID(), "title": "采购总监"}); err != nil {
		t.Fatal(err)
	}
	opp, err := f.App.Records.Create(ctx, f.Rep1, "opportunity", entity.Record{"name": "车灯装配线柔性改造", "customer_id": cust.ID(), "pain_points": pain})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []entity.Record{
		{"sku": "HW-COBOT-7", "name": "协作机器人装配工作站", "unit": "套", "list_price": int64(25_000_000), "tax_rate_bp": int64(1300)},
		{"sku": "SV-INST-1", "name": "现场安装调试服务", "unit": "人天", "list_price": int64(300_000), "tax_rate_bp": int64(600)},
	} {
		if _, err := f.App.Records.Create(ctx, f.Admin, "product", p); err != nil {
			t.Fatal(err)
		}
	}
	delivery := f.AddUser(t, "孙交付", "sun@example.com", f.Company, access.RoleDelivery)
	for _, p := range []*access.Principal{f.Rep1, f.Manager, f.Service} {
		u, _ := f.App.Records.Get(ctx, f.Admin, "user", p.UserID)
		if _, err := f.App.Records.Update(ctx, f.Admin, "user", u.ID(), u.Version(), entity.Record{"lang": "zh-CN"}); err != nil {
			t.Fatal(err)
		}
	}
	step, base := newBrowser(t, f)
	// Signing out is the top bar's form (its menu need not be opened to post it).
	signOut := chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').submit()`),
		chromedp.WaitVisible(chromedp.CSS(`#login-email`)),
	)
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(step, actions...); err != nil {
			body, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`main`)))
			loc, _ := chromedp.Run(step, chromedp.Location())
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
		}
	}
	has := func(sel string) bool {
		ok, err := chromedp.Run(step, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector(%s)`, strconv.Quote(sel))))
		return err == nil && ok
	}

	// 1. The rep composes the quote from the deal, a line picked through the lookup.
	if err := signIn(step, base, f.Rep1.Email); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	run("compose from the deal",
		chromedp.Navigate(base+"/opportunities/"+opp.ID()),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/quotes/compose?opportunity_id=`+opp.ID()+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/quotes/compose?opportunity_id=`+opp.ID()+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ql-product-0`)),
		clear(`#fld-title`),
		chromedp.SendKeys(chromedp.CSS(`#fld-title`), "装配线柔性改造报价"),
		chromedp.SetValue(chromedp.CSS(`#fld-valid_until`), "2031-06-30"),
		chromedp.SendKeys(chromedp.CSS(`#ql-product-0`), "协作机器人"),
		chromedp.WaitVisible(chromedp.CSS(`#quote-lines .lookup-list li[role=option]`)),
		chromedp.Click(chromedp.CSS(`#quote-lines .lookup-list li[role=option]`)),
		// The row is filled from the catalogue (the table is swapped in).
		waitJS(`(document.querySelector('#ql-name-0') || {}).value === '协作机器人装配工作站'`),
		clear(`#ql-quantity-0`),
		chromedp.SendKeys(chromedp.CSS(`#ql-quantity-0`), "2"),
		clear(`#ql-discount_bp-0`),
		chromedp.SendKeys(chromedp.CSS(`#ql-discount_bp-0`), "10"),
		// 2 × 250000.00 × 0.90 = 450000.00 + 13 % = 508500.00, recomputed as typed.
		waitText(`#quote-totals`, "¥508,500.00"),
		waitText(`#quote-totals`, "提交后需经审批"),
		chromedp.Click(chromedp.CSS(`.form-actions button[name=op][value=save]`)),
		waitText(`main`, "已创建"),
	)
	loc, _ := chromedp.Run(step, chromedp.Location())
	qid := loc[strings.LastIndex(loc, "/")+1:]
	q, err := f.App.Quotes.Get(ctx, f.Rep1, qid)
	if err != nil {
		t.Fatalf("quote %s: %v", loc, err)
	}
	number := q.Rec.Str("number")
	if !strings.HasPrefix(number, "Q-") {
		t.Fatalf("number %q", number)
	}
	main, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`main`)))
	for _, want := range []string{number, "¥508,500.00", "协作机器人装配工作站", "10%", "草稿", "超出你的权限"} {
		if !strings.Contains(main, want) {
			t.Errorf("saved quote lacks %q:\n%s", want, main)
		}
	}
	if has(`form[action="/quotes/` + qid + `/send"]`) {
		t.Error("a quote needing approval can be sent")
	}

	// 2. Submitted with a reason: in approval, nothing to send.
	run("submit",
		chromedp.Click(chromedp.CSS(`button[data-dialog-open="#dlg-qt-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#qs-reason`)),
		chromedp.SendKeys(chromedp.CSS(`#qs-reason`), "客户为长期战略客户，一次采购两套"),
		yes,
		chromedp.Click(chromedp.CSS(`#dlg-qt-submit button[type=submit]`)),
		waitText(`main`, "已提交审批"),
		waitText(`main`, "审批中"),
	)
	if has(`form[action="/quotes/` + qid + `/send"]`) {
		t.Error("a quote in approval can be sent")
	}

	// 3. The manager finds it in the inbox and approves it with a comment.
	run("manager signs in", signOut)
	if err := signIn(step, base, f.Manager.Email); err != nil {
		t.Fatalf("manager sign in: %v", err)
	}
	row := `main a[href="/quotes/` + qid + `"]`
	run("approve",
		chromedp.Navigate(base+"/approvals"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-dialog-open="#dlg-apv-approve"]`)),
		waitText(`#approval`, "客户为长期战略客户"),
		chromedp.Click(chromedp.CSS(`button[data-dialog-open="#dlg-apv-approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#dlg-apv-approve-comment`)),
		chromedp.SendKeys(chromedp.CSS(`#dlg-apv-approve-comment`), "同意，注意回款节点"),
		yes,
		chromedp.Click(chromedp.CSS(`#dlg-apv-approve button[type=submit]`)),
		waitText(`main`, "审批通过"),
		waitText(`main`, "已批准"),
		waitText(`#approval`, "同意，注意回款节点"),
	)

	// 4. The rep sends it, records the acceptance, makes the contract.
	run("rep again", signOut)
	if err := signIn(step, base, f.Rep1.Email); err != nil {
		t.Fatalf("rep sign in: %v", err)
	}
	run("send, accept, contract",
		chromedp.Navigate(base+"/quotes/"+qid),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/quotes/`+qid+`/send"] button`)),
		yes,
		chromedp.Click(chromedp.CSS(`form[action="/quotes/`+qid+`/send"] button`)),
		waitText(`main`, "已标记为已发送"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/quotes/`+qid+`/accept"] button`)),
		yes,
		chromedp.Click(chromedp.CSS(`form[action="/quotes/`+qid+`/accept"] button`)),
		waitText(`main`, "已登记客户接受"),
		waitText(`main`, "客户已接受"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/quotes/`+qid+`/contract"] button`)),
		waitText(`form[action="/quotes/`+qid+`/contract"]`, "生成合同"),
		chromedp.Click(chromedp.CSS(`form[action="/quotes/`+qid+`/contract"] button`)),
		waitText(`main`, "已生成合同"),
		waitText(`#terms`, "尚不能签订"),
	)
	loc, _ = chromedp.Run(step, chromedp.Location())
	cid := strings.SplitN(loc[strings.LastIndex(loc, "/contracts/")+len("/contracts/"):], "#", 2)[0]

	// 5. The plan proposed from the default shares and saved as proposed.
	run("payment plan",
		chromedp.Click(chromedp.CSS(`#plan a[href="/contracts/`+cid+`/payment-plan"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#propose button[type=submit]`)),
		chromedp.Click(chromedp.CSS(`#propose button[type=submit]`)),
		waitText(`#plan-editor`, "以下为按比例生成的建议"),
		chromedp.Click(chromedp.CSS(`#plan-editor button.btn-primary`)),
		waitText(`main`, "回款计划已保存"),
		waitText(`#plan`, "合计等于合同金额 508,500.00"),
	)
	// The hand-over's recipients on the contract's form, picked through the lookups.
	pick := func(field, typed, name string) chromedp.Action[chromedp.Void] {
		sel := `#fld-` + field
		return chromedp.Steps(
			chromedp.SendKeys(chromedp.CSS(sel), typed),
			chromedp.WaitVisible(chromedp.CSS(`.lookup:has(`+sel+`) .lookup-list li[role=option]`)),
			waitText(`.lookup:has(`+sel+`) .lookup-list`, name),
			chromedp.Click(chromedp.CSS(`.lookup:has(`+sel+`) .lookup-list li[role=option]`)),
			waitJS(fmt.Sprintf(`document.querySelector('.lookup:has(%s) input[type=hidden]').value !== ''`, sel)),
		)
	}
	run("recipients",
		chromedp.Navigate(base+"/contracts/"+cid+"/edit"),
		chromedp.WaitVisible(chromedp.CSS(`#fld-service_owner_id`)),
		pick("delivery_owner_id", "孙交付", "孙交付"),
		pick("service_owner_id", "赵敏", "赵敏"),
		chromedp.Click(chromedp.CSS(`.form-actions button.btn-primary`)),
		waitText(`main .alert-success`, "已保存"),
		waitText(`main`, "赵敏"),
	)
	got, err := f.App.Records.Get(ctx, f.Rep1, "contract", cid)
	if err != nil || got.Str("delivery_owner_id") != delivery.UserID || got.Str("service_owner_id") != f.Service.UserID {
		t.Fatalf("recipients %q %q %v", got.Str("delivery_owner_id"), got.Str("service_owner_id"), err)
	}
	// Every term confirmed, one click each, after the plan and the
	// recipients (changing the plan withdraws the payment term's confirmation).
	for i := range crm.ContractTermItems {
		left := len(crm.ContractTermItems) - i - 1
		run(fmt.Sprintf("confirm term %d", i+1),
			chromedp.Click(chromedp.CSS(`#terms li.is-missing form button`)),
			waitJS(fmt.Sprintf(`document.querySelectorAll('#terms li.is-missing').length === %d && document.querySelectorAll('#terms li.is-ready').length === %d`, left, i+1)),
		)
	}
	run("ready to sign", waitText(`#terms`, "可以签订"))
	// Signed with a date and the customer's signatory.
	run("sign",
		chromedp.Click(chromedp.CSS(`button[data-dialog-open="#dlg-ct-sign"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ct-signer`)),
		chromedp.SetValue(chromedp.CSS(`#ct-signed-on`), "2026-11-20"),
		// The customer's contact, chosen by name as a user would.
		chromedp.Evaluate[chromedp.Void](`(function () { var s = document.querySelector('#ct-signer');
		  for (var i = 0; i < s.options.length; i++) if (s.options[i].text.indexOf('周总') === 0) s.selectedIndex = i; })()`),
		waitJS(`document.querySelector('#ct-signer').value !== ''`),
		yes,
		chromedp.Click(chromedp.CSS(`#dlg-ct-sign button[type=submit]`)),
		waitText(`main`, "交接报告已生成"),
	)
	if got, _ := f.App.Records.Get(ctx, f.Rep1, "contract", cid); got.Str("status") != crm.ContractSigned || got.Str("signed_on") != "2026-11-20" {
		t.Fatalf("contract %s signed on %q", got.Str("status"), got.Str("signed_on"))
	}

	// 6. The after-sales user: the hand-over on the home page, the pain points in the report.
	run("service signs in", signOut)
	if err := signIn(step, base, f.Service.Email); err != nil {
		t.Fatalf("service sign in: %v", err)
	}
	run("hand-over",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#home-handovers`)),
		waitText(`#home-handovers`, "待确认的交接"),
		waitText(`#home-handovers`, custName),
		waitText(`#home-handovers`, "售后负责人"),
		chromedp.Click(chromedp.CSS(`#home-handovers tbody a`)),
		chromedp.WaitVisible(chromedp.CSS(`#report`)),
		waitText(`#report`, "客户需求与痛点"),
		waitText(`#report`, pain),
		waitText(`#report`, custName),
		waitText(`#report`, "508,500.00"),
	)
}
