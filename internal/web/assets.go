package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static
var staticFS embed.FS

// assets are the embedded static files, each served under a URL that
// carries a hash of its content: browsers may cache them forever, and a new
// release changes the URL.
type assets struct {
	files map[string]*asset // by path under static/
}

type asset struct {
	data  []byte
	hash  string
	ctype string
}

// notServed are demo files of the UI kit, not part of the application.
var notServed = map[string]bool{"kit.html": true, "kit.css": true}

func loadAssets() *assets {
	a := &assets{files: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		if notServed[name] {
			return nil
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		case ".md", ".txt":
			ct = "text/plain; charset=utf-8"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.files[name] = &asset{data: b, hash: hex.EncodeToString(sum[:])[:12], ctype: ct}
		return nil
	})
	if err != nil {
		panic("web: static assets: " + err.Error())
	}
	return a
}

// url is the content-hashed URL of a static file.
func (a *assets) url(name string) string {
	f := a.files[name]
	if f == nil {
		panic("web: unknown asset " + name)
	}
	return "/static/" + f.hash + "/" + name
}

// serve answers /static/{hash}/{path}. A stale hash (a page rendered by an
// older release during a rolling upgrade) still gets the file, uncached.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	f := a.files[r.PathValue("path")]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Content-Length", strconv.Itoa(len(f.data)))
	if r.PathValue("hash") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+f.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+f.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(f.data)
}

// favicon answers browsers that ask for /favicon.ico despite the link.
func (a *assets) favicon(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, a.url("favicon.svg"), http.StatusMovedPermanently)
}
