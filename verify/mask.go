package verify

import "unicode/utf8"

// MaskName masks a person's name for the nam claim the way Chinese health
// codes show it: the first and last characters kept, what lies between
// replaced by one '*' ("张三丰" → "张*丰", "张三" → "张*"). One '*' however
// long the middle: the officer compares faces and the ID, not lengths, and
// every byte counts in the QR.
func MaskName(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return ""
	case n == 1:
		return "*"
	}
	first, size := utf8.DecodeRuneInString(name)
	if n == 2 {
		return string(first) + "*"
	}
	last, _ := utf8.DecodeLastRuneInString(name[size:])
	return string(first) + "*" + string(last)
}

// MaskID masks an ID number for the idm claim: the first three and the
// last four characters kept, the rest written as one '*'
// ("450103199001011234" → "450*1234"); an ID of seven characters or fewer
// keeps only its last two. The terminal shows the masked run however it
// likes; it never needs the full number.
func MaskID(id string) string {
	r := []rune(id)
	n := len(r)
	switch {
	case n == 0:
		return ""
	case n <= 2:
		return "*"
	case n <= 7:
		return "*" + string(r[n-2:])
	}
	return string(r[:3]) + "*" + string(r[n-4:])
}
