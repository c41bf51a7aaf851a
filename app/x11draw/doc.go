// Package x11draw owns putting deskhand's own pictures on an X11 screen: whether
// the screen takes 24-bit colour in 32-bit words, and uploading an RGBA picture
// in requests the server accepts. The confirmation overlay and the calibration
// board draw through it; it is pure Go (jezek/xgb) and empty off X11.
package x11draw
