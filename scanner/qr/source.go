package qr

import (
	"errors"
	"image"
	"image/color"
	"image/draw"

	"github.com/makiuchi-d/gozxing"
)

// graySource is a gozxing.LuminanceSource over an *image.Gray without a copy.
// gozxing's own image source calls img.At per pixel, which costs more than
// the whole decode of a camera frame.
type graySource struct {
	gozxing.LuminanceSourceBase
	pix    []byte
	stride int
	left   int
	top    int
}

func newGraySource(g *image.Gray) *graySource {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	return &graySource{
		LuminanceSourceBase: gozxing.LuminanceSourceBase{Width: w, Height: h},
		pix:                 g.Pix,
		stride:              g.Stride,
	}
}

func (s *graySource) GetRow(y int, row []byte) ([]byte, error) {
	if y < 0 || y >= s.Height {
		return nil, errors.New("qr: row outside the image")
	}
	if cap(row) < s.Width {
		row = make([]byte, s.Width)
	}
	row = row[:s.Width]
	off := (s.top+y)*s.stride + s.left
	copy(row, s.pix[off:off+s.Width])
	return row, nil
}

func (s *graySource) GetMatrix() []byte {
	if s.left == 0 && s.top == 0 && s.stride == s.Width {
		return s.pix[:s.Width*s.Height]
	}
	m := make([]byte, s.Width*s.Height)
	for y := 0; y < s.Height; y++ {
		off := (s.top+y)*s.stride + s.left
		copy(m[y*s.Width:(y+1)*s.Width], s.pix[off:off+s.Width])
	}
	return m
}

func (s *graySource) IsCropSupported() bool { return true }

func (s *graySource) Crop(left, top, width, height int) (gozxing.LuminanceSource, error) {
	if left < 0 || top < 0 || width <= 0 || height <= 0 || left+width > s.Width || top+height > s.Height {
		return nil, errors.New("qr: crop outside the image")
	}
	return &graySource{
		LuminanceSourceBase: gozxing.LuminanceSourceBase{Width: width, Height: height},
		pix:                 s.pix,
		stride:              s.stride,
		left:                s.left + left,
		top:                 s.top + top,
	}, nil
}

func (s *graySource) Invert() gozxing.LuminanceSource { return gozxing.NewInvertedLuminanceSource(s) }

func (s *graySource) String() string { return gozxing.LuminanceSourceString(s) }

// Gray returns img as 8-bit luminance, without a copy when it already is one.
// The common decoded formats (Gray, YCbCr from JPEG, RGBA and NRGBA from PNG)
// take a fast path; anything else goes through image/draw. Transparent pixels
// count as white, as a code printed on paper would show them.
func Gray(img image.Image) *image.Gray {
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		b := m.Rect
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], m.Y[m.YOffset(b.Min.X, b.Min.Y+y):])
		}
		return g
	case *image.RGBA:
		return rgbaGray(m.Pix, m.Stride, m.Rect, false)
	case *image.NRGBA:
		return rgbaGray(m.Pix, m.Stride, m.Rect, true)
	}
	b := img.Bounds()
	n := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(n, n.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(n, n.Rect, img, b.Min, draw.Over)
	return rgbaGray(n.Pix, n.Stride, n.Rect, true)
}

// rgbaGray converts 4-byte RGBA pixels with the weights ZXing uses
// ((R + 2G + B) / 4), compositing over white.
func rgbaGray(pix []byte, stride int, r image.Rectangle, straightAlpha bool) *image.Gray {
	w, h := r.Dx(), r.Dy()
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := pix[y*stride : y*stride+4*w]
		out := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := range out {
			p := row[4*x : 4*x+4 : 4*x+4]
			lum := (uint32(p[0]) + 2*uint32(p[1]) + uint32(p[2])) / 4
			a := uint32(p[3])
			if straightAlpha {
				lum = (lum*a + 255*(255-a)) / 255
			} else {
				lum = lum + (255 - a) // premultiplied: colour already scaled by alpha
				if lum > 255 {
					lum = 255
				}
			}
			out[x] = byte(lum)
		}
	}
	return g
}

// Downscale halves g with a 2×2 box filter. Halving defeats the moiré of a
// photographed screen and the noise of a large frame.
func Downscale(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx()/2, g.Rect.Dy()/2
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		r0 := g.Pix[(2*y)*g.Stride:]
		r1 := g.Pix[(2*y+1)*g.Stride:]
		o := out.Pix[y*out.Stride : y*out.Stride+w]
		for x := range o {
			o[x] = byte((uint32(r0[2*x]) + uint32(r0[2*x+1]) + uint32(r1[2*x]) + uint32(r1[2*x+1]) + 2) / 4)
		}
	}
	return out
}
