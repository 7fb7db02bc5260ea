//go:build !unix

package input

import "os"

// openRegular opens path and refuses what is not a regular file. Outside
// Unix, opening a named pipe or a device does not wait for a writer, so
// the check is made on the file opened.
func openRegular(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := checkRegular(path, st.Mode()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
