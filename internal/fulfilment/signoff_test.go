package fulfilment_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/fulfilment"
)

// shipped makes an order of 5 sensors and 2 cabinets, reserved and
// shipped in one delivery.
func (e *env) shipped(t *testing.T) (order, delivery entity.Record) {
	t.Helper()
	o := e.typedOrder(t, [3]any{e.Sensor, int64(5), int64(113000)}, [3]any{e.Cabinet, int64(2), int64(250000)})
	if _, err := e.F.Reserve(ctx, e.Coord, o.ID(), 0); err != nil {
		t.Fatal(err)
	}
	d, err := e.F.CreateDelivery(ctx, e.Coord, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": o.ID(), "carrier": "顺丰速运", "tracking_no": "SF1400012345"}})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = e.F.Track(ctx, e.Coord, d.ID(), fulfilment.TrackInput{Status: crm.DeliveryShipped}); err != nil {
		t.Fatal(err)
	}
	return o, d
}

func receipt(lines []entity.Record, received ...string) fulfilment.SignOffInput {
	in := fulfilment.SignOffInput{Name: "王仓管", Phone: "138 0000 1234"}
	for i, l := range lines {
		in.Lines = append(in.Lines, fulfilment.ReceiptInput{LineID: l.ID(), Received: received[i]})
	}
	return in
}

func TestSignOffLink(t *testing.T) {
	e := newEnv(t)
	o := e.typedOrder(t, [3]any{e.Sensor, int64(1), int64(1000)})
	planned, err := e.F.CreateDelivery(ctx, e.Coord, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": o.ID()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.F.SignOffLink(ctx, e.Coord, planned.ID(), 0); errs.CodeOf(err) != "delivery_not_signable" {
		t.Errorf("link before shipping: %v", err)
	}
	order, d := e.shipped(t)
	if _, err := e.F.SignOffLink(ctx, e.Rep1, d.ID(), 0); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep makes a link: %v", err)
	}
	l, err := e.F.SignOffLink(ctx, e.Coord, d.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Token) != 43 || l.Path != "/s/"+l.Token || l.ExpiresAt.Sub(time.Now()) < 7*24*time.Hour-time.Minute || l.ExpiresAt.Sub(time.Now()) > 7*24*time.Hour+time.Minute {
		t.Errorf("link %+v", l)
	}
	// Only the token's hash is stored.
	var stored string
	if err := e.App.DB.R().QueryRowContext(ctx, `SELECT token_hash FROM public_links WHERE record_id = $1 AND revoked_at IS NULL`, d.ID()).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == l.Token || strings.Contains(stored, l.Token) || len(stored) != 64 {
		t.Errorf("stored %q for token %q", stored, l.Token)
	}
	// Wrong tokens: all the same unknown link.
	for _, tok := range []string{"", "x", strings.Repeat("A", 43), l.Token[:42] + "Z", l.Token + "A", "../" + l.Token} {
		if tok == l.Token {
			continue
		}
		if _, err := e.F.Public(ctx, tok); errs.CodeOf(err) != "public_link_not_found" {
			t.Errorf("token %q: %v", tok, err)
		}
		if _, err := e.F.SignOff(ctx, tok, "1.2.3.4", receipt(nil)); errs.CodeOf(err) != "public_link_not_found" {
			t.Errorf("sign with %q: %v", tok, err)
		}
	}
	v, err := e.F.Public(ctx, l.Token)
	if err != nil || v.State != fulfilment.LinkOpen || v.Number != d.Str("number") || v.Consignee != "合肥京东方光电科技有限公司" || len(v.Lines) != 2 || v.Lines[0].Quantity != 5 {
		t.Fatalf("public view %+v %v", v, err)
	}
	// A new link replaces the old one.
	l2, err := e.F.SignOffLink(ctx, e.Coord, d.ID(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.F.Public(ctx, l.Token); errs.CodeOf(err) != "public_link_not_found" {
		t.Errorf("replaced link: %v", err)
	}
	// Every problem of a confirmation is said, and nothing is written.
	_, lines, _, _ := e.F.Delivery(ctx, e.Coord, d.ID())
	bad := fulfilment.SignOffInput{Lines: []fulfilment.ReceiptInput{{LineID: lines[0].ID(), Received: "6"}, {LineID: lines[1].ID(), Received: "两"}}, Phone: "abc"}
	_, err = e.F.SignOff(ctx, l2.Token, "1.2.3.4", bad)
	ee := errs.As(err)
	var got []string
	for _, fe := range ee.Fields {
		got = append(got, fe.Field+":"+fe.Code)
	}
	if strings.Join(got, " ") != "name:required phone:invalid_phone lines[1].received:invalid_integer lines[0].received:out_of_range" {
		t.Errorf("bad confirmation: %v", got)
	}
	if v, _ := e.F.Public(ctx, l2.Token); v.State != fulfilment.LinkOpen {
		t.Error("a refused confirmation used the link")
	}

	// Received: 4 of 5 sensors, 2 cabinets of which flagged damaged.
	in := receipt(lines, "4", "2")
	in.Lines[1].Issue, in.Lines[1].Remark, in.Remarks = crm.IssueDamage, "一台柜门变形", "外包装完好"
	v, err = e.F.SignOff(ctx, l2.Token, "203.0.113.9", in)
	if err != nil {
		t.Fatal(err)
	}
	if v.State != fulfilment.LinkUsed || !v.Confirmed || v.SignerName != "王仓管" || !v.HasIssues || *v.Lines[0].Received != 4 {
		t.Errorf("after signing: %+v", v)
	}
	d, _, _, _ = e.F.Delivery(ctx, e.Coord, d.ID())
	if d.Str("status") != crm.DeliverySignedWithIssues || d.Str("signed_ip") != "203.0.113.9" || d.Str("signer_phone") != "13800001234" || d.Time("signed_at").IsZero() {
		t.Errorf("delivery %v", d)
	}
	// The shortfall of one sensor is owed again; damaged cabinets counted received.
	ls := e.lines(t, order.ID())
	if ls[0].Int("delivered_qty") != 4 || ls[1].Int("delivered_qty") != 2 {
		t.Errorf("delivered %d and %d", ls[0].Int("delivered_qty"), ls[1].Int("delivered_qty"))
	}
	if o := e.order(t, order.ID()); o.Str("status") != crm.OrderPartlyDelivered {
		t.Errorf("order %s", o.Str("status"))
	}
	// Discrepancies became supply problems linked to the delivery.
	page, err := e.App.Records.List(ctx, e.Coord, "supply_problem", entity.Query{Limit: 10, Sort: e.App.DB.Schema().Entity("supply_problem").Field("number"),
		Conds: []entity.Cond{{Field: e.App.DB.Schema().Entity("supply_problem").Field("delivery_id"), Op: entity.Eq, Values: []any{d.ID()}}}})
	if err != nil {
		t.Fatal(err)
	}
	kindsOf := map[string]entity.Record{}
	for _, p := range page.Items {
		kindsOf[p.Str("kind")] = p
	}
	if len(page.Items) != 2 || kindsOf[crm.ProblemShortQuantity] == nil || kindsOf[crm.ProblemDamage] == nil {
		t.Fatalf("problems %v", page.Items)
	}
	sp := kindsOf[crm.ProblemDamage]
	if sp.Str("order_id") != order.ID() || sp.Str("customer_id") != e.Customer.ID() || sp.Str("source") != "sign_off" || sp.Str("owner_id") != e.Coord.UserID ||
		!strings.Contains(sp.Str("description"), "柜门变形") || sp.Str("status") != crm.ProblemOpen {
		t.Errorf("damage problem %v", sp)
	}
	k := kinds(t, e, e.Customer.ID())
	if k["delivery_signed_with_issues"] != 1 || k["supply_problem_opened"] != 2 || k["delivery_shipped"] != 1 {
		t.Errorf("timeline %v", k)
	}
	var notes int
	_ = e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'supply_problem'`, e.Coord.UserID).Scan(&notes)
	if notes != 2 {
		t.Errorf("%d notifications to the order's owner", notes)
	}
	// Reused: the second confirmation is refused and changes nothing.
	if _, err := e.F.SignOff(ctx, l2.Token, "1.2.3.4", receipt(lines, "5", "2")); errs.CodeOf(err) != "public_link_used" {
		t.Errorf("second confirmation: %v", err)
	}
	if d2, _, _, _ := e.F.Delivery(ctx, e.Coord, d.ID()); d2.Str("signed_ip") != "203.0.113.9" || d2.Version() != d.Version() {
		t.Error("the second confirmation changed the delivery")
	}
	// No new link for a signed delivery.
	if _, err := e.F.SignOffLink(ctx, e.Coord, d.ID(), 0); errs.CodeOf(err) != "delivery_not_signable" {
		t.Errorf("link after signing: %v", err)
	}
	// The shortfall can be delivered again; signed in full, the order completes.
	d3, err := e.F.CreateDelivery(ctx, e.Coord, fulfilment.DeliveryInput{Delivery: entity.Record{"order_id": order.ID()}})
	if err != nil {
		t.Fatal(err)
	}
	_, l3lines, _, _ := e.F.Delivery(ctx, e.Coord, d3.ID())
	if len(l3lines) != 1 || l3lines[0].Int("quantity") != 1 {
		t.Fatalf("replacement %v", l3lines)
	}
	if _, err := e.F.Track(ctx, e.Coord, d3.ID(), fulfilment.TrackInput{Status: crm.DeliveryShipped}); err != nil {
		t.Fatal(err)
	}
	l3, _ := e.F.SignOffLink(ctx, e.Coord, d3.ID(), 0)
	if _, err := e.F.SignOff(ctx, l3.Token, "1.2.3.4", receipt(l3lines, "1")); err != nil {
		t.Fatal(err)
	}
	if o := e.order(t, order.ID()); o.Str("status") != crm.OrderCompleted {
		t.Errorf("order after the replacement: %s", o.Str("status"))
	}
}

func TestSignOffLinkExpiresAndIsUsedOnce(t *testing.T) {
	e := newEnv(t)
	_, d := e.shipped(t)
	l, err := e.F.SignOffLink(ctx, e.Coord, d.ID(), 1)
	if err != nil {
		t.Fatal(err)
	}
	_, lines, _, _ := e.F.Delivery(ctx, e.Coord, d.ID())
	later := time.Now().Add(25 * time.Hour)
	e.F.SetClock(func() time.Time { return later })
	if v, err := e.F.Public(ctx, l.Token); err != nil || v.State != fulfilment.LinkExpired {
		t.Errorf("expired link's page: %+v %v", v, err)
	}
	if _, err := e.F.SignOff(ctx, l.Token, "1.2.3.4", receipt(lines, "5", "2")); errs.CodeOf(err) != "public_link_expired" {
		t.Errorf("expired: %v", err)
	}
	e.F.SetClock(time.Now)
	// Twenty confirmations at once: exactly one is recorded.
	l, _ = e.F.SignOffLink(ctx, e.Coord, d.ID(), 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.F.SignOff(ctx, l.Token, "1.2.3.4", receipt(lines, "5", "2"))
			mu.Lock()
			if err == nil {
				codes["ok"]++
			} else {
				codes[errs.CodeOf(err)]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["ok"] != 1 || codes["public_link_used"] != 19 {
		t.Errorf("outcomes %v", codes)
	}
	var events int
	_ = e.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM delivery_events WHERE delivery_id = $1 AND status = $2`, d.ID(), crm.DeliverySigned).Scan(&events)
	if events != 1 {
		t.Errorf("%d sign-off events", events)
	}
	if err := e.F.SetLinkDays(ctx, e.Coord, 14); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("coordinator sets the default: %v", err)
	}
	if err := e.F.SetLinkDays(ctx, e.Admin, 14); err != nil || e.F.LinkDays(ctx) != 14 {
		t.Errorf("link days: %v %d", err, e.F.LinkDays(ctx))
	}
}
