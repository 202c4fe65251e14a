#pragma once
// Declarations of the Apple-only APIs that runtime/ane/ane_device_apple.mm uses and that GNUstep
// (Debian's libgnustep-base-dev) lacks. Used ONLY by tests/objc_syntax_check.sh, which compiles
// the .mm with -fsyntax-only -DANEC_OBJC_SYNTAX_CHECK on Linux; never linked, never part of a
// real build. The prototypes follow Apple's SDK headers (IOSurface/IOSurfaceRef.h,
// CoreFoundation/CFBase.h, objc/message.h, Foundation/NSObject.h, sys/sysctl.h) so that a call
// with the wrong arity or argument type fails the check as it would fail on a Mac.
#if !defined(ANEC_OBJC_SYNTAX_CHECK)
#error "apple_platform_stubs.h is only for the Objective-C syntax check"
#endif

#import <Foundation/Foundation.h>

#include <cstddef>
#include <cstdint>

extern "C" {

// CoreFoundation (CFBase.h, CFDictionary.h, CFString.h): opaque reference types.
typedef const void* CFTypeRef;
typedef const struct __CFDictionary* CFDictionaryRef;
typedef const struct __CFString* CFStringRef;
void CFRelease(CFTypeRef cf);
CFTypeRef CFRetain(CFTypeRef cf);

// Foundation/NSObject.h (ARC bridging helpers; GNUstep has none).
CFTypeRef CFBridgingRetain(id object);
id CFBridgingRelease(CFTypeRef object);

// mach/kern_return.h, IOKit/IOReturn.h.
typedef int kern_return_t;
typedef kern_return_t IOReturn;

// IOSurface/IOSurfaceRef.h and IOSurfaceTypes.h.
typedef struct __IOSurface* IOSurfaceRef;
typedef uint32_t IOSurfaceLockOptions;
enum : uint32_t { kIOSurfaceLockReadOnly = 0x00000001, kIOSurfaceLockAvoidSync = 0x00000002 };
extern const CFStringRef kIOSurfaceAllocSize;
extern const CFStringRef kIOSurfaceWidth;
extern const CFStringRef kIOSurfaceHeight;
extern const CFStringRef kIOSurfaceBytesPerRow;
extern const CFStringRef kIOSurfaceBytesPerElement;
extern const CFStringRef kIOSurfacePixelFormat;
IOSurfaceRef IOSurfaceCreate(CFDictionaryRef properties);
kern_return_t IOSurfaceLock(IOSurfaceRef buffer, IOSurfaceLockOptions options, uint32_t* seed);
kern_return_t IOSurfaceUnlock(IOSurfaceRef buffer, IOSurfaceLockOptions options, uint32_t* seed);
void* IOSurfaceGetBaseAddress(IOSurfaceRef buffer);
size_t IOSurfaceGetAllocSize(IOSurfaceRef buffer);

// objc/message.h with OBJC_OLD_DISPATCH_PROTOTYPES=0 (the default on Apple silicon): callers
// must cast objc_msgSend to the exact function type of the method they call.
void objc_msgSend(void);

// sys/sysctl.h (BSD; glibc has no sysctlbyname).
int sysctlbyname(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen);

} // extern "C"
