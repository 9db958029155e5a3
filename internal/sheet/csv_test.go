package sheet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// row is one expected data row.
type row struct {
	n     int
	cells []string
}

func (r row) String() string { return fmt.Sprintf("%d:%q", r.n, r.cells) }

// openFile writes data to a real file and opens it the way the importer
// does: an *os.File as io.ReaderAt plus its size.
func openFile(t testing.TB, dir, name string, data []byte) Reader {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(f, st.Size(), name)
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func readAll(t testing.TB, r Reader) []row {
	t.Helper()
	var out []row
	for {
		cells, n, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, row{n, cells})
	}
}

func gb18030(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encodeUTF16(t *testing.T, s string, bigEndian bool) []byte {
	t.Helper()
	order := unicode.LittleEndian
	if bigEndian {
		order = unicode.BigEndian
	}
	b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadCSV(t *testing.T) {
	const plain = "姓名,电话,公司\r\n张三,13800000000,星辰科技\r\n李四,13900000000,\"北京, 海淀\"\r\n"
	wantPlain := []row{
		{2, []string{"张三", "13800000000", "星辰科技"}},
		{3, []string{"李四", "13900000000", "北京, 海淀"}},
	}
	header := []string{"姓名", "电话", "公司"}
	tests := []struct {
		name   string
		file   string
		data   func(t *testing.T) []byte
		header []string
		rows   []row
	}{
		{
			name:   "utf8 bom",
			data:   func(*testing.T) []byte { return append([]byte("\xEF\xBB\xBF"), plain...) },
			header: header, rows: wantPlain,
		},
		{
			name:   "utf8 no bom",
			data:   func(*testing.T) []byte { return []byte(plain) },
			header: header, rows: wantPlain,
		},
		{
			name:   "gb18030",
			data:   func(t *testing.T) []byte { return gb18030(t, plain) },
			header: header, rows: wantPlain,
		},
		{
			name: "gbk after 64KiB of ascii",
			data: func(t *testing.T) []byte {
				var b strings.Builder
				b.WriteString("name,phone\n")
				for b.Len() < 70<<10 {
					b.WriteString("abc,123\n")
				}
				b.WriteString("王五,456\n")
				return gb18030(t, b.String())
			},
			header: []string{"name", "phone"},
		},
		{
			name: "utf16le bom tab",
			data: func(t *testing.T) []byte {
				return encodeUTF16(t, "姓名\t电话\t公司\r\n张三\t13800000000\t星辰科技\r\n李四\t13900000000\t北京, 海淀\r\n", false)
			},
			header: header, rows: wantPlain,
		},
		{
			name: "utf16be bom",
			data: func(t *testing.T) []byte {
				return encodeUTF16(t, "姓名\t电话\t公司\n张三\t13800000000\t星辰科技\n李四\t13900000000\t北京, 海淀\n", true)
			},
			header: header, rows: wantPlain,
		},
		{
			name: "semicolon",
			data: func(*testing.T) []byte {
				return []byte("姓名;电话;公司\n张三;13800000000;星辰科技\n李四;13900000000;北京, 海淀\n")
			},
			header: header, rows: wantPlain,
		},
		{
			name:   "tab with empty cells",
			data:   func(*testing.T) []byte { return []byte("a\tb\tc\n\t2\t\n1\t\t3\n") },
			header: []string{"a", "b", "c"},
			rows:   []row{{2, []string{"", "2", ""}}, {3, []string{"1", "", "3"}}},
		},
		{
			name:   "excel sep line",
			data:   func(*testing.T) []byte { return []byte("sep=;\r\na;b,c\r\n1;2,3\r\n") },
			header: []string{"a", "b,c"},
			rows:   []row{{2, []string{"1", "2,3"}}},
		},
		{
			name:   "comma wins ties",
			data:   func(*testing.T) []byte { return []byte("a,b;c\n1,2;3\n") },
			header: []string{"a", "b;c"},
			rows:   []row{{2, []string{"1", "2;3"}}},
		},
		{
			name: "quoted commas newlines and quotes",
			data: func(*testing.T) []byte {
				return []byte("备注,名称\r\n\"第一行\r\n第二行\",\"A, B\"\r\n\"他说\"\"你好\"\"\",x\r\n尾,y\r\n")
			},
			header: []string{"备注", "名称"},
			rows: []row{
				{2, []string{"第一行\n第二行", "A, B"}},
				{3, []string{`他说"你好"`, "x"}},
				{4, []string{"尾", "y"}},
			},
		},
		{
			name:   "ragged rows",
			data:   func(*testing.T) []byte { return []byte("a,b,c\n1\n1,2,3,4,5\n") },
			header: []string{"a", "b", "c"},
			rows:   []row{{2, []string{"1", "", ""}}, {3, []string{"1", "2", "3", "4", "5"}}},
		},
		{
			name:   "empty rows skipped rows keep counting",
			data:   func(*testing.T) []byte { return []byte("\n , \n名称,值\n\n1,2\n,\n \u3000 ,\u00a0\n3,4\n\n") },
			header: []string{"名称", "值"},
			rows:   []row{{5, []string{"1", "2"}}, {8, []string{"3", "4"}}},
		},
		{
			name: "whitespace trimmed",
			data: func(*testing.T) []byte {
				return []byte("\uFEFF 姓名\u3000, 电话\t\n\u00a0张三\u3000,\u3000 138 \n")
			},
			header: []string{"姓名", "电话"},
			rows:   []row{{2, []string{"张三", "138"}}},
		},
		{
			name:   "lazy quotes",
			data:   func(*testing.T) []byte { return []byte("a,b\n1 \"inch\",2\n") },
			header: []string{"a", "b"},
			rows:   []row{{2, []string{`1 "inch"`, "2"}}},
		},
		{
			name:   "unterminated quote at end",
			data:   func(*testing.T) []byte { return []byte("a,b\n1,\"open\n") },
			header: []string{"a", "b"},
			rows:   []row{{2, []string{"1", "open"}}},
		},
		{
			name:   "empty file",
			data:   func(*testing.T) []byte { return nil },
			header: nil,
		},
		{
			name:   "wrong extension",
			file:   "客户.xlsx",
			data:   func(*testing.T) []byte { return []byte(plain) },
			header: header, rows: wantPlain,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := tc.file
			if file == "" {
				file = "客户.csv"
			}
			r := openFile(t, t.TempDir(), file, tc.data(t))
			if got := r.Header(); !reflect.DeepEqual(got, tc.header) {
				t.Errorf("Header = %q, want %q", got, tc.header)
			}
			got := readAll(t, r)
			if tc.name == "gbk after 64KiB of ascii" {
				last := got[len(got)-1]
				if last.cells[0] != "王五" {
					t.Errorf("last row = %q, want 王五", last.cells)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.rows) {
				t.Errorf("rows =\n%v\nwant\n%v", got, tc.rows)
			}
		})
	}
}

func TestCSVInvalidBytesBecomeReplacementChars(t *testing.T) {
	// A lone GB18030 lead byte at the end cannot be decoded.
	r := openFile(t, t.TempDir(), "x.csv", append(gb18030(t, "名称\n张三\n"), 0x81))
	got := readAll(t, r)
	want := []row{{2, []string{"张三"}}, {3, []string{"\uFFFD"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
}

func TestRowErrorNamesRow(t *testing.T) {
	err := error(&RowError{Row: 7, Err: io.ErrUnexpectedEOF})
	if !strings.Contains(err.Error(), "row 7") || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("RowError = %v", err)
	}
}

func TestOpenRejectsLegacyXLS(t *testing.T) {
	data := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)
	path := filepath.Join(t.TempDir(), "old.xls")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Open(f, int64(len(data)), "old.xls"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Open(.xls) error = %v, want ErrUnsupported", err)
	}
}

func TestOpenBrokenXLSX(t *testing.T) {
	data := []byte("PK\x03\x04 this is not really a zip")
	path := filepath.Join(t.TempDir(), "bad.xlsx")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Open(f, int64(len(data)), "bad.xlsx"); err == nil {
		t.Error("Open(broken xlsx) succeeded")
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name string
		head string
		want Format
	}{
		{"a.xlsx", "PK\x03\x04", XLSX},
		{"a.csv", "PK\x03\x04", XLSX},
		{"a.xlsx", "name,phone", CSV},
		{"a.xlsx", "", XLSX},
		{"A.XLSX", "", XLSX},
		{"a.csv", "", CSV},
		{"noext", "", CSV},
		{"noext", "PK\x03\x04rest", XLSX},
		{"a.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", XLSX},
	}
	for _, tc := range tests {
		if got := DetectFormat(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("DetectFormat(%q, %q) = %s, want %s", tc.name, tc.head, got, tc.want)
		}
	}
}
