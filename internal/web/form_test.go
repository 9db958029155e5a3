package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"closeloop/internal/entity"
)

func TestCreateValidationKeepsInput(t *testing.T) {
	e := newEnv(t)
	b := e.as(t, e.Rep1)
	b.mustGet("/customers/new")
	r := b.post("/customers/new", url.Values{
		"name": {""}, "region": {"杭州市西湖区"}, "phone": {"12ab"}, "level": {"B"}, "kind": {"company"}, "status": {"prospect"},
		"website": {"www.example.cn"}, "tags": {"重点, 展会"},
	})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", r.status)
	}
	for _, want := range []string{"客户名称为必填项", "总机电话不是有效的电话号码", `value="杭州市西湖区"`, `value="12ab"`, `value="重点, 展会"`, `<option value="B" selected>`, `aria-invalid="true"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("missing %q", want)
		}
	}
	// English messages name the field by its English label.
	b.post("/lang", url.Values{"lang": {"en"}})
	r = b.post("/customers/new", url.Values{"name": {""}, "kind": {"company"}, "status": {"prospect"}})
	if !strings.Contains(r.body, "Name") || strings.Contains(r.body, "客户名称为必填项") {
		t.Errorf("not localized:\n%s", snippet(r.body))
	}
}

func TestCreateDuplicateThenSaveAnyway(t *testing.T) {
	e := newEnv(t)
	e.Customer(t, e.Rep2, "杭州海康威视数字技术股份有限公司")
	b := e.as(t, e.Rep1)
	form := url.Values{"name": {"杭州海康威视数字技术（股份）有限公司"}, "kind": {"company"}, "status": {"prospect"}}
	r := b.post("/customers/new", form)
	if r.status != http.StatusConflict {
		t.Fatalf("status %d\n%s", r.status, snippet(r.body))
	}
	for _, want := range []string{"dup-panel", "杭州海康威视数字技术股份有限公司", "李娜", `name="allow_duplicate"`, `value="杭州海康威视数字技术（股份）有限公司"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("duplicate panel lacks %q", want)
		}
	}
	form.Set("allow_duplicate", "1")
	r = b.post("/customers/new", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/customers/") {
		t.Fatalf("save anyway: %d %q\n%s", r.status, r.loc, snippet(r.body))
	}
	page := b.follow(r)
	if !strings.Contains(page.body, "已创建客户") {
		t.Error("no flash after create")
	}
	if strings.Contains(b.mustGet("/").body, "已创建客户") {
		t.Error("flash shown twice")
	}
}

func TestStaleEdit(t *testing.T) {
	e := newEnv(t)
	c := e.Customer(t, e.Rep1, "深圳市腾讯计算机系统有限公司")
	b := e.as(t, e.Rep1)
	edit := b.mustGet("/customers/" + c.ID() + "/edit")
	if !strings.Contains(edit.body, `name="version" value="1"`) {
		t.Fatalf("no version in the form")
	}
	// Someone else saves first.
	if _, err := e.App.Records.Update(ctx(), e.Manager, "customer", c.ID(), 1, entity.Record{"region": "深圳市"}); err != nil {
		t.Fatal(err)
	}
	r := b.post("/customers/"+c.ID()+"/edit", url.Values{"version": {"1"}, "name": {"深圳市腾讯计算机系统有限公司"}, "kind": {"company"}, "status": {"intent"}, "notes": {"我的修改"}})
	if r.status != http.StatusConflict {
		t.Fatalf("status %d", r.status)
	}
	if !strings.Contains(r.body, "该记录已被他人修改") || !strings.Contains(r.body, "我的修改") || !strings.Contains(r.body, "/customers/"+c.ID()+"/edit") {
		t.Errorf("stale page:\n%s", snippet(r.body))
	}
	// Reloaded (the other change is in the form now), it saves.
	if edit := b.mustGet("/customers/" + c.ID() + "/edit"); !strings.Contains(edit.body, `value="深圳市"`) {
		t.Error("reload does not show the other change")
	}
	r = b.post("/customers/"+c.ID()+"/edit", url.Values{"version": {"2"}, "name": {"深圳市腾讯计算机系统有限公司"}, "region": {"深圳市"}, "kind": {"company"}, "status": {"intent"}, "notes": {"我的修改"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.status, snippet(r.body))
	}
	got, _ := e.App.Records.Get(ctx(), e.Rep1, "customer", c.ID())
	if got.Str("notes") != "我的修改" || got.Str("region") != "深圳市" || got.Str("status") != "intent" {
		t.Errorf("saved %v", got)
	}
}

// A user who sees masked contact details can save a form without
// destroying the real value.
func TestMaskedEchoKeepsValue(t *testing.T) {
	e := newEnv(t)
	c := e.Customer(t, e.Manager, "成都天府软件园有限公司", "phone", "02885551234")
	role := e.Manager.Roles[0]
	role.SeeContacts = false
	role.Code = "mgr_masked"
	if err := e.App.Admin.SaveRole(ctx(), e.Admin, role); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Records.Update(ctx(), e.Admin, "user", e.Manager.UserID, 0, entity.Record{"roles": []string{"mgr_masked"}}); err != nil {
		t.Fatal(err)
	}
	b := e.as(t, e.Manager)
	edit := b.mustGet("/customers/" + c.ID() + "/edit")
	if strings.Contains(edit.body, "02885551234") || !strings.Contains(edit.body, "028****1234") {
		t.Fatalf("edit form shows the phone:\n%s", snippet(edit.body))
	}
	r := b.post("/customers/"+c.ID()+"/edit", url.Values{"version": {strconv.FormatInt(c.Version(), 10)}, "name": {"成都天府软件园有限公司"}, "kind": {"company"}, "status": {"prospect"}, "phone": {"028****1234"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.status, snippet(r.body))
	}
	got, _ := e.App.Records.Get(ctx(), e.Admin, "customer", c.ID())
	if got.Str("phone") != "02885551234" {
		t.Errorf("phone became %q", got.Str("phone"))
	}
}

func TestDeleteAndRestore(t *testing.T) {
	e := newEnv(t)
	c := e.Customer(t, e.Manager, "待删除客户有限公司")
	b := e.as(t, e.Manager)
	page := b.mustGet("/customers/" + c.ID())
	if !strings.Contains(page.body, "data-confirm=") || !strings.Contains(page.body, "/customers/"+c.ID()+"/delete") {
		t.Fatal("no delete with confirmation")
	}
	r := b.post("/customers/"+c.ID()+"/delete", url.Values{"version": {"1"}})
	if r.status != http.StatusSeeOther || r.loc != "/customers" {
		t.Fatalf("delete: %d %q", r.status, r.loc)
	}
	if strings.Contains(b.mustGet("/customers").body, "待删除客户有限公司</a>") {
		t.Error("deleted record still listed")
	}
	trash := b.mustGet("/customers?trash=1").body
	if !strings.Contains(trash, "待删除客户有限公司") || !strings.Contains(trash, "/customers/"+c.ID()+"/restore") {
		t.Fatalf("trash:\n%s", snippet(trash))
	}
	r = b.post("/customers/"+c.ID()+"/restore", nil)
	if r.status != http.StatusSeeOther {
		t.Fatal(r.status)
	}
	if !strings.Contains(b.mustGet("/customers").body, "待删除客户有限公司") {
		t.Error("not restored")
	}
	// A rep may not delete.
	if r := e.as(t, e.Rep1).post("/customers/"+c.ID()+"/delete", nil); r.status != http.StatusNotFound && r.status != http.StatusForbidden {
		t.Errorf("rep delete: %d", r.status)
	}
}

func TestLeadCaptureForm(t *testing.T) {
	e := newEnv(t)
	b := e.as(t, e.Rep1)
	r := b.mustGet("/leads/new?source=exhibition")
	body := r.body
	// Name, company, phone and source come first; source preselected.
	idx := func(s string) int { return strings.Index(body, s) }
	if !(idx(`name="name"`) < idx(`name="company"`) && idx(`name="company"`) < idx(`name="phone"`) && idx(`name="phone"`) < idx(`name="source"`) && idx(`name="source"`) < idx(`form-more`)) {
		t.Error("quick fields not first")
	}
	if !strings.Contains(body, `<option value="exhibition" selected>展会</option>`) {
		t.Error("source not preselected")
	}
	r = b.post("/leads/new", url.Values{"name": {"赵敏"}, "company": {"武汉光谷科技有限公司"}, "phone": {"139 0000 1111"}, "source": {"exhibition"}, "status": {"new"}, "save_new": {"1"}})
	if r.status != http.StatusSeeOther || r.loc != "/leads/new?source=exhibition" {
		t.Fatalf("save and new: %d %q\n%s", r.status, r.loc, snippet(r.body))
	}
	if !strings.Contains(b.follow(r).body, "已创建线索「赵敏」") {
		t.Error("no confirmation")
	}
}
