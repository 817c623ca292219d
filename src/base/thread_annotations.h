// Clang thread-safety annotations; no-ops elsewhere. Built with -Wthread-safety by the clang-tsa preset.
#pragma once

#if defined(__clang__)
#define QUARTET_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define QUARTET_THREAD_ANNOTATION(x)
#endif

#define GUARDED_BY(x) QUARTET_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) QUARTET_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) QUARTET_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) QUARTET_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define CAPABILITY(x) QUARTET_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY QUARTET_THREAD_ANNOTATION(scoped_lockable)
#define ACQUIRE(...) QUARTET_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) QUARTET_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
