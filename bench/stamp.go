package bench

import "image"

// A probe's frame counter is stamped into the top-left corner of its frames
// as big black and white blocks, which survive lossy compression and are read
// back by comparing block means:
//
//	cell 0, 1      marker: white, black (tells an inverted picture apart)
//	cells 2-17     the 16 bits of the counter's Gray code, most significant first
//	cells 18-33    the same bits complemented
//
// A cell is 16x16 pixels, aligned to VP8's macroblocks; cells run left to
// right in rows as wide as the picture allows. Each bit is read by comparing
// its cell with its complement's, so no fixed threshold is needed, and the
// Gray code changes one bit pair per frame, so a frame costs the encoder
// little more than a still picture.
const (
	cellSize   = 16
	stampBits  = 16
	stampCells = 2 + 2*stampBits

	// Luma of white and black cells (BT.601 limited range).
	stampWhite = 235
	stampBlack = 16

	// minContrast is the least marker contrast (in luma levels) for a
	// stamp to be read at all; a bit whose cells differ by less than
	// minBitContrast of the marker's contrast is unreadable.
	minContrast    = 48
	minBitContrast = 3 // read as 1/3

	// A size that fits the stamp, for error messages.
	minStampWidth, minStampHeight = 160, 64
)

// stampLayout returns the cells per row and rows the stamp takes in a
// picture w pixels wide.
func stampLayout(w int) (perRow, rows int) {
	perRow = w / cellSize
	if perRow == 0 {
		return 0, 0
	}
	return perRow, (stampCells + perRow - 1) / perRow
}

// stampFits reports whether the stamp fits in a w x h picture.
func stampFits(w, h int) bool {
	perRow, rows := stampLayout(w)
	return perRow >= 2 && rows*cellSize <= h
}

// cellRect is cell i's rectangle, relative to the picture's origin.
func cellRect(i, perRow int) image.Rectangle {
	x, y := (i%perRow)*cellSize, (i/perRow)*cellSize
	return image.Rect(x, y, x+cellSize, y+cellSize)
}

func grayCode(n uint16) uint16 { return n ^ n>>1 }

func fromGray(g uint16) uint16 {
	n := g
	n ^= n >> 1
	n ^= n >> 2
	n ^= n >> 4
	n ^= n >> 8
	return n
}

// stampCounter writes n into img (4:2:0) as the stamp described above. The
// picture must be at least as large as stampFits asks.
func stampCounter(img *image.YCbCr, n uint16) {
	perRow, _ := stampLayout(img.Rect.Dx())
	g := grayCode(n)
	for i := range stampCells {
		var white bool
		switch {
		case i == 0:
			white = true
		case i == 1:
			white = false
		case i < 2+stampBits:
			white = g>>(stampBits-1-(i-2))&1 == 1
		default:
			white = g>>(stampBits-1-(i-2-stampBits))&1 == 0
		}
		v := uint8(stampBlack)
		if white {
			v = stampWhite
		}
		fillCell(img, cellRect(i, perRow), v)
	}
}

func fillCell(img *image.YCbCr, r image.Rectangle, luma uint8) {
	r = r.Add(img.Rect.Min)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Y[img.YOffset(x, y)] = luma
		}
	}
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			i := img.COffset(x, y)
			img.Cb[i], img.Cr[i] = 128, 128
		}
	}
}

// cellMean averages the luma of cell r's inner half, away from the edges
// where compression blurs one cell into the next.
func cellMean(img *image.YCbCr, r image.Rectangle) int {
	in := r.Inset(cellSize / 4).Add(img.Rect.Min)
	sum := 0
	for y := in.Min.Y; y < in.Max.Y; y++ {
		for x := in.Min.X; x < in.Max.X; x++ {
			sum += int(img.Y[img.YOffset(x, y)])
		}
	}
	return sum / (in.Dx() * in.Dy())
}

// readCounter reads the stamp back from a (decoded) picture. It reports
// false when the picture carries no readable stamp. A picture whose luma
// was inverted reads the same.
func readCounter(img *image.YCbCr) (uint16, bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if !stampFits(w, h) {
		return 0, false
	}
	perRow, _ := stampLayout(w)
	contrast := cellMean(img, cellRect(0, perRow)) - cellMean(img, cellRect(1, perRow))
	inverted := contrast < 0
	if inverted {
		contrast = -contrast
	}
	if contrast < minContrast {
		return 0, false
	}
	var g uint16
	for b := range stampBits {
		d := cellMean(img, cellRect(2+b, perRow)) - cellMean(img, cellRect(2+stampBits+b, perRow))
		if inverted {
			d = -d
		}
		if d > -contrast/minBitContrast && d < contrast/minBitContrast {
			return 0, false
		}
		g <<= 1
		if d > 0 {
			g |= 1
		}
	}
	return fromGray(g), true
}
