package finance

// Exact makes a filter sum every instalment, bypassing the kept months
// (tests compare both ways).
func Exact(f AgeingFilter) AgeingFilter { f.exact = true; return f }
