package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"closeloop/internal/apptest"
)

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	return m
}

// The contract outside tools rely on (issue: "Contract that outside tools
// rely on"), exercised over HTTP.
func TestContract(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	rep := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}

	// Create: 201 with id and version; snake_case fields; money-free here.
	st, b := rep.do("POST", "/api/v1/customers", map[string]any{"name": "宁波舟山港集团有限公司", "level": "A", "source": "exhibition", "industry": "logistics", "phone": "+86 574 8888 1234"})
	if st != 201 {
		t.Fatalf("create: %d %s", st, b)
	}
	c := decode(t, b)
	id, _ := c["id"].(string)
	if id == "" || c["version"] != 1.0 || c["owner_id"] != f.Rep1.UserID || c["phone"] != "+865748888 1234" && c["phone"] != "+8657488881234" {
		t.Fatalf("created %v", c)
	}
	// PATCH needs the version; a stale one is 409 and changes nothing.
	if st, b := rep.do("PATCH", "/api/v1/customers/"+id, map[string]any{"level": "B"}); st != 422 || !strings.Contains(string(b), `"field":"version"`) {
		t.Errorf("patch without version: %d %s", st, b)
	}
	if st, b := rep.do("PATCH", "/api/v1/customers/"+id, map[string]any{"version": 1, "level": "B"}); st != 200 || decode(t, b)["version"] != 2.0 {
		t.Errorf("patch: %d %s", st, b)
	}
	if st, b := rep.do("PATCH", "/api/v1/customers/"+id, map[string]any{"version": 1, "level": "C"}); st != 409 || decode(t, b)["code"] != "stale_version" {
		t.Errorf("stale patch: %d %s", st, b)
	}
	// Bad input: a clear problem naming the field, never a 500.
	bad := []struct {
		body  any
		st    int
		field string
	}{
		{map[string]any{"name": ""}, 422, "name"},
		{map[string]any{"name": "x", "level": "Z"}, 422, "level"},
		{map[string]any{"name": "x", "nosuch": 1}, 422, "nosuch"},
		{map[string]any{"name": "x", "phone": "abc"}, 422, "phone"},
		{map[string]any{"name": 12}, 422, "name"},
		{map[string]any{"name": "x", "owner_id": "01900000-0000-7000-8000-000000000001"}, 422, "owner_id"},
	}
	for _, c := range bad {
		st, b := rep.do("POST", "/api/v1/customers", c.body)
		if st != c.st || !strings.Contains(string(b), `"field":"`+c.field+`"`) {
			t.Errorf("%v: %d %s", c.body, st, b)
		}
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/customers", strings.NewReader(`{"name": "x",`))
	req.Header.Set("Authorization", "Bearer "+rep.token)
	resp, _ := http.DefaultClient.Do(req)
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("broken JSON: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp.Body.Close()
	// The language of messages follows Accept-Language.
	req, _ = http.NewRequest("POST", base+"/api/v1/customers", strings.NewReader(`{"name": ""}`))
	req.Header.Set("Authorization", "Bearer "+rep.token)
	req.Header.Set("Accept-Language", "en-US")
	resp, _ = http.DefaultClient.Do(req)
	eb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(eb), "is required") {
		t.Errorf("English message: %s", eb)
	}

	// Paging: keyset cursors visit every record once, in order.
	for i := range 120 {
		st, b := rep.do("POST", "/api/v1/leads?allow_duplicate=true", map[string]any{"name": fmt.Sprintf("线索%03d", i), "source": "web", "company": "分页公司"})
		if st != 201 {
			t.Fatalf("lead %d: %d %s", i, st, b)
		}
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	prev := ""
	for {
		st, b := rep.do("GET", "/api/v1/leads?limit=50&sort=name&cursor="+cursor, nil)
		if st != 200 {
			t.Fatalf("page: %d %s", st, b)
		}
		var page struct {
			Items []map[string]any `json:"items"`
			Next  string           `json:"next_cursor"`
		}
		json.Unmarshal(b, &page)
		for _, it := range page.Items {
			n := it["name"].(string)
			if seen[n] || n < prev {
				t.Fatalf("paging repeated or unordered at %s", n)
			}
			seen[n], prev = true, n
		}
		pages++
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if len(seen) != 120 || pages != 3 {
		t.Errorf("paged %d leads in %d pages", len(seen), pages)
	}
	if st, b := rep.do("GET", "/api/v1/leads?limit=10&total=1&source=web", nil); st != 200 || decode(t, b)["total"] != 120.0 {
		t.Errorf("total: %d %s", st, b)
	}
	if st, b := rep.do("GET", "/api/v1/leads?nosuch=1", nil); st != 422 || !strings.Contains(string(b), "nosuch") {
		t.Errorf("unknown filter: %d %s", st, b)
	}
	if st, _ := rep.do("GET", "/api/v1/leads?cursor=xyz", nil); st != 422 {
		t.Errorf("bad cursor: %d", st)
	}

	// Search: two characters, pinyin initials, phone suffix.
	for _, q := range []string{"舟山", "nbzsg", "ningbo", "1234"} {
		st, b := rep.do("GET", "/api/v1/search?q="+q, nil)
		if st != 200 || !strings.Contains(string(b), id) {
			t.Errorf("search %q: %d %s", q, st, b)
		}
	}

	// Convert, claim, release, merge.
	st, b = rep.do("POST", "/api/v1/leads", map[string]any{"name": "孙丽", "company": "青岛海尔智能家电科技有限公司", "source": "exhibition", "phone": "13566667777"})
	lead := decode(t, b)
	st, b = rep.do("POST", "/api/v1/leads/"+lead["id"].(string)+"/convert", map[string]any{"contact": map[string]any{"decision_role": "decision_maker"}})
	conv := decode(t, b)
	if st != 200 || conv["customer_id"] == nil || conv["contact_id"] == nil {
		t.Fatalf("convert: %d %s", st, b)
	}
	st, b = rep.do("GET", "/api/v1/customers/"+conv["customer_id"].(string)+"/timeline", nil)
	if st != 200 || !strings.Contains(string(b), `"kind":"converted"`) {
		t.Errorf("timeline: %d %s", st, b)
	}
	st, b = rep.do("POST", "/api/v1/customers/"+id+"/release", map[string]any{"reason": "no_progress"})
	if st != 200 || decode(t, b)["owner_id"] != nil {
		t.Errorf("release: %d %s", st, b)
	}
	rep2 := &client{t: t, base: base, token: tokenFor(t, f, f.Rep2, "write"), name: "rep2"}
	if st, b := rep2.do("POST", "/api/v1/customers/"+id+"/claim", nil); st != 200 || decode(t, b)["owner_id"] != f.Rep2.UserID {
		t.Errorf("claim: %d %s", st, b)
	}
	if st, b := rep.do("POST", "/api/v1/customers/"+id+"/claim", nil); st != 404 && st != 409 {
		t.Errorf("claim of an owned record: %d %s", st, b)
	}
	mgr := &client{t: t, base: base, token: tokenFor(t, f, f.Manager, "write"), name: "manager"}
	if st, b := mgr.do("POST", "/api/v1/customers/"+conv["customer_id"].(string)+"/merge", map[string]any{"other_id": id}); st != 200 {
		t.Errorf("merge: %d %s", st, b)
	}

	// Read-only tokens, missing and bad tokens.
	ro := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "read"), name: "ro"}
	if st, _ := ro.do("GET", "/api/v1/customers", nil); st != 200 {
		t.Errorf("read token list: %d", st)
	}
	if st, b := ro.do("POST", "/api/v1/customers", map[string]any{"name": "只读"}); st != 403 || decode(t, b)["code"] != "token_read_only" {
		t.Errorf("read token write: %d %s", st, b)
	}
	anon := &client{t: t, base: base, token: "", name: "anon"}
	if st, _ := anon.do("GET", "/api/v1/customers", nil); st != 401 {
		t.Errorf("no token: %d", st)
	}
	anon.token = "clt_forged"
	if st, _ := anon.do("GET", "/api/v1/customers", nil); st != 401 {
		t.Errorf("bad token: %d", st)
	}
	if st, _ := rep.do("GET", "/api/v1/nothing-here", nil); st != 404 {
		t.Errorf("unknown route: %d", st)
	}
}

// The OpenAPI document is valid OpenAPI 3.1, covers every resource, and
// follows custom fields added at run time.
func TestOpenAPIDocument(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	admin := &client{t: t, base: base, token: tokenFor(t, f, f.Admin, "write"), name: "admin"}
	st, b := admin.do("POST", "/api/v1/custom-fields", map[string]any{"entity": "customer", "name": "annual_revenue", "label_zh": "年营业额", "label_en": "Annual revenue", "kind": "money"})
	if st != 201 {
		t.Fatalf("custom field: %d %s", st, b)
	}
	resp, err := http.Get(base + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	validateOAS(t, doc)
	var d struct {
		OpenAPI    string                    `json:"openapi"`
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	json.Unmarshal(doc, &d)
	if d.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", d.OpenAPI)
	}
	for _, p := range []string{"/api/v1/customers", "/api/v1/customers/{id}", "/api/v1/contacts", "/api/v1/leads", "/api/v1/activities",
		"/api/v1/leads/{id}/convert", "/api/v1/customers/{id}/claim", "/api/v1/customers/{id}/release", "/api/v1/customers/{id}/merge", "/api/v1/search"} {
		if d.Paths[p] == nil {
			t.Errorf("path %s missing", p)
		}
	}
	if d.Components.Schemas["Customer"].Properties["cf_annual_revenue"] == nil || d.Components.Schemas["CustomerInput"].Properties["cf_annual_revenue"] == nil {
		t.Error("the custom field is not in the schema")
	}
	// …and it works in the API: create, filter.
	rep := &client{t: t, base: base, token: tokenFor(t, f, f.Rep1, "write"), name: "rep1"}
	if st, b := rep.do("POST", "/api/v1/customers", map[string]any{"name": "营收客户", "cf_annual_revenue": 12345678}); st != 201 {
		t.Fatalf("create with custom field: %d %s", st, b)
	}
	st, b = rep.do("GET", "/api/v1/customers?cf_annual_revenue[gte]=100000", nil)
	if st != 200 || !strings.Contains(string(b), "营收客户") {
		t.Errorf("filter on custom field: %d %s", st, b)
	}
}

func validateOAS(t *testing.T, doc []byte) {
	t.Helper()
	if err := oasErr(t, doc); err != nil {
		t.Fatalf("the OpenAPI document is not valid OpenAPI 3.1: %v", err)
	}
	// The validator itself must be able to fail.
	if oasErr(t, []byte(`{"openapi":"3.1.0","paths":{"/x":{"get":{"responses":{"200":{"description":1}}}}}}`)) == nil {
		t.Fatal("the validator accepted a broken document")
	}
}

func oasErr(t *testing.T, doc []byte) error {
	t.Helper()
	c := jsonschema.NewCompiler()
	for url, file := range map[string]string{
		"https://spec.openapis.org/oas/3.1/schema/2021-04-15":      "schema.json",
		"https://spec.openapis.org/oas/3.1/schema-base/2021-04-15": "schema-base.json",
		"https://spec.openapis.org/oas/3.1/dialect/base":           "dialect-base.schema.json",
		"https://spec.openapis.org/oas/3.1/meta/base":              "meta-base.schema.json",
	} {
		raw, err := os.ReadFile("testdata/oas31/" + file)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource(url, v); err != nil {
			t.Fatal(err)
		}
	}
	sch, err := c.Compile("https://spec.openapis.org/oas/3.1/schema-base/2021-04-15")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

// Import through the API: a dry run reports every bad row; the real run
// writes; export gives the rows back with formula injection neutralised.
func TestImportExportOverHTTP(t *testing.T) {
	f := apptest.NewFixture(t)
	base := newServer(t, f)
	admin := &client{t: t, base: base, token: tokenFor(t, f, f.Admin, "write"), name: "admin"}
	csvData := "\ufeff客户名称,客户级别,客户来源,总机电话,备注,未知列\n" +
		"重庆长安汽车股份有限公司,A,展会,023-6859-1234,=HYPERLINK(\"x\"),a\n" +
		"坏级别客户,Z,展会,,,b\n" +
		",B,网络,,,c\n" +
		"厦门象屿集团有限公司,C,转介绍,0592-1234567,,d\n"
	upload := func(dry bool) string {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		fw, _ := w.CreateFormFile("file", "客户.csv")
		fw.Write([]byte(csvData))
		w.WriteField("dry_run", fmt.Sprint(dry))
		w.WriteField("mode", "valid")
		w.Close()
		req, _ := http.NewRequest("POST", base+"/api/v1/customers/import", &body)
		req.Header.Set("Authorization", "Bearer "+admin.token)
		req.Header.Set("Content-Type", w.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 202 {
			t.Fatalf("import: %d %s", resp.StatusCode, b)
		}
		return decode(t, b)["id"].(string)
	}
	runJobs := func() {
		for {
			ran, err := f.App.Jobs.RunOne(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !ran {
				return
			}
		}
	}
	id := upload(true)
	runJobs()
	st, b := admin.do("GET", "/api/v1/imports/"+id, nil)
	var ri struct {
		Status string `json:"status"`
		Report struct {
			Total, Created, Rejected int
			Errors                   []struct {
				Row   int
				Field string
			}
			Columns []struct{ Header, Field, Note string }
		} `json:"report"`
	}
	json.Unmarshal(b, &ri)
	if st != 200 || ri.Status != "done" || ri.Report.Total != 4 || ri.Report.Rejected != 2 || ri.Report.Created != 2 {
		t.Fatalf("dry run: %d %s", st, b)
	}
	rows := map[int]string{}
	for _, e := range ri.Report.Errors {
		rows[e.Row] = e.Field
	}
	if rows[3] != "level" || rows[4] != "name" {
		t.Errorf("rejected rows %v", rows)
	}
	if last := ri.Report.Columns[len(ri.Report.Columns)-1]; last.Note != "unknown_column" {
		t.Errorf("unknown column not reported: %+v", last)
	}
	if st, b := admin.do("GET", "/api/v1/customers?name=重庆长安汽车股份有限公司", nil); st != 200 || strings.Contains(string(b), "重庆") {
		t.Fatalf("a dry run wrote: %s", b)
	}
	st, b = admin.do("GET", "/api/v1/imports/"+id+"?report=csv", nil)
	if st != 200 || !strings.Contains(string(b), "客户级别") {
		t.Errorf("report download: %d %s", st, b)
	}
	upload(false)
	runJobs()
	st, b = admin.do("GET", "/api/v1/customers?q=长安", nil)
	if st != 200 || !strings.Contains(string(b), "重庆长安汽车股份有限公司") {
		t.Fatalf("imported row not found: %s", b)
	}
	st, b = admin.do("GET", "/api/v1/customers/export?format=csv&level=A", nil)
	if st != 200 || !strings.Contains(string(b), "'=HYPERLINK") || strings.Contains(string(b), "厦门") {
		t.Errorf("export: %d %s", st, b)
	}
}
