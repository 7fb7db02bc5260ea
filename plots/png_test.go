package plots

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// TestEncodePNG: what encodePNG writes decodes, through image/png, to the
// pixels it was given, for opaque images (its own RGB encoder: flat,
// striped, noisy ones whose data spans several IDAT chunks, sub-images);
// translucent ones are image/png's encoding.
func TestEncodePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(w, h int, f func(x, y int) color.RGBA) *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				img.SetRGBA(x, y, f(x, y))
			}
		}
		return img
	}
	opaque := func(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 0xff} }
	tests := []struct {
		name string
		img  *image.RGBA
		rgb  bool // written as 8-bit RGB by our encoder
	}{
		{"one pixel", fill(1, 1, func(int, int) color.RGBA { return opaque(1, 2, 3) }), true},
		{"white", fill(300, 120, func(int, int) color.RGBA { return opaque(255, 255, 255) }), true},
		{"bars", fill(97, 31, func(x, y int) color.RGBA {
			if y > x%31 {
				return opaque(0x1f, 0x77, 0xb4)
			}
			return opaque(255, 255, 255)
		}), true},
		{"noise, several chunks", fill(400, 300, func(int, int) color.RGBA {
			return opaque(uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()))
		}), true},
		{"sub-image", fill(50, 40, func(x, y int) color.RGBA {
			return opaque(uint8(x), uint8(y), uint8(x*y))
		}).SubImage(image.Rect(7, 5, 33, 29)).(*image.RGBA), true},
		{"translucent", fill(20, 10, func(x, y int) color.RGBA {
			return color.RGBA{R: 0x10, G: 0x40, B: 0x20, A: uint8(0x40 + x)}
		}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := encodePNG(&buf, tt.img); err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			b := tt.img.Bounds()
			if cfg.Width != b.Dx() || cfg.Height != b.Dy() {
				t.Fatalf("size %dx%d, want %dx%d", cfg.Width, cfg.Height, b.Dx(), b.Dy())
			}
			if isRGB := cfg.ColorModel == color.RGBAModel && buf.Bytes()[25] == 2; isRGB != tt.rgb {
				t.Errorf("colour type %d, want RGB %v", buf.Bytes()[25], tt.rgb)
			}
			if !tt.rgb {
				// image/png's own encoding, byte for byte.
				var want bytes.Buffer
				if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&want, tt.img); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), want.Bytes()) {
					t.Error("differs from image/png's encoding")
				}
				return
			}
			got, err := png.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			diff := 0
			for y := range b.Dy() {
				for x := range b.Dx() {
					want := tt.img.RGBAAt(b.Min.X+x, b.Min.Y+y)
					if color.RGBAModel.Convert(got.At(x, y)) != want {
						diff++
					}
				}
			}
			if diff > 0 {
				t.Errorf("%d of %d pixels differ", diff, b.Dx()*b.Dy())
			}
		})
	}
}

// TestEncodePNGEmpty: an empty opaque image is an error, not a broken file.
func TestEncodePNGEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := encodePNG(&buf, image.NewRGBA(image.Rect(0, 0, 0, 5))); err == nil {
		t.Error("no error")
	}
}
