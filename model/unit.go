package model

import (
	"github.com/netflow-monitor/monitor/layout"
)

// LoadUnit loads the model of the unit named unit (a service IP or a
// group) from its folder under trainRoot and checks that it is that
// unit's (a model.json copied from another folder is refused).
func LoadUnit(trainRoot, unit string) (*Model, string, error) {
	path, err := layout.ModelPath(trainRoot, unit)
	if err != nil {
		return nil, "", err
	}
	m, err := Load(path)
	if err != nil {
		return nil, path, err
	}
	if err := m.CheckOwner(path, unit); err != nil {
		return nil, path, &OwnerError{Owner: m.Unit, Err: err}
	}
	return m, path, nil
}

// OwnerError is LoadUnit's error for a model file that is another unit's.
type OwnerError struct {
	Owner string // the unit whose model it is
	Err   error
}

// Error says whose model the file is.
func (e *OwnerError) Error() string { return e.Err.Error() }

// Unwrap returns CheckOwner's error.
func (e *OwnerError) Unwrap() error { return e.Err }
