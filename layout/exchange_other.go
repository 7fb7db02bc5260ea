//go:build !linux

package layout

// exchange switches the folders gen and live; without an atomic exchange
// of folders it renames them one after the other (see exchangeApart).
func exchange(gen, live string) (string, error) { return exchangeApart(gen, live) }
