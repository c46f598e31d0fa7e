package mrf

import "strings"

// family is a CMS template generation; rules differ between them.
type family int

const (
	familyV2 family = 2
	familyV3 family = 3
)

// versionFamily maps a declared version to its template family. "2.0" is
// read as "2.0.0" because spreadsheet tools drop trailing zeros.
func versionFamily(v string) (family, bool) {
	v = strings.TrimPrefix(strings.TrimSpace(strings.ToLower(v)), "v")
	switch v {
	case "2.0", "2.0.0", "2.1", "2.1.0", "2.2", "2.2.0", "2.2.1":
		return familyV2, true
	case "3.0", "3.0.0":
		return familyV3, true
	}
	return familyV3, false
}

// chooseFamily decides which rules to apply from the declared version and
// what the layout says (0 when it says nothing), and explains the choice in
// a warning when they disagree.
func chooseFamily(declared string, layout family, ps *problems, col string) family {
	fam, known := versionFamily(declared)
	switch {
	case layout != 0 && known && layout != fam:
		ps.warnf(0, col, RuleVersionMismatch, "version %q does not match the file's layout, which is the v%d.0 template; checked as v%d.0", declared, layout, layout)
		return layout
	case layout != 0 && !known:
		ps.warnf(0, col, RuleVersionUnknown, "version %q is not a CMS template version; checked as v%d.0 by its layout", declared, layout)
		return layout
	case !known:
		ps.warnf(0, col, RuleVersionUnknown, "version %q is not a CMS template version; checked as v3.0.0", declared)
		return familyV3
	}
	return fam
}
