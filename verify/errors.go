package verify

import "errors"

// Sentinel errors. Parsers of signed artefacts wrap one of these; callers
// test with errors.Is.
var (
	// ErrNoTrustList is returned by a TrustSource that holds no trust list.
	ErrNoTrustList = errors.New("no trust list")
	// ErrMalformed is returned for input that is not a well-formed JWS of the expected shape.
	ErrMalformed = errors.New("malformed")
	// ErrBadSignature is returned when no pinned root (or issuer key) verifies the signature.
	ErrBadSignature = errors.New("bad signature")
	// ErrAlgNotAllowed is returned for any algorithm other than EdDSA and ES256,
	// or one that disagrees with the key.
	ErrAlgNotAllowed = errors.New("algorithm not allowed")
	// ErrWrongType is returned when the JOSE typ does not match the artefact expected.
	ErrWrongType = errors.New("wrong typ")
	// ErrExpired is returned for a signed artefact past its exp.
	ErrExpired = errors.New("expired")
	// ErrReplay is returned for a trust list whose seq is lower than the one held.
	ErrReplay = errors.New("older than the one held")
	// ErrTooLarge is returned for input over the size limit.
	ErrTooLarge = errors.New("too large")

	// ErrCritical is returned (with ErrMalformed) for a JOSE header with a
	// crit parameter: the protocol defines no extension, so none is understood.
	ErrCritical = errors.New("critical header parameter not understood")
	// ErrPrivateKey is returned (with ErrMalformed) for a JWK that carries a
	// private or symmetric key part.
	ErrPrivateKey = errors.New("jwk carries a private key")
	// ErrNotYetValid is returned for a signed artefact whose iat lies in the future.
	ErrNotYetValid = errors.New("not yet valid")

	// ErrNotNumber is returned by ParseTemperature for an entry that is not a
	// decimal number such as 36.6 or 36,6.
	ErrNotNumber = errors.New("not a number")
	// ErrImplausibleTemperature is returned by ParseTemperature for a number
	// outside [MinPlausibleC, MaxPlausibleC]: a measuring or typing error.
	ErrImplausibleTemperature = errors.New("temperature outside the plausible range")
)
