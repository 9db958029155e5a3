// Package access holds the authorization model: roles with per-entity
// permissions, and the Principal (a signed-in user with their roles and team
// subtree) that every service call carries. It is pure: no database, no HTTP.
//
// The policy is one table (Role.Perms) read by one function per question
// (Scope, Can…); the store turns a Scope into the single SQL predicate applied
// to every read path, and the authorization-matrix test compares everything
// against this table.
package access

import (
	"slices"

	"closeloop/internal/i18n"
)

// Scope is how much of an entity a permission reaches.
type Scope int

const (
	None Scope = iota // nothing
	Own               // records the user owns
	Team              // records of the user's team and its sub-teams (and own)
	All               // every record
)

// ParseScope reads a scope name.
func ParseScope(s string) (Scope, bool) {
	switch s {
	case "none", "":
		return None, true
	case "own":
		return Own, true
	case "team":
		return Team, true
	case "all":
		return All, true
	}
	return None, false
}

func (s Scope) String() string {
	return [...]string{"none", "own", "team", "all"}[s]
}

// MarshalText makes scopes readable in stored JSON.
func (s Scope) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a stored scope.
func (s *Scope) UnmarshalText(b []byte) error {
	v, ok := ParseScope(string(b))
	if !ok {
		v = None
	}
	*s = v
	return nil
}

// Perm is a role's permission on one entity.
type Perm struct {
	Read   Scope `json:"read"`
	Write  Scope `json:"write"`
	Delete Scope `json:"delete"`
	Create bool  `json:"create"`
	Export bool  `json:"export"`
	Import bool  `json:"import"`
}

// Role is a named bundle of permissions. Users hold one or more.
type Role struct {
	Code  string          `json:"code"`
	Label i18n.Text       `json:"label"`
	Perms map[string]Perm `json:"perms"` // by entity name
	// SeeContacts: phone, e-mail and WeChat are shown in clear; otherwise masked.
	SeeContacts bool `json:"see_contacts"`
	// Pool: may claim from and release to the shared pool (公海).
	Pool bool `json:"pool"`
	// Assign: may reassign records and hand out pool records to others.
	Assign bool `json:"assign"`
	// Admin: may manage users, teams, roles, pick-lists, custom fields, rules.
	Admin bool `json:"admin"`
	// RequireTOTP: users holding this role must set up a second factor.
	RequireTOTP bool `json:"require_totp"`
	BuiltIn     bool `json:"built_in"`
}

// Built-in role codes.
const (
	RoleAdmin    = "admin"
	RoleManager  = "manager"
	RoleSales    = "sales"
	RolePresales = "presales"
	RoleDelivery = "delivery"
	RoleService  = "service"
)

// BaseEntities are the customer-base entities the default roles speak of.
var BaseEntities = []string{"customer", "contact", "lead", "activity"}

// DealEntities are the pre-sales records that belong to an opportunity's
// owner: the opportunity and what hangs off it.
var DealEntities = []string{"opportunity", "opportunity_contact", "opportunity_competitor", "presales_request", "presales_work_record", "solution", "bid", "sample", "appointment"}

// ProcessEntities are written only by processes (stage changes, scores,
// reviews): roles read them, nobody creates them through the generic API.
var ProcessEntities = []string{"stage_change", "presales_score", "solution_review"}

// ReferenceEntities are shared by everyone: competitors, the knowledge base,
// pipelines and their stages.
var ReferenceEntities = []string{"competitor", "knowledge_article", "pipeline", "pipeline_stage"}

// SalesDocEntities are the in-sales documents that belong to their owner
// (the rep) like the deals do: quotes, contracts, orders and their lines.
var SalesDocEntities = []string{"quote", "quote_line", "contract", "payment_instalment", "sales_order", "order_line"}

// CatalogueEntities are the products and price lists: everyone reads them,
// managers and admins keep them.
var CatalogueEntities = []string{"product", "price_list", "price_list_item"}

// HandoverEntities are the hand-over report written at signing and its
// acknowledgements: the contract's owner and managers keep the report,
// delivery, after-sales and finance read it; acknowledgements are written
// by their process only.
var HandoverEntities = []string{"handover", "handover_ack"}

// FulfilmentEntities are the records of fulfilment: deliveries with their
// lines and tracking, supply problems, installation/commissioning/training
// tasks with their checklists. Delivery coordinators keep them; sales reps
// read those of their customers.
var FulfilmentEntities = []string{"delivery", "delivery_line", "delivery_event", "supply_problem", "service_task", "task_check_item"}

// FinanceEntities are the invoices and payments finance records against
// a contract; everyone else reads those of the contracts they can see.
var FinanceEntities = []string{"invoice", "payment"}

// FinanceProcessEntities are written only by the invoice and payment
// processes (how an invoice or a payment is spread over instalments).
var FinanceProcessEntities = []string{"invoice_allocation", "payment_allocation"}

// RoleFinance records invoices and payments and watches receivables.
const RoleFinance = "finance"

// ApprovalEntities are the approvals of documents and their steps: written
// only by the approval process; the submitter reads their own, a manager
// their teams', approvers those they are asked to decide (grants).
var ApprovalEntities = []string{"approval", "approval_step"}

// ApprovalRuleEntities are the admins' approval rules: everyone may read
// what needs approval, admins change it.
var ApprovalRuleEntities = []string{"approval_rule", "approval_rule_step"}

// RolePresalesManager evaluates pre-sales requests and assigns engineers.
const RolePresalesManager = "presales_manager"

// DefaultRoles is the shipped policy; admins may change it.
//
// Pre-sales engineers read the customer base (contact details masked), and
// of the deals only their own records and, through grants, the
// opportunities and requests they are assigned to. Pre-sales managers see every request
// and opportunity, to evaluate and staff them.
func DefaultRoles() []Role {
	full := func(s Scope) Perm {
		return Perm{Read: s, Write: s, Delete: s, Create: true, Export: true, Import: true}
	}
	set := func(m map[string]Perm, names []string, p Perm) map[string]Perm {
		for _, e := range names {
			m[e] = p
		}
		return m
	}
	each := func(p Perm) map[string]Perm { return set(map[string]Perm{}, BaseEntities, p) }
	deals := func(m map[string]Perm, deal, process, ref Perm) map[string]Perm {
		set(m, DealEntities, deal)
		process.Create, process.Import, process.Write, process.Delete = false, false, None, None
		set(m, ProcessEntities, process)
		return set(m, ReferenceEntities, ref)
	}
	readRef := Perm{Read: All, Export: true}
	editRef := Perm{Read: All, Write: All, Create: true, Export: true, Import: true}
	own := Perm{Read: Own, Write: Own, Create: true}
	sales := each(own)
	sales["activity"] = Perm{Read: Own, Write: Own, Delete: Own, Create: true}
	deals(sales, Perm{Read: Own, Write: Own, Delete: Own, Create: true, Export: true}, Perm{Read: Own, Write: Own, Create: true}, readRef)
	sales["competitor"] = editRef
	readAll := func() map[string]Perm {
		m := each(Perm{Read: All})
		m["activity"] = Perm{Read: All, Write: Own, Delete: Own, Create: true}
		return deals(m, Perm{Read: All, Export: true}, Perm{Read: All}, readRef)
	}
	presales := each(Perm{Read: All})
	presales["activity"] = Perm{Read: All, Write: Own, Delete: Own, Create: true}
	deals(presales, Perm{Read: Own, Write: Own, Create: true}, Perm{Read: Own}, editRef)
	presales["opportunity"] = Perm{Read: Own}
	presales["presales_request"] = Perm{Read: Own}
	presales["presales_work_record"] = Perm{Read: Own, Write: Own, Delete: Own, Create: true}
	presalesMgr := readAll()
	deals(presalesMgr, Perm{Read: All, Write: All, Create: true, Export: true}, Perm{Read: All, Write: All, Create: true, Export: true}, editRef)
	presalesMgr["opportunity"] = Perm{Read: All, Export: true}
	managerPerms := deals(each(full(Team)), full(Team), Perm{Read: Team, Write: Team, Create: true, Export: true}, editRef)
	adminPerms := deals(each(full(All)), full(All), full(All), full(All))
	directory := func(m map[string]Perm, admin bool) map[string]Perm {
		for _, e := range []string{"user", "team"} {
			if admin {
				m[e] = full(All)
			} else {
				m[e] = Perm{Read: All}
			}
		}
		return m
	}
	roles := []Role{
		{Code: RoleAdmin, Label: i18n.T("管理员", "Administrator"), Perms: adminPerms, SeeContacts: true, Pool: true, Assign: true, Admin: true, BuiltIn: true},
		{Code: RoleManager, Label: i18n.T("经理", "Manager"), Perms: managerPerms, SeeContacts: true, Pool: true, Assign: true, BuiltIn: true},
		{Code: RoleSales, Label: i18n.T("销售", "Sales rep"), Perms: sales, SeeContacts: true, Pool: true, BuiltIn: true},
		{Code: RolePresales, Label: i18n.T("售前工程师", "Pre-sales engineer"), Perms: presales, BuiltIn: true},
		{Code: RolePresalesManager, Label: i18n.T("售前经理", "Pre-sales manager"), Perms: presalesMgr, BuiltIn: true},
		{Code: RoleDelivery, Label: i18n.T("交付协调", "Delivery coordinator"), Perms: readAll(), SeeContacts: true, BuiltIn: true},
		{Code: RoleService, Label: i18n.T("售后服务", "Service agent"), Perms: readAll(), SeeContacts: true, BuiltIn: true},
	}
	insales := func(r *Role, docs, catalogue Perm) {
		set(r.Perms, SalesDocEntities, docs)
		set(r.Perms, CatalogueEntities, catalogue)
		// The hand-over: the owner of the contract keeps it (no one creates
		// it by hand, signing does), readers of every sale read it; its
		// acknowledgements are only read.
		ho := Perm{Read: docs.Read, Write: docs.Write, Export: docs.Export || docs.Read == All}
		r.Perms["handover"] = ho
		r.Perms["handover_ack"] = Perm{Read: docs.Read, Export: ho.Export}
		// Invoices and payments are read like the contracts they are
		// against (their visibility goes through the contract); only
		// finance and admins write them (below).
		set(r.Perms, append(slices.Clone(FinanceEntities), FinanceProcessEntities...), Perm{Read: docs.Read, Export: docs.Export})
	}
	for i := range roles {
		r := &roles[i]
		switch r.Code {
		case RoleAdmin:
			insales(r, full(All), full(All))
			set(r.Perms, FinanceEntities, full(All))
		case RoleManager:
			insales(r, full(Team), editRef)
		case RoleSales:
			insales(r, Perm{Read: Own, Write: Own, Delete: Own, Create: true, Export: true}, readRef)
		case RoleDelivery:
			// Delivery coordinators read every sale and turn contracts into orders.
			insales(r, Perm{Read: All, Export: true}, readRef)
			set(r.Perms, []string{"sales_order", "order_line"}, Perm{Read: All, Write: All, Create: true, Export: true})
			r.Perms["product"] = Perm{Read: All, Write: All, Export: true}
		case RoleService, RolePresalesManager:
			insales(r, Perm{Read: All, Export: true}, readRef)
		case RolePresales:
			insales(r, Perm{Read: Own}, readRef)
		}
	}
	// Finance reads customers and every sale; invoices and payments are its own.
	finance := Role{Code: RoleFinance, Label: i18n.T("财务", "Finance"), Perms: readAll(), BuiltIn: true}
	insales(&finance, Perm{Read: All, Export: true}, readRef)
	finance.Perms["payment_instalment"] = Perm{Read: All, Write: All, Create: true, Export: true, Import: true}
	set(finance.Perms, FinanceEntities, Perm{Read: All, Write: All, Create: true, Export: true, Import: true})
	roles = append(roles, finance)
	for _, r := range aftersalesRoles(readAll) {
		insales(&r, Perm{Read: All, Export: true}, readRef)
		roles = append(roles, r)
	}
	for i := range roles {
		fulfilment(&roles[i])
	}
	for i := range roles {
		roles[i].Perms = directory(roles[i].Perms, roles[i].Admin)
		approvals(&roles[i])
		aftersales(&roles[i])
	}
	return roles
}

// approvals gives a shipped role its rights on approvals and their rules.
func approvals(r *Role) {
	read := Perm{Read: Own}
	switch {
	case r.Admin:
		read = Perm{Read: All, Export: true}
	case r.Code == RoleManager:
		read = Perm{Read: Team, Export: true}
	}
	for _, e := range ApprovalEntities {
		r.Perms[e] = read
	}
	for _, e := range ApprovalRuleEntities {
		if r.Admin {
			r.Perms[e] = Perm{Read: All, Write: All, Delete: All, Create: true, Export: true, Import: true}
		} else {
			r.Perms[e] = Perm{Read: All}
		}
	}
}

// fulfilment gives a shipped role its rights on fulfilment: delivery
// coordinators keep orders, deliveries, tasks and supply problems; sales
// reps read their customers' orders and deliveries (through the customer)
// and may log and follow supply problems (a price or payment problem is
// theirs); service engineers read everything and log quality problems;
// tracking updates are written by processes only. Engineers tick their
// tasks' checklists through the task's process, not by these rights.
func fulfilment(r *Role) {
	set := func(p Perm) {
		for _, e := range FulfilmentEntities {
			r.Perms[e] = p
		}
	}
	keep := Perm{Read: All, Write: All, Create: true, Export: true, Import: true}
	follow := func(s Scope) Perm { return Perm{Read: s, Write: Own, Create: true, Export: true} }
	switch r.Code {
	case RoleAdmin:
		set(Perm{Read: All, Write: All, Delete: All, Create: true, Export: true, Import: true})
	case RoleManager:
		set(Perm{Read: Team, Write: Team, Delete: Team, Create: true, Export: true, Import: true})
	case RoleDelivery:
		set(keep)
		for _, e := range []string{"supply_problem", "service_task", "task_check_item"} {
			r.Perms[e] = Perm{Read: All, Write: All, Delete: All, Create: true, Export: true, Import: true}
		}
	case RoleSales:
		set(Perm{Read: Own, Export: true})
		r.Perms["supply_problem"] = follow(Own)
		// Orders are kept by delivery coordinators; reps read their customers'.
		for _, e := range []string{"sales_order", "order_line"} {
			r.Perms[e] = Perm{Read: Own, Export: true}
		}
	case RoleService, RoleFinance:
		set(Perm{Read: All, Export: true})
		r.Perms["supply_problem"] = follow(All)
	case RolePresalesManager:
		set(Perm{Read: All, Export: true})
	case RolePresales:
		set(Perm{Read: Own})
	}
	if p, ok := r.Perms["delivery_event"]; ok {
		p.Write, p.Delete, p.Create, p.Import = None, None, false, false
		r.Perms["delivery_event"] = p
	}
}

// Principal is the user a request acts for.
type Principal struct {
	UserID string
	Name   string
	Email  string
	TeamID string
	// Teams is the user's team and all its sub-teams (for Team scope).
	Teams []string
	Roles []Role
	// ReadOnly is set for API tokens with the read scope.
	ReadOnly bool
	// System marks internal callers (jobs, CLI imports run as a named user still use a user).
	System bool
}

// SystemPrincipal acts for background jobs: it may do anything.
func SystemPrincipal() *Principal {
	return &Principal{System: true, Name: "system", Roles: []Role{{Code: RoleAdmin, Admin: true, SeeContacts: true, Pool: true, Assign: true, Perms: map[string]Perm{}}}}
}

// Perm is the union of the principal's roles' permissions on an entity.
func (p *Principal) Perm(entity string) Perm {
	var out Perm
	if p.System {
		return Perm{Read: All, Write: All, Delete: All, Create: true, Export: true, Import: true}
	}
	for _, r := range p.Roles {
		rp, ok := r.Perms[entity]
		if !ok {
			continue
		}
		out.Read = max(out.Read, rp.Read)
		out.Write = max(out.Write, rp.Write)
		out.Delete = max(out.Delete, rp.Delete)
		out.Create = out.Create || rp.Create
		out.Export = out.Export || rp.Export
		out.Import = out.Import || rp.Import
	}
	if p.ReadOnly {
		out.Write, out.Delete, out.Create, out.Import = None, None, false, false
	}
	// Write and delete never reach further than read.
	out.Write = min(out.Write, out.Read)
	out.Delete = min(out.Delete, out.Read)
	return out
}

func (p *Principal) any(f func(Role) bool) bool {
	if p.System {
		return true
	}
	return slices.ContainsFunc(p.Roles, f)
}

// SeeContacts reports whether contact details are shown unmasked.
func (p *Principal) SeeContacts() bool { return p.any(func(r Role) bool { return r.SeeContacts }) }

// CanPool reports whether the user may claim from and release to the pool.
func (p *Principal) CanPool() bool {
	return !p.ReadOnly && p.any(func(r Role) bool { return r.Pool })
}

// CanAssign reports whether the user may reassign records to others.
func (p *Principal) CanAssign() bool {
	return !p.ReadOnly && p.any(func(r Role) bool { return r.Assign })
}

// IsAdmin reports whether the user may change settings.
func (p *Principal) IsAdmin() bool {
	return p.any(func(r Role) bool { return r.Admin })
}

// HasRole reports whether the user holds a role.
func (p *Principal) HasRole(code string) bool {
	return p.any(func(r Role) bool { return r.Code == code })
}

// NeedsTOTP reports whether one of the user's roles requires a second factor.
func (p *Principal) NeedsTOTP() bool {
	return !p.System && slices.ContainsFunc(p.Roles, func(r Role) bool { return r.RequireTOTP })
}

// InTeams reports whether a team is within the user's team subtree.
func (p *Principal) InTeams(teamID string) bool {
	return teamID != "" && slices.Contains(p.Teams, teamID)
}

// Reaches reports whether a scope covers a record with the given owner and
// team. It is the policy oracle the SQL predicate must agree with.
func (p *Principal) Reaches(s Scope, ownerID, teamID string) bool {
	switch s {
	case All:
		return true
	case Team:
		return (ownerID != "" && ownerID == p.UserID) || p.InTeams(teamID)
	case Own:
		return ownerID != "" && ownerID == p.UserID
	}
	return false
}

// Sees is the policy oracle for reading one record: the scope reaches it,
// or it lies unowned in a shared pool and the user works the pool. The SQL
// predicate (store.Visible) must admit exactly these rows.
func (p *Principal) Sees(s Scope, pooled bool, ownerID, teamID string) bool {
	if s == All {
		return true
	}
	if s == None {
		return false
	}
	return p.Reaches(s, ownerID, teamID) || (pooled && ownerID == "" && p.CanPool())
}

// RoleCodes lists the codes of the user's roles.
func (p *Principal) RoleCodes() []string {
	out := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		out[i] = r.Code
	}
	return out
}
