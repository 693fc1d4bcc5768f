package main

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

// The OpenAPI document (openapi.json) is written by hand. These tests keep it
// true to the router: a route added without documenting it, or an operation
// documented that the router does not have, fails TestOpenAPIMatchesRouter.
//
// To document a new route, add its operation under "paths" with a unique
// operationId, "x-roles" (the roles it needs; [] for public), "security"
// ([] for public), its request body, every status it can answer, and the
// Idempotency-Key parameter if its POST creates something.

// inOpenAPI reports whether a router path belongs in openapi.json: the JSON
// API, the Twilio webhooks and the health check. Pages are for people and
// are left out.
func inOpenAPI(path string) bool {
	return path == "/healthz" || strings.HasPrefix(path, "/api/v1/") || strings.HasPrefix(path, "/webhooks/")
}

var openAPIMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// oaDoc is the part of an OpenAPI document the tests read.
type oaDoc struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
	raw     any
}

type oaParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

type oaOperation struct {
	Method, Path string // set by operations()

	OperationID   string                     `json:"operationId"`
	Parameters    []oaParam                  `json:"parameters"`
	Responses     map[string]json.RawMessage `json:"responses"`
	Security      *[]map[string][]string     `json:"security"`
	Roles         *[]string                  `json:"x-roles"`
	FakeClockOnly bool                       `json:"x-fake-clock-only"`
}

func (o oaOperation) key() string { return o.Method + " " + o.Path }

func loadOpenAPI(t *testing.T, b []byte) *oaDoc {
	t.Helper()
	var d oaDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if err := json.Unmarshal(b, &d.raw); err != nil {
		t.Fatal(err)
	}
	return &d
}

// operations lists the document's operations, sorted by path and method.
// Path-level parameters are added to each operation's own.
func (d *oaDoc) operations(t *testing.T) []oaOperation {
	t.Helper()
	var ops []oaOperation
	for path, item := range d.Paths {
		var shared []oaParam
		if p, ok := item["parameters"]; ok {
			if err := json.Unmarshal(p, &shared); err != nil {
				t.Fatalf("%s: parameters: %v", path, err)
			}
		}
		for _, m := range openAPIMethods {
			raw, ok := item[m]
			if !ok {
				continue
			}
			var op oaOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", strings.ToUpper(m), path, err)
			}
			op.Method, op.Path = strings.ToUpper(m), path
			op.Parameters = append(slices.Clone(shared), op.Parameters...)
			for i, p := range op.Parameters {
				if p.Ref != "" {
					if err := json.Unmarshal(d.resolve(t, p.Ref), &op.Parameters[i]); err != nil {
						t.Fatalf("%s: %s: %v", op.key(), p.Ref, err)
					}
				}
			}
			ops = append(ops, op)
		}
	}
	slices.SortFunc(ops, func(a, b oaOperation) int { return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method) })
	return ops
}

// resolve follows a local reference ("#/components/parameters/site").
func (d *oaDoc) resolve(t *testing.T, ref string) json.RawMessage {
	t.Helper()
	v, ok := d.lookup(ref)
	if !ok {
		t.Fatalf("reference %q points at nothing", ref)
	}
	b, _ := json.Marshal(v)
	return b
}

func (d *oaDoc) lookup(ref string) (any, bool) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, false
	}
	v := d.raw
	for _, part := range strings.Split(rest, "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

var chiParamRegexp = regexp.MustCompile(`\{([^}:]+):[^}]*\}`)

// apiRoute is one (method, path) the router answers, and its middleware.
type apiRoute struct {
	Method, Path string
	Middlewares  []func(http.Handler) http.Handler
}

func (r apiRoute) key() string { return r.Method + " " + r.Path }

// apiRoutes walks the chi router for the routes that belong in the document.
// Patterns are written as OpenAPI writes them: "{id:[0-9]+}" becomes "{id}"
// and a sub-router's trailing "/" is dropped.
func apiRoutes(t *testing.T, r chi.Router) map[string]apiRoute {
	t.Helper()
	routes := map[string]apiRoute{}
	err := chi.Walk(r, func(method, route string, _ http.Handler, mws ...func(http.Handler) http.Handler) error {
		path := chiParamRegexp.ReplaceAllString(route, "{$1}")
		if len(path) > 1 {
			path = strings.TrimSuffix(path, "/")
		}
		if inOpenAPI(path) {
			rr := apiRoute{Method: method, Path: path, Middlewares: mws}
			routes[rr.key()] = rr
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

// TestOpenAPIMatchesRouter: every route is documented and every documented
// operation is routed, with and without --fake-clock (whose routes are
// marked x-fake-clock-only).
func TestOpenAPIMatchesRouter(t *testing.T) {
	doc := loadOpenAPI(t, openAPI)
	for _, fake := range []bool{true, false} {
		t.Run(fmt.Sprintf("fake-clock=%v", fake), func(t *testing.T) {
			s := start(t, config{FakeClock: fake})
			routed := apiRoutes(t, s.app.router)
			documented := map[string]bool{}
			for _, op := range doc.operations(t) {
				if op.FakeClockOnly && !fake {
					continue
				}
				documented[op.key()] = true
			}
			var undocumented, unrouted []string
			for k := range routed {
				if !documented[k] {
					undocumented = append(undocumented, k)
				}
			}
			for k := range documented {
				if _, ok := routed[k]; !ok {
					unrouted = append(unrouted, k)
				}
			}
			slices.Sort(undocumented)
			slices.Sort(unrouted)
			if len(undocumented) > 0 {
				t.Errorf("routes missing from cmd/frontdoor/openapi.json (document them):\n  %s", strings.Join(undocumented, "\n  "))
			}
			if len(unrouted) > 0 {
				t.Errorf("operations in cmd/frontdoor/openapi.json that the router does not have (remove them, or mark them x-fake-clock-only):\n  %s",
					strings.Join(unrouted, "\n  "))
			}
			if len(routed) == 0 {
				t.Fatal("chi.Walk found no API routes at all")
			}
		})
	}
}

func TestOpenAPIServed(t *testing.T) {
	s := start(t, config{FakeClock: true})
	r := s.do("GET", "/api/v1/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json: status %d, want 200", r.Status)
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		t.Errorf("Content-Type %q, want application/json", r.Header.Get("Content-Type"))
	}
	var d struct {
		OpenAPI string `json:"openapi"`
	}
	r.JSON(t, &d)
	if !strings.HasPrefix(d.OpenAPI, "3.") {
		t.Errorf(`"openapi" is %q, want 3.x`, d.OpenAPI)
	}
}

// TestOpenAPIOperations checks each operation on its own: an operationId
// used once, at least one response, its path parameters declared, and its
// roles and security stated; and that every $ref in the document resolves.
func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t, openAPI)
	ops := doc.operations(t)
	if len(ops) == 0 {
		t.Fatal("openapi.json has no operations")
	}
	ids := map[string]string{}
	for _, op := range ops {
		switch prev, dup := ids[op.OperationID]; {
		case op.OperationID == "":
			t.Errorf("%s: no operationId", op.key())
		case dup:
			t.Errorf("%s: operationId %q is also used by %s", op.key(), op.OperationID, prev)
		default:
			ids[op.OperationID] = op.key()
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: no responses", op.key())
		}
		if op.Roles == nil {
			t.Errorf(`%s: no "x-roles" (the roles it needs; [] for a public operation)`, op.key())
		}
		if op.Security == nil {
			t.Errorf(`%s: no "security" (use [] for a public operation)`, op.key())
		} else if op.Roles != nil && len(*op.Roles) > 0 && len(*op.Security) == 0 {
			t.Errorf("%s: needs roles %v but has no security requirement", op.key(), *op.Roles)
		}
		for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(op.Path, -1) {
			if !slices.ContainsFunc(op.Parameters, func(p oaParam) bool { return p.In == "path" && p.Name == m[1] }) {
				t.Errorf("%s: path parameter %q is not declared", op.key(), m[1])
			}
		}
	}
	var refs func(v any)
	refs = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "$ref" {
					if _, ok := doc.lookup(s); !ok {
						t.Errorf("$ref %q points at nothing", s)
					}
				}
				refs(x)
			}
		case []any:
			for _, x := range v {
				refs(x)
			}
		}
	}
	refs(doc.raw)
}

// TestOpenAPIIdempotencyKeys: the POSTs that the router wraps in the
// Idempotency-Key middleware are exactly those documented with the header.
func TestOpenAPIIdempotencyKeys(t *testing.T) {
	s := start(t, config{FakeClock: true})
	idem := reflect.ValueOf(s.app.idem.Middleware).Pointer()
	var wrapped, documented []string
	for _, r := range apiRoutes(t, s.app.router) {
		if slices.ContainsFunc(r.Middlewares, func(mw func(http.Handler) http.Handler) bool {
			return reflect.ValueOf(mw).Pointer() == idem
		}) {
			wrapped = append(wrapped, r.key())
		}
	}
	for _, op := range loadOpenAPI(t, openAPI).operations(t) {
		if slices.ContainsFunc(op.Parameters, func(p oaParam) bool {
			return p.In == "header" && strings.EqualFold(p.Name, "Idempotency-Key")
		}) {
			documented = append(documented, op.key())
		}
	}
	slices.Sort(wrapped)
	slices.Sort(documented)
	if len(wrapped) == 0 {
		t.Fatal("found no route wrapped in the Idempotency-Key middleware: has the way routes are wrapped changed?")
	}
	if !slices.Equal(wrapped, documented) {
		t.Errorf("Idempotency-Key: the router accepts it on\n  %s\nbut openapi.json documents it on\n  %s",
			strings.Join(wrapped, "\n  "), strings.Join(documented, "\n  "))
	}
}

// TestOpenAPIRoles asks each operation that needs a staff role, as the
// document says, without credentials (401) and with a staff token of a role
// it does not list (403), and checks the document lists those answers.
// Operations with other schemes (a booking's manage token) are left to
// their own tests.
func TestOpenAPIRoles(t *testing.T) {
	s := start(t, config{FakeClock: true})
	s.setupCentre()
	tokens := map[string]string{}
	for _, role := range []string{"manager", "reception", "officer"} {
		secret, _, err := s.app.staff.CreateToken(t.Context(), role, "openapi test "+role, "")
		if err != nil {
			t.Fatal(err)
		}
		tokens[role] = secret
	}
	values := strings.NewReplacer("{site}", "city-hall", "{code}", "HOU", "{desk}", "desk-1")
	anyParam := regexp.MustCompile(`\{[^}]+\}`)
	for _, op := range loadOpenAPI(t, openAPI).operations(t) {
		if op.Security == nil || op.Roles == nil || len(*op.Security) == 0 || len(*op.Roles) == 0 {
			continue
		}
		staffOnly := true
		for _, req := range *op.Security {
			for scheme := range req {
				staffOnly = staffOnly && (scheme == "bearerAuth" || scheme == "sessionCookie")
			}
		}
		if !staffOnly {
			continue
		}
		path := anyParam.ReplaceAllString(values.Replace(op.Path), "1")
		var body any
		if op.Method == "POST" || op.Method == "PUT" || op.Method == "PATCH" {
			body = map[string]any{}
		}
		if r := s.do(op.Method, path, "", body); r.Status != http.StatusUnauthorized {
			t.Errorf("%s without credentials: status %d, want 401 (x-roles %v)\n%s", op.key(), r.Status, *op.Roles, r.Body)
		} else if _, ok := op.Responses["401"]; !ok {
			t.Errorf("%s answers 401 but does not document it", op.key())
		}
		for _, role := range []string{"manager", "reception", "officer"} {
			if slices.Contains(*op.Roles, role) {
				continue
			}
			if r := s.do(op.Method, path, tokens[role], body); r.Status != http.StatusForbidden {
				t.Errorf("%s as %s: status %d, want 403 (x-roles %v)\n%s", op.key(), role, r.Status, *op.Roles, r.Body)
			} else if _, ok := op.Responses["403"]; !ok {
				t.Errorf("%s answers 403 but does not document it", op.key())
			}
			break // one role it does not list is enough
		}
	}
}
