package presales_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"closeloop/internal/apptest"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

func TestBidDocumentsReviewAndResult(t *testing.T) {
	f := apptest.NewFixture(t)
	r := f.App.Records
	cust := f.Customer(t, f.Rep1, "南京市智慧交通建设管理中心")
	opp := newOpp(t, f, f.Rep1, cust.ID(), "信号控制系统升级")
	bid, err := r.Create(ctx, f.Rep1, "bid", entity.Record{"title": "南京市信号控制系统升级项目", "opportunity_id": opp.ID(), "tender_no": "NJZB-2026-0317",
		"issuer": "南京市公共资源交易中心", "deadline": time.Now().Add(48 * time.Hour), "bid_price": int64(386_000_000),
		"documents_required": []string{"license", "qualification", "technical", "commercial", "price"}, "documents_ready": []string{"license", "price"}})
	if err != nil {
		t.Fatal(err)
	}
	// The customer is the opportunity's; nobody sets it by hand.
	if bid.Str("customer_id") != cust.ID() || bid.Str("review_status") != crm.BidReviewPending || bid.Str("result") != crm.BidPending {
		t.Fatalf("new bid %v", bid)
	}
	if _, err := r.Update(ctx, f.Rep1, "bid", bid.ID(), bid.Version(), entity.Record{"customer_id": f.Customer(t, f.Rep1, "别的客户").ID()}); fieldCode(err) != "customer_id:read_only" {
		t.Fatalf("customer by hand: %v", err)
	}
	// The review cannot pass with documents missing; the refusal names them.
	_, err = r.Update(ctx, f.Rep1, "bid", bid.ID(), bid.Version(), entity.Record{"review_status": crm.BidReviewPassed})
	e := errs.As(err)
	if e == nil || e.Code != "bid_documents_missing" || e.Kind != errs.Unprocessable {
		t.Fatalf("passed with documents missing: %v", err)
	}
	if d, ok := e.Data.(crm.BidMissing); !ok || !slices.Equal(d.Missing, []string{"qualification", "technical", "commercial"}) {
		t.Fatalf("missing %#v", e.Data)
	}
	if got := i18n.MsgMap(i18n.ZH, "err."+e.Code, e.Args); got != "投标文件未备齐，不能通过评审：还缺 3 份（资质证书、技术标书、商务标书）" {
		t.Errorf("message %q", got)
	}
	// Won without a review is refused too.
	if _, err := r.Update(ctx, f.Rep1, "bid", bid.ID(), bid.Version(), entity.Record{"result": crm.BidWon}); errs.CodeOf(err) != "bid_not_reviewed" {
		t.Fatalf("won unreviewed: %v", err)
	}
	// Documents ready and review passed in one edit.
	b2, err := r.Update(ctx, f.Rep1, "bid", bid.ID(), bid.Version(), entity.Record{"review_status": crm.BidReviewPassed,
		"documents_ready": []string{"license", "qualification", "technical", "commercial", "price", "bond"}})
	if err != nil {
		t.Fatal(err)
	}
	// A passed review keeps its documents: taking one away is refused.
	if _, err := r.Update(ctx, f.Rep1, "bid", bid.ID(), b2.Version(), entity.Record{"documents_ready": []string{"license"}}); errs.CodeOf(err) != "bid_documents_missing" {
		t.Fatalf("document removed after review: %v", err)
	}
	b3, err := r.Update(ctx, f.Rep1, "bid", bid.ID(), b2.Version(), entity.Record{"result": crm.BidLost, "winner": "海信网络科技股份有限公司", "result_note": "技术分领先，价格分落后 2 分"})
	if err != nil {
		t.Fatal(err)
	}
	items, err := f.App.Customers.Timeline(ctx, f.Rep1, "customer", cust.ID(), "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, it := range items {
		kinds = append(kinds, it.Kind)
		if it.Kind == "bid_lost_to" && (it.Data["winner"] != "海信网络科技股份有限公司" || it.Data["note"] != "技术分领先，价格分落后 2 分" || it.Data["price"] != "3,860,000.00") {
			t.Errorf("lost event data %v", it.Data)
		}
	}
	if !slices.Contains(kinds, "bid_registered") || !slices.Contains(kinds, "bid_lost_to") {
		t.Fatalf("timeline %v", kinds)
	}
	// Corrected to won (the award was overturned): one more line.
	if _, err := r.Update(ctx, f.Rep1, "bid", bid.ID(), b3.Version(), entity.Record{"result": crm.BidWon, "winner": ""}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(timelineKinds(t, f, f.Rep1, cust.ID()), "bid_won") {
		t.Error("no won event")
	}

	// Abandoned bids need no review; they add no result line.
	ab, err := r.Create(ctx, f.Rep1, "bid", entity.Record{"title": "二期监控平台", "opportunity_id": opp.ID(), "deadline": time.Now().Add(-24 * time.Hour), "result": crm.BidAbandoned})
	if err != nil {
		t.Fatal(err)
	}
	if ab.Str("customer_id") != cust.ID() {
		t.Fatal("customer of the abandoned bid")
	}

	// The list filters on the deadline generically: due within three days.
	be := f.App.DB.Schema().Entity("bid")
	v := url.Values{"result": {"pending"}, "deadline[gte]": {time.Now().Format(time.RFC3339)}, "deadline[lte]": {time.Now().Add(crm.BidSoonDays * 24 * time.Hour).Format(time.RFC3339)}}
	q, err := f.App.DB.Schema().ParseQuery(be, v)
	if err != nil {
		t.Fatal(err)
	}
	q.Sort = be.Field("deadline")
	soon, err := r.Create(ctx, f.Rep1, "bid", entity.Record{"title": "三期", "opportunity_id": opp.ID(), "deadline": time.Now().Add(30 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	page, err := r.List(ctx, f.Rep1, "bid", q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID() != soon.ID() {
		t.Fatalf("due soon: %d items", len(page.Items))
	}
}

func TestAppointmentDoneIsInTheCustomerReport(t *testing.T) {
	f := apptest.NewFixture(t)
	r := f.App.Records
	cust := f.Customer(t, f.Rep1, "合肥蓝天汽车零部件有限公司")
	opp := newOpp(t, f, f.Rep1, cust.ID(), "焊装线视觉检测")
	when := time.Now().Add(-2 * time.Hour)
	ap, err := r.Create(ctx, f.Rep1, "appointment", entity.Record{"subject": "视觉检测系统现场演示", "kind": "demo", "opportunity_id": opp.ID(),
		"scheduled_at": when, "place": "客户焊装车间", "engineer_id": f.Presales.UserID})
	if err != nil {
		t.Fatal(err)
	}
	if ap.Str("customer_id") != cust.ID() || ap.Str("status") != "planned" {
		t.Fatalf("appointment %v", ap)
	}
	if slices.Contains(timelineKinds(t, f, f.Rep1, cust.ID()), "appointment_demo_done") {
		t.Fatal("planned demo already in the report")
	}
	if _, err := r.Update(ctx, f.Rep1, "appointment", ap.ID(), ap.Version(), entity.Record{"status": "done", "result": "客户认可检测节拍，要求补充漏检率数据"}); err != nil {
		t.Fatal(err)
	}
	items, _ := f.App.Customers.Timeline(ctx, f.Rep1, "customer", cust.ID(), "", 50)
	found := false
	for _, it := range items {
		if it.Kind == "appointment_demo_done" {
			found = it.Data["note"] == "客户认可检测节拍，要求补充漏检率数据" && it.Data["at"] == when.In(f.App.Loc).Format("2006-01-02 15:04")
		}
	}
	if !found {
		t.Fatal("done demo not in the report")
	}
	// A test drive logged afterwards as done, with another customer than the opportunity's: refused.
	other := f.Customer(t, f.Rep1, "芜湖远航客车有限公司")
	if _, err := r.Create(ctx, f.Rep1, "appointment", entity.Record{"subject": "试车", "kind": "test_drive", "opportunity_id": opp.ID(), "customer_id": other.ID(), "scheduled_at": when}); fieldCode(err) != "customer_id:customer_not_of_opportunity" {
		t.Fatalf("mismatch: %v", err)
	}
	if _, err := r.Create(ctx, f.Rep1, "appointment", entity.Record{"subject": "客车试乘试驾", "kind": "test_drive", "customer_id": other.ID(), "scheduled_at": when, "status": "done"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(timelineKinds(t, f, f.Rep1, other.ID()), "appointment_test_drive_done") {
		t.Fatal("test drive not in the report")
	}
	// The list filters by date generically.
	ae := f.App.DB.Schema().Entity("appointment")
	q, err := f.App.DB.Schema().ParseQuery(ae, url.Values{"scheduled_at[gte]": {when.Add(-time.Hour).Format(time.RFC3339)}, "scheduled_at[lte]": {when.Add(time.Hour).Format(time.RFC3339)}, "kind": {"demo"}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := r.List(ctx, f.Rep1, "appointment", q)
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("date filter: %v %d", err, len(page.Items))
	}
}
