package auth

import (
	"context"
	"fmt"
	"strings"
	"time"
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
	return s.register(ctx, email, password, name, c)
}

// Register creates a local account and sends its owner a verification
// link. It writes nothing unless every check passes. Requests from clients
// go through RegisterFrom.
//
// Registration does not reveal which addresses have accounts (ASVS 5.0
// V6.3.7 in spirit): when the address is taken, Register does the same
// work (the password is hashed either way), creates nothing, tells the
// address's owner by email, and returns a nil user with a nil error, which
// callers answer exactly as a success.
func (s *Service) Register(ctx context.Context, email, password, name string) (*priceline.User, error) {
	return s.register(ctx, email, password, name, Client{})
}

func (s *Service) register(ctx context.Context, email, password, name string, c Client) (*priceline.User, error) {
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
	if err := s.checkBreached(ctx, password); err != nil {
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
	// Queue first, then change: a crash in between leaves a message about
	// an account that does not exist (its link is refused), never an
	// account whose owner was not asked to verify it. See docs/mail.md.
	verify, err := s.issueToken(ctx, u, priceline.TokenVerifyEmail, email, priceline.VerifyTokenLifetime)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	if err := s.Users.CreateUser(ctx, u); err != nil {
		s.dropToken(ctx, u.ID, verify)
		if !priceline.EmailTaken.In(err) {
			return nil, fmt.Errorf("register: %w", err)
		}
		s.tellOwnerOfTakenAddress(ctx, email)
		s.event(ctx, EventRegistered, OutcomeSuccess, "address_taken", c, "")
		return nil, nil
	}
	s.deliverSoon(ctx, verify.mail)
	s.log().Info("registered", "user_id", u.ID)
	s.event(ctx, EventRegistered, OutcomeSuccess, "created", c, u.ID)
	return u, nil
}

// tellOwnerOfTakenAddress mails the owner of an address someone tried to
// register again, at most 5 times an hour; a failure is only logged, since
// the answer must look like any other registration.
func (s *Service) tellOwnerOfTakenAddress(ctx context.Context, email string) {
	if s.Mail == nil {
		return
	}
	if err := s.countMail(ctx, mailKeyAddress(email)); err != nil {
		if priceline.ErrorKind(err) != priceline.KindTooManyRequests {
			s.log().Warn("register: count mail to a taken address", "error", err)
		}
		return
	}
	subject, text := s.registrationAttemptText()
	q, err := s.queueMail(ctx, priceline.MailRegistrationAttempt, email, subject, text, time.Time{})
	if err != nil {
		s.log().Warn("register: tell the owner of a taken address", "error", err)
		return
	}
	s.deliverSoon(ctx, q)
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
