package fulfilment_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"closeloop/internal/crm"
	"closeloop/internal/errs"
	"closeloop/internal/fulfilment"
	"closeloop/internal/i18n"
	"closeloop/internal/pdfdoc"
	"closeloop/internal/pdfdoc/pdftest"
)

// The delivery note reads, as pdftotext extracts it, the letterhead, the
// Chinese consignee, the delivery number and each line's quantity and
// batch; once signed, what was received. Who may not see the delivery
// gets no PDF.
func TestDeliveryNotePDF(t *testing.T) {
	pdftest.Need(t)
	e := newEnv(t)
	if err := e.App.Admin.SaveCompany(ctx, e.Admin, pdfdoc.Company{Name: "闭环智能装备有限公司", NameEn: "Closeloop Equipment Co., Ltd.", Address: "杭州市西湖区文三路 90 号"}); err != nil {
		t.Fatal(err)
	}
	_, d := e.shipped(t) // 5 sensors, 2 cabinets
	name, pdf, err := e.F.DeliveryNote(ctx, e.Coord, d.ID(), i18n.ZH)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || name != "送货单-"+d.Str("number")+".pdf" {
		t.Fatalf("%q: %.20q", name, pdf)
	}
	if out := os.Getenv("FUL_PDF_OUT"); out != "" {
		_ = os.WriteFile(out, pdf, 0o644)
	}
	text := pdftest.Squeeze(pdftest.Text(t, pdf))
	for _, want := range []string{"送货单", "闭环智能装备有限公司", "合肥京东方光电科技有限公司", d.Str("number"), "激光位移传感器", "42U标准机柜", "顺丰速运", "SF1400012345", "激光位移传感器台5", "42U标准机柜台2", "合计数量", "发货方（盖章）"} {
		if !strings.Contains(text, want) {
			t.Errorf("delivery note lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(text, "7第1/1页") && !strings.Contains(text, "合计数量7") {
		t.Errorf("the total quantity 7 is missing:\n%s", text)
	}
	// After the sign-off: received quantities and who signed.
	l, err := e.F.SignOffLink(ctx, e.Coord, d.ID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, lines, _, _ := e.F.Delivery(ctx, e.Coord, d.ID())
	if _, err := e.F.SignOff(ctx, l.Token, "1.2.3.4", fulfilment.SignOffInput{Name: "王仓管", Lines: []fulfilment.ReceiptInput{{LineID: lines[0].ID(), Received: "4"}, {LineID: lines[1].ID(), Received: "2"}}}); err != nil {
		t.Fatal(err)
	}
	_, pdf, err = e.F.DeliveryNote(ctx, e.Coord, d.ID(), i18n.ZH)
	if err != nil {
		t.Fatal(err)
	}
	if text := pdftest.Squeeze(pdftest.Text(t, pdf)); !strings.Contains(text, "实收合计") || !strings.Contains(text, "王仓管") {
		t.Errorf("signed note:\n%s", text)
	}
	_, pdf, err = e.F.DeliveryNote(ctx, e.Coord, d.ID(), i18n.EN)
	if err != nil {
		t.Fatal(err)
	}
	if text := pdftest.Text(t, pdf); !strings.Contains(text, "Delivery note") || !strings.Contains(text, "Closeloop Equipment") || !strings.Contains(pdftest.Squeeze(text), "合肥京东方光电科技有限公司") {
		t.Errorf("English note:\n%s", text)
	}
	if _, _, err := e.F.DeliveryNote(ctx, e.Rep3, d.ID(), i18n.ZH); errs.KindOf(err) != errs.NotFound {
		t.Errorf("another rep: %v", err)
	}
	// The customer's page names our company too.
	if v, err := e.F.Public(ctx, l.Token); err != nil || v.Company.In(i18n.ZH) != "闭环智能装备有限公司" || v.State != fulfilment.LinkUsed || !crm.DeliveryIsSigned(crm.DeliverySigned) {
		t.Errorf("public view %+v %v", v, err)
	}
}
