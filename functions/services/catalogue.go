package services

import (
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"hospitalpriceline/functions/priceline"
)

// Code types of the catalogue, spelled as CMS price files and the priceline
// package spell them.
const (
	CodeTypeCPT    = "CPT"
	CodeTypeHCPCS  = "HCPCS"
	CodeTypeMSDRG  = "MS-DRG"
	CodeTypeAPRDRG = "APR-DRG"
)

//go:embed data/services.json data/abbreviations.csv data/synonyms.csv
var dataFS embed.FS

// Service is one shoppable service of the catalogue: our own plain-language
// name and description, and the billing codes that identify it in any
// hospital's file.
type Service struct {
	ID          string // stable slug, used in URLs
	Name        string
	Description string
	Category    string
	Codes       []priceline.Code
	Keywords    []string // words people use for it, for search

	match profile
}

// profile is how the description matcher recognises a service: reference
// phrases scored against a description, anchor groups of which every one
// must be present, and words that rule the service out.
type profile struct {
	phrases []phrase
	anchors [][]string
	exclude []string
}

type phrase struct {
	text   string
	tokens []string
}

// Category is a group of services, in catalogue order.
type Category struct {
	Name     string
	Services []Service
}

// Catalogue is the list of services with the tables that match and search
// them. It is read-only after Load and safe for concurrent use.
type Catalogue struct {
	services []Service
	byID     map[string]int
	byCode   map[string]int // codeKey -> index into services
	norm     *normalizer
	synonyms []synonym
	index    []searchIndex
}

// Default returns the catalogue built from the embedded data files: the 70
// CMS-specified shoppable services (45 CFR 180.60).
var Default = sync.OnceValue(func() *Catalogue {
	read := func(name string) []byte {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			panic(err)
		}
		return b
	}
	c, err := Load(read("data/services.json"), read("data/abbreviations.csv"), read("data/synonyms.csv"))
	if err != nil {
		// The data is embedded and tested: failing here is a build defect.
		panic(fmt.Sprintf("services: embedded catalogue: %v", err))
	}
	return c
})

// jsonService is the file form of a Service.
type jsonService struct {
	ID          string `json:"id"`
	Category    string `json:"category"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Codes       []struct {
		Code string `json:"code"`
		Type string `json:"type"`
	} `json:"codes"`
	Keywords []string `json:"keywords"`
	Match    struct {
		Phrases []string   `json:"phrases"`
		Anchors [][]string `json:"anchors"`
		Exclude []string   `json:"exclude"`
	} `json:"match"`
}

var slug = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Load builds a catalogue from a services JSON file, an abbreviation table
// and a synonym table, checking that ids are unique slugs, codes are
// well-formed and no code belongs to two services.
func Load(servicesJSON, abbreviationsCSV, synonymsCSV []byte) (*Catalogue, error) {
	norm, err := parseAbbreviations(abbreviationsCSV)
	if err != nil {
		return nil, err
	}
	syn, err := parseSynonyms(synonymsCSV)
	if err != nil {
		return nil, err
	}
	var in []jsonService
	if err := json.Unmarshal(servicesJSON, &in); err != nil {
		return nil, fmt.Errorf("services file: %w", err)
	}
	c := &Catalogue{byID: map[string]int{}, byCode: map[string]int{}, norm: norm, synonyms: syn}
	for i, js := range in {
		if !slug.MatchString(js.ID) {
			return nil, fmt.Errorf("service %d: id %q is not a slug", i, js.ID)
		}
		if _, dup := c.byID[js.ID]; dup {
			return nil, fmt.Errorf("service %s: id twice", js.ID)
		}
		if js.Name == "" || js.Description == "" || js.Category == "" || len(js.Codes) == 0 {
			return nil, fmt.Errorf("service %s: name, description, category and codes are required", js.ID)
		}
		s := Service{ID: js.ID, Name: js.Name, Description: js.Description, Category: js.Category, Keywords: js.Keywords}
		for _, cd := range js.Codes {
			code := priceline.NormalizeCode(priceline.Code{Code: cd.Code, Type: cd.Type})
			if err := wellFormed(code); err != nil {
				return nil, fmt.Errorf("service %s: %w", js.ID, err)
			}
			key, _ := codeKey(code)
			if other, dup := c.byCode[key]; dup {
				return nil, fmt.Errorf("service %s: code %s %s already belongs to %s", js.ID, code.Type, code.Code, c.services[other].ID)
			}
			c.byCode[key] = i
			s.Codes = append(s.Codes, code)
		}
		if s.match, err = norm.profile(js.Match.Phrases, js.Match.Anchors, js.Match.Exclude); err != nil {
			return nil, fmt.Errorf("service %s: %w", js.ID, err)
		}
		c.byID[js.ID] = i
		c.services = append(c.services, s)
	}
	c.index = c.buildIndex()
	return c, nil
}

// profile normalises the matching data of one service with the same table
// the descriptions go through; anchors and exclusions must each normalise
// to exactly one word, or they could never be found.
func (n *normalizer) profile(phrases []string, anchors [][]string, exclude []string) (profile, error) {
	var p profile
	if len(phrases) == 0 || len(anchors) == 0 {
		return p, fmt.Errorf("match needs phrases and anchors")
	}
	one := func(w string) (string, error) {
		t := n.tokens(w)
		if len(t) != 1 {
			// Numbers are dropped by tokens; anchors such as age bands keep them.
			if isNumber(strings.TrimSpace(w)) {
				return strings.TrimSpace(w), nil
			}
			return "", fmt.Errorf("match word %q normalises to %v, want one word", w, t)
		}
		return t[0], nil
	}
	for _, ph := range phrases {
		p.phrases = append(p.phrases, phrase{text: ph, tokens: n.tokens(ph)})
	}
	for _, group := range anchors {
		var g []string
		for _, w := range group {
			t, err := one(w)
			if err != nil {
				return p, err
			}
			g = append(g, t)
		}
		p.anchors = append(p.anchors, g)
	}
	for _, w := range exclude {
		t, err := one(w)
		if err != nil {
			return p, err
		}
		p.exclude = append(p.exclude, t)
	}
	return p, nil
}

var codeShapes = map[string]*regexp.Regexp{
	CodeTypeCPT:    regexp.MustCompile(`^(\d{5}|\d{4}[FTU])$`),
	CodeTypeHCPCS:  regexp.MustCompile(`^([A-V]\d{4}|\d{5})$`),
	CodeTypeMSDRG:  regexp.MustCompile(`^\d{3}$`),
	CodeTypeAPRDRG: regexp.MustCompile(`^\d{3}$`),
}

// wellFormed reports whether a catalogue code has a known type and the shape
// codes of that type have.
func wellFormed(c priceline.Code) error {
	re, ok := codeShapes[c.Type]
	if !ok {
		return fmt.Errorf("code %s: type %q is not CPT, HCPCS, MS-DRG or APR-DRG", c.Code, c.Type)
	}
	if !re.MatchString(c.Code) {
		return fmt.Errorf("code %q is not a well-formed %s code", c.Code, c.Type)
	}
	return nil
}

// Services returns every service in catalogue order.
func (c *Catalogue) Services() []Service { return append([]Service(nil), c.services...) }

// ByID returns the service with that id.
func (c *Catalogue) ByID(id string) (Service, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Service{}, false
	}
	return c.services[i], true
}

// Categories returns the services grouped by category, categories in the
// order they first appear in the catalogue.
func (c *Catalogue) Categories() []Category {
	var out []Category
	at := map[string]int{}
	for _, s := range c.services {
		i, ok := at[s.Category]
		if !ok {
			i = len(out)
			at[s.Category] = i
			out = append(out, Category{Name: s.Category})
		}
		out[i].Services = append(out[i].Services, s)
	}
	return out
}

// ForCode returns the service a billing code belongs to, if any (see
// codeKey for which code types count and how they are compared).
func (c *Catalogue) ForCode(code priceline.Code) (Service, bool) {
	key, ok := codeKey(code)
	if !ok {
		return Service{}, false
	}
	i, ok := c.byCode[key]
	if !ok {
		return Service{}, false
	}
	return c.services[i], true
}

var (
	hcpcsShape = regexp.MustCompile(`^([A-V]\d{4}|\d{5}|\d{4}[FTU])`)
	modifiers  = regexp.MustCompile(`^([- ]?[A-Z0-9]{2})+$`)
)

// codeKey is the form in which a row's code is looked up in the catalogue,
// and whether the code is of a type that identifies a service (CPT, HCPCS,
// MS-DRG, APR-DRG). CPT and HCPCS share one key space because CPT is level I
// of HCPCS and files label the same code either way; a modifier written onto
// the code (73050LT, 80061-QW, 9928125) is cut off; DRGs are compared
// without leading zeros beyond three digits and APR-DRGs without a severity
// suffix (302-1).
func codeKey(code priceline.Code) (string, bool) {
	n := priceline.NormalizeCode(code)
	switch n.Type {
	case CodeTypeCPT, CodeTypeHCPCS:
		c := n.Code
		if len(c) > 5 {
			if m := hcpcsShape.FindString(c); m != "" && modifiers.MatchString(c[5:]) {
				c = m
			}
		}
		return "HCPCS:" + c, true
	case CodeTypeMSDRG, CodeTypeAPRDRG:
		c := n.Code
		if n.Type == CodeTypeAPRDRG {
			if i := strings.IndexAny(c, "-."); i > 0 {
				c = c[:i]
			}
		}
		c = strings.TrimLeft(c, "0")
		for len(c) < 3 {
			c = "0" + c
		}
		return n.Type + ":" + c, true
	}
	return "", false
}
