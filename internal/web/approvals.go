package web

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"closeloop/internal/approvals"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// Approvals in the web UI: the approver's inbox (the generic list of
// approvals with "awaiting me" first), the approval card on every
// registered document's page with the decision dialogs, the approval's
// own page, the rule page's steps, and the home page's card. Rules are
// edited through the generic pages under /settings.

func init() {
	adminEntities["approval_rule"] = true
	adminEntities["approval_rule_step"] = true
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /approvals", s.page(s.approvalInbox))
		for _, d := range []string{crm.DecisionApprove, crm.DecisionReject, crm.DecisionReturn} {
			m.HandleFunc("POST /approvals/{id}/"+d, s.page(s.decideApproval(d)))
		}
	})
	onDetail("*", (*Server).documentApprovals)
	onDetail("approval", (*Server).approvalPage)
	onDetail("approval_rule", (*Server).ruleSteps)
	onList("approval", (*Server).approvalRows)
	onHome((*Server).homeApprovals)
	for code, tone := range map[string]string{"pending": "badge-info", "rejected": "badge-danger", "returned": "badge-warning",
		"cancelled": "badge-muted", "waiting": "badge-muted", "skipped": "badge-muted", "reject": "badge-danger", "return": "badge-warning"} {
		if _, taken := tones[code]; !taken {
			tones[code] = tone
		}
	}
}

func dlgDecision(d string) string { return "dlg-apv-" + d }

// approvalInbox is the list of approvals; without a filter it shows what
// awaits the user's decision. Tabs: awaiting me, submitted by me, all.
func (s *Server) approvalInbox(c *rc) error {
	e := c.schema.Entity("approval")
	if c.r.URL.RawQuery == "" {
		c.r.URL.RawQuery = url.Values{"awaiting": {c.p.UserID}, "status": {crm.ApprovalPending}}.Encode()
	}
	return s.renderList(c, e, listOpts{action: "/approvals", ignore: []string{"tab"}})
}

// approvalRows retitles the inbox, offers its tabs and links each row to
// its document (where the approver judges and decides).
func (s *Server) approvalRows(c *rc, lp *listPage, items []entity.Record) {
	raw := c.r.URL.Query()
	lp.Heading, lp.Title, lp.Nav = c.T("nav.approvals"), c.T("nav.approvals"), "approvals"
	lp.Subtitle = c.T("apv.inbox_hint")
	lp.NewHref = ""
	mine := raw.Get("awaiting") == c.p.UserID && raw.Get("status") == crm.ApprovalPending
	sent := raw.Get("submitted_by") == c.p.UserID && raw.Get("awaiting") == ""
	all := raw.Get("awaiting") == "" && raw.Get("submitted_by") == "" && raw.Get("owner_id") == "" && raw.Get("team_id") == ""
	lp.Tabs = []tab{
		{Text: c.T("apv.tab_mine"), Href: "/approvals", Current: mine},
		{Text: c.T("apv.tab_sent"), Href: "/approvals?submitted_by=" + url.QueryEscape(c.p.UserID), Current: sent},
		{Text: c.T("apv.tab_all"), Href: "/approvals?sort=-submitted_at", Current: all && !mine},
	}
	if mine {
		lp.Empty = c.T("apv.inbox_empty")
	}
	for i, r := range items {
		if i >= len(lp.Rows) {
			break
		}
		if href := c.recordHref(r.Str("doc_type"), r.Str("record_id")); href != "" {
			lp.Rows[i].Href = string(href)
		}
	}
}

// apvCard is one approval as its card shows it.
type apvCard struct {
	T           func(string, ...any) string
	ID, Href    string
	Status      cell
	Title       string
	Submitter   string
	SubmittedAt string
	Reason      string
	DecidedAt   string
	Waiting     string
	Facts       []kv
	Steps       []apvStepRow
	Dialogs     []*dialogForm
	Open        bool
}

type apvStepRow struct {
	Pos, Who, Rule, By, At, Comment string
	Status                          cell
	Decision                        cell
	Fallback, Current               bool
}

// apvView is the approval section of a page: the latest approval, the
// earlier ones folded, and what the rules would ask when none is open.
type apvView struct {
	T        func(string, ...any) string
	Current  *apvCard
	Earlier  []*apvCard
	Plan     string
	DocHref  string
	DocLabel string
}

// documentApprovals adds the approval card to the page of every
// registered document type.
func (s *Server) documentApprovals(c *rc, rec entity.Record, dp *detailPage) error {
	if dp.Entity == "approval" || !s.app.Approvals.Registered(dp.Entity) {
		return nil
	}
	hist, err := s.app.Approvals.History(c.ctx(), s.app.DB.R(), dp.Entity, rec.ID())
	if err != nil {
		return err
	}
	v := &apvView{T: c.T}
	if len(hist) == 0 {
		steps, err := s.app.Approvals.PlanFor(c.ctx(), s.app.DB.R(), c.p, dp.Entity, rec)
		if err != nil {
			if errs.KindOf(err) == errs.Internal {
				return err
			}
			v.Plan = c.errText(err)
		} else if len(steps) > 0 {
			var who []string
			for _, st := range steps {
				who = append(who, s.stepWho(c, st, nil))
			}
			v.Plan = c.T("apv.plan", "steps", strings.Join(who, " → "))
		}
		if v.Plan == "" {
			return nil
		}
	}
	if err := s.fillApprovals(c, v, hist, "doc"); err != nil {
		return err
	}
	return s.addApprovalView(c, v, dp)
}

// approvalPage is the approval's own page: its steps and decisions, and
// a link to the document.
func (s *Server) approvalPage(c *rc, rec entity.Record, dp *detailPage) error {
	a, err := s.app.Approvals.Get(c.ctx(), c.p, rec.ID())
	if err != nil {
		return err
	}
	v := &apvView{T: c.T}
	if href := c.recordHref(a.DocType, a.RecordID); href != "" {
		v.DocHref = string(href)
		if e := c.schema.Entity(a.DocType); e != nil {
			v.DocLabel = c.T("apv.open_doc", "doc", e.Label.In(c.L))
		}
		dp.Actions = append(dp.Actions, template.HTML(`<a class="btn" href="`+template.HTMLEscapeString(v.DocHref)+`">`+template.HTMLEscapeString(v.DocLabel)+`</a>`))
	}
	dp.Crumbs = []link{{Text: c.T("nav.approvals"), Href: "/approvals"}, {Text: dp.Heading}}
	dp.Nav = "approvals"
	if err := s.fillApprovals(c, v, []*approvals.Approval{a}, "approval"); err != nil {
		return err
	}
	return s.addApprovalView(c, v, dp)
}

func (s *Server) addApprovalView(c *rc, v *apvView, dp *detailPage) error {
	if v.Current != nil && len(v.Current.Dialogs) > 0 {
		actions, err := c.partial("apv_actions", v.Current)
		if err != nil {
			return err
		}
		dp.Actions = append(dp.Actions, actions)
	}
	card, err := c.partial("apv_section", v)
	if err != nil {
		return err
	}
	dp.Top = append(dp.Top, card)
	return nil
}

// fillApprovals builds the cards; from says which page a decision
// returns to ("doc" or "approval").
func (s *Server) fillApprovals(c *rc, v *apvView, hist []*approvals.Approval, from string) error {
	var users []string
	for _, a := range hist {
		users = append(users, a.SubmittedBy)
		for _, st := range a.Steps {
			users = append(users, st.Approvers...)
			users = append(users, st.DecidedBy, st.UserID)
		}
	}
	rf := c.resolve(nil, users)
	ae, se := c.schema.Entity("approval"), c.schema.Entity("approval_step")
	for i, a := range hist {
		card := &apvCard{T: c.T, ID: a.ID, Href: "/approvals/" + a.ID, Status: c.cell(ae.Field("status"), a.Status, rf), Title: a.RecordTitle,
			SubmittedAt: c.fmtTime(a.SubmittedAt), Reason: a.Reason, Open: a.Open()}
		card.Submitter, _ = rf.title("user", a.SubmittedBy)
		if a.DecidedAt != nil {
			card.DecidedAt = c.fmtTime(*a.DecidedAt)
		}
		card.Facts = s.factRows(c, a)
		for _, st := range a.Steps {
			row := apvStepRow{Pos: strconv.Itoa(st.Position), Who: s.stepWho(c, st, rf), Rule: st.Rule, Comment: st.Comment,
				Status: c.cell(se.Field("status"), st.Status, rf), Decision: c.cell(se.Field("decision"), st.Decision, rf),
				Fallback: st.Fallback, Current: st.Status == crm.StepPending}
			row.By, _ = rf.title("user", st.DecidedBy)
			if st.DecidedAt != nil {
				row.At = c.fmtTime(*st.DecidedAt)
			}
			card.Steps = append(card.Steps, row)
		}
		if pend := a.Pending(); pend != nil {
			card.Waiting = c.T("apv.waiting", "n", strconv.Itoa(pend.Position), "total", strconv.Itoa(len(a.Steps)), "who", s.stepWho(c, *pend, rf))
			if i == 0 && !c.p.ReadOnly && (contains(pend.Approvers, c.p.UserID) || c.p.IsAdmin()) {
				card.Dialogs = s.decisionDialogs(c, a, from)
			}
		}
		if i == 0 {
			v.Current = card
		} else {
			v.Earlier = append(v.Earlier, card)
		}
	}
	return nil
}

// stepWho names who a step waits for: the people resolved when it was
// reached, otherwise its role (in the reader's language) or named user.
func (s *Server) stepWho(c *rc, st approvals.Step, rf *refs) string {
	if rf != nil && len(st.Approvers) > 0 {
		var names []string
		for _, id := range st.Approvers {
			if n, ok := rf.title("user", id); ok {
				names = append(names, n)
			}
		}
		if len(names) > 0 {
			return strings.Join(names, c.T("ui.sep"))
		}
	}
	if st.UserID != "" {
		if rf != nil {
			if n, ok := rf.title("user", st.UserID); ok {
				return n
			}
		}
		if st.Label != "" {
			return st.Label
		}
		names, _ := s.app.Customers.UserNames(c.ctx(), []string{st.UserID})
		return names[st.UserID]
	}
	return c.schema.OptionLabel(c.schema.Entity("approval_step").Field("role"), st.Role, c.L)
}

// factRows shows the facts as submitted: basis points as percentages,
// fen as money, codes as they are.
func (s *Server) factRows(c *rc, a *approvals.Approval) []kv {
	dt, _ := s.app.Approvals.DocType(a.DocType)
	var keys []string
	for k := range a.Facts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []kv
	for _, k := range keys {
		label := k
		if t, ok := dt.FactLabels[k]; ok {
			label = t.In(c.L)
		} else if i18n.Has(c.L, "apv.fact."+k) {
			label = c.T("apv.fact." + k)
		}
		val := ""
		switch x := a.Facts[k].(type) {
		case int64:
			switch {
			case strings.HasSuffix(k, "_bp"):
				val = crm.FormatBP(x)
			case strings.HasSuffix(k, "_fen"):
				val = c.T("apv.money", "v", entity.FormatMoney(x))
			default:
				val = strconv.FormatInt(x, 10)
			}
		case string:
			val = x
		}
		out = append(out, kv{K: label, V: val})
	}
	return out
}

// decisionDialogs are the approve, reject and return dialogs, each
// confirmed before it is sent; reject and return need a comment.
func (s *Server) decisionDialogs(c *rc, a *approvals.Approval, from string) []*dialogForm {
	var out []*dialogForm
	for _, d := range []string{crm.DecisionApprove, crm.DecisionReturn, crm.DecisionReject} {
		hint := c.T("apv.comment_hint_optional")
		if d != crm.DecisionApprove {
			hint = c.T("apv.comment_hint_required")
		}
		comment := formField{ID: dlgDecision(d) + "-comment", Name: "comment", Label: c.T("apv.comment"), Kind: "textarea", Wide: true, MaxLen: 20000,
			Required: d != crm.DecisionApprove, Hint: hint}
		df := &dialogForm{ID: dlgDecision(d), Title: c.T("apv.dlg_" + d), Button: c.T("apv.btn_" + d),
			Action: "/approvals/" + a.ID + "/" + d + "?from=" + from, Submit: c.T("apv.btn_" + d), Version: a.Version,
			Hint: c.T("apv.dlg_hint", "title", a.RecordTitle), Confirm: c.T("apv.confirm_"+d, "title", a.RecordTitle),
			Danger: d == crm.DecisionReject, Fields: []formField{comment}}
		df.apply(c.formStateOf(df.ID))
		out = append(out, df)
	}
	return out
}

// decideApproval posts a decision; a refused comment reopens the dialog
// on the page it came from, other refusals are said in a flash.
func (s *Server) decideApproval(decision string) handler {
	return func(c *rc) error {
		if err := c.r.ParseForm(); err != nil {
			return errs.New(errs.Invalid, "validation")
		}
		id := strings.ToLower(c.r.PathValue("id"))
		a, err := s.app.Approvals.Get(c.ctx(), c.p, id)
		if err != nil {
			return err
		}
		back := "/approvals/" + a.ID
		docPage := c.r.URL.Query().Get("from") == "doc"
		if docPage {
			if href := c.recordHref(a.DocType, a.RecordID); href != "" {
				back = string(href)
			} else {
				docPage = false
			}
		}
		out, err := s.app.Approvals.Decide(c.ctx(), c.p, id, decision, formVersion(c.r.PostForm), c.r.PostForm.Get("comment"))
		if err != nil {
			if errs.CodeOf(err) == "validation" {
				st, ok := c.refusedForm(err, dlgDecision(decision), c.r.PostForm, []string{"comment"}, func(string) string { return c.T("apv.comment") }, nil)
				if ok {
					c.withFormState(st)
					if docPage {
						return s.showDetail(c, c.schema.Entity(a.DocType), a.RecordID, httpStatus(err), nil)
					}
					return s.showDetail(c, c.schema.Entity("approval"), a.ID, httpStatus(err), nil)
				}
			}
			return c.processFailed(err, back)
		}
		msg := c.T("apv.done_"+decision, "title", out.RecordTitle)
		if decision == crm.DecisionApprove && out.Status == crm.ApprovalApproved {
			msg = c.T("apv.done_final", "title", out.RecordTitle)
		}
		return c.processDone(msg, back)
	}
}

// ruleSteps lists a rule's steps on its page, with a link adding one.
func (s *Server) ruleSteps(c *rc, rec entity.Record, dp *detailPage) error {
	se := c.schema.Entity("approval_rule_step")
	page, err := s.app.Records.List(c.ctx(), c.p, se.Name, entity.Query{Sort: se.Field("position"), Limit: 100,
		Conds: []entity.Cond{{Field: se.Field("rule_id"), Op: entity.Eq, Values: []any{rec.ID()}}}})
	if err != nil {
		return err
	}
	card := sideCard{T: c.T, ID: "rule-steps", Title: c.T("apv.rule_steps"), Empty: c.T("apv.rule_no_steps")}
	next := int64(1)
	rf := c.collectRefs([]*entity.Field{se.Field("user_id")}, page.Items...)
	for _, r := range page.Items {
		who := c.schema.OptionLabel(se.Field("role"), r.Str("role"), c.L)
		if r.Str("user_id") != "" {
			who, _ = rf.title("user", r.Str("user_id"))
		}
		card.Rows = append(card.Rows, sideRow{Href: basePath(se) + "/" + r.ID(), Title: c.T("apv.step_n", "n", strconv.FormatInt(r.Int("position"), 10)) + " · " + who,
			Tag: map[bool]string{true: c.T("apv.named_user"), false: c.T("apv.by_role")}[r.Str("user_id") != ""]})
		next = max(next, r.Int("position")+1)
	}
	if c.p.Perm(se.Name).Create {
		card.AddHref = basePath(se) + "/new?" + url.Values{"rule_id": {rec.ID()}, "position": {strconv.FormatInt(next, 10)}}.Encode()
		card.AddText = c.T("apv.add_step")
	}
	html, err := c.partial("side_card", card)
	if err != nil {
		return err
	}
	dp.Side = append([]template.HTML{html}, dp.Side...)
	if rec.Str("op") != "" {
		e := c.schema.Entity("approval_rule")
		val := rec.Str("value")
		if strings.HasSuffix(rec.Str("fact"), "_bp") && rec.Str("op") != crm.OpIn {
			if n, err := strconv.ParseInt(val, 10, 64); err == nil {
				val = crm.FormatBP(n)
			}
		}
		fact := rec.Str("fact")
		if dt, ok := s.app.Approvals.DocType(rec.Str("doc_type")); ok && dt.FactLabels[fact].Zh != "" {
			fact = dt.FactLabels[fact].In(c.L) + c.T("ui.paren", "x", fact)
		} else if i18n.Has(c.L, "apv.fact."+fact) {
			fact = c.T("apv.fact."+fact) + c.T("ui.paren", "x", fact)
		}
		cond := c.T("apv.rule_reads", "fact", fact, "op", c.schema.OptionLabel(e.Field("op"), rec.Str("op"), c.L), "value", val)
		dp.Top = append(dp.Top, template.HTML(`<div class="alert alert-info" role="status"><div>`+template.HTMLEscapeString(cond)+`</div></div>`))
	}
	return nil
}

// homeApprovals puts what awaits the user's decision on the home page.
func (s *Server) homeApprovals(c *rc, hp *homePage) error {
	e := c.schema.Entity("approval")
	page, err := s.app.Records.List(c.ctx(), c.p, e.Name, entity.Query{Sort: e.Field("submitted_at"), Limit: 5, Total: true, Conds: []entity.Cond{
		{Field: e.Field("awaiting"), Op: entity.Eq, Values: []any{c.p.UserID}},
		{Field: e.Field("status"), Op: entity.Eq, Values: []any{crm.ApprovalPending}}}})
	if err != nil || len(page.Items) == 0 {
		return err
	}
	hp.Tiles = append(hp.Tiles, tile{Value: formatInt(page.Total), Label: c.T("apv.home_tile"), Href: "/approvals", Note: c.T("apv.home_tile_note"), Down: true})
	card := sideCard{T: c.T, ID: "home-approvals", Title: c.T("apv.home_title"), ViewAll: "/approvals", ViewAllTxt: c.T("apv.home_all")}
	rf := c.collectRefs([]*entity.Field{e.Field("submitted_by")}, page.Items...)
	for _, r := range page.Items {
		href := string(c.recordHref(r.Str("doc_type"), r.Str("record_id")))
		if href == "" {
			href = "/approvals/" + r.ID()
		}
		who, _ := rf.title("user", r.Str("submitted_by"))
		card.Rows = append(card.Rows, sideRow{Href: href, Title: r.Str("record_title"),
			Tag:  c.schema.OptionLabel(e.Field("doc_type"), r.Str("doc_type"), c.L),
			Note: c.T("apv.home_row", "who", who, "at", c.fmtTime(r.Time("submitted_at")))})
	}
	html, err := c.partial("side_card", card)
	if err != nil {
		return err
	}
	hp.Cards = append(hp.Cards, html)
	return nil
}
