package pdfdoc

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"

	"codeberg.org/go-pdf/fpdf"
)

// MaxLogoPixels bounds a logo's width and height: larger images are
// refused before they are decoded (a small file can unpack to gigabytes).
const MaxLogoPixels = 4096

// Errors of NormalizeLogo, for the caller to turn into messages.
var (
	ErrLogoType       = errors.New("pdfdoc: logo is neither PNG nor JPEG")
	ErrLogoDimensions = errors.New("pdfdoc: logo is too large in pixels")
	ErrLogoUnreadable = errors.New("pdfdoc: logo cannot be read")
)

// NormalizeLogo checks an uploaded logo and returns it in a form the PDF
// writer accepts, with its content type and size in pixels. The type comes
// from the bytes, never the name. PNGs are decoded and written again as
// 8-bit non-interlaced PNG (16-bit and interlaced ones would otherwise be
// refused at render time); JPEGs are kept as they are when they decode and
// embed, otherwise re-encoded.
func NormalizeLogo(data []byte) (out []byte, contentType string, width, height int, err error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, "", 0, 0, ErrLogoType
		}
		return nil, "", 0, 0, fmt.Errorf("%w: %v", ErrLogoUnreadable, err)
	}
	if format != "png" && format != "jpeg" {
		return nil, "", 0, 0, ErrLogoType
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxLogoPixels || cfg.Height > MaxLogoPixels {
		return nil, "", cfg.Width, cfg.Height, ErrLogoDimensions
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", 0, 0, fmt.Errorf("%w: %v", ErrLogoUnreadable, err)
	}
	if format == "jpeg" {
		if embeds(data, "JPG") {
			return data, "image/jpeg", cfg.Width, cfg.Height, nil
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, toNRGBA(img), &jpeg.Options{Quality: 92}); err != nil {
			return nil, "", 0, 0, fmt.Errorf("%w: %v", ErrLogoUnreadable, err)
		}
		return buf.Bytes(), "image/jpeg", cfg.Width, cfg.Height, nil
	}
	switch img.(type) {
	case *image.NRGBA, *image.RGBA, *image.Paletted, *image.Gray:
	default: // 16-bit, grey with alpha …
		img = toNRGBA(img)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		return nil, "", 0, 0, fmt.Errorf("%w: %v", ErrLogoUnreadable, err)
	}
	if !embeds(buf.Bytes(), "PNG") {
		return nil, "", 0, 0, ErrLogoUnreadable
	}
	return buf.Bytes(), "image/png", cfg.Width, cfg.Height, nil
}

func toNRGBA(img image.Image) *image.NRGBA {
	out := image.NewNRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

// embeds reports whether the PDF writer accepts the image.
func embeds(data []byte, typ string) bool {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.RegisterImageOptionsReader("x", fpdf.ImageOptions{ImageType: typ}, io.Reader(bytes.NewReader(data)))
	return !pdf.Err()
}
