package server

import (
	"embed"
	"io/fs"
	"net/http"
)

// web holds the page: plain HTML, CSS and JavaScript that load nothing
// from anywhere but this server, so it works offline.
//
//go:embed web
var web embed.FS

// pagePolicy is the Content-Security-Policy of the page: scripts, styles
// and requests only from this server, images also from data and blob
// URLs (the answers of /api/v1/segment and the downloaded PDF).
const pagePolicy = "default-src 'self'; img-src 'self' data: blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// pageHandler serves the page at /.
func pageHandler() http.Handler {
	index, err := web.ReadFile("web/index.html")
	if err != nil {
		panic("server: the embedded page is missing: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageHeaders(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(index)
	})
}

// staticHandler serves the page's style and script under /static/.
func staticHandler() http.Handler {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic("server: the embedded page is missing: " + err.Error())
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageHeaders(w)
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// pageHeaders sets the headers that keep the page to its own origin.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", pagePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}
