package admin_test

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"closeloop/internal/admin"
	"closeloop/internal/apptest"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/pdfdoc"
	"closeloop/internal/pdfdoc/pdftest"
	"closeloop/internal/store"
)

var company = pdfdoc.Company{Name: "闭环软件（杭州）有限公司", NameEn: "Closeloop Software Ltd.", Address: "杭州市西湖区文三路 90 号",
	Phone: "0571-8888 6666", Email: "sales@closeloop.test", Website: "https://closeloop.test", TaxNumber: "91330106MA2H00001X",
	BankName: "招商银行杭州分行", BankAccount: "5719 0000 0000 0001"}

func fieldCodes(err error) map[string]string {
	out := map[string]string{}
	if e := errs.As(err); e != nil {
		for _, fe := range e.Fields {
			out[fe.Field] = fe.Code
		}
	}
	return out
}

func TestCompanySettings(t *testing.T) {
	f := apptest.NewFixture(t)
	ad := f.App.Admin
	// Unset: an empty letterhead, no error.
	if c, err := ad.Company(ctx); err != nil || c.Name != "" || c.Logo != nil {
		t.Fatalf("unset: %+v %v", c, err)
	}
	if err := ad.SaveCompany(ctx, f.Rep1, company); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep changed the letterhead: %v", err)
	}
	bad := company
	bad.Name, bad.Email, bad.Phone = "  ", "not-an-address", strings.Repeat("1", 51)
	got := fieldCodes(ad.SaveCompany(ctx, f.Admin, bad))
	if got["name"] != "required" || got["email"] != "invalid_email" || got["phone"] != "too_long" {
		t.Errorf("validation: %v", got)
	}
	in := company
	in.Address = "  杭州市西湖区文三路\t90 号\n" // one line on a letterhead
	if err := ad.SaveCompany(ctx, f.Admin, in); err != nil {
		t.Fatal(err)
	}
	c, err := ad.Company(ctx)
	if err != nil || c.Name != company.Name || c.Address != company.Address || c.BankAccount != company.BankAccount {
		t.Errorf("read back: %+v %v", c, err)
	}
	changed := company
	changed.Phone = "0571-6666 8888"
	if err := ad.SaveCompany(ctx, f.Admin, changed); err != nil {
		t.Fatal(err)
	}
	entries, _ := ad.Audit(ctx, f.Admin, store.AuditFilter{Entity: "settings", RecordID: "company"})
	if len(entries) != 2 || entries[0].Changes["phone"].New != "0571-6666 8888" || len(entries[0].Changes) != 1 {
		t.Errorf("audit: %+v", entries)
	}
}

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCompanyLogo(t *testing.T) {
	f := apptest.NewFixture(t)
	ad := f.App.Admin
	if err := ad.SaveCompany(ctx, f.Admin, company); err != nil {
		t.Fatal(err)
	}
	// A 16-bit PNG, which the PDF writer would refuse as it is.
	deep := image.NewNRGBA64(image.Rect(0, 0, 300, 100))
	for x := 0; x < 300; x++ {
		for y := 0; y < 100; y++ {
			deep.Set(x, y, color.NRGBA64{R: 0x1600, G: 0x5d00, B: 0xff00, A: uint16(x * 200)})
		}
	}
	var jpg, gf bytes.Buffer
	_ = jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 80, 40)), nil)
	_ = gif.Encode(&gf, image.NewPaletted(image.Rect(0, 0, 10, 10), []color.Color{color.Black}), nil)
	for _, c := range []struct {
		name string
		data []byte
		code string
	}{
		{"empty", nil, "file_empty"},
		{"too large", append(pngOf(t, image.NewGray(image.Rect(0, 0, 2, 2))), make([]byte, admin.MaxLogoSize)...), "file_too_large"},
		{"gif", gf.Bytes(), "logo_type"},
		{"a program", append([]byte("MZ\x90\x00"), make([]byte, 100)...), "logo_type"},
		{"huge pixels", pngOf(t, image.NewGray(image.Rect(0, 0, 5000, 2))), "logo_dimensions"},
		{"broken png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRbroken"), "logo_unreadable"},
	} {
		if _, err := ad.SetCompanyLogo(ctx, f.Admin, c.data); fieldCodes(err)["file"] != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	if _, err := ad.SetCompanyLogo(ctx, f.Rep1, pngOf(t, deep)); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep uploaded a logo: %v", err)
	}
	info, err := ad.SetCompanyLogo(ctx, f.Admin, pngOf(t, deep))
	if err != nil || info.ContentType != "image/png" || info.Width != 300 || info.Height != 100 {
		t.Fatalf("16-bit png: %+v %v", info, err)
	}
	c, err := ad.Company(ctx)
	if err != nil || len(c.Logo) != int(info.Size) {
		t.Fatalf("logo bytes: %d %v", len(c.Logo), err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(c.Logo)); err != nil || cfg.ColorModel == color.NRGBA64Model {
		t.Errorf("stored logo still 16-bit: %v", err)
	}
	var pdf bytes.Buffer
	if err := ad.LetterheadPreview(ctx, f.Admin, i18n.ZH, time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), &pdf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf.Bytes(), []byte("/Subtype /Image")) {
		t.Error("the preview has no logo")
	}
	// Replacing keeps one file; removing leaves none.
	if _, err := ad.SetCompanyLogo(ctx, f.Admin, jpg.Bytes()); err != nil {
		t.Fatalf("jpeg: %v", err)
	}
	count := func() int {
		var n int
		if err := f.App.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM files WHERE name LIKE 'logo.%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 1 {
		t.Errorf("%d logo files after replacing", n)
	}
	data, li, err := ad.CompanyLogo(ctx, f.Admin)
	if err != nil || li.ContentType != "image/jpeg" || !bytes.Equal(data, jpg.Bytes()) {
		t.Errorf("jpeg kept as uploaded: %s %v", li.ContentType, err)
	}
	if err := ad.DeleteCompanyLogo(ctx, f.Admin); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("%d logo files after removing", n)
	}
	if c, _ := ad.Company(ctx); c.Logo != nil {
		t.Error("logo still there")
	}
	if _, _, err := ad.CompanyLogo(ctx, f.Admin); errs.KindOf(err) != errs.NotFound {
		t.Errorf("removed logo: %v", err)
	}
	entries, _ := ad.Audit(ctx, f.Admin, store.AuditFilter{Entity: "settings", RecordID: "company"})
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "logo_delete,logo_update,logo_update,update" {
		t.Errorf("audit actions %v", actions)
	}
}

// The preview a person opens: the letterhead's names, address and bank
// details, the sample lines and "第 1 / 1 页", in Chinese and in English.
func TestLetterheadPreviewText(t *testing.T) {
	pdftest.Need(t)
	f := apptest.NewFixture(t)
	if err := f.App.Admin.SaveCompany(ctx, f.Admin, company); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for lang, want := range map[i18n.Lang][]string{
		i18n.ZH: {"闭环软件（杭州）有限公司", "CloseloopSoftwareLtd.", "杭州市西湖区文三路90号", "招商银行杭州分行", "91330106MA2H00001X", "报价单（示例）", "¥154,600.00", "第1/1页", "Q-202611-0001"},
		i18n.EN: {"CloseloopSoftwareLtd.", "Quotation(sample)", "Total", "¥154,600.00", "Page1of1"},
	} {
		var pdf bytes.Buffer
		if err := f.App.Admin.LetterheadPreview(ctx, f.Admin, lang, when, &pdf); err != nil {
			t.Fatal(err)
		}
		text := pdftest.Squeeze(pdftest.Text(t, pdf.Bytes()))
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s preview lacks %q", lang, w)
			}
		}
	}
	if err := f.App.Admin.LetterheadPreview(ctx, f.Rep1, i18n.ZH, when, &bytes.Buffer{}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a rep previewed: %v", err)
	}
}
