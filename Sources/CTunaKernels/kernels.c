#include "TunaKernels.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__) && (defined(__clang__) || defined(__GNUC__))
#define TUNA_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TUNA_CLONES
#endif

TUNA_CLONES
void tuna_adam_update(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                      size_t n, float beta1, float beta2, float step_size, float epsilon) {
    const float a = 1.0f - beta1, b = 1.0f - beta2;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = m[i] + (gi - m[i]) * a;
        float vi = v[i] + (gi * gi - v[i]) * b;
        m[i] = mi;
        v[i] = vi;
        w[i] -= step_size * mi / (sqrtf(vi) + epsilon);
    }
}

TUNA_CLONES
void tuna_adam_amsgrad_update(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                              float *restrict vmax, size_t n, float beta1, float beta2, float step_size,
                              float epsilon) {
    const float a = 1.0f - beta1, b = 1.0f - beta2;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = m[i] + (gi - m[i]) * a;
        float vi = v[i] + (gi * gi - v[i]) * b;
        float vm = vmax[i] > vi ? vmax[i] : vi;
        m[i] = mi;
        v[i] = vi;
        vmax[i] = vm;
        w[i] -= step_size * mi / (sqrtf(vm) + epsilon);
    }
}

TUNA_CLONES
void tuna_relu_backward(const float *restrict z, const float *restrict dy, float *restrict dz, size_t n) {
    for (size_t i = 0; i < n; i++) dz[i] = z[i] > 0.0f ? dy[i] : 0.0f;
}

TUNA_CLONES
void tuna_relu_forward(const float *restrict z, float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = z[i] > 0.0f ? z[i] : 0.0f;
}

TUNA_CLONES
void tuna_column_sums(const float *restrict x, size_t rows, size_t cols, float *restrict out) {
    memset(out, 0, cols * sizeof(float));
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * cols;
        for (size_t j = 0; j < cols; j++) out[j] += row[j];
    }
}

void tuna_broadcast_rows(const float *restrict b, size_t rows, size_t cols, float *restrict y) {
    for (size_t r = 0; r < rows; r++) memcpy(y + r * cols, b, cols * sizeof(float));
}

TUNA_CLONES
long tuna_first_nonfinite(const float *restrict x, size_t n) {
    /* A value is non-finite when its exponent bits are all ones; test blocks branch-free and
       look closer only at a block that holds one. */
    const unsigned *bits = (const unsigned *)x;
    size_t block = 1024;
    for (size_t start = 0; start < n; start += block) {
        size_t end = start + block < n ? start + block : n;
        unsigned bad = 0;
        for (size_t i = start; i < end; i++) bad |= ((bits[i] & 0x7f800000u) == 0x7f800000u);
        if (bad) {
            for (size_t i = start; i < end; i++)
                if ((bits[i] & 0x7f800000u) == 0x7f800000u) return (long)i;
        }
    }
    return -1;
}
