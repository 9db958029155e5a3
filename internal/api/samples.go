package api

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
	"closeloop/internal/presales"
	"closeloop/internal/sheet"
)

// Samples and trials: the trial's next step, and the conversion report of
// samples by product (owner, team) for managers.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/samples/{id}/advance", h.authed(h.advanceSample))
		m.HandleFunc("GET /api/v1/reports/samples", h.authed(h.sampleReport))
		m.HandleFunc("GET /api/v1/reports/samples/export", h.authed(h.sampleReportExport))
	})
	areaPaths = append(areaPaths, samplePaths)
}

func (h *API) advanceSample(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var in presales.SampleStep
	if err := decodeInto(r, &in); err != nil {
		return err
	}
	out, err := h.App.Presales.AdvanceSample(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return h.labelled(w, r, err, "smp.field.")
	}
	httpx.JSON(w, http.StatusOK, Record(h.App.DB.Schema().Entity("sample"), out))
	return nil
}

func (h *API) sampleReport(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	q, err := presales.ParseSampleReportQuery(r.URL.Query().Get)
	if err != nil {
		return h.labelled(w, r, err, "srep.field.")
	}
	rep, err := h.App.Presales.SampleConversion(r.Context(), p, q)
	if err != nil {
		return err
	}
	httpx.JSON(w, http.StatusOK, rep)
	return nil
}

func (h *API) sampleReportExport(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	format := sheet.Format(r.URL.Query().Get("format"))
	if format == "" {
		format = sheet.CSV
	}
	if format != sheet.CSV && format != sheet.XLSX {
		return errs.Validation([]errs.FieldError{{Field: "format", Code: "invalid_option", Args: map[string]any{"value": string(format)}}})
	}
	q, err := presales.ParseSampleReportQuery(r.URL.Query().Get)
	if err != nil {
		return h.labelled(w, r, err, "srep.field.")
	}
	perm := p.Perm("sample")
	if perm.Read == access.None || !perm.Export {
		return errs.Denied()
	}
	rep, err := h.App.Presales.SampleConversion(r.Context(), p, q)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := h.App.Presales.WriteSampleReport(r.Context(), p, rep, format, httpx.Lang(r), &buf); err != nil {
		return err
	}
	WriteDownload(w, fmt.Sprintf("sample-conversion-%s.%s", time.Now().In(h.App.Loc).Format("20060102-1504"), format), format, buf.Bytes())
	return nil
}

// labelled answers a problem whose fields are the endpoint's own
// parameters (on, result, from …), named by the catalogue entries
// prefix+field; other fields keep the entity's labels.
func (h *API) labelled(w http.ResponseWriter, r *http.Request, err error, prefix string) error {
	if errs.KindOf(err) != errs.Invalid {
		return err
	}
	l, base := httpx.Lang(r), h.labeler(r)
	httpx.ProblemLabeled(w, r, err, func(field string) string {
		if i18n.Has(l, prefix+field) {
			return i18n.Msg(l, prefix+field)
		}
		if base != nil {
			return base(field)
		}
		return ""
	})
	return nil
}

func samplePaths(paths obj) {
	idOnly := []obj{idParam}
	row := obj{"type": "object", "properties": obj{
		"key": obj{"type": "string", "description": "the product, or the owner's or team's id"}, "label": obj{"type": "string"},
		"sent": obj{"type": "integer"}, "small_trial": obj{"type": "integer", "description": "samples that reached the small trial"},
		"pilot": obj{"type": "integer"}, "regular_purchase": obj{"type": "integer"}, "failed": obj{"type": "integer"},
		"in_trial": obj{"type": "integer"}, "conversion": obj{"type": "number", "description": "regular_purchase / sent, percent"}}}
	reportParams := []obj{
		{"name": "from", "in": "query", "description": "sent on or after (date)", "schema": obj{"type": "string", "format": "date"}},
		{"name": "to", "in": "query", "description": "sent on or before (date)", "schema": obj{"type": "string", "format": "date"}},
		{"name": "group", "in": "query", "schema": obj{"type": "string", "enum": []string{presales.GroupProduct, presales.GroupOwner, presales.GroupTeam}, "default": presales.GroupProduct}},
		{"name": "owner_id", "in": "query", "schema": obj{"type": "string", "format": "uuid"}},
		{"name": "team_id", "in": "query", "description": "the team and its sub-teams", "schema": obj{"type": "string", "format": "uuid"}},
	}
	paths["/api/v1/samples/{id}/advance"] = obj{"parameters": idOnly, "post": obj{"tags": []string{"samples"},
		"summary":     "Record the next step of a sample's trial (small_trial → pilot → regular_purchase, or failed); a skip or a step back answers 422 sample_stage_order naming the allowed next step, a closed trial 422 sample_closed",
		"operationId": "advanceSample",
		"requestBody": obj{"required": true, "content": jsonContent(obj{"type": "object", "additionalProperties": false, "required": []string{"stage", "result"}, "properties": obj{
			"stage":   obj{"type": "string", "enum": []string{"small_trial", "pilot", "regular_purchase", "failed"}},
			"on":      obj{"type": "string", "format": "date", "description": "when the step happened; today when omitted; not before the previous step, not in the future"},
			"result":  obj{"type": "string", "maxLength": 20000, "description": "what came of it (for failed: why)"},
			"version": obj{"type": "integer", "description": "the version read; a stale one answers 409"}}})},
		"responses": withResponses(obj{"200": obj{"description": "the sample after the step", "content": jsonContent(ref("Sample"))}}, "401", "403", "404", "409", "422")}}
	paths["/api/v1/reports/samples"] = obj{"get": obj{"tags": []string{"samples"}, "operationId": "sampleConversion",
		"summary":    "Conversion of samples sent in a period, by product (owner, team): how many reached each step, failed, and converted — only samples the caller may see",
		"parameters": reportParams,
		"responses": withResponses(obj{"200": obj{"description": "the report", "content": jsonContent(obj{"type": "object", "properties": obj{
			"from": obj{"type": "string"}, "to": obj{"type": "string"}, "group": obj{"type": "string"},
			"rows": obj{"type": "array", "items": row}, "total": row}})}}, "401", "403", "422")}}
	paths["/api/v1/reports/samples/export"] = obj{"get": obj{"tags": []string{"samples"}, "operationId": "exportSampleConversion",
		"summary":    "The sample conversion report as CSV or XLSX",
		"parameters": append([]obj{{"name": "format", "in": "query", "schema": obj{"type": "string", "enum": []string{"csv", "xlsx"}, "default": "csv"}}}, reportParams...),
		"responses": withResponses(obj{"200": obj{"description": "the file", "content": obj{
			"text/csv": obj{"schema": obj{"type": "string"}},
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{"schema": obj{"type": "string", "format": "binary"}}}}}, "401", "403", "422")}}
}
