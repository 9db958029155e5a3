package sheet

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("\xEF\xBB\xBF姓名,电话\r\n张三,138\r\n"))
	f.Add([]byte("\xD0\xD5\xC3\xFB,\xB5\xE7\xBB\xB0\n\xD5\xC5\xC8\xFD,138\n")) // GBK 姓名,电话 / 张三
	f.Add([]byte("a,b\n\"x,\ny\",\"say \"\"hi\"\"\"\n\"open"))
	f.Add([]byte("\xFF\xFEa\x00\t\x00b\x00\n\x001\x00\t\x00\x00\xD8")) // UTF-16LE, lone surrogate
	f.Add([]byte("\xFE\xFF\x00a\x00;\x00b"))
	f.Add([]byte("sep=;\na;b\n\n\n1;2;3\n"))
	f.Add([]byte("a\tb\n\u3000\t\u00a0\n\xC4"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Open(bytes.NewReader(data), int64(len(data)), "x.csv")
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) || re.Row < 1 {
				t.Fatalf("Open error without a row: %v", err)
			}
			return
		}
		defer r.Close()
		for _, c := range r.Header() {
			if !utf8.ValidString(c) {
				t.Fatalf("invalid UTF-8 in header: %q", c)
			}
		}
		last := 0
		for {
			cells, row, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var re *RowError
				if !errors.As(err, &re) || re.Row <= last {
					t.Fatalf("error without a sensible row (last %d): %v", last, err)
				}
				return
			}
			if row <= last {
				t.Fatalf("row %d after row %d", row, last)
			}
			last = row
			if len(cells) < len(r.Header()) {
				t.Fatalf("row %d has %d cells, header %d", row, len(cells), len(r.Header()))
			}
			for _, c := range cells {
				if !utf8.ValidString(c) {
					t.Fatalf("invalid UTF-8 in row %d: %q", row, c)
				}
			}
		}
	})
}
