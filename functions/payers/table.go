package payers

import (
	"bufio"
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

//go:embed aliases.txt
var aliasFile string

// entry is what one folded alias means.
type entry struct {
	name   string // canonical payer, or the plan's canonical name
	plan   string // the plan the alias implies ("=> Plan"), payers only
	prefix bool   // may match the first words of a longer payer name
}

// state is one Blue Cross Blue Shield territory.
type state struct {
	code  string // two letters, folded ("al")
	name  string // as shown ("Alabama")
	split bool   // Blue Cross and Blue Shield are different companies there
}

// table is the parsed alias file.
type table struct {
	payers   map[string]entry // folded alias -> payer
	plans    map[string]entry // folded alias -> plan phrase
	programs map[string]entry // folded alias -> Medicare, Medicaid, Tricare used as a plan
	states   []state
	byName   map[string]int // folded state name or code -> index in states
	maxWords int            // the longest alias, in words, bounding phrase matching
}

var aliases = sync.OnceValue(func() *table {
	t, err := parseTable(aliasFile)
	if err != nil {
		panic("payers: embedded aliases.txt: " + err.Error())
	}
	return t
})

// parseTable reads the alias file format described at its top.
func parseTable(src string) (*table, error) {
	t := &table{payers: map[string]entry{}, plans: map[string]entry{}, programs: map[string]entry{}, byName: map[string]int{}}
	var kind, name string
	var blueState = -1
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			k, rest, ok := strings.Cut(line[1:], "]")
			rest = strings.TrimSpace(rest)
			if !ok || rest == "" {
				return nil, fmt.Errorf("line %d: want [kind] Name", n)
			}
			kind, name, blueState = k, rest, -1
			switch kind {
			case "plan", "program", "payer":
			case "blue", "blue-split":
				code, stateName, ok := strings.Cut(rest, " ")
				if !ok || len(code) != 2 {
					return nil, fmt.Errorf("line %d: want [%s] XX State name", n, kind)
				}
				blueState = len(t.states)
				t.states = append(t.states, state{code: Key(code), name: strings.TrimSpace(stateName), split: kind == "blue-split"})
				for _, k := range []string{Key(code), Key(stateName)} {
					if _, dup := t.byName[k]; dup {
						return nil, fmt.Errorf("line %d: state %q twice", n, k)
					}
					t.byName[k] = blueState
				}
			default:
				return nil, fmt.Errorf("line %d: unknown kind %q", n, kind)
			}
			continue
		}
		if kind == "" {
			return nil, fmt.Errorf("line %d: alias before any [kind] Name", n)
		}
		alias, implied, _ := strings.Cut(line, "=>")
		alias = strings.TrimSpace(alias)
		e := entry{name: name, plan: strings.TrimSpace(implied)}
		if strings.HasSuffix(alias, " *") {
			e.prefix, alias = true, strings.TrimSuffix(alias, " *")
		}
		key := Key(alias)
		if key == "" {
			return nil, fmt.Errorf("line %d: empty alias", n)
		}
		target := t.payers
		switch kind {
		case "plan":
			target = t.plans
			if e.plan != "" {
				e.name, e.plan = e.plan, "" // a plan alias's "=> Name" is a more specific plan
			}
		case "program":
			target = t.programs
		case "blue", "blue-split":
			e.name = blueName(t.states[blueState], both)
		}
		if old, dup := target[key]; dup {
			return nil, fmt.Errorf("line %d: alias %q already means %q", n, alias, old.name)
		}
		target[key] = e
		t.maxWords = max(t.maxWords, len(strings.Fields(key)))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return t, nil
}
