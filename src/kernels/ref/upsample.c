/* Reference nearest-neighbour x2 upsampling: y[2i+a][2j+b] = x[i][j]. */
#include "kernels/kernels.h"

void mdm_upsample2x(float *y, const float *x, int c, int h, int w) {
    const int oh = 2 * h, ow = 2 * w;
    for (int ch = 0; ch < c; ch++) {
        const float *xc = x + (size_t)ch * h * w;
        float *yc = y + (size_t)ch * oh * ow;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
                yc[(size_t)oy * ow + ox] = xc[(size_t)(oy / 2) * w + ox / 2];
    }
}
