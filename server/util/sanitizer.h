#pragma once

// SLUICE_ASAN is defined in builds with AddressSanitizer (GCC says so with a macro, clang with
// __has_feature). Its allocator replaces glibc's, so mallinfo2() sees nothing there.
#if defined(__SANITIZE_ADDRESS__)
#define SLUICE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLUICE_ASAN 1
#endif
#endif
