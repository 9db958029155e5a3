package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/quotes"
)

// Quotes over HTTP: a quote's JSON carries its lines (`lines: [...]`),
// created and changed with them in one transaction; totals are computed
// by the service and answered as integers in fen. The processes: submit
// (to approval), send, the PDF, revise, the customer's accept and reject,
// and the versions.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/quotes", h.authed(h.quoteLabeled(h.createQuote)))
		m.HandleFunc("GET /api/v1/quotes/{id}", h.authed(h.getQuote))
		m.HandleFunc("PATCH /api/v1/quotes/{id}", h.authed(h.quoteLabeled(h.updateQuote)))
		m.HandleFunc("POST /api/v1/quotes/{id}/submit", h.authed(h.quoteLabeled(h.submitQuote)))
		m.HandleFunc("POST /api/v1/quotes/{id}/send", h.authed(h.quoteLabeled(h.sendQuote)))
		m.HandleFunc("GET /api/v1/quotes/{id}/pdf", h.authed(h.quotePDF))
		m.HandleFunc("POST /api/v1/quotes/{id}/revise", h.authed(h.quoteLabeled(h.reviseQuote)))
		m.HandleFunc("POST /api/v1/quotes/{id}/accept", h.authed(h.quoteLabeled(h.acceptQuote)))
		m.HandleFunc("POST /api/v1/quotes/{id}/reject", h.authed(h.quoteLabeled(h.rejectQuote)))
		m.HandleFunc("GET /api/v1/quotes/{id}/versions", h.authed(h.quoteVersions))
	})
	areaPaths = append(areaPaths, quotePaths)
	areaSchemas = append(areaSchemas, quoteSchemas)
}

var lineField = regexp.MustCompile(`^lines\[(\d+)\]\.(\w+)$`)

// QuoteLabel names a field of a quote problem for people: a header field
// by its label, a line's field as "第 2 行 数量" / "line 2 quantity".
func QuoteLabel(s *entity.Schema, l i18n.Lang, field string) string {
	if m := lineField.FindStringSubmatch(field); m != nil {
		n, _ := strconv.Atoi(m[1])
		label := m[2]
		if f := s.Entity("quote_line").Field(m[2]); f != nil {
			label = f.Label.In(l)
		}
		return i18n.Msg(l, "qt.line_field", "n", n+1, "field", label)
	}
	switch field {
	case "lines":
		return i18n.Msg(l, "qt.lines")
	case "reason":
		return i18n.Msg(l, "qt.reason")
	}
	if f := s.Entity("quote").Field(field); f != nil {
		return f.Label.In(l)
	}
	return ""
}

// quoteLabeled answers problems naming the lines' fields by their place.
func (h *API) quoteLabeled(fn handler) handler {
	return func(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
		err := fn(w, r, p)
		if err == nil {
			return nil
		}
		s, l := h.App.DB.Schema(), httpx.Lang(r)
		httpx.ProblemLabeled(w, r, err, func(field string) string { return QuoteLabel(s, l, field) })
		return nil
	}
}

// QuoteJSON is a quote with its lines as the API answers it.
func QuoteJSON(s *entity.Schema, q *quotes.Quote) json.RawMessage {
	b := Record(s.Entity("quote"), q.Rec).AppendJSON(nil)
	b = append(b[:len(b)-1], `,"lines":[`...)
	le := s.Entity("quote_line")
	for i, l := range q.Lines {
		if i > 0 {
			b = append(b, ',')
		}
		b = Record(le, l).AppendJSON(b)
	}
	return append(b, ']', '}')
}

func (h *API) quoteJSON(w http.ResponseWriter, status int, q *quotes.Quote) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(QuoteJSON(h.App.DB.Schema(), q), '\n'))
}

// decodeQuote reads a quote body: header fields and, when present, the
// complete list of lines.
func (h *API) decodeQuote(body map[string]any, skip ...string) (quotes.Input, error) {
	s := h.App.DB.Schema()
	var in quotes.Input
	rec, err := DecodeRecord(s, s.Entity("quote"), body, append(skip, "lines")...)
	bad := fieldsOf(err)
	if err != nil && bad == nil {
		return in, err
	}
	in.Quote = rec
	if raw, ok := body["lines"]; ok {
		list, ok := raw.([]any)
		if !ok && raw != nil {
			return in, errs.Validation(append(bad, errs.FieldError{Field: "lines", Code: "invalid_list"}))
		}
		in.SetLines = true
		le := s.Entity("quote_line")
		for i, item := range list {
			prefix := "lines[" + strconv.Itoa(i) + "]."
			obj, ok := item.(map[string]any)
			if !ok {
				bad = append(bad, errs.FieldError{Field: prefix + "id", Code: "invalid_list"})
				continue
			}
			line, err := DecodeRecord(s, le, obj, "id")
			if fes := fieldsOf(err); fes != nil {
				for _, fe := range fes {
					fe = quotes.PercentProblem(fe, obj[fe.Field])
					fe.Field = prefix + fe.Field
					bad = append(bad, fe)
				}
			} else if err != nil {
				return in, err
			}
			if id, ok := obj["id"]; ok && id != nil {
				sid, _ := id.(string)
				if !entity.LooksLikeID(strings.ToLower(sid)) {
					bad = append(bad, errs.FieldError{Field: prefix + "id", Code: "invalid_ref"})
				}
				line["id"] = strings.ToLower(sid)
			}
			in.Lines = append(in.Lines, line)
		}
	}
	return in, errs.Validation(bad)
}

// fieldsOf returns the field problems of a validation error.
func fieldsOf(err error) []errs.FieldError {
	if e := errs.As(err); e != nil && e.Code == "validation" {
		return e.Fields
	}
	return nil
}

func (h *API) createQuote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	in, err := h.decodeQuote(body)
	if err != nil {
		return err
	}
	q, err := h.App.Quotes.Create(r.Context(), p, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/quotes/"+q.Rec.ID())
	h.quoteJSON(w, http.StatusCreated, q)
	return nil
}

func (h *API) getQuote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q, err := h.App.Quotes.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.quoteJSON(w, http.StatusOK, q)
	return nil
}

func (h *API) updateQuote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	v, err := version(r, body)
	if err != nil {
		return err
	}
	in, err := h.decodeQuote(body, "version", "id")
	if err != nil {
		return err
	}
	q, err := h.App.Quotes.Update(r.Context(), p, r.PathValue("id"), v, in)
	if err != nil {
		return err
	}
	h.quoteJSON(w, http.StatusOK, q)
	return nil
}

// quoteAfter answers a quote after a step, with its lines.
func (h *API) quoteAfter(w http.ResponseWriter, r *http.Request, p *access.Principal, status int, rec entity.Record) error {
	lines, err := h.App.Quotes.Get(r.Context(), p, rec.ID())
	if errs.KindOf(err) == errs.NotFound {
		// Out of the caller's view after the step: the record as written.
		h.quoteJSON(w, status, &quotes.Quote{Rec: rec})
		return nil
	}
	if err != nil {
		return err
	}
	h.quoteJSON(w, status, lines)
	return nil
}

func (h *API) submitQuote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Reason  string      `json:"reason"`
		Version json.Number `json:"version"`
	}
	if err := optionalBody(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	out, err := h.App.Quotes.Submit(r.Context(), p, r.PathValue("id"), v, body.Reason)
	if err != nil {
		return err
	}
	return h.quoteAfter(w, r, p, http.StatusOK, out)
}

func (h *API) sendQuote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v, err := versionBody(r)
	if err != nil {
		return err
	}
	out, _, err := h.App.Quotes.Send(r.Context(), p, r.PathValue("id"), v)
	if err != nil {
		return err
	}
	return h.quoteAfter(w, r, p, http.StatusOK, out)
}

func (h *API) reviseQuote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v, err := versionBody(r)
	if err != nil {
		return err
	}
	q, err := h.App.Quotes.Revise(r.Context(), p, r.PathValue("id"), v)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/quotes/"+q.Rec.ID())
	h.quoteJSON(w, http.StatusCreated, q)
	return nil
}

func (h *API) acceptQuote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v, err := versionBody(r)
	if err != nil {
		return err
	}
	out, err := h.App.Quotes.Accept(r.Context(), p, r.PathValue("id"), v)
	if err != nil {
		return err
	}
	return h.quoteAfter(w, r, p, http.StatusOK, out)
}

func (h *API) rejectQuote(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body struct {
		Reason  string      `json:"reason"`
		Version json.Number `json:"version"`
	}
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	v, err := bodyVersion(body.Version)
	if err != nil {
		return err
	}
	out, err := h.App.Quotes.Reject(r.Context(), p, r.PathValue("id"), v, body.Reason)
	if err != nil {
		return err
	}
	return h.quoteAfter(w, r, p, http.StatusOK, out)
}

func (h *API) quoteVersions(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	items, err := h.App.Quotes.Versions(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeObjects(w, h.App.DB.Schema().Entity("quote"), items)
	return nil
}

// quotePDF answers the quote as a PDF (报价单), in English with ?lang=en.
func (h *API) quotePDF(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	lang := i18n.ZH
	switch r.URL.Query().Get("lang") {
	case "", "zh", "zh-CN":
	case "en":
		lang = i18n.EN
	default:
		return errs.Validation([]errs.FieldError{{Field: "lang", Code: "invalid_option", Args: map[string]any{"value": r.URL.Query().Get("lang")}}})
	}
	name, data, err := h.App.Quotes.PDF(r.Context(), p, r.PathValue("id"), lang)
	if err != nil {
		return err
	}
	WritePDF(w, name, data, false)
	return nil
}

// WritePDF answers a PDF named name (UTF-8 names kept, RFC 6266): a
// download, or shown in the browser's viewer when inline (our own previews).
// Never sniffed, never cached.
func WritePDF(w http.ResponseWriter, name string, data []byte, inline bool) {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	w.Header().Set("Content-Type", "application/pdf")
	disposition := "attachment"
	if inline {
		disposition = "inline"
	}
	w.Header().Set("Content-Disposition", disposition+`; filename="`+ascii+`"; filename*=UTF-8''`+pathEscape(name))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

func pathEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// quoteSchemas adds the lines to the quote's schemas: the answer carries
// them, a create or a change may send the complete list.
func quoteSchemas(comps obj) {
	line, ok := comps["QuoteLine"].(obj)
	if !ok {
		return
	}
	lineIn := obj{"type": "object", "additionalProperties": false, "properties": obj{
		"id": obj{"type": "string", "format": "uuid", "description": "a line of this quote to keep and change; without id the line is added"}}}
	lineProps := line["properties"].(obj)
	for _, k := range []string{"product_id", "name", "spec", "unit", "quantity", "unit_price", "discount_bp", "tax_rate_bp"} {
		in := obj{}
		for kk, vv := range lineProps[k].(obj) {
			if kk != "readOnly" && kk != "default" {
				in[kk] = vv
			}
		}
		lineIn["properties"].(obj)[k] = in
	}
	lineIn["description"] = "a line as given: product_id fills name, spec, unit, tax rate and the resolved unit price (quote's price list > customer's > customer level's > list price) when they are not given; a unit price below the resolved one is refused (quote_price_below_list). Amounts are computed."
	comps["QuoteLineIn"] = lineIn
	lines := obj{"type": "array", "maxItems": 500, "items": ref("QuoteLineIn"),
		"description": "the complete list of lines, in order: lines with an id are kept and changed, new ones added, missing ones removed"}
	if q, ok := comps["Quote"].(obj); ok {
		q["properties"].(obj)["lines"] = obj{"type": "array", "items": ref("QuoteLine"), "description": "the lines in order, with their computed amounts (fen)"}
	}
	for _, name := range []string{"QuoteInput", "QuotePatch"} {
		if q, ok := comps[name].(obj); ok {
			q["properties"].(obj)["lines"] = lines
		}
	}
}

// quotePaths documents the quote processes.
func quotePaths(paths obj) {
	idOnly := []obj{idParam}
	tag := []string{"quotes"}
	okQuote := obj{"200": obj{"description": "the quote after the step, with its lines", "content": jsonContent(ref("Quote"))}}
	versionOnly := obj{"type": "object", "additionalProperties": false, "properties": obj{"version": versionProp}}
	reason := func(required bool) obj {
		o := obj{"type": "object", "additionalProperties": false, "properties": obj{"reason": obj{"type": "string", "maxLength": 2000}, "version": versionProp}}
		if required {
			o["required"] = []string{"reason"}
		}
		return o
	}
	post := func(summary, op string, body obj, ok obj) obj {
		o := obj{"tags": tag, "summary": summary, "operationId": op, "responses": withResponses(ok, "400", "401", "403", "404", "409", "422")}
		if body != nil {
			o["requestBody"] = obj{"required": false, "content": jsonContent(body)}
		}
		return o
	}
	if base, ok := paths["/api/v1/quotes"].(obj); ok {
		if p, ok := base["post"].(obj); ok {
			p["summary"] = "Create a quote with its lines in one transaction: number Q-yyyymm-nnnn, status draft, totals computed (never taken from input)"
		}
	}
	if item, ok := paths["/api/v1/quotes/{id}"].(obj); ok {
		if p, ok := item["patch"].(obj); ok {
			p["summary"] = "Change a draft quote and, with lines, its complete list of lines, in one transaction; anything but a draft answers 422 quote_locked (an approved quote changes through /revise)"
		}
		if g, ok := item["get"].(obj); ok {
			g["summary"] = "Get one quote with its lines"
		}
	}
	paths["/api/v1/quotes/{id}/submit"] = obj{"parameters": idOnly, "post": post(
		"Submit a draft: to approval when a rule asks for one from this submitter (status in_approval; the discount needs a reason — discount_reason or this reason), otherwise approved at once. Needs lines (quote_no_lines) and a validity not past (quote_valid_until_past).",
		"submitQuote", reason(false), okQuote)}
	paths["/api/v1/quotes/{id}/send"] = obj{"parameters": idOnly, "post": post(
		"Mark sent to the customer (and mail it with the PDF when the contact has an e-mail and mail is set up). An approved quote, or a draft needing no approval; 422 quote_needs_approval otherwise.",
		"sendQuote", versionOnly, okQuote)}
	paths["/api/v1/quotes/{id}/accept"] = obj{"parameters": idOnly, "post": post(
		"The customer accepted a sent quote (422 quote_not_sent otherwise)", "acceptQuote", versionOnly, okQuote)}
	paths["/api/v1/quotes/{id}/reject"] = obj{"parameters": idOnly, "post": post(
		"The customer rejected a sent quote, with the reason (quote_reject_reason_required)", "rejectQuote", reason(true), okQuote)}
	paths["/api/v1/quotes/{id}/revise"] = obj{"parameters": idOnly, "post": post(
		"Copy an approved, sent, rejected or expired quote and its lines into revision n+1 (a draft, same root_id, number -V<n>); the copied one becomes superseded and stays viewable",
		"reviseQuote", versionOnly, obj{"201": obj{"description": "the new revision", "content": jsonContent(ref("Quote"))}})}
	paths["/api/v1/quotes/{id}/versions"] = obj{"parameters": idOnly, "get": obj{"tags": tag, "summary": "Every revision of the quote, oldest first", "operationId": "quoteVersions",
		"responses": withResponses(obj{"200": obj{"description": "the revisions", "content": jsonContent(obj{"type": "object", "properties": obj{
			"items": obj{"type": "array", "items": ref("Quote")}}})}}, "401", "404")}}
	paths["/api/v1/quotes/{id}/pdf"] = obj{"parameters": idOnly, "get": obj{"tags": tag, "summary": "The quote as a PDF (报价单), Chinese by default, English with lang=en", "operationId": "quotePDF",
		"parameters": []obj{{"name": "lang", "in": "query", "schema": obj{"type": "string", "enum": []string{"zh-CN", "en"}}}},
		"responses":  withResponses(obj{"200": obj{"description": "the PDF", "content": obj{"application/pdf": obj{"schema": obj{"type": "string", "contentEncoding": "binary"}}}}}, "401", "404", "422")}}
}
