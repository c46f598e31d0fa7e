package web

import (
	"net/http"
	"strings"
	"testing"

	"hospitalpriceline/functions/funchost"
)

// samplePath turns a Go route pattern into a concrete request path.
func samplePath(pattern string) string {
	r := strings.NewReplacer("{$}", "", "{id}", strings.Repeat("ab", 32), "{path...}", "x/y.css")
	return r.Replace(pattern)
}

// The methods and routes of every generated function.json equal the Go
// router's: a request the host would send to a function reaches exactly the
// Go pattern of the route table entry it came from.
func TestFunctionsMatchGoRouter(t *testing.T) {
	s := &Server{}
	mux := s.mux()
	hostRouter, err := funchost.NewRouter(s.Functions())
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range s.routes() {
		path := samplePath(rt.Path)
		req, _ := http.NewRequest(rt.Method, path, nil)
		if _, pattern := mux.Handler(req); pattern != rt.Method+" "+rt.Path {
			t.Errorf("%s %s: Go router picks %q", rt.Method, path, pattern)
		}
		fn, ok := hostRouter.Match(rt.Method, path)
		if !ok || fn.Name != rt.Name {
			t.Errorf("%s %s: the host would route to %q (matched %v), want %q", rt.Method, path, fn.Name, ok, rt.Name)
		}
	}
	// The timer is reachable only as the host's invocation, never through an
	// HTTP function.
	for _, m := range []string{"GET", "POST"} {
		if fn, ok := hostRouter.Match(m, "/"+CleanupFunction); ok && !fn.IsTimer() && m == "POST" {
			t.Errorf("POST /%s reaches HTTP function %s", CleanupFunction, fn.Name)
		}
	}
}
