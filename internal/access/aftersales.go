package access

import "closeloop/internal/i18n"

// After-sales roles: service agents work the ticket queues, field engineers
// their visits, service managers own the rules and the review.
const (
	RoleFieldEngineer  = "field_engineer"
	RoleServiceManager = "service_manager"
)

// ServiceCaseEntities are the after-sales records about one customer: a
// ticket and its conversation, on-site visits, returns, return visits,
// surveys, recovery tasks and care reminders. They are owned (assignee,
// engineer, account owner) and also read through their customer.
var ServiceCaseEntities = []string{"ticket", "ticket_message", "service_visit", "return_request", "return_visit", "survey", "recovery_task", "care_reminder"}

// ServiceConfigEntities are the after-sales settings: calendars, SLA
// policies, agents' profiles, return-visit and care rules, warehouses and
// the spare-part catalogue. Everyone reads them; service managers and
// admins keep them.
var ServiceConfigEntities = []string{"business_calendar", "calendar_day", "sla_policy", "service_agent", "return_visit_rule", "care_rule", "warehouse", "spare_part"}

// ServiceStockEntities are the spare-part stock levels and movements: kept
// by the stock process (a part used on a visit, a return received), read
// by everyone in service.
var ServiceStockEntities = []string{"spare_part_stock", "stock_movement"}

// ImprovementEntities are the improvement items that recurring causes
// turn into (服务—反馈—优化) and their links to tickets: owned by the
// product or pre-sales person who carries them out.
var ImprovementEntities = []string{"improvement_item", "improvement_ticket"}

// aftersales gives a shipped role its after-sales rights.
func aftersales(r *Role) {
	set := func(names []string, p Perm) {
		for _, e := range names {
			r.Perms[e] = p
		}
	}
	full := func(s Scope) Perm {
		return Perm{Read: s, Write: s, Delete: s, Create: true, Export: true, Import: true}
	}
	readAll := Perm{Read: All, Export: true}
	stockRead := Perm{Read: All, Export: true}
	switch {
	case r.Admin, r.Code == RoleServiceManager:
		set(ServiceCaseEntities, full(All))
		set(ServiceConfigEntities, full(All))
		set(ServiceStockEntities, Perm{Read: All, Create: true, Export: true})
		set(ImprovementEntities, full(All))
	case r.Code == RoleService:
		// Agents read every ticket (a customer calls whoever answers) and
		// work those of their team.
		set(ServiceCaseEntities, Perm{Read: All, Write: Team, Create: true, Export: true})
		set(ServiceConfigEntities, Perm{Read: All})
		set(ServiceStockEntities, Perm{Read: All, Create: true, Export: true})
		set(ImprovementEntities, Perm{Read: All, Write: Own, Create: true, Export: true})
	case r.Code == RoleFieldEngineer:
		set(ServiceCaseEntities, Perm{Read: Own, Write: Own, Create: true})
		set(ServiceConfigEntities, Perm{Read: All})
		set(ServiceStockEntities, Perm{Read: All, Create: true})
		set(ImprovementEntities, Perm{Read: All})
	case r.Code == RoleManager:
		set(ServiceCaseEntities, full(Team))
		set(ServiceConfigEntities, Perm{Read: All})
		set(ServiceStockEntities, stockRead)
		set(ImprovementEntities, Perm{Read: All, Write: Own, Create: true, Export: true})
	case r.Code == RoleSales:
		// The account owner sees the service history of their customers
		// (through the customer), raises tickets for them, keeps their
		// return visits and care reminders.
		set(ServiceCaseEntities, Perm{Read: Own, Write: Own, Create: true, Export: true})
		set(ServiceConfigEntities, Perm{Read: All})
		set(ServiceStockEntities, stockRead)
		set(ImprovementEntities, Perm{Read: All, Write: Own})
	default:
		// Delivery, pre-sales, finance: read the service history; improvement
		// items routed to them are theirs to carry out.
		set(ServiceCaseEntities, readAll)
		set(ServiceConfigEntities, Perm{Read: All})
		set(ServiceStockEntities, stockRead)
		set(ImprovementEntities, Perm{Read: All, Write: Own, Export: true})
	}
	// Agents turn resolved tickets into knowledge-base articles.
	switch {
	case r.Admin:
	case r.Code == RoleServiceManager:
		r.Perms["knowledge_article"] = Perm{Read: All, Write: All, Create: true, Export: true}
	case r.Code == RoleService:
		r.Perms["knowledge_article"] = Perm{Read: All, Write: Own, Create: true, Export: true}
	}
	r.Perms["ticket_message"] = Perm{Read: r.Perms["ticket"].Read, Create: r.Perms["ticket"].Create, Export: r.Perms["ticket"].Export}
}

// aftersalesRoles are the shipped after-sales roles (their base rights on
// the customer base are those of the readers of every sale).
func aftersalesRoles(readAll func() map[string]Perm) []Role {
	return []Role{
		{Code: RoleFieldEngineer, Label: i18n.T("现场工程师", "Field engineer"), Perms: readAll(), SeeContacts: true, BuiltIn: true},
		{Code: RoleServiceManager, Label: i18n.T("服务经理", "Service manager"), Perms: readAll(), SeeContacts: true, Assign: true, BuiltIn: true},
	}
}
