// Package pdfdoc renders business documents — quotes, contracts, delivery
// notes, hand-over reports — to PDF with Chinese and English text.
//
// A caller describes the document (Document: letterhead, title, parties,
// tables, totals, sections, signatures) and calls Render; layout is this
// package's job: the company's letterhead and the page number ("第 1 / 2
// 页" / "Page 1 of 2") on every page, tables that break across pages with
// their header repeated, text wrapped to its column (Chinese between any
// two characters, Latin between words). One embedded TrueType font covers
// both scripts; only the glyphs used are embedded in each file. The
// package is pure: no database, no HTTP. Company letterhead settings are
// loaded by admin.Service.Company.
package pdfdoc

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // logos
	_ "image/png"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"closeloop/internal/i18n"
)

// Company is the letterhead: who issues the document. admin.Service.Company
// loads it from the settings.
type Company struct {
	Name        string `json:"name"`    // 公司名称
	NameEn      string `json:"name_en"` // English name
	Address     string `json:"address"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
	Website     string `json:"website"`
	TaxNumber   string `json:"tax_number"`   // 纳税人识别号 / unified social credit code
	BankName    string `json:"bank_name"`    // 开户行
	BankAccount string `json:"bank_account"` // 账号
	// Logo is a PNG or JPEG image drawn at the left of the letterhead.
	Logo []byte `json:"-"`
}

// DisplayName is the company's name in lang, falling back to the other.
func (c Company) DisplayName(lang i18n.Lang) string {
	return i18n.T(c.Name, c.NameEn).In(lang)
}

// PartyRows lists the company's details as rows of a party block (the
// seller's side of a quote or contract): name, address, phone, e-mail, tax
// number, bank and account — those that are set.
func (c Company) PartyRows(lang i18n.Lang) []Field {
	var out []Field
	add := func(key, v string) {
		if strings.TrimSpace(v) != "" {
			out = append(out, Field{Label: i18n.Msg(lang, key), Value: v})
		}
	}
	add("pdf.company_name", c.DisplayName(lang))
	add("pdf.address", c.Address)
	add("pdf.phone", c.Phone)
	add("pdf.email", c.Email)
	add("pdf.tax_number", c.TaxNumber)
	add("pdf.bank_name", c.BankName)
	add("pdf.bank_account", c.BankAccount)
	return out
}

// Document is one business document.
type Document struct {
	Company Company
	Lang    i18n.Lang // i18n.ZH (default) or i18n.EN: the page numbers and fixed labels
	Title   string    // 报价单 / Quotation
	Number  string    // Q-202611-0001
	Date    time.Time // shown as 2006-01-02; zero: not shown
	// Blocks are laid out two side by side (a single one spans the page):
	// the customer and the seller, delivery address and contact …
	Blocks []Block
	// Tables follow the blocks, each with its own totals under it.
	Tables []Table
	// Sections follow the tables: terms, notes, remarks.
	Sections []Section
	// Signatures are laid out up to three in a row at the end, kept on one page.
	Signatures []Signature
	// Footer is a line of small print at the bottom of every page.
	Footer string
}

// Block is a titled list of label: value rows (a party of the document).
type Block struct {
	Title  string
	Fields []Field
}

// Field is one label: value row.
type Field struct {
	Label, Value string
}

// Align is a column's horizontal alignment.
type Align string

// Alignments of a table column.
const (
	Left   Align = "L"
	Center Align = "C"
	Right  Align = "R"
)

// Column is a table column. Width is relative: the widths of a table's
// columns are scaled to fill the page (a column of 2 is twice as wide as
// one of 1); zero counts as 1.
type Column struct {
	Label string
	Width float64
	Align Align
}

// Table is a table of text cells with optional totals under it. Rows may
// have fewer cells than columns (the rest are empty); extra cells are
// ignored. Cells wrap; a row taller than a page continues on the next.
type Table struct {
	Title   string
	Columns []Column
	Rows    [][]string
	Totals  []Total
}

// Total is a label and a value right-aligned under a table (合计 ¥12,345.60);
// Strong ones are bold.
type Total struct {
	Label, Value string
	Strong       bool
}

// Section is a heading and wrapped body text; blank lines separate
// paragraphs.
type Section struct {
	Heading, Body string
}

// Signature is a block for one party to sign: its title (甲方（盖章）),
// the party's name, and lines for the signature and the date.
type Signature struct {
	Title, Name string
}

// Page geometry in millimetres (A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	marginX      = 15.0
	headTop      = 10.0
	headRule     = 29.0 // the letterhead's rule
	bodyTop      = 34.0
	bodyBottom   = 279.0 // content stops here
	footRule     = 283.0
	contentW     = pageW - 2*marginX

	sizeBody  = 9.5
	sizeSmall = 8.0
	sizeHead  = 10.5
	sizeTitle = 16.0
	padX      = 1.6 // cell padding
	padY      = 1.2
)

// lineH is the line height for a font size in points.
func lineH(size float64) float64 { return size * 0.3528 * 1.45 }

var (
	colText   = [3]int{33, 37, 41}
	colMuted  = [3]int{108, 117, 125}
	colRule   = [3]int{206, 212, 218}
	colAccent = [3]int{22, 93, 255}
	colFill   = [3]int{241, 243, 245}
	colZebra  = [3]int{250, 251, 252}
)

// Render writes d as a PDF to w.
func Render(w io.Writer, d Document) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("pdfdoc: render %q: %v", d.Title, p)
		}
	}()
	r := newRenderer(&d)
	r.document()
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("pdfdoc: render %q: %w", d.Title, err)
	}
	if err := r.pdf.Output(w); err != nil {
		return fmt.Errorf("pdfdoc: write %q: %w", d.Title, err)
	}
	return nil
}

// renderer lays one document out.
type renderer struct {
	pdf  *fpdf.Fpdf
	d    *Document
	l    i18n.Lang
	y    float64
	size float64 // the font size in effect, for measuring without output

	logo         string // registered image name, "" without a logo
	logoW, logoH float64
	head         *head
}

func newRenderer(d *Document) *renderer {
	l := d.Lang
	if l != i18n.EN {
		l = i18n.ZH
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(marginX, bodyTop, marginX)
	pdf.SetAutoPageBreak(false, 0) // breaks are placed by the layout
	pdf.SetCellMargin(0)
	pdf.AddUTF8FontFromBytes(fontFamily, "", fontTTF)
	pdf.SetFont(fontFamily, "", sizeBody)
	pdf.SetTitle(clean(d.Title), true)
	pdf.SetAuthor(clean(d.Company.DisplayName(l)), true)
	pdf.SetCreator("Closeloop", false)
	pdf.SetProducer("Closeloop", false)
	pdf.SetLang(string(l))
	r := &renderer{pdf: pdf, d: d, l: l, size: sizeBody}
	r.registerLogo(d.Company.Logo)
	return r
}

// registerLogo adds the logo image, scaled to the letterhead's height; a
// logo the PDF library cannot read is left out rather than failing the
// document (uploads are checked, this is the last guard).
func (r *renderer) registerLogo(data []byte) {
	if len(data) == 0 || r.pdf.Err() {
		return
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return
	}
	typ := map[string]string{"png": "PNG", "jpeg": "JPG"}[format]
	if typ == "" {
		return
	}
	r.pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: typ}, bytes.NewReader(data))
	if r.pdf.Err() {
		r.pdf.ClearError()
		return
	}
	h := 14.0
	w := h * float64(cfg.Width) / float64(cfg.Height)
	if w > 45 {
		w, h = 45, 45*float64(cfg.Height)/float64(cfg.Width)
	}
	r.logo, r.logoW, r.logoH = "logo", w, h
}

func (r *renderer) document() {
	r.newPage()
	r.title()
	r.blocks()
	for _, t := range r.d.Tables {
		r.table(t)
	}
	for _, s := range r.d.Sections {
		r.section(s)
	}
	r.signatures()
	r.footers()
}

// --- drawing primitives ---

func (r *renderer) setSize(size float64) {
	r.pdf.SetFontSize(size)
	r.size = size
}

func (r *renderer) color(c [3]int) { r.pdf.SetTextColor(c[0], c[1], c[2]) }

// bold draws text filled and stroked (the font has no bold face).
func (r *renderer) bold(on bool, c [3]int) {
	if on {
		r.pdf.SetTextRenderingMode(2)
		r.pdf.SetLineWidth(0.16)
		r.pdf.SetDrawColor(c[0], c[1], c[2])
		return
	}
	r.pdf.SetTextRenderingMode(0)
	r.pdf.SetLineWidth(0.2)
	r.pdf.SetDrawColor(colRule[0], colRule[1], colRule[2])
}

// width measures s at size without writing anything to the page.
func (r *renderer) width(s string, size float64) float64 {
	if s == "" {
		return 0
	}
	return r.pdf.GetStringWidth(s) * size / r.size
}

func (r *renderer) wrapAt(s string, w, size float64) []string {
	return wrap(clean(s), w, func(t string) float64 { return r.width(t, size) })
}

// text writes one line in a box of width w from x at the current y.
func (r *renderer) text(x, y, w, h float64, s string, a Align) {
	r.pdf.SetXY(x, y)
	r.pdf.CellFormat(w, h, s, "", 0, string(a), false, 0, "")
}

func (r *renderer) line(x1, y1, x2, y2 float64, c [3]int, width float64) {
	r.pdf.SetDrawColor(c[0], c[1], c[2])
	r.pdf.SetLineWidth(width)
	r.pdf.Line(x1, y1, x2, y2)
	r.pdf.SetLineWidth(0.2)
	r.pdf.SetDrawColor(colRule[0], colRule[1], colRule[2])
}

func (r *renderer) fill(x, y, w, h float64, c [3]int) {
	r.pdf.SetFillColor(c[0], c[1], c[2])
	r.pdf.Rect(x, y, w, h, "F")
}

// fits reports whether h more millimetres fit on this page.
func (r *renderer) fits(h float64) bool { return r.y+h <= bodyBottom+0.01 }

// ensure starts a new page unless h fits on this one.
func (r *renderer) ensure(h float64) {
	if !r.fits(h) {
		r.newPage()
	}
}

// newPage adds a page with the letterhead.
func (r *renderer) newPage() {
	r.pdf.AddPage()
	r.letterhead()
	r.y = bodyTop
	r.color(colText)
	r.setSize(sizeBody)
}

// --- page furniture ---

// head is the letterhead's text, laid out once per document.
type head struct {
	x, nameW, nameSize float64
	primary            []string // one line, or two at a smaller size
	secondary          string
	contact            []string
}

const headRightW = 66.0 // the contact details' column

func (r *renderer) layoutHead() *head {
	c := r.d.Company
	h := &head{x: marginX}
	if r.logo != "" {
		h.x += r.logoW + 3
	}
	h.nameW = marginX + contentW - headRightW - 3 - h.x
	primary := clean(c.DisplayName(r.l))
	secondary := clean(c.NameEn)
	if r.l == i18n.EN {
		secondary = clean(c.Name)
	}
	if secondary == primary {
		secondary = ""
	}
	// The name shrinks to fit one line down to 11 pt; longer ones take two
	// lines at 11 pt, the second cut if need be.
	h.nameSize = 15.0
	for h.nameSize > 11 && r.width(primary, h.nameSize) > h.nameW {
		h.nameSize -= 0.5
	}
	h.primary = []string{primary}
	if r.width(primary, h.nameSize) > h.nameW {
		lines := r.wrapAt(primary, h.nameW, h.nameSize)
		if len(lines) > 2 {
			lines = []string{lines[0], fitLine(strings.Join(lines[1:], " "), h.nameW, func(s string) float64 { return r.width(s, h.nameSize) })}
		}
		h.primary = lines
	}
	h.secondary = fitLine(secondary, h.nameW, func(s string) float64 { return r.width(s, sizeSmall) })
	// Contact details, right-aligned, at most four lines.
	var lines []string
	if a := strings.TrimSpace(c.Address); a != "" {
		lines = append(lines, r.wrapAt(a, headRightW, 7.5)...)
		if len(lines) > 2 {
			lines = lines[:2]
		}
	}
	var contact []string
	if c.Phone != "" {
		contact = append(contact, i18n.Msg(r.l, "pdf.tel")+" "+c.Phone)
	}
	if c.Email != "" {
		contact = append(contact, c.Email)
	}
	if len(contact) > 0 {
		lines = append(lines, clean(strings.Join(contact, "  ")))
	}
	if c.Website != "" {
		lines = append(lines, clean(c.Website))
	}
	if len(lines) > 4 {
		lines = lines[:4]
	}
	for _, s := range lines {
		h.contact = append(h.contact, fitLine(s, headRightW, func(t string) float64 { return r.width(t, 7.5) }))
	}
	return h
}

// letterhead draws the logo, the company's name (both languages when both
// are set) and its contact details, above a rule.
func (r *renderer) letterhead() {
	if r.head == nil {
		r.head = r.layoutHead()
	}
	h := r.head
	if r.logo != "" {
		r.pdf.ImageOptions(r.logo, marginX, headTop+(14-r.logoH)/2, r.logoW, r.logoH, false, fpdf.ImageOptions{}, 0, "")
	}
	r.setSize(h.nameSize)
	r.color(colText)
	r.bold(true, colText)
	y := headTop
	lh := h.nameSize * 0.3528 * 1.3
	if len(h.primary) == 1 {
		lh = 8
	}
	for _, s := range h.primary {
		r.text(h.x, y, h.nameW, lh, s, Left)
		y += lh
	}
	r.bold(false, colText)
	if h.secondary != "" {
		r.setSize(sizeSmall)
		r.color(colMuted)
		r.text(h.x, y, h.nameW, 5, h.secondary, Left)
	}
	r.setSize(7.5)
	r.color(colMuted)
	lh = lineH(7.5)
	for i, s := range h.contact {
		r.text(marginX+contentW-headRightW, headTop+float64(i)*lh, headRightW, lh, s, Right)
	}
	r.line(marginX, headRule, marginX+contentW, headRule, colAccent, 0.5)
}

// footers draws the footer and "page n of N" on every page, once the page
// count is known.
func (r *renderer) footers() {
	n := r.pdf.PageCount()
	footer := strings.Join(strings.Fields(clean(r.d.Footer)), " ")
	for p := 1; p <= n; p++ {
		r.pdf.SetPage(p)
		r.line(marginX, footRule, marginX+contentW, footRule, colRule, 0.2)
		r.setSize(sizeSmall) // re-selects the font on this page's stream
		r.color(colMuted)
		label := i18n.Msg(r.l, "pdf.page", "page", p, "pages", n)
		lw := r.width(label, sizeSmall) + 2
		if footer != "" {
			fw := contentW - lw - 4
			r.text(marginX, footRule+1, fw, 5, fitLine(footer, fw, func(s string) float64 { return r.width(s, sizeSmall) }), Left)
		}
		r.text(marginX+contentW-lw, footRule+1, lw, 5, label, Right)
	}
}

// fitLine cuts s with "…" to fit w (a binary search over the prefix, as
// names can be arbitrarily long).
func fitLine(s string, w float64, width func(string) float64) string {
	rs := []rune(s)
	if len(rs) > 400 { // no line of this page holds more
		rs = rs[:400]
	} else if width(s) <= w {
		return s
	}
	lo, hi := 0, len(rs) // the longest prefix that fits is in [lo, hi]
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if width(string(rs[:mid])+"…") <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return string(rs[:lo]) + "…"
}

// --- content ---

func (r *renderer) title() {
	if t := strings.TrimSpace(clean(r.d.Title)); t != "" {
		lh := lineH(sizeTitle)
		lines := r.wrapAt(t, contentW, sizeTitle)
		r.setSize(sizeTitle)
		r.color(colText)
		r.bold(true, colText)
		for _, s := range lines {
			r.ensure(lh)
			r.text(marginX, r.y, contentW, lh, s, Center)
			r.y += lh
		}
		r.bold(false, colText)
		r.y += 1
	}
	var meta []string
	if n := strings.TrimSpace(clean(r.d.Number)); n != "" {
		meta = append(meta, i18n.Msg(r.l, "pdf.number")+n)
	}
	if !r.d.Date.IsZero() {
		meta = append(meta, i18n.Msg(r.l, "pdf.date")+r.d.Date.Format("2006-01-02"))
	}
	if len(meta) > 0 {
		lh := lineH(sizeBody)
		r.setSize(sizeBody)
		r.color(colMuted)
		for _, s := range r.wrapAt(strings.Join(meta, "    "), contentW, sizeBody) {
			r.ensure(lh)
			r.text(marginX, r.y, contentW, lh, s, Right)
			r.y += lh
		}
		r.color(colText)
	}
	r.y += 3
}

// blockLine is one drawn line of a block: the title band, or a row's
// label (first line only) and a line of its value.
type blockLine struct {
	title        bool
	label, value string
}

func (r *renderer) blockLines(b Block, w, labelW float64) []blockLine {
	var out []blockLine
	if t := strings.TrimSpace(clean(b.Title)); t != "" {
		out = append(out, blockLine{title: true, value: fitLine(t, w-2*padX, func(s string) float64 { return r.width(s, sizeHead) })})
	}
	for _, f := range b.Fields {
		label := clean(f.Label)
		vals := r.wrapAt(f.Value, w-labelW-padX, sizeBody)
		for i, v := range vals {
			bl := blockLine{value: v}
			if i == 0 {
				bl.label = fitLine(label, labelW-1, func(s string) float64 { return r.width(s, sizeBody) })
			}
			out = append(out, bl)
		}
	}
	return out
}

// labelWidth is the width of a block's label column: its longest label,
// between 14 mm and 40 % of the block.
func (r *renderer) labelWidth(b Block, w float64) float64 {
	lw := 14.0
	for _, f := range b.Fields {
		lw = max(lw, r.width(clean(f.Label), sizeBody)+2)
	}
	return min(lw, w*0.4)
}

// blocks lays the blocks out in pairs, line by line, so a block longer
// than the page continues on the next with its neighbour.
func (r *renderer) blocks() {
	bs := r.d.Blocks
	const gap = 6.0
	for i := 0; i < len(bs); i += 2 {
		cols := bs[i:min(i+2, len(bs))]
		w := contentW
		if len(cols) == 2 {
			w = (contentW - gap) / 2
		}
		lines := make([][]blockLine, len(cols))
		labelW := make([]float64, len(cols))
		n := 0
		for j, b := range cols {
			labelW[j] = r.labelWidth(b, w)
			lines[j] = r.blockLines(b, w, labelW[j])
			n = max(n, len(lines[j]))
		}
		lh := lineH(sizeBody)
		// Keep a block's title with its first rows.
		r.ensure(min(float64(n), 3) * (lh + 0.6))
		for k := 0; k < n; k++ {
			h := lh
			isTitle := false
			for j := range cols {
				if k < len(lines[j]) && lines[j][k].title {
					h, isTitle = lineH(sizeHead)+1.2, true
				}
			}
			r.ensure(h)
			for j := range cols {
				if k >= len(lines[j]) {
					continue
				}
				x := marginX + float64(j)*(w+gap)
				bl := lines[j][k]
				if bl.title {
					r.fill(x, r.y, w, h, colFill)
					r.setSize(sizeHead)
					r.color(colText)
					r.bold(true, colText)
					r.text(x+padX, r.y, w-2*padX, h, bl.value, Left)
					r.bold(false, colText)
					continue
				}
				top := r.y
				if isTitle {
					top += (h - lh) / 2
				}
				lw := labelW[j]
				r.setSize(sizeBody)
				if bl.label != "" {
					r.color(colMuted)
					r.text(x+padX, top, lw, lh, bl.label, Left)
				}
				r.color(colText)
				r.text(x+padX+lw, top, w-lw-2*padX, lh, bl.value, Left)
			}
			r.y += h
		}
		r.y += 4
	}
}

// table draws a table: the header on every page it spans, rows wrapped in
// their cells, a row too tall for one page continued on the next.
func (r *renderer) table(t Table) {
	if len(t.Columns) == 0 {
		return
	}
	total := 0.0
	for _, c := range t.Columns {
		total += colWeight(c)
	}
	widths := make([]float64, len(t.Columns))
	for i, c := range t.Columns {
		widths[i] = contentW * colWeight(c) / total
	}
	lh := lineH(sizeBody)
	head := make([][]string, len(t.Columns))
	headN := 1
	for i, c := range t.Columns {
		head[i] = r.wrapAt(c.Label, widths[i]-2*padX, sizeBody)
		if len(head[i]) > 3 { // a header is repeated on every page: keep it short
			head[i] = append(head[i][:2], fitLine(strings.Join(head[i][2:], ""), widths[i]-2*padX, func(s string) float64 { return r.width(s, sizeBody) }))
		}
		headN = max(headN, len(head[i]))
	}
	headH := float64(headN)*lh + 2*padY
	title := strings.TrimSpace(clean(t.Title))
	titleH := 0.0
	if title != "" {
		titleH = lineH(sizeHead) + 1
	}
	drawHead := func(cont bool) {
		if title != "" {
			s := title
			if cont {
				s += i18n.Msg(r.l, "pdf.continued")
			}
			r.setSize(sizeHead)
			r.color(colText)
			r.bold(true, colText)
			r.text(marginX, r.y, contentW, lineH(sizeHead), fitLine(s, contentW, func(x string) float64 { return r.width(x, sizeHead) }), Left)
			r.bold(false, colText)
			r.y += titleH
		}
		r.fill(marginX, r.y, contentW, headH, colFill)
		r.setSize(sizeBody)
		r.color(colText)
		r.bold(true, colText)
		x := marginX
		for i, c := range t.Columns {
			for k, s := range head[i] {
				r.text(x+padX, r.y+padY+float64(k)*lh, widths[i]-2*padX, lh, s, align(c.Align))
			}
			x += widths[i]
		}
		r.bold(false, colText)
		r.y += headH
		r.line(marginX, r.y, marginX+contentW, r.y, colMuted, 0.3)
	}
	// The header and the first row (or a part of it) start together.
	r.ensure(titleH + headH + lh + 2*padY)
	drawHead(false)
	for ri, row := range t.Rows {
		cells := make([][]string, len(t.Columns))
		n := 1
		for i := range t.Columns {
			v := ""
			if i < len(row) {
				v = row[i]
			}
			cells[i] = r.wrapAt(v, widths[i]-2*padX, sizeBody)
			n = max(n, len(cells[i]))
		}
		rowH := float64(n)*lh + 2*padY
		fresh := bodyBottom - bodyTop - titleH - headH // a new page's room under the header
		for from := 0; from < n; {
			room := int((bodyBottom - r.y - 2*padY + 0.01) / lh)
			if (room < 1 || from == 0 && !r.fits(rowH) && rowH <= fresh) && r.y > bodyTop+titleH+headH+0.01 {
				// Not even one line left, or a row that would fit whole
				// on a fresh page: start one, header first.
				r.newPage()
				drawHead(true)
				continue
			}
			to := min(n, from+max(room, 1))
			h := float64(to-from)*lh + 2*padY
			if ri%2 == 1 {
				r.fill(marginX, r.y, contentW, h, colZebra)
			}
			r.setSize(sizeBody)
			r.color(colText)
			x := marginX
			for i, c := range t.Columns {
				for k := from; k < to && k < len(cells[i]); k++ {
					r.text(x+padX, r.y+padY+float64(k-from)*lh, widths[i]-2*padX, lh, cells[i][k], align(c.Align))
				}
				x += widths[i]
			}
			r.y += h
			r.line(marginX, r.y, marginX+contentW, r.y, colRule, 0.2)
			from = to
		}
	}
	r.totals(t.Totals)
	r.y += 4
}

func colWeight(c Column) float64 {
	if c.Width <= 0 {
		return 1
	}
	return c.Width
}

func align(a Align) Align {
	switch a {
	case Right, Center:
		return a
	}
	return Left
}

// totals right-aligns label and value pairs under a table.
func (r *renderer) totals(ts []Total) {
	if len(ts) == 0 {
		return
	}
	r.y += 1.5
	const valueW, labelW = 42.0, 48.0
	for _, t := range ts {
		size := sizeBody
		if t.Strong {
			size = sizeHead
		}
		lh := lineH(size) + 0.4
		labels := r.wrapAt(t.Label, labelW-2, size)
		values := r.wrapAt(t.Value, valueW, size)
		n := max(len(labels), len(values))
		r.ensure(float64(n) * lh)
		r.setSize(size)
		r.bold(t.Strong, colText)
		for k := 0; k < n; k++ {
			if k < len(labels) {
				r.color(colMuted)
				if t.Strong {
					r.color(colText)
				}
				r.text(marginX+contentW-valueW-labelW, r.y, labelW-2, lh, labels[k], Right)
			}
			if k < len(values) {
				r.color(colText)
				r.text(marginX+contentW-valueW, r.y, valueW, lh, values[k], Right)
			}
			r.y += lh
		}
		r.bold(false, colText)
	}
}

// section draws a heading and wrapped paragraphs.
func (r *renderer) section(s Section) {
	lh := lineH(sizeBody)
	body := r.wrapAt(strings.TrimRight(s.Body, "\n "), contentW, sizeBody)
	if h := strings.TrimSpace(clean(s.Heading)); h != "" {
		hh := lineH(sizeHead) + 1
		heads := r.wrapAt(h, contentW, sizeHead)
		// The heading stays with the first lines of its body.
		r.ensure(float64(len(heads))*hh + min(float64(len(body)), 2)*lh)
		r.setSize(sizeHead)
		r.color(colText)
		r.bold(true, colText)
		for _, x := range heads {
			r.ensure(hh)
			r.text(marginX, r.y, contentW, hh, x, Left)
			r.y += hh
		}
		r.bold(false, colText)
	}
	r.setSize(sizeBody)
	r.color(colText)
	if strings.TrimSpace(s.Body) == "" {
		body = nil
	}
	for _, x := range body {
		r.ensure(lh)
		r.text(marginX, r.y, contentW, lh, x, Left)
		r.y += lh
	}
	r.y += 3
}

// signatures draws the signing blocks, three to a row, each row kept on
// one page.
func (r *renderer) signatures() {
	ss := r.d.Signatures
	if len(ss) == 0 {
		return
	}
	r.y += 4
	lh := lineH(sizeBody)
	const gap = 8.0
	for i := 0; i < len(ss); i += 3 {
		row := ss[i:min(i+3, len(ss))]
		w := (contentW - gap*float64(len(row)-1)) / float64(len(row))
		if len(row) == 1 {
			w = (contentW - gap) / 2
		}
		type blockText struct{ title, name []string }
		texts := make([]blockText, len(row))
		n := 0
		for j, s := range row {
			texts[j] = blockText{r.wrapAt(s.Title, w, sizeHead), r.wrapAt(s.Name, w, sizeBody)}
			if strings.TrimSpace(s.Name) == "" {
				texts[j].name = nil
			}
			n = max(n, len(texts[j].title)+len(texts[j].name))
		}
		h := float64(n)*lh + 2*(lh+5) + 2
		r.ensure(h)
		top := r.y
		for j := range row {
			x := marginX + float64(j)*(w+gap)
			y := top
			r.setSize(sizeHead)
			r.color(colText)
			r.bold(true, colText)
			for _, s := range texts[j].title {
				r.text(x, y, w, lh, s, Left)
				y += lh
			}
			r.bold(false, colText)
			r.setSize(sizeBody)
			for _, s := range texts[j].name {
				r.text(x, y, w, lh, s, Left)
				y += lh
			}
			y = top + float64(n)*lh + 5
			for _, key := range []string{"pdf.sign", "pdf.sign_date"} {
				label := i18n.Msg(r.l, key)
				r.color(colMuted)
				r.text(x, y, w, lh, label, Left)
				lw := r.width(label, sizeBody) + 1
				r.line(x+lw, y+lh-0.5, x+w, y+lh-0.5, colMuted, 0.2)
				y += lh + 5
			}
		}
		r.y = top + h + 2
	}
}
