package web

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"hospitalpriceline/functions/priceline"
)

// PriceAPI serves the public price endpoints: hospitals, procedure search,
// charge rows and the comparison across hospitals. It only translates HTTP
// to the PriceStore and the domain's query functions.
type PriceAPI struct {
	Store priceline.PriceStore
	// CursorKey returns the key that signs continuation cursors. Every
	// instance must get the same key (a per-process key would break paging
	// across instances), so cmd derives it from the session-signing key.
	// Nil, or an empty key, means a built-in key: cursors then still detect
	// accidental damage and reuse for another query, but could be forged —
	// which is harmless, since a cursor only says where a page starts.
	CursorKey func() []byte
	// Saved keeps signed-in users' saved estimates; nil disables them (503).
	Saved priceline.SavedStore
}

// priceRoutes are the price endpoints, for the Server's route table: the
// public ones, and the saved estimates behind s.withSession (signed in; the
// CSRF token on POST and DELETE).
func (s *Server) priceRoutes(p *PriceAPI) []route {
	return []route{
		{"Hospitals", "GET", "/api/hospitals", p.handleHospitals},
		{"Procedures", "GET", "/api/procedures", p.handleProcedures},
		{"Prices", "GET", "/api/prices", p.handlePrices},
		{"PricesCompare", "GET", "/api/prices/compare", p.handleCompare},
		{"MeSaved", "GET", "/api/me/saved", s.withSession(p.handleListSaved)},
		{"MeSaved", "POST", "/api/me/saved", s.withSession(p.handleCreateSaved)},
		{"MeSavedItem", "DELETE", "/api/me/saved/{id}", s.withSession(p.handleDeleteSaved)},
	}
}

// Input limits of the price endpoints.
const (
	maxPriceLimit          = 100
	defaultPriceLimit      = 20
	maxProcedureLimit      = 50
	defaultProcLimit       = 10
	maxQueryLen            = 200
	maxCodeLen             = 64
	maxCodeTypeLen         = 20
	maxNameLen             = 200
	maxCursorLen           = 100
	maxCodesForQ           = 10 // procedures read when /api/prices is searched by words
	maxCursorOffset        = 1_000_000
	priceCacheSeconds      = "60"
	cursorVersion     byte = 1
)

func (p *PriceAPI) store() (priceline.PriceStore, error) {
	if p == nil || p.Store == nil {
		return nil, priceline.Errorf(priceline.KindUnavailable, "prices_unavailable", "Prices are not available right now.")
	}
	return p.Store, nil
}

// queryParams reads a query string strictly: only the named parameters, each
// at most once, valid UTF-8 without control characters, within its length.
// Anything else is a 400 before any storage is touched.
func queryParams(r *http.Request, limits map[string]int) (map[string]string, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, invalid("invalid_query", "The query string is malformed.")
	}
	out := map[string]string{}
	for k, vs := range vals {
		max, ok := limits[k]
		if !ok {
			return nil, invalid("unknown_parameter", "The parameter %q is not supported here.", clipName(k))
		}
		if len(vs) != 1 {
			return nil, invalid("invalid_query", "The parameter %q may be given only once.", k)
		}
		v := strings.TrimSpace(vs[0])
		if !utf8.ValidString(v) || strings.ContainsFunc(v, func(c rune) bool { return unicode.IsControl(c) }) {
			return nil, invalid("invalid_query", "The parameter %q contains characters that are not allowed.", k)
		}
		if utf8.RuneCountInString(v) > max {
			return nil, invalid("invalid_query", "The parameter %q is longer than %d characters.", k, max)
		}
		if v != "" {
			out[k] = v
		}
	}
	return out, nil
}

// clipName keeps an unknown parameter's name short and printable in the
// message that echoes it.
func clipName(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

func parseLimit(q map[string]string, def, max int) (int, error) {
	v, ok := q["limit"]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, invalid("invalid_limit", "limit must be a whole number from 1 to %d.", max)
	}
	return n, nil
}

// codeParams validates code and codeType; required makes code mandatory.
func codeParams(q map[string]string, required bool) (priceline.Code, bool, error) {
	code, typ := q["code"], q["codeType"]
	if code == "" {
		if required {
			return priceline.Code{}, false, invalid("missing_code", "code is required (with codeType).")
		}
		if typ != "" {
			return priceline.Code{}, false, invalid("missing_code", "codeType needs a code.")
		}
		return priceline.Code{}, false, nil
	}
	if typ == "" {
		return priceline.Code{}, false, invalid("missing_code_type", "codeType is required with code (for example CPT, HCPCS, MS-DRG or RC).")
	}
	for _, c := range typ {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return priceline.Code{}, false, invalid("invalid_code_type", "codeType may contain only letters, digits and dashes.")
		}
	}
	return priceline.Code{Code: code, Type: typ}, true, nil
}

// moneyJSON is an exact amount: a decimal string and whole cents, in USD.
type moneyJSON struct {
	Amount   string `json:"amount"`
	Cents    int64  `json:"cents"`
	Currency string `json:"currency"`
}

func toMoney(m priceline.Money) *moneyJSON {
	if !m.Set {
		return nil
	}
	return &moneyJSON{Amount: m.Decimal, Cents: m.Cents, Currency: "USD"}
}

// percentJSON is a percentage as the file gives it: "62.5" means 62.5 %.
type percentJSON struct {
	Value string `json:"value"`
	Unit  string `json:"unit"`
}

func toPercent(s string) *percentJSON {
	if s == "" {
		return nil
	}
	return &percentJSON{Value: s, Unit: "percent"}
}

type hospitalRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type codeJSON struct {
	Code string `json:"code"`
	Type string `json:"type"`
}

// hospitalJSON is the public view of a hospital.
type hospitalJSON struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Locations     []string `json:"locations"`
	Addresses     []string `json:"addresses"`
	LicenseNumber string   `json:"licenseNumber,omitempty"`
	LicenseState  string   `json:"licenseState,omitempty"`
	LastUpdatedOn string   `json:"lastUpdatedOn"`
	FileVersion   string   `json:"fileVersion"`
}

// handleHospitals lists the hospitals with imported prices, by name.
func (p *PriceAPI) handleHospitals(w http.ResponseWriter, r *http.Request) error {
	st, err := p.store()
	if err != nil {
		return err
	}
	if _, err := queryParams(r, map[string]int{}); err != nil {
		return err
	}
	hs, err := st.Hospitals(r.Context())
	if err != nil {
		return err
	}
	slices.SortFunc(hs, func(a, b priceline.Hospital) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	out := make([]hospitalJSON, 0, len(hs))
	for _, h := range hs {
		out = append(out, hospitalJSON{
			ID: h.ID, Name: h.Name, Locations: nonNil(h.Locations), Addresses: nonNil(h.Addresses),
			LicenseNumber: h.LicenseNumber, LicenseState: h.LicenseState, LastUpdatedOn: h.LastUpdatedOn, FileVersion: h.Version,
		})
	}
	w.Header().Set("Cache-Control", "public, max-age="+priceCacheSeconds)
	writeJSON(w, http.StatusOK, map[string]any{"hospitals": out})
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type procedureJSON struct {
	Code        string `json:"code"`
	CodeType    string `json:"codeType"`
	Description string `json:"description"`
}

// handleProcedures is the autocomplete: code prefix or description words.
func (p *PriceAPI) handleProcedures(w http.ResponseWriter, r *http.Request) error {
	st, err := p.store()
	if err != nil {
		return err
	}
	q, err := queryParams(r, map[string]int{"q": maxQueryLen, "limit": 4})
	if err != nil {
		return err
	}
	limit, err := parseLimit(q, defaultProcLimit, maxProcedureLimit)
	if err != nil {
		return err
	}
	if q["q"] == "" {
		return invalid("missing_query", "q is required: the start of a code, or words of a description.")
	}
	ps, err := st.Procedures(r.Context(), q["q"], limit)
	if err != nil {
		return err
	}
	out := make([]procedureJSON, 0, len(ps))
	for _, pr := range ps {
		out = append(out, procedureJSON{Code: pr.Code, CodeType: pr.CodeType, Description: pr.Description})
	}
	w.Header().Set("Cache-Control", "public, max-age="+priceCacheSeconds)
	writeJSON(w, http.StatusOK, map[string]any{"procedures": out})
	return nil
}

// chargeJSON is one charge row. Amounts are exact (see moneyJSON); the
// negotiated percentage is a percentage of the gross charge, as CMS defines.
type chargeJSON struct {
	Hospital             hospitalRefJSON `json:"hospital"`
	Description          string          `json:"description"`
	Code                 string          `json:"code"`
	CodeType             string          `json:"codeType"`
	Codes                []codeJSON      `json:"codes"`
	Setting              string          `json:"setting"`
	Modifiers            []string        `json:"modifiers"`
	DrugUnit             string          `json:"drugUnit,omitempty"`
	DrugType             string          `json:"drugType,omitempty"`
	Gross                *moneyJSON      `json:"gross"`
	DiscountedCash       *moneyJSON      `json:"discountedCash"`
	Min                  *moneyJSON      `json:"min"`
	Max                  *moneyJSON      `json:"max"`
	Payer                string          `json:"payer"`
	Plan                 string          `json:"plan"`
	NegotiatedDollar     *moneyJSON      `json:"negotiatedDollar"`
	NegotiatedPercentage *percentJSON    `json:"negotiatedPercentage"`
	NegotiatedAlgorithm  string          `json:"negotiatedAlgorithm"`
	Median               *moneyJSON      `json:"median"`
	P10                  *moneyJSON      `json:"p10"`
	P90                  *moneyJSON      `json:"p90"`
	Count                string          `json:"count"`
	Methodology          string          `json:"methodology"`
	PayerNotes           string          `json:"payerNotes"`
	Notes                string          `json:"notes"`
}

func toChargeJSON(c *priceline.Charge, code priceline.Code, names map[string]string) chargeJSON {
	out := chargeJSON{
		Hospital: hospitalRefJSON{ID: c.HospitalID, Name: names[c.HospitalID]}, Description: c.Description,
		Code: code.Code, CodeType: code.Type, Codes: []codeJSON{}, Setting: c.Setting, Modifiers: nonNil(c.Modifiers),
		DrugUnit: c.DrugUnit, DrugType: c.DrugType, Gross: toMoney(c.Gross), DiscountedCash: toMoney(c.DiscountedCash),
		Min: toMoney(c.Min), Max: toMoney(c.Max), Payer: c.Payer, Plan: c.Plan, NegotiatedDollar: toMoney(c.NegotiatedDollar),
		NegotiatedPercentage: toPercent(c.NegotiatedPercentage), NegotiatedAlgorithm: c.NegotiatedAlgorithm,
		Median: toMoney(c.Median), P10: toMoney(c.P10), P90: toMoney(c.P90), Count: c.Count, Methodology: c.Methodology,
		PayerNotes: c.PayerNotes, Notes: c.GenericNotes,
	}
	want := priceline.NormalizeCode(code)
	for _, cd := range c.Codes {
		out.Codes = append(out.Codes, codeJSON{Code: cd.Code, Type: cd.Type})
		if priceline.NormalizeCode(cd) == want {
			out.Code, out.CodeType = cd.Code, cd.Type // as this hospital writes it
		}
	}
	return out
}

// hospitalNames maps hospital IDs to names for the rows of a response.
func hospitalNames(ctx context.Context, st priceline.PriceStore) (map[string]string, error) {
	hs, err := st.Hospitals(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(hs))
	for _, h := range hs {
		names[h.ID] = h.Name
	}
	return names, nil
}

// codedCharge is a charge with the code it was found under.
type codedCharge struct {
	code   priceline.Code
	charge priceline.Charge
}

// handlePrices lists charge rows of one procedure (code and codeType), or of
// the procedures whose descriptions match q, filtered, sorted and paged.
func (p *PriceAPI) handlePrices(w http.ResponseWriter, r *http.Request) error {
	st, err := p.store()
	if err != nil {
		return err
	}
	q, err := queryParams(r, map[string]int{
		"code": maxCodeLen, "codeType": maxCodeTypeLen, "q": maxQueryLen, "payer": maxNameLen, "plan": maxNameLen,
		"setting": 20, "hospital": 32, "sort": 20, "limit": 4, "cursor": maxCursorLen,
	})
	if err != nil {
		return err
	}
	limit, err := parseLimit(q, defaultPriceLimit, maxPriceLimit)
	if err != nil {
		return err
	}
	code, hasCode, err := codeParams(q, false)
	if err != nil {
		return err
	}
	filter := priceline.PriceQuery{Payer: q["payer"], Plan: q["plan"], HospitalID: q["hospital"]}
	if s := q["setting"]; s != "" {
		if !slices.Contains([]string{"inpatient", "outpatient", "both"}, strings.ToLower(s)) {
			return invalid("invalid_setting", "setting must be inpatient, outpatient or both.")
		}
		filter.Setting = s
	}
	if h := q["hospital"]; h != "" && !isHospitalID(h) {
		return invalid("invalid_hospital", "hospital must be an id from /api/hospitals.")
	}
	if s := q["sort"]; s != "" && !slices.Contains(priceline.SortOrders, s) {
		return invalid("invalid_sort", "sort must be one of %s.", strings.Join(priceline.SortOrders, ", "))
	}
	if !hasCode && q["q"] == "" {
		return invalid("missing_code", "Give code and codeType, or q to search descriptions.")
	}
	if q["q"] != "" && len(priceline.SearchWords(q["q"])) == 0 {
		// Ignoring a q with nothing to search for would return rows it
		// did not ask for.
		return invalid("invalid_query", "q needs at least one word of two or more letters or digits.")
	}
	offset := 0
	if c, ok := q["cursor"]; ok {
		if offset, err = p.readCursor(c, q); err != nil {
			return err
		}
	}

	var codes []priceline.Code
	if hasCode {
		codes = []priceline.Code{code}
		filter.Words = priceline.SearchWords(q["q"])
	} else {
		ps, err := st.Procedures(r.Context(), q["q"], maxCodesForQ)
		if err != nil {
			return err
		}
		seen := map[priceline.Code]bool{}
		for _, pr := range ps {
			c := priceline.Code{Code: pr.Code, Type: pr.CodeType}
			if n := priceline.NormalizeCode(c); !seen[n] {
				seen[n] = true
				codes = append(codes, c)
			}
		}
	}
	rows, err := readCharges(r.Context(), st, codes)
	if err != nil {
		return err
	}
	names, err := hospitalNames(r.Context(), st)
	if err != nil {
		return err
	}
	kept := rows[:0]
	for _, row := range rows {
		if filter.Match(&row.charge) {
			kept = append(kept, row)
		}
	}
	order := priceline.ChargeOrder(q["sort"], func(id string) string { return names[id] })
	slices.SortStableFunc(kept, func(a, b codedCharge) int {
		return cmp.Or(order(&a.charge, &b.charge), cmp.Compare(a.code.Type, b.code.Type), cmp.Compare(a.code.Code, b.code.Code))
	})
	pairs := kept

	out := make([]chargeJSON, 0, limit)
	for i := offset; i < len(pairs) && len(out) < limit; i++ {
		out = append(out, toChargeJSON(&pairs[i].charge, pairs[i].code, names))
	}
	body := map[string]any{"prices": out, "total": len(pairs)}
	if next := offset + len(out); next < len(pairs) {
		body["nextCursor"] = p.makeCursor(next, q)
	}
	w.Header().Set("Cache-Control", "public, max-age="+priceCacheSeconds)
	writeJSON(w, http.StatusOK, body)
	return nil
}

// isHospitalID reports whether s has the shape of priceline.HospitalID.
func isHospitalID(s string) bool { return priceline.IsLowerHex(s, 32) }

// readCharges reads each code's partition concurrently.
func readCharges(ctx context.Context, st priceline.PriceStore, codes []priceline.Code) ([]codedCharge, error) {
	results := make([][]priceline.Charge, len(codes))
	errs := make([]error, len(codes))
	var wg sync.WaitGroup
	for i, c := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = st.ChargesFor(ctx, c)
		}()
	}
	wg.Wait()
	var out []codedCharge
	for i := range codes {
		if errs[i] != nil {
			return nil, errs[i]
		}
		for _, ch := range results[i] {
			out = append(out, codedCharge{code: codes[i], charge: ch})
		}
	}
	return out, nil
}

// Cursors are base64url of: version, offset (4 bytes), the first 12 bytes
// of the SHA-256 of the query they continue, and a 16-byte HMAC-SHA256 tag
// over all of that. They carry no secret and no data: a cursor used with
// another query, or altered, fails the check and gets 400 invalid_cursor.

// defaultCursorKey is used when CursorKey is empty; see PriceAPI.CursorKey.
var defaultCursorKey = []byte("hospital-priceline/cursor/v1")

// queryDigest hashes the query a cursor belongs to: every parameter except
// the cursor itself and the page size, in a canonical order.
func queryDigest(q map[string]string) []byte {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "cursor" && k != "limit" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(k)))
		h.Write(n[:])
		h.Write([]byte(k))
		binary.BigEndian.PutUint64(n[:], uint64(len(q[k])))
		h.Write(n[:])
		h.Write([]byte(q[k]))
	}
	return h.Sum(nil)[:12]
}

func (p *PriceAPI) cursorTag(payload []byte) []byte {
	var key []byte
	if p.CursorKey != nil {
		key = p.CursorKey()
	}
	if len(key) == 0 {
		key = defaultCursorKey
	}
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	return m.Sum(nil)[:16]
}

func (p *PriceAPI) makeCursor(offset int, q map[string]string) string {
	payload := make([]byte, 0, 33)
	payload = append(payload, cursorVersion)
	payload = binary.BigEndian.AppendUint32(payload, uint32(offset))
	payload = append(payload, queryDigest(q)...)
	return base64.RawURLEncoding.EncodeToString(append(payload, p.cursorTag(payload)...))
}

func (p *PriceAPI) readCursor(c string, q map[string]string) (int, error) {
	bad := invalid("invalid_cursor", "The cursor is not valid for this query. Start again from the first page.")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(raw) != 33 || raw[0] != cursorVersion {
		return 0, bad
	}
	payload, tag := raw[:17], raw[17:]
	if !hmac.Equal(tag, p.cursorTag(payload)) || !hmac.Equal(payload[5:], queryDigest(q)) {
		return 0, bad
	}
	off := binary.BigEndian.Uint32(payload[1:5])
	if off > maxCursorOffset {
		return 0, bad
	}
	return int(off), nil
}

type hospitalPriceJSON struct {
	Hospital       hospitalRefJSON `json:"hospital"`
	Rows           int             `json:"rows"`
	Gross          *moneyJSON      `json:"gross"`
	DiscountedCash *moneyJSON      `json:"discountedCash"`
	Min            *moneyJSON      `json:"min"`
	Max            *moneyJSON      `json:"max"`
	Negotiated     *negotiatedJSON `json:"negotiated"`
}

type negotiatedJSON struct {
	Payer      string       `json:"payer"`
	Plan       string       `json:"plan"`
	Rows       int          `json:"rows"`
	Dollar     *moneyJSON   `json:"dollar"`
	Percentage *percentJSON `json:"percentage"`
	Algorithm  string       `json:"algorithm"`
	Method     string       `json:"methodology"`
}

type spreadJSON struct {
	Hospitals    int        `json:"hospitals"`
	Low          *moneyJSON `json:"low"`
	High         *moneyJSON `json:"high"`
	Difference   *moneyJSON `json:"difference"`
	RatioPercent string     `json:"highAsPercentOfLow,omitempty"`
}

func toSpread(s priceline.Spread) spreadJSON {
	out := spreadJSON{Hospitals: s.Hospitals, Low: toMoney(s.Low), High: toMoney(s.High), RatioPercent: s.RatioPercent}
	if s.Low.Set && s.High.Set {
		d := s.High.Cents - s.Low.Cents
		out.Difference = &moneyJSON{Amount: strconv.FormatInt(d/100, 10) + "." + twoDigits(d%100), Cents: d, Currency: "USD"}
	}
	return out
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// handleCompare gives one entry per hospital for a procedure and the spread
// of each price across hospitals.
func (p *PriceAPI) handleCompare(w http.ResponseWriter, r *http.Request) error {
	st, err := p.store()
	if err != nil {
		return err
	}
	q, err := queryParams(r, map[string]int{"code": maxCodeLen, "codeType": maxCodeTypeLen, "payer": maxNameLen, "plan": maxNameLen})
	if err != nil {
		return err
	}
	code, _, err := codeParams(q, true)
	if err != nil {
		return err
	}
	if q["plan"] != "" && q["payer"] == "" {
		return invalid("missing_payer", "plan needs a payer.")
	}
	rows, err := st.CompareRows(r.Context(), code)
	if err != nil {
		return err
	}
	names, err := hospitalNames(r.Context(), st)
	if err != nil {
		return err
	}
	cmpn := priceline.Compare(rows, q["payer"], q["plan"], func(id string) string { return names[id] })
	out := make([]hospitalPriceJSON, 0, len(cmpn.Prices))
	for _, hp := range cmpn.Prices {
		e := hospitalPriceJSON{
			Hospital: hospitalRefJSON{ID: hp.HospitalID, Name: names[hp.HospitalID]}, Rows: hp.Rows,
			Gross: toMoney(hp.Gross), DiscountedCash: toMoney(hp.DiscountedCash), Min: toMoney(hp.Min), Max: toMoney(hp.Max),
		}
		if q["payer"] != "" {
			e.Negotiated = &negotiatedJSON{
				Payer: q["payer"], Plan: q["plan"], Rows: hp.PayerRows, Dollar: toMoney(hp.Negotiated),
				Percentage: toPercent(hp.NegotiatedPercentage), Algorithm: hp.NegotiatedAlgorithm, Method: hp.Methodology,
			}
		}
		out = append(out, e)
	}
	spread := map[string]spreadJSON{"gross": toSpread(cmpn.Gross), "discountedCash": toSpread(cmpn.DiscountedCash)}
	if q["payer"] != "" {
		spread["negotiated"] = toSpread(cmpn.Negotiated)
	}
	w.Header().Set("Cache-Control", "public, max-age="+priceCacheSeconds)
	writeJSON(w, http.StatusOK, map[string]any{
		"code": code.Code, "codeType": code.Type, "payer": q["payer"], "plan": q["plan"],
		"hospitals": out, "spread": spread,
	})
	return nil
}

// savedJSON is the public view of a saved estimate.
type savedJSON struct {
	ID         string    `json:"id"`
	Code       string    `json:"code"`
	CodeType   string    `json:"codeType"`
	HospitalID string    `json:"hospital,omitempty"`
	Payer      string    `json:"payer,omitempty"`
	Plan       string    `json:"plan,omitempty"`
	Label      string    `json:"label,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
}

func toSavedJSON(e *priceline.SavedEstimate) savedJSON {
	return savedJSON{ID: e.ID, Code: e.Code, CodeType: e.CodeType, HospitalID: e.HospitalID, Payer: e.Payer, Plan: e.Plan,
		Label: e.Label, CreatedAt: e.CreatedAt.UTC()}
}

func (p *PriceAPI) saved() (priceline.SavedStore, error) {
	if p == nil || p.Saved == nil {
		return nil, priceline.Errorf(priceline.KindUnavailable, "saved_unavailable", "Saved estimates are not available right now.")
	}
	return p.Saved, nil
}

// handleListSaved lists the signed-in user's saved estimates (GET
// /api/me/saved, behind withSession).
func (p *PriceAPI) handleListSaved(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	st, err := p.saved()
	if err != nil {
		return err
	}
	if _, err := queryParams(r, map[string]int{}); err != nil {
		return err
	}
	es, err := st.SavedEstimates(r.Context(), u.ID)
	if err != nil {
		return err
	}
	out := make([]savedJSON, 0, len(es))
	for i := range es {
		out = append(out, toSavedJSON(&es[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"saved": out, "limit": priceline.MaxSavedEstimates})
	return nil
}

// handleCreateSaved saves an estimate (POST /api/me/saved, behind
// withSession, which requires the CSRF token).
func (p *PriceAPI) handleCreateSaved(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	st, err := p.saved()
	if err != nil {
		return err
	}
	in, err := readInput(r, false, []string{"code", "codeType"}, []string{"hospital", "payer", "plan", "label"})
	if err != nil {
		return err
	}
	e := &priceline.SavedEstimate{
		ID: priceline.NewToken(16), UserID: u.ID, Code: strings.TrimSpace(in["code"]), CodeType: strings.TrimSpace(in["codeType"]),
		HospitalID: in["hospital"], Payer: strings.TrimSpace(in["payer"]), Plan: strings.TrimSpace(in["plan"]),
		Label: strings.TrimSpace(in["label"]), CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if err := st.SaveEstimate(r.Context(), e); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"saved": toSavedJSON(e)})
	return nil
}

// handleDeleteSaved deletes one of the user's estimates (DELETE
// /api/me/saved/{id}); another user's ID is simply not found.
func (p *PriceAPI) handleDeleteSaved(w http.ResponseWriter, r *http.Request, u *priceline.User, _ *priceline.Session) error {
	st, err := p.saved()
	if err != nil {
		return err
	}
	if err := st.DeleteSavedEstimate(r.Context(), u.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
