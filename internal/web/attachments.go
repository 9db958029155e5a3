package web

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"closeloop/internal/access"
	"closeloop/internal/api"
	"closeloop/internal/attachments"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

// The attachments card on every record's page (upload, list, download,
// delete with confirmation, restore), the download route, and the
// knowledge articles linked from an opportunity. Everything goes through
// the attachments service, which checks the record's visibility with the
// user's principal, exactly as for the API.

func init() {
	areaRoutes = append(areaRoutes, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("POST /attachments", s.page(s.attachmentUpload))
		m.HandleFunc("GET /attachments/{id}/download", s.page(s.attachmentDownload))
		m.HandleFunc("POST /attachments/{id}/delete", s.page(s.attachmentDelete))
		m.HandleFunc("POST /attachments/{id}/restore", s.page(s.attachmentRestore))
	})
	onDetail("*", attachmentsCard)
	onDetail("opportunity", knowledgeCard)
}

type attachmentsView struct {
	*base
	Entity, RecordID string
	Items, Deleted   []attachmentRow
	Upload           bool
	MaxMB            string
}

type attachmentRow struct {
	Name, Size, By, At string
	Download, View     string
	Delete, Restore    string
}

// attachmentsCard adds the card to a record's page.
func attachmentsCard(s *Server, c *rc, rec entity.Record, dp *detailPage) error {
	active, deleted, canChange, err := s.app.Files.ForRecord(c.ctx(), c.p, dp.Entity, rec.ID())
	if err != nil {
		if k := errs.KindOf(err); k == errs.NotFound || k == errs.Forbidden {
			return nil
		}
		return err
	}
	v := &attachmentsView{base: dp.base, Entity: dp.Entity, RecordID: rec.ID(), Upload: canChange && !c.p.ReadOnly, MaxMB: attachments.FormatMB(s.app.Files.MaxSize)}
	var users []string
	for _, a := range append(active, deleted...) {
		users = append(users, a.CreatedBy, a.DeletedBy)
	}
	rf := c.resolve(nil, users)
	row := func(a attachments.Attachment) attachmentRow {
		base := "/attachments/" + a.ID
		r := attachmentRow{Name: a.Name, Size: humanSize(a.Size), At: c.fmtTime(a.CreatedAt), Download: base + "/download"}
		r.By, _ = rf.title("user", a.CreatedBy)
		if attachments.Inline(a.ContentType) {
			r.View = base + "/download?inline=1"
		}
		if canChange {
			r.Delete, r.Restore = base+"/delete", base+"/restore"
		}
		if a.DeletedAt != nil {
			by, _ := rf.title("user", a.DeletedBy)
			r.At = c.T("att.deleted_at", "at", c.fmtTime(*a.DeletedAt))
			if by != "" {
				r.At += " · " + by
			}
		}
		return r
	}
	for _, a := range active {
		v.Items = append(v.Items, row(a))
	}
	for _, a := range deleted {
		v.Deleted = append(v.Deleted, row(a))
	}
	html, err := c.partial("attachments", v)
	if err != nil {
		return err
	}
	dp.Panels = append(dp.Panels, html)
	return nil
}

// humanSize writes a byte count for people (binary units, like the limit).
func humanSize(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KB"
	case n < 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	}
	return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GB"
}

// recordPage is where to return after a change to a record's attachments.
func (c *rc) recordPage(entityName, id string) string {
	if h := c.recordHref(entityName, id); h != "" {
		return string(h) + "#attachments"
	}
	return "/"
}

// attachmentUpload stores an upload from the card and returns to the
// record, with the outcome as a flash in the user's language.
func (s *Server) attachmentUpload(c *rc) error {
	svc := s.app.Files
	body := c.r.Body
	up, err := api.ReadUpload(c.w, c.r, svc.MaxSize, svc.TooLarge)
	var ent, rid string
	if up != nil {
		ent, rid = up.Fields["entity"], up.Fields["record_id"]
	}
	// Refusals return to the top of the record's page, where the message
	// is (the card further down would hide it); success returns to the
	// card, where the new file is listed.
	back := strings.TrimSuffix(c.recordPage(ent, rid), "#attachments")
	if back == "/" {
		back = c.refererPath()
	}
	if err != nil {
		if errs.CodeOf(err) == "validation" && errs.As(err).Fields[0].Code == "file_too_large" {
			// Read what the browser is still sending (bounded), so that it
			// sees the answer instead of a reset connection.
			_, _ = io.Copy(io.Discard, io.LimitReader(body, min(4*svc.MaxSize+1<<20, 256<<20)))
		}
		c.flash("error", c.errText(err))
		return c.redirect(back)
	}
	a, err := svc.Upload(c.ctx(), c.p, ent, rid, up.Name, up.Data)
	if err != nil {
		if k := errs.KindOf(err); k == errs.NotFound || k == errs.Internal {
			return err
		}
		c.flash("error", c.errText(err))
		return c.redirect(back)
	}
	c.flash("success", c.T("att.uploaded", "name", a.Name))
	return c.redirect(c.recordPage(a.Entity, a.RecordID))
}

// refererPath is the same-site page a form was posted from, or "/".
func (c *rc) refererPath() string {
	u, err := url.Parse(c.r.Referer())
	if err != nil || u.Host != c.r.Host {
		return "/"
	}
	return safeNext(u.RequestURI())
}

func (s *Server) attachmentDownload(c *rc) error {
	return api.ServeAttachment(s.app.Files, c.w, c.r, c.p, c.r.PathValue("id"))
}

func (s *Server) attachmentDelete(c *rc) error {
	a, err := s.app.Files.Get(c.ctx(), c.p, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.app.Files.Delete(c.ctx(), c.p, a.ID); err != nil {
		return err
	}
	c.flash("success", c.T("att.removed", "name", a.Name))
	return c.redirect(c.recordPage(a.Entity, a.RecordID))
}

func (s *Server) attachmentRestore(c *rc) error {
	a, err := s.app.Files.Restore(c.ctx(), c.p, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	c.flash("success", c.T("att.restored", "name", a.Name))
	return c.redirect(c.recordPage(a.Entity, a.RecordID))
}

type knowledgeView struct {
	*base
	Articles []knowledgeRow
	Browse   string
	CanEdit  bool
}

type knowledgeRow struct {
	Title, Href, Category, Summary string
	Public                         bool
}

// knowledgeCard lists the knowledge articles an opportunity links to
// (its knowledge_articles field), as links, beside the record.
func knowledgeCard(s *Server, c *rc, rec entity.Record, dp *detailPage) error {
	ke := c.schema.Entity("knowledge_article")
	if ke == nil || c.p.Perm(ke.Name).Read == access.None {
		return nil
	}
	ids := rec.List("knowledge_articles")
	v := &knowledgeView{base: dp.base, Browse: basePath(ke), CanEdit: dp.EditHref != ""}
	if len(ids) > 0 {
		vals := make([]any, len(ids))
		for i, id := range ids {
			vals[i] = id
		}
		q, err := c.schema.ParseQuery(ke, url.Values{"limit": {strconv.Itoa(entity.MaxLimit)}})
		if err != nil {
			return err
		}
		q.Conds = append(q.Conds, entity.Cond{Field: ke.Field("id"), Op: entity.In, Values: vals})
		page, err := s.app.Records.List(c.ctx(), c.p, ke.Name, q)
		if err != nil {
			return err
		}
		byID := map[string]entity.Record{}
		for _, r := range page.Items {
			byID[r.ID()] = r
		}
		cat := ke.Field("category")
		for _, id := range ids { // in the order they were linked
			r, ok := byID[id]
			if !ok {
				continue // deleted, or not visible
			}
			v.Articles = append(v.Articles, knowledgeRow{Title: r.Str("title"), Href: string(c.recordHref(ke.Name, id)),
				Category: c.schema.OptionLabel(cat, r.Str("category"), c.L), Summary: r.Str("summary"), Public: r.Str("audience") == "public"})
		}
	}
	if len(v.Articles) == 0 && !v.CanEdit {
		return nil
	}
	html, err := c.partial("knowledge_links", v)
	if err != nil {
		return err
	}
	dp.Side = append(dp.Side, html)
	return nil
}
