package auth

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"hospitalpriceline/functions/priceline"
)

// maxNameRunes bounds a display name: long enough for any real name, short
// enough to lay out in a header.
const maxNameRunes = 100

// RegisterFrom is Register for a request from client c: registrations are
// counted per client address and throttled like failed logins (see
// Config.Throttle.Register), so one client can neither keep the hashers busy
// nor test emails for accounts at will. The attempt is counted (reserved,
// with a conditional write) before any work, so parallel requests on any
// number of instances are all counted and no more get through than the limit. A client without a usable
// address (loopback behind an untrusted proxy) is not throttled here.
func (s *Service) RegisterFrom(ctx context.Context, email, password, name string, c Client) (*priceline.User, error) {
	if ip := s.ipKey(c.IP); ip != "" {
		reg := counter{name: "register", key: "reg:" + strings.TrimPrefix(ip, "ip:"), limit: s.config().Throttle.Register}
		if _, err := s.reserve(ctx, []counter{reg}, s.now()); err != nil {
			return nil, fmt.Errorf("register: %w", err)
		}
	}
	return s.Register(ctx, email, password, name)
}

// Register creates a local account. It writes nothing unless every check
// passes. Requests from clients go through RegisterFrom.
func (s *Service) Register(ctx context.Context, email, password, name string) (*priceline.User, error) {
	email = priceline.NormalizeEmail(email)
	if err := priceline.ValidateEmail(email); err != nil {
		return nil, err
	}
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	local, _, _ := strings.Cut(email, "@")
	if err := s.Policy.Check(password, local, name); err != nil {
		return nil, err
	}
	hash, err := s.hasher().Hash(ctx, password)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	now := s.now()
	u := &priceline.User{
		ID:           priceline.NewUserID(),
		Provider:     priceline.ProviderLocal,
		Email:        email,
		Name:         name,
		PasswordHash: hash,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	if err := s.Users.CreateUser(ctx, u); err != nil {
		// email_taken passes through as the store's KindConflict error.
		return nil, fmt.Errorf("register: %w", err)
	}
	s.log().Info("registered", "user_id", u.ID)
	return u, nil
}

// cleanName trims a display name and checks it is 1 to 100 characters with
// nothing that could break a page or a log line or disguise the text:
// control characters, line separators and bidirectional overrides.
func cleanName(name string) (string, error) {
	invalid := func(msg string) error { return priceline.Errorf(priceline.KindInvalid, "invalid_name", "%s", msg) }
	if !utf8.ValidString(name) {
		return "", invalid("Your name contains characters that could not be read. Please type it again.")
	}
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", invalid("Enter your name.")
	case n > maxNameRunes:
		return "", invalid(fmt.Sprintf("Your name can be at most %d characters long.", maxNameRunes))
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) || unicode.Is(unicode.Bidi_Control, r) {
			return "", invalid("Your name contains a character that is not allowed, such as a line break or a control character.")
		}
	}
	return name, nil
}
