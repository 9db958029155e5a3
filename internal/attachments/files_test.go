package attachments

import (
	"mime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitizeName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"报价单.pdf", "报价单.pdf"},
		{`C:\Users\张伟\Desktop\合同（盖章版）.pdf`, "合同（盖章版）.pdf"},
		{"../../etc/passwd", "passwd"},
		{"invoice\u202efdp.exe", "invoicefdp.exe"}, // the override is gone; the name shows what it is
		{"a\x00b\nc.txt", "ab c.txt"},
		{"  spaced   out  name .docx ", "spaced out name .docx"},
		{"...hidden", "hidden"},
		{"trailing dots...", "trailing dots"},
		{`what?<is>"this":*|.png`, "what__is__this____.png"},
		{"CON.txt", "_CON.txt"},
		{"lpt1", "_lpt1"},
		{"", "file"},
		{"...", "file"},
		{"\u200b\u200b", "file"},
		{"e\u0301te\u0301.txt", "été.txt"}, // NFC
		{"bad\xffutf8.txt", "badutf8.txt"},
	}
	for _, c := range cases {
		if got := SanitizeName(c.in); got != c.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("长", 200) + ".xlsx"
	got := SanitizeName(long)
	if len(got) > MaxNameBytes || !strings.HasSuffix(got, ".xlsx") || !utf8.ValidString(got) {
		t.Errorf("long name: %d bytes %q", len(got), got)
	}
}

func TestClassify(t *testing.T) {
	pdf := []byte("%PDF-1.7\n1 0 obj\n")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	zip := []byte("PK\x03\x04\x14\x00\x06\x00")
	ole := append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 64)...)
	cases := []struct {
		name string
		data []byte
		ct   string
		ref  Refusal
	}{
		{"合同.pdf", pdf, "application/pdf", ""},
		{"照片.png", png, "image/png", ""},
		{"方案.docx", zip, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ""},
		{"资料.zip", zip, "application/zip", ""},
		{"旧版.xls", ole, "application/vnd.ms-excel", ""},
		{"客户.csv", []byte("名称,电话\n华为,123\n"), "text/csv; charset=utf-8", ""},
		{"gbk.csv", []byte{0xc3, 0xfb, 0xb3, 0xc6, ',', '1', '\n'}, "text/csv", ""},
		{"说明.txt", []byte("你好"), "text/plain; charset=utf-8", ""},
		{"logo.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), "image/svg+xml", ""},
		// Refused by name, whatever the bytes.
		{"setup.exe", pdf, "", RefuseExtension},
		{"page.HTML", []byte("hello"), "", RefuseExtension},
		{"run.sh", []byte("echo"), "", RefuseExtension},
		// Refused by content, whatever the name.
		{"报告.pdf", []byte("MZ\x90\x00\x03\x00"), "", RefuseExecutable},
		{"data.bin", []byte("\x7fELF\x02\x01\x01"), "", RefuseExecutable},
		{"notes.txt", []byte("#!/bin/sh\nrm -rf /\n"), "", RefuseExecutable},
		{"报价.pdf", []byte("<!DOCTYPE html><html><script>alert(1)</script>"), "", RefuseHTML},
		{"image.png", []byte("  <html><body>"), "", RefuseHTML},
		{"x.jpg", []byte("<script>alert(1)</script>"), "", RefuseHTML},
	}
	for _, c := range cases {
		ct, ref := Classify(c.name, c.data)
		if ct != c.ct || ref != c.ref {
			t.Errorf("Classify(%q) = %q %q, want %q %q", c.name, ct, ref, c.ct, c.ref)
		}
	}
	if !Inline("image/png") || Inline("image/svg+xml") || Inline("application/pdf") || Inline("text/html") {
		t.Error("Inline: only raster images")
	}
}

func TestContentDisposition(t *testing.T) {
	for _, name := range []string{"华东区 2026 年报价单（终版）.pdf", "plain.txt", `quo"te;%.pdf`, "😀 emoji.png", "a b.txt"} {
		h := ContentDisposition("attachment", name)
		for _, r := range h {
			if r >= 0x7f || r < 0x20 {
				t.Fatalf("%q: header not ASCII: %q", name, h)
			}
		}
		disp, params, err := mime.ParseMediaType(h)
		if err != nil || disp != "attachment" {
			t.Fatalf("%q: %q does not parse: %v", name, h, err)
		}
		// Go's parser prefers filename*= like browsers do.
		if params["filename"] != name {
			t.Errorf("%q: round trip gives %q (%s)", name, params["filename"], h)
		}
	}
	if h := ContentDisposition("inline", "合同.pdf"); !strings.HasPrefix(h, `inline; filename="file.pdf"; filename*=UTF-8''%E5%90%88%E5%90%8C.pdf`) {
		t.Errorf("got %s", h)
	}
}

func TestParseSize(t *testing.T) {
	cases := map[string]int64{"20MB": 20 << 20, "20 MiB": 20 << 20, "512k": 512 << 10, "1G": 1 << 30, "1048576": 1 << 20, "0.5MB": 1 << 19}
	for in, want := range cases {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "-1", "0", "2GB", "20TB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	if FormatMB(20<<20) != "20" || FormatMB(1<<19) != "0.5" {
		t.Errorf("FormatMB: %s %s", FormatMB(20<<20), FormatMB(1<<19))
	}
}

// FuzzSanitizeName: whatever a client sends as a file name, the stored
// name is valid UTF-8 of bounded length with no path, control or format
// characters, sanitising it again changes nothing, and its
// Content-Disposition header is ASCII and gives the name back.
func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"报价单.pdf", `C:\a\b.txt`, "../x", "a\u202eb.exe", "CON", " . ", "\xff\xfe", strings.Repeat("名", 100) + ".docx", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SanitizeName(in)
		if got == "" || len(got) > MaxNameBytes || !utf8.ValidString(got) {
			t.Fatalf("%q → %q", in, got)
		}
		if strings.ContainsAny(got, `/\<>:"|?*`) || strings.HasPrefix(got, ".") || strings.HasSuffix(got, ".") || strings.TrimSpace(got) != got {
			t.Fatalf("%q → %q", in, got)
		}
		for _, r := range got {
			if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && r != ' ') {
				t.Fatalf("%q → %q has %U", in, got, r)
			}
		}
		if again := SanitizeName(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", in, got, again)
		}
		h := ContentDisposition("attachment", got)
		for i := 0; i < len(h); i++ {
			if h[i] < 0x20 || h[i] >= 0x7f {
				t.Fatalf("header not ASCII: %q", h)
			}
		}
		if _, params, err := mime.ParseMediaType(h); err != nil || params["filename"] != got {
			t.Fatalf("%q: header %q gives %q, %v", got, h, params["filename"], err)
		}
	})
}
