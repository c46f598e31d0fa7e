package memstore

import (
	"context"
	"sort"

	"hospitalpriceline/functions/priceline"
)

// PutCloudEmail records userID under email.
func (m *CloudEmails) PutCloudEmail(_ context.Context, email, userID string) error {
	return m.write("PutCloudEmail", priceline.ValidCloudEmail(email, userID), func() error {
		ids := m.byEmail[email]
		if ids == nil {
			ids = map[string]struct{}{}
			m.byEmail.put(email, ids)
		}
		ids[userID] = struct{}{}
		return nil
	})
}

// DeleteCloudEmail forgets userID under email.
func (m *CloudEmails) DeleteCloudEmail(_ context.Context, email, userID string) error {
	return m.do("DeleteCloudEmail", func() {
		if ids := m.byEmail[email]; ids != nil {
			delete(ids, userID)
			if len(ids) == 0 {
				delete(m.byEmail, email)
			}
		}
	})
}

// CloudEmailAccounts lists the user IDs under email, sorted, at most
// priceline.MaxCloudEmailAccounts.
func (m *CloudEmails) CloudEmailAccounts(_ context.Context, email string) ([]string, error) {
	return answer(&m.base, "CloudEmailAccounts", func() ([]string, error) {
		out := []string{}
		for id := range m.byEmail[email] {
			out = append(out, id)
		}
		sort.Strings(out)
		return out[:min(len(out), priceline.MaxCloudEmailAccounts)], nil
	})
}
