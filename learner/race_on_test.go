//go:build race

package learner

// raceDetector is set in builds with the race detector, which slows byte
// loops several times: time bounds in tests widen by slowdown.
const raceDetector = true
