package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/importer"
	"closeloop/internal/records"
	"closeloop/internal/sheet"
)

var ctx = context.Background()

func run(t *testing.T, f *apptest.Fixture, name string, data []byte, opt importer.Options) *importer.Report {
	t.Helper()
	rep, err := f.App.Importer.Import(ctx, f.Admin, bytes.NewReader(data), int64(len(data)), name, opt, nil)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func count(t *testing.T, f *apptest.Fixture, ent string) int {
	t.Helper()
	e := f.App.Records.Schema().Entity(ent)
	q := entity.Query{Sort: e.Field("id"), Limit: 500}
	p, err := f.App.Records.List(ctx, f.Admin, ent, q)
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Items)
}

func TestImportModesAndReport(t *testing.T) {
	f := apptest.NewFixture(t)
	data := []byte("Name,Level,Source,Owner,Tags\n" +
		"天津港集团有限公司,A,exhibition,zhangwei@example.com,港口、重点\n" +
		"大连重工机械有限公司,B,转介绍,李娜,\n" +
		"坏行,Q,web,,\n" +
		"无主之地有限公司,C,web,不存在的人,\n")
	// All-or-nothing: two bad rows → nothing written, both reported.
	rep := run(t, f, "c.csv", data, importer.Options{Entity: "customer", Lang: i18n.EN})
	if rep.Written || rep.Rejected != 2 || rep.Total != 4 || count(t, f, "customer") != 0 {
		t.Fatalf("all-or-nothing: %+v", rep)
	}
	byRow := map[int]importer.RowError{}
	for _, e := range rep.Errors {
		byRow[e.Row] = e
	}
	if byRow[4].Field != "level" || byRow[4].Column != "Level" || !strings.Contains(byRow[4].Message, "Q") {
		t.Errorf("row 4: %+v", byRow[4])
	}
	if byRow[5].Field != "owner_id" || byRow[5].Code != "invalid_user" {
		t.Errorf("row 5: %+v", byRow[5])
	}
	// Valid-only: the good rows are written and reported exactly.
	rep = run(t, f, "c.csv", data, importer.Options{Entity: "customer", Mode: importer.ValidOnly})
	if !rep.Written || rep.Created != 2 || rep.Rejected != 2 || len(rep.RejectedRows) != 2 || rep.RejectedRows[0] != 4 {
		t.Fatalf("valid-only: %+v", rep)
	}
	p, _ := f.App.Records.List(ctx, f.Admin, "customer", entity.Query{Sort: f.App.Records.Schema().Entity("customer").Field("name"), Limit: 10})
	got := map[string]entity.Record{}
	for _, r := range p.Items {
		got[r.Str("name")] = r
	}
	tj := got["天津港集团有限公司"]
	if tj.Str("owner_id") != f.Rep1.UserID || tj.Str("level") != "A" || len(tj.List("tags")) != 2 {
		t.Errorf("imported row: %v", tj)
	}
	if got["大连重工机械有限公司"].Str("owner_id") != f.Rep2.UserID || got["大连重工机械有限公司"].Str("source") != "referral" {
		t.Errorf("user by name, source by label: %v", got["大连重工机械有限公司"])
	}
	// Re-importing: duplicates are rejected unless upserting by a key.
	rep = run(t, f, "c.csv", data[:strings.Index(string(data), "坏行")], importer.Options{Entity: "customer"})
	if rep.Rejected != 2 || rep.Errors[0].Code != "possible_duplicate" {
		t.Errorf("duplicates: %+v", rep)
	}
	upd := []byte("客户名称,客户级别\n天津港集团有限公司,D\n新客户有限公司,B\n")
	rep = run(t, f, "u.csv", upd, importer.Options{Entity: "customer", Key: "name"})
	if rep.Updated != 1 || rep.Created != 1 || rep.Rejected != 0 {
		t.Fatalf("upsert: %+v", rep)
	}
	r, _ := f.App.Records.Get(ctx, f.Admin, "customer", tj.ID())
	if r.Str("level") != "D" || r.Str("owner_id") != f.Rep1.UserID {
		t.Errorf("after upsert: %v", r)
	}
	// A key repeated inside the file is reported, not applied twice.
	rep = run(t, f, "u.csv", []byte("客户名称,客户级别\n甲公司,A\n甲公司,B\n"), importer.Options{Entity: "customer", Key: "name", Mode: importer.ValidOnly})
	if rep.Created != 1 || rep.Rejected != 1 || rep.Errors[0].Code != "import_key_repeated" {
		t.Errorf("repeated key: %+v", rep)
	}
	// Dry run writes nothing at all.
	before := count(t, f, "customer")
	rep = run(t, f, "d.csv", []byte("客户名称\n干跑公司\n"), importer.Options{Entity: "customer", DryRun: true})
	if rep.Created != 1 || rep.Written || count(t, f, "customer") != before {
		t.Errorf("dry run: %+v", rep)
	}
}

func TestImportEncodingsAndRelations(t *testing.T) {
	f := apptest.NewFixture(t)
	cust, err := f.App.Records.Create(records.AllowDuplicates(ctx), f.Admin, "customer", entity.Record{"name": "南京熊猫电子股份有限公司"})
	if err != nil {
		t.Fatal(err)
	}
	// GBK-encoded CSV, Chinese headers, a relation by (normalised) name.
	text := "姓名,所属客户,决策角色,手机,生日\n赵磊,南京熊猫电子,决策者,139 1234 0000,1980/5/6\n钱芳,不存在公司,采购,,\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, f, "contacts.csv", gbk, importer.Options{Entity: "contact", Mode: importer.ValidOnly})
	if rep.Created != 1 || rep.Rejected != 1 || rep.Errors[0].Field != "customer_id" {
		t.Fatalf("GBK contacts: %+v", rep)
	}
	p, _ := f.App.Records.List(ctx, f.Admin, "contact", entity.Query{Sort: f.App.Records.Schema().Entity("contact").Field("name"), Limit: 5})
	if len(p.Items) != 1 || p.Items[0].Str("customer_id") != cust.ID() || p.Items[0].Str("decision_role") != "decision_maker" ||
		p.Items[0].Str("phone") != "13912340000" || p.Items[0].Str("birthday") != "1980-05-06" {
		t.Errorf("contact %v", p.Items)
	}
	// XLSX with a date cell and a number-typed phone.
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "公司", "线索来源", "电话"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"周杰", "合肥科大讯飞信息科技股份有限公司", "展会", 13800138000})
	var buf bytes.Buffer
	x.Write(&buf)
	rep = run(t, f, "leads.xlsx", buf.Bytes(), importer.Options{Entity: "lead"})
	if rep.Created != 1 || rep.Rejected != 0 {
		t.Fatalf("xlsx leads: %+v", rep)
	}
	hits, _ := f.App.Records.Search(ctx, f.Admin, "8000", []string{"lead"}, 5)
	if len(hits) != 1 || hits[0].Title != "周杰" {
		t.Errorf("imported lead not found by phone suffix: %+v", hits)
	}
	// Unknown columns are reported; a header with nothing known is refused.
	_, err = f.App.Importer.Import(ctx, f.Admin, bytes.NewReader([]byte("foo,bar\n1,2\n")), 12, "x.csv", importer.Options{Entity: "lead"}, nil)
	if err == nil {
		t.Error("a file without known columns was accepted")
	}
	// Extra cells beyond the header are reported, never silently dropped.
	rep = run(t, f, "x.csv", []byte("姓名,线索来源\n吴昊,网络,多余\n"), importer.Options{Entity: "lead"})
	if rep.Rejected != 1 || rep.Errors[0].Code != "import_extra_cells" {
		t.Errorf("extra cells: %+v", rep)
	}
}

func TestImportPermissions(t *testing.T) {
	f := apptest.NewFixture(t)
	data := []byte("客户名称\n某公司\n")
	if _, err := f.App.Importer.Import(ctx, f.Rep1, bytes.NewReader(data), int64(len(data)), "c.csv", importer.Options{Entity: "customer"}, nil); err == nil {
		t.Error("a sales rep without the import right imported")
	}
	rep, err := f.App.Importer.Import(ctx, f.Manager, bytes.NewReader(data), int64(len(data)), "c.csv", importer.Options{Entity: "customer"}, nil)
	if err != nil || rep.Created != 1 {
		t.Fatalf("manager import: %+v %v", rep, err)
	}
	// Records a manager imports are theirs.
	hits, _ := f.App.Records.Search(ctx, f.Manager, "某公司", nil, 5)
	if len(hits) != 1 {
		t.Errorf("manager's import not visible to the manager: %+v", hits)
	}
}

func TestExportMasksAndGuards(t *testing.T) {
	f := apptest.NewFixture(t)
	c, _ := f.App.Records.Create(records.AllowDuplicates(ctx), f.Rep1, "customer", entity.Record{"name": "=cmd|' /C calc'!A0", "phone": "13812345678", "notes": "@SUM(1)"})
	for _, tc := range []struct {
		name   string
		format sheet.Format
		phone  string
	}{{"manager csv", sheet.CSV, "13812345678"}, {"manager xlsx", sheet.XLSX, "13812345678"}} {
		var buf bytes.Buffer
		n, err := f.App.Importer.Export(ctx, f.Manager, "customer", entity.Query{Sort: f.App.Records.Schema().Entity("customer").Field("name")}, tc.format, i18n.ZH, &buf)
		if err != nil || n != 1 {
			t.Fatalf("%s: %d %v", tc.name, n, err)
		}
		rd, err := sheet.Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "x."+string(tc.format))
		if err != nil {
			t.Fatal(err)
		}
		hdr := rd.Header()
		row, _, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		cell := func(label string) string {
			for i, h := range hdr {
				if h == label && i < len(row) {
					return row[i]
				}
			}
			return "<missing>"
		}
		if cell("客户名称") != "'=cmd|' /C calc'!A0" || cell("备注") != "'@SUM(1)" {
			t.Errorf("%s: formula not neutralised: %q %q", tc.name, cell("客户名称"), cell("备注"))
		}
		if cell("总机电话") != tc.phone || cell("负责人") != "张伟" {
			t.Errorf("%s: phone %q owner %q", tc.name, cell("总机电话"), cell("负责人"))
		}
	}
	// Presales may not export by default; with the right their export is masked.
	var buf bytes.Buffer
	if _, err := f.App.Importer.Export(ctx, f.Presales, "customer", entity.Query{Sort: f.App.Records.Schema().Entity("customer").Field("name")}, sheet.CSV, i18n.ZH, &buf); err == nil {
		t.Error("presales exported without the right")
	}
	// Granted the export right, presales exports masked contact details.
	roles, _ := f.DB().Roles(ctx)
	for _, r := range roles {
		if r.Code == "presales" {
			perm := r.Perms["customer"]
			perm.Export = true
			r.Perms["customer"] = perm
			if err := f.App.Admin.SaveRole(ctx, f.Admin, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	presales := f.Reload(t, f.Presales)
	buf.Reset()
	if _, err := f.App.Importer.Export(ctx, presales, "customer", entity.Query{Sort: f.App.Records.Schema().Entity("customer").Field("name")}, sheet.CSV, i18n.ZH, &buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "13812345678") || !strings.Contains(buf.String(), "138****5678") {
		t.Errorf("presales export not masked: %s", buf.String())
	}
	_ = c
}

// A file of several groups of rows (written together) with a problem row
// in some: the report names exactly those rows, every other row is written
// as a single create writes it — owner and team, audit entry, timeline
// event, found by search.
func TestImportGroupsNameEachProblemRow(t *testing.T) {
	f := apptest.NewFixture(t)
	existing := f.Customer(t, f.Rep1, "已有客户科技有限公司")
	var b strings.Builder
	b.WriteString("客户名称,总机电话,客户级别,负责人\n")
	name := func(i int) string { return fmt.Sprintf("批量导入第%03d号机械有限公司", i) }
	const rows = 250
	for i := 2; i <= rows+1; i++ { // i is the row number in the file
		n, phone, level := name(i), fmt.Sprintf("0512-6%07d", i), "B"
		switch i {
		case 57:
			n = existing.Str("name") // an existing customer
		case 180:
			phone = fmt.Sprintf("0512-6%07d", 12) // row 12's phone
		case 230:
			level = "Q"
		}
		fmt.Fprintf(&b, "%s,%s,%s,zhangwei@example.com\n", n, phone, level)
	}
	data := []byte(b.String())

	rep := run(t, f, "g.csv", data, importer.Options{Entity: "customer", Lang: i18n.EN})
	if rep.Written || rep.Rejected != 3 || count(t, f, "customer") != 1 {
		t.Fatalf("all-or-nothing: written %v, rejected %d rows %v", rep.Written, rep.Rejected, rep.RejectedRows)
	}
	rep = run(t, f, "g.csv", data, importer.Options{Entity: "customer", Mode: importer.ValidOnly, Lang: i18n.EN})
	if !rep.Written || rep.Created != rows-3 || !slices.Equal(rep.RejectedRows, []int{57, 180, 230}) {
		t.Fatalf("valid-only: created %d, rejected rows %v", rep.Created, rep.RejectedRows)
	}
	codes := map[int]string{}
	for _, e := range rep.Errors {
		codes[e.Row] = e.Code
	}
	if codes[57] != "possible_duplicate" || codes[180] != "possible_duplicate" || codes[230] != "invalid_option" {
		t.Errorf("codes by row: %v", codes)
	}
	var id, owner, team string
	if err := f.DB().R().QueryRowContext(ctx, `SELECT id, owner_id, team_id FROM customers WHERE name = $1`, name(100)).Scan(&id, &owner, &team); err != nil {
		t.Fatal(err)
	}
	if owner != f.Rep1.UserID || team != f.Rep1.TeamID {
		t.Errorf("row 100: owner %s team %s, want %s %s", owner, team, f.Rep1.UserID, f.Rep1.TeamID)
	}
	var audited int
	f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE record_id = $1 AND action = 'create'`, id).Scan(&audited)
	tl, err := f.App.Customers.Timeline(ctx, f.Rep1, "customer", id, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if audited != 1 || len(tl) != 1 || tl[0].Kind != "created" {
		t.Errorf("row 100: %d audit entries, timeline %+v", audited, tl)
	}
	hits, err := f.App.Records.Search(ctx, f.Rep1, "第100号", nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(hits, func(h records.Hit) bool { return h.ID == id }) {
		t.Errorf("search 第100号: %+v", hits)
	}
}

// An import whose options cannot work is refused when it is started, with
// the field at fault, not queued to fail later with a vague message.
func TestImportStartRefusesBadOptions(t *testing.T) {
	f := apptest.NewFixture(t)
	data := []byte("客户名称,客户级别\n甲公司,A\n")
	for _, c := range []struct {
		name  string
		opt   importer.Options
		field string
		code  string
	}{
		{"unknown mode", importer.Options{Entity: "customer", Mode: "bogus"}, "mode", "invalid_option"},
		{"key not unique", importer.Options{Entity: "customer", Key: "level"}, "key", "invalid_option"},
		{"key not in the file", importer.Options{Entity: "customer", Key: "phone"}, "key", "import_key_missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.App.Imports.Start(ctx, f.Admin, "c.csv", data, c.opt)
			e := errs.As(err)
			if e == nil || len(e.Fields) != 1 || e.Fields[0].Field != c.field || e.Fields[0].Code != c.code {
				t.Fatalf("want %s %s, got %v", c.field, c.code, err)
			}
		})
	}
	if _, err := f.App.Imports.Start(ctx, f.Admin, "c.csv", data, importer.Options{Entity: "customer", Mode: importer.ValidOnly}); err != nil {
		t.Fatalf("good options: %v", err)
	}
}
