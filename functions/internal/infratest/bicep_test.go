package infratest

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"hospitalpriceline/functions/internal/modroot"
)

// repoRoot is the directory holding go.mod, so the tests do not depend on
// where the package sits.
func repoRoot(t *testing.T) string { return modroot.ForTest(t) }

// readFile returns a repository file's text.
func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return string(b)
}

// bicepFile is one .bicep file with its comments removed, so that a word in a
// comment can neither satisfy nor fail a check.
type bicepFile struct {
	Rel  string // slash-separated, relative to the repository root
	Code string
}

// bicepFiles reads every .bicep file under infra/.
func bicepFiles(t *testing.T) []bicepFile {
	t.Helper()
	root := repoRoot(t)
	var files []bicepFile
	err := filepath.WalkDir(filepath.Join(root, "infra"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".bicep") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, bicepFile{Rel: filepath.ToSlash(rel), Code: stripComments(string(b))})
		return nil
	})
	if err != nil {
		t.Fatalf("walk infra: %v", err)
	}
	if len(files) == 0 {
		t.Fatal("no .bicep files under infra/")
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Rel < files[j].Rel })
	return files
}

// bicep returns one file by its path relative to the repository root.
func bicep(t *testing.T, rel string) bicepFile {
	t.Helper()
	for _, f := range bicepFiles(t) {
		if f.Rel == rel {
			return f
		}
	}
	t.Fatalf("%s not found", rel)
	return bicepFile{}
}

// stripComments blanks // and /* */ comments outside string literals
// ('...' with backslash escapes, and ”'...”' multi-line strings), keeping
// newlines so that line-based patterns still line up.
func stripComments(src string) string {
	var b strings.Builder
	b.Grow(len(src))
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], "'''"):
			end := strings.Index(src[i+3:], "'''")
			if end < 0 {
				b.WriteString(src[i:])
				return b.String()
			}
			b.WriteString(src[i : i+3+end+3])
			i += 3 + end + 3
		case src[i] == '\'':
			j := i + 1
			for j < len(src) && src[j] != '\'' && src[j] != '\n' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(src) {
				j++
			}
			b.WriteString(src[i:j])
			i = j
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			b.WriteString(strings.Repeat("\n", strings.Count(src[i:i+2+end+2], "\n")))
			i += 2 + end + 2
		default:
			b.WriteByte(src[i])
			i++
		}
	}
	return b.String()
}

// block returns the text between the brace at or after start and its
// matching closing brace, skipping braces inside string literals.
func block(code string, start int) (string, bool) {
	open := strings.IndexByte(code[start:], '{')
	if open < 0 {
		return "", false
	}
	open += start
	depth := 0
	inString := false
	for i := open; i < len(code); i++ {
		c := code[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '\'' {
				inString = false
			}
		case c == '\'':
			inString = true
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return code[open+1 : i], true
			}
		}
	}
	return "", false
}

// resource is one resource declaration in a Bicep file.
type resource struct {
	File, Symbol, Type, Body string
	Existing                 bool
}

var resourceDecl = regexp.MustCompile(`(?m)^\s*resource\s+(\w+)\s+'([^'@]+)@[^']*'\s*(existing\s*)?=`)

// resources lists every resource declared in the files, of any type when
// typ is "", else of that type (case-insensitive, without the API version).
func resources(t *testing.T, files []bicepFile, typ string) []resource {
	t.Helper()
	var out []resource
	for _, f := range files {
		for _, m := range resourceDecl.FindAllStringSubmatchIndex(f.Code, -1) {
			r := resource{File: f.Rel, Symbol: f.Code[m[2]:m[3]], Type: f.Code[m[4]:m[5]], Existing: m[6] >= 0}
			body, ok := block(f.Code, m[1])
			if !ok {
				t.Fatalf("%s: resource %s has no body", f.Rel, r.Symbol)
			}
			r.Body = body
			if typ == "" || strings.EqualFold(r.Type, typ) {
				out = append(out, r)
			}
		}
	}
	return out
}

// oneResource returns the single non-existing resource of a type.
func oneResource(t *testing.T, typ string) resource {
	t.Helper()
	var found []resource
	for _, r := range resources(t, bicepFiles(t), typ) {
		if !r.Existing {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s resource, found %d", typ, len(found))
	}
	return found[0]
}

// property returns the values of every `name: value` line in body.
func property(body, name string) []string {
	re := regexp.MustCompile(`(?m)^\s*'?` + regexp.QuoteMeta(name) + `'?\s*:\s*(.*?)\s*$`)
	var vals []string
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		vals = append(vals, m[1])
	}
	return vals
}

// wantProperty fails unless body sets name to exactly want.
func wantProperty(t *testing.T, r resource, name, want string) {
	t.Helper()
	vals := property(r.Body, name)
	if len(vals) == 0 {
		t.Errorf("%s: %s %s does not set %s (want %s)", r.File, r.Type, r.Symbol, name, want)
		return
	}
	for _, v := range vals {
		if v != want {
			t.Errorf("%s: %s %s sets %s: %s, want %s", r.File, r.Type, r.Symbol, name, v, want)
		}
	}
}

// appSettings returns the names in main.bicep's `var appSettings = {...}`
// and the block's text.
func appSettings(t *testing.T) (map[string]bool, string) {
	t.Helper()
	main := bicep(t, "infra/main.bicep")
	loc := regexp.MustCompile(`(?m)^var\s+appSettings\s*=`).FindStringIndex(main.Code)
	if loc == nil {
		t.Fatal("infra/main.bicep: no `var appSettings = {...}`")
	}
	body, ok := block(main.Code, loc[1])
	if !ok {
		t.Fatal("infra/main.bicep: appSettings block is not closed")
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*'?([A-Za-z_][A-Za-z0-9_]*)'?\s*:`).FindAllStringSubmatch(body, -1) {
		names[m[1]] = true
	}
	return names, body
}

func TestStripCommentsKeepsStringsAndDropsComments(t *testing.T) {
	src := "a: 'http://x' // gone\n/* gone\n */b: '''\n// kept\n'''\nc: 'it\\'s // kept'\n"
	got := stripComments(src)
	for _, want := range []string{"'http://x'", "// kept", "'it\\'s // kept'"} {
		if !strings.Contains(got, want) {
			t.Errorf("stripComments dropped %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "gone") {
		t.Errorf("stripComments kept a comment:\n%s", got)
	}
	if strings.Count(got, "\n") != strings.Count(src, "\n") {
		t.Errorf("stripComments changed the line count")
	}
}
