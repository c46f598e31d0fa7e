package auth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"hospitalpriceline/functions/priceline"
)

// totpPeriod and totpSkew are RFC 6238's time step and the steps either
// side of now that are accepted (±1: clock drift and typing time).
const (
	totpPeriod = 30
	totpSkew   = 1
	totpDigits = otp.DigitsSix
	qrSize     = 240
)

// TOTPSetup is a new, unconfirmed authenticator-app enrolment to show once.
type TOTPSetup struct {
	Secret     string // base32, for typing into the app
	OTPAuthURI string // otpauth://totp/… for the QR code
	QRCode     string // the URI as a PNG QR code, a data: URI for an <img>
}

// MFAStatus says which second factors a user has.
type MFAStatus struct {
	TOTP              bool // a confirmed authenticator app
	TOTPPending       bool // an app enrolment waiting for its first code
	Passkeys          int
	RecoveryCodesLeft int
	PasskeysEnabled   bool // the site offers passkeys
}

// Enabled reports whether sign-in asks for a second factor.
func (st MFAStatus) Enabled() bool { return st.TOTP || st.Passkeys > 0 }

// MFAStatusOf reads u's second factors.
func (s *Service) MFAStatusOf(ctx context.Context, u *priceline.User) (MFAStatus, error) {
	m, err := s.mfa()
	if err != nil {
		return MFAStatus{}, err
	}
	var st MFAStatus
	e, err := m.TOTP.TOTP(ctx, u.ID)
	switch {
	case err == nil:
		st.TOTP, st.TOTPPending = e.Confirmed, !e.Confirmed
	case !priceline.IsNotFound(err):
		return st, fmt.Errorf("mfa status: %w", err)
	}
	if m.Passkeys != nil {
		st.PasskeysEnabled = m.WebAuthn != nil
		pks, err := m.Passkeys.UserPasskeys(ctx, u.ID)
		if err != nil {
			return st, fmt.Errorf("mfa status: %w", err)
		}
		st.Passkeys = len(pks)
	}
	if st.RecoveryCodesLeft, err = m.RecoveryCodes.RecoveryCodesLeft(ctx, u.ID); err != nil {
		return st, fmt.Errorf("mfa status: %w", err)
	}
	return st, nil
}

// BeginTOTP starts adding an authenticator app after re-authentication: it
// stores a new secret, sealed, unconfirmed, and returns it to show once.
// An account that has a confirmed app must turn it off first.
func (s *Service) BeginTOTP(ctx context.Context, u *priceline.User, currentPassword string, c Client) (*TOTPSetup, error) {
	m, err := s.mfa()
	if err != nil {
		return nil, err
	}
	u, err = s.reauthenticateLocal(ctx, u, currentPassword, c)
	if err != nil {
		return nil, err
	}
	if e, err := m.TOTP.TOTP(ctx, u.ID); err == nil && e.Confirmed {
		return nil, priceline.Errorf(priceline.KindConflict, "totp_exists",
			"An authenticator app is already set up. Turn it off first to set up another.")
	} else if err != nil && !priceline.IsNotFound(err) {
		return nil, fmt.Errorf("begin totp: %w", err)
	}
	issuer := m.Issuer
	if issuer == "" {
		issuer = "Hospital Priceline"
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: u.Email, Period: totpPeriod, Digits: totpDigits,
		Algorithm: otp.AlgorithmSHA1, // what every authenticator app supports
	})
	if err != nil {
		return nil, fmt.Errorf("begin totp: generate: %w", err)
	}
	sealed, err := m.seal(u.ID, []byte(key.Secret()))
	if err != nil {
		return nil, err
	}
	if err := m.TOTP.PutTOTP(ctx, &priceline.TOTPEnrolment{UserID: u.ID, SealedSecret: sealed, CreatedAt: s.now()}); err != nil {
		return nil, fmt.Errorf("begin totp: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return nil, fmt.Errorf("begin totp: qr code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("begin totp: qr code: %w", err)
	}
	return &TOTPSetup{
		Secret: key.Secret(), OTPAuthURI: key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	}, nil
}

// ConfirmTOTP turns the pending app on when code is right, and returns
// fresh recovery codes to show once. The code is used up like any other,
// and a wrong one counts on the second-factor and address throttles.
func (s *Service) ConfirmTOTP(ctx context.Context, u *priceline.User, code string, c Client) ([]string, error) {
	m, err := s.mfa()
	if err != nil {
		return nil, err
	}
	e, err := m.TOTP.TOTP(ctx, u.ID)
	if priceline.IsNotFound(err) || (err == nil && e.Confirmed) {
		return nil, priceline.Errorf(priceline.KindConflict, "totp_not_pending",
			"There is no authenticator app waiting to be confirmed. Start again.")
	}
	if err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	// Counted like a sign-in's code (ASVS 5.0 V6.3.1), on the same
	// counters: a stolen session must not guess codes here unthrottled.
	counted, err := s.reserve(ctx, s.guessCounters("second_factor", "mfa:"+u.ID, c), s.now())
	if err != nil {
		s.noteThrottled(ctx, err, "totp_confirm", c, u.ID)
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	ok, err := s.useTOTPCode(ctx, m, e, code, true)
	if err != nil {
		counted.cancel(ctx)
		return nil, err
	}
	if !ok {
		// Counted as a failure when reserved.
		s.event(ctx, EventTOTPEnabled, OutcomeFailure, "wrong_code", c, u.ID)
		return nil, errWrongCode()
	}
	counted.succeeded(ctx)
	codes, err := s.newRecoveryCodes(ctx, m, u)
	if err != nil {
		return nil, err
	}
	s.announce(ctx, u, c, totpAdded)
	return codes, nil
}

// DisableTOTP removes the authenticator app after re-authentication. With
// no passkey left either, the recovery codes go too: they are a fallback
// for a second factor the account no longer has.
func (s *Service) DisableTOTP(ctx context.Context, u *priceline.User, currentPassword string, c Client) error {
	m, err := s.mfa()
	if err != nil {
		return err
	}
	return s.removeFactor(ctx, m, u, currentPassword, c, totpRemoved, func(userID string) error {
		if err := m.TOTP.DeleteTOTP(ctx, userID); err != nil {
			return fmt.Errorf("disable totp: %w", err)
		}
		return nil
	})
}

// dropUnneededRecoveryCodes deletes u's recovery codes when u has no second
// factor left.
func (s *Service) dropUnneededRecoveryCodes(ctx context.Context, m *MFAConfig, u *priceline.User) error {
	st, err := s.MFAStatusOf(ctx, u)
	if err != nil {
		return err
	}
	if st.Enabled() {
		return nil
	}
	if err := m.RecoveryCodes.DeleteRecoveryCodes(ctx, u.ID); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	return nil
}

// RegenerateRecoveryCodes replaces u's recovery codes after
// re-authentication and returns the new ones to show once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, u *priceline.User, currentPassword string, c Client) ([]string, error) {
	m, err := s.mfa()
	if err != nil {
		return nil, err
	}
	if u, err = s.reauthenticateLocal(ctx, u, currentPassword, c); err != nil {
		return nil, err
	}
	st, err := s.MFAStatusOf(ctx, u)
	if err != nil {
		return nil, err
	}
	if !st.Enabled() {
		return nil, priceline.Errorf(priceline.KindConflict, "mfa_off",
			"Recovery codes are for two-step sign-in, which is off for your account.")
	}
	codes, err := s.newRecoveryCodes(ctx, m, u)
	if err != nil {
		return nil, err
	}
	s.event(ctx, EventRecoveryCodesRenewed, OutcomeSuccess, "", c, u.ID)
	s.notify(ctx, u, NoticeRecoveryCodesRenew)
	return codes, nil
}

func errWrongCode() error {
	return priceline.Errorf(priceline.KindUnauthorized, "invalid_code", "That code is not right. Check your authenticator app and try again.")
}

// useTOTPCode checks code against e at now ±1 step and, when it matches a
// step after the last one used, records that step with a conditional
// write, so the code (and any earlier one) is refused from then on, on
// every instance (RFC 6238 §5.2, NIST SP 800-63B 5.1.4.2). confirm also
// marks the enrolment confirmed. It reports false for a wrong or replayed
// code; errors are failures of the system.
func (s *Service) useTOTPCode(ctx context.Context, m *MFAConfig, e *priceline.TOTPEnrolment, code string, confirm bool) (bool, error) {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != totpDigits.Length() {
		return false, nil
	}
	secret, err := m.open(e.UserID, e.SealedSecret)
	if err != nil {
		return false, fmt.Errorf("totp: %w", err)
	}
	now := s.now()
	step := now.Unix() / totpPeriod
	matched := int64(-1)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix((step+d)*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil {
			return false, fmt.Errorf("totp: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = step + d
		}
	}
	if matched < 0 || matched <= e.LastStep {
		if matched >= 0 {
			s.log().Warn("totp code replayed", "user_id", e.UserID)
		}
		return false, nil
	}
	e.LastStep = matched
	if confirm {
		e.Confirmed = true
	}
	if err := m.TOTP.UpdateTOTP(ctx, e); err != nil {
		if priceline.IsConflict(err) {
			// Another request used a code of this enrolment at the same
			// moment: this one is the replay.
			return false, nil
		}
		return false, fmt.Errorf("totp: record use: %w", err)
	}
	return true, nil
}
