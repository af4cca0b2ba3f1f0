// Package typo measures how far a word is from the one meant, for the
// "did you mean" hints of the config and policy decoders.
package typo

// Distance is the Levenshtein distance between a and b, in bytes. Words
// longer than 64 bytes are not typos of a key: their distance is 64, so a
// hostile input costs no quadratic time.
func Distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
