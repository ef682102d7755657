#include <cblas.h>
/* OpenBLAS extension: threads used by the next BLAS call. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
/* OpenBLAS extension: the name of the kernels in use ("Haswell", "Zen", "SkylakeX", …). */
char *openblas_get_corename(void);
