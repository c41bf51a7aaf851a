//go:build windows

package actuation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"
	"unicode/utf16"
	"unsafe"
)

func init() { newClipboard = func() (clipboard, error) { return winClipboard{}, nil } }

var (
	procOpenClipboard              = user32.NewProc("OpenClipboard")
	procCloseClipboard             = user32.NewProc("CloseClipboard")
	procEmptyClipboard             = user32.NewProc("EmptyClipboard")
	procGetClipboardData           = user32.NewProc("GetClipboardData")
	procSetClipboardData           = user32.NewProc("SetClipboardData")
	procEnumClipboardFormats       = user32.NewProc("EnumClipboardFormats")
	procRegisterClipboardFormatW   = user32.NewProc("RegisterClipboardFormatW")
	procGetClipboardSequenceNumber = user32.NewProc("GetClipboardSequenceNumber")
	procGetOpenClipboardWindow     = user32.NewProc("GetOpenClipboardWindow")
	procGetForegroundWindow        = user32.NewProc("GetForegroundWindow")
	procGetClassNameW              = user32.NewProc("GetClassNameW")
	procGlobalAlloc                = kernel32.NewProc("GlobalAlloc")
	procGlobalFree                 = kernel32.NewProc("GlobalFree")
	procGlobalLock                 = kernel32.NewProc("GlobalLock")
	procGlobalUnlock               = kernel32.NewProc("GlobalUnlock")
	procGlobalSize                 = kernel32.NewProc("GlobalSize")
)

const (
	cfUnicodeText = 13
	gmemMoveable  = 0x0002
)

// winClipboard is the Windows clipboard through user32. Windows tells an owner
// when an application reads its data only with delayed rendering, which needs a
// window and a message loop; deskhand sets the data at once instead and, after
// pressing the paste shortcut, waits until another window has opened the
// clipboard and closed it again, or pasteSettle. An application slower than that
// would paste the restored content.
type winClipboard struct{}

// winFormat is one saved clipboard format.
type winFormat struct {
	id   uint32
	data []byte
}

// handleFormat reports whether format id holds a GDI or private handle rather
// than movable memory, which deskhand cannot copy: CF_BITMAP, CF_METAFILEPICT,
// CF_PALETTE, CF_ENHMETAFILE, the display formats, and the private and GDI object
// ranges. Windows recreates CF_BITMAP from CF_DIB; an enhanced metafile alone,
// or an application's private handle, is lost.
func handleFormat(id uint32) bool {
	switch id {
	case 2, 3, 9, 14, 0x80, 0x82, 0x83, 0x8E:
		return true
	}
	return id >= 0x200 && id <= 0x3FF
}

// openClipboard retries: another application may hold the clipboard open a moment.
func openClipboard(ctx context.Context) error {
	deadline := time.Now().Add(500 * time.Millisecond)
	for {
		r, _, err := procOpenClipboard.Call(0)
		if r != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("open the clipboard: %v (another program holds it)", err)
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

func closeClipboard() { procCloseClipboard.Call() }

func (winClipboard) hold(ctx context.Context) (pasteSession, error) {
	if err := procOpenClipboard.Find(); err != nil {
		return nil, err
	}
	if err := openClipboard(ctx); err != nil {
		return nil, err
	}
	defer closeClipboard()
	s := &winSession{}
	size := 0
	for id := uint32(0); ; {
		r, _, _ := procEnumClipboardFormats.Call(uintptr(id))
		if id = uint32(r); id == 0 {
			break
		}
		if handleFormat(id) {
			continue
		}
		h, _, _ := procGetClipboardData.Call(uintptr(id))
		if h == 0 {
			continue // the owner failed to render it: nobody gets it
		}
		data, err := globalBytes(h)
		if err != nil {
			continue
		}
		if size += len(data); size > saveLimit {
			return nil, errors.New("the clipboard holds too much to keep")
		}
		s.saved = append(s.saved, winFormat{id, data})
	}
	return s, nil
}

// globalBytes copies the memory of a global handle.
func globalBytes(h uintptr) ([]byte, error) {
	n, _, _ := procGlobalSize.Call(h)
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		return nil, err
	}
	defer procGlobalUnlock.Call(h)
	return append([]byte(nil), unsafe.Slice(*(**byte)(unsafe.Pointer(&p)), int(n))...), nil
}

// setGlobal puts data on the open clipboard as format id.
func setGlobal(id uint32, data []byte) error {
	h, _, err := procGlobalAlloc.Call(gmemMoveable, uintptr(max(len(data), 1)))
	if h == 0 {
		return fmt.Errorf("allocate %d bytes: %v", len(data), err)
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("lock memory: %v", err)
	}
	copy(unsafe.Slice(*(**byte)(unsafe.Pointer(&p)), len(data)), data)
	procGlobalUnlock.Call(h)
	if r, _, err := procSetClipboardData.Call(uintptr(id), h); r == 0 {
		procGlobalFree.Call(h) // still ours when SetClipboardData fails
		return fmt.Errorf("set clipboard format %d: %v", id, err)
	}
	return nil
}

func registerFormat(name string) uint32 {
	p, _ := syscall.UTF16PtrFromString(name)
	r, _, _ := procRegisterClipboardFormatW.Call(uintptr(unsafe.Pointer(p)))
	return uint32(r)
}

func sequence() uintptr {
	r, _, _ := procGetClipboardSequenceNumber.Call()
	return r
}

// winSession is one type action's pastes.
type winSession struct {
	saved []winFormat
	seq   uintptr // the clipboard's sequence number after deskhand's last paste; 0: none
}

// foregroundTerminal reports whether the foreground window is a terminal that
// pastes with shift+insert only (mintty, PuTTY); Windows consoles take ctrl+v.
func foregroundTerminal() bool {
	w, _, _ := procGetForegroundWindow.Call()
	if w == 0 {
		return false
	}
	buf := make([]uint16, 256)
	n, _, _ := procGetClassNameW.Call(w, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	class := strings.ToLower(string(utf16.Decode(buf[:n])))
	return class == "mintty" || class == "putty" || class == "pterm"
}

func (s *winSession) paste(ctx context.Context, text string, press func([]string) error) error {
	if err := openClipboard(ctx); err != nil {
		return fmt.Errorf("%w (%v)", errNotFetched, err)
	}
	procEmptyClipboard.Call()
	data := utf16.Encode([]rune(text + "\x00"))
	err := setGlobal(cfUnicodeText, unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 2*len(data)))
	if err == nil {
		// Keep the text out of clipboard history (Win+V) and the cloud
		// clipboard: it may be anything the agent types.
		zero := []byte{0, 0, 0, 0}
		setGlobal(registerFormat("ExcludeClipboardContentFromMonitorProcessing"), zero)
		setGlobal(registerFormat("CanIncludeInClipboardHistory"), zero)
		setGlobal(registerFormat("CanUploadToCloudClipboard"), zero)
	}
	closeClipboard()
	if err != nil {
		return fmt.Errorf("%w (%v)", errNotFetched, err)
	}
	s.seq = sequence()
	if err := press(pasteKeys(foregroundTerminal())); err != nil {
		return err
	}
	// Done when another window has had the clipboard open, or after pasteSettle.
	opened := false
	deadline := time.Now().Add(pasteSettle)
	for time.Now().Before(deadline) {
		w, _, _ := procGetOpenClipboardWindow.Call()
		if w != 0 {
			opened = true
		} else if opened {
			return nil
		}
		if err := sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func (s *winSession) restore() error {
	if s.seq == 0 || sequence() != s.seq {
		return nil // nothing pasted, or the user copied something since: theirs stays
	}
	if err := openClipboard(context.Background()); err != nil {
		return err
	}
	defer closeClipboard()
	procEmptyClipboard.Call()
	var errs []error
	for _, f := range s.saved {
		errs = append(errs, setGlobal(f.id, f.data))
	}
	return errors.Join(errs...)
}

// close has nothing to hand over: Windows keeps clipboard data after its owner exits.
func (winClipboard) close() error { return nil }
