package plots

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
)

// encodePNG writes img as a PNG. An opaque image is written as 8-bit RGB
// with every row filtered by "Up" (the difference to the row above):
// image/png tries all five filters on every row and keeps the best, which
// costs more than drawing the chart, while for charts of vertical bars and
// flat areas Up alone gives files within a few per cent of that size.
// Other images go through image/png. Both compress at deflate's fastest
// level: flat-colour charts compress well there (see docs/internals.md).
func encodePNG(w io.Writer, img *image.RGBA) error {
	if !img.Opaque() {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		return enc.Encode(w, img)
	}
	b := img.Bounds()
	width, height := b.Dx(), b.Dy()
	if width <= 0 || height <= 0 {
		return fmt.Errorf("png: empty image %v", b)
	}
	bw := bufio.NewWriterSize(w, 1<<15)
	if _, err := bw.WriteString("\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = 8, 2 // bit depth 8, colour type RGB; no interlace
	if err := writeChunk(bw, "IHDR", ihdr[:]); err != nil {
		return err
	}
	idat := &chunkWriter{w: bw, kind: "IDAT", buf: make([]byte, 0, maxChunk)}
	zw, err := zlib.NewWriterLevel(idat, zlib.BestSpeed)
	if err != nil {
		return err
	}
	cur, prev := make([]byte, 1+3*width), make([]byte, 1+3*width)
	filtered := make([]byte, 1+3*width)
	filtered[0] = 2 // Up
	for y := range height {
		row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		for x, i := 0, 1; x < width; x, i = x+1, i+3 {
			cur[i], cur[i+1], cur[i+2] = row[4*x], row[4*x+1], row[4*x+2]
		}
		// Up against the row above; the first row's "above" is zero.
		for i := 1; i < len(cur); i++ {
			filtered[i] = cur[i] - prev[i]
		}
		if _, err := zw.Write(filtered); err != nil {
			return err
		}
		cur, prev = prev, cur
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := idat.flush(); err != nil {
		return err
	}
	if err := writeChunk(bw, "IEND", nil); err != nil {
		return err
	}
	return bw.Flush()
}

// writeChunk writes one PNG chunk: length, type, data, CRC of type and data.
func writeChunk(w io.Writer, kind string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], kind)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, b := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// chunkWriter collects a stream into chunks of one type, 64 KiB each at
// most.
type chunkWriter struct {
	w    io.Writer
	kind string
	buf  []byte
}

const maxChunk = 1 << 16

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), maxChunk-len(c.buf))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == maxChunk {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	err := writeChunk(c.w, c.kind, c.buf)
	c.buf = c.buf[:0]
	return err
}
