// Package web is the server-rendered web UI (html/template + htmx).
package web

import (
	"net/http"

	"closeloop/internal/app"
)

// New builds the web UI handler.
func New(a *app.App) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "web UI under construction", http.StatusNotFound)
	})
	return mux
}
