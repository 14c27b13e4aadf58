// Package scanner turns what a checkpoint sees into QR texts, once per
// presentation.
//
// Frames come from a Source: a V4L2 camera through gocv (camera:0,
// camera:/dev/video2), a video or image file (file:PATH), a folder of images
// (images:DIR), or a keyboard-wedge scanner gun typing one code per line
// (stdin, tty:/dev/ttyACM0). A Decoder reads the codes of one frame: OpenCV
// does the pre-processing (grayscale, scaling, contrast, inversion, candidate
// regions) and gozxing, through the pure-Go package scanner/qr, does the
// decoding, inside a per-frame time budget. A Scanner joins the two and
// reports each code once per presentation: a code held up for three seconds
// is one Scan, a different code is a new Scan at once, and after Done (the
// officer's verdict is shown) the same code shown again is a new Scan.
//
// gocv Mats are C memory: every Mat this package makes is closed by this
// package; a Mat a caller passes in stays the caller's. Build the tests with
// -tags matprofile to have them count.
package scanner
