package pdfdoc

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"closeloop/internal/i18n"
	"closeloop/internal/money"
	"closeloop/internal/pdfdoc/pdftest"
)

var seller = Company{Name: "闭环软件（杭州）有限公司", NameEn: "Closeloop Software Ltd.",
	Address: "浙江省杭州市西湖区文三路 90 号东部软件园 8 号楼 5 层", Phone: "0571-8888 6666",
	Email: "sales@closeloop.example", Website: "https://closeloop.example",
	TaxNumber: "91330106MA2H00001X", BankName: "招商银行杭州分行", BankAccount: "5719 0000 0000 0001"}

// quote builds a quote of n lines whose sums are computed here, so the
// test knows the totals the reader must find.
func quote(n int, lang i18n.Lang) (Document, int64) {
	tb := Table{Title: "报价明细", Columns: []Column{{"序号", 0.6, Center}, {"产品 / 规格", 4, Left}, {"数量", 1, Right}, {"单价", 1.6, Right}, {"金额", 1.8, Right}}}
	var sum int64
	for i := 1; i <= n; i++ {
		unit := int64(i) * 12345
		amount := unit * int64(i)
		sum += amount
		tb.Rows = append(tb.Rows, []string{fmt.Sprint(i), fmt.Sprintf("闭环 CRM 企业版许可证 第 %d 项 Closeloop CRM Enterprise licence", i), fmt.Sprint(i), money.Format(unit), money.Format(amount)})
	}
	tax := sum * 13 / 100
	tb.Totals = []Total{{Label: "小计", Value: money.Format(sum)}, {Label: "税额（13%）", Value: money.Format(tax)}, {Label: "合计", Value: money.Format(sum + tax), Strong: true}}
	d := Document{Company: seller, Lang: lang, Title: "报价单 Quotation", Number: "Q-202611-0001", Date: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		Blocks: []Block{
			{Title: "客户", Fields: []Field{{"名称", "杭州云栖科技有限公司"}, {"联系人", "张伟"}, {"电话", "138 0000 1234"}}},
			{Title: "供方", Fields: seller.PartyRows(i18n.ZH)},
		},
		Tables:     []Table{tb},
		Sections:   []Section{{"付款条件", "合同签订后 5 个工作日内支付 30% 预付款，到货验收后支付 60%，质保期满支付 10%。\n\nPayment: 30% in advance, 60% on acceptance, 10% after the warranty period."}},
		Signatures: []Signature{{"需方（盖章）", "杭州云栖科技有限公司"}, {"供方（盖章）", seller.Name}},
		Footer:     "本报价单有效期 30 天 · Valid for 30 days",
	}
	return d, sum + tax
}

func render(t testing.TB, d Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, d); err != nil {
		t.Fatalf("render: %v", err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:min(20, buf.Len())])
	}
	if dir := os.Getenv("PDFDOC_KEEP"); dir != "" { // to look at: PDFDOC_KEEP=/tmp/x go test
		_ = os.WriteFile(dir+"/"+strings.ReplaceAll(t.Name(), "/", "_")+".pdf", buf.Bytes(), 0o644)
	}
	return buf.Bytes()
}

// TestQuoteText reads a 60-line quote as a person would: the customer's
// Chinese name, every line, the totals, the letterhead and "第 n / N 页"
// on every page, the table header again on each page the table spans.
func TestQuoteText(t *testing.T) {
	pdftest.Need(t)
	d, total := quote(60, i18n.ZH)
	pdf := render(t, d)
	text := pdftest.Text(t, pdf)
	flat := pdftest.Squeeze(text)
	for _, want := range []string{"杭州云栖科技有限公司", "报价单Quotation", "Q-202611-0001", "2026-11-25", "合计", money.Format(total),
		"税额（13%）", "付款条件", "Payment:30%inadvance", "91330106MA2H00001X", "招商银行杭州分行"} {
		if !strings.Contains(flat, pdftest.Squeeze(want)) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	for i := 1; i <= 60; i++ {
		if !strings.Contains(flat, fmt.Sprintf("第%d项", i)) {
			t.Errorf("line %d is missing", i)
		}
	}
	n := pdftest.Pages(t, pdf)
	if n < 3 {
		t.Fatalf("60 lines on %d pages: the table did not break across pages", n)
	}
	tablePages := 0
	for p := 1; p <= n; p++ {
		page := pdftest.Squeeze(pdftest.Page(t, pdf, p))
		if want := fmt.Sprintf("第%d/%d页", p, n); !strings.Contains(page, want) {
			t.Errorf("page %d lacks %q", p, want)
		}
		if !strings.Contains(page, "闭环软件（杭州）有限公司") || !strings.Contains(page, "CloseloopSoftwareLtd.") {
			t.Errorf("page %d has no letterhead", p)
		}
		if strings.Contains(page, "第60项") || strings.Contains(page, "第1项") || strings.Contains(page, "第30项") {
			tablePages++
		}
		if strings.Contains(page, "项Closel") && !strings.Contains(page, "序号产品/规格数量单价金额") {
			t.Errorf("page %d has table rows but no header", p)
		}
	}
	if tablePages < 2 {
		t.Errorf("table rows found on %d pages", tablePages)
	}
}

// TestEnglishPages: an English document numbers its pages in English and
// shows the English name first.
func TestEnglishPages(t *testing.T) {
	pdftest.Need(t)
	d, _ := quote(40, i18n.EN)
	pdf := render(t, d)
	n := pdftest.Pages(t, pdf)
	for p := 1; p <= n; p++ {
		page := pdftest.Squeeze(pdftest.Page(t, pdf, p))
		if want := fmt.Sprintf("Page%dof%d", p, n); !strings.Contains(page, want) {
			t.Errorf("page %d lacks %q", p, want)
		}
	}
	first := pdftest.Page(t, pdf, 1)
	if i, j := strings.Index(first, "Closeloop Software Ltd."), strings.Index(first, "闭环软件（杭州）有限公司"); i < 0 || j < 0 || i > j {
		t.Errorf("the English name should come first: %d, %d", i, j)
	}
	if !strings.Contains(pdftest.Squeeze(first), "No.Q-202611-0001") {
		t.Errorf("no English number label")
	}
}

// TestLongCellContinues: a cell longer than a page goes on over the next
// page rather than off its bottom or being cut.
func TestLongCellContinues(t *testing.T) {
	pdftest.Need(t)
	var b strings.Builder
	for i := 1; i <= 600; i++ {
		fmt.Fprintf(&b, "第%03d行说明文字，", i)
	}
	d := Document{Company: seller, Title: "长单元格", Tables: []Table{{Columns: []Column{{Label: "说明", Width: 1}}, Rows: [][]string{{b.String()}, {"最后一行"}}}}}
	pdf := render(t, d)
	flat := pdftest.Squeeze(pdftest.Text(t, pdf))
	for _, want := range []string{"第001行", "第300行", "第600行说明文字，", "最后一行"} {
		if !strings.Contains(flat, want) {
			t.Errorf("lost %q", want)
		}
	}
	if n := pdftest.Pages(t, pdf); n < 2 {
		t.Errorf("%d page(s)", n)
	}
}

func TestLogo(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 120, 40))
	for x := 0; x < 120; x++ {
		for y := 0; y < 40; y++ {
			img.Set(x, y, color.NRGBA{22, 93, 255, uint8(100 + x)})
		}
	}
	var p, j bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, nil); err != nil {
		t.Fatal(err)
	}
	for name, logo := range map[string][]byte{"png": p.Bytes(), "jpeg": j.Bytes(), "broken": []byte("\x89PNG\r\n\x1a\nnot really"), "text": []byte("hello")} {
		c := seller
		c.Logo = logo
		d, _ := quote(3, i18n.ZH)
		d.Company = c
		pdf := render(t, d)
		hasImage := bytes.Contains(pdf, []byte("/Subtype /Image"))
		if want := name == "png" || name == "jpeg"; hasImage != want {
			t.Errorf("%s logo: image in the PDF = %v", name, hasImage)
		}
	}
}

func TestWrap(t *testing.T) {
	// Every character is 1 wide, a space too: widths are character counts.
	width := func(s string) float64 { return float64(len([]rune(s))) }
	for _, c := range []struct {
		in   string
		max  float64
		want []string
	}{
		{"", 10, []string{""}},
		{"杭州云栖科技有限公司", 4, []string{"杭州云栖", "科技有限", "公司"}},
		{"hello world foo", 11, []string{"hello world", "foo"}},
		{"hello world foo", 5, []string{"hello", "world", "foo"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"中文English混排", 6, []string{"中文", "Englis", "h混排"}},
		{"中文 English 混排", 8, []string{"中文", "English", "混排"}},
		{"一二三，四", 3, []string{"一二", "三，四"}}, // no line starts with "，"
		{"第一行\n第二行", 10, []string{"第一行", "第二行"}},
		{"a\n\nb", 10, []string{"a", "", "b"}},
		{"1,234.56 元", 8, []string{"1,234.56", "元"}},
	} {
		got := wrap(c.in, c.max, width)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %v) = %q, want %q", c.in, c.max, got, c.want)
		}
		for _, l := range got {
			if width(l) > c.max {
				t.Errorf("wrap(%q): line %q is wider than %v", c.in, l, c.max)
			}
		}
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"杭州\x00云栖\x1b[31m":    "杭州云栖[31m",
		"a\tb\r\nc\rd":        "a b\nc d",
		"好👍评":                 "好?评",
		"家👨‍👩‍👧人":             "家?人",
		"\u202eevil\u200b":    "evil",
		"bad\xff\xfeutf8":     "badutf8",
		"¥12,345.60 “报价” — 完": "¥12,345.60 “报价” — 完",
		"Ünïcödé Ελληνικά":    "Ünïcödé Ελληνικά",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzRender: any text in any part of a document renders without an
// error or a panic (the seeds run in every go test).
func FuzzRender(f *testing.F) {
	for _, s := range []string{"", "杭州云栖科技有限公司", "\x00\x01\x02\x7f\u0085", "😀👍🏽👨‍👩‍👧‍👦🇨🇳", strings.Repeat("W", 2000),
		strings.Repeat("长", 1500), "\n\n\n\n", "a\tb\r\nc", "\xff\xfe\xfd", "\u202e\u200b\ufeff", "%PDF-1.4 ) ( \\ endobj", "{nb} {page}",
		strings.Repeat("word ", 600), "ﬁ ß İ ǅ 𝔘𝔫𝔦"} {
		f.Add(s, s, 3)
	}
	f.Fuzz(func(t *testing.T, a, b string, n int) {
		n = (n%20 + 20) % 20
		rows := make([][]string, n)
		for i := range rows {
			rows[i] = []string{a, b, a + b}[:1+i%3]
		}
		d := Document{Company: Company{Name: a, NameEn: b, Address: a, Phone: b, Email: a, Website: b}, Title: a, Number: b, Footer: a + b,
			Blocks:     []Block{{Title: a, Fields: []Field{{a, b}, {b, a}}}, {Title: b}, {Title: a, Fields: []Field{{"", a}}}},
			Tables:     []Table{{Title: b, Columns: []Column{{a, -1, "X"}, {b, 0, Right}, {"", 2, Center}}, Rows: rows, Totals: []Total{{a, b, true}, {b, a, false}}}, {Title: a}},
			Sections:   []Section{{a, b}, {"", a}, {b, ""}},
			Signatures: []Signature{{a, b}, {b, a}, {a, ""}, {"", b}}}
		if err := Render(io.Discard, d); err != nil {
			t.Fatalf("render: %v", err)
		}
	})
}

// benchQuote is a 20-line quote with a logo, the size of a typical quote.
func benchQuote() Document {
	d, _ := quote(20, i18n.ZH)
	img := image.NewNRGBA(image.Rect(0, 0, 240, 80))
	var p bytes.Buffer
	_ = png.Encode(&p, img)
	d.Company.Logo = p.Bytes()
	return d
}

// BenchmarkRenderQuote renders a 20-line quote one at a time and reports
// the p50/p95/p99 of single renders besides the mean, and the CPU time a
// render costs (which other load on the machine does not inflate; see
// docs/performance.md).
func BenchmarkRenderQuote(b *testing.B) {
	d := benchQuote()
	_ = Render(io.Discard, d) // the font's coverage table is built once per process
	b.ReportAllocs()
	var size int
	var took []time.Duration
	cpu0 := cpuTime()
	for b.Loop() {
		t0 := time.Now()
		var buf bytes.Buffer
		if err := Render(&buf, d); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
		size = buf.Len()
	}
	cpu := cpuTime() - cpu0
	slices.Sort(took)
	q := func(f float64) float64 {
		return float64(took[min(len(took)-1, int(f*float64(len(took))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.95), "p95-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(size), "bytes/pdf")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(took)), "cpu-ms/op")
}

// BenchmarkRenderQuoteParallel renders quotes on every core at once, as a
// server answering several PDF requests does.
func BenchmarkRenderQuoteParallel(b *testing.B) {
	d := benchQuote()
	_ = Render(io.Discard, d)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := Render(io.Discard, d); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
