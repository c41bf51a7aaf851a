//go:build cgo

package permissions

/*
#cgo LDFLAGS: -framework ApplicationServices -framework CoreGraphics -framework CoreFoundation
#include <ApplicationServices/ApplicationServices.h>
#include <CoreGraphics/CoreGraphics.h>

// The TCC answers. AXIsProcessTrusted follows System Settings live;
// CGPreflightScreenCaptureAccess reports what this process got at launch (see
// the package comment). Before macOS 10.15 there was no Screen Recording
// permission: every process could capture.

static int accessibilityGranted(void) {
	return AXIsProcessTrusted() ? 1 : 0;
}

static int accessibilityRequest(void) {
	const void *keys[] = { kAXTrustedCheckOptionPrompt };
	const void *values[] = { kCFBooleanTrue };
	CFDictionaryRef opts = CFDictionaryCreate(kCFAllocatorDefault, keys, values, 1,
		&kCFTypeDictionaryKeyCallBacks, &kCFTypeDictionaryValueCallBacks);
	if (opts == NULL) {
		return AXIsProcessTrusted() ? 1 : 0;
	}
	Boolean ok = AXIsProcessTrustedWithOptions(opts);
	CFRelease(opts);
	return ok ? 1 : 0;
}

static int screenRecordingGranted(void) {
	if (__builtin_available(macOS 10.15, *)) {
		return CGPreflightScreenCaptureAccess() ? 1 : 0;
	}
	return 1;
}

static int screenRecordingRequest(void) {
	if (__builtin_available(macOS 10.15, *)) {
		return CGRequestScreenCaptureAccess() ? 1 : 0;
	}
	return 1;
}
*/
import "C"

import "fmt"

func check() Status {
	return Status{
		Accessibility:   C.accessibilityGranted() != 0,
		ScreenRecording: C.screenRecordingGranted() != 0,
	}
}

func request(k Kind) error {
	switch k {
	case Accessibility:
		C.accessibilityRequest()
	case ScreenRecording:
		C.screenRecordingRequest()
	default:
		return fmt.Errorf("unknown permission %s", k)
	}
	return nil
}
