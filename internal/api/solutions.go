package api

import (
	"net/http"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/httpx"
	"closeloop/internal/presales"
)

// Solution review over HTTP: submit for review, verdicts, new versions,
// sending to the customer.

func init() {
	areaRoutes = append(areaRoutes, func(h *API, m *http.ServeMux) {
		m.HandleFunc("POST /api/v1/solutions/{id}/submit-review", h.authed(h.submitSolution))
		m.HandleFunc("GET /api/v1/solutions/{id}/reviews", h.authed(h.listReviews))
		m.HandleFunc("POST /api/v1/solutions/{id}/reviews", h.authed(h.labeled(h.reviewSolution, presales.ReviewInputs)))
		m.HandleFunc("POST /api/v1/solutions/{id}/revise", h.authed(h.reviseSolution))
		m.HandleFunc("POST /api/v1/solutions/{id}/send", h.authed(h.sendSolution))
		m.HandleFunc("GET /api/v1/solutions/{id}/versions", h.authed(h.solutionVersions))
	})
	areaPaths = append(areaPaths, solutionPaths)
}

func (h *API) solutionJSON(w http.ResponseWriter, status int, out entity.Record) {
	httpx.JSON(w, status, Record(h.App.DB.Schema().Entity("solution"), out))
}

func (h *API) submitSolution(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v, err := versionBody(r)
	if err != nil {
		return err
	}
	out, err := h.App.Presales.SubmitReview(r.Context(), p, r.PathValue("id"), v)
	if err != nil {
		return err
	}
	h.solutionJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) listReviews(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	items, err := h.App.Presales.Reviews(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeObjects(w, h.App.DB.Schema().Entity("solution_review"), items)
	return nil
}

func (h *API) reviewSolution(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	var body crm.Review
	if err := decodeInto(r, &body); err != nil {
		return err
	}
	out, err := h.App.Presales.Review(r.Context(), p, r.PathValue("id"), body)
	if err != nil {
		return err
	}
	re := h.App.DB.Schema().Entity("solution_review")
	w.Header().Set("Location", "/api/v1/"+re.Resource+"/"+out.ID())
	httpx.JSON(w, http.StatusCreated, Record(re, out))
	return nil
}

func (h *API) reviseSolution(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	out, err := h.App.Presales.Revise(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/solutions/"+out.ID())
	h.solutionJSON(w, http.StatusCreated, out)
	return nil
}

func (h *API) sendSolution(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	v, err := versionBody(r)
	if err != nil {
		return err
	}
	out, err := h.App.Presales.Send(r.Context(), p, r.PathValue("id"), v)
	if err != nil {
		return err
	}
	h.solutionJSON(w, http.StatusOK, out)
	return nil
}

func (h *API) solutionVersions(w http.ResponseWriter, r *http.Request, p *access.Principal) error {
	items, err := h.App.Presales.Versions(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeObjects(w, h.App.DB.Schema().Entity("solution"), items)
	return nil
}

// solutionPaths documents the solution review endpoints.
func solutionPaths(paths obj) {
	idOnly := []obj{idParam}
	tag := []string{"solutions"}
	okSol := obj{"200": obj{"description": "the solution after the step", "content": jsonContent(ref("Solution"))}}
	versionOnly := obj{"type": "object", "additionalProperties": false, "properties": obj{"version": versionProp}}
	post := func(summary, op string, body obj, ok obj) obj {
		o := obj{"tags": tag, "summary": summary, "operationId": op, "responses": withResponses(ok, "400", "401", "403", "404", "409", "422")}
		if body != nil {
			o["requestBody"] = obj{"required": false, "content": jsonContent(body)}
		}
		return o
	}
	paths["/api/v1/solutions/{id}/submit-review"] = obj{"parameters": idOnly, "post": post(
		"Submit a draft (or a solution sent back) for internal review: needs the technical part and reviewers other than the author, who are then given read access. Starts a new review round.",
		"submitSolutionReview", versionOnly, okSol)}
	paths["/api/v1/solutions/{id}/reviews"] = obj{"parameters": idOnly,
		"get": obj{"tags": tag, "summary": "Every verdict given on the solution, by round", "operationId": "listSolutionReviews",
			"responses": withResponses(obj{"200": obj{"description": "the reviews", "content": jsonContent(obj{"type": "object", "properties": obj{
				"items": obj{"type": "array", "items": ref("SolutionReview")}}})}}, "401", "403", "404")},
		"post": post("A named reviewer's verdict on the current round, once per round (409 solution_already_reviewed). All approving approves the solution; one revise sends it back (a comment is required).",
			"reviewSolution", obj{"type": "object", "required": []string{"verdict"}, "additionalProperties": false, "properties": obj{
				"verdict": obj{"type": "string", "enum": []string{crm.VerdictApprove, crm.VerdictRevise}},
				"comment": obj{"type": "string", "maxLength": 20000}}},
			obj{"201": obj{"description": "recorded", "content": jsonContent(ref("SolutionReview"))}})}
	paths["/api/v1/solutions/{id}/revise"] = obj{"parameters": idOnly, "post": post(
		"Start the next version of an approved, sent or sent-back solution: a draft copy with version_no + 1 and previous_id; the earlier version stays as it was",
		"reviseSolution", nil, obj{"201": obj{"description": "the new version", "content": jsonContent(ref("Solution"))}})}
	paths["/api/v1/solutions/{id}/send"] = obj{"parameters": idOnly, "post": post(
		"Mark an approved solution as sent to the customer (422 solution_not_approved otherwise)", "sendSolution", versionOnly, okSol)}
	paths["/api/v1/solutions/{id}/versions"] = obj{"parameters": idOnly, "get": obj{"tags": tag, "summary": "Every version of the solution, oldest first", "operationId": "solutionVersions",
		"responses": withResponses(obj{"200": obj{"description": "the versions", "content": jsonContent(obj{"type": "object", "properties": obj{
			"items": obj{"type": "array", "items": ref("Solution")}}})}}, "401", "404")}}
}
