package scanner

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"gocv.io/x/gocv"
)

// QuietZone is the white margin RenderQR leaves around a code, in modules
// (what the QR standard asks for).
const QuietZone = 4

// RenderQR draws text as a QR code (error correction M, the smallest version
// that holds it) with moduleSize pixels per module and a QuietZone margin,
// black on white. It is the issuer side of tests and demos.
func RenderQR(text string, moduleSize int) (image.Image, error) {
	if moduleSize < 1 {
		moduleSize = 1
	}
	hints := map[gozxing.EncodeHintType]interface{}{
		gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_M,
		gozxing.EncodeHintType_MARGIN:           QuietZone,
	}
	bm, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, fmt.Errorf("render QR: %v: %w", err, ErrEncode)
	}
	n := bm.GetWidth()
	img := image.NewGray(image.Rect(0, 0, n*moduleSize, n*moduleSize))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			v := byte(255)
			if bm.Get(x, y) {
				v = 0
			}
			for dy := 0; dy < moduleSize; dy++ {
				row := img.Pix[(y*moduleSize+dy)*img.Stride:]
				for dx := 0; dx < moduleSize; dx++ {
					row[x*moduleSize+dx] = v
				}
			}
		}
	}
	return img, nil
}

// Presentations composes what a camera sees at a checkpoint: each image in
// codes shown centred on a w×h light-grey frame for framesEach frames, with
// blank frames between presentations (and none before the first or after
// the last). Frames of the same content share one image.
func Presentations(w, h int, codes []image.Image, framesEach, blanksBetween int) []image.Image {
	blank := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(blank, blank.Rect, image.NewUniform(color.Gray{Y: 200}), image.Point{}, draw.Src)
	var frames []image.Image
	for i, c := range codes {
		if i > 0 {
			for j := 0; j < blanksBetween; j++ {
				frames = append(frames, blank)
			}
		}
		f := image.NewGray(blank.Rect)
		copy(f.Pix, blank.Pix)
		b := c.Bounds()
		at := image.Pt((w-b.Dx())/2, (h-b.Dy())/2)
		draw.Draw(f, image.Rectangle{Min: at, Max: at.Add(b.Size())}, c, b.Min, draw.Src)
		for j := 0; j < framesEach; j++ {
			frames = append(frames, f)
		}
	}
	return frames
}

// WriteVideo writes frames as an MJPG video (an .avi path is best: OpenCV 4.6
// on Debian writes and reads it back without extra codecs). Every frame must
// have the size of the first (ErrFrameSize).
func WriteVideo(path string, fps float64, frames []image.Image) error {
	if len(frames) == 0 {
		return fmt.Errorf("write video %s: no frames: %w", path, ErrFrameSize)
	}
	size := frames[0].Bounds().Size()
	if size.X <= 0 || size.Y <= 0 {
		return fmt.Errorf("write video %s: empty frame: %w", path, ErrFrameSize)
	}
	if fps <= 0 {
		fps = 30
	}
	vw, err := gocv.VideoWriterFile(path, "MJPG", fps, size.X, size.Y, true)
	if err != nil {
		return fmt.Errorf("write video %s: %w", path, err)
	}
	defer vw.Close()
	if !vw.IsOpened() {
		return fmt.Errorf("write video %s: OpenCV cannot open it for MJPG", path)
	}
	var last image.Image
	var mat gocv.Mat
	defer func() { mat.Close() }()
	for i, f := range frames {
		if f.Bounds().Size() != size {
			return fmt.Errorf("write video %s: frame %d is %v, want %v: %w", path, i, f.Bounds().Size(), size, ErrFrameSize)
		}
		if f != last {
			mat.Close()
			if mat, err = toBGR(f); err != nil {
				return fmt.Errorf("write video %s: frame %d: %w", path, i, err)
			}
			last = f
		}
		if err := vw.Write(mat); err != nil {
			return fmt.Errorf("write video %s: frame %d: %w", path, i, err)
		}
	}
	return nil
}

// toBGR makes a 3-channel BGR Mat of img.
func toBGR(img image.Image) (gocv.Mat, error) {
	if g, ok := img.(*image.Gray); ok {
		b := g.Rect
		pix := make([]byte, b.Dx()*b.Dy())
		for y := 0; y < b.Dy(); y++ {
			copy(pix[y*b.Dx():(y+1)*b.Dx()], g.Pix[y*g.Stride:])
		}
		gm, err := gocv.NewMatFromBytes(b.Dy(), b.Dx(), gocv.MatTypeCV8U, pix)
		if err != nil {
			return gocv.Mat{}, err
		}
		defer gm.Close()
		out := gocv.NewMat()
		gocv.CvtColor(gm, &out, gocv.ColorGrayToBGR)
		return out, nil
	}
	return gocv.ImageToMatRGB(img)
}
