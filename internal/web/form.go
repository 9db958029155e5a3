package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/customers"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
)

// formPage is the generic create/edit form of any entity: one widget per
// writable field (custom fields included), chosen by kind.
type formPage struct {
	*base
	Heading  string
	Action   string
	Cancel   string
	Version  int64
	Primary  []formField
	Rest     []formField
	RestOpen bool
	Errors   []string
	Stale    string        // reload link when someone else changed the record
	stored   entity.Record // the record being edited (nil for a new one)
	Dups     []dupView
	AllowDup bool
	SaveNew  bool
	New      bool
	Password *formField // initial password of a new user
	Entity   string
}

type formField struct {
	ID, Name, Label, Hint, Error string
	Kind                         string // input, textarea, select, checks, checkbox, lookup, refs
	InputType, InputMode, Auto   string
	Value                        string
	Options                      []option
	Required, Wide               bool
	MaxLen                       int
	LookupURL, LookupTitle       string
	RefItems                     []option // chosen references (checked boxes)
	Autofocus                    bool
}

type dupView struct {
	Entity, Title, Owner, Reason string
	Href                         string
}

// quickFields put what must be typed first at the top of a form; the rest
// folds away. Lead capture at an exhibition, on a phone, must be fast.
var quickFields = map[string][]string{
	"lead": {"name", "company", "phone", "source"},
}

// formFields are the fields a generic form edits.
func formFields(e *entity.Entity) []*entity.Field {
	var out []*entity.Field
	for _, f := range e.Fields {
		if f.Writable() && !f.Has(entity.Hidden) {
			out = append(out, f)
		}
	}
	return out
}

// recordValues turns a record into form values (what the inputs show).
func (c *rc) recordValues(e *entity.Entity, rec entity.Record) url.Values {
	v := url.Values{}
	for _, f := range formFields(e) {
		x := rec[f.Name]
		if entity.IsEmpty(x) {
			continue
		}
		switch t := x.(type) {
		case string:
			v.Set(f.Name, t)
		case []string:
			if f.Kind == entity.Tags {
				v.Set(f.Name, strings.Join(t, ", "))
			} else {
				v[f.Name] = append([]string(nil), t...)
			}
		case int64:
			if f.Kind == entity.Money {
				v.Set(f.Name, strings.ReplaceAll(entity.FormatMoney(t), ",", ""))
			} else if f.Scale > 0 {
				v.Set(f.Name, entity.FormatScaled(t, f.Scale))
			} else {
				v.Set(f.Name, strconv.FormatInt(t, 10))
			}
		case float64:
			v.Set(f.Name, strconv.FormatFloat(t, 'f', -1, 64))
		case bool:
			if t {
				v.Set(f.Name, "1")
			}
		case time.Time:
			v.Set(f.Name, t.In(c.s.app.Loc).Format("2006-01-02T15:04"))
		}
	}
	return v
}

// parseRecord reads the submitted values of a form into canonical values.
// A masked contact detail sent back unchanged is left out, so a user who
// may not see it cannot overwrite it by saving.
func (c *rc) parseRecord(e *entity.Entity, form url.Values, old entity.Record) (entity.Record, []errs.FieldError) {
	rec := entity.Record{}
	var bad []errs.FieldError
	for _, f := range formFields(e) {
		raw := strings.TrimSpace(form.Get(f.Name))
		switch {
		case f.Kind == entity.Bool:
			rec[f.Name] = raw == "1" || raw == "on" || raw == "true"
			continue
		case f.Kind == entity.MultiSelect || f.Kind == entity.Refs:
			vals := nonEmpty(form[f.Name])
			v, fe := c.schema.ParseJSON(f, vals)
			if fe != nil {
				bad = append(bad, *fe)
				continue
			}
			rec[f.Name] = v
			continue
		case f.Has(entity.Contact) && c.p != nil && !c.p.SeeContacts() && access.IsMasked(raw):
			if old != nil {
				continue // the masked value it was shown: unchanged
			}
		}
		v, fe := c.schema.ParseText(f, raw)
		if fe != nil {
			bad = append(bad, *fe)
			continue
		}
		if v == nil && f.Required && f.Default == nil {
			// Said at once, with the other problems (the service checks it too).
			bad = append(bad, errs.FieldError{Field: f.Name, Code: "required"})
			continue
		}
		rec[f.Name] = v
	}
	return rec, bad
}

func nonEmpty(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// buildForm lays out the widgets for the given values and errors.
func (c *rc) buildForm(fp *formPage, e *entity.Entity, values url.Values, fieldErrs map[string]string) {
	fields := formFields(e)
	// Resolve the titles of chosen references in one batch per entity.
	want := map[string][]string{}
	for _, f := range fields {
		switch f.Kind {
		case entity.User:
			want["user"] = append(want["user"], nonEmpty(values[f.Name])...)
		case entity.Ref, entity.Refs:
			for _, id := range nonEmpty(values[f.Name]) {
				if entity.LooksLikeID(id) {
					want[f.Ref] = append(want[f.Ref], id)
				}
			}
		}
	}
	rf := c.resolve(want, nil)
	quick := quickFields[e.Name]
	byName := map[string]formField{}
	for _, f := range fields {
		ff := c.widget(e, f, values, fieldErrs[f.Name], rf)
		if f.Moves != nil && ff.Kind == "select" {
			ff.Options = movesOnly(ff.Options, f, fp.stored)
		}
		byName[f.Name] = ff
	}
	if len(quick) > 0 {
		for _, n := range quick {
			if ff, ok := byName[n]; ok {
				fp.Primary = append(fp.Primary, ff)
			}
		}
		for _, f := range fields {
			if slices.Contains(quick, f.Name) {
				continue
			}
			ff := byName[f.Name]
			if f.Required && f.Default == nil {
				fp.Primary = append(fp.Primary, ff)
				continue
			}
			fp.Rest = append(fp.Rest, ff)
			if ff.Error != "" {
				fp.RestOpen = true
			}
		}
		return
	}
	for _, f := range fields {
		fp.Primary = append(fp.Primary, byName[f.Name])
	}
}

// focusFirst puts the cursor in the first field of a new record's form.
func (fp *formPage) focusFirst() {
	if fp.New && len(fp.Primary) > 0 && fp.Primary[0].Kind == "input" {
		fp.Primary[0].Autofocus = true
	}
}

// widget picks the input for a field by its kind.
func (c *rc) widget(e *entity.Entity, f *entity.Field, values url.Values, errText string, rf *refs) formField {
	ff := formField{ID: "fld-" + f.Name, Name: f.Name, Label: f.Label.In(c.L), Hint: f.Help.In(c.L), Error: errText,
		Required: f.Required, Value: values.Get(f.Name), Kind: "input", InputType: "text", MaxLen: f.MaxChars()}
	switch f.Kind {
	case entity.LongText:
		ff.Kind, ff.Wide = "textarea", true
	case entity.Integer:
		ff.InputMode, ff.MaxLen = "numeric", 20
		if f.Scale > 0 {
			ff.InputMode = "decimal"
		}
	case entity.Number:
		ff.InputMode, ff.MaxLen = "decimal", 30
	case entity.Money:
		ff.InputMode, ff.MaxLen = "decimal", 30
		if ff.Hint == "" {
			ff.Hint = c.T("form.money_hint")
		}
	case entity.Date:
		ff.InputType, ff.MaxLen = "date", 0
	case entity.DateTime:
		ff.InputType, ff.MaxLen = "datetime-local", 0
	case entity.Phone:
		ff.InputType, ff.InputMode, ff.Auto = "tel", "tel", "tel"
		if f.Has(entity.Contact) && c.p != nil && !c.p.SeeContacts() {
			ff.Hint = c.T("form.masked_hint")
		}
	case entity.Email:
		ff.InputType, ff.InputMode, ff.Auto = "email", "email", "email"
	case entity.Tags:
		if ff.Hint == "" {
			ff.Hint = c.T("form.tags_hint")
		}
	case entity.Bool:
		ff.Kind = "checkbox"
	case entity.Select:
		ff.Kind = "select"
		ff.Options = append([]option{{Value: "", Label: c.T("form.choose")}}, c.selectOptions(f, ff.Value)...)
	case entity.MultiSelect:
		ff.Kind, ff.Wide = "checks", true
		ff.Options = c.selectOptions(f, values[f.Name]...)
	case entity.User, entity.Ref:
		ent, res := f.Ref, ""
		if f.Kind == entity.User {
			ent, res = "user", "users"
		} else if t := c.schema.Entity(f.Ref); t != nil {
			res = t.Resource
		}
		ff.Kind, ff.LookupURL = "lookup", "/ui/lookup/"+res
		if ff.Value != "" {
			ff.LookupTitle, _ = rf.title(ent, ff.Value)
			if ff.LookupTitle == "" {
				ff.LookupTitle = ff.Value
			}
		}
		ff.Hint = firstNonEmpty(ff.Hint, c.T("form.lookup_hint"))
	case entity.Refs:
		ent, res := f.Ref, "users"
		if t := c.schema.Entity(f.Ref); t != nil {
			res = t.Resource
		}
		ff.Kind, ff.Wide, ff.LookupURL = "refs", true, "/ui/lookup/"+res
		for _, id := range nonEmpty(values[f.Name]) {
			t, _ := rf.title(ent, id)
			ff.RefItems = append(ff.RefItems, option{Value: id, Label: firstNonEmpty(t, id), Selected: true})
		}
		ff.Value = ""
	}
	if f.Kind == entity.Text && f.MaxChars() > 200 {
		ff.Wide = true
	}
	return ff
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// newForm serves /{resource}/new, prefilled from the query (links such as
// /leads/new?source=exhibition or /contacts/new?customer_id=…).
func (s *Server) newForm(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	if !c.p.Perm(e.Name).Create {
		return errs.Denied()
	}
	values := url.Values{}
	q := c.r.URL.Query()
	for _, f := range formFields(e) {
		if v := nonEmpty(q[f.Name]); len(v) > 0 {
			values[f.Name] = v
		} else if f.Default != nil && f.Kind == entity.Select {
			if d, ok := f.Default.(string); ok {
				values.Set(f.Name, d)
			}
		}
	}
	fp := s.newFormPage(c, e, true, nil)
	c.buildForm(fp, e, values, nil)
	fp.focusFirst()
	return c.render(http.StatusOK, "form", fp)
}

func (s *Server) newFormPage(c *rc, e *entity.Entity, isNew bool, rec entity.Record) *formPage {
	base := basePath(e)
	fp := &formPage{New: isNew, Entity: e.Name}
	if isNew {
		fp.base = c.newBase(c.T("form.new", "entity", e.Label.In(c.L)), e.Resource)
		fp.Heading, fp.Action, fp.Cancel = fp.Title, base+"/new", base
		fp.SaveNew = true
		if e.Name == "user" {
			fp.Password = &formField{ID: "fld-password", Name: "password", Label: c.T("set.initial_password"), Kind: "input",
				InputType: "password", Auto: "new-password", Required: true, Hint: c.T("acct.password_hint")}
		}
	} else {
		title := rec.Str(e.Title)
		fp.base = c.newBase(c.T("form.edit", "title", title), e.Resource)
		fp.Heading, fp.Action, fp.Cancel = fp.Title, base+"/"+rec.ID()+"/edit", base+"/"+rec.ID()
		fp.Version = rec.Version()
		fp.stored = rec
	}
	if adminEntities[e.Name] {
		fp.Crumbs = []link{{Text: c.T("nav.settings"), Href: "/settings"}, {Text: e.Plural.In(c.L), Href: base}, {Text: fp.Heading}}
	} else {
		fp.Crumbs = []link{{Text: e.Plural.In(c.L), Href: base}, {Text: fp.Heading}}
	}
	return fp
}

// create saves a new record from the form (POST /{resource}/new).
func (s *Server) create(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	form := c.r.PostForm
	rec, bad := c.parseRecord(e, form, nil)
	fp := s.newFormPage(c, e, true, nil)
	fp.AllowDup = form.Get("allow_duplicate") == "1"
	var out entity.Record
	if err = errs.Validation(bad); err == nil {
		ctx := c.ctx()
		if fp.AllowDup {
			ctx = records.AllowDuplicates(ctx)
		}
		if e.Name == "user" {
			out, err = s.app.Auth.CreateUser(ctx, c.p, rec, form.Get("password"))
		} else {
			out, err = s.app.Records.Create(ctx, c.p, e.Name, rec)
		}
	}
	if err != nil {
		return s.formFailed(c, fp, e, form, err)
	}
	c.flash("success", c.T("form.created", "entity", e.Label.In(c.L), "title", out.Str(e.Title)))
	if form.Get("save_new") == "1" {
		next := url.Values{}
		for _, n := range quickFields[e.Name] {
			if f := e.Field(n); f != nil && f.Kind == entity.Select {
				if v := form.Get(n); v != "" {
					next.Set(n, v) // keep the source for the next lead of the same fair
				}
			}
		}
		return c.redirect(withParams(basePath(e)+"/new", next))
	}
	return c.redirect(basePath(e) + "/" + out.ID())
}

// formFailed re-renders a form with the user's input and the problems:
// field errors inline, possible duplicates, or a stale version.
func (s *Server) formFailed(c *rc, fp *formPage, e *entity.Entity, form url.Values, err error) error {
	ee := errs.As(err)
	if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.NotFound || ee.Kind == errs.Forbidden {
		return err
	}
	fieldErrs := map[string]string{}
	for _, fe := range ee.Fields {
		msg := c.fieldText(e, fe)
		if e.Field(fe.Field) != nil && fieldErrs[fe.Field] == "" {
			fieldErrs[fe.Field] = msg
		} else if fe.Field == "password" && fp.Password != nil {
			fp.Password.Error = msg
		} else {
			fp.Errors = append(fp.Errors, msg)
		}
	}
	switch {
	case ee.Code == "possible_duplicate":
		fp.Dups = c.dupViews(ee.Data)
		fp.Errors = append(fp.Errors, c.errText(err))
	case ee.Code == "stale_version":
		fp.Stale = fp.Cancel + "/edit"
		fp.Errors = append(fp.Errors, c.errText(err))
	case ee.Code == "validation":
		if len(fp.Errors) == 0 {
			fp.Errors = append(fp.Errors, c.T("form.fix_errors", "n", len(ee.Fields)))
		}
	default:
		fp.Errors = append(fp.Errors, c.errText(err))
	}
	if v, err := strconv.ParseInt(form.Get("version"), 10, 64); err == nil && !fp.New {
		fp.Version = v
	}
	c.buildForm(fp, e, form, fieldErrs)
	return c.render(httpStatus(err), "form", fp)
}

// dupViews lists possible duplicates with their owners; a record the user
// may open is linked.
func (c *rc) dupViews(data any) []dupView {
	ds, _ := data.([]customers.Duplicate)
	want := map[string][]string{}
	for _, d := range ds {
		want[d.Entity] = append(want[d.Entity], d.ID)
	}
	rf := c.resolve(want, nil)
	var out []dupView
	for _, d := range ds {
		v := dupView{Title: d.Title, Owner: d.Owner, Reason: c.T("dup.reason." + d.Reason)}
		if e := c.schema.Entity(d.Entity); e != nil {
			v.Entity = e.Label.In(c.L)
		}
		if _, ok := rf.title(d.Entity, d.ID); ok {
			v.Href = string(c.recordHref(d.Entity, d.ID))
		}
		if v.Owner == "" {
			v.Owner = c.T("pool.unowned")
		}
		out = append(out, v)
	}
	return out
}

// loadRecord reads a record of the current route's entity.
func (s *Server) loadRecord(c *rc) (*entity.Entity, entity.Record, error) {
	e, err := c.entityOf()
	if err != nil {
		return nil, nil, err
	}
	id := c.r.PathValue("id")
	if !entity.LooksLikeID(id) {
		return nil, nil, errs.NotFoundf(e.Name)
	}
	rec, err := s.app.Records.Get(c.ctx(), c.p, e.Name, strings.ToLower(id))
	return e, rec, err
}

func (s *Server) editForm(c *rc) error {
	e, rec, err := s.loadRecord(c)
	if err != nil {
		return err
	}
	if c.p.Perm(e.Name).Write == access.None {
		return errs.Denied()
	}
	fp := s.newFormPage(c, e, false, rec)
	c.buildForm(fp, e, c.recordValues(e, rec), nil)
	return c.render(http.StatusOK, "form", fp)
}

// update saves an edit based on the version the form was rendered from.
func (s *Server) update(c *rc) error {
	e, rec, err := s.loadRecord(c)
	if err != nil {
		return err
	}
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	form := c.r.PostForm
	fp := s.newFormPage(c, e, false, rec)
	version, verr := strconv.ParseInt(form.Get("version"), 10, 64)
	in, bad := c.parseRecord(e, form, rec)
	if verr != nil || version <= 0 {
		bad = append(bad, errs.FieldError{Field: "version", Code: "required"})
	}
	var out entity.Record
	if err = errs.Validation(bad); err == nil {
		out, err = s.app.Records.Update(c.ctx(), c.p, e.Name, rec.ID(), version, in)
	}
	if err != nil {
		return s.formFailed(c, fp, e, form, err)
	}
	c.flash("success", c.T("form.saved", "title", out.Str(e.Title)))
	return c.redirect(basePath(e) + "/" + out.ID())
}

// remove soft-deletes a record (POST /{resource}/{id}/delete).
func (s *Server) remove(c *rc) error {
	e, rec, err := s.loadRecord(c)
	if err != nil {
		return err
	}
	version, _ := strconv.ParseInt(c.r.PostFormValue("version"), 10, 64)
	if err := s.app.Records.Delete(c.ctx(), c.p, e.Name, rec.ID(), version); err != nil {
		if errs.KindOf(err) == errs.Internal || errs.KindOf(err) == errs.NotFound {
			return err
		}
		c.flash("error", c.errText(err))
		return c.redirect(basePath(e) + "/" + rec.ID())
	}
	c.flash("success", c.T("form.deleted", "title", rec.Str(e.Title)))
	return c.redirect(basePath(e))
}

// restore brings a record back from the trash.
func (s *Server) restore(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf(e.Name)
	}
	out, err := s.app.Records.Restore(c.ctx(), c.p, e.Name, id)
	if err != nil {
		if errs.KindOf(err) == errs.Internal || errs.KindOf(err) == errs.NotFound {
			return err
		}
		c.flash("error", c.errText(err))
		return c.redirect(basePath(e) + "?trash=1")
	}
	c.flash("success", c.T("form.restored", "title", out.Str(e.Title)))
	return c.redirect(basePath(e) + "/" + out.ID())
}

// movesOnly keeps of a status select the empty choice, the stored value
// and the values the field's Moves allow from it.
func movesOnly(opts []option, f *entity.Field, stored entity.Record) []option {
	from := ""
	if stored != nil {
		from = stored.Str(f.Name)
	}
	keep := map[string]bool{"": true, from: true}
	for _, m := range f.Moves(from) {
		keep[m] = true
	}
	out := opts[:0:0]
	for _, o := range opts {
		if keep[o.Value] {
			out = append(out, o)
		}
	}
	return out
}
