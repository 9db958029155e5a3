package web

import (
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// pool is the shared pool (公海): unowned customers and leads, as the
// generic list with the unowned condition imposed and claim buttons.
func (s *Server) pool(c *rc) error {
	var pooled []*entity.Entity
	for _, e := range c.schema.Entities() {
		if e.Vis.Pool && c.p.Perm(e.Name).Read != access.None {
			pooled = append(pooled, e)
		}
	}
	if len(pooled) == 0 {
		return errs.Denied()
	}
	cur := pooled[0]
	if t := c.r.URL.Query().Get("tab"); t != "" {
		cur = nil
		for _, e := range pooled {
			if e.Resource == t {
				cur = e
			}
		}
		if cur == nil {
			return errs.NotFoundf(t)
		}
	}
	var tabs []tab
	for _, e := range pooled {
		tabs = append(tabs, tab{Text: e.Plural.In(c.L), Href: "/pool?tab=" + e.Resource, Current: e == cur})
	}
	o := listOpts{
		action: "/pool",
		ignore: []string{"tab"},
		pool:   true,
		extra:  []entity.Cond{{Field: cur.Field("owner_id"), Op: entity.Empty, Values: []any{true}}},
		tabs:   tabs,
	}
	return s.renderList(c, cur, o)
}

// recordOf resolves the entity and id of a process route.
func (c *rc) recordOf() (*entity.Entity, string, error) {
	e, err := c.entityOf()
	if err != nil {
		return nil, "", err
	}
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return nil, "", errs.NotFoundf(e.Name)
	}
	return e, id, nil
}

// processFailed shows a refused process as a flash on the page the user
// came from; internal errors and missing records get the error page.
func (c *rc) processFailed(err error, back string) error {
	switch errs.KindOf(err) {
	case errs.Internal, errs.NotFound:
		return err
	}
	c.flash("error", c.errText(err))
	return c.back(back)
}

// claim takes a record from the pool (cap, cool-down and "already taken"
// are refused by the service with their reasons).
func (s *Server) claim(c *rc) error {
	e, id, err := c.recordOf()
	if err != nil {
		return err
	}
	back := basePath(e) + "/" + id
	rec, err := s.app.Customers.Claim(c.ctx(), c.p, e.Name, id)
	if err != nil {
		return c.processFailed(err, back)
	}
	c.flash("success", c.T("pool.claimed", "title", rec.Str(e.Title)))
	return c.back(back)
}

func (s *Server) release(c *rc) error {
	e, id, err := c.recordOf()
	if err != nil {
		return err
	}
	back := basePath(e) + "/" + id
	rec, err := s.app.Customers.Release(c.ctx(), c.p, e.Name, id, c.r.PostFormValue("reason"))
	if err != nil {
		if ee := errs.As(err); ee != nil && ee.Code == "validation" && len(ee.Fields) > 0 {
			c.flash("error", c.T("pool.release_reason_required"))
			return c.redirect(back)
		}
		return c.processFailed(err, back)
	}
	c.flash("success", c.T("pool.released", "title", rec.Str(e.Title)))
	return c.redirect(back)
}

// assignOne hands one record to a user.
func (s *Server) assignOne(c *rc) error {
	e, id, err := c.recordOf()
	if err != nil {
		return err
	}
	back := basePath(e) + "/" + id
	return s.assign(c, e, []string{id}, back)
}

// bulkAssign hands the selected rows of a list to a user.
func (s *Server) bulkAssign(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	if err := c.r.ParseForm(); err != nil {
		return errs.New(errs.Invalid, "validation")
	}
	var ids []string
	for _, id := range c.r.PostForm["ids"] {
		id = strings.ToLower(strings.TrimSpace(id))
		if entity.LooksLikeID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		c.flash("error", c.T("list.bulk_none"))
		return c.back(basePath(e))
	}
	return s.assign(c, e, ids, basePath(e))
}

func (s *Server) assign(c *rc, e *entity.Entity, ids []string, back string) error {
	owner := strings.ToLower(strings.TrimSpace(c.r.PostFormValue("owner_id")))
	if !entity.LooksLikeID(owner) {
		c.flash("error", c.T("assign.pick"))
		return c.back(back)
	}
	n, err := s.app.Customers.Assign(c.ctx(), c.p, e.Name, ids, owner)
	if err != nil {
		if ee := errs.As(err); ee != nil && ee.Code == "validation" && len(ee.Fields) > 0 {
			c.flash("error", c.fieldText(e, ee.Fields[0]))
			return c.back(back)
		}
		return c.processFailed(err, back)
	}
	names, _ := s.app.Customers.UserNames(c.ctx(), []string{owner})
	c.flash("success", c.T("assign.done", "n", n, "name", names[owner]))
	// After handing a record away the user may no longer see it.
	if len(ids) == 1 {
		if _, err := s.app.Records.Get(c.ctx(), c.p, e.Name, ids[0]); err != nil {
			return c.redirect(basePath(e))
		}
	}
	return c.back(back)
}
