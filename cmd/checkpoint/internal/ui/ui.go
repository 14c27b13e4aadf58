// Package ui holds what the checkpoint's pipeline tells a display and what a
// display hands back: the events of one person at the checkpoint, the status
// line, and the officer's typed lines. The plain, JSON and full-screen
// displays all consume the same events, so the scan loop never knows which
// one is on screen.
package ui

import (
	"time"

	"yanma/verify"
)

// Kind says what happened.
type Kind string

// Event kinds, in the order one person produces them.
const (
	// KindVerified: a code was read and verified. When Decision.NeedTemperature
	// is set the display prompts for a temperature; otherwise a KindDecided
	// follows at once.
	KindVerified Kind = "verified"
	// KindTemperatureRejected: the typed or measured temperature was not a
	// plausible body temperature; ask to re-measure (no alarm).
	KindTemperatureRejected Kind = "temperature_rejected"
	// KindDecided: the final verdict, already recorded durably.
	KindDecided Kind = "decided"
	// KindStatus: the status line changed (sync, outbox, clock).
	KindStatus Kind = "status"
	// KindError: something the officer must know that is not about one person
	// (camera lost, disk full). Message says what.
	KindError Kind = "error"
)

// Event is one thing for the display to show.
type Event struct {
	Kind     Kind            `json:"event"`
	Time     time.Time       `json:"time"`
	Result   verify.Result   `json:"result,omitzero"`
	Decision verify.Decision `json:"decision,omitzero"`
	// EntryID is the id of the recorded entry (KindDecided).
	EntryID string `json:"entry_id,omitempty"`
	// PendingReport: a report was queued for the upstream and not yet
	// delivered — for a fever this is "pending yellow".
	PendingReport bool `json:"pending_report,omitempty"`
	// Input is the rejected temperature text (KindTemperatureRejected).
	Input string `json:"input,omitempty"`
	// Message: what went wrong (KindError), why a temperature was refused,
	// or a note beside a verdict (attendance at enterprise gates).
	Message string  `json:"message,omitempty"`
	Status  *Status `json:"status,omitempty"`
}

// Status is the status line.
type Status struct {
	Online          bool      `json:"online"`
	TrustAsOf       time.Time `json:"trust_as_of,omitzero"`
	RevocationsAsOf time.Time `json:"revocations_as_of,omitzero"`
	OutboxWaiting   int       `json:"outbox_waiting"`
	OutboxOldest    time.Time `json:"outbox_oldest,omitzero"`
	LastError       string    `json:"last_error,omitempty"`
	ClockWarning    bool      `json:"clock_warning,omitempty"`
	// SourceLost names the scanning device that is unplugged and being
	// reopened (LostCamera, LostScannerGun); empty while scanning works.
	SourceLost string `json:"source_lost,omitempty"`
	// ThermometerLost: the serial thermometer is unplugged (or not there
	// yet) and being reopened; temperatures are typed meanwhile.
	ThermometerLost bool `json:"thermometer_lost,omitempty"`
}

// The devices Status.SourceLost names.
const (
	LostCamera     = "camera"
	LostScannerGun = "scanner_gun"
)

// Display shows events. Show must not block the scan loop for long.
type Display interface {
	Show(Event)
}
