package sheet

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

func TestGuard(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"},
		{"-5", "-5"},
		{"-3.5", "-3.5"},
		{"-abc", "'-abc"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"+8613800000000", "'+8613800000000"},
		{"\t=x", "'\t=x"},
		{"\r=x", "'\r=x"},
		{"张三", "张三"},
		{"", ""},
		{"-", "'-"},
		{"-5.", "'-5."},
		{"-.5", "'-.5"},
		{"+5", "'+5"},
		{"5-3", "5-3"},
		{"a=b", "a=b"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
	}
	for _, tc := range tests {
		if got := Guard(tc.in); got != tc.want {
			t.Errorf("Guard(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// table is written by every writer test; guarded is what reading it back
// must return.
var (
	table = [][]string{
		{"姓名", "电话", "金额", "备注", "编号"},
		{"张三", "13812345678", "-3.5", "=1+1", "00123"},
		{"李四", "+8613800000000", "1234.56", "第一行\n第二行", "110101199003071234"},
		{"王五", "", "0", "@SUM(A1)", "-abc"},
		{"赵六", "10", "-5", "逗号, \"引号\"", "0.5"},
	}
	guarded = [][]string{
		{"姓名", "电话", "金额", "备注", "编号"},
		{"张三", "13812345678", "-3.5", "'=1+1", "00123"},
		{"李四", "'+8613800000000", "1234.56", "第一行\n第二行", "110101199003071234"},
		{"王五", "", "0", "'@SUM(A1)", "'-abc"},
		{"赵六", "10", "-5", "逗号, \"引号\"", "0.5"},
	}
)

func writeTable(t *testing.T, f Format, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(f, &buf, "客户列表")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	for _, f := range []Format{CSV, XLSX} {
		t.Run(string(f), func(t *testing.T) {
			data := writeTable(t, f, table)
			if f == CSV {
				if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF姓名,")) {
					t.Errorf("CSV does not start with BOM + header: %q", data[:12])
				}
				if !bytes.Contains(data, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
					t.Errorf("CSV line ends are not all CRLF: %q", data)
				}
			}
			r := openFile(t, t.TempDir(), "导出."+string(f), data)
			if got := r.Header(); !reflect.DeepEqual(got, guarded[0]) {
				t.Errorf("Header = %q, want %q", got, guarded[0])
			}
			got := readAll(t, r)
			if len(got) != len(guarded)-1 {
				t.Fatalf("rows = %v", got)
			}
			for i, g := range got {
				if g.n != i+2 || !reflect.DeepEqual(g.cells, guarded[i+1]) {
					t.Errorf("row %d = %d %q, want %q", i, g.n, g.cells, guarded[i+1])
				}
			}
		})
	}
}

func TestXLSXWriterCellTypes(t *testing.T) {
	data := writeTable(t, XLSX, table)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"客户列表"}) {
		t.Fatalf("sheets = %q", got)
	}
	// excelize reports numeric cells (no t attribute) as CellTypeUnset.
	const number = excelize.CellTypeUnset
	want := map[string]excelize.CellType{
		"A1": excelize.CellTypeInlineString, // header is text
		"B2": number,                        // phone
		"C2": number,                        // negative amount
		"D2": excelize.CellTypeInlineString, // guarded formula
		"E2": excelize.CellTypeInlineString, // leading zero stays text
		"B3": excelize.CellTypeInlineString, // +86 is not a plain number
		"E3": excelize.CellTypeInlineString, // 18 digits stay text
		"C4": number,
		"E5": number,
	}
	for cell, typ := range want {
		got, err := f.GetCellType("客户列表", cell)
		if err != nil {
			t.Fatal(err)
		}
		if got != typ {
			t.Errorf("%s type = %v, want %v", cell, got, typ)
		}
	}
	style, err := f.GetCellStyle("客户列表", "A1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(style)
	if err != nil {
		t.Fatal(err)
	}
	if s.Font == nil || !s.Font.Bold {
		t.Error("header is not bold")
	}
	panes, err := f.GetPanes("客户列表")
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, want first row frozen", panes)
	}
}

func TestWriterSanitises(t *testing.T) {
	long := strings.Repeat("长", 40000)
	for _, f := range []Format{CSV, XLSX} {
		t.Run(string(f), func(t *testing.T) {
			data := writeTable(t, f, [][]string{{"a", "b"}, {"bad\xffutf8", long}})
			r := openFile(t, t.TempDir(), "x."+string(f), data)
			rows := readAll(t, r)
			if len(rows) != 1 || rows[0].cells[0] != "bad\uFFFDutf8" {
				t.Fatalf("rows = %v", rows)
			}
			got := rows[0].cells[1]
			if f == CSV {
				if got != long {
					t.Errorf("CSV truncated a long cell to %d runes", len([]rune(got)))
				}
				return
			}
			if n := len(utf16.Encode([]rune(got))); n != maxCellUnits || !strings.HasSuffix(got, "…") {
				t.Errorf("XLSX long cell = %d units, suffix %q", n, got[len(got)-3:])
			}
		})
	}
}

func TestTruncateCell(t *testing.T) {
	emoji := "😀" // two UTF-16 units
	tests := []struct {
		name  string
		in    string
		units int
		cut   bool
	}{
		{"short", "abc", 3, false},
		{"exact ascii", strings.Repeat("a", maxCellUnits), maxCellUnits, false},
		{"one over", strings.Repeat("a", maxCellUnits+1), maxCellUnits, true},
		{"exact cjk", strings.Repeat("长", maxCellUnits), maxCellUnits, false},
		{"surrogates", strings.Repeat(emoji, maxCellUnits/2+1), maxCellUnits, true},
		{"surrogate at the edge", "a" + strings.Repeat(emoji, maxCellUnits/2+1), maxCellUnits - 1, true},
	}
	for _, tc := range tests {
		got := truncateCell(tc.in)
		if n := len(utf16.Encode([]rune(got))); n != tc.units {
			t.Errorf("%s: %d units, want %d", tc.name, n, tc.units)
		}
		if cut := got != tc.in; cut != tc.cut || (cut && !strings.HasSuffix(got, "…")) {
			t.Errorf("%s: cut = %v, want %v", tc.name, cut, tc.cut)
		}
	}
}

func TestSheetTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"客户", "客户"},
		{"", "Sheet1"},
		{"a/b:c[d]", "a_b_c_d_"},
		{"'quoted'", "quoted"},
		{strings.Repeat("客", 40), strings.Repeat("客", 31)},
	}
	for _, tc := range tests {
		if got := sheetTitle(tc.in); got != tc.want {
			t.Errorf("sheetTitle(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEmptyWriters(t *testing.T) {
	if got := writeTable(t, CSV, nil); !bytes.Equal(got, []byte("\xEF\xBB\xBF")) {
		t.Errorf("empty CSV = %q", got)
	}
	data := writeTable(t, XLSX, nil)
	r := openFile(t, t.TempDir(), "e.xlsx", data)
	if r.Header() != nil {
		t.Errorf("Header = %q", r.Header())
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Errorf("Next = %v, want EOF", err)
	}
	if _, err := NewWriter("ods", io.Discard, ""); err == nil {
		t.Error("NewWriter(ods) succeeded")
	}
}

func TestXLSXWriterIsAFile(t *testing.T) {
	// The writer output must be a standalone file excelize can open by path.
	path := filepath.Join(t.TempDir(), "导出.xlsx")
	if err := os.WriteFile(path, writeTable(t, XLSX, table), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := f.GetCellValue("客户列表", "B2")
	if err != nil || v != "13812345678" {
		t.Errorf("B2 = %q, %v", v, err)
	}
}
