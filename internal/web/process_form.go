package web

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"closeloop/internal/errs"
	"closeloop/internal/httpx"
)

// A process form in a dialog of a record's page (evaluate a request, close
// it, review a solution …). When the service refuses the input, the page is
// shown again with the dialog open, the input kept and each problem next
// to its field; the extender that builds the dialog reads that state.

// formState is a refused process form.
type formState struct {
	Dialog string            // the dialog's id
	Values url.Values        // what was sent
	Errs   map[string]string // input name → message
	Msgs   []string          // problems not tied to an input shown
}

type formStateKey struct{}

// withFormState keeps a refused form for the page about to be shown.
func (c *rc) withFormState(st *formState) {
	c.r = c.r.WithContext(context.WithValue(c.r.Context(), formStateKey{}, st))
}

// formStateOf returns the refused form of a dialog, or nil.
func (c *rc) formStateOf(dialog string) *formState {
	st, _ := c.r.Context().Value(formStateKey{}).(*formState)
	if st == nil || st.Dialog != dialog {
		return nil
	}
	return st
}

// refusedForm turns a service's refusal into a form state: field problems
// go next to the inputs named in shown (an input name is the error's field
// with dots as underscores, or what rename says), the rest above the form.
// It reports false for errors that are not about the input (missing
// records, failures), which the caller answers as usual.
func (c *rc) refusedForm(err error, dialog string, form url.Values, shown []string, label func(string) string, rename map[string]string) (*formState, bool) {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal || e.Kind == errs.NotFound || e.Kind == errs.Forbidden {
		return nil, false
	}
	st := &formState{Dialog: dialog, Values: form, Errs: map[string]string{}}
	for _, fe := range e.Fields {
		name := strings.ReplaceAll(fe.Field, ".", "_")
		if r, ok := rename[fe.Field]; ok {
			name = r
		}
		fe.Args = c.localArgs(fe.Args)
		msg := httpx.FieldMessage(c.L, fe, label(fe.Field))
		if slices.Contains(shown, name) {
			if st.Errs[name] == "" {
				st.Errs[name] = msg
			}
			continue
		}
		st.Msgs = append(st.Msgs, msg)
	}
	switch {
	case e.Code != "validation":
		st.Msgs = append(st.Msgs, c.errText(err))
	case len(st.Msgs) == 0:
		st.Msgs = append(st.Msgs, c.T("form.fix_errors", "n", len(e.Fields)))
	}
	return st, true
}

// dialogForm is a process form shown in a dialog.
type dialogForm struct {
	ID, Title, Action string
	Button            string // the header button that opens it ("" for none)
	Submit            string
	Hint              string
	Confirm           string // asked before sending (destructive steps)
	Danger            bool
	Version           int64
	Fields            []formField
	Errors            []string
	Open              bool
	Large             bool
}

// apply puts a refused form's input and problems back into the dialog.
func (d *dialogForm) apply(st *formState) {
	if st == nil {
		return
	}
	d.Open, d.Errors = true, st.Msgs
	for i := range d.Fields {
		f := &d.Fields[i]
		f.Error = st.Errs[f.Name]
		switch f.Kind {
		case "checks":
			for j := range f.Options {
				f.Options[j].Selected = slices.Contains(st.Values[f.Name], f.Options[j].Value)
			}
		case "select":
			for j := range f.Options {
				f.Options[j].Selected = f.Options[j].Value == st.Values.Get(f.Name)
				f.Options[j].plain = ""
			}
		case "lookup":
			if v := st.Values.Get(f.Name); v != f.Value {
				f.Value, f.LookupTitle = v, v
			}
		default:
			f.Value = st.Values.Get(f.Name)
		}
	}
}

// formInt reads an optional whole number of a form; a problem is reported
// under the given field name.
func formInt(form url.Values, name, field string, bad *[]errs.FieldError) int64 {
	s := strings.TrimSpace(form.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		*bad = append(*bad, errs.FieldError{Field: field, Code: "invalid_integer"})
	}
	return n
}

// formVersion reads the version a process form was rendered at (0 if none).
func formVersion(form url.Values) int64 {
	v, _ := strconv.ParseInt(form.Get("version"), 10, 64)
	return max(v, 0)
}

// markOptions selects the options whose values are in sel.
func markOptions(opts []option, sel ...string) []option {
	for i := range opts {
		opts[i].Selected = slices.Contains(sel, opts[i].Value)
	}
	return opts
}
