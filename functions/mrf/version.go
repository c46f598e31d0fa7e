package mrf

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// family is a CMS template generation: the header rows and JSON keys differ
// between v2 and v3.
type family int

const (
	familyV2 family = 2
	familyV3 family = 3
)

// cmsVersion is a CMS data-dictionary version, the unit CMS's validator
// gates every rule by (its applicableVersion such as ">=2.1.0" or
// "^2.2.0"). Written as major*100+minor*10.
type cmsVersion int

// The versions CMS's validator (@cmsgov/hpt-validator 2.4.0) accepts.
const (
	v200 cmsVersion = 200
	v210 cmsVersion = 210
	v220 cmsVersion = 220
	v300 cmsVersion = 300
)

// String returns the version as CMS writes it ("2.2.0").
func (v cmsVersion) String() string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%d.0", v/100, v/10%10)
}

// is22 is CMS's "^2.2.0": rules of v2.2 that v3.0.0 dropped (estimated amount).
func (v cmsVersion) is22() bool { return v >= v220 && v < v300 }

var versionNumber = regexp.MustCompile(`(\d+)(?:\.(\d+))?(?:\.(\d+))?`)

// coerceVersion reads the first number-dotted run in s, as semver's coerce
// (which CMS's validator uses) does: "v2.2" is 2.2.0, "2" is 2.0.0.
func coerceVersion(s string) (major, minor int, ok bool) {
	m := versionNumber.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, false
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2]) // "" reads as 0
	return major, minor, true
}

// exactVersions are the version strings CMS's templates and its validator's
// version alerts use; anything else gets a version.unknown warning.
var exactVersions = map[string]bool{"2.0.0": true, "2.1.0": true, "2.2.0": true, "2.2.1": true, "3.0.0": true}

// declaredFamily maps a declared version to its template family.
func declaredFamily(v string) (family, bool) {
	major, _, ok := coerceVersion(v)
	switch {
	case ok && major == 2:
		return familyV2, true
	case ok && major == 3:
		return familyV3, true
	}
	return familyV3, false
}

// chooseFamily decides which template family (header rows, JSON keys) to
// apply from the declared version and what the layout says (0 when it says
// nothing), and explains the choice in a warning when they disagree.
func chooseFamily(declared string, layout family, ps *problems, col string) family {
	fam, known := declaredFamily(declared)
	switch {
	case layout != 0 && known && layout != fam:
		ps.warnf(0, col, RuleVersionMismatch, "version %q does not match the file's layout, which is the v%d template", declared, layout)
		return layout
	case layout != 0:
		return layout
	case !known:
		return familyV3
	}
	return fam
}

// chooseVersion decides which data dictionary's rules apply, within the
// family already chosen. The v2 templates kept "2.0.0" in their version
// field through v2.1 and v2.2 (CMS's own v2.2 check expects "2.0.0"), so the
// number alone cannot tell them apart; the layout can: has22 says the file
// carries the columns v2.2.0 added (modifiers, drug unit and type, estimated
// amount). A v2 file declaring 2.1 is checked as 2.1.0; one declaring 2.2
// without those columns, or anything else without them, as the version its
// columns fit. The choice is explained by a warning when the declared string
// is not exactly a CMS version or names another one.
func chooseVersion(declared string, fam family, has22 bool, ps *problems, col string) cmsVersion {
	var applied cmsVersion
	major, minor, ok := coerceVersion(declared)
	switch {
	case fam == familyV3:
		applied = v300
	case ok && major == 2 && minor == 1:
		applied = v210
	case has22:
		applied = v220
	case ok && major == 2 && minor == 2:
		applied = v210
	default:
		applied = v200
	}
	d := strings.TrimSpace(declared)
	switch {
	case !exactVersions[d]:
		ps.warnf(0, col, RuleVersionUnknown, "version %q is not a CMS template version; checked as %s, the version its layout implies", declared, applied)
	case fam == familyV2 && major == 2 && minor == 2 && applied != v220:
		ps.warnf(0, col, RuleVersionMismatch, "version %q but the file lacks the columns v2.2.0 added; checked as %s", declared, applied)
	}
	return applied
}
