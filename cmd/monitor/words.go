package main

import (
	"fmt"
	"strings"
)

// noun returns word, in the plural unless n is 1: "flow", "flows";
// "anomaly", "anomalies".
func noun(n int, word string) string {
	if n == 1 {
		return word
	}
	if s, ok := strings.CutSuffix(word, "y"); ok && !strings.HasSuffix(s, "a") && !strings.HasSuffix(s, "e") && !strings.HasSuffix(s, "o") {
		return s + "ies"
	}
	return word + "s"
}

// count says how many: "1 flow", "3 flows".
func count(n int, word string) string { return fmt.Sprintf("%d %s", n, noun(n, word)) }
