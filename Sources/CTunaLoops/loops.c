#include "TunaLoops.h"
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

/* tanh as x P(x^2) / Q(x^2) on [-7.9053, 7.9053] (the float saturation point), as Eigen's ptanh. */
static inline float tuna_tanh(float x) {
    const float clamp = 7.90531110763549805f;
    x = x > clamp ? clamp : (x < -clamp ? -clamp : x);
    float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return x * p / q;
}

static inline float tuna_sigmoid(float x) { return 0.5f * tuna_tanh(0.5f * x) + 0.5f; }

TUNA_CLONES
void tuna_lstm_cell(float *restrict z, const float *restrict c_prev, float *restrict c, float *restrict c_tanh,
                    float *restrict h, size_t u) {
    float *zi = z, *zf = z + u, *zg = z + 2 * u, *zo = z + 3 * u;
    for (size_t j = 0; j < u; j++) zi[j] = tuna_sigmoid(zi[j]);
    for (size_t j = 0; j < u; j++) zf[j] = tuna_sigmoid(zf[j]);
    for (size_t j = 0; j < u; j++) zg[j] = tuna_tanh(zg[j]);
    for (size_t j = 0; j < u; j++) zo[j] = tuna_sigmoid(zo[j]);
    if (c_prev) {
        for (size_t j = 0; j < u; j++) c[j] = zf[j] * c_prev[j] + zi[j] * zg[j];
    } else {
        for (size_t j = 0; j < u; j++) c[j] = zi[j] * zg[j];
    }
    for (size_t j = 0; j < u; j++) c_tanh[j] = tuna_tanh(c[j]);
    for (size_t j = 0; j < u; j++) h[j] = zo[j] * c_tanh[j];
}

TUNA_CLONES
void tuna_tanh_forward(const float *z, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = tuna_tanh(z[i]);
}

TUNA_CLONES
void tuna_sigmoid_forward(const float *z, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = tuna_sigmoid(z[i]);
}

TUNA_CLONES
void tuna_gru_cell(float *restrict g, const float *restrict rec, const float *restrict h_prev, float *restrict h,
                   size_t u) {
    float *gz = g, *gr = g + u, *gh = g + 2 * u;
    for (size_t j = 0; j < u; j++) gz[j] = tuna_sigmoid(gz[j] + rec[j]);
    for (size_t j = 0; j < u; j++) gr[j] = tuna_sigmoid(gr[j] + rec[u + j]);
    for (size_t j = 0; j < u; j++) gh[j] = tuna_tanh(gh[j] + gr[j] * rec[2 * u + j]);
    if (h_prev) {
        for (size_t j = 0; j < u; j++) h[j] = gz[j] * h_prev[j] + (1.0f - gz[j]) * gh[j];
    } else {
        for (size_t j = 0; j < u; j++) h[j] = (1.0f - gz[j]) * gh[j];
    }
}

/* e^x for x in [-87.3, 88.7] (clamped), as 2^n e^r with |r| <= ln2/2 and a degree-6
   polynomial for e^r: relative error below 2e-7, and it vectorises, unlike libm's expf. */
static inline float tuna_exp(float x) {
    x = x > 88.7f ? 88.7f : (x < -87.3f ? -87.3f : x);
    float n = __builtin_rintf(x * 1.44269504088896341f);
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187045e-06f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union { float f; int i; } scale;
    scale.i = ((int)n + 127) << 23;
    return p * scale.f;
}

TUNA_CLONES
void tuna_softmax_rows(float *x, size_t rows, size_t n) {
    /* Eight running maxima and sums: a float reduction only vectorises when its order is
       spelt out (the build does not allow the compiler to reassociate). */
    enum { LANES = 8 };
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * n;
        float lane_max[LANES];
        for (int l = 0; l < LANES; l++) lane_max[l] = -__builtin_inff();
        size_t full = n - n % LANES;
        for (size_t j = 0; j < full; j += LANES)
            for (int l = 0; l < LANES; l++) lane_max[l] = row[j + l] > lane_max[l] ? row[j + l] : lane_max[l];
        float maximum = -__builtin_inff();
        for (int l = 0; l < LANES; l++) maximum = lane_max[l] > maximum ? lane_max[l] : maximum;
        for (size_t j = full; j < n; j++) maximum = row[j] > maximum ? row[j] : maximum;
        if (maximum == -__builtin_inff()) {
            for (size_t j = 0; j < n; j++) row[j] = 0;
            continue;
        }
        for (size_t j = 0; j < n; j++) row[j] = tuna_exp(row[j] - maximum);
        float lane_sum[LANES] = {0};
        for (size_t j = 0; j < full; j += LANES)
            for (int l = 0; l < LANES; l++) lane_sum[l] += row[j + l];
        float total = 0;
        for (int l = 0; l < LANES; l++) total += lane_sum[l];
        for (size_t j = full; j < n; j++) total += row[j];
        float inverse = 1.0f / total;
        for (size_t j = 0; j < n; j++) row[j] *= inverse;
    }
}

TUNA_CLONES
void tuna_softmax_backward_rows(const float *restrict a, float *restrict d, size_t rows, size_t n, float scale) {
    enum { LANES = 8 };
    for (size_t r = 0; r < rows; r++) {
        const float *ar = a + r * n;
        float *dr = d + r * n;
        float lane[LANES] = {0};
        size_t full = n - n % LANES;
        for (size_t j = 0; j < full; j += LANES)
            for (int l = 0; l < LANES; l++) lane[l] += ar[j + l] * dr[j + l];
        float dot = 0;
        for (int l = 0; l < LANES; l++) dot += lane[l];
        for (size_t j = full; j < n; j++) dot += ar[j] * dr[j];
        for (size_t j = 0; j < n; j++) dr[j] = ar[j] * (dr[j] - dot) * scale;
    }
}
