#ifndef TUNA_CBLAS_SHIM_H
#define TUNA_CBLAS_SHIM_H
#include <cblas.h>

/* LAPACK (shipped inside OpenBLAS), Fortran calling convention: everything by pointer,
   column-major. Only the routines Tuna uses are declared. */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
void dtrtrs_(const char *uplo, const char *trans, const char *diag, const int *n, const int *nrhs,
             const double *a, const int *lda, double *b, const int *ldb, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
#endif
