package priceline

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Each Err is a new *Error: a caller that changes the error it got changes
// neither another caller's nor the ones Err makes later. (The refusals are
// exported variables, so this says nothing of a caller that assigns one.)
func TestRefusal_ErrIsNewEachCall(t *testing.T) {
	const want = "user_exists (conflict): A user with that ID already exists."
	a, b := UserExists.Err(), UserExists.Err()
	if a == b {
		t.Fatal("two calls of Err returned the same *Error")
	}
	var ea *Error
	if !errors.As(a, &ea) {
		t.Fatalf("Err returned %T, want *Error", a)
	}
	ea.Message, ea.Code = "changed", "changed"
	if b.Error() != want {
		t.Fatalf("changing one caller's error changed another's: %v", b)
	}
	if later := UserExists.Err(); later.Error() != want {
		t.Fatalf("changing an error changed what Err makes next: %v", later)
	}
}

func TestRefusal_InMatchesCodeThroughWrapping(t *testing.T) {
	wrapped := fmt.Errorf("add user: %w", UserExists.Err())
	cases := []struct {
		name string
		r    Refusal
		err  error
		want bool
	}{
		{"same", UserExists, UserExists.Err(), true},
		{"wrapped", UserExists, wrapped, true},
		{"reworded", EmailTaken, EmailTaken.Saying("Another account uses this address now.").Err(), true},
		{"with cause", SignInCancelled, SignInCancelled.Wrap(errors.New("access_denied")), true},
		{"other code", UserNotFound, wrapped, false},
		{"foreign", UserExists, errors.New("user_exists"), false},
		{"nil", UserExists, nil, false},
	}
	for _, c := range cases {
		if got := c.r.In(c.err); got != c.want {
			t.Errorf("%s: %s.In(%v) = %v, want %v", c.name, c.r.Code, c.err, got, c.want)
		}
	}
}

func TestRefusal_WrapKeepsCauseAndSayingKeepsCode(t *testing.T) {
	cause := errors.New("provider said no")
	err := ReauthRequired.Wrap(cause)
	if !errors.Is(err, cause) || err.Kind != KindForbidden || err.Message != ReauthRequired.Message {
		t.Fatalf("Wrap = %+v, want ReauthRequired with its cause", err)
	}
	r := ReauthRequired.Saying("Sign in again first.")
	if r.Kind != ReauthRequired.Kind || r.Code != ReauthRequired.Code || r.Message != "Sign in again first." {
		t.Fatalf("Saying = %+v", r)
	}
	if ReauthRequired.Message == r.Message {
		t.Fatal("Saying changed the table's refusal")
	}
}

// TestRefusal_TableCodesUniqueAndKindsKnown reads every Refusal literal the
// package declares (the store table and the provider's), so a refusal added
// anywhere is held to a code of its own and a kind the HTTP layer maps.
func TestRefusal_TableCodesUniqueAndKindsKnown(t *testing.T) {
	kinds := map[string]bool{"KindInvalid": true, "KindUnauthorized": true, "KindForbidden": true,
		"KindNotFound": true, "KindConflict": true, "KindTooLarge": true, "KindUnsupported": true,
		"KindTooManyRequests": true, "KindUnavailable": true, "KindInternal": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	byCode := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			for _, spec := range varSpecs(decl) {
				for i, v := range spec.Values {
					lit, ok := v.(*ast.CompositeLit)
					if !ok || !isIdent(lit.Type, "Refusal") {
						continue
					}
					ref := spec.Names[i].Name
					if len(lit.Elts) != 3 {
						t.Errorf("%s: want Refusal{Kind, Code, Message}", ref)
						continue
					}
					if k, ok := lit.Elts[0].(*ast.Ident); !ok || !kinds[k.Name] {
						t.Errorf("%s: kind %v is none of the Kind constants", ref, lit.Elts[0])
					}
					b, ok := lit.Elts[1].(*ast.BasicLit)
					if !ok || b.Kind != token.STRING {
						t.Errorf("%s: the code must be a string literal", ref)
						continue
					}
					code, _ := strconv.Unquote(b.Value)
					if other, taken := byCode[code]; taken || code == "" {
						t.Errorf("%s: code %q is also %s's", ref, code, other)
					}
					byCode[code] = ref
				}
			}
		}
	}
	if len(byCode) < 30 {
		t.Fatalf("found %d refusals, want the whole table (30 or more)", len(byCode))
	}
}

func varSpecs(decl ast.Decl) []*ast.ValueSpec {
	g, ok := decl.(*ast.GenDecl)
	if !ok || g.Tok != token.VAR {
		return nil
	}
	var specs []*ast.ValueSpec
	for _, s := range g.Specs {
		specs = append(specs, s.(*ast.ValueSpec))
	}
	return specs
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
