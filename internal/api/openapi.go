package api

import (
	"fmt"
	"net/http"
	"strings"

	"closeloop/internal/entity"
	"closeloop/internal/httpx"
	"closeloop/internal/i18n"
)

type obj = map[string]any

func (h *API) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	httpx.JSON(w, http.StatusOK, OpenAPI(h.App.DB.Schema()))
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// SchemaName is the component name of an entity ("Customer").
func SchemaName(e *entity.Entity) string {
	parts := strings.Split(e.Name, "_")
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, "")
}

// fieldSchema is the JSON Schema of one field's value.
func fieldSchema(s *entity.Schema, f *entity.Field) obj {
	var o obj
	nullable := func(t string) []string { return []string{t, "null"} }
	switch f.Kind {
	case entity.Integer:
		o = obj{"type": nullable("integer"), "format": "int64"}
		if f.Scale > 0 {
			o["description"] = fmt.Sprintf("fixed-point: the value × 10^-%d (500 with scale 2 is 5.00)", f.Scale)
		}
	case entity.Money:
		o = obj{"type": nullable("integer"), "format": "int64", "description": "amount in minor units (分)"}
	case entity.Number:
		o = obj{"type": nullable("number")}
	case entity.Bool:
		o = obj{"type": nullable("boolean")}
	case entity.Date:
		o = obj{"type": nullable("string"), "format": "date"}
	case entity.DateTime:
		o = obj{"type": nullable("string"), "format": "date-time"}
	case entity.Select:
		var codes []any
		for _, opt := range s.Options(f) {
			codes = append(codes, opt.Code)
		}
		o = obj{"type": nullable("string")}
		if len(codes) > 0 {
			o["enum"] = append(codes, nil)
		}
	case entity.MultiSelect:
		items := obj{"type": "string"}
		var codes []any
		for _, opt := range s.Options(f) {
			codes = append(codes, opt.Code)
		}
		if len(codes) > 0 {
			items["enum"] = codes
		}
		o = obj{"type": nullable("array"), "items": items, "uniqueItems": true}
	case entity.Tags:
		o = obj{"type": nullable("array"), "items": obj{"type": "string", "maxLength": 50}, "uniqueItems": true}
	case entity.Refs:
		o = obj{"type": nullable("array"), "items": obj{"type": "string", "format": "uuid"}, "uniqueItems": true}
	case entity.User, entity.Ref:
		o = obj{"type": nullable("string"), "format": "uuid"}
	case entity.Email:
		o = obj{"type": nullable("string"), "format": "email", "maxLength": f.MaxChars()}
	default:
		o = obj{"type": nullable("string"), "maxLength": f.MaxChars()}
	}
	if f.Has(entity.NotNull) {
		if t, ok := o["type"].([]string); ok {
			o["type"] = t[0]
		}
		if enum, ok := o["enum"].([]any); ok {
			o["enum"] = enum[:len(enum)-1]
		}
	}
	o["title"] = f.Label.In(i18n.EN)
	desc := f.Label.Zh
	if f.Kind == entity.Ref || f.Kind == entity.Refs {
		desc += " (" + f.Ref + ")"
	}
	if f.Kind == entity.User {
		desc += " (user)"
	}
	if f.Custom {
		desc += " — custom field"
	}
	if d, ok := o["description"].(string); ok {
		desc += "; " + d
	}
	o["description"] = desc
	if f.Has(entity.ReadOnly) {
		o["readOnly"] = true
	}
	if f.Has(entity.Contact) {
		o["description"] = desc + "; masked (e.g. 138****5678) for roles without the right to see contact details"
	}
	if f.Default != nil {
		o["default"] = f.Default
	}
	return o
}

func entitySchemas(s *entity.Schema, e *entity.Entity, comps obj) {
	props, inProps := obj{}, obj{}
	var req, inReq []string
	for _, f := range e.Fields {
		if f.Has(entity.Hidden) && f.Name != "id" && f.Name != "version" {
			continue
		}
		fs := fieldSchema(s, f)
		props[f.Name] = fs
		if f.Has(entity.NotNull) || f.Name == "id" || f.Name == "version" {
			req = append(req, f.Name)
		}
		if f.Writable() || (f.Name == "owner_id" && e.Vis.Owned) {
			in := obj{}
			for k, v := range fs {
				if k != "readOnly" {
					in[k] = v
				}
			}
			inProps[f.Name] = in
			if f.Required && f.Default == nil {
				inReq = append(inReq, f.Name)
			}
		}
	}
	name := SchemaName(e)
	comps[name] = obj{"type": "object", "title": e.Label.In(i18n.EN), "description": e.Label.Zh, "properties": props, "required": req}
	in := obj{"type": "object", "properties": inProps, "additionalProperties": false}
	if len(inReq) > 0 {
		in["required"] = inReq
	}
	comps[name+"Input"] = in
	patchProps := obj{"version": obj{"type": "integer", "format": "int64", "description": "the version the change is based on; a stale version answers 409"}}
	for k, v := range inProps {
		patchProps[k] = v
	}
	comps[name+"Patch"] = obj{"type": "object", "properties": patchProps, "required": []string{"version"}, "additionalProperties": false}
	comps[name+"List"] = obj{"type": "object", "required": []string{"items", "next_cursor"}, "properties": obj{
		"items":        obj{"type": "array", "items": ref(name)},
		"next_cursor":  obj{"type": "string", "description": "pass as cursor for the next page; empty on the last page"},
		"total":        obj{"type": "integer", "description": "with total=1: matching rows, capped at 10000"},
		"total_capped": obj{"type": "boolean", "description": "true when there are more than total"},
	}}
}

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func problemResponses(codes ...string) obj {
	out := obj{}
	desc := map[string]string{"400": "Bad request", "401": "Not signed in or bad token", "403": "Not allowed",
		"404": "Not found or not visible", "409": "Stale version or conflict", "422": "Invalid input or refused by a business rule", "429": "Too many attempts"}
	for _, c := range codes {
		out[c] = obj{"description": desc[c], "content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}
	}
	return out
}

func withResponses(ok obj, codes ...string) obj {
	r := problemResponses(codes...)
	for k, v := range ok {
		r[k] = v
	}
	return r
}

func listParams(s *entity.Schema, e *entity.Entity) []obj {
	ps := []obj{
		{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/cursor"},
		{"$ref": "#/components/parameters/q"}, {"$ref": "#/components/parameters/total"},
		{"name": "sort", "in": "query", "description": "field to sort by, '-' prefix for descending", "schema": obj{"type": "string", "enum": sortNames(e)}},
	}
	if e.SoftDelete {
		ps = append(ps, obj{"name": "trash", "in": "query", "description": "list deleted records (to restore)", "schema": obj{"type": "boolean"}})
	}
	for _, f := range e.FieldsWith(entity.Filter) {
		item := fieldSchema(s, f)
		if arr, ok := item["items"].(obj); ok {
			item = arr
		}
		delete(item, "readOnly")
		delete(item, "default")
		if t, ok := item["type"].([]string); ok {
			item["type"] = t[0]
		}
		if enum, ok := item["enum"].([]any); ok && len(enum) > 0 && enum[len(enum)-1] == nil {
			item["enum"] = enum[:len(enum)-1]
		}
		ps = append(ps, obj{"name": f.Name, "in": "query", "description": "equals; repeat for any of several values", "style": "form", "explode": true,
			"schema": obj{"type": "array", "items": item}})
		switch f.Kind {
		case entity.Integer, entity.Money, entity.Number, entity.Date, entity.DateTime:
			for _, op := range []string{"gte", "lte", "gt", "lt"} {
				ps = append(ps, obj{"name": f.Name + "[" + op + "]", "in": "query", "description": "range bound", "schema": item})
			}
		case entity.Text, entity.LongText, entity.Phone, entity.Email, entity.Tags:
			ps = append(ps, obj{"name": f.Name + "[contains]", "in": "query", "description": "contains, case-insensitive", "schema": obj{"type": "string"}})
		}
		ps = append(ps, obj{"name": f.Name + "[empty]", "in": "query", "description": "true: is empty; false: is not empty", "schema": obj{"type": "boolean"}})
	}
	return ps
}

func sortNames(e *entity.Entity) []string {
	var out []string
	for _, f := range e.FieldsWith(entity.Sort) {
		out = append(out, f.Name, "-"+f.Name)
	}
	return out
}

var idParam = obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string", "format": "uuid"}}

// OpenAPI builds the OpenAPI 3.1 document for the current schema.
func OpenAPI(s *entity.Schema) obj {
	comps := obj{
		"Problem": obj{"type": "object", "required": []string{"type", "title", "status", "detail", "code"}, "properties": obj{
			"type": obj{"type": "string"}, "title": obj{"type": "string"}, "status": obj{"type": "integer"},
			"detail": obj{"type": "string", "description": "a message for people, in the request's language"},
			"code":   obj{"type": "string", "description": "stable machine-readable code"}, "instance": obj{"type": "string", "description": "request id"},
			"errors": obj{"type": "array", "items": obj{"type": "object", "required": []string{"field", "code", "detail"}, "properties": obj{
				"field": obj{"type": "string"}, "code": obj{"type": "string"}, "detail": obj{"type": "string"}, "row": obj{"type": "integer"}, "args": obj{"type": "object"}}}},
			"data": obj{"description": "extra detail, e.g. duplicate candidates"},
		}},
		"Duplicate": obj{"type": "object", "properties": obj{"entity": obj{"type": "string"}, "id": obj{"type": "string"}, "title": obj{"type": "string"},
			"reason": obj{"type": "string", "enum": []string{"name", "phone", "email"}}, "owner_id": obj{"type": "string"}, "owner": obj{"type": "string"}}},
		"SearchResult": obj{"type": "object", "required": []string{"items"}, "properties": obj{"items": obj{"type": "array", "items": obj{"type": "object",
			"required": []string{"type", "id", "title"}, "properties": obj{"type": obj{"type": "string", "enum": searchableEntities(s)},
				"id": obj{"type": "string"}, "title": obj{"type": "string"}, "subtitle": obj{"type": "string"}, "pooled": obj{"type": "boolean"}}}}}},
		"ImportRun": obj{"type": "object", "properties": obj{"id": obj{"type": "string"}, "status": obj{"type": "string", "enum": []string{"queued", "running", "done", "failed"}},
			"processed": obj{"type": "integer"}, "total": obj{"type": "integer"}, "created": obj{"type": "integer"}, "updated": obj{"type": "integer"},
			"rejected": obj{"type": "integer"}, "error": obj{"type": "string"}, "report": obj{"type": "object"}}},
	}
	paths := obj{}
	for _, e := range s.Entities() {
		entitySchemas(s, e, comps)
		name := SchemaName(e)
		base := "/api/v1/" + e.Resource
		tag := []string{e.Resource}
		paths[base] = obj{
			"get": obj{"tags": tag, "summary": "List " + e.Plural.In(i18n.EN) + " (" + e.Plural.Zh + ")", "operationId": "list" + name,
				"parameters": listParams(s, e), "responses": withResponses(obj{"200": obj{"description": "a page", "content": jsonContent(ref(name + "List"))}}, "400", "401", "403", "422")},
			"post": obj{"tags": tag, "summary": "Create a " + strings.ToLower(e.Label.In(i18n.EN)), "operationId": "create" + name,
				"parameters":  []obj{{"name": "allow_duplicate", "in": "query", "description": "create even if it looks like an existing record", "schema": obj{"type": "boolean"}}},
				"requestBody": obj{"required": true, "content": jsonContent(ref(name + "Input"))},
				"responses":   withResponses(obj{"201": obj{"description": "created", "content": jsonContent(ref(name))}}, "400", "401", "403", "409", "422")},
		}
		item := obj{
			"parameters": []obj{idParam},
			"get": obj{"tags": tag, "summary": "Get one", "operationId": "get" + name,
				"responses": withResponses(obj{"200": obj{"description": "the record", "content": jsonContent(ref(name))}}, "401", "404")},
			"patch": obj{"tags": tag, "summary": "Change fields (carries the version it is based on)", "operationId": "update" + name,
				"requestBody": obj{"required": true, "content": jsonContent(ref(name + "Patch"))},
				"responses":   withResponses(obj{"200": obj{"description": "updated", "content": jsonContent(ref(name))}}, "400", "401", "403", "404", "409", "422")},
		}
		if e.SoftDelete {
			item["delete"] = obj{"tags": tag, "summary": "Delete (restorable)", "operationId": "delete" + name,
				"parameters": []obj{{"name": "version", "in": "query", "schema": obj{"type": "integer"}}},
				"responses":  withResponses(obj{"204": obj{"description": "deleted"}}, "401", "403", "404", "409")}
			paths[base+"/{id}/restore"] = obj{"parameters": []obj{idParam}, "post": obj{"tags": tag, "summary": "Restore a deleted record", "operationId": "restore" + name,
				"responses": withResponses(obj{"200": obj{"description": "restored", "content": jsonContent(ref(name))}}, "401", "403", "404", "422")}}
		}
		paths[base+"/{id}"] = item
		exportParams := append(listParams(s, e), obj{"name": "format", "in": "query", "schema": obj{"type": "string", "enum": []string{"csv", "xlsx"}}})
		paths[base+"/export"] = obj{"get": obj{"tags": tag, "summary": "Export the filtered list as CSV (UTF-8 with BOM) or XLSX", "operationId": "export" + name,
			"parameters": exportParams,
			"responses": withResponses(obj{"200": obj{"description": "the file", "content": obj{
				"text/csv": obj{"schema": obj{"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": obj{"schema": obj{"type": "string", "contentEncoding": "binary"}}}}}, "400", "401", "403")}}
		paths[base+"/import"] = obj{"post": obj{"tags": tag, "summary": "Import a CSV or XLSX file (runs in the background; poll the returned import)", "operationId": "import" + name,
			"requestBody": obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{"type": "object", "required": []string{"file"}, "properties": obj{
				"file":             obj{"type": "string", "contentEncoding": "binary"},
				"dry_run":          obj{"type": "boolean", "description": "check every row, write nothing"},
				"mode":             obj{"type": "string", "enum": []string{"all", "valid"}, "description": "all: nothing is written unless every row is valid; valid: write the valid rows, report the rest"},
				"key":              obj{"type": "string", "description": "upsert key: id or a unique field (name, phone, email)"},
				"allow_duplicates": obj{"type": "boolean"},
				"mapping":          obj{"type": "string", "description": "JSON object: column header → field name (\"\" ignores the column)"},
			}}}}},
			"responses": withResponses(obj{"202": obj{"description": "queued", "content": jsonContent(ref("ImportRun"))}}, "401", "403", "422")}}
	}
	for _, add := range areaSchemas {
		add(comps)
	}
	processPaths(paths)
	return obj{
		"openapi": "3.1.0",
		"info": obj{"title": "Closeloop API", "version": "1",
			"description": "Customer lifecycle (售前·售中·售后) API. Authenticate with `Authorization: Bearer <token>` (create tokens with `closeloop token create` or in the web UI). Errors are RFC 9457 problem documents with a stable `code`."},
		"servers":  []obj{{"url": "/"}},
		"security": []obj{{"bearer": []string{}}, {"session": []string{}}},
		"components": obj{
			"schemas": comps,
			"securitySchemes": obj{
				"bearer":  obj{"type": "http", "scheme": "bearer", "description": "personal API token (clt_…); read tokens may only GET"},
				"session": obj{"type": "apiKey", "in": "cookie", "name": httpx.SessionCookie},
			},
			"parameters": obj{
				"limit":  obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": entity.MaxLimit, "default": entity.DefaultLimit}},
				"cursor": obj{"name": "cursor", "in": "query", "description": "next_cursor of the previous page", "schema": obj{"type": "string"}},
				"q":      obj{"name": "q", "in": "query", "description": "search text (Chinese characters, pinyin, initials, phone digits)", "schema": obj{"type": "string", "maxLength": 100}},
				"total":  obj{"name": "total", "in": "query", "description": "also count matching rows (capped at 10000)", "schema": obj{"type": "boolean"}},
			},
		},
		"paths": paths,
	}
}

// searchableEntities are the entities a search may return (type=…).
func searchableEntities(s *entity.Schema) []string {
	var out []string
	for _, e := range s.Entities() {
		if len(e.FieldsWith(entity.Search)) > 0 {
			out = append(out, e.Name)
		}
	}
	return out
}

// areaPaths document the process endpoints of later areas; each area adds
// its function from init in its own file, beside its areaRoutes.
var areaPaths []func(paths obj)

// areaSchemas adjust the generated component schemas of an area's
// entities (a quote's JSON carries its lines).
var areaSchemas []func(comps obj)

func processPaths(paths obj) {
	for _, add := range areaPaths {
		add(paths)
	}
	idOnly := []obj{idParam}
	post := func(tag, summary, op string, body obj, ok obj, codes ...string) obj {
		o := obj{"tags": []string{tag}, "summary": summary, "operationId": op, "responses": withResponses(ok, codes...)}
		if body != nil {
			o["requestBody"] = obj{"required": true, "content": jsonContent(body)}
		}
		return o
	}
	okJSON := func(schema obj) obj { return obj{"200": obj{"description": "done", "content": jsonContent(schema)}} }
	paths["/api/v1/leads/{id}/convert"] = obj{"parameters": idOnly, "post": post("leads", "Convert a lead into a customer (new or existing) and contact; its history follows", "convertLead",
		obj{"type": "object", "additionalProperties": false, "properties": obj{
			"customer_id": obj{"type": "string", "format": "uuid", "description": "link to this existing customer instead of creating one"},
			"customer":    ref("CustomerInput"), "contact": ref("ContactInput"),
			"skip_contact": obj{"type": "boolean"}, "allow_duplicate": obj{"type": "boolean"}}},
		okJSON(obj{"type": "object", "properties": obj{"lead_id": obj{"type": "string"}, "customer_id": obj{"type": "string"}, "contact_id": obj{"type": "string"}, "created": obj{"type": "boolean"}}}),
		"401", "403", "404", "409", "422")}
	for _, res := range []string{"customers", "leads"} {
		schema := "Customer"
		if res == "leads" {
			schema = "Lead"
		}
		paths["/api/v1/"+res+"/{id}/claim"] = obj{"parameters": idOnly, "post": post(res, "Claim from the shared pool (公海); refused over the cap or during the cool-down", "claim"+schema, nil, okJSON(ref(schema)), "401", "403", "404", "409", "422")}
		paths["/api/v1/"+res+"/{id}/release"] = obj{"parameters": idOnly, "post": post(res, "Release to the shared pool with a reason", "release"+schema,
			obj{"type": "object", "required": []string{"reason"}, "properties": obj{"reason": obj{"type": "string", "description": "a release_reason code"}}}, okJSON(ref(schema)), "401", "403", "404", "409", "422")}
		paths["/api/v1/"+res+"/{id}/assign"] = obj{"parameters": idOnly, "post": post(res, "Hand to a user (managers; also hands out pool records)", "assign"+schema,
			obj{"type": "object", "required": []string{"owner_id"}, "properties": obj{"owner_id": obj{"type": "string", "format": "uuid"}}}, okJSON(ref(schema)), "401", "403", "404", "422")}
		paths["/api/v1/"+res+"/{id}/timeline"] = obj{"parameters": idOnly, "get": obj{"tags": []string{res}, "summary": "The record's story, newest first", "operationId": "timeline" + schema,
			"parameters": []obj{{"name": "before", "in": "query", "schema": obj{"type": "string", "format": "date-time"}}, {"name": "limit", "in": "query", "schema": obj{"type": "integer"}}},
			"responses":  withResponses(okJSON(obj{"type": "object", "properties": obj{"items": obj{"type": "array", "items": obj{"type": "object"}}, "next_before": obj{"type": "string"}}}), "401", "404")}}
	}
	for _, res := range []string{"customers", "contacts", "leads"} {
		paths["/api/v1/"+res+"/duplicates"] = obj{"post": post(res, "Find existing records that look like this one (before saving)", "duplicates"+res,
			obj{"type": "object"}, okJSON(obj{"type": "object", "properties": obj{"items": obj{"type": "array", "items": ref("Duplicate")}}}), "401", "422")}
	}
	paths["/api/v1/customers/{id}/merge"] = obj{"parameters": idOnly, "post": post("customers", "Merge another customer into this one (every link moves; audited)", "mergeCustomer",
		obj{"type": "object", "required": []string{"other_id"}, "properties": obj{"other_id": obj{"type": "string", "format": "uuid"}}},
		okJSON(obj{"type": "object"}), "401", "403", "404", "422")}
	paths["/api/v1/contacts/{id}/consent"] = obj{"parameters": idOnly,
		"post": post("contacts", "Record marketing consent or do-not-contact, with how it was given", "recordConsent",
			obj{"type": "object", "required": []string{"method"}, "properties": obj{
				"marketing_consent": obj{"type": "string", "enum": []string{"granted", "withdrawn", "unknown"}},
				"do_not_contact":    obj{"type": "boolean"},
				"method":            obj{"type": "string", "enum": []string{"phone", "email", "in_person", "form", "letter", "other"}},
				"note":              obj{"type": "string", "maxLength": 500}}}, okJSON(ref("Contact")), "401", "403", "404", "422"),
		"get": obj{"tags": []string{"contacts"}, "summary": "Consent history", "operationId": "consentHistory", "responses": withResponses(okJSON(obj{"type": "object"}), "401", "404")}}
	paths["/api/v1/search"] = obj{"get": obj{"tags": []string{"search"}, "summary": "Search customers, contacts and leads, or the entities named in type (e.g. knowledge_article)", "operationId": "search",
		"parameters": []obj{{"name": "q", "in": "query", "required": true, "schema": obj{"type": "string", "maxLength": 100}},
			{"name": "type", "in": "query", "schema": obj{"type": "string"}, "description": "comma-separated entity names"},
			{"name": "limit", "in": "query", "schema": obj{"type": "integer", "maximum": 100}}},
		"responses": withResponses(okJSON(ref("SearchResult")), "401", "422")}}
	simpleGet := func(tag, summary, op string) obj {
		return obj{"get": obj{"tags": []string{tag}, "summary": summary, "operationId": op, "responses": withResponses(okJSON(obj{"type": "object"}), "401", "403")}}
	}
	paths["/api/v1/me"] = simpleGet("account", "The signed-in user and their permissions", "me")
	paths["/api/v1/followups"] = simpleGet("activities", "My next steps due today and overdue", "followups")
	paths["/api/v1/pool/warnings"] = simpleGet("pool", "Records about to return to the pool", "poolWarnings")
	paths["/api/v1/pool/config"] = obj{"get": simpleGet("pool", "Pool rules and settings", "getPoolConfig")["get"],
		"put": post("pool", "Replace pool rules and settings (admins)", "putPoolConfig", obj{"type": "object"}, okJSON(obj{"type": "object"}), "401", "403", "422")}
	paths["/api/v1/imports/{id}"] = obj{"parameters": idOnly, "get": obj{"tags": []string{"import"}, "summary": "An import's progress and report (report=csv|xlsx downloads the rejected rows)", "operationId": "getImport",
		"parameters": []obj{{"name": "report", "in": "query", "schema": obj{"type": "string", "enum": []string{"csv", "xlsx"}}}},
		"responses":  withResponses(okJSON(ref("ImportRun")), "401", "404")}}
	paths["/api/v1/tokens"] = obj{"get": simpleGet("account", "My API tokens", "listTokens")["get"],
		"post": post("account", "Create an API token (shown once)", "createToken", obj{"type": "object", "properties": obj{
			"name": obj{"type": "string"}, "scope": obj{"type": "string", "enum": []string{"read", "write"}}, "expires": obj{"type": "string", "description": "e.g. 90d or 720h; empty: no expiry"}}},
			obj{"201": obj{"description": "created", "content": jsonContent(obj{"type": "object"})}}, "401", "422")}
	paths["/api/v1/tokens/{id}"] = obj{"parameters": idOnly, "delete": obj{"tags": []string{"account"}, "summary": "Revoke a token", "operationId": "revokeToken", "responses": withResponses(obj{"204": obj{"description": "revoked"}}, "401", "404")}}
	paths["/api/v1/users/{id}/password"] = obj{"parameters": idOnly, "post": post("users", "Set a password (admins) or change one's own (with current_password)", "setPassword",
		obj{"type": "object", "required": []string{"password"}, "properties": obj{"password": obj{"type": "string", "minLength": 8}, "current_password": obj{"type": "string"}}},
		obj{"204": obj{"description": "changed; the user's sessions end"}}, "401", "403", "422")}
	paths["/api/v1/custom-fields"] = obj{"get": simpleGet("admin", "Custom fields", "listCustomFields")["get"],
		"post": post("admin", "Add a custom field (admins)", "createCustomField", obj{"type": "object", "required": []string{"entity", "name", "kind"}, "properties": obj{
			"entity": obj{"type": "string"}, "name": obj{"type": "string"}, "label_zh": obj{"type": "string"}, "label_en": obj{"type": "string"},
			"kind":     obj{"type": "string", "enum": []string{"text", "textarea", "number", "money", "date", "boolean", "select", "multiselect", "user"}},
			"picklist": obj{"type": "string"}, "required": obj{"type": "boolean"}}}, obj{"201": obj{"description": "created", "content": jsonContent(obj{"type": "object"})}}, "401", "403", "422")}
	paths["/api/v1/custom-fields/{entity}/{name}"] = obj{"delete": obj{"tags": []string{"admin"}, "summary": "Remove a custom field and its data (confirm=true)", "operationId": "deleteCustomField",
		"parameters": []obj{{"name": "entity", "in": "path", "required": true, "schema": obj{"type": "string"}}, {"name": "name", "in": "path", "required": true, "schema": obj{"type": "string"}},
			{"name": "confirm", "in": "query", "required": true, "schema": obj{"type": "boolean"}}},
		"responses": withResponses(obj{"204": obj{"description": "removed"}}, "401", "403", "404", "422")}}
	paths["/api/v1/picklists"] = simpleGet("admin", "Every pick-list with its options", "listPicklists")
	paths["/api/v1/picklists/{list}"] = obj{"parameters": []obj{{"name": "list", "in": "path", "required": true, "schema": obj{"type": "string"}}},
		"put": post("admin", "Replace a pick-list's options (admins); options are deactivated, never deleted", "putPicklist", obj{"type": "object"}, okJSON(obj{"type": "object"}), "401", "403", "404", "422")}
	paths["/api/v1/roles"] = simpleGet("admin", "Roles and their permissions", "listRoles")
	paths["/api/v1/roles/{code}"] = obj{"parameters": []obj{{"name": "code", "in": "path", "required": true, "schema": obj{"type": "string"}}},
		"put":    post("admin", "Create or change a role (admins)", "putRole", obj{"type": "object"}, okJSON(obj{"type": "object"}), "401", "403", "422"),
		"delete": obj{"tags": []string{"admin"}, "summary": "Delete a role nobody holds", "operationId": "deleteRole", "responses": withResponses(obj{"204": obj{"description": "deleted"}}, "401", "403", "404", "422")}}
	paths["/api/v1/audit"] = simpleGet("admin", "Audit log (admins)", "audit")
}
