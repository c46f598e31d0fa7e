package funchost

import "testing"

func TestValidateSchedule(t *testing.T) {
	valid := []string{
		"0 */5 * * * *",
		"0 0 3 * * *",
		"*/30 * * * * *",
		"0 30 9 * * MON-FRI",
		"0 30 9 * * mon-fri",
		"0 30 9 * Jan Mon",
		"0 30 9 * January,JUL Sunday",
		"5-7 * * * * *",
		"5,8,10 * * * * *",
		"0 0 9-17 * * *",
		"0 0 */2 * * *",
		"0 0 0 1 1 0",
		"59 59 23 31 12 6",
		"5/10 * * * * *",
		"0 0-30/10 * * * *",
		"  0 0 3 * * *  ",
		"0  0 3 * * *",
	}
	for _, s := range valid {
		if err := ValidateSchedule(s); err != nil {
			t.Errorf("ValidateSchedule(%q) = %v, want nil", s, err)
		}
	}
	invalid := []string{
		"",
		"0 */5 * * *",         // five fields: the host needs seconds
		"0 0 */5 * * * *",     // seven fields
		"61 * * * * *",        // second out of range
		"0 60 * * * *",        // minute out of range
		"0 0 24 * * *",        // hour out of range
		"0 0 0 0 * *",         // day starts at 1
		"0 0 0 32 * *",        // day out of range
		"0 0 0 * 13 *",        // month out of range
		"0 0 0 * * 7",         // NCrontab's day-of-week stops at 6
		"garbage",             //
		"a b c d e f",         // names in numeric fields
		"0 0 0 * * M",         // too short to be unambiguous
		"0 0 0 * * Funday",    // unknown name
		"0 0 0 * Mondays *",   // longer than any name
		"0 0 0 * * FRI-MON",   // reversed range: NCrontab would swap it
		"*/0 * * * * *",       // step 0: NCrontab would treat it as 1
		"*/ * * * * *",        // missing step
		"*/61 * * * * *",      // step longer than the range
		"1,,2 * * * * *",      // empty list item
		"1- * * * * *",        // open range
		"-1 * * * * *",        // negative
		"0\t0 3 * * * *",      // tab separator
		"01:00:00",            // TimeSpan: App Service plans only
		"%CleanupSchedule%",   // app-setting indirection
		"0 0 0 * * MON-FRI/x", // bad step
		"00000 * * * * *",     // absurd number
	}
	for _, s := range invalid {
		wantCode(t, ValidateSchedule(s), "invalid_schedule")
	}
}
