package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Error is an API error: the HTTP status and the message sent as
// {"error": Message}.
type Error struct {
	Status  int
	Message string
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// errorf returns an *Error with status and a formatted message.
func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
}

// api turns a handler that returns an error into an http.Handler: an
// *Error becomes its status, anything else a 500; both are logged.
func (s *Server) api(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Status: http.StatusInternalServerError, Message: err.Error()}
		}
		level := slog.LevelInfo
		if e.Status >= 500 {
			level = slog.LevelWarn
		}
		s.cfg.Log.Log(r.Context(), level, "request failed", "method", r.Method,
			"path", r.URL.Path, "status", e.Status, "error", e.Message)
		writeJSON(w, e.Status, ErrorBody{Error: e.Message})
	})
}

// statusWriter records the status and the number of body bytes written.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs one line per request: method, path, status, duration and
// body bytes written. A request whose client left before any answer is
// logged with status 499.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
			if r.Context().Err() != nil {
				status = 499
			}
		}
		s.cfg.Log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
			slog.Int64("bytes", sw.bytes))
	})
}

// TokenCookie is the cookie that carries the token for a browser, set
// when the page is opened once as /?token=TOKEN.
const TokenCookie = "tumorseg_token"

// authorize refuses every request but /healthz that does not carry
// Config.Token, with 401 and a WWW-Authenticate challenge. The token comes
// as "Authorization: Bearer TOKEN" or, for the page and the requests it
// makes, in TokenCookie. Opening /?token=TOKEN with the right token sets
// the cookie and redirects to /, so the address bar loses the token.
func (s *Server) authorize(next http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.cfg.Token))
	ok := func(got string) bool {
		// Hashing first makes the comparison take the same time whatever
		// the length of the token sent.
		h := sha256.Sum256([]byte(got))
		return got != "" && subtle.ConstantTimeCompare(h[:], want[:]) == 1
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		if t := r.URL.Query().Get("token"); r.URL.Path == "/" && t != "" && ok(t) {
			http.SetCookie(w, &http.Cookie{Name: TokenCookie, Value: t, Path: "/",
				HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		got, sent := bearer(r)
		if !sent {
			if c, err := r.Cookie(TokenCookie); err == nil {
				got, sent = c.Value, true
			}
		}
		if ok(got) {
			next.ServeHTTP(w, r)
			return
		}
		challenge := `Bearer realm="tumorseg"`
		msg := "this server needs a token: send the header Authorization: Bearer TOKEN, " +
			"or open /?token=TOKEN once in a browser"
		if sent {
			challenge += `, error="invalid_token"`
			msg = "the token sent is not this server's token"
		}
		w.Header().Set("WWW-Authenticate", challenge)
		writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: msg})
	})
}

// bearer returns the token of r's Authorization header and whether the
// header was sent at all.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(token), true
}
