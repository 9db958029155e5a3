package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/api"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/quotes"
)

// Quotes in the web UI: an editor for the header and the lines whose
// amounts the server computes as the user types (htmx; the same form
// works without script through its buttons), the quote's page with its
// lines, totals, versions and steps, the quotes of an opportunity and a
// customer, and a price list's items. Everything goes through the quote
// service the API calls.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /quotes/compose", s.page(s.quoteCompose))
		m.HandleFunc("POST /quotes/compose", s.page(s.quoteSave))
		m.HandleFunc("GET /quotes/{id}/editor", s.page(s.quoteEditor))
		m.HandleFunc("POST /quotes/{id}/editor", s.page(s.quoteSave))
		m.HandleFunc("POST /quotes/preview", s.page(s.quotePreview))
		m.HandleFunc("POST /quotes/{id}/submit", s.page(s.quoteSubmit))
		m.HandleFunc("POST /quotes/{id}/send", s.page(s.quoteSend))
		m.HandleFunc("POST /quotes/{id}/accept", s.page(s.quoteAccept))
		m.HandleFunc("POST /quotes/{id}/reject", s.page(s.quoteReject))
		m.HandleFunc("POST /quotes/{id}/revise", s.page(s.quoteRevise))
		m.HandleFunc("GET /quotes/{id}/pdf", s.page(s.quotePDF))
		m.HandleFunc("POST /price-lists/{id}/items", s.page(s.priceItemAdd))
		m.HandleFunc("POST /price-lists/{id}/items/{item}/delete", s.page(s.priceItemRemove))
	})
	onDetail("quote", (*Server).extendQuote)
	onDetail("opportunity", (*Server).opportunityQuotes)
	onDetail("customer", (*Server).customerQuotes)
	onDetail("price_list", (*Server).priceListItems)
	onList("quote", (*Server).quoteList)
	for code, tone := range map[string]string{"in_approval": "badge-warning", "accepted": "badge-success", "rejected": "badge-danger",
		"expired": "badge-muted", "superseded": "badge-muted"} {
		tones[code] = tone
	}
}

// The dialogs of a quote's page.
const (
	dlgQuoteSubmit = "dlg-qt-submit"
	dlgQuoteReject = "dlg-qt-reject"
)

// lineInputs are the inputs of one editor row, by line field.
var lineInputs = []struct{ name, field string }{
	{"line_product", "product_id"}, {"line_name", "name"}, {"line_spec", "spec"}, {"line_unit", "unit"},
	{"line_qty", "quantity"}, {"line_price", "unit_price"}, {"line_discount", "discount_bp"}, {"line_tax", "tax_rate_bp"},
}

// editorRow is one line as typed (text), with what it belongs to.
type editorRow struct {
	ID      string            // the stored line ("" for a new one)
	Filled  string            // the product whose defaults the row shows
	Title   string            // the chosen product's title, as the lookup shows it
	Values  map[string]string // line field → text
	Blank   bool
	Problem map[string]string // line field → message
}

// readRows reads the editor's rows from a form (parallel arrays, one
// entry per row), applying an add or remove operation.
func readRows(form url.Values) []editorRow {
	n := len(form["line_name"])
	var rows []editorRow
	for i := 0; i < n; i++ {
		r := editorRow{ID: at(form["line_id"], i), Filled: at(form["line_filled"], i), Title: at(form["line_product_title"], i), Values: map[string]string{}}
		blank := true
		for _, in := range lineInputs {
			v := strings.TrimSpace(at(form[in.name], i))
			r.Values[in.field] = v
			if v != "" && in.field != "tax_rate_bp" && in.field != "discount_bp" {
				blank = false
			}
		}
		r.Blank = blank && r.ID == ""
		rows = append(rows, r)
	}
	op := form.Get("op")
	switch {
	case op == "add":
		rows = append(rows, editorRow{Values: map[string]string{"quantity": "1", "discount_bp": "0"}, Blank: true})
	case strings.HasPrefix(op, "remove-"):
		if i, err := strconv.Atoi(strings.TrimPrefix(op, "remove-")); err == nil && i >= 0 && i < len(rows) {
			rows = append(rows[:i], rows[i+1:]...)
		}
	}
	return rows
}

func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// parseRows turns typed rows into line records for the service: a row
// whose product changed loses the previous product's defaults, blank new
// rows are left out. idx maps each record back to its row.
func (c *rc) parseRows(rows []editorRow) (lines []entity.Record, idx []int, bad []errs.FieldError) {
	le := c.schema.Entity("quote_line")
	for i := range rows {
		r := &rows[i]
		if r.Blank {
			continue
		}
		if pid := strings.ToLower(r.Values["product_id"]); pid != "" && pid != r.Filled {
			// A new product: its name, specification, unit, price and tax apply.
			for _, f := range []string{"name", "spec", "unit", "unit_price", "tax_rate_bp"} {
				r.Values[f] = ""
			}
		}
		prefix := fmt.Sprintf("lines[%d].", len(lines))
		rec := entity.Record{}
		if r.ID != "" {
			rec["id"] = strings.ToLower(r.ID)
		}
		for _, in := range lineInputs {
			raw := r.Values[in.field]
			if raw == "" {
				if r.ID != "" {
					rec[in.field] = nil // cleared
				}
				continue
			}
			v, fe := c.schema.ParseText(le.Field(in.field), raw)
			if fe != nil {
				p := quotes.PercentProblem(*fe, raw)
				p.Field = prefix + p.Field
				bad = append(bad, p)
				continue
			}
			rec[in.field] = v
		}
		if r.ID != "" {
			// Keep the stored value where the form left a field empty that a
			// product fills (the service fills it again from the product).
			for _, f := range []string{"spec", "unit", "product_id"} {
				if rec[f] == nil {
					delete(rec, f)
				}
			}
		}
		lines = append(lines, rec)
		idx = append(idx, i)
	}
	return lines, idx, bad
}

// lineRow is one row of the editor as shown.
type lineRow struct {
	N, Index              int
	ID, Filled            string
	Product               formField
	Name, Spec, Unit, Qty formField
	Price, Discount, Tax  formField
	Total                 string
	Errors                []string
	RemoveLabel           string
}

// totalsView are a quote's totals as shown.
type totalsView struct {
	T                                   func(string, ...any) string
	Subtotal, Discount, Net, Tax, Total string
	Words                               string // 大写
	MaxDiscount                         string
	NeedsApproval                       bool
}

// linesView is the editor's lines section.
type linesView struct {
	T      func(string, ...any) string
	Rows   []lineRow
	Totals totalsView
	Errors []string
	Oob    bool
}

func (c *rc) totals(rec entity.Record, needs bool) totalsView {
	cur := rec.Str("currency")
	t := totalsView{T: c.T, Subtotal: moneyFull(cur, rec.Int("subtotal")), Discount: moneyFull(cur, rec.Int("discount_amount")),
		Net: moneyFull(cur, rec.Int("net_amount")), Tax: moneyFull(cur, rec.Int("tax_amount")), Total: moneyFull(cur, rec.Int("total")),
		MaxDiscount: entity.FormatScaled(rec.Int("max_discount_bp"), 2) + "%", NeedsApproval: needs}
	if cur == "" || cur == "CNY" {
		t.Words = crm.AmountInWords(rec.Int("total"))
	}
	return t
}

// moneyFull shows fen with the currency's sign and both decimals.
func moneyFull(cur string, fen int64) string {
	sign := map[string]string{"": "¥", "CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}[cur]
	if sign == "" {
		sign = cur + " "
	}
	if fen < 0 {
		return "-" + sign + entity.FormatMoney(-fen)
	}
	return sign + entity.FormatMoney(fen)
}

// buildLines lays out the rows with the service's computed lines (by row
// index) and the problems, keeping what was typed.
func (c *rc) buildLines(rows []editorRow, computed map[int]entity.Record, problems map[int][]string, rowErr map[int]map[string]string) []lineRow {
	le := c.schema.Entity("quote_line")
	var out []lineRow
	want := map[string][]string{}
	for _, r := range rows {
		if id := r.Values["product_id"]; entity.LooksLikeID(id) && r.Title == "" {
			want["product"] = append(want["product"], id)
		}
	}
	rf := c.resolve(want, nil)
	for i, r := range rows {
		vals := map[string]string{}
		for k, v := range r.Values {
			vals[k] = v
		}
		filled := r.Filled
		if l := computed[i]; l != nil {
			// Fill what the user left empty from the computed line (product defaults).
			for _, in := range lineInputs {
				if vals[in.field] == "" && !entity.IsEmpty(l[in.field]) {
					vals[in.field] = lineText(le.Field(in.field), l[in.field])
				}
			}
			filled = l.Str("product_id")
		}
		n := i + 1
		id := func(f string) string { return fmt.Sprintf("ql-%s-%d", f, i) }
		input := func(field, name, mode string, max int) formField {
			f := le.Field(field)
			ff := formField{ID: id(field), Name: name, Label: f.Label.In(c.L), Kind: "input", InputType: "text", InputMode: mode, MaxLen: max, Value: vals[field]}
			if rowErr[i] != nil {
				ff.Error = rowErr[i][field]
			}
			return ff
		}
		row := lineRow{N: n, Index: i, ID: r.ID, Filled: filled, RemoveLabel: c.T("qt.remove_line", "n", n),
			Name: input("name", "line_name", "", 200), Spec: input("spec", "line_spec", "", 300), Unit: input("unit", "line_unit", "", 20),
			Qty: input("quantity", "line_qty", "numeric", 12), Price: input("unit_price", "line_price", "decimal", 20),
			Discount: input("discount_bp", "line_discount", "decimal", 8), Tax: input("tax_rate_bp", "line_tax", "decimal", 8)}
		title := r.Title
		if t, ok := rf.title("product", vals["product_id"]); ok && title == "" {
			title = t
		}
		row.Product = formField{ID: id("product"), Name: "line_product", Label: le.Field("product_id").Label.In(c.L), Kind: "lookup",
			LookupURL: "/ui/lookup/products", Value: vals["product_id"], LookupTitle: title}
		if rowErr[i] != nil {
			row.Product.Error = rowErr[i]["product_id"]
		}
		if l := computed[i]; l != nil && !entity.IsEmpty(l["line_total"]) {
			row.Total = moneyFull("", l.Int("line_total"))
		}
		row.Errors = problems[i]
		out = append(out, row)
	}
	return out
}

// lineText is a line value as its input shows it.
func lineText(f *entity.Field, v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		switch {
		case f.Kind == entity.Money:
			return strings.ReplaceAll(entity.FormatMoney(x), ",", "")
		case f.Scale > 0:
			return entity.FormatScaled(x, f.Scale)
		}
		return strconv.FormatInt(x, 10)
	}
	return ""
}

// editorPage is the quote editor.
type editorPage struct {
	*base
	Heading, Action, Cancel string
	Version                 int64
	New                     bool
	ID                      string
	Fields                  []formField
	More                    []formField
	Lines                   *linesView
	Errors                  []string
	Stale                   string
}

// editorFields split the header: what a quote needs at once, and the terms.
var editorMain = []string{"title", "customer_id", "opportunity_id", "contact_id", "valid_until", "currency", "price_list_id", "delivery_period", "discount_reason"}

// preview prices rows through the service and lays them out.
func (s *Server) preview(c *rc, header entity.Record, quoteID string, rows []editorRow, fieldErrs []errs.FieldError) (*linesView, []errs.FieldError, error) {
	lines, idx, bad := c.parseRows(rows)
	q, more, err := s.app.Quotes.Preview(c.ctx(), c.p, header, quoteID, lines)
	if err != nil {
		return nil, nil, err
	}
	bad = append(append(bad, more...), fieldErrs...)
	computed := map[int]entity.Record{}
	for i, l := range q.Lines {
		if i < len(idx) {
			computed[idx[i]] = l
		}
	}
	problems, rowErr, other := c.lineProblems(bad, idx)
	// A row with a problem is not counted (nor shown with an amount) until
	// it is put right: the totals are those of the rows that can be read.
	var counted []entity.Record
	for row, l := range computed {
		if len(problems[row]) > 0 {
			delete(computed, row)
			continue
		}
		if !entity.IsEmpty(l["line_total"]) {
			counted = append(counted, l)
		}
	}
	if err := quotes.SetTotals(q.Rec, counted); err != nil {
		other = append(other, c.T("err.amount_too_large", "field", c.T("qt.lines")))
	}
	needs, err := s.app.Quotes.NeedsApproval(c.ctx(), c.p, q.Rec)
	if err != nil {
		return nil, nil, err
	}
	lv := &linesView{T: c.T, Rows: c.buildLines(rows, computed, problems, rowErr), Totals: c.totals(q.Rec, needs), Errors: other}
	return lv, bad, nil
}

// lineProblems sorts problems named lines[i].field to their rows (by the
// index map of parseRows), the rest to the section.
func (c *rc) lineProblems(bad []errs.FieldError, idx []int) (map[int][]string, map[int]map[string]string, []string) {
	problems, rowErr := map[int][]string{}, map[int]map[string]string{}
	var other []string
	le := c.schema.Entity("quote_line")
	for _, fe := range bad {
		if !strings.HasPrefix(fe.Field, "lines") {
			continue
		}
		var i int
		var field string
		if n, _ := fmt.Sscanf(strings.NewReplacer("[", " ", "].", " ").Replace(fe.Field), "lines %d %s", &i, &field); n == 2 && i < len(idx) {
			row := idx[i]
			fe2 := fe
			fe2.Field = field
			fe2.Args = c.localArgs(fe.Args)
			msg := httpx.FieldMessage(c.L, fe2, c.T("qt.line_field", "n", row+1, "field", c.fieldLabel(le, field)))
			problems[row] = append(problems[row], msg)
			if rowErr[row] == nil {
				rowErr[row] = map[string]string{}
			}
			if rowErr[row][field] == "" {
				rowErr[row][field] = msg
			}
			continue
		}
		other = append(other, httpx.FieldMessage(c.L, fe, c.T("qt.lines")))
	}
	return problems, rowErr, other
}

// rowsOf are the stored lines as editor rows.
func (c *rc) rowsOf(lines []entity.Record) []editorRow {
	le := c.schema.Entity("quote_line")
	var rows []editorRow
	for _, l := range lines {
		r := editorRow{ID: l.ID(), Filled: l.Str("product_id"), Values: map[string]string{}}
		for _, in := range lineInputs {
			r.Values[in.field] = lineText(le.Field(in.field), l[in.field])
		}
		rows = append(rows, r)
	}
	return rows
}

// showEditor renders the editor with values and problems.
func (s *Server) showEditor(c *rc, status int, id string, version int64, values url.Values, rows []editorRow, err error) error {
	qe := c.schema.Entity("quote")
	ep := &editorPage{New: id == "", ID: id, Version: version}
	if ep.New {
		ep.base = c.newBase(c.T("qt.new"), qe.Resource)
		ep.Heading, ep.Action, ep.Cancel = ep.Title, "/quotes/compose", "/quotes"
		if o := values.Get("opportunity_id"); entity.LooksLikeID(o) {
			ep.Cancel = "/opportunities/" + o
		}
	} else {
		ep.base = c.newBase(c.T("qt.edit", "number", values.Get("_number")), qe.Resource)
		ep.Heading, ep.Action, ep.Cancel = ep.Title, "/quotes/"+id+"/editor", "/quotes/"+id
	}
	ep.Crumbs = []link{{Text: qe.Plural.In(c.L), Href: "/quotes"}, {Text: ep.Heading}}
	var fieldErrs []errs.FieldError
	fieldMsg := map[string]string{}
	if ee := errs.As(err); ee != nil {
		for _, fe := range ee.Fields {
			if strings.HasPrefix(fe.Field, "lines") {
				fieldErrs = append(fieldErrs, fe)
				continue
			}
			msg := c.fieldText(qe, fe)
			if qe.Field(fe.Field) != nil && fieldMsg[fe.Field] == "" {
				fieldMsg[fe.Field] = msg
			} else {
				ep.Errors = append(ep.Errors, msg)
			}
		}
		switch ee.Code {
		case "validation":
			ep.Errors = append([]string{c.T("form.fix_errors", "n", len(ee.Fields))}, ep.Errors...)
		case "stale_version":
			ep.Errors = append(ep.Errors, c.errText(err))
			ep.Stale = "/quotes/" + id + "/editor"
		default:
			ep.Errors = append(ep.Errors, c.errText(err))
		}
	}
	fp := &formPage{}
	c.buildForm(fp, qe, values, fieldMsg)
	for _, ff := range append(fp.Primary, fp.Rest...) {
		if contains(editorMain, ff.Name) {
			ep.Fields = append(ep.Fields, ff)
		} else {
			ep.More = append(ep.More, ff)
		}
	}
	header, _ := c.parseRecord(qe, values, nil)
	lv, _, perr := s.preview(c, header, id, rows, fieldErrs)
	if perr != nil {
		return perr
	}
	ep.Lines = lv
	return c.render(status, "quote_editor", ep)
}

// quoteCompose serves the editor of a new quote, prefilled from an
// opportunity or a customer (/quotes/compose?opportunity_id=…).
func (s *Server) quoteCompose(c *rc) error {
	if !c.p.Perm("quote").Create {
		return errs.Denied()
	}
	q := c.r.URL.Query()
	def, err := s.app.Quotes.Defaults(c.ctx(), c.p, q.Get("opportunity_id"), q.Get("customer_id"))
	if err != nil {
		return err
	}
	values := c.recordValues(c.schema.Entity("quote"), def)
	rows := []editorRow{{Values: map[string]string{"quantity": "1", "discount_bp": "0"}, Blank: true}}
	return s.showEditor(c, http.StatusOK, "", 0, values, rows, nil)
}

// quoteEditor serves the editor of a draft.
func (s *Server) quoteEditor(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("quote")
	}
	q, err := s.app.Quotes.Get(c.ctx(), c.p, id)
	if err != nil {
		return err
	}
	if c.p.Perm("quote").Write == access.None {
		return errs.Denied()
	}
	if err := crm.CheckQuoteStep(q.Rec.Str("status"), crm.QuoteStepEdit); err != nil {
		c.flash("error", c.errText(err))
		return c.redirect("/quotes/" + id)
	}
	values := c.recordValues(c.schema.Entity("quote"), q.Rec)
	values.Set("_number", q.Rec.Str("number"))
	rows := c.rowsOf(q.Lines)
	if len(rows) == 0 {
		rows = []editorRow{{Values: map[string]string{"quantity": "1", "discount_bp": "0"}, Blank: true}}
	}
	return s.showEditor(c, http.StatusOK, id, q.Rec.Version(), values, rows, nil)
}

// quoteSave saves the editor (new or draft) — or, for the buttons that
// add or remove a row without script, shows it again unsaved.
func (s *Server) quoteSave(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	form := c.r.PostForm
	id := strings.ToLower(c.r.PathValue("id"))
	version, _ := strconv.ParseInt(form.Get("version"), 10, 64)
	rows := readRows(form)
	if op := form.Get("op"); op != "" && op != "save" {
		return s.showEditor(c, http.StatusOK, id, version, form, rows, nil)
	}
	qe := c.schema.Entity("quote")
	var old entity.Record
	if id != "" {
		cur, err := s.app.Quotes.Get(c.ctx(), c.p, id)
		if err != nil {
			return err
		}
		old = cur.Rec
		form.Set("_number", old.Str("number"))
	}
	header, bad := c.parseRecord(qe, form, old)
	if header.Str("opportunity_id") != "" {
		// The customer follows the opportunity (the service fills it).
		bad = slices.DeleteFunc(bad, func(fe errs.FieldError) bool { return fe.Field == "customer_id" && fe.Code == "required" })
	}
	lines, _, lineBad := c.parseRows(rows)
	bad = append(bad, lineBad...)
	if id != "" && version <= 0 {
		bad = append(bad, errs.FieldError{Field: "version", Code: "required"})
	}
	var out *quotes.Quote
	err := errs.Validation(bad)
	if err == nil {
		in := quotes.Input{Quote: header, Lines: lines, SetLines: true}
		if id == "" {
			out, err = s.app.Quotes.Create(c.ctx(), c.p, in)
		} else {
			out, err = s.app.Quotes.Update(c.ctx(), c.p, id, version, in)
		}
	}
	if err != nil {
		if k := errs.KindOf(err); k == errs.Internal || k == errs.NotFound || k == errs.Forbidden {
			return err
		}
		return s.showEditor(c, httpStatus(err), id, version, form, rows, err)
	}
	if id == "" {
		c.flash("success", c.T("qt.created", "number", out.Rec.Str("number")))
	} else {
		c.flash("success", c.T("qt.saved", "number", out.Rec.Str("number")))
	}
	return c.redirect("/quotes/" + out.Rec.ID())
}

// quotePreview answers the editor's htmx requests: mode=amounts sends the
// computed amounts and problems only (out-of-band, so nothing being typed
// is replaced); otherwise the lines section again (a product chosen, a
// row added or removed).
func (s *Server) quotePreview(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	form := c.r.PostForm
	qe := c.schema.Entity("quote")
	id := strings.ToLower(form.Get("quote_id"))
	if id != "" && !entity.LooksLikeID(id) {
		return errs.NotFoundf("quote")
	}
	header, _ := c.parseRecord(qe, form, nil)
	rows := readRows(form)
	lv, _, err := s.preview(c, header, id, rows, nil)
	if err != nil {
		return err
	}
	if c.r.URL.Query().Get("mode") == "amounts" {
		lv.Oob = true
		return c.fragment(http.StatusOK, "quote_editor", "qt_amounts", lv)
	}
	return c.fragment(http.StatusOK, "quote_editor", "qt_lines", lv)
}

// quoteView is what the quote's partials show.
type quoteView struct {
	T          func(string, ...any) string
	ID         string
	Version    int64
	Status     string
	Edit       string
	Submit     *dialogForm
	Reject     *dialogForm
	Send       bool
	SendNote   string
	Accept     bool
	Revise     bool
	PDF, PDFEn string
	Lines      []quoteLineRow
	Totals     totalsView
	Versions   []versionRow
	Note       string // why the quote is as it is (locked, waiting, answered)
	Rejected   string
	Newer      string
}

type quoteLineRow struct {
	N                                                  int
	Name, Spec, Unit, Qty, Price, Discount, Tax, Total string
	Href                                               template.URL
}

// extendQuote adds the lines, totals, steps and versions to a quote's page.
func (s *Server) extendQuote(c *rc, rec entity.Record, dp *detailPage) error {
	qe, le := c.schema.Entity("quote"), c.schema.Entity("quote_line")
	q, err := s.app.Quotes.Get(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	status := rec.Str("status")
	write := c.p.Perm("quote").Write != access.None && !c.p.ReadOnly
	v := &quoteView{T: c.T, ID: rec.ID(), Version: rec.Version(), Status: status, PDF: "/quotes/" + rec.ID() + "/pdf", PDFEn: "/quotes/" + rec.ID() + "/pdf?lang=en"}
	needs := false
	if status == crm.QuoteDraft {
		if needs, err = s.app.Quotes.NeedsApproval(c.ctx(), c.p, rec); err != nil {
			return err
		}
	}
	v.Totals = c.totals(rec, needs)
	for _, l := range q.Lines {
		row := quoteLineRow{N: int(l.Int("position")), Name: l.Str("name"), Spec: l.Str("spec"), Unit: l.Str("unit"),
			Qty: strconv.FormatInt(l.Int("quantity"), 10), Price: moneyFull(rec.Str("currency"), l.Int("unit_price")),
			Discount: entity.FormatScaled(l.Int("discount_bp"), 2) + "%", Tax: entity.FormatScaled(l.Int("tax_rate_bp"), 2) + "%",
			Total: moneyFull(rec.Str("currency"), l.Int("line_total"))}
		if pid := l.Str("product_id"); pid != "" && c.p.Perm("product").Read != access.None {
			row.Href = template.URL("/products/" + pid)
		}
		v.Lines = append(v.Lines, row)
	}
	// The editor replaces the generic form; only a draft is edited.
	dp.EditHref = ""
	if write && crm.CanQuote(status, crm.QuoteStepEdit) {
		v.Edit = "/quotes/" + rec.ID() + "/editor"
	}
	if !crm.CanQuote(status, crm.QuoteStepDelete) && !c.p.IsAdmin() {
		dp.Delete = ""
	}
	versions, err := s.app.Quotes.Versions(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	for i, r := range versions {
		row := versionRow{Label: c.T("qt.revision", "n", r.Int("revision"), "number", r.Str("number")), Href: "/quotes/" + r.ID(),
			Status: c.cell(qe.Field("status"), r["status"], &refs{}), Current: r.ID() == rec.ID()}
		v.Versions = append(v.Versions, row)
		if row.Current && i+1 < len(versions) {
			v.Newer = "/quotes/" + versions[len(versions)-1].ID()
		}
	}
	if write {
		if crm.CanQuote(status, crm.QuoteStepSubmit) && len(q.Lines) > 0 {
			reason := formField{ID: "qs-reason", Name: "reason", Label: c.T("qt.submit_reason"), Kind: "textarea", Wide: true, MaxLen: 2000,
				Hint: c.T("qt.submit_reason_hint")}
			if rec.Str("discount_reason") != "" {
				reason.Value = rec.Str("discount_reason")
			}
			hint := c.T("qt.submit_hint_direct")
			if needs {
				hint = c.T("qt.submit_hint_approval", "max", v.Totals.MaxDiscount)
			}
			v.Submit = &dialogForm{ID: dlgQuoteSubmit, Title: c.T("qt.submit"), Button: c.T("qt.submit"), Action: "/quotes/" + rec.ID() + "/submit",
				Submit: c.T("qt.submit"), Hint: hint, Version: rec.Version(), Fields: []formField{reason}}
			v.Submit.apply(c.formStateOf(dlgQuoteSubmit))
		}
		v.Send = crm.CanQuote(status, crm.QuoteStepSend) && len(q.Lines) > 0 && !(status == crm.QuoteDraft && needs)
		if status == crm.QuoteDraft {
			v.SendNote = c.T("qt.send_confirm_draft")
		} else {
			v.SendNote = c.T("qt.send_confirm")
		}
		v.Accept = crm.CanQuote(status, crm.QuoteStepAccept)
		if crm.CanQuote(status, crm.QuoteStepReject) {
			reason := formField{ID: "qr-reason", Name: "reason", Label: c.T("qt.reject_reason"), Kind: "textarea", Wide: true, MaxLen: 2000, Required: true}
			v.Reject = &dialogForm{ID: dlgQuoteReject, Title: c.T("qt.reject"), Button: c.T("qt.reject"), Action: "/quotes/" + rec.ID() + "/reject",
				Submit: c.T("qt.reject"), Danger: true, Version: rec.Version(), Fields: []formField{reason}, Confirm: c.T("qt.reject_confirm")}
			v.Reject.apply(c.formStateOf(dlgQuoteReject))
		}
		v.Revise = crm.CanQuote(status, crm.QuoteStepRevise) && c.p.Perm("quote").Create
	}
	if key := "qt.note_" + status; i18n.Has(c.L, key) {
		v.Note = c.T(key)
	}
	if needs {
		v.Note = c.T("qt.note_needs_approval", "max", v.Totals.MaxDiscount)
		v.Totals.NeedsApproval = false // said once, above the lines
	}
	v.Rejected = rec.Str("rejected_reason")
	// The totals are shown with the lines; the field grid keeps the rest.
	hide := map[string]bool{}
	for _, n := range []string{"subtotal", "discount_amount", "net_amount", "tax_amount", "total", "max_discount_bp", "rejected_reason"} {
		hide[qe.Field(n).Label.In(c.L)] = true
	}
	var kept []dlItem
	for _, it := range dp.Fields {
		if !hide[it.Label] {
			kept = append(kept, it)
		}
	}
	dp.Fields = kept
	_ = le
	actions, err := c.partial("qt_actions", v)
	if err != nil {
		return err
	}
	panel, err := c.partial("qt_panel", v)
	if err != nil {
		return err
	}
	dp.Actions = append(dp.Actions, actions)
	dp.Top = append(dp.Top, panel)
	return nil
}

// quoteStep runs a step of the quote's page and says how it went.
func (s *Server) quoteStep(c *rc, run func(id string, version int64) (string, error)) error {
	_ = c.r.ParseForm()
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("quote")
	}
	msg, err := run(id, formVersion(c.r.PostForm))
	if err != nil {
		return c.quoteFailed(err, id, "", nil)
	}
	return c.processDone(msg, "/quotes/"+id)
}

// quoteFailed shows the quote's page again with the refused dialog open
// (its input kept, problems at their fields), or says why in a flash.
func (c *rc) quoteFailed(err error, id, dialog string, shown []string) error {
	if dialog != "" {
		st, ok := c.refusedForm(err, dialog, c.r.PostForm, shown, func(key string) string { return c.T("qt.field_" + key) }, nil)
		if ok && errs.KindOf(err) != errs.Conflict {
			c.withFormState(st)
			return c.s.showDetail(c, c.schema.Entity("quote"), id, httpStatus(err), nil)
		}
	}
	if e := errs.As(err); e != nil && e.Code == "validation" {
		qe := c.schema.Entity("quote")
		var msgs []string
		for _, fe := range e.Fields {
			msgs = append(msgs, c.fieldText(qe, fe))
		}
		c.flash("error", strings.Join(msgs, c.T("ui.sep")))
		return c.redirect("/quotes/" + id)
	}
	return c.processFailed(err, "/quotes/"+id)
}

func (s *Server) quoteSubmit(c *rc) error {
	_ = c.r.ParseForm()
	id := strings.ToLower(c.r.PathValue("id"))
	out, err := s.app.Quotes.Submit(c.ctx(), c.p, id, formVersion(c.r.PostForm), c.r.PostForm.Get("reason"))
	if err != nil {
		if e := errs.As(err); e != nil && e.Code == "validation" {
			for _, fe := range e.Fields {
				if fe.Field == "discount_reason" || fe.Field == "reason" {
					return c.quoteFailed(err, id, dlgQuoteSubmit, []string{"reason"})
				}
			}
		}
		return c.quoteFailed(err, id, "", nil)
	}
	key := "qt.submitted_approved"
	if out.Str("status") == crm.QuoteInApproval {
		key = "qt.submitted_approval"
	}
	return c.processDone(c.T(key, "number", out.Str("number")), "/quotes/"+id)
}

func (s *Server) quoteSend(c *rc) error {
	return s.quoteStep(c, func(id string, v int64) (string, error) {
		out, mailed, err := s.app.Quotes.Send(c.ctx(), c.p, id, v)
		if err != nil {
			return "", err
		}
		if mailed {
			return c.T("qt.sent_mailed", "number", out.Str("number")), nil
		}
		return c.T("qt.sent", "number", out.Str("number")), nil
	})
}

func (s *Server) quoteAccept(c *rc) error {
	return s.quoteStep(c, func(id string, v int64) (string, error) {
		out, err := s.app.Quotes.Accept(c.ctx(), c.p, id, v)
		if err != nil {
			return "", err
		}
		return c.T("qt.accepted", "number", out.Str("number")), nil
	})
}

func (s *Server) quoteReject(c *rc) error {
	_ = c.r.ParseForm()
	id := strings.ToLower(c.r.PathValue("id"))
	out, err := s.app.Quotes.Reject(c.ctx(), c.p, id, formVersion(c.r.PostForm), c.r.PostForm.Get("reason"))
	if err != nil {
		return c.quoteFailed(err, id, dlgQuoteReject, []string{"reason"})
	}
	return c.processDone(c.T("qt.rejected", "number", out.Str("number")), "/quotes/"+id)
}

func (s *Server) quoteRevise(c *rc) error {
	_ = c.r.ParseForm()
	id := strings.ToLower(c.r.PathValue("id"))
	out, err := s.app.Quotes.Revise(c.ctx(), c.p, id, formVersion(c.r.PostForm))
	if err != nil {
		return c.quoteFailed(err, id, "", nil)
	}
	return c.processDone(c.T("qt.revised", "number", out.Rec.Str("number")), "/quotes/"+out.Rec.ID()+"/editor")
}

// quotePDF downloads the quote's PDF (Chinese; ?lang=en for English).
func (s *Server) quotePDF(c *rc) error {
	id := strings.ToLower(c.r.PathValue("id"))
	lang := i18n.ZH
	if c.r.URL.Query().Get("lang") == "en" {
		lang = i18n.EN
	}
	name, data, err := s.app.Quotes.PDF(c.ctx(), c.p, id, lang)
	if err != nil {
		if errs.KindOf(err) == errs.Unprocessable {
			c.flash("error", c.errText(err))
			return c.redirect("/quotes/" + id)
		}
		return err
	}
	api.WritePDF(c.w, name, data, false)
	return nil
}

// quoteList makes the list's "new" button open the editor.
func (s *Server) quoteList(c *rc, lp *listPage, items []entity.Record) {
	if lp.NewHref != "" {
		lp.NewHref = "/quotes/compose"
	}
}

// quotesCard lists quotes matching a condition in a page's aside.
func (s *Server) quotesCard(c *rc, field, id, addHref string) (template.HTML, error) {
	qe := c.schema.Entity("quote")
	page, err := s.app.Records.List(c.ctx(), c.p, qe.Name, entity.Query{Sort: qe.Field("updated_at"), Desc: true, Limit: 10,
		Conds: []entity.Cond{{Field: qe.Field(field), Op: entity.Eq, Values: []any{id}}}})
	if err != nil {
		return "", err
	}
	card := sideCard{T: c.T, ID: "quotes", Title: qe.Plural.In(c.L), Empty: c.T("qt.none"), ViewAll: "/quotes?" + field + "=" + id, ViewAllTxt: c.T("qt.all")}
	if c.p.Perm(qe.Name).Create && addHref != "" {
		card.AddHref, card.AddText = addHref, c.T("qt.new")
	}
	for _, r := range page.Items {
		if r.Str("status") == crm.QuoteSuperseded {
			continue
		}
		row := sideRow{Href: "/quotes/" + r.ID(), Title: r.Str("number") + " " + r.Str("title"), Tag: c.schema.OptionLabel(qe.Field("status"), r.Str("status"), c.L),
			Note: moneyFull(r.Str("currency"), r.Int("total"))}
		card.Rows = append(card.Rows, row)
	}
	return c.partial("side_card", card)
}

// opportunityQuotes lists the opportunity's quotes and what happened to
// them, and offers a new quote for it (customer and contact prefilled).
func (s *Server) opportunityQuotes(c *rc, rec entity.Record, dp *detailPage) error {
	if c.p.Perm("quote").Read == access.None {
		return nil
	}
	add := ""
	if rec.Str("status") == crm.OppOpen && c.p.Perm("quote").Create {
		add = "/quotes/compose?opportunity_id=" + rec.ID()
		dp.Actions = append(dp.Actions, template.HTML(`<a class="btn" href="`+template.HTMLEscapeString(add)+`">`+template.HTMLEscapeString(c.T("qt.new"))+`</a>`))
	}
	html, err := s.quotesCard(c, "opportunity_id", rec.ID(), add)
	if err != nil {
		return err
	}
	dp.Side = append(dp.Side, html)
	evs, err := s.app.Quotes.OpportunityEvents(c.ctx(), c.p, rec.ID(), 15)
	if err != nil || len(evs) == 0 {
		return err
	}
	var users []string
	for _, ev := range evs {
		users = append(users, ev.ActorID)
	}
	rf := c.resolve(nil, users)
	type evRow struct{ Time, Actor, Title, Href, Note string }
	var rows []evRow
	for _, ev := range evs {
		var args []any
		for k, v := range ev.Data {
			if s, ok := v.(string); ok {
				args = append(args, k, s)
			}
		}
		row := evRow{Time: c.fmtTime(ev.At), Title: c.T("tl."+ev.Kind, args...), Href: "/quotes/" + ev.RecordID}
		row.Actor, _ = rf.title("user", ev.ActorID)
		if row.Actor == "" {
			row.Actor = c.T("tl.system")
		}
		row.Note, _ = ev.Data["note"].(string)
		rows = append(rows, row)
	}
	card, err := c.partial("qt_events", map[string]any{"T": c.T, "Rows": rows})
	if err != nil {
		return err
	}
	dp.Panels = append(dp.Panels, card)
	return nil
}

// customerQuotes lists the customer's quotes.
func (s *Server) customerQuotes(c *rc, rec entity.Record, dp *detailPage) error {
	if c.p.Perm("quote").Read == access.None {
		return nil
	}
	html, err := s.quotesCard(c, "customer_id", rec.ID(), "/quotes/compose?customer_id="+rec.ID())
	if err != nil {
		return err
	}
	dp.Side = append(dp.Side, html)
	return nil
}

// priceItemsView is a price list's items card.
type priceItemsView struct {
	T     func(string, ...any) string
	ID    string
	Rows  []priceItemRow
	Add   *dialogForm
	Write bool
}

type priceItemRow struct {
	ID, Product, SKU, Price, MinQty, Href, Delete string
	Version                                       int64
}

// priceListItems shows a price list's products and prices, and a dialog
// to add a product.
func (s *Server) priceListItems(c *rc, rec entity.Record, dp *detailPage) error {
	ie := c.schema.Entity("price_list_item")
	page, err := s.app.Records.List(c.ctx(), c.p, ie.Name, entity.Query{Sort: ie.Field("product_name"), Limit: 200,
		Conds: []entity.Cond{{Field: ie.Field("price_list_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
	if err != nil {
		return err
	}
	write := c.p.Perm(ie.Name).Create && !c.p.ReadOnly
	v := &priceItemsView{T: c.T, ID: rec.ID(), Write: write}
	var pids []string
	for _, r := range page.Items {
		pids = append(pids, r.Str("product_id"))
	}
	prods, err := s.app.DB.GetMany(c.ctx(), s.app.DB.R(), c.schema.Entity("product"), pids, s.app.Records.ReadPred(c.schema.Entity("product"), c.p))
	if err != nil {
		return err
	}
	for _, r := range page.Items {
		row := priceItemRow{ID: r.ID(), Product: r.Str("product_name"), Price: moneyFull(rec.Str("currency"), r.Int("unit_price")),
			MinQty: strconv.FormatInt(r.Int("min_qty"), 10), Href: "/products/" + r.Str("product_id"), Version: r.Version()}
		if p := prods[r.Str("product_id")]; p != nil {
			row.SKU = p.Str("sku")
			row.Price += " " + c.T("pl.list_price", "price", moneyFull(p.Str("currency"), p.Int("list_price")))
		}
		if c.p.Perm(ie.Name).Delete != access.None {
			row.Delete = "/price-lists/" + rec.ID() + "/items/" + r.ID() + "/delete"
		}
		v.Rows = append(v.Rows, row)
	}
	if write {
		product := formField{ID: "pl-product", Name: "product_id", Label: ie.Field("product_id").Label.In(c.L), Kind: "lookup", LookupURL: "/ui/lookup/products", Required: true}
		price := formField{ID: "pl-price", Name: "unit_price", Label: ie.Field("unit_price").Label.In(c.L), Kind: "input", InputType: "text", InputMode: "decimal", Required: true, Hint: c.T("form.money_hint")}
		minQty := formField{ID: "pl-min", Name: "min_qty", Label: ie.Field("min_qty").Label.In(c.L), Kind: "input", InputType: "text", InputMode: "numeric", Value: "1"}
		v.Add = &dialogForm{ID: "dlg-pl-add", Title: c.T("pl.add"), Button: c.T("pl.add"), Action: "/price-lists/" + rec.ID() + "/items",
			Submit: c.T("pl.add"), Fields: []formField{product, price, minQty}}
		v.Add.apply(c.formStateOf("dlg-pl-add"))
	}
	html, err := c.partial("pl_items", v)
	if err != nil {
		return err
	}
	dp.Top = append(dp.Top, html)
	return nil
}

func (s *Server) priceItemAdd(c *rc) error {
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	id := strings.ToLower(c.r.PathValue("id"))
	ie := c.schema.Entity("price_list_item")
	rec := entity.Record{"price_list_id": id}
	var bad []errs.FieldError
	for _, n := range []string{"product_id", "unit_price", "min_qty"} {
		v, fe := c.schema.ParseText(ie.Field(n), c.r.PostForm.Get(n))
		if fe != nil {
			bad = append(bad, *fe)
			continue
		}
		if v != nil {
			rec[n] = v
		}
	}
	err := errs.Validation(bad)
	var out entity.Record
	if err == nil {
		out, err = s.app.Records.Create(c.ctx(), c.p, ie.Name, rec)
	}
	if err != nil {
		st, ok := c.refusedForm(err, "dlg-pl-add", c.r.PostForm, []string{"product_id", "unit_price", "min_qty"},
			func(k string) string { return c.fieldLabel(ie, k) }, nil)
		if !ok {
			return err
		}
		c.withFormState(st)
		return s.showDetail(c, c.schema.Entity("price_list"), id, httpStatus(err), nil)
	}
	return c.processDone(c.T("pl.added", "product", out.Str("product_name")), "/price-lists/"+id)
}

func (s *Server) priceItemRemove(c *rc) error {
	_ = c.r.ParseForm()
	id, item := strings.ToLower(c.r.PathValue("id")), strings.ToLower(c.r.PathValue("item"))
	rec, err := s.app.Records.Get(c.ctx(), c.p, "price_list_item", item)
	if err != nil || rec.Str("price_list_id") != id {
		return errs.NotFoundf("price_list_item")
	}
	if err := s.app.Records.Delete(c.ctx(), c.p, "price_list_item", item, formVersion(c.r.PostForm)); err != nil {
		return c.processFailed(err, "/price-lists/"+id)
	}
	return c.processDone(c.T("pl.removed", "product", rec.Str("product_name")), "/price-lists/"+id)
}
