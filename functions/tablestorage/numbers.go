package tablestorage

import "strconv"

// int64Text and parseInt64 carry Edm.Int64 values, which the table
// service's JSON writes as strings so that no precision is lost.
func int64Text(n int64) string { return strconv.FormatInt(n, 10) }

func parseInt64(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.ParseInt(s, 10, 64)
}
