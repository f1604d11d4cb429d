/* Talkline's stand-in for libx265 (the x265 HEVC encoder) in the packaged app.
 *
 * Copyright (c) 2026 the Talkline authors. MIT licence (the LICENSE file of Talkline).
 *
 * av's FFmpeg links libx265 (19.6 MiB) but Talkline never encodes HEVC, so the bundle ships
 * this instead, under the vendored library's file name and SONAME, built at packaging time
 * by packaging/stub_libraries.py. That script writes one X265_API_GET line for each
 * x265_api_get_<build> symbol FFmpeg imports (the build number is part of the name).
 *
 * FFmpeg's libx265 wrapper never checks x265_api_get() for NULL twice in a row (it falls
 * back to x265_api_get(0) and then calls through the table), so a NULL would crash it.
 * The stub hands out a table whose every function fails instead: the first one FFmpeg
 * calls, param_alloc, returns NULL, and opening the encoder fails with "Could not
 * allocate x265 param structure" (AVERROR(ENOMEM), a Python exception in av).
 */
#include <stddef.h>

/* More entries than any x265_api has (about 40): FFmpeg only reads those it knows. */
#define X265_STUB_FUNCTIONS 128

/* NULL for the functions returning a pointer, 0 for the others; FFmpeg stops at the
 * first NULL (param_alloc) and never reaches the rest. */
static void *x265_stub_fail(void)
{
    return NULL;
}

/* The leading fields of x265.h's `struct x265_api`, then its table of functions. */
struct x265_stub_api {
    int api_major_version;
    int api_build_number;
    int sizeof_param;
    int sizeof_picture;
    int sizeof_analysis_data;
    int sizeof_zone;
    int sizeof_stats;
    int bit_depth;
    const char *version_str;
    const char *build_info_str;
    void *(*functions[X265_STUB_FUNCTIONS])(void);
};

#define X265_STUB_VERSION "none: Talkline's bundle leaves the x265 encoder out"

#define X265_API_GET(name, build)                                                      \
    static const struct x265_stub_api name##_table = {                                 \
        .api_major_version = 0,                                                        \
        .api_build_number = (build),                                                   \
        .bit_depth = 8,                                                                \
        .version_str = X265_STUB_VERSION,                                              \
        .build_info_str = X265_STUB_VERSION,                                           \
        .functions = {[0 ... X265_STUB_FUNCTIONS - 1] = x265_stub_fail},               \
    };                                                                                 \
    __attribute__((visibility("default"))) const struct x265_stub_api *name(int depth) \
    {                                                                                  \
        (void)depth;                                                                   \
        return &name##_table;                                                          \
    }
