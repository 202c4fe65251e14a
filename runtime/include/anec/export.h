/* The symbol visibility of the anec library's public API (shared by anec.h and anec.hpp). The
 * library is built with hidden visibility; only what is marked ANEC_API is exported. */
#ifndef ANEC_EXPORT_H
#define ANEC_EXPORT_H

#if defined(_WIN32)
#if defined(ANEC_BUILDING_LIBRARY)
#define ANEC_API __declspec(dllexport)
#else
#define ANEC_API __declspec(dllimport)
#endif
#else
#define ANEC_API __attribute__((visibility("default")))
#endif

#endif /* ANEC_EXPORT_H */
