//go:build !race

package flows

// raceDetector is set in builds with the race detector (see
// race_on_test.go).
const raceDetector = false
