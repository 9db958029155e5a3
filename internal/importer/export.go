package importer

import (
	"context"
	"io"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/i18n"
	"closeloop/internal/records"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

// ExportColumns are the exported fields of an entity, in order.
func ExportColumns(e *entity.Entity) []*entity.Field {
	var out []*entity.Field
	for _, f := range e.Fields {
		if f.Has(entity.Export) && !f.Has(entity.Virtual) {
			out = append(out, f)
		}
	}
	return out
}

// Export writes every record matching q that p may see, masked as p sees
// them, as CSV or XLSX with headers in lang. Relations are written by name
// so the file can be imported again. The export itself is audited (who took
// which data out). It returns the number of rows written.
func (s *Service) Export(ctx context.Context, p *access.Principal, entityName string, q entity.Query, format sheet.Format, lang i18n.Lang, w io.Writer) (int, error) {
	e, err := s.R.Entity(entityName)
	if err != nil {
		return 0, err
	}
	schema := s.R.Schema()
	cols := ExportColumns(e)
	sw, err := sheet.NewWriter(format, w, e.Plural.In(lang))
	if err != nil {
		return 0, err
	}
	header := make([]string, len(cols))
	for i, f := range cols {
		header[i] = f.Label.In(lang)
	}
	if err := sw.Row(header); err != nil {
		return 0, err
	}
	names := newNameCache(s.R, p)
	n := 0
	err = s.R.Each(ctx, p, entityName, q, func(r entity.Record) error {
		row := make([]string, len(cols))
		for i, f := range cols {
			v := r[f.Name]
			switch f.Kind {
			case entity.Ref, entity.User:
				row[i] = names.title(ctx, f, v)
			case entity.Refs:
				ids, _ := v.([]string)
				var parts []string
				for _, id := range ids {
					one := *f
					one.Kind = entity.Ref
					if f.Ref == "user" {
						one.Kind = entity.User
					}
					parts = append(parts, names.title(ctx, &one, id))
				}
				row[i] = joinList(parts)
			default:
				row[i] = schema.Format(f, v, lang, s.R.Loc)
			}
		}
		n++
		return sw.Row(row)
	})
	if err != nil {
		return n, err
	}
	if err := sw.Close(); err != nil {
		return n, err
	}
	_ = s.R.DB.Audit(context.WithoutCancel(ctx), s.R.DB.W(), store.AuditEntry{ActorID: p.UserID, Entity: entityName, RecordID: "-", Action: "export",
		Changes: map[string]store.Change{"rows": {New: n}, "format": {New: string(format)}, "at": {New: time.Now().UTC()}}, RequestID: records.RequestID(ctx)})
	return n, nil
}

func joinList(parts []string) string {
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += "、"
		}
		out += p
	}
	return out
}

// nameCache maps ids to the names written in exports (users by name, teams
// and records by title), loading each id once.
type nameCache struct {
	r *records.Service
	p *access.Principal
	m map[string]string
}

func newNameCache(r *records.Service, p *access.Principal) *nameCache {
	return &nameCache{r: r, p: p, m: map[string]string{}}
}

func (c *nameCache) title(ctx context.Context, f *entity.Field, v any) string {
	id, _ := v.(string)
	if id == "" {
		return ""
	}
	target := f.Ref
	if f.Kind == entity.User {
		target = "user"
	}
	k := target + "\x00" + id
	if t, ok := c.m[k]; ok {
		return t
	}
	t := id
	if e := c.r.Schema().Entity(target); e != nil {
		if rec, err := c.r.DB.Get(ctx, c.r.DB.R(), e, id, nil, true); err == nil {
			t = rec.Str(e.Title)
		}
	}
	c.m[k] = t
	return t
}
