package api

import (
	"closeloop/internal/crm"
)

func codes(opts []string) []any {
	out := make([]any, len(opts))
	for i, o := range opts {
		out[i] = o
	}
	return out
}

func optionCodes(field string) []any {
	var out []any
	for _, o := range crm.PresalesRequest.Field(field).Options {
		out = append(out, o.Code)
	}
	return out
}

var versionProp = obj{"type": "integer", "minimum": 1, "description": "the version you saw; a stale one answers 409 (optional)"}

func scoreSchema() obj {
	mark := func(what string) obj {
		return obj{"type": "integer", "minimum": 1, "maximum": 5, "description": what + ", 1–5"}
	}
	return obj{"type": "object", "required": []string{"quality", "timeliness", "contribution"}, "additionalProperties": false, "properties": obj{
		"quality": mark("quality 质量"), "timeliness": mark("timeliness 及时性"), "contribution": mark("contribution 贡献"),
		"comment": obj{"type": "string", "maxLength": 20000}}}
}

// presalesRequestPaths documents the request process endpoints.
func presalesRequestPaths(paths obj) {
	idOnly := []obj{idParam}
	tag := []string{"presales-requests"}
	okReq := obj{"200": obj{"description": "the request after the step", "content": jsonContent(ref("PresalesRequest"))}}
	post := func(summary, op string, body obj, ok obj) obj {
		return obj{"tags": tag, "summary": summary, "operationId": op, "responses": withResponses(ok, "400", "401", "403", "404", "409", "422"),
			"requestBody": obj{"required": true, "content": jsonContent(body)}}
	}
	str := func(max int) obj { return obj{"type": "string", "maxLength": max} }
	paths["/api/v1/presales-requests/{id}/evaluation"] = obj{"parameters": idOnly, "post": post(
		"Evaluate a request (售前工作评估表; pre-sales managers). accept: submitted → accepted (needs work, difficulty, importance); stop: closes it with outcome stopped (needs stop_reason). Refused in other statuses with presales_not_evaluable.",
		"evaluatePresalesRequest", obj{"type": "object", "required": []string{"conclusion"}, "additionalProperties": false, "properties": obj{
			"products": str(500), "directions": str(500),
			"work":       obj{"type": "array", "uniqueItems": true, "items": obj{"type": "string", "enum": optionCodes("eval_work")}},
			"people":     obj{"type": "integer", "minimum": 1, "maximum": 100},
			"difficulty": obj{"type": "string", "enum": optionCodes("eval_difficulty")},
			"key_points": str(20000), "key_dates": str(500),
			"importance":  obj{"type": "string", "enum": optionCodes("importance"), "description": "单项目 / 地市级推广 / 省级推广 / 全国推广 / 政治意义项目"},
			"conclusion":  obj{"type": "string", "enum": optionCodes("eval_conclusion")},
			"stop_reason": str(20000), "version": versionProp}}, okReq)}
	paths["/api/v1/presales-requests/{id}/assign"] = obj{"parameters": idOnly, "post": post(
		"Assign pre-sales engineers (pre-sales managers; the request is accepted or assigned). Each engineer may then read the request and its opportunity; engineers left out lose that. An empty list takes everyone off (back to accepted).",
		"assignPresalesEngineers", obj{"type": "object", "required": []string{"engineer_ids"}, "additionalProperties": false, "properties": obj{
			"engineer_ids": obj{"type": "array", "uniqueItems": true, "items": obj{"type": "string", "format": "uuid"}, "description": "active users holding the presales role"},
			"version":      versionProp}}, okReq)}
	paths["/api/v1/presales-requests/{id}/work-records"] = obj{"parameters": idOnly,
		"get": obj{"tags": tag, "summary": "Work recorded on the request (售前工作记录表), newest first", "operationId": "listPresalesWork",
			"responses": withResponses(obj{"200": obj{"description": "the work", "content": jsonContent(obj{"type": "object", "properties": obj{
				"items": obj{"type": "array", "items": ref("PresalesWorkRecord")}}})}}, "401", "403", "404")},
		"post": post("Log work on an assigned request: the assigned engineer for themself (engineer_id defaults to the caller) or the pre-sales manager for an assigned engineer. The request's hours_total is kept as the sum. Fields as PresalesWorkRecordInput; request_id comes from the path.",
			"logPresalesWork", obj{"type": "object", "required": []string{"kind", "work_date", "hours", "summary"}, "properties": obj{
				"engineer_id": obj{"type": "string", "format": "uuid"}, "kind": obj{"type": "string"}, "work_date": obj{"type": "string", "format": "date"},
				"hours": obj{"type": "number", "minimum": 0.25, "maximum": 24}, "summary": str(500), "outputs": str(20000)}},
			obj{"201": obj{"description": "recorded", "content": jsonContent(ref("PresalesWorkRecord"))}})}
	paths["/api/v1/presales-requests/{id}/close"] = obj{"parameters": idOnly, "post": post(
		"Close with an outcome (the requesting rep or a pre-sales manager), scoring the engineers' work as the closer (sales or manager). No outcome answers 422 presales_outcome_required; a request nobody was assigned to takes no score.",
		"closePresalesRequest", obj{"type": "object", "required": []string{"outcome"}, "additionalProperties": false, "properties": obj{
			"outcome":     obj{"type": "string", "enum": codes(crm.Outcomes)},
			"merged_into": obj{"type": "string", "format": "uuid", "description": "for merged: the request this one continues in"},
			"note":        obj{"type": "string", "maxLength": 20000, "description": "required when stopped"},
			"score":       scoreSchema(), "version": versionProp}}, okReq)}
	paths["/api/v1/presales-requests/{id}/scores"] = obj{"parameters": idOnly,
		"get": obj{"tags": tag, "summary": "Scores of the request (售前工作评分表)", "operationId": "listPresalesScores",
			"responses": withResponses(obj{"200": obj{"description": "the scores", "content": jsonContent(obj{"type": "object", "properties": obj{
				"items": obj{"type": "array", "items": ref("PresalesScore")}}})}}, "401", "403", "404")},
		"post": post("Score a closed request as the other party (the rep or the pre-sales manager); once per party (409 presales_already_scored)",
			"addPresalesScore", scoreSchema(), obj{"201": obj{"description": "scored", "content": jsonContent(ref("PresalesScore"))}})}
	open := obj{"type": "object", "properties": obj{"id": obj{"type": "string"}, "name": obj{"type": "string"}, "status": obj{"type": "string"},
		"owner_id": obj{"type": "string"}, "opened_at": obj{"type": "string", "format": "date-time"}, "needed_by": obj{"type": "string"},
		"days_open": obj{"type": "integer"}, "overdue": obj{"type": "boolean"}}}
	paths["/api/v1/reports/presales-ageing"] = obj{"get": obj{"tags": tag, "summary": "Open requests by age band (0–7, 8–14, 15–30, 31–60, 61+ days open), oldest first within each", "operationId": "presalesAgeing",
		"responses": withResponses(obj{"200": obj{"description": "the bands", "content": jsonContent(obj{"type": "object", "properties": obj{
			"at": obj{"type": "string", "format": "date-time"}, "open": obj{"type": "integer"},
			"groups": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"key": obj{"type": "string"}, "min_days": obj{"type": "integer"},
				"max_days": obj{"type": "integer", "description": "-1: no upper bound"}, "count": obj{"type": "integer"}, "requests": obj{"type": "array", "items": open}}}}}})}}, "401", "403")}}
	row := obj{"type": "object", "properties": obj{"key": obj{"type": "string"}, "name": obj{"type": "string"}, "requests": obj{"type": "integer"},
		"hours": obj{"type": "number"}, "closed": obj{"type": "integer"}, "won": obj{"type": "integer"}, "lost": obj{"type": "integer"},
		"stopped": obj{"type": "integer"}, "merged": obj{"type": "integer"}, "scores": obj{"type": "integer"}, "avg_score": obj{"type": "number"},
		"won_value": obj{"type": "integer", "description": "estimated contract value of won requests, minor units (分)"}}}
	paths["/api/v1/reports/presales-summary"] = obj{"get": obj{"tags": tag, "operationId": "presalesSummary",
		"summary": "Monthly pre-sales summary (评分汇总) per engineer or team: requests, hours, outcomes, average score, won value supported; format=csv|xlsx downloads it",
		"parameters": []obj{
			{"name": "month", "in": "query", "schema": obj{"type": "string", "pattern": `^\d{4}-\d{2}$`}, "description": "default: this month (company time zone)"},
			{"name": "group", "in": "query", "schema": obj{"type": "string", "enum": []string{"engineer", "team"}, "default": "engineer"}},
			{"name": "format", "in": "query", "schema": obj{"type": "string", "enum": []string{"json", "csv", "xlsx"}, "default": "json"}}},
		"responses": withResponses(obj{"200": obj{"description": "the summary", "content": obj{
			"application/json": obj{"schema": obj{"type": "object", "properties": obj{"month": obj{"type": "string"}, "group": obj{"type": "string"},
				"from": obj{"type": "string", "format": "date-time"}, "to": obj{"type": "string", "format": "date-time"},
				"rows": obj{"type": "array", "items": row}, "total": row}}},
			"text/csv": obj{"schema": obj{"type": "string"}},
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{"schema": obj{"type": "string", "contentEncoding": "binary"}}}}}, "401", "403", "422")}}
}
