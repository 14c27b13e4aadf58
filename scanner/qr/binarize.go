package qr

import (
	"encoding/binary"

	"github.com/makiuchi-d/gozxing"
)

// Block geometry of ZXing's hybrid binarizer.
const (
	blockPow        = 3
	blockSize       = 1 << blockPow
	minDimension    = blockSize * 5
	minDynamicRange = 24
)

// fastHybrid is ZXing's HybridBinarizer, bit for bit (TestFastHybridSameBits),
// written for the camera loop: gozxing's port sets every black pixel through
// BitMatrix.Set and allocates a row per block row; this one packs 32 pixels
// into a word, hands gozxing whole rows, and allocates 8 times instead of
// 95 a 720p frame. It saves about a fifth of the binarization's CPU time
// (BenchmarkBinarize).
type fastHybrid struct {
	gozxing.Binarizer // the global-histogram binarizer, for GetBlackRow
	src               gozxing.LuminanceSource
	// inverted binarizes 255-v of every pixel v of src, without making
	// that inverted copy.
	inverted bool
	matrix   *gozxing.BitMatrix
}

func newFastHybrid(src gozxing.LuminanceSource) *fastHybrid {
	return &fastHybrid{Binarizer: gozxing.NewGlobalHistgramBinarizer(src), src: src}
}

// newInvertedHybrid is newFastHybrid(src.Invert()), bit for bit, a copy
// of the frame cheaper.
func newInvertedHybrid(src gozxing.LuminanceSource) *fastHybrid {
	return &fastHybrid{Binarizer: gozxing.NewGlobalHistgramBinarizer(src.Invert()), src: src, inverted: true}
}

func (b *fastHybrid) CreateBinarizer(src gozxing.LuminanceSource) gozxing.Binarizer {
	return newFastHybrid(src)
}

func (b *fastHybrid) GetBlackMatrix() (*gozxing.BitMatrix, error) {
	if b.matrix != nil {
		return b.matrix, nil
	}
	w, h := b.src.GetWidth(), b.src.GetHeight()
	if w < minDimension || h < minDimension {
		m, err := b.Binarizer.GetBlackMatrix()
		if err != nil {
			return nil, err
		}
		b.matrix = m
		return m, nil
	}
	lum := b.src.GetMatrix()
	subW := (w + blockSize - 1) >> blockPow
	subH := (h + blockSize - 1) >> blockPow
	bp := blackPoints(lum, subW, subH, w, h, b.inverted)
	// Inverted, a pixel v is black when 255-v <= t, that is v >= 255-t.
	flip := b.inverted

	rowWords := (w + 31) / 32
	words := make([]uint32, rowWords*h)
	maxY, maxX := h-blockSize, w-blockSize
	for y := 0; y < subH; y++ {
		yoff := min(y<<blockPow, maxY)
		top := min(max(y, 2), subH-3)
		for x := 0; x < subW; x++ {
			xoff := min(x<<blockPow, maxX)
			left := min(max(x, 2), subW-3)
			sum := 0
			for z := -2; z <= 2; z++ {
				r := bp[(top+z)*subW+left-2 : (top+z)*subW+left+3]
				sum += r[0] + r[1] + r[2] + r[3] + r[4]
			}
			t := min(sum/25, 255)
			sh := uint(xoff & 31)
			for yy := 0; yy < blockSize; yy++ {
				row := lum[(yoff+yy)*w+xoff : (yoff+yy)*w+xoff+blockSize]
				out := words[(yoff+yy)*rowWords+xoff>>5:]
				var m uint32
				if flip {
					m = atLeast8(row, 255-t)
				} else {
					m = atMost8(row, t)
				}
				out[0] |= m << sh
				if sh > 32-blockSize {
					// Only the last block of a row whose width is not a
					// multiple of 8 straddles two words.
					out[1] |= m >> (32 - sh)
				}
			}
		}
	}
	m, err := gozxing.NewBitMatrix(w, h)
	if err != nil {
		return nil, err
	}
	row := gozxing.NewBitArray(w)
	for y := 0; y < h; y++ {
		for i, word := range words[y*rowWords : (y+1)*rowWords] {
			row.SetBulk(i*32, word)
		}
		m.SetRow(y, row)
	}
	b.matrix = m
	return m, nil
}

// atMost8 has bit i set when row[i] <= t, for the 8 pixels of a block
// row, without a branch per pixel (module edges make the branch a coin
// toss): p-t-1 is negative exactly then, and its sign bit is the answer.
func atMost8(row []byte, t int) uint32 {
	_ = row[7]
	t++
	return uint32(int(row[0])-t)>>31 | uint32(int(row[1])-t)>>31<<1 |
		uint32(int(row[2])-t)>>31<<2 | uint32(int(row[3])-t)>>31<<3 |
		uint32(int(row[4])-t)>>31<<4 | uint32(int(row[5])-t)>>31<<5 |
		uint32(int(row[6])-t)>>31<<6 | uint32(int(row[7])-t)>>31<<7
}

// atLeast8 has bit i set when row[i] >= lo.
func atLeast8(row []byte, lo int) uint32 {
	_ = row[7]
	lo--
	return uint32(lo-int(row[0]))>>31 | uint32(lo-int(row[1]))>>31<<1 |
		uint32(lo-int(row[2]))>>31<<2 | uint32(lo-int(row[3]))>>31<<3 |
		uint32(lo-int(row[4]))>>31<<4 | uint32(lo-int(row[5]))>>31<<5 |
		uint32(lo-int(row[6]))>>31<<6 | uint32(lo-int(row[7]))>>31<<7
}

// sum8 is the sum of the first 8 bytes of b, added as four 16-bit lanes of
// one word.
func sum8(b []byte) int {
	x := binary.LittleEndian.Uint64(b)
	x = x&0x00ff00ff00ff00ff + x>>8&0x00ff00ff00ff00ff
	return int(x * 0x0001000100010001 >> 48)
}

// blackPoints is ZXing's per-block black point estimate (row-major,
// subW×subH), of lum or, when inverted, of 255-lum.
func blackPoints(lum []byte, subW, subH, w, h int, inverted bool) []int {
	bp := make([]int, subW*subH)
	maxY, maxX := h-blockSize, w-blockSize
	for y := 0; y < subH; y++ {
		yoff := min(y<<blockPow, maxY)
		for x := 0; x < subW; x++ {
			xoff := min(x<<blockPow, maxX)
			sum, lo, hi := 0, 255, 0
			yy := 0
			for ; yy < blockSize; yy++ {
				row := lum[(yoff+yy)*w+xoff : (yoff+yy)*w+xoff+blockSize]
				sum += sum8(row)
				for _, p := range row {
					lo = min(lo, int(p))
					hi = max(hi, int(p))
				}
				if hi-lo > minDynamicRange {
					// Contrast found: the rest of the block only adds to the sum.
					for yy++; yy < blockSize; yy++ {
						sum += sum8(lum[(yoff+yy)*w+xoff:])
					}
					break
				}
			}
			if inverted {
				sum, lo, hi = 255<<(2*blockPow)-sum, 255-hi, 255-lo
			}
			avg := sum >> (2 * blockPow)
			if hi-lo <= minDynamicRange {
				// A flat block: assume background, unless its neighbours say
				// the dark level is higher (ZXing's heuristic).
				avg = lo / 2
				if y > 0 && x > 0 {
					nb := (bp[(y-1)*subW+x] + 2*bp[y*subW+x-1] + bp[(y-1)*subW+x-1]) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			bp[y*subW+x] = avg
		}
	}
	return bp
}
