package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"closeloop/internal/api"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/importer"
	"closeloop/internal/sheet"
)

// importPage is the upload form of an import.
type importPage struct {
	*base
	Heading, Action, Back string
	Keys                  []option
	Columns               []string
	DryRun, AllowDup      bool
	Mode                  string
	Error                 string
	MaxMB                 int
}

func (s *Server) importForm(c *rc, e *entity.Entity) (*importPage, error) {
	perm := c.p.Perm(e.Name)
	if !perm.Import || !perm.Create {
		return nil, errs.Denied()
	}
	ip := &importPage{base: c.newBase(c.T("imp.title", "entity", e.Plural.In(c.L)), e.Resource), Action: basePath(e) + "/import", Back: basePath(e),
		DryRun: true, Mode: string(importer.AllOrNothing), MaxMB: importer.MaxUpload >> 20}
	ip.Heading = ip.Title
	ip.Crumbs = []link{{Text: e.Plural.In(c.L), Href: basePath(e)}, {Text: c.T("list.import")}}
	ip.Keys = []option{{Value: "", Label: c.T("imp.key_none")}, {Value: "id", Label: c.T("imp.key_id")}}
	for _, f := range e.FieldsWith(entity.Unique) {
		ip.Keys = append(ip.Keys, option{Value: f.Name, Label: f.Label.In(c.L)})
	}
	for _, f := range e.FieldsWith(entity.Import) {
		label := f.Label.In(c.L)
		if f.Required && f.Default == nil {
			label += " *"
		}
		ip.Columns = append(ip.Columns, label)
	}
	return ip, nil
}

func (s *Server) importPage(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	ip, err := s.importForm(c, e)
	if err != nil {
		return err
	}
	return c.render(http.StatusOK, "import", ip)
}

// importPost stores the upload and starts the import as a background job.
func (s *Server) importPost(c *rc) error {
	e, err := c.entityOf()
	if err != nil {
		return err
	}
	ip, err := s.importForm(c, e)
	if err != nil {
		return err
	}
	fail := func(msg string) error {
		ip.Error = msg
		return c.render(http.StatusUnprocessableEntity, "import", ip)
	}
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, importer.MaxUpload+1<<20)
	if err := c.r.ParseMultipartForm(8 << 20); err != nil {
		return fail(c.fieldText(e, errs.FieldError{Field: "file", Code: "file_too_large", Args: map[string]any{"max_mb": importer.MaxUpload >> 20}}))
	}
	vals := c.r.MultipartForm.Value
	get := func(k string) string {
		if v := vals[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	ip.DryRun, ip.AllowDup, ip.Mode = get("dry_run") == "1", get("allow_duplicates") == "1", get("mode")
	for i := range ip.Keys {
		ip.Keys[i].Selected = ip.Keys[i].Value == get("key")
	}
	file, hdr, err := c.r.FormFile("file")
	if err != nil {
		return fail(c.fieldText(e, errs.FieldError{Field: "file", Code: "required"}))
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return fail(c.fieldText(e, errs.FieldError{Field: "file", Code: "import_unreadable"}))
	}
	opt, err := api.ImportOptions(e, vals, c.L)
	if err == nil {
		if opt.Mode == "" {
			opt.Mode = importer.AllOrNothing
		}
		var id string
		id, err = s.app.Imports.Start(c.ctx(), c.p, hdr.Filename, data, opt)
		if err == nil {
			return c.redirect("/imports/" + id)
		}
	}
	ee := errs.As(err)
	if ee == nil || ee.Kind == errs.Internal || ee.Kind == errs.Forbidden {
		return err
	}
	var msgs []string
	for _, fe := range ee.Fields {
		msgs = append(msgs, c.fieldText(e, fe))
	}
	if len(msgs) == 0 {
		msgs = append(msgs, c.errText(err))
	}
	return fail(strings.Join(msgs, " "))
}

// runPage shows an import's progress, then its report.
type runPage struct {
	*base
	Run       *importer.RunInfo
	Entity    string
	Back      string
	Progress  *runProgress
	Columns   []colMap
	Errors    []importer.RowError
	MoreErrs  int
	ReportCSV string
	ReportXLS string
	Rerun     string
	Finished  string
	Failed    bool
	Summary   string
}

type runProgress struct {
	URL, Label, Count string
	Value, Max        int
	Polling           bool
}

type colMap struct {
	Header, Field, Note string
	Ignored             bool
}

// shownErrors bounds the rejected rows shown on the page; the downloadable
// report has them all.
const shownErrors = 500

func (s *Server) loadRun(c *rc) (*importer.RunInfo, *entity.Entity, error) {
	id := strings.ToLower(c.r.PathValue("id"))
	if !entity.LooksLikeID(id) {
		return nil, nil, errs.NotFoundf("import")
	}
	ri, err := s.app.Imports.Get(c.ctx(), c.p, id)
	if err != nil {
		return nil, nil, err
	}
	e := c.schema.Entity(ri.Entity)
	if e == nil {
		return nil, nil, errs.NotFoundf("import")
	}
	return ri, e, nil
}

func (c *rc) progressOf(ri *importer.RunInfo) *runProgress {
	rp := &runProgress{URL: "/imports/" + ri.ID + "/progress", Label: c.T("imp.status." + ri.Status), Polling: ri.Status == "queued" || ri.Status == "running"}
	rp.Count = c.T("imp.processed", "n", formatInt(ri.Processed))
	if ri.Total > 0 {
		rp.Value, rp.Max = ri.Processed, ri.Total
		rp.Count = formatInt(ri.Processed) + " / " + formatInt(ri.Total)
	}
	return rp
}

func (s *Server) importRun(c *rc) error {
	ri, e, err := s.loadRun(c)
	if err != nil {
		return err
	}
	rp := &runPage{base: c.newBase(c.T("imp.run_title", "entity", e.Plural.In(c.L)), e.Resource), Run: ri, Entity: e.Plural.In(c.L), Back: basePath(e)}
	rp.Crumbs = []link{{Text: e.Plural.In(c.L), Href: basePath(e)}, {Text: c.T("list.import"), Href: basePath(e) + "/import"}, {Text: ri.FileName}}
	rp.Progress = c.progressOf(ri)
	rp.Failed = ri.Status == "failed"
	if ri.FinishedAt != nil {
		rp.Finished = c.fmtTime(*ri.FinishedAt)
	}
	if rep := ri.Report; rep != nil {
		for _, col := range rep.Columns {
			cm := colMap{Header: col.Header, Ignored: col.Field == ""}
			if col.Note != "" {
				cm.Note = col.Note
				if hasKey(c.L, "imp.note."+col.Note) {
					cm.Note = c.T("imp.note." + col.Note)
				}
			}
			if f := e.Field(col.Field); f != nil {
				cm.Field = f.Label.In(c.L)
			} else {
				cm.Field = col.Field
			}
			rp.Columns = append(rp.Columns, cm)
		}
		rp.Errors = rep.Errors
		if len(rp.Errors) > shownErrors {
			rp.MoreErrs = len(rp.Errors) - shownErrors
			rp.Errors = rp.Errors[:shownErrors]
		}
		rp.ReportCSV, rp.ReportXLS = "/imports/"+ri.ID+"/report.csv", "/imports/"+ri.ID+"/report.xlsx"
		switch {
		case rep.DryRun:
			rp.Summary = c.T("imp.summary_dry", "total", formatInt(rep.Total), "ok", formatInt(rep.Created+rep.Updated), "rejected", formatInt(rep.Rejected))
		case rep.Written:
			rp.Summary = c.T("imp.summary_done", "created", formatInt(rep.Created), "updated", formatInt(rep.Updated), "rejected", formatInt(rep.Rejected))
		default:
			rp.Summary = c.T("imp.summary_nothing", "rejected", formatInt(rep.Rejected))
		}
		if rep.DryRun && ri.Status == "done" {
			rp.Rerun = "/imports/" + ri.ID + "/rerun"
		}
	}
	return c.render(http.StatusOK, "import_run", rp)
}

// importProgress is the polled fragment; when the run ends the page
// reloads to show the report.
func (s *Server) importProgress(c *rc) error {
	ri, _, err := s.loadRun(c)
	if err != nil {
		return err
	}
	rp := c.progressOf(ri)
	if !rp.Polling && c.htmx() {
		c.w.Header().Set("HX-Refresh", "true")
	}
	type frag struct {
		*base
		Progress *runProgress
	}
	return c.fragment(http.StatusOK, "import_run", "import_progress", frag{base: c.newBase("", ""), Progress: rp})
}

// importReport downloads the rejected rows as CSV or XLSX.
func (s *Server) importReport(c *rc) error {
	ri, _, err := s.loadRun(c)
	if err != nil {
		return err
	}
	if ri.Report == nil {
		return errs.New(errs.Unprocessable, "import_not_finished")
	}
	format := sheet.CSV
	if strings.HasSuffix(c.r.URL.Path, ".xlsx") {
		format = sheet.XLSX
	}
	var buf bytes.Buffer
	if err := importer.WriteReport(ri.Report, format, c.L, &buf); err != nil {
		return err
	}
	api.WriteDownload(c.w, fmt.Sprintf("import-report-%s-%s.%s", ri.ID[:8], time.Now().In(s.app.Loc).Format("20060102"), format), format, buf.Bytes())
	return nil
}

// importRerun applies a clean dry run for real (same file and options).
func (s *Server) importRerun(c *rc) error {
	ri, _, err := s.loadRun(c)
	if err != nil {
		return err
	}
	id, err := s.app.Imports.Rerun(c.ctx(), c.p, ri.ID, false)
	if err != nil {
		return c.processFailed(err, "/imports/"+ri.ID)
	}
	return c.redirect("/imports/" + id)
}
