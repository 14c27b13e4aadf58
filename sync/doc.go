// Package sync is the terminal's side of the upstream protocol
// (docs/sync.md): it enrolls the terminal, pulls the signed trust list and
// revocation feed into the store, and pushes the outbox of reports.
//
// Everything pulled is verified by the store against the pinned root before
// anything is written, and applied in one transaction: a failure half-way
// leaves the old state, and "last synced" does not move. Reports leave the
// outbox only when the upstream acknowledged their ids; the upstream
// applies each id once, so sending a batch again is always safe.
//
// Client.Run is the background loop of `checkpoint run`: it syncs when the
// upstream answers, backs off exponentially with jitter while it does not,
// and otherwise syncs on a schedule; Kick pushes at once after a new report.
//
// The package shadows the standard library's sync; inside it the standard
// one is imported as gosync, and callers alias this one (ysync).
package sync
