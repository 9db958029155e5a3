package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"closeloop/internal/app"
	"closeloop/internal/crm"
	"closeloop/internal/demo/zhdata"
	"closeloop/internal/entity"
	"closeloop/internal/importer"
	"closeloop/internal/records"
	"closeloop/internal/search"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

// importHeader is the header row of the customer sheet a sales team keeps,
// in Chinese as they write it.
var importHeader = []string{"客户名称", "简称", "客户类型", "客户级别", "客户状态", "行业", "客户来源", "规模", "地区", "地址", "总机电话", "网址", "资信", "标签", "备注", "负责人"}

// WriteImportFile writes a customer sheet of n rows (CSV or XLSX by the
// file name): unique company names and phone numbers (so duplicate detection
// rejects none), Chinese option labels as people type
// them, owners by e-mail.
func WriteImportFile(path string, n int, org *Org, schema *entity.Schema, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := sheet.NewWriter(sheet.DetectFormat(path, nil), bw, "客户")
	if err != nil {
		return err
	}
	ce := schema.Entity("customer")
	label := func(field, code string) string {
		if code == "" {
			return ""
		}
		for _, o := range schema.Options(ce.Field(field)) {
			if o.Code == code {
				return o.Label.Zh
			}
		}
		return code
	}
	if err := w.Row(importHeader); err != nil {
		return err
	}
	fk := zhdata.New(seed, 1<<42)
	seen := map[string]bool{}
	for range n {
		city := fk.City()
		ind := fk.Industry()
		var co zhdata.Company
		for {
			co = fk.Company(ind, city)
			if k := crm.NormalizeCompany(co.Name); !seen[k] {
				seen[k] = true
				break
			}
		}
		phone := fk.Landline(city)
		for seen["tel:"+phone] {
			phone = fk.Landline(city)
		}
		seen["tel:"+phone] = true
		owner := org.Reps[org.pickRep(fk)]
		var tags string
		if t := fk.TagsFor(); t != nil {
			tags = strings.Join(t, "、")
		}
		row := []string{co.Name, co.Short, "企业", fk.Pick(zhdata.LevelWeights), label("status", fk.Pick(zhdata.StatusWeights)),
			label("industry", ind), label("source", fk.Pick(zhdata.SourceWeights)), label("scale", fk.Scale()), city.Region(),
			fk.Address(city), phone, "", label("credit", fk.Credit()), tags, "", owner.Email}
		if fk.Chance(0.4) {
			row[11] = "www." + fk.Domain(co)
		}
		if fk.Chance(0.3) {
			row[14] = fk.CompanyNote()
		}
		if err := w.Row(row); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// ImportReport is one import run.
type ImportReport struct {
	File     string
	Rows     int
	Created  int
	Rejected int
	Elapsed  time.Duration
	// Peak is the process's peak resident memory during the import
	// (VmHWM after resetting it just before), bytes.
	Peak int64
	// Base is the resident memory just before the import, bytes.
	Base int64
	// Raw is the same rows read with the same reader and inserted as plain
	// customer rows in one transaction; RawAll adds the audit, search and
	// timeline rows the product also writes.
	Raw, RawAll time.Duration
}

// ImportFile imports a customer sheet as the administrator through the
// importer (all-or-nothing, duplicate detection on), measuring time and
// peak memory.
func ImportFile(ctx context.Context, a *app.App, org *Org, path string) (ImportReport, error) {
	rep := ImportReport{File: path}
	p, err := a.DB.LoadPrincipal(ctx, org.Admin.ID)
	if err != nil {
		return rep, err
	}
	f, err := os.Open(path)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return rep, err
	}
	runtime.GC()
	debug.FreeOSMemory()
	if err := ResetPeak(); err != nil {
		return rep, fmt.Errorf("bench: reset peak memory: %w", err)
	}
	rep.Base, _, _ = SelfMem()
	start := time.Now()
	r, err := a.Importer.Import(ctx, p, f, st.Size(), path, importer.Options{Entity: "customer", Mode: importer.AllOrNothing}, nil)
	rep.Elapsed = time.Since(start)
	_, rep.Peak, _ = SelfMem()
	if err != nil {
		return rep, err
	}
	rep.Rows, rep.Created, rep.Rejected = r.Total, r.Created, r.Rejected
	if r.Rejected > 0 && len(r.Errors) > 0 {
		return rep, fmt.Errorf("bench: %d rows rejected, first: row %d %s", r.Rejected, r.Errors[0].Row, r.Errors[0].Message)
	}
	return rep, nil
}

// RawImport reads the sheet with the same reader and writes its rows
// directly: customer rows only (all=false) or with the audit, search and
// timeline rows (all=true), in one committed transaction. Nothing is
// validated or checked for duplicates, so it may run after the product's
// import of the same file.
func RawImport(ctx context.Context, a *app.App, org *Org, path string, all bool) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	db := a.DB
	s := db.Schema()
	ce := s.Entity("customer")
	byEmail := map[string]User{}
	for _, u := range org.Reps {
		byEmail[u.Email] = u
	}
	rules, _, err := a.Customers.PoolRules(ctx, db.R())
	if err != nil {
		return 0, err
	}
	fields := []string{"name", "short_name", "kind", "level", "status", "industry", "source", "scale", "region", "address", "phone", "website", "credit", "tags", "notes"}
	start := time.Now()
	err = db.WriteAlone(ctx, func(tx *store.Tx) error {
		rd, err := sheet.Open(f, st.Size(), path)
		if err != nil {
			return err
		}
		defer rd.Close()
		for {
			cells, _, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			r := entity.Record{}
			for i, name := range fields {
				if i < len(cells) && cells[i] != "" {
					v, fe := s.ParseText(ce.Field(name), cells[i])
					if fe == nil {
						r[name] = v
					}
				}
			}
			u := byEmail[cells[len(fields)]]
			now := store.Now()
			r["id"], r["version"] = store.NewID(), int64(1)
			r["created_at"], r["updated_at"], r["created_by"], r["updated_by"] = now, now, org.Admin.ID, org.Admin.ID
			r["owner_id"], r["team_id"] = u.ID, u.Team
			r["name_norm"] = crm.NormalizeCompany(r.Str("name"))
			if due, ok := crm.PoolDue(rules, "customer", r.Str("level"), time.Time{}, now); ok && r.Str("status") != crm.StatusWon {
				r["pool_due_at"] = entity.CanonTime(due)
			}
			if err := db.Insert(ctx, tx, ce, r); err != nil {
				return err
			}
			if !all {
				continue
			}
			if err := db.Audit(ctx, tx, store.AuditEntry{ActorID: org.Admin.ID, Entity: "customer", RecordID: r.ID(), Action: "create", Changes: auditChanges(ce, r)}); err != nil {
				return err
			}
			toks := append(search.Tokens(records.SearchParts(ce, r)), store.VisTokens("customer", []string{u.ID}, []string{u.Team}, false)...)
			if err := db.IndexDoc(ctx, tx, "customer", r.ID(), toks); err != nil {
				return err
			}
			if err := db.AddEvent(ctx, tx, store.Event{CustomerID: r.ID(), ActorID: org.Admin.ID, Kind: "created", Entity: "customer", RecordID: r.ID(),
				Data: map[string]any{"title": r.Str("name")}}); err != nil {
				return err
			}
		}
		return nil
	})
	return time.Since(start), err
}
