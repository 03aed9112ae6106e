/* Rectified-flow steps.  The reference multiplies float32 tensors by Python
 * floats, which torch rounds to float first: each step size is computed in
 * double and rounded once, then every element update is plain float math. */
#include "sample/flow.h"
#include "sample/pcg32.h"

void mdm_flow_grid(double *ts, int steps, double shift) {
    for (int i = 0; i <= steps; i++) {
        const double t = 1.0 - (double)i / (double)steps;
        ts[i] = shift * t / (1.0 + (shift - 1.0) * t);
    }
}

void mdm_flow_initial_noise(float *x, size_t n, uint64_t seed) {
    mdm_pcg32 r;
    mdm_pcg32_seed(&r, seed, MDM_STREAM_IMAGE_NOISE);
    mdm_pcg32_normals(&r, x, n);
}

void mdm_flow_guide(float *v, const float *v_cond, const float *v_uncond, size_t n, float g) {
    for (size_t i = 0; i < n; i++)
        v[i] = v_uncond[i] + g * (v_cond[i] - v_uncond[i]);
}

void mdm_flow_euler_step(float *x, const float *v, size_t n, double t_cur, double t_next) {
    const float dt = (float)(t_cur - t_next);
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] - dt * v[i];
}

mdm_status mdm_flow_heun_step(float *x, const float *v1, size_t n, double t_cur, double t_next,
                              mdm_velocity_fn vel, void *user, float *scratch) {
    if (t_next <= 0.0) {
        mdm_flow_euler_step(x, v1, n, t_cur, t_next);
        return MDM_OK;
    }
    float *xe = scratch, *v2 = scratch + n;
    const float dt = (float)(t_cur - t_next), half = (float)((t_cur - t_next) * 0.5);
    for (size_t i = 0; i < n; i++)
        xe[i] = x[i] - dt * v1[i];
    mdm_status st = vel(user, xe, (float)t_next, v2);
    if (st != MDM_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        x[i] = x[i] - half * (v1[i] + v2[i]);
    return MDM_OK;
}

mdm_status mdm_flow_sample(float *x, size_t n, int steps, double shift, int heun,
                           mdm_velocity_fn vel, void *user, double *grid, float *scratch) {
    float *v = scratch;
    mdm_flow_grid(grid, steps, shift);
    for (int i = 0; i < steps; i++) {
        mdm_status st = vel(user, x, (float)grid[i], v);
        if (st == MDM_OK && heun)
            st = mdm_flow_heun_step(x, v, n, grid[i], grid[i + 1], vel, user, scratch + n);
        else if (st == MDM_OK)
            mdm_flow_euler_step(x, v, n, grid[i], grid[i + 1]);
        if (st != MDM_OK)
            return st;
    }
    return MDM_OK;
}
