package funchost

import (
	"strconv"
	"strings"
)

// cronField describes one NCRONTAB field: its range and, for month and
// day-of-week, the English names NCrontab accepts.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] is the value min+i
}

// cronFields are NCrontab's six fields with seconds included, in order.
// Day-of-week is 0-6 with Sunday = 0; NCrontab rejects 7.
var cronFields = [6]cronField{
	{name: "second", min: 0, max: 59},
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}},
	{name: "day-of-week", min: 0, max: 6, names: []string{
		"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}},
}

// minNameLen is the shortest month or day name we accept. NCrontab takes
// any case-insensitive prefix, first match winning, so "J" means January
// and "T" Tuesday; three letters, as the docs recommend, are never
// ambiguous.
const minNameLen = 3

// ValidateSchedule checks a timer schedule: a six-field NCRONTAB expression
// "second minute hour day month day-of-week" where each field is "*", a
// value, a range "a-b", a step "*/n", "a/n" or "a-b/n", or a comma list of
// those; months and days of the week may be English names or their
// prefixes of at least three letters, in any case ("MON-FRI", "Jan").
//
// It accepts a subset of what the host accepts, never more: where NCrontab
// quietly reinterprets a mistake (a reversed range "FRI-MON" is swapped to
// MON-FRI, a step of 0 becomes 1) it is rejected here. The TimeSpan form
// ("01:00:00") is rejected because the host honours it only on App Service
// plans, and "%AppSetting%" indirection because the schedule belongs in the
// route table where it can be reviewed and tested.
func ValidateSchedule(expr string) error {
	bad := func(format string, args ...any) error {
		return invalid("invalid_schedule", "Schedule %q: "+format, append([]any{expr}, args...)...)
	}
	if strings.TrimSpace(expr) == "" {
		return invalid("invalid_schedule", "A timer function needs a schedule.")
	}
	if strings.HasPrefix(expr, "%") && strings.HasSuffix(expr, "%") {
		return bad("app-setting schedules are not used; write the NCRONTAB expression in the route table.")
	}
	if strings.ContainsAny(expr, "\t\r\n\v\f") {
		return bad("separate the fields with single spaces.")
	}
	fields := strings.Fields(expr)
	if len(fields) != 6 {
		if len(fields) == 1 && strings.Count(expr, ":") >= 2 {
			return bad("TimeSpan schedules run only on App Service plans; use six NCRONTAB fields such as \"0 0 * * * *\".")
		}
		return bad("has %d fields; NCRONTAB needs six: second minute hour day month day-of-week.", len(fields))
	}
	for i, f := range fields {
		if err := cronFields[i].validate(f); err != nil {
			return bad("%s field %q: %s.", cronFields[i].name, f, err.Error())
		}
	}
	return nil
}

// fieldError is a plain reason, wrapped by ValidateSchedule into a
// *priceline.Error that names the schedule and the field.
type fieldError string

func (e fieldError) Error() string { return string(e) }

// validate checks one field: a comma list of items.
func (c cronField) validate(field string) error {
	for item := range strings.SplitSeq(field, ",") {
		if err := c.validateItem(item); err != nil {
			return err
		}
	}
	return nil
}

// validateItem checks "*", "v", "a-b", each optionally followed by "/step".
func (c cronField) validateItem(item string) error {
	if item == "" {
		return fieldError("empty list item")
	}
	base, step, hasStep := strings.Cut(item, "/")
	if hasStep {
		n, err := parseNumber(step)
		if err != nil || n < 1 {
			return fieldError("the step after '/' must be a whole number of at least 1")
		}
		if n > c.max-c.min+1 {
			return fieldError("the step is larger than the field's range")
		}
	}
	if base == "*" {
		return nil
	}
	lo, hi, isRange := strings.Cut(base, "-")
	a, err := c.value(lo)
	if err != nil {
		return err
	}
	if !isRange {
		return nil
	}
	b, err := c.value(hi)
	if err != nil {
		return err
	}
	if a > b {
		return fieldError("the range runs backwards; NCrontab would silently swap its ends")
	}
	return nil
}

// value parses a number in range or, where the field has them, a name.
func (c cronField) value(s string) (int, error) {
	if s == "" {
		return 0, fieldError("missing value")
	}
	if isDigit(s[0]) {
		n, err := parseNumber(s)
		if err != nil {
			return 0, fieldError("not a number")
		}
		if n < c.min || n > c.max {
			return 0, fieldError("values run from " + strconv.Itoa(c.min) + " to " + strconv.Itoa(c.max))
		}
		return n, nil
	}
	if c.names == nil {
		return 0, fieldError("must be a number from " + strconv.Itoa(c.min) + " to " + strconv.Itoa(c.max))
	}
	if len(s) >= minNameLen {
		for i, name := range c.names {
			if len(s) <= len(name) && strings.EqualFold(name[:len(s)], s) {
				return c.min + i, nil
			}
		}
	}
	return 0, fieldError("unknown name; use a number or at least the first three letters of an English name")
}

// parseNumber parses a short run of ASCII digits and nothing else.
func parseNumber(s string) (int, error) {
	if s == "" || len(s) > 4 {
		return 0, fieldError("bad number")
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, fieldError("bad number")
		}
	}
	return strconv.Atoi(s)
}
