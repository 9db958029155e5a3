package attachments

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxNameBytes is the longest stored file name in bytes (what common file
// systems accept).
const MaxNameBytes = 255

// SanitizeName makes an uploaded file name safe to store, show and send
// back in a Content-Disposition header: the last path element only (old
// browsers send C:\Users\…\a.pdf), NFC (macOS sends decomposed names),
// without control and format characters (a right-to-left override makes
// "invoice‮fdp.exe" look like a PDF), without characters Windows refuses,
// no leading or trailing dots and spaces, not a reserved Windows device
// name, at most MaxNameBytes bytes with the extension kept. An empty
// result becomes "file".
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), r == utf8.RuneError:
			continue
		case strings.ContainsRune(`<>:"|?*`, r):
			r = '_'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	// Composed after the characters dropped are gone: "A\x04\u0323"
	// loses its control character and then composes to "Ạ", which a
	// second pass must leave as it is.
	name = strings.Trim(norm.NFC.String(b.String()), " .")
	if name == "" {
		return "file"
	}
	stem, ext := splitExt(name)
	if reservedWindows(stem) {
		stem = "_" + stem
	}
	if len(ext) > 20 { // not an extension worth keeping whole
		stem, ext = stem+ext, ""
	}
	if len(stem)+len(ext) > MaxNameBytes {
		stem = cutBytes(stem, MaxNameBytes-len(ext))
		stem = strings.TrimRight(stem, " .")
	}
	if stem == "" {
		stem = "file"
	}
	return stem + ext
}

// splitExt splits "报价单.v2.PDF" into "报价单.v2" and ".PDF".
func splitExt(name string) (string, string) {
	ext := path.Ext(name)
	if ext == name || ext == "." {
		return name, ""
	}
	return strings.TrimSuffix(name, ext), ext
}

// cutBytes shortens s to at most n bytes without splitting a character.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func reservedWindows(stem string) bool {
	s := strings.ToUpper(stem)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s = s[:i]
	}
	switch s {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if len(s) == 4 && (strings.HasPrefix(s, "COM") || strings.HasPrefix(s, "LPT")) && s[3] >= '1' && s[3] <= '9' {
		return true
	}
	return false
}

// Ext is the lower-cased extension of a name without the dot ("pdf").
func Ext(name string) string {
	_, ext := splitExt(name)
	return strings.ToLower(strings.TrimPrefix(ext, "."))
}

// refusedExt are extensions of programs, scripts, installers and web
// pages: a CRM has no business storing them, and a colleague opening one
// from a customer's record would run it.
var refusedExt = map[string]bool{}

func init() {
	for _, e := range strings.Fields(`exe dll com scr pif cpl sys drv ocx msi msp mst msc appx msix
		bat cmd ps1 psm1 psd1 vbs vbe js jse mjs wsf wsh wsc sct hta lnk url scf inf reg gadget
		jar class apk ipa app dmg pkg deb rpm run command sh bash zsh csh ksh
		html htm xhtml xht shtml mht mhtml`) {
		refusedExt[e] = true
	}
}

// executableMagic are the first bytes of programs http.DetectContentType
// does not recognise (it calls them application/octet-stream).
var executableMagic = [][]byte{
	[]byte("MZ"),             // Windows PE and DOS programs
	[]byte("\x7fELF"),        // Linux and most Unix programs
	{0xfe, 0xed, 0xfa, 0xce}, // Mach-O 32-bit
	{0xfe, 0xed, 0xfa, 0xcf}, // Mach-O 64-bit
	{0xce, 0xfa, 0xed, 0xfe}, // Mach-O 32-bit, little-endian
	{0xcf, 0xfa, 0xed, 0xfe}, // Mach-O 64-bit, little-endian
	{0xca, 0xfe, 0xba, 0xbe}, // Mach-O universal binaries and Java classes
	[]byte("#!"),             // scripts
	[]byte("dex\n"),          // Android
	{0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00}, // Windows shortcuts
}

var oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

// Refusal says why a file is refused ("" when it is accepted).
type Refusal string

const (
	RefuseExtension  Refusal = "extension"  // the name is a program's, a script's or a web page's
	RefuseExecutable Refusal = "executable" // the bytes are a program or a script
	RefuseHTML       Refusal = "html"       // the bytes are a web page, whatever the name says
)

// Classify decides a file's content type from its bytes (never from what
// the client declared): http.DetectContentType, refined by the extension
// only where the bytes agree (an Office document is a zip or an OLE file;
// CSV is text). Programs, scripts and web pages are refused — by name and
// by content, so renaming does not get them in.
func Classify(name string, data []byte) (string, Refusal) {
	ext := Ext(name)
	if refusedExt[ext] {
		return "", RefuseExtension
	}
	head := data[:min(len(data), 512)]
	for _, m := range executableMagic {
		if bytes.HasPrefix(head, m) {
			return "", RefuseExecutable
		}
	}
	ct := http.DetectContentType(head)
	mt, _, _ := strings.Cut(ct, ";")
	switch mt {
	case "text/html":
		return "", RefuseHTML
	case "application/zip":
		if t, ok := ooxml[ext]; ok {
			return t, ""
		}
	case "application/octet-stream":
		if bytes.HasPrefix(head, oleMagic) {
			if t, ok := ole[ext]; ok {
				return t, ""
			}
		}
	case "text/plain":
		charset := "; charset=utf-8"
		if !utf8.Valid(data) {
			charset = "" // GBK and friends: let the program that opens it guess
		}
		if t, ok := textTypes[ext]; ok {
			return t + charset, ""
		}
		return "text/plain" + charset, ""
	case "text/xml":
		if ext == "svg" {
			return "image/svg+xml", ""
		}
	}
	return ct, ""
}

var ooxml = map[string]string{
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"odt":  "application/vnd.oasis.opendocument.text",
	"ods":  "application/vnd.oasis.opendocument.spreadsheet",
	"odp":  "application/vnd.oasis.opendocument.presentation",
}

var ole = map[string]string{
	"doc": "application/msword",
	"xls": "application/vnd.ms-excel",
	"ppt": "application/vnd.ms-powerpoint",
	"msg": "application/vnd.ms-outlook",
}

var textTypes = map[string]string{"csv": "text/csv", "md": "text/markdown", "json": "application/json"}

// Inline reports whether a content type may be shown in the browser
// rather than downloaded: raster images only (no SVG, which may carry
// scripts; no PDF, whose viewers run code).
func Inline(contentType string) bool {
	switch contentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// ContentDisposition is the header value that sends a file under its
// name: an ASCII fallback in filename= for old clients, and the exact
// name in filename*= (RFC 6266, RFC 8187) so Chinese names survive.
// kind is "attachment" or "inline".
func ContentDisposition(kind, name string) string {
	var fb strings.Builder
	under := false
	for _, r := range name {
		if r > 0x20 && r < 0x7f && r != '"' && r != '\\' && r != '%' && r != ';' {
			fb.WriteRune(r)
			under = false
		} else if !under {
			fb.WriteByte('_')
			under = true
		}
	}
	fallback := fb.String()
	if strings.Trim(fallback, "_.") == "" || strings.HasPrefix(fallback, "_.") {
		fallback = "file" + strings.TrimLeft(fallback, "_")
	}
	return kind + `; filename="` + fallback + `"; filename*=UTF-8''` + encode8187(name)
}

// encode8187 percent-encodes everything but RFC 8187's attr-char.
func encode8187(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// ParseSize reads a size setting: bytes ("20971520") or with a binary
// unit ("20MB", "20 MiB", "512k", "1G"; 1 MB = 1,048,576 bytes).
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, strings.TrimSuffix(t, "K")
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, strings.TrimSuffix(t, "G")
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || n <= 0 || n*float64(mult) > float64(MaxLimit) {
		return 0, fmt.Errorf("size %q: want bytes or a number with KB, MB or GB, between 1 byte and 1 GB", s)
	}
	return int64(n * float64(mult)), nil
}

// MaxLimit is the largest size limit that may be configured: an upload is
// held in memory while it is checked and written, and PostgreSQL's bytea
// holds at most 1 GB.
const MaxLimit = 1 << 30

// FormatMB writes a limit in MB for messages ("20", "0.5").
func FormatMB(n int64) string {
	mb := float64(n) / (1 << 20)
	if r := math.Round(mb*100) / 100; r > 0 {
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	return strconv.FormatFloat(mb, 'g', 2, 64)
}
