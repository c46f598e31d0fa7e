// Package devmail is the development Mailer: with PRICELINE_DEV_MAIL_DIR=DIR
// every message is written as one RFC 5322 .eml file in DIR, which any mail
// client opens, so a developer can follow a verification or reset link
// without a mail service. The configuration refuses it in Azure, where the
// files would hold live single-use links on a shared disk.
package devmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Mailer writes messages to a folder.
type Mailer struct {
	dir  string
	from string
	now  func() time.Time
}

var _ priceline.Mailer = (*Mailer)(nil)

// New returns a Mailer that writes to dir (created if missing, readable
// only by the owner) with from as the sender.
func New(dir, from string) (*Mailer, error) {
	if dir == "" {
		return nil, errors.New("dev mail: a folder is required")
	}
	if from == "" {
		from = "priceline@localhost"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dev mail: create %s: %w", dir, err)
	}
	return &Mailer{dir: dir, from: from, now: time.Now}, nil
}

// Dir is the folder messages are written to.
func (m *Mailer) Dir() string { return m.dir }

// Send writes msg as DIR/<time>-<kind>-<id>.eml. The same Message-ID
// overwrites its own file, so a retry leaves one message, as with ACS.
func (m *Mailer) Send(_ context.Context, msg priceline.Message) error {
	if err := priceline.ValidMessage(msg); err != nil {
		return err
	}
	// A file header cannot carry a line break, nor the ID its brackets.
	if strings.ContainsAny(msg.To, "\r\n") || strings.ContainsAny(msg.MessageID, "\r\n<>") {
		return priceline.MailInvalid.Err()
	}
	created := msg.Created
	if created.IsZero() {
		created = m.now()
	}
	kind := msg.Kind
	if kind == "" {
		kind = "mail"
	}
	name := fmt.Sprintf("%s-%s-%s.eml", created.UTC().Format("20060102T150405Z"), safe(kind), priceline.OutboxID(msg.MessageID)[:16])
	tmp, err := os.CreateTemp(m.dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("dev mail: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(render(m.from, created, msg)); err != nil {
		tmp.Close()
		return fmt.Errorf("dev mail: write: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("dev mail: write: %w", err)
	}
	// Rename makes the file appear whole, never half-written.
	if err := os.Rename(tmp.Name(), filepath.Join(m.dir, name)); err != nil {
		return fmt.Errorf("dev mail: %w", err)
	}
	return nil
}

// render builds the RFC 5322 message: CRLF line ends, a Q-encoded subject
// when it is not plain ASCII, and a quoted-printable-free 8bit UTF-8 body
// (every reader handles it, and links stay copyable).
func render(from string, date time.Time, msg priceline.Message) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from)
	header("To", msg.To)
	header("Subject", mime.QEncoding.Encode("utf-8", strings.ReplaceAll(strings.ReplaceAll(msg.Subject, "\r", " "), "\n", " ")))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", "<"+msg.MessageID+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "8bit")
	if msg.Kind != "" {
		header("X-Priceline-Kind", safe(msg.Kind))
	}
	b.WriteString("\r\n")
	text := strings.ReplaceAll(msg.Text, "\r\n", "\n")
	b.WriteString(strings.ReplaceAll(text, "\n", "\r\n"))
	if !strings.HasSuffix(text, "\n") {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// safe keeps letters, digits, '-' and '_' for file names and headers.
func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
