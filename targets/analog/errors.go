package analog

import "errors"

var (
	// ErrProfile is an unknown --profile.
	ErrProfile = errors.New("unknown analog profile")
	// ErrCalibration is an unreadable or mismatched calibration file.
	ErrCalibration = errors.New("bad calibration")
	// ErrNoReadout is a probe or calibration that needs a membrane ADC the profile lacks.
	ErrNoReadout = errors.New("no membrane readout")
)
