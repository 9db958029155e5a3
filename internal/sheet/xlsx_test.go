package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func newStyle(t *testing.T, f *excelize.File, s *excelize.Style) int {
	t.Helper()
	id, err := f.NewStyle(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func customFmt(code string) *excelize.Style { return &excelize.Style{CustomNumFmt: &code} }

func saveWorkbook(t *testing.T, f *excelize.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// excelLikeWorkbook is written with the stream writer because it stores
// cells the way Excel does: numeric formula results as numbers with a cached
// value, booleans as t="b", dates as serial numbers with a date style.
func excelLikeWorkbook(t *testing.T) []byte {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", "说明"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("说明", "A1", "隐藏的说明页"); err != nil {
		t.Fatal(err)
	}
	idx, err := f.NewSheet("客户")
	if err != nil {
		t.Fatal(err)
	}
	f.SetActiveSheet(idx)
	if err := f.SetSheetVisible("说明", false); err != nil {
		t.Fatal(err)
	}
	cnDate := newStyle(t, f, customFmt(`yyyy"年"m"月"d"日"`))
	cnDateLocale := newStyle(t, f, customFmt(`[$-804]yyyy"年"m"月"d"日";@`))
	shortDT := newStyle(t, f, customFmt(`yyyy/m/d h:mm`))
	money := newStyle(t, f, customFmt(`"¥"#,##0.00;[Red]-"¥"#,##0.00`))
	timeOnly := newStyle(t, f, &excelize.Style{NumFmt: 20}) // h:mm
	builtin14 := newStyle(t, f, &excelize.Style{NumFmt: 14})
	builtin31 := newStyle(t, f, &excelize.Style{NumFmt: 31}) // zh-CN yyyy"年"m"月"d"日"
	percent := newStyle(t, f, &excelize.Style{NumFmt: 10})
	sci := newStyle(t, f, &excelize.Style{NumFmt: 11}) // 0.00E+00
	text := newStyle(t, f, &excelize.Style{NumFmt: 49})
	elapsed := newStyle(t, f, customFmt(`[h]:mm:ss`))

	sw, err := f.NewStreamWriter("客户")
	if err != nil {
		t.Fatal(err)
	}
	set := func(row int, vals ...any) {
		t.Helper()
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := sw.SetRow(cell, vals); err != nil {
			t.Fatal(err)
		}
	}
	c := func(style int, v any) excelize.Cell { return excelize.Cell{StyleID: style, Value: v} }
	signed := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
	contact := time.Date(2024, 3, 5, 14, 30, 15, 0, time.UTC)
	set(1, " 姓名 ", "签约日期", "最后联系", "电话", "金额", "有效", "合计", "身份证", "提醒", "内置日期", "比例", "大数", "科学", "文本格式", "区域日期", "中文内置", "时长")
	set(2, "张三", c(cnDate, signed), c(shortDT, contact), 13812345678, c(money, 1234.5), true,
		excelize.Cell{Formula: "E2*3", Value: 0.1 + 0.2}, "110101199003071234",
		c(timeOnly, 0.5), c(builtin14, 45000.0), c(percent, 0.125), 1.2345678901234567e20,
		c(sci, 13812345678), c(text, "00123"), c(cnDateLocale, signed), c(builtin31, signed), c(elapsed, 1.5))
	// row 3 left empty
	set(4, "\u3000李四\u00a0", c(cnDate, "待定"), nil, 0.1, -3.5, false, excelize.Cell{Formula: `A4&"先生"`, Value: "李四先生"})
	set(5, "王五")
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	// excelize writes numbers rounded to 15 digits; Excel writes the full
	// double in shortest or exponent form. Patch the XML to what Excel
	// stores so the reader is tested against real-world values.
	return patchZip(t, saveWorkbook(t, f), "xl/worksheets/sheet2.xml",
		"<v>123456789012345000000</v>", "<v>1.2345678901234567E+20</v>",
		"<v>13812345678</v>", "<v>1.3812345678E+10</v>",
		"<f>E2*3</f><v>0.3</v>", "<f>E2*3</f><v>0.30000000000000004</v>")
}

// patchZip rewrites one part of a zip with strings.Replacer pairs, failing
// if any old string is missing.
func patchZip(t *testing.T, data []byte, part string, oldnew ...string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if zf.Name == part {
			found = true
			s := string(body)
			for i := 0; i < len(oldnew); i += 2 {
				if !strings.Contains(s, oldnew[i]) {
					t.Fatalf("%s does not contain %q:\n%s", part, oldnew[i], s)
				}
			}
			body = []byte(strings.NewReplacer(oldnew...).Replace(s))
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no part %s", part)
	}
	return out.Bytes()
}

// sharedStringWorkbook uses the ordinary cell API (shared strings) and the
// 1904 date system that old Mac Excel files carry.
func sharedStringWorkbook(t *testing.T) []byte {
	f := excelize.NewFile()
	yes := true
	if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
		t.Fatal(err)
	}
	cnDate := newStyle(t, f, customFmt(`yyyy"年"m"月"d"日"`))
	for cell, v := range map[string]any{"A1": "客户", "B1": "日期", "A2": "星辰科技", "B2": time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC), "A4": "月亮", "C4": "多出来的"} {
		if err := f.SetCellValue("Sheet1", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SetCellStyle("Sheet1", "B2", "B2", cnDate); err != nil {
		t.Fatal(err)
	}
	return saveWorkbook(t, f)
}

func TestReadXLSX(t *testing.T) {
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		header []string
		rows   []row
	}{
		{
			name:   "excel like",
			data:   excelLikeWorkbook,
			header: []string{"姓名", "签约日期", "最后联系", "电话", "金额", "有效", "合计", "身份证", "提醒", "内置日期", "比例", "大数", "科学", "文本格式", "区域日期", "中文内置", "时长"},
			rows: []row{
				{2, []string{"张三", "2024-01-15", "2024-03-05 14:30:15", "13812345678", "1234.5", "TRUE", "0.3", "110101199003071234",
					"12:00:00", "2023-03-15", "0.125", "123456789012346000000", "13812345678", "00123", "2024-01-15", "2024-01-15", "1.5"}},
				{4, []string{"李四", "待定", "", "0.1", "-3.5", "FALSE", "李四先生", "", "", "", "", "", "", "", "", "", ""}},
				{5, []string{"王五", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""}},
			},
		},
		{
			name:   "shared strings and 1904 dates",
			data:   sharedStringWorkbook,
			header: []string{"客户", "日期"},
			rows: []row{
				{2, []string{"星辰科技", "2023-12-31"}},
				{4, []string{"月亮", "", "多出来的"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := openFile(t, t.TempDir(), "客户.xlsx", tc.data(t))
			if got := r.Header(); !reflect.DeepEqual(got, tc.header) {
				t.Errorf("Header =\n%q\nwant\n%q", got, tc.header)
			}
			got := readAll(t, r)
			if len(got) != len(tc.rows) {
				t.Fatalf("rows =\n%v\nwant\n%v", got, tc.rows)
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], tc.rows[i]) {
					t.Errorf("row %d =\n%v\nwant\n%v", i, got[i], tc.rows[i])
				}
			}
		})
	}
}

func TestXLSXWrongExtension(t *testing.T) {
	r := openFile(t, t.TempDir(), "export.csv", sharedStringWorkbook(t))
	if got := r.Header(); !reflect.DeepEqual(got, []string{"客户", "日期"}) {
		t.Errorf("Header = %q", got)
	}
}

func TestClassifyNumFmt(t *testing.T) {
	tests := []struct {
		code string
		want dateKind
	}{
		{`General`, kindNone},
		{`0.00`, kindNone},
		{`#,##0.00_);[Red](#,##0.00)`, kindNone},
		{`0.00E+00`, kindNone},
		{`"¥"#,##0.00`, kindNone},
		{`[$¥-804]#,##0.00`, kindNone},
		{`@`, kindNone},
		{`0 "days"`, kindNone},
		{`[h]:mm:ss`, kindNone},
		{`yyyy-mm-dd`, kindDate},
		{`m/d/yy`, kindDate},
		{`mmm-yy`, kindDate},
		{`mmmm`, kindDate},
		{`yyyy"年"m"月"d"日"`, kindDate},
		{`[$-804]yyyy"年"m"月"d"日";@`, kindDate},
		{`[DBNum1][$-804]yyyy"年"m"月"d"日"`, kindDate},
		{`[$-F800]dddd, mmmm dd, yyyy`, kindDate},
		{`yyyy/m/d h:mm`, kindDateTime},
		{`m/d/yy h:mm AM/PM`, kindDateTime},
		{`h:mm:ss`, kindTime},
		{`mm:ss`, kindTime},
		{`h:mm AM/PM`, kindTime},
		{`上午/下午h"时"mm"分"`, kindTime},
		{`hh:mm:ss;@`, kindTime},
	}
	for _, tc := range tests {
		if got := classifyNumFmt(tc.code); got != tc.want {
			t.Errorf("classifyNumFmt(%q) = %d, want %d", tc.code, got, tc.want)
		}
	}
}

func TestXLSXNoVisibleRowsIsEmpty(t *testing.T) {
	f := excelize.NewFile()
	r := openFile(t, t.TempDir(), "empty.xlsx", saveWorkbook(t, f))
	if h := r.Header(); h != nil {
		t.Errorf("Header = %q, want nil", h)
	}
	if rows := readAll(t, r); len(rows) != 0 {
		t.Errorf("rows = %v", rows)
	}
}

func TestXLSXTempFilesRemoved(t *testing.T) {
	// Close must not leak excelize's temporary files; write a file whose
	// worksheet is big enough to be unzipped to disk.
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	var buf bytes.Buffer
	w, err := NewXLSXWriter(&buf, "客户")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("星辰科技有限公司", 40)
	for i := 0; i < 20000; i++ {
		if err := w.Row([]string{long, "13800000000"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet1.xml" && zf.UncompressedSize64 <= excelize.StreamChunkSize {
			t.Fatalf("worksheet is %d bytes; too small to be unzipped to a temporary file", zf.UncompressedSize64)
		}
	}
	src := filepath.Join(t.TempDir(), "big.xlsx")
	if err := os.WriteFile(src, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r, err := Open(fh, int64(buf.Len()), "big.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	n := len(readAll(t, r))
	if during, _ := os.ReadDir(dir); len(during) == 0 {
		t.Fatal("no temporary file while reading; the test does not exercise the spill path")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if n != 19999 {
		t.Errorf("read %d data rows, want 19999", n)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Errorf("temporary files left after Close: %d", len(left))
	}
}

func TestPlainNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1.23456789012346E+20", "123456789012346000000"},
		{"-1.5E-07", "-0.00000015"},
		{"1E+5", "100000"},
		{"13812345678", "13812345678"},
		{"2E3", "2E3"},   // no sign: not excelize output, keep text as is
		{"E+10", "E+10"}, // no mantissa
		{"1.2.3E+4", "1.2.3E+4"},
	}
	for _, tc := range tests {
		if got := plainNumber(tc.in); got != tc.want {
			t.Errorf("plainNumber(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestXLSXMalformedCellNamesRow(t *testing.T) {
	data := patchZip(t, sharedStringWorkbook(t), "xl/worksheets/sheet1.xml", `<c r="A4"`, `<c r="4A"`)
	r := openFile(t, t.TempDir(), "bad.xlsx", data)
	if _, n, err := r.Next(); err != nil || n != 2 {
		t.Fatalf("first row = %d, %v", n, err)
	}
	_, _, err := r.Next()
	var re *RowError
	if !errors.As(err, &re) || re.Row != 4 || !strings.Contains(err.Error(), "row 4") {
		t.Errorf("Next error = %v, want a RowError for row 4", err)
	}
}
