package admin_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"closeloop/internal/access"
	"closeloop/internal/admin"
	"closeloop/internal/apptest"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/importer"
	"closeloop/internal/records"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

var ctx = context.Background()

func TestCustomFieldsEverywhere(t *testing.T) {
	f := apptest.NewFixture(t)
	ad := f.App.Admin
	if _, err := ad.AddCustomField(ctx, f.Rep1, admin.CustomField{Entity: "customer", Name: "x", Zh: "x", Kind: entity.Text}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep adding a field: %v", err)
	}
	bad := []admin.CustomField{
		{Entity: "customer", Name: "1abc", Zh: "坏", Kind: entity.Text},
		{Entity: "customer", Name: "ok", Zh: "坏", Kind: "blob"},
		{Entity: "customer", Name: "ok", Zh: "", En: "", Kind: entity.Text},
		{Entity: "customer", Name: "ok", Zh: "选", Kind: entity.Select},
		{Entity: "nosuch", Name: "ok", Zh: "x", Kind: entity.Text},
	}
	for _, b := range bad {
		if _, err := ad.AddCustomField(ctx, f.Admin, b); errs.KindOf(err) != errs.Invalid {
			t.Errorf("%+v: %v", b, err)
		}
	}
	name, err := ad.AddCustomField(ctx, f.Admin, admin.CustomField{Entity: "customer", Name: "Plant_Count", Zh: "工厂数量", En: "Plants", Kind: entity.Number})
	if err != nil || name != "cf_plant_count" {
		t.Fatalf("add: %q %v", name, err)
	}
	if _, err := ad.AddCustomField(ctx, f.Admin, admin.CustomField{Entity: "customer", Name: "plant_count", Zh: "重复", Kind: entity.Text}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("duplicate field: %v", err)
	}
	sel, err := ad.AddCustomField(ctx, f.Admin, admin.CustomField{Entity: "customer", Name: "region_type", Zh: "区域类型", Kind: entity.Select, Picklist: "region_type"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.SavePicklist(ctx, f.Admin, "region_type", []admin.PicklistItem{{Code: "tier1", Zh: "一线城市", En: "Tier 1", Active: true}, {Code: "tier2", Zh: "二线城市", En: "Tier 2", Active: true}}); err != nil {
		t.Fatal(err)
	}
	r := f.App.Records
	e := r.Schema().Entity("customer")
	if e.Field(name) == nil || e.Field(sel) == nil {
		t.Fatal("the schema snapshot lacks the new fields")
	}
	c, err := r.Create(records.AllowDuplicates(ctx), f.Rep1, "customer", entity.Record{"name": "多工厂集团", name: 12.0, sel: "tier1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, fe := r.Schema().ParseText(e.Field(sel), "三线城市"); fe == nil {
		t.Error("an option outside the pick-list was accepted")
	}
	v, fe := r.Schema().ParseText(e.Field(sel), "二线城市")
	if fe != nil || v != "tier2" {
		t.Errorf("option by label: %v %v", v, fe)
	}
	q, err := r.Schema().ParseQuery(e, map[string][]string{name + "[gte]": {"10"}, "sort": {"-" + name}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := r.List(ctx, f.Rep1, "customer", q)
	if err != nil || len(page.Items) != 1 || page.Items[0].ID() != c.ID() {
		t.Fatalf("filter on custom field: %v %v", page.Items, err)
	}
	// Import and export carry custom fields by their labels.
	data := []byte("客户名称,工厂数量,区域类型\n导入集团,3,二线城市\n")
	rep, err := f.App.Importer.Import(ctx, f.Admin, bytes.NewReader(data), int64(len(data)), "c.csv", importer.Options{Entity: "customer"}, nil)
	if err != nil || rep.Created != 1 {
		t.Fatalf("import with custom fields: %+v %v", rep, err)
	}
	var buf bytes.Buffer
	if _, err := f.App.Importer.Export(ctx, f.Admin, "customer", entity.Query{Sort: e.Field("name")}, sheet.CSV, i18n.ZH, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "工厂数量") || !strings.Contains(buf.String(), "二线城市") {
		t.Errorf("export lacks the custom fields:\n%s", buf.String())
	}
	// Deactivating an option keeps stored values but stops offering it.
	if err := ad.SavePicklist(ctx, f.Admin, "region_type", []admin.PicklistItem{{Code: "tier1", Zh: "一线城市", Active: false}, {Code: "tier2", Zh: "二线城市", Active: true}}); err != nil {
		t.Fatal(err)
	}
	got, _ := r.Get(ctx, f.Rep1, "customer", c.ID())
	if got.Str(sel) != "tier1" {
		t.Errorf("stored value lost: %v", got[sel])
	}
	if _, err := r.Update(ctx, f.Rep1, "customer", c.ID(), got.Version(), entity.Record{"region": "江苏"}); err != nil {
		t.Errorf("an unrelated edit of a record holding a retired option: %v", err)
	}
	// Dropping a field removes its column and data, audited.
	if err := ad.DropCustomField(ctx, f.Admin, "customer", name); err != nil {
		t.Fatal(err)
	}
	if r.Schema().Entity("customer").Field(name) != nil {
		t.Error("dropped field still in the schema")
	}
	if _, err := r.Get(ctx, f.Rep1, "customer", c.ID()); err != nil {
		t.Errorf("reading after the drop: %v", err)
	}
	log, _ := ad.Audit(ctx, f.Admin, store.AuditFilter{Entity: "custom_field"})
	if len(log) != 3 {
		t.Errorf("custom field audit entries: %d", len(log))
	}
}

func TestPicklistValidation(t *testing.T) {
	f := apptest.NewFixture(t)
	ad := f.App.Admin
	cases := []struct {
		items []admin.PicklistItem
		code  string
	}{
		{nil, "required"},
		{[]admin.PicklistItem{{Code: "a b", Zh: "x", Active: true}}, "invalid_code"},
		{[]admin.PicklistItem{{Code: "a", Zh: "x", Active: true}, {Code: "a", Zh: "y", Active: true}}, "duplicate_code"},
		{[]admin.PicklistItem{{Code: "a", Active: true}}, "required"},
	}
	for _, c := range cases {
		err := ad.SavePicklist(ctx, f.Admin, "source", c.items)
		if e := errs.As(err); e == nil || len(e.Fields) == 0 || e.Fields[0].Code != c.code {
			t.Errorf("%+v: %v", c.items, err)
		}
	}
	if err := ad.SavePicklist(ctx, f.Admin, "no_such_list", []admin.PicklistItem{{Code: "a", Zh: "a", Active: true}}); errs.KindOf(err) != errs.NotFound {
		t.Errorf("unknown list: %v", err)
	}
	items, _ := ad.Picklist(ctx, "source")
	items = append(items, admin.PicklistItem{Code: "wechat_group", Zh: "微信群", En: "WeChat group", Active: true})
	if err := ad.SavePicklist(ctx, f.Admin, "source", items); err != nil {
		t.Fatal(err)
	}
	if _, fe := f.App.Records.Schema().ParseText(f.App.Records.Schema().Entity("lead").Field("source"), "微信群"); fe != nil {
		t.Errorf("new source not accepted: %v", fe)
	}
}

func TestRoles(t *testing.T) {
	f := apptest.NewFixture(t)
	ad := f.App.Admin
	role := access.Role{Code: "intern", Label: i18n.T("实习生", "Intern"), Perms: map[string]access.Perm{"customer": {Read: access.Own}}}
	if err := ad.SaveRole(ctx, f.Manager, role); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a manager creating a role: %v", err)
	}
	if err := ad.SaveRole(ctx, f.Admin, role); err != nil {
		t.Fatal(err)
	}
	// The new role is offered as a user role at once.
	if _, fe := f.App.Records.Schema().ParseText(f.App.Records.Schema().Entity("user").Field("roles"), "实习生"); fe != nil {
		t.Errorf("new role not accepted on users: %v", fe)
	}
	u, err := f.App.Auth.CreateUser(ctx, f.Admin, entity.Record{"name": "小王", "email": "xw@example.com", "roles": []string{"intern"}}, "long password")
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.DeleteRole(ctx, f.Admin, "intern"); errs.CodeOf(err) != "role_in_use" {
		t.Errorf("deleting a role in use: %v", err)
	}
	if err := ad.DeleteRole(ctx, f.Admin, access.RoleSales); errs.CodeOf(err) != "role_built_in" {
		t.Errorf("deleting a built-in role: %v", err)
	}
	p, _ := f.DB().LoadPrincipal(ctx, u.ID())
	if p.Perm("customer").Read != access.Own || p.Perm("customer").Create {
		t.Errorf("intern perms %+v", p.Perm("customer"))
	}
	adminRole := access.DefaultRoles()[0]
	adminRole.Admin = false
	if err := ad.SaveRole(ctx, f.Admin, adminRole); err == nil {
		t.Error("the admin role lost its admin right")
	}
}
