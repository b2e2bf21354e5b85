package main

import (
	"image"
	"image/png"
	"os"
	"testing"
)

// loadScreenshot decodes a PNG a browser test took and requires it to be at
// least minW x minH.
func loadScreenshot(t *testing.T, path string, minW, minH int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() < minW || b.Dy() < minH {
		t.Fatalf("screenshot is %dx%d, want at least %dx%d", b.Dx(), b.Dy(), minW, minH)
	}
	return img
}

// colourCounts samples every step-th pixel in both directions and counts
// each 8-bit RGB colour.
func colourCounts(img image.Image, step int) map[[3]uint32]int {
	b := img.Bounds()
	counts := map[[3]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y += step {
		for x := b.Min.X; x < b.Max.X; x += step {
			r, g, bl, _ := img.At(x, y).RGBA()
			counts[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	return counts
}
