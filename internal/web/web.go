// Package web is the server-rendered web UI (html/template + htmx).
//
// Pages are derived from the entity declarations: one generic list, detail
// and form serve every resource, so adding an entity needs no page code.
// The customer base's processes (conversion, pool, merge, consent, the
// timeline) add panels to those pages. Templates and static assets are
// embedded; assets are served under content-hashed URLs. The UI calls the
// same services as the API, so a rule holds in both or in neither.
package web

import (
	"net/http"
	"net/url"
	"strings"

	"closeloop/internal/app"
	"closeloop/internal/entity"
)

// Server is the web UI. It keeps no per-user state: sessions, flashes and
// language live in cookies and the database, so any server of a cluster can
// answer any request.
type Server struct {
	app    *app.App
	mux    *http.ServeMux
	tpl    *renderer
	assets *assets
	users  userCache
}

// New builds the web UI handler. It is mounted at "/" behind the shared
// middleware (request id, logs, security headers, cross-origin protection,
// authentication).
func New(a *app.App) http.Handler {
	s := &Server{app: a, mux: http.NewServeMux(), assets: loadAssets()}
	s.tpl = newRenderer(s.assets)
	s.routes()
	return s
}

// ServeHTTP dispatches to the page handlers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// adminEntities live under /settings and are managed by admins only.
var adminEntities = map[string]bool{"user": true, "team": true, "pipeline": true, "pipeline_stage": true}

// basePath is where an entity's pages live.
func basePath(e *entity.Entity) string {
	if adminEntities[e.Name] {
		return "/settings/" + e.Resource
	}
	return "/" + e.Resource
}

// registered reports whether exactly this pattern is registered already.
func registered(m *http.ServeMux, pattern string) bool {
	method, path, _ := strings.Cut(pattern, " ")
	_, got := m.Handler(&http.Request{Method: method, URL: &url.URL{Path: path}})
	return got == pattern
}

// areaRoutes are the pages of later areas, registered from init in each
// area's own file (pre-sales, in-sales …).
var areaRoutes []func(s *Server, m *http.ServeMux)

func (s *Server) routes() {
	m := s.mux
	for _, add := range areaRoutes {
		add(s, m)
	}
	m.HandleFunc("GET /static/{hash}/{path...}", s.assets.serve)
	m.HandleFunc("GET /favicon.ico", s.assets.favicon)

	// Sign-in and language.
	m.HandleFunc("GET /login", s.public(s.loginPage))
	m.HandleFunc("POST /login", s.public(s.loginPost))
	m.HandleFunc("POST /logout", s.public(s.logout))
	m.HandleFunc("GET /setup", s.public(s.setupPage))
	m.HandleFunc("POST /setup", s.public(s.setupPost))
	m.HandleFunc("GET /login/totp", s.public(s.totpPage))
	m.HandleFunc("POST /login/totp", s.public(s.totpPost))
	m.HandleFunc("GET /login/totp/setup", s.public(s.totpSetupPage))
	m.HandleFunc("POST /login/totp/setup", s.public(s.totpSetupPost))
	m.HandleFunc("GET /lang", s.public(s.langGet))
	m.HandleFunc("POST /lang", s.public(s.langPost))

	m.HandleFunc("GET /{$}", s.page(s.home))
	m.HandleFunc("POST /activities/{id}/done", s.page(s.followupDone))
	m.HandleFunc("GET /search", s.page(s.search))
	m.HandleFunc("GET /ui/lookup/{res}", s.page(s.lookup))
	m.HandleFunc("GET /pool", s.page(s.pool))

	// Generic pages for every declared entity.
	for _, e := range s.app.DB.Schema().Entities() {
		base := basePath(e)
		wrap := s.page
		if adminEntities[e.Name] {
			wrap = s.adminPage
		}
		if !registered(m, "GET "+base) { // an area may serve the list itself (the approvals inbox)
			m.HandleFunc("GET "+base, wrap(s.list))
		}
		m.HandleFunc("GET "+base+"/new", wrap(s.newForm))
		m.HandleFunc("POST "+base+"/new", wrap(s.create))
		m.HandleFunc("GET "+base+"/{id}", wrap(s.detail))
		m.HandleFunc("GET "+base+"/{id}/edit", wrap(s.editForm))
		m.HandleFunc("POST "+base+"/{id}/edit", wrap(s.update))
		m.HandleFunc("POST "+base+"/{id}/delete", wrap(s.remove))
		m.HandleFunc("POST "+base+"/{id}/restore", wrap(s.restore))
		if !adminEntities[e.Name] {
			m.HandleFunc("GET "+base+"/import", wrap(s.importPage))
			m.HandleFunc("POST "+base+"/import", wrap(s.importPost))
		}
		if e.Vis.Owned {
			m.HandleFunc("POST "+base+"/assign", wrap(s.bulkAssign))
			m.HandleFunc("POST "+base+"/{id}/assign", wrap(s.assignOne))
		}
		if e.Vis.Pool {
			m.HandleFunc("POST "+base+"/{id}/claim", wrap(s.claim))
			m.HandleFunc("POST "+base+"/{id}/release", wrap(s.release))
		}
	}

	// The customer base's processes.
	m.HandleFunc("GET /customers/{id}/timeline", s.page(s.timelineMore))
	m.HandleFunc("GET /leads/{id}/timeline", s.page(s.timelineMore))
	m.HandleFunc("POST /customers/{id}/activity", s.page(s.logActivity))
	m.HandleFunc("POST /leads/{id}/activity", s.page(s.logActivity))
	m.HandleFunc("POST /customers/{id}/merge", s.page(s.merge))
	m.HandleFunc("POST /leads/{id}/convert", s.page(s.convert))
	m.HandleFunc("POST /contacts/{id}/consent", s.page(s.consent))

	// Imports.
	m.HandleFunc("GET /imports/{id}", s.page(s.importRun))
	m.HandleFunc("GET /imports/{id}/progress", s.page(s.importProgress))
	m.HandleFunc("GET /imports/{id}/report.csv", s.page(s.importReport))
	m.HandleFunc("GET /imports/{id}/report.xlsx", s.page(s.importReport))
	m.HandleFunc("POST /imports/{id}/rerun", s.page(s.importRerun))

	// Settings (admins).
	m.HandleFunc("GET /settings", s.adminPage(s.settingsIndex))
	m.HandleFunc("POST /settings/users/{id}/password", s.adminPage(s.userPassword))
	m.HandleFunc("POST /settings/users/{id}/totp/disable", s.adminPage(s.userTOTPDisable))
	m.HandleFunc("GET /settings/roles", s.adminPage(s.rolesPage))
	m.HandleFunc("GET /settings/roles/new", s.adminPage(s.roleEdit))
	m.HandleFunc("GET /settings/roles/{code}", s.adminPage(s.roleEdit))
	m.HandleFunc("POST /settings/roles/{code}", s.adminPage(s.roleSave))
	m.HandleFunc("POST /settings/roles/{code}/delete", s.adminPage(s.roleDelete))
	m.HandleFunc("GET /settings/picklists", s.adminPage(s.picklistsPage))
	m.HandleFunc("GET /settings/picklists/{list}", s.adminPage(s.picklistEdit))
	m.HandleFunc("POST /settings/picklists/{list}", s.adminPage(s.picklistSave))
	m.HandleFunc("GET /settings/fields", s.adminPage(s.fieldsPage))
	m.HandleFunc("POST /settings/fields", s.adminPage(s.fieldAdd))
	m.HandleFunc("POST /settings/fields/{entity}/{name}/delete", s.adminPage(s.fieldDelete))
	m.HandleFunc("GET /settings/pool", s.adminPage(s.poolRulesPage))
	m.HandleFunc("POST /settings/pool", s.adminPage(s.poolRulesSave))
	m.HandleFunc("GET /settings/audit", s.adminPage(s.auditPage))

	// Account.
	m.HandleFunc("GET /account", s.page(s.account))
	m.HandleFunc("POST /account/lang", s.page(s.accountLang))
	m.HandleFunc("POST /account/password", s.page(s.accountPassword))
	m.HandleFunc("POST /account/totp", s.page(s.accountTOTP))
	m.HandleFunc("POST /account/totp/confirm", s.page(s.accountTOTPConfirm))
	m.HandleFunc("POST /account/totp/disable", s.page(s.accountTOTPDisable))
	m.HandleFunc("POST /account/tokens", s.page(s.tokenCreate))
	m.HandleFunc("POST /account/tokens/{id}/revoke", s.page(s.tokenRevoke))

	// Everything else: a friendly 404 (or 405 when another method exists).
	m.HandleFunc("/", s.public(s.notFound))
}
