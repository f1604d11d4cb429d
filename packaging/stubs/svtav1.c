/* Talkline's stand-in for libSvtAv1Enc (the SVT-AV1 encoder) in the packaged app.
 *
 * Copyright (c) 2026 the Talkline authors. MIT licence (the LICENSE file of Talkline).
 *
 * av's FFmpeg links SVT-AV1 (6.7 MiB) but Talkline never encodes AV1, so the bundle ships
 * this instead, under the vendored library's file name and SONAME, built at packaging time
 * by packaging/stub_libraries.py. That script writes one SVT_FAILS line for each svt_*
 * function FFmpeg imports, so the list follows whatever FFmpeg the av wheel brings.
 *
 * Every function returns EB_ErrorInvalidComponent and writes nothing: FFmpeg's first call,
 * svt_av1_enc_init_handle, fails, its handle stays NULL, and opening the encoder fails with
 * "Error initializing encoder handle: invalid component" (AVERROR(EINVAL)). The functions
 * that return void in SVT-AV1 ignore the value, as the calling convention allows.
 */

/* EbErrorType's EB_ErrorInvalidComponent (EbSvtAv1ErrorCodes.h). */
#define SVT_STUB_ERROR ((int)0x80001004)

#define SVT_FAILS(name)                                      \
    __attribute__((visibility("default"))) int name(void)    \
    {                                                        \
        return SVT_STUB_ERROR;                               \
    }
