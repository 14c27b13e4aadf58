package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gocv.io/x/gocv"
)

// FrameCodes is what one image, or one frame of a video, holds.
type FrameCodes struct {
	// File is the path as given.
	File string
	// Frame is the frame index in a video, from 0; -1 for a still image.
	Frame int
	// Codes are the texts found, nil when none.
	Codes []string
}

// videoExts are opened as videos without trying them as images first.
var videoExts = map[string]bool{
	".avi": true, ".mp4": true, ".mkv": true, ".mov": true, ".webm": true, ".m4v": true,
	".mpg": true, ".mpeg": true, ".ts": true, ".mjpeg": true, ".mjpg": true, ".wmv": true, ".flv": true,
}

// isVideoPath reports whether path names a video by its extension.
func isVideoPath(path string) bool { return videoExts[strings.ToLower(filepath.Ext(path))] }

// DecodeFile decodes an image file (one FrameCodes, Frame -1) or a video file
// (one FrameCodes per frame, in order) and hands each to fn; an error from fn
// stops it and is returned. A missing file is an fs.ErrNotExist error; a file
// that is neither an image nor a video OpenCV reads is ErrUnreadable. ctx is
// checked between frames.
func DecodeFile(ctx context.Context, d *Decoder, path string, fn func(FrameCodes) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("decode: %w", err) // names the path
	}
	if st.IsDir() {
		return fmt.Errorf("decode %s: a directory: %w", path, ErrUnreadable)
	}
	if !isVideoPath(path) {
		// Gray straight from the file: the decoder wants nothing else, and
		// a JPEG decoded to gray skips its colour planes.
		m := gocv.IMRead(path, gocv.IMReadGrayScale)
		if !m.Empty() {
			codes, err := d.DecodeMat(m)
			m.Close()
			if err != nil && !errors.Is(err, ErrNoCode) {
				return fmt.Errorf("decode %s: %w", path, err)
			}
			return fn(FrameCodes{File: path, Frame: -1, Codes: codes})
		}
		m.Close()
	}
	return decodeVideo(ctx, d, path, fn)
}

func decodeVideo(ctx context.Context, d *Decoder, path string, fn func(FrameCodes) error) error {
	vc, err := openVideoCapture(path)
	if err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	defer vc.Close()
	frame := gocv.NewMat()
	defer frame.Close()
	n := 0
	for ; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !vc.Read(&frame) || frame.Empty() {
			break
		}
		codes, err := d.DecodeMat(frame)
		if err != nil && !errors.Is(err, ErrNoCode) {
			return fmt.Errorf("decode %s frame %d: %w", path, n, err)
		}
		if err := fn(FrameCodes{File: path, Frame: n, Codes: codes}); err != nil {
			return err
		}
	}
	if n == 0 {
		return fmt.Errorf("decode %s: no frame: %w", path, ErrUnreadable)
	}
	return nil
}
