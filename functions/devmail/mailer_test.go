package devmail

import (
	"context"
	"io"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

func TestEachMessageIsOneRFC5322FileWithTheLink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	m, err := New(dir, "Hospital Priceline <priceline@localhost>")
	if err != nil {
		t.Fatal(err)
	}
	link := "http://localhost:7071/reset-password?token=0123456789abcdef"
	msg := priceline.Message{
		To: "ada@example.org", Subject: "Réinitialiser your password", Text: "Open this link:\n" + link + "\n",
		MessageID: priceline.NewMessageID("localhost"), Kind: priceline.MailPasswordReset, Created: time.Now(),
	}
	for range 2 { // a retry overwrites its own file
		if err := m.Send(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("files %v, want one", files)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("folder mode %v: others can read the links", fi.Mode())
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parsed, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("net/mail: %v", err)
	}
	h := parsed.Header
	if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != msg.To {
		t.Errorf("To %v %v", to, err)
	}
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Address != "priceline@localhost" {
		t.Errorf("From %v %v", from, err)
	}
	if subj, err := new(mimeDecoder).DecodeHeader(h.Get("Subject")); err != nil || subj != msg.Subject {
		t.Errorf("Subject %q %v", subj, err)
	}
	if _, err := h.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if h.Get("Message-ID") != "<"+msg.MessageID+">" || h.Get("MIME-Version") != "1.0" || h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("headers %v", h)
	}
	body, _ := io.ReadAll(parsed.Body)
	if !strings.Contains(string(body), link+"\r\n") {
		t.Errorf("body %q does not hold the link on its own line", body)
	}
}

func TestHeaderInjectionIsRefused(t *testing.T) {
	m, _ := New(t.TempDir(), "")
	err := m.Send(context.Background(), priceline.Message{To: "a@b.c\r\nBcc: x@y.z", Subject: "s", Text: "t", MessageID: "1@x"})
	if priceline.ErrorKind(err) != priceline.KindInvalid {
		t.Errorf("err = %v", err)
	}
}

type mimeDecoder = mime.WordDecoder
