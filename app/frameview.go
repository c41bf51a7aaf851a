package app

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskhand/deskhand/actuation"
	"github.com/deskhand/deskhand/app/overlay"
	"github.com/deskhand/deskhand/perception"
)

// tapImage is a picture that does something when tapped: the step list's
// thumbnails open the frame full size.
type tapImage struct {
	widget.BaseWidget
	img    *canvas.Image
	empty  *canvas.Rectangle
	onTap  func()
	hasImg bool
}

func newTapImage(size fyne.Size, onTap func()) *tapImage {
	t := &tapImage{onTap: onTap}
	t.img = canvas.NewImageFromImage(nil)
	t.img.FillMode = canvas.ImageFillContain
	t.img.ScaleMode = canvas.ImageScaleSmooth
	t.img.SetMinSize(size)
	t.empty = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	t.empty.SetMinSize(size)
	t.ExtendBaseWidget(t)
	return t
}

// SetImage shows img; nil shows an empty frame of the same size.
func (t *tapImage) SetImage(img image.Image) {
	if img == nil || (t.hasImg && t.img.Image == img) {
		return
	}
	t.img.Image, t.hasImg = img, true
	t.img.Refresh()
	t.empty.Hide()
}

func (t *tapImage) Tapped(*fyne.PointEvent) {
	if t.onTap != nil && t.hasImg {
		t.onTap()
	}
}

func (t *tapImage) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(t.empty, t.img))
}

// showFrame shows frame f with the marker of act drawn on it, in a dialog of
// win as large as the window allows.
func showFrame(win fyne.Window, title string, f perception.Frame, act actuation.Action) {
	img, err := overlay.Thumbnail(f, act)
	if err != nil {
		dialog.ShowError(err, win)
		return
	}
	pic := canvas.NewImageFromImage(img)
	pic.FillMode = canvas.ImageFillContain
	pic.ScaleMode = canvas.ImageScaleSmooth
	size := win.Canvas().Size()
	w := min(float32(img.Bounds().Dx()), size.Width-80)
	h := w * float32(img.Bounds().Dy()) / float32(img.Bounds().Dx())
	if max := size.Height - 140; h > max {
		h, w = max, max*float32(img.Bounds().Dx())/float32(img.Bounds().Dy())
	}
	pic.SetMinSize(fyne.NewSize(w, h))
	d := dialog.NewCustom(title, "Close", pic, win)
	// Esc closes the picture too, as it would any viewer's.
	c := win.Canvas()
	before := c.OnTypedKey()
	c.SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			d.Hide()
			return
		}
		if before != nil {
			before(k)
		}
	})
	d.SetOnClosed(func() { c.SetOnTypedKey(before) })
	d.Show()
}
