/*
 * A stand-in bcryptprimitives.dll for running Go programs under Wine 8.
 *
 * Go 1.24 and later get their random bytes from ProcessPrng in
 * bcryptprimitives.dll, which Windows 10 and later have but Wine before 9.0
 * (Debian 12's wine64 is 8.0) does not: the runtime dies at start-up. Put in
 * the prefix's system32 (Go loads it from there only), this DLL answers
 * ProcessPrng with advapi32's RtlGenRandom (SystemFunction036), which Wine
 * has. xvfbtest.Wine (wine.go) builds it with
 *
 *   x86_64-w64-mingw32-gcc -shared -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 *
 * It is test scaffolding only: nothing that ships loads it.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID, ULONG);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T n) {
    while (n > 0) {
        ULONG k = n > 0x10000000 ? 0x10000000 : (ULONG)n;
        if (!SystemFunction036(data, k)) return FALSE;
        data += k; n -= k;
    }
    return TRUE;
}
