#ifndef TUNA_LOOPS_H
#define TUNA_LOOPS_H
#include <stddef.h>

/* Elementwise hot loops of the training step, in C so that the compiler can vectorise them
   (restrict pointers) and pick AVX2/AVX-512 at run time where the CPU has it (target_clones),
   while the binary still runs on any x86-64. */

/* Adam (Keras form): m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= step * m / (sqrt(v) + eps). */
void tuna_adam_update(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                      size_t n, float beta1, float beta2, float step_size, float epsilon);

/* Adam with amsgrad: vmax = max(vmax, v) is used in the denominator. */
void tuna_adam_amsgrad_update(float *restrict w, const float *restrict g, float *restrict m, float *restrict v,
                              float *restrict vmax, size_t n, float beta1, float beta2, float step_size,
                              float epsilon);

/* dz = z > 0 ? dy : 0 */
void tuna_relu_backward(const float *restrict z, const float *restrict dy, float *restrict dz, size_t n);

/* y = max(z, 0) */
void tuna_relu_forward(const float *restrict z, float *restrict y, size_t n);

/* out[j] = sum over rows of x[r * cols + j] */
void tuna_column_sums(const float *restrict x, size_t rows, size_t cols, float *restrict out);

/* Each row of y (rows x cols) set to b. */
void tuna_broadcast_rows(const float *restrict b, size_t rows, size_t cols, float *restrict y);

/* One LSTM step for one row: z holds the pre-activations of the gates (i, f, g, o; 4u values)
   and is overwritten with their activations; c_prev may be NULL (zero state). Writes the cell
   c, tanh(c) and the state h. tanh and the sigmoid use a rational approximation (absolute
   error below 4e-7) that vectorises, unlike libm's. */
void tuna_lstm_cell(float *restrict z, const float *restrict c_prev, float *restrict c, float *restrict c_tanh,
                    float *restrict h, size_t u);

/* y = tanh(z) and y = sigmoid(z) with the same rational approximation as the LSTM cell. */
void tuna_tanh_forward(const float *z, float *y, size_t n);
void tuna_sigmoid_forward(const float *z, float *y, size_t n);

/* One GRU step (Keras reset_after form) for one row: g holds the input side of the gates
   (z, r, candidate; 3u values) and is overwritten with their activations; rec holds the
   recurrent side h_prev U + b' (3u); h_prev may be NULL (zero state). Writes the state h. */
void tuna_gru_cell(float *restrict g, const float *restrict rec, const float *restrict h_prev, float *restrict h,
                   size_t u);

/* Softmax of each of `rows` rows of n values, in place; a row of -inf (nothing to attend to)
   becomes zeros. exp is a polynomial approximation (relative error below 2e-7). */
void tuna_softmax_rows(float *x, size_t rows, size_t n);

/* The softmax's backward for each row, in place: d = scale * a * (d - sum(a * d)), where a is
   the softmax output and d the gradient with respect to it. */
void tuna_softmax_backward_rows(const float *restrict a, float *restrict d, size_t rows, size_t n, float scale);

/* Index of the first NaN or infinity in x, or -1 when every value is finite. */
long tuna_first_nonfinite(const float *restrict x, size_t n);

#endif
