package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
)

// get sends a GET to url with the bearer token, when not empty, and the
// cookie, when not nil.
func get(t *testing.T, url, token string, cookie *http.Cookie) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	// Redirects are answers to check here, not to follow.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestHealthz(t *testing.T) {
	_, ts := testServer(t, Config{})
	var h Health
	decode(t, get(t, ts.URL+"/healthz", "", nil), http.StatusOK, &h)
	if h != (Health{Status: "ok", Networks: 1}) {
		t.Errorf("healthz = %+v", h)
	}
}

func TestModelsListsTheNetworks(t *testing.T) {
	a, b := fakeNetwork("unet", newSquare()), fakeNetwork("resunetpp", newSquare())
	b.ValDice = nil
	_, ts := testServer(t, Config{Networks: []Network{a, b}, MaxUploadBytes: 5 << 20})
	resp := get(t, ts.URL+"/api/v1/models", "", nil)
	data, _ := io.ReadAll(resp.Body)
	want := `{"models":[` +
		`{"name":"unet","architecture":"fake","val_dice":0.75,"epoch":3,"size":64,"backend":"none"},` +
		`{"name":"resunetpp","architecture":"fake","val_dice":null,"epoch":3,"size":64,` +
		`"backend":"none"}],` +
		`"default":"unet","max_upload_bytes":5242880,"max_side":4096,"threshold":0.5,` +
		`"languages":["en","zh-TW"],"explainer":"offline"}` + "\n"
	if string(data) != want {
		t.Errorf("models =\n%s\nwant\n%s", data, want)
	}
}

func TestPageIsServedWithoutOutsideResources(t *testing.T) {
	_, ts := testServer(t, Config{})
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script src="/static/app.js">`},
		{"/static/app.js", "text/javascript; charset=utf-8", "/api/v1/segment"},
		{"/static/style.css", "text/css; charset=utf-8", "@media"},
	} {
		resp := get(t, ts.URL+tc.path, "", nil)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.contentType {
			t.Errorf("%s: %d %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !bytes.Contains(body, []byte(tc.contains)) {
			t.Errorf("%s does not contain %q", tc.path, tc.contains)
		}
		for _, outside := range []string{"http://", "https://", "//fonts.", "@import"} {
			if bytes.Contains(body, []byte(outside)) {
				t.Errorf("%s refers to %q", tc.path, outside)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp,
			"default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", tc.path, csp)
		}
	}
}

func TestUnknownRoutes(t *testing.T) {
	_, ts := testServer(t, Config{})
	wantError(t, get(t, ts.URL+"/api/v1/nothing", "", nil), http.StatusNotFound,
		"no route GET /api/v1/nothing")
	wantError(t, get(t, ts.URL+"/api/v2/models", "", nil), http.StatusNotFound, "no route")
	resp := get(t, ts.URL+"/api/v1/segment", "", nil)
	if allow := resp.Header.Get("Allow"); allow != "POST" {
		t.Errorf("Allow %q, want POST", allow)
	}
	wantError(t, resp, http.StatusMethodNotAllowed, "/api/v1/segment takes POST, not GET")
}

func TestToken(t *testing.T) {
	const token = "s3cret-token"
	_, ts := testServer(t, Config{Token: token})
	cookie := &http.Cookie{Name: TokenCookie, Value: token}
	for _, tc := range []struct {
		name, path, token string
		cookie            *http.Cookie
		status            int
		challenge         string
	}{
		{"healthz needs none", "/healthz", "", nil, 200, ""},
		{"no token", "/api/v1/models", "", nil, 401, `Bearer realm="tumorseg"`},
		{"wrong token", "/api/v1/models", "s3cret", nil, 401,
			`Bearer realm="tumorseg", error="invalid_token"`},
		{"right token", "/api/v1/models", token, nil, 200, ""},
		{"page without", "/", "", nil, 401, `Bearer realm="tumorseg"`},
		{"page with the cookie", "/", "", cookie, 200, ""},
		{"api with the cookie", "/api/v1/models", "", cookie, 200, ""},
		{"wrong cookie", "/api/v1/models", "", &http.Cookie{Name: TokenCookie, Value: "x"},
			401, `Bearer realm="tumorseg", error="invalid_token"`},
		{"static without", "/static/app.js", "", nil, 401, `Bearer realm="tumorseg"`},
		{"wrong token in the address", "/?token=nope", "", nil, 401,
			`Bearer realm="tumorseg"`},
		{"right token in the address", "/?token=" + token, "", nil, 303, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, ts.URL+tc.path, tc.token, tc.cookie)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tc.challenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
		})
	}

	t.Run("the address sets the cookie", func(t *testing.T) {
		resp := get(t, ts.URL+"/?token="+token, "", nil)
		c := resp.Cookies()
		if resp.Header.Get("Location") != "/" || len(c) != 1 || c[0].Value != token ||
			!c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode {
			t.Errorf("Location %q, cookies %+v", resp.Header.Get("Location"), c)
		}
	})
	t.Run("segment with the token", func(t *testing.T) {
		body, ct := multipartBody(t, imagePart("s.png", scanPNG(t, 64, 64)))
		decode(t, post(t, ts.URL+"/api/v1/segment", ct, body, token), http.StatusOK, nil)
		body, ct = multipartBody(t, imagePart("s.png", scanPNG(t, 64, 64)))
		wantError(t, post(t, ts.URL+"/api/v1/segment", ct, body, ""),
			http.StatusUnauthorized, "this server needs a token")
	})
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	_, ts := testServer(t, Config{Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	get(t, ts.URL+"/healthz", "", nil)
	var line struct {
		Msg, Method, Path string
		Status            int
		Bytes             int64
		Ms                *float64
	}
	if err := json.Unmarshal(bytes.SplitN(logs.Bytes(), []byte("\n"), 2)[0], &line); err != nil {
		t.Fatalf("%v: %s", err, logs.Bytes())
	}
	if line.Msg != "http" || line.Method != "GET" || line.Path != "/healthz" ||
		line.Status != 200 || line.Bytes != int64(len(`{"status":"ok","networks":1}`)+1) ||
		line.Ms == nil {
		t.Errorf("access log line %s", logs.Bytes())
	}
}

func TestNewRefusesBadConfigs(t *testing.T) {
	seg := newSquare()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no network", Config{}, "server: no network to serve"},
		{"twice a name", Config{Networks: []Network{fakeNetwork("a", seg),
			fakeNetwork("a", seg)}}, `server: two networks are named "a"`},
		{"no instance", Config{Networks: []Network{{Name: "a", Size: 64}}},
			`server: network "a" has no instance`},
		{"wrong size", Config{Networks: []Network{{Name: "a", Size: 32,
			Instances: []infer.Segmenter{seg}}}}, `network "a": an instance does not take 32px`},
		{"negative limit", Config{Networks: []Network{fakeNetwork("a", seg)}, Queue: -1},
			"server: a limit is negative"},
		{"threshold", Config{Networks: []Network{fakeNetwork("a", seg)}, Threshold: 2},
			"server: threshold 2 is outside (0, 1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseRun(t *testing.T) {
	for _, tc := range []struct {
		spec, name, dir, err string
	}{
		{"runs/unet", "", "runs/unet", ""},
		{"unet=runs/unet", "unet", "runs/unet", ""},
		{"resnext50-unet=/work/runs/a=b", "resnext50-unet", "/work/runs/a=b", ""},
		{"runs/x=y", "", "runs/x=y", ""},
		{"=runs/unet", "", "=runs/unet", ""},
		{"unet=", "", "", `server: run "unet=" names no folder`},
		{"", "", "", `server: run "" names no folder`},
	} {
		name, dir, err := ParseRun(tc.spec)
		if name != tc.name || dir != tc.dir || (err == nil) != (tc.err == "") ||
			err != nil && err.Error() != tc.err {
			t.Errorf("ParseRun(%q) = %q, %q, %v; want %q, %q, %q", tc.spec, name, dir, err,
				tc.name, tc.dir, tc.err)
		}
	}
}

func TestExplainerName(t *testing.T) {
	llm, err := explain.NewLLM(explain.LLMConfig{BaseURL: "http://127.0.0.1:1/v1",
		Model: "m"}, explain.English)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := testServer(t, Config{Explainers: map[explain.Lang]explain.Explainer{
		explain.English: llm}})
	if got := s.explainerName(); got != explain.SourceLLM {
		t.Errorf("explainer %q, want llm", got)
	}
}

func TestHTTPServerTimeouts(t *testing.T) {
	s, _ := testServer(t, Config{InferTimeout: 20 * time.Second,
		ExplainTimeout: 40 * time.Second})
	srv := s.HTTPServer("127.0.0.1:0")
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"read header", srv.ReadHeaderTimeout, 10 * time.Second},
		{"read", srv.ReadTimeout, time.Minute},
		// A minute of reading, then both limits and half a minute of margin.
		{"write", srv.WriteTimeout, 2*time.Minute + 30*time.Second},
		{"idle", srv.IdleTimeout, 2 * time.Minute},
	} {
		if c.got != c.want {
			t.Errorf("%s timeout %v, want %v", c.name, c.got, c.want)
		}
	}
	if srv.Handler != s || srv.Addr != "127.0.0.1:0" {
		t.Errorf("server on %q with handler %T", srv.Addr, srv.Handler)
	}
}

func TestCleanName(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	for _, tc := range []struct{ in, want string }{
		{"scan.png", "scan.png"},
		{`C:\scans\b.png`, "b.png"},
		{"../../etc/passwd", "passwd"},
		{"a\x00b\nc.png", "abc.png"},
		{"", ""},
		{"/", ""},
		{long, strings.Repeat("é", 100)},
	} {
		if got := cleanName(tc.in); got != tc.want {
			t.Errorf("cleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
